"""Fixed-step integration driver: traces, spike times, blow-up guard, fast spike counter.

Units: time ms, V mV, currents uA/cm^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import IntegrationError
from .inputs import CurrentFunction, CurrentInput, as_current
from .integrators import ExponentialEulerAB, Integrator, get_integrator
from .model import ReferenceModel

__all__ = ["GATE_TOLERANCE", "ReferenceResult", "count_spikes", "integrate"]

FloatArray = NDArray[np.float64]

#: Gates may leave [0, 1] by this much (round-off) before the blow-up guard fires.
GATE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ReferenceResult:
    """Recorded run of the reference engine.

    Attributes
    ----------
    t : ndarray
        Sample times, ms, shape ``(T,)``.
    V : ndarray
        Recorded membrane potential, shape ``(T, N_rec)``, mV (model convention).
    gates : dict of ndarray
        Each state gate by name, shape ``(T, N_rec)``; also readable as attributes
        (``result.n``).
    recorded : ndarray
        Indices of the recorded neurons, shape ``(N_rec,)``.
    spike_times : list of ndarray
        Per neuron (all N, recorded or not), threshold-crossing times in ms,
        linearly interpolated between steps (the rule: :func:`_crossings`).
    method : str
        Integrator name, or the scipy method of the gold solver.
    dt : float or None
        Fixed time step, ms (None for the adaptive gold solver).
    threshold : float
        Spike-detection threshold, mV.
    """

    t: FloatArray
    V: FloatArray
    gates: dict[str, FloatArray]
    recorded: NDArray[np.intp]
    spike_times: list[FloatArray]
    method: str
    dt: float | None
    threshold: float

    @property
    def spike_counts(self) -> NDArray[np.int64]:
        """Number of spikes per neuron, shape ``(N,)``."""
        return np.array([s.size for s in self.spike_times], dtype=np.int64)

    def __getattr__(self, name: str) -> FloatArray:
        gates = self.__dict__.get("gates", {})
        if name in gates:
            return gates[name]
        raise AttributeError(name)

    @property
    def y(self) -> FloatArray:
        """Recorded state stacked as ``(T, 1 + G, N_rec)`` ordered ``(V, gates...)``."""
        return np.stack([self.V, *self.gates.values()], axis=1)


def _initial_state(y0: ArrayLike, n_neurons: int | None, n_state: int = 4) -> FloatArray:
    """Return a fresh ``(n_state, N)`` float copy of ``y0``."""
    y = np.array(y0, dtype=np.float64)
    if y.ndim == 1:
        if y.shape != (n_state,):
            raise ValueError(f"y0 must have shape ({n_state},) or ({n_state}, N), got {y.shape}")
        y = np.repeat(y[:, None], n_neurons or 1, axis=1)
    if y.ndim != 2 or y.shape[0] != n_state:
        raise ValueError(f"y0 must have shape ({n_state},) or ({n_state}, N), got {y.shape}")
    return np.ascontiguousarray(y)


def _infer_n(y0: ArrayLike, i_inj: object, n_steps: int | None) -> int:
    """Number of neurons: from ``y0`` if 2-D, else from the current (a callable is probed
    at t = 0)."""
    y0 = np.asarray(y0)
    if y0.ndim == 2:
        return y0.shape[1]
    if isinstance(i_inj, CurrentInput):
        return i_inj.n_neurons
    if callable(i_inj):
        probe = np.asarray(i_inj(0.0))
        return probe.shape[0] if probe.ndim == 1 else 1
    arr = np.asarray(i_inj)
    if arr.ndim == 2:
        return arr.shape[1]
    if arr.ndim == 1 and (n_steps is None or arr.shape[0] != n_steps + 1):
        return arr.shape[0]
    return 1


def check_state(
    y: FloatArray, method: str, dt: float, t: float, names: tuple[str, ...] = ("V", "gates")
) -> None:
    """Raise :class:`IntegrationError` if ``y`` is non-finite or a gate leaves [0, 1].

    One min and one max reduction per row; NaN propagates through both, so a single
    comparison per row catches NaN, +-inf and out-of-range gates.
    """
    lo = y.min(axis=1)
    hi = y.max(axis=1)
    v_ok = np.isfinite(lo[0]) and np.isfinite(hi[0])
    gates_ok = bool(np.all(lo[1:] >= -GATE_TOLERANCE) and np.all(hi[1:] <= 1 + GATE_TOLERANCE))
    if v_ok and gates_ok:
        return
    bad = ~np.isfinite(y).all(axis=0)
    bad |= np.any((y[1:] < -GATE_TOLERANCE) | (y[1:] > 1 + GATE_TOLERANCE), axis=0)
    first = int(np.flatnonzero(bad)[0])
    raise IntegrationError(
        f"method {method!r} with dt={dt} ms blew up at t={t:.6g} ms: neuron {first} has "
        f"state ({', '.join(names)}) = {tuple(float(x) for x in y[:, first])} (non-finite or "
        f"gate outside [0, 1]); {blow_up_advice(method)}."
    )


def blow_up_advice(method: str) -> str:
    """What to do after *method* blew up.  The same advice as
    :func:`hh_brian.core.errors.blow_up_advice`, kept here because this package imports
    nothing else from hh-brian (it is the independent engine)."""
    if method in ("exponential_euler", "exponential_euler_tau", "rush_larsen2"):
        return (
            f"check the model: {method} moves every gate towards x_inf in [0, 1] and V "
            "towards a weighted mean of the reversal potentials, so it cannot blow up at "
            "any dt with non-negative rates and conductances; a blow-up means a rate or "
            "parameter is wrong (negative, or NaN somewhere in the range of V)"
        )
    return (
        "use method rush_larsen2 (second order; its gates and V take exponential steps, "
        "stable at any dt) or a smaller dt"
    )


def _crossings(
    v_old: FloatArray, v_new: FloatArray, threshold: float, direction: int
) -> tuple[NDArray[np.intp], FloatArray]:
    """Neurons whose V crossed ``threshold`` in ``direction`` this step, and when.

    The spike rule of this engine (implemented here, independently of hh-brian's other
    engines, and cross-checked against them by the tests): with
    ``x = direction * (V - threshold)``, a spike is a step with ``x_old <= 0 < x_new``.
    "Armed" is thus ``x <= 0``: the detector re-arms when V repolarises to the
    threshold, so one action potential gives one spike, a run starting above threshold
    has no spike until V has come back, and a run continued from a mid-spike state does
    not count that spike again.  The fraction of the step is the linear interpolation
    ``(threshold - V_old) / (V_new - V_old)``, in ``[0, 1)``.
    """
    before = direction * (v_old - threshold)
    after = direction * (v_new - threshold)
    idx = np.flatnonzero((before <= 0) & (after > 0))
    frac = (threshold - v_old[idx]) / (v_new[idx] - v_old[idx])
    return idx, frac


def _select(record: bool | Sequence[int] | slice | NDArray[np.intp], n: int) -> NDArray[np.intp]:
    if record is True:
        return np.arange(n)
    if record is False or record is None:
        return np.empty(0, dtype=np.intp)
    return np.arange(n)[record]


def integrate(
    model: ReferenceModel,
    y0: ArrayLike,
    dt: float,
    n_steps: int,
    method: str | Integrator = "exponential_euler",
    i_inj: ArrayLike | CurrentFunction | CurrentInput = 0.0,
    record: bool | Sequence[int] | slice | NDArray[np.intp] = True,
    threshold: float | None = None,
) -> ReferenceResult:
    """Integrate N neurons with a fixed step and record traces and spikes.

    Parameters
    ----------
    model : ReferenceModel
        The membrane model.
    y0 : array_like
        Initial state ``(V, gates...)``, shape ``(1 + G,)`` (copied to every neuron) or
        ``(1 + G, N)``.
    dt : float
        Time step, ms.
    n_steps : int
        Number of steps; the run covers ``[0, n_steps * dt]``, time ``t_k = k * dt``.
    method : str or Integrator
        ``'euler'``, ``'rk4'``, ``'exponential_euler'``, ``'exponential_euler_tau'`` or
        ``'rush_larsen2'``.
    i_inj : float, array_like or callable
        Injected current density, uA/cm^2 (see
        :func:`hh_brian.engines.reference.inputs.as_current`).
    record : bool, sequence of int or slice
        Neurons whose traces are kept (True: all, False: none). Memory is
        ``(1 + G) (n_steps + 1) N_rec`` floats; spikes are detected for all neurons.
    threshold : float, optional
        Spike threshold, mV (default ``model.default_threshold``). A spike is a crossing
        in ``model.spike_direction`` (rising in the modern convention, falling in 1952)
        from at-or-below to above the threshold, timed by linear interpolation,
        ``t_k + dt (threshold - V_k) / (V_{k+1} - V_k)`` (see :func:`_crossings`).

    Returns
    -------
    ReferenceResult

    Raises
    ------
    IntegrationError
        If the state becomes non-finite or a gate leaves [0, 1] (checked every step).
    """
    integrator = get_integrator(method)
    n_neurons = _infer_n(y0, i_inj, n_steps)
    y = _initial_state(y0, n_neurons, model.n_state)
    n_neurons = y.shape[1]
    current = as_current(i_inj, n_neurons, dt, n_steps)
    threshold = model.default_threshold if threshold is None else float(threshold)
    direction = model.spike_direction
    names = ("V", *model.gate_names)
    rec = _select(record, n_neurons)
    trace = np.empty((n_steps + 1, model.n_state, rec.size))
    trace[0] = y[:, rec]
    check_state(y, integrator.name, dt, 0.0, names)
    spike_idx: list[NDArray[np.intp]] = []
    spike_t: list[FloatArray] = []
    for k in range(n_steps):
        t = k * dt
        y_new = integrator.step(model, t, y, current, dt)
        check_state(y_new, integrator.name, dt, (k + 1) * dt, names)
        idx, frac = _crossings(y[0], y_new[0], threshold, direction)
        if idx.size:
            spike_idx.append(idx)
            spike_t.append(t + frac * dt)
        y = y_new
        trace[k + 1] = y[:, rec]
    spikes = _split_spikes(spike_idx, spike_t, n_neurons)
    return ReferenceResult(
        t=np.arange(n_steps + 1) * dt,
        V=trace[:, 0],
        gates={name: trace[:, 1 + k] for k, name in enumerate(model.gate_names)},
        recorded=rec,
        spike_times=spikes,
        method=integrator.name,
        dt=dt,
        threshold=threshold,
    )


def _split_spikes(
    spike_idx: list[NDArray[np.intp]], spike_t: list[FloatArray], n_neurons: int
) -> list[FloatArray]:
    """Group (neuron, time) pairs, collected in time order, into per-neuron arrays."""
    if not spike_idx:
        return [np.empty(0) for _ in range(n_neurons)]
    idx = np.concatenate(spike_idx)
    times = np.concatenate(spike_t)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(n_neurons + 1))
    sorted_t = times[order]
    return [sorted_t[bounds[j] : bounds[j + 1]] for j in range(n_neurons)]


def count_spikes(
    model: ReferenceModel,
    y0: ArrayLike,
    dt: float,
    n_steps: int,
    method: str | Integrator = "exponential_euler",
    i_inj: ArrayLike | CurrentFunction | CurrentInput = 0.0,
    threshold: float | None = None,
    check_every: int = 1,
) -> NDArray[np.int64]:
    """Count threshold crossings per neuron without recording anything (benchmark path).

    The same rule as :func:`integrate` (:func:`_crossings`): a step from at-or-below to
    above the threshold in the depolarising direction.

    The exponential Euler updates the state in place with preallocated work arrays;
    other methods fall back to their allocating ``step``. The blow-up guard runs every
    ``check_every`` steps and at the end.

    Parameters are as for :func:`integrate`. Returns spike counts, shape ``(N,)``.
    """
    integrator = get_integrator(method)
    n_neurons = _infer_n(y0, i_inj, n_steps)
    y = _initial_state(y0, n_neurons, model.n_state)
    n_neurons = y.shape[1]
    current = as_current(i_inj, n_neurons, dt, n_steps)
    threshold = model.default_threshold if threshold is None else float(threshold)
    # Work in "direction * (V - threshold)": a spike is a step from <= 0 to > 0.
    direction = float(model.spike_direction)
    counts = np.zeros(n_neurons, dtype=np.int64)
    above = np.empty(n_neurons, dtype=bool)
    crossed = np.empty(n_neurons, dtype=bool)
    shifted = np.empty(n_neurons)
    inplace = isinstance(integrator, ExponentialEulerAB)
    work = np.empty((3, model.n_state, n_neurons)) if inplace else None
    np.subtract(y[0], threshold, out=shifted)
    shifted *= direction
    armed = shifted <= 0.0
    for k in range(n_steps):
        t = k * dt
        if inplace:
            integrator.step_inplace(model, y, current.at(t), dt, work)
        else:
            y[...] = integrator.step(model, t, y, current, dt)
        if (k + 1) % check_every == 0 or k + 1 == n_steps:
            check_state(y, integrator.name, dt, (k + 1) * dt, ("V", *model.gate_names))
        np.subtract(y[0], threshold, out=shifted)
        shifted *= direction
        np.greater(shifted, 0.0, out=above)
        np.logical_and(above, armed, out=crossed)
        counts += crossed
        np.logical_not(above, out=armed)
    return counts
