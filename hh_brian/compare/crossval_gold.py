"""The gold solution of a cross-validation: a tight-tolerance scipy solve of the reference.

:func:`gold_solution` solves the reference model at ``rtol = atol = 1e-12``;
:func:`order_window_ms` and :func:`gold_spike_times_ms` read the window of the
order regression and the spike times from it.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.engines.reference import solve_gold
from hh_brian.engines.reference_bridge import initial_vector, reference_current, reference_model
from hh_brian.models.cell import CellModel as Preset

#: The order-regression window runs from rest to this long after the gold solution's
#: first threshold crossing (past the spike's peak), in ms ...
ORDER_WINDOW_AFTER_SPIKE_MS = 1.0
#: ... rounded up to a multiple of this (ms), so every dt = 2**-k divides it ...
ORDER_WINDOW_GRID_MS = 0.5
#: ... and this window when no spike occurs within ORDER_WINDOW_SEARCH_MS.
ORDER_WINDOW_MS = 2.5
ORDER_WINDOW_SEARCH_MS = 50.0


def gold_solution(preset: Preset, current: Quantity, t_end_ms: float, t_eval: np.ndarray | None):
    """The gold solution of *preset* at a constant *current* to *t_end_ms*, at *t_eval*."""
    model = reference_model(preset)
    i_inj = float(np.asarray(reference_current(preset, current, 1 * ms, 1)))
    return solve_gold(
        model,
        initial_vector(preset),
        t_end_ms,
        i_inj=i_inj,
        t_eval=t_eval,
        rtol=1e-12,
        atol=1e-12,
        threshold=float(preset.parameters["V_spike"] / mV),
    )


def order_window_ms(preset: Preset, current: Quantity) -> float:
    """Rest to just past the first spike's peak (ms), from the gold solution.

    The upstroke is where a scheme's error is largest and smooth in dt, so the
    regression sees the asymptotic error rather than the gold solver's floor
    (which a window of subthreshold drift alone would hit for slow presets).
    """
    gold = gold_solution(preset, current, ORDER_WINDOW_SEARCH_MS, np.array([0.0]))
    first = np.asarray(gold.spike_times[0])
    if first.size == 0:
        return ORDER_WINDOW_MS
    end = float(first[0]) + ORDER_WINDOW_AFTER_SPIKE_MS
    return float(np.ceil(end / ORDER_WINDOW_GRID_MS) * ORDER_WINDOW_GRID_MS)


def gold_spike_times_ms(preset: Preset, current: Quantity, duration: Quantity) -> np.ndarray:
    """Threshold crossings of the gold solution (ms), located with brentq."""
    return np.asarray(gold_solution(preset, current, float(duration / ms), None).spike_times[0])


__all__ = [
    "ORDER_WINDOW_AFTER_SPIKE_MS",
    "ORDER_WINDOW_GRID_MS",
    "ORDER_WINDOW_MS",
    "ORDER_WINDOW_SEARCH_MS",
    "gold_solution",
    "gold_spike_times_ms",
    "order_window_ms",
]
