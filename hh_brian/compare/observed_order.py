"""Observed convergence order: errors against the gold solution regressed on log(dt)."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.compare.crossval_gold import gold_solution, order_window_ms
from hh_brian.compare.crossval_results import OrderEstimate
from hh_brian.compare.validation_current import default_current
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.engines.reference_bridge import simulate_reference
from hh_brian.models.cell import CellModel as Preset

#: dt ranges (ms) where each method is in its asymptotic regime on the upstroke window.
ORDER_DTS_MS = {
    "euler": tuple(2.0**-k for k in range(7, 12)),
    "exponential_euler": tuple(2.0**-k for k in range(7, 12)),
    "exponential_euler_tau": tuple(2.0**-k for k in range(7, 12)),
    "rk4": tuple(2.0**-k for k in range(6, 10)),
    "rush_larsen2": tuple(2.0**-k for k in range(6, 11)),
}
#: Errors below this (mV) are within ~100x of the gold solution's own accuracy.
GOLD_FLOOR_MV = 1e-8


def _errors_against_gold(
    preset: Preset,
    method: str,
    engine: str,
    current: Quantity,
    window_ms: float,
    dts: tuple[float, ...],
) -> list[float]:
    """max |V - V_gold| (mV) on the coarsest dt's grid over the window, per dt."""
    coarsest = max(dts)
    t_eval = np.arange(0.0, window_ms + 1e-9, coarsest)
    gold = gold_solution(preset, current, window_ms, t_eval).V[:, 0]
    errors = []
    for dt_ms in dts:
        stride = int(round(coarsest / dt_ms))
        duration = (window_ms + coarsest) * ms
        runner = simulate if engine == "brian2" else simulate_reference
        run = runner(preset, current=current, duration=duration, dt=dt_ms * ms, method=method)
        v = np.asarray(run.v[0] / mV)[::stride][: t_eval.size]
        errors.append(float(np.max(np.abs(v - gold))))
    return errors


def observed_order(
    preset: Preset,
    method: str,
    *,
    engine: str = "brian2",
    current: Quantity | None = None,
    dts_ms: tuple[float, ...] | None = None,
    window_ms: float | None = None,
) -> OrderEstimate:
    """Slope of log(max|V - V_gold|) against log(dt) over *dts_ms* on the window.

    The window runs from rest to just past the first spike's peak
    (:func:`order_window_ms`), where the solution is smooth and errors are
    dominated by the scheme.  Errors within ``GOLD_FLOOR_MV`` of the gold
    solution's own accuracy carry no information about the scheme; if fewer
    than three of the default dts stay above it (slow, smooth presets with
    rk4), the dts are made four times coarser once.
    """
    current = default_current(preset) if current is None else current
    window_ms = order_window_ms(preset, current) if window_ms is None else window_ms
    dts = tuple(dts_ms or ORDER_DTS_MS[method])
    errors = _errors_against_gold(preset, method, engine, current, window_ms, dts)
    if dts_ms is None and sum(e > GOLD_FLOOR_MV for e in errors) < 3:
        dts = tuple(4 * d for d in dts)
        errors = _errors_against_gold(preset, method, engine, current, window_ms, dts)
    slope = float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
    return OrderEstimate(
        engine=engine,
        method=method,
        declared=INTEGRATORS[method].order,
        dts_ms=dts,
        errors_mV=tuple(errors),
        observed=slope,
    )


__all__ = ["GOLD_FLOOR_MV", "ORDER_DTS_MS", "observed_order"]
