"""Tight-tolerance "gold" solution with :func:`scipy.integrate.solve_ivp`.

Default method: ``'DOP853'`` (Hairer, Norsett & Wanner, explicit Runge-Kutta of order 8
with a 7th-order dense output). HH is only mildly stiff: the fastest time scales are
about 0.03 ms (membrane at peak Na conductance, ``C_m / g``) and 0.1 ms (tau_m), which
bound an explicit step at roughly 0.1 ms, while ``rtol = 1e-10`` already forces steps of
about 0.01-0.05 ms. Accuracy, not stability, limits the step, which is where a high-order
explicit method beats an implicit one (``'Radau'`` needs Jacobians, here by finite
differences, and more work per step). ``method='Radau'`` is accepted for cross-checks.

Units: time ms, V mV, currents uA/cm^2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from .inputs import CurrentFunction, CurrentInput, as_current
from .model import ReferenceModel
from .run import ReferenceResult, _infer_n, _initial_state, _select, _split_spikes

__all__ = ["solve_gold"]

FloatArray = NDArray[np.float64]

#: Points of the default output grid when neither ``t_eval`` nor ``dt`` is given.
DEFAULT_N_EVAL = 1001


def solve_gold(
    model: ReferenceModel,
    y0: ArrayLike,
    t_end: float,
    i_inj: ArrayLike | CurrentFunction | CurrentInput = 0.0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    t_eval: ArrayLike | None = None,
    method: str = "DOP853",
    dt: float | None = None,
    record: bool | list[int] | slice = True,
    threshold: float | None = None,
) -> ReferenceResult:
    """Solve the model on ``[0, t_end]`` (ms) to tight tolerance.

    Parameters
    ----------
    model : ReferenceModel
        The membrane model.
    y0 : array_like
        Initial state, shape ``(1 + G,)`` or ``(1 + G, N)`` (small N: the state is one vector).
    t_end : float
        End time, ms.
    i_inj : float, array_like or callable
        Injected current density, uA/cm^2. Sampled arrays (piecewise constant on
        ``k * dt``) need ``dt``; they are integrated piecewise between the samples where
        the value changes, so the discontinuities are resolved exactly.
    rtol, atol : float
        Tolerances passed to :func:`scipy.integrate.solve_ivp`.
    t_eval : array_like, optional
        Output times, ms. Default: ``k * dt`` if ``dt`` is given, else 1001 points.
    method : str
        ``'DOP853'`` (default) or another :func:`solve_ivp` method, e.g. ``'Radau'``.
    dt : float, optional
        Sampling interval of a sampled current, ms.
    record : bool, list of int or slice
        Neurons whose traces are returned.
    threshold : float, optional
        Spike threshold, mV (default ``model.default_threshold``). Crossing times are
        found with :func:`scipy.optimize.brentq` on the dense output.

    Returns
    -------
    ReferenceResult
        With ``method = 'solve_ivp:<method>'`` and ``dt = None``.
    """
    n_steps = None if dt is None else int(round(t_end / dt))
    n_neurons = _infer_n(y0, i_inj, n_steps)
    y = _initial_state(y0, n_neurons, model.n_state)
    ns = model.n_state
    n_neurons = y.shape[1]
    current = as_current(i_inj, n_neurons, dt, n_steps)
    if t_eval is None:
        if dt is not None:
            t_eval = np.arange(n_steps + 1) * dt  # type: ignore[operator]
        else:
            t_eval = np.linspace(0.0, t_end, DEFAULT_N_EVAL)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    threshold = model.default_threshold if threshold is None else float(threshold)
    rec = _select(record, n_neurons)

    edges = np.concatenate(([0.0], current.breakpoints(t_end), [t_end]))
    out = np.empty((t_eval.size, ns, rec.size))
    spike_idx: list[NDArray[np.intp]] = []
    spike_t: list[FloatArray] = []
    state = y.ravel()
    for j, (t0, t1) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        if current.kind == "callable" or current.smooth is not None or current.conductance:

            def rhs(t: float, s: FloatArray, t0: float = t0) -> FloatArray:
                return model.f(t, s.reshape(ns, n_neurons), current.at(t, t0)).ravel()
        else:
            i_seg = current.at(t0).copy()

            def rhs(t: float, s: FloatArray, i_seg: FloatArray = i_seg) -> FloatArray:
                return model.f(t, s.reshape(ns, n_neurons), i_seg).ravel()

        last = j == len(edges) - 2
        mask = (t_eval >= t0) & ((t_eval <= t1) if last else (t_eval < t1))
        # Rejected trial steps (e.g. across a discontinuity of a callable input) may
        # overflow; they are discarded by the solver, and the accepted result is checked.
        with np.errstate(over="ignore", invalid="ignore"):
            sol = solve_ivp(
                rhs, (t0, t1), state, method=method, rtol=rtol, atol=atol, dense_output=True
            )
        if not sol.success or not np.all(np.isfinite(sol.y)):
            raise RuntimeError(f"solve_ivp ({method}) failed on [{t0}, {t1}] ms: {sol.message}")
        if mask.any():
            out[mask] = sol.sol(t_eval[mask]).T.reshape(-1, ns, n_neurons)[:, :, rec]
        idx, times = _refined_crossings(sol, n_neurons, threshold, model.spike_direction)
        spike_idx.append(idx)
        spike_t.append(times)
        state = sol.y[:, -1]
    spikes = _split_spikes(spike_idx, spike_t, n_neurons)
    return ReferenceResult(
        t=t_eval,
        V=out[:, 0],
        gates={name: out[:, 1 + k] for k, name in enumerate(model.gate_names)},
        recorded=rec,
        spike_times=spikes,
        method=f"solve_ivp:{method}",
        dt=None,
        threshold=threshold,
    )


def _refined_crossings(
    sol: object, n_neurons: int, threshold: float, direction: int
) -> tuple[NDArray[np.intp], FloatArray]:
    """Threshold crossings between the solver's steps, refined on the dense output.

    The rule of :func:`hh_brian.engines.reference.run._crossings` (from at-or-below to
    above the threshold, in the depolarising direction) applied to the accepted steps.
    """
    ts = sol.t  # type: ignore[attr-defined]
    v = direction * (sol.y[:n_neurons] - threshold)  # type: ignore[attr-defined]
    cross_j, cross_k = np.nonzero((v[:, :-1] <= 0) & (v[:, 1:] > 0))
    times = np.empty(cross_j.size)
    for q, (j, k) in enumerate(zip(cross_j, cross_k, strict=True)):

        def g(t: float, j: int = int(j)) -> float:
            return float(direction * (sol.sol(t)[j] - threshold))  # type: ignore[attr-defined]

        a, b = ts[k], ts[k + 1]
        times[q] = a if g(a) == 0.0 else brentq(g, a, b, xtol=1e-13)
    return cross_j.astype(np.intp), times
