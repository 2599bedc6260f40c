"""Measured cost of one step of each method, relative to exponential Euler.

From ``benchmarks/step_cost.py`` (``benchmarks/results/step_cost.json``: the
cpp_standalone fast path, whose loop timer excludes Brian2's per-run overhead, Dayan &
Abbott, N = 100 000 neurons, 2000 steps, the methods interleaved, ratio of the medians
of 3): ns per neuron-step divided by exponential Euler's.  The cost of a
simulated millisecond is ``relative step cost / dt``; the demo's accuracy-against-cost
panel and the README's defaults table use it.  Rerun the benchmark to update.
"""

from __future__ import annotations

__all__ = ["RELATIVE_STEP_COST", "relative_cost_per_ms"]

#: ns per neuron-step / exponential Euler's, measured in one run (see the module doc).
RELATIVE_STEP_COST = {
    "exponential_euler": 1.0,
    "exponential_euler_tau": 1.0,
    "euler": 0.70,
    "rk4": 2.65,
    "rush_larsen2": 1.88,
}


def relative_cost_per_ms(method: str, dt_ms: float) -> float:
    """Cost of one simulated ms in units of an exponential-Euler step (``cost / dt``).

    >>> relative_cost_per_ms("exponential_euler", 0.01)
    100.0
    """
    return RELATIVE_STEP_COST[method] / dt_ms
