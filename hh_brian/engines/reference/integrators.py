"""Fixed-step integrators for :class:`~hh_brian.engines.reference.model.ReferenceModel`.

Each integrator is a small class with class attributes ``name`` and ``order`` (the
order of its global error) and a method ``step(model, t, y, current, dt)`` returning the
state at ``t + dt``. Time in ms; ``current`` is a
:class:`~hh_brian.engines.reference.inputs.CurrentInput` (uA/cm^2).

References: the schemes of lecture 7 (forward Euler, classic Runge-Kutta, exponential
Euler in the A-B and y_inf/tau forms); Brian2's ``exponential_euler`` state updater
(``brian2/stateupdaters/exponential_euler.py``) for the exact algebraic form; the
explicit-midpoint Rush-Larsen scheme of Sundnes, Artebrant, Skavhaug & Tveito 2009,
IEEE Trans Biomed Eng 56:2546, doi:10.1109/TBME.2009.2014739 (:class:`RushLarsen2`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .inputs import CurrentInput
from .model import ReferenceModel

__all__ = [
    "INTEGRATORS",
    "ExponentialEulerAB",
    "ExponentialEulerTau",
    "ForwardEuler",
    "Integrator",
    "RK4",
    "RushLarsen2",
    "get_integrator",
]

FloatArray = NDArray[np.float64]

#: Neurons per chunk in :meth:`ExponentialEulerAB.step_inplace`: 8192 doubles =
#: 64 KiB per temporary (4096: slower, 16384: ~10 % faster, 32768: 2x slower at
#: N = 100 000 on the dev machine; 8192 keeps a margin below the cliff).
STEP_CHUNK = 8192


class Integrator:
    """Base class: one explicit step of ``dy/dt = f(t, y)`` with step ``dt`` (ms)."""

    name: ClassVar[str] = ""
    order: ClassVar[int] = 0

    def step(
        self, model: ReferenceModel, t: float, y: FloatArray, current: CurrentInput, dt: float
    ) -> FloatArray:
        """Return the state at ``t + dt`` from the state ``y`` at ``t``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ForwardEuler(Integrator):
    """Forward Euler, ``y + dt f(t, y)``; first order, unstable for large dt."""

    name = "euler"
    order = 1

    def step(self, model, t, y, current, dt):  # noqa: D102
        return y + dt * model.f(t, y, current.at(t, t))


class RK4(Integrator):
    """Classic fourth-order Runge-Kutta.

    The input is read at ``t``, ``t + dt/2`` and ``t + dt`` of the step from ``t``
    (:meth:`CurrentInput.at`): a held input gives the step's start value to every
    stage; lecture 7's sampled input gives the next sample to the last stage.
    """

    name = "rk4"
    order = 4

    def step(self, model, t, y, current, dt):  # noqa: D102
        half = 0.5 * dt
        i_mid = current.at(t + half, t)
        k1 = model.f(t, y, current.at(t, t))
        k2 = model.f(t + half, y + half * k1, i_mid)
        k3 = model.f(t + half, y + half * k2, i_mid)
        k4 = model.f(t + dt, y + dt * k3, current.at(t + dt, t))
        return y + dt * (k1 + 2.0 * (k2 + k3) + k4) / 6.0


