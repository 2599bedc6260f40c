"""SciPy reference for the simulator comparisons, and the common spike detector.

:func:`reference_trace` integrates exactly the :class:`~._model.CellModel` a
backend was given (same rates, same initial state) with ``solve_ivp`` at a
tight tolerance; spike times come from event location on the dense output.
:func:`spike_times` is the detector applied to every simulator's sampled
trace, so all backends are judged by the same rule (hh-brian's crossing rule,
:mod:`hh_brian.core.crossings`, with a cubic instead of a linear interpolant).
"""

from __future__ import annotations

import time

import numpy as np

from hh_brian.core.crossings import crossing_steps
from hh_brian.engines.simulators.cell import CellModel

#: solve_ivp settings of the reference (DOP853 is 8th order; HH is not stiff
#: enough at these currents to need an implicit method).
REFERENCE_METHOD = "DOP853"
REFERENCE_RTOL = 1e-10
REFERENCE_ATOL = 1e-10


def spike_times(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float) -> np.ndarray:
    """Upward crossings of *threshold_mV*, located by a cubic through 4 samples.

    The crossing rule is hh-brian's (:mod:`hh_brian.core.crossings`): a sample step
    from at or below to above the threshold, re-armed when v is back at or below it;
    a trace that starts above threshold has no spike at its first sample.  Only the
    location within the step differs: linear interpolation would add an O(dt²) error
    (~1e-4 ms at dt = 0.005 ms) comparable with the integration error being
    measured; the local cubic makes it O(dt⁴).
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    _, idx = crossing_steps(v[None, :] - threshold_mV)
    out = []
    for k in idx:
        lo, hi = max(k - 1, 0), min(k + 3, len(t))
        lo = max(min(lo, hi - 4), 0)
        tt, vv = t[lo:hi], v[lo:hi]
        if len(tt) < 4:
            out.append(t[k] + (threshold_mV - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k]))
            continue
        coef = np.polyfit(tt - t[k], vv - threshold_mV, 3)
        roots = np.roots(coef)
        span = t[k + 1] - t[k]
        real = [r.real for r in roots if abs(r.imag) < 1e-9 and -1e-9 <= r.real <= span + 1e-9]
        if real:
            out.append(t[k] + min(real))
        else:
            out.append(t[k] + (threshold_mV - v[k]) * span / (v[k + 1] - v[k]))
    return np.asarray(out)


def rhs(model: CellModel, current_density_uA_cm2: float):
    """dy/dt for y = (v, m, h, n) in mV and 1/ms."""
    am, bm, ah, bh, an, bn = (
        model.scalar_rate(f"{k}_{g}") for g in "mhn" for k in ("alpha", "beta")
    )
    g_na, g_k, g_l, e_na, e_k, e_l = (
        model.g_Na,
        model.g_K,
        model.g_L,
        model.E_Na,
        model.E_K,
        model.E_L,
    )
    c_m = model.C_m

    def f(_t, y):
        v, m, h, n = y
        i_ion = g_na * m**3 * h * (v - e_na) + g_k * n**4 * (v - e_k) + g_l * (v - e_l)
        return [
            (current_density_uA_cm2 - i_ion) / c_m,
            am(v) * (1.0 - m) - bm(v) * m,
            ah(v) * (1.0 - h) - bh(v) * h,
            an(v) * (1.0 - n) - bn(v) * n,
        ]

    return f


def reference_trace(
    model: CellModel,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    initial: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(t_ms, v_mV, spikes_ms, wall_s) of the model integrated by ``solve_ivp``."""
    from scipy.integrate import solve_ivp

    y0 = initial or model.resting_state()
    crossing = lambda _t, y: y[0] - v_threshold_mV  # noqa: E731
    crossing.direction = 1.0
    n = int(round(duration_ms / dt_ms))
    t_eval = np.arange(n + 1) * dt_ms
    start = time.perf_counter()
    sol = solve_ivp(
        rhs(model, current_density_uA_cm2),
        (0.0, n * dt_ms),
        [y0["v"], y0["m"], y0["h"], y0["n"]],
        method=REFERENCE_METHOD,
        rtol=REFERENCE_RTOL,
        atol=REFERENCE_ATOL,
        t_eval=t_eval,
        events=crossing,
    )
    wall = time.perf_counter() - start
    if not sol.success:
        raise RuntimeError(f"reference integration failed: {sol.message}")
    return sol.t, sol.y[0], np.asarray(sol.t_events[0]), wall
