"""Injected-current inputs for the fixed-step integrators and the gold solver.

Currents are densities in uA/cm^2 (physical sign: positive depolarises), time in ms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import floor
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SAMPLE_INDEX_EPS", "CurrentInput", "SynapticInput", "as_current", "sample_index"]

#: Added to ``t / dt`` before flooring, so that ``t = k * dt`` maps to sample ``k`` even
#: when ``k * dt / dt`` rounds to just below ``k``. Half-steps (RK4) stay on sample ``k``.
SAMPLE_INDEX_EPS = 1e-6

CurrentFunction = Callable[[float], ArrayLike]
ConductanceFunction = Callable[[float, float], tuple[ArrayLike, ArrayLike]]


class SynapticInput(NamedTuple):
    """An injected current plus input conductances: ``i + g_e - g V`` (uA/cm^2).

    ``g`` is the summed conductance density (mS/cm^2) and ``g_e`` the sum of each
    conductance times its reversal potential (mS/cm^2 * mV), shape ``(N,)``.
    """

    current: NDArray[np.float64]
    g: NDArray[np.float64]
    g_e: NDArray[np.float64]


def sample_index(t: float, dt: float) -> int:
    """Index of the sample that holds at time ``t`` (ms): ``floor(t / dt + 1e-6)``."""
    return floor(t / dt + SAMPLE_INDEX_EPS)


@dataclass(frozen=True)
class CurrentInput:
    """A normalised injected current ``i(t)``, uA/cm^2, evaluated by :meth:`at`.

    Attributes
    ----------
    kind : {'constant', 'sampled', 'callable'}
        Constant in time, piecewise constant on the grid ``k * dt``, or a function.
    values : ndarray or None
        ``(N,)`` for constants; ``(n_samples, N)`` for sampled inputs.
    function : callable or None
        ``i(t)`` for callable inputs.
    dt : float or None
        Sampling interval of sampled inputs, ms.
    hold : bool
        For sampled inputs: every stage of a step reads the sample of the step's
        start (True), or the sample at the stage's own time, ``floor(t/dt)``,
        as lecture 7 does (False; the last rk4 stage then reads the next sample).
    smooth : callable or None
        ``s(t, t_step)``: a further current read at each stage's time *t* of the
        step that starts at *t_step* (ms), added to the rest.
    edges : ndarray
        Times (ms) where *smooth* or *conductance* jumps; the gold solver
        integrates up to each.
    conductance : callable or None
        ``c(t, t_step) -> (g, g_e)``: input conductances (synapses driven by
        given spike times); :meth:`at` then returns a :class:`SynapticInput`.
    """

    kind: Literal["constant", "sampled", "callable"]
    n_neurons: int
    values: NDArray[np.float64] | None = None
    function: CurrentFunction | None = None
    dt: float | None = None
    hold: bool = False
    smooth: Callable[[float, float], ArrayLike] | None = None
    edges: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    conductance: ConductanceFunction | None = None

    def at(self, t: float, t_step: float | None = None) -> NDArray[np.float64]:
        """Current at stage time ``t`` of the step from ``t_step`` (ms; default ``t``).

        Shape ``(N,)`` (a view for array inputs without a smooth part).
        """
        t_step = t if t_step is None else t_step
        if self.kind == "constant":
            value = self.values
        elif self.kind == "sampled":
            k = sample_index(t_step if self.hold else t, self.dt)  # type: ignore[arg-type]
            k = min(max(k, 0), self.values.shape[0] - 1)  # type: ignore[union-attr]
            value = self.values[k]  # type: ignore[index]
        else:
            value = np.broadcast_to(
                np.asarray(self.function(t), dtype=np.float64),  # type: ignore[misc]
                (self.n_neurons,),
            )
        if self.smooth is not None:
            value = value + np.asarray(self.smooth(t, t_step), dtype=np.float64)
        if self.conductance is None:
            return value  # type: ignore[return-value]
        g, g_e = self.conductance(t, t_step)
        shape = (self.n_neurons,)
        return SynapticInput(  # type: ignore[return-value]
            np.broadcast_to(value, shape), np.broadcast_to(g, shape), np.broadcast_to(g_e, shape)
        )

    def breakpoints(self, t_end: float) -> NDArray[np.float64]:
        """Times in ``(0, t_end)`` (ms) where the input jumps."""
        times = np.asarray(self.edges, dtype=np.float64)
        if self.kind == "sampled":
            vals = self.values
            change = np.flatnonzero(np.any(vals[1:] != vals[:-1], axis=1)) + 1  # type: ignore[index]
            times = np.concatenate((times, change * self.dt))
        return np.unique(times[(times > 0) & (times < t_end)])


def as_current(
    i_inj: ArrayLike | CurrentFunction | CurrentInput,
    n_neurons: int,
    dt: float | None = None,
    n_steps: int | None = None,
) -> CurrentInput:
    """Normalise an injected current specification.

    Parameters
    ----------
    i_inj : float, array_like, callable or CurrentInput
        Scalar or ``(N,)``: constant. ``(n_steps + 1,)`` or ``(n_steps + 1, N)``:
        piecewise constant, sample ``k`` holds on ``[k dt, (k+1) dt)``. Callable:
        ``i(t)`` returning a scalar or ``(N,)``. All in uA/cm^2.
    n_neurons : int
        Number of neurons N.
    dt : float, optional
        Time step, ms (needed for sampled arrays).
    n_steps : int, optional
        Number of steps (distinguishes sampled 1-D arrays from per-neuron constants).

    Raises
    ------
    ValueError
        If a 1-D array's length is ambiguous (``N == n_steps + 1``) or does not fit.
    """
    if isinstance(i_inj, CurrentInput):
        return i_inj
    if callable(i_inj):
        return CurrentInput("callable", n_neurons, function=i_inj)
    arr = np.asarray(i_inj, dtype=np.float64)
    n_samples = None if n_steps is None else n_steps + 1
    if arr.ndim == 0:
        return CurrentInput("constant", n_neurons, values=np.full(n_neurons, float(arr)))
    if arr.ndim == 1:
        if arr.shape[0] == n_neurons and arr.shape[0] == n_samples and n_neurons > 1:
            raise ValueError(
                f"ambiguous 1-D current of length {n_neurons} = N = n_steps + 1; pass a 2-D "
                "array of shape (n_steps + 1, N) or a callable"
            )
        if arr.shape[0] == n_neurons:
            return CurrentInput("constant", n_neurons, values=arr.copy())
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, n_neurons):
        raise ValueError(f"current of shape {np.shape(i_inj)} does not fit N = {n_neurons}")
    if dt is None:
        raise ValueError("a sampled current array needs dt")
    if n_samples is not None and arr.shape[0] < n_samples:
        raise ValueError(
            f"sampled current has {arr.shape[0]} rows, needs n_steps + 1 = {n_samples}"
        )
    values = np.ascontiguousarray(np.broadcast_to(arr, (arr.shape[0], n_neurons)))
    return CurrentInput("sampled", n_neurons, values=values, dt=dt)