class ExponentialEulerAB(Integrator):
    """Exponential Euler exactly as Brian2's ``exponential_euler`` state updater.

    All coefficients come from the state at the start of the step (V included) and all
    variables are updated at once. Writing ``dy/dt = a y + b`` with ``a = -B`` and
    ``b = A``, each variable is updated as Brian2 does: ``y <- (y + b/a) exp(a dt) - b/a``
    (algebraically ``A/B + (y - A/B) exp(-B dt)``). First order.
    """

    name = "exponential_euler"
    order = 1

    def step(self, model, t, y, current, dt):  # noqa: D102
        big_a, big_b = model.AB(t, y, current.at(t, t))
        a = -big_b
        b_over_a = big_a / a
        return (y + b_over_a) * np.exp(a * dt) - b_over_a

    @staticmethod
    def step_inplace(
        model: ReferenceModel, y: FloatArray, i_now: FloatArray, dt: float, work: FloatArray
    ) -> None:
        """Advance ``y`` (shape ``(1 + G, N)``) in place by one step.

        ``work`` is a preallocated ``(3, 1 + G, N)`` float array (kept for the API).
        Same arithmetic as :meth:`step`. The
        neurons are processed in chunks of :data:`STEP_CHUNK`, so that every
        temporary (the rate functions allocate their own) stays cache-resident
        and below malloc's mmap threshold: 2-2.5x faster at N = 100 000 than
        whole-array passes (``benchmarks/FINDINGS.md``). Each neuron's
        arithmetic is unchanged, so the result is bit-identical.
        """
        n_neurons = y.shape[1]
        if n_neurons <= STEP_CHUNK:
            ExponentialEulerAB._step_chunk(model, y, i_now, dt, work)
            return
        per_neuron = np.ndim(i_now) > 0 and np.shape(i_now)[-1] == n_neurons
        for lo in range(0, n_neurons, STEP_CHUNK):
            hi = min(lo + STEP_CHUNK, n_neurons)
            ExponentialEulerAB._step_chunk(
                model, y[:, lo:hi], i_now[lo:hi] if per_neuron else i_now, dt, work[:, :, lo:hi]
            )

    @staticmethod
    def _step_chunk(
        model: ReferenceModel, y: FloatArray, i_now: FloatArray, dt: float, work: FloatArray
    ) -> None:
        del work  # the chunk's temporaries are small enough to stay in cache
        a, b = model.AB(0.0, y, i_now)
        # dy/dt = a' y + b' with a' = -B, b' = A:  y <- (y + b'/a') exp(a' dt) - b'/a'
        np.negative(b, out=b)  # b now holds a' = -B
        np.divide(a, b, out=a)  # a now holds b'/a'
        b *= dt
        np.exp(b, out=b)
        y += a
        y *= b
        y -= a


class ExponentialEulerTau(Integrator):
    """Exponential Euler in the ``y_inf``/``tau`` form: ``y_inf + (y - y_inf) exp(-dt/tau)``.

    Same scheme as :class:`ExponentialEulerAB` (``y_inf = A/B``, ``tau = 1/B``); it differs
    from it only by round-off. First order.
    """

    name = "exponential_euler_tau"
    order = 1

    def step(self, model, t, y, current, dt):  # noqa: D102
        big_a, big_b = model.AB(t, y, current.at(t, t))
        y_inf = big_a / big_b
        tau = 1.0 / big_b
        return y_inf + (y - y_inf) * np.exp(-dt / tau)


class RushLarsen2(Integrator):
    """Second-order Rush-Larsen (explicit midpoint; Sundnes et al. 2009).

    A half step of exponential Euler with the coefficients at ``(t, y)`` gives the
    midpoint state; the full step is exponential from ``y`` with ``A``, ``B`` at the
    midpoint ``(t + dt/2, y_mid)``: the rates twice per step, the gates
    unconditionally stable (each stage is a convex combination of ``x`` and
    ``x_inf``).  The same arithmetic as hh-brian's Brian2 ``rush_larsen2``
    (``hh_brian/engines/brian2/rush_larsen.py``): instantaneous gates are evaluated at
    each stage's V, held inputs at the step's start and smooth ones at the stage's
    time (:meth:`CurrentInput.at`).  Second order.
    """

    name = "rush_larsen2"
    order = 2

    def step(self, model, t, y, current, dt):  # noqa: D102
        half = 0.5 * dt
        big_a, big_b = model.AB(t, y, current.at(t, t))
        a = -big_b
        b_over_a = big_a / a
        y_mid = (y + b_over_a) * np.exp(a * half) - b_over_a
        big_a, big_b = model.AB(t + half, y_mid, current.at(t + half, t))
        a = -big_b
        b_over_a = big_a / a
        return (y + b_over_a) * np.exp(a * dt) - b_over_a


#: Integrators by name (Brian2's names where Brian2 has the scheme).
INTEGRATORS: dict[str, type[Integrator]] = {
    "euler": ForwardEuler,
    "forward_euler": ForwardEuler,
    "rk4": RK4,
    "exponential_euler": ExponentialEulerAB,
    "exponential_euler_ab": ExponentialEulerAB,
    "exponential_euler_tau": ExponentialEulerTau,
    "rush_larsen2": RushLarsen2,
}


def get_integrator(method: str | Integrator | type[Integrator]) -> Integrator:
    """Return an integrator instance from a name, class or instance."""
    if isinstance(method, Integrator):
        return method
    if isinstance(method, type) and issubclass(method, Integrator):
        return method()
    try:
        return INTEGRATORS[method]()
    except KeyError:
        raise ValueError(f"unknown method {method!r}; known: {sorted(INTEGRATORS)}") from None
