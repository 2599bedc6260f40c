"""Compare integration methods and time steps against a tight-tolerance gold solution.

For every (engine, method, dt) the preset is integrated under a constant
current, and the run is scored against :func:`hh_brian.compare.scoring.gold_solution`
(scipy DOP853, ``rtol = atol = 1e-12``) evaluated at the run's own sample times:

- ``max_abs_dv_mV``, ``rms_dv_mV``: max and RMS of |V - V_gold| over the run;
- ``window_max_abs_dv_mV``: max |V - V_gold| on the order window (below);
- spike counts and spike-time errors of matched spikes
  (:func:`hh_brian.compare.scoring.match_spikes`; crossings interpolated from the
  recorded voltage, not Brian2's step-quantised spike times);
- ``wall_s``: wall time of the integration loop only, monitors included, and
  the resulting neuron-steps per second.  Brian2: the time ``Network.run``
  spends in its time-step loop, which Brian2 itself records in
  ``device._last_run_time`` *after* ``before_run`` (code generation and
  compilation, cold or cached) has finished; reference: the call of
  :func:`hh_brian.engines.reference.integrate`;
- ``blew_up``: the run produced NaN/Inf or a gate left [0, 1]
  (:class:`~hh_brian.core.errors.SimulationBlowUpError`); the row is kept.

Observed order
--------------
Per (engine, method), two regressions of log(error) on log(dt) over the dts
that did not blow up (Dayan & Abbott 2001, section 5.6, and Brian2's state-updater
documentation for the schemes; diffrax's test-suite practice for measuring it):

- **V**: max |V - V_gold| on the window from rest to 1 ms past the gold
  solution's first spike (:func:`hh_brian.compare.crossval_gold.order_window_ms`, capped at
  the duration).  Over a whole repetitively firing run the voltage error
  saturates at the spike height once spike times shift, so the whole-run
  error measures no order.
- **spike times**: max |t - t_gold| of the matched spikes, over the dts whose
  runs matched every gold spike without extras.  Linear interpolation of the
  crossings is O(dt^2), so it cannot show an order above 2.

A fit is reported as an order only in the asymptotic regime; otherwise
:class:`OrderFit` lists why not (``problems``): fewer than 3 dts (the regime
cannot be checked), slopes between neighbouring dts differing by more than
``LOCAL_SLOPE_SPREAD``, or errors above ``SATURATION_FRACTION`` of their scale
(the gold's voltage swing on the window; the shortest gold inter-spike
interval).  Errors at the gold solution's own accuracy
(:data:`hh_brian.compare.observed_order.GOLD_FLOOR_MV`) are left out of the fit.

Input checks, the engine runs and their scored rows are in :mod:`hh_brian.compare.runs`,
gold solution and spike pairing in :mod:`hh_brian.compare.scoring`, the order fit in
:mod:`hh_brian.compare.convergence`; their public names are re-exported here.  The output
(CSV, terminal tables, Markdown report, figure) is drawn and written by
:mod:`hh_brian.report.compare_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, mV, second

from hh_brian.compare.convergence import (
    CROSSING_ORDER,
    LOCAL_SLOPE_SPREAD,
    SATURATION_FRACTION,
    SPIKE_FLOOR_MS,
    OrderFit,
    fit_order,
)
from hh_brian.compare.crossval_gold import order_window_ms
from hh_brian.compare.observed_order import GOLD_FLOOR_MV
from hh_brian.compare.runs import (
    ALL_METHODS,
    CSV_COLUMNS,
    DIVIDES_RTOL,
    ENGINE_METHODS,
    ENGINES,
    WALL_INCLUDES_CODEGEN,
    EngineRun,
    MethodRow,
    blown_up_row,
    check_dts,
    check_methods,
    check_target,
    nice_divisor,
    run_engine,
    score_run,
)
from hh_brian.compare.scoring import (
    GOLD_ATOL,
    GOLD_RTOL,
    GRID_TOLERANCE_MS,
    GoldSolution,
    SpikeMatch,
    crossing_times,
    gold_solution,
    match_spikes,
    merged_grid_ms,
    time_grid_ms,
)
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.progress import Progress, counting, report
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.models.drive import make_drive
from hh_brian.models.presets import Preset
from hh_brian.models.stimulus_base import Stimulus

__all__ = [
    "ALL_METHODS",
    "CSV_COLUMNS",
    "DIVIDES_RTOL",
    "ENGINES",
    "ENGINE_METHODS",
    "WALL_INCLUDES_CODEGEN",
    "GOLD_ATOL",
    "GOLD_RTOL",
    "GRID_TOLERANCE_MS",
    "LOCAL_SLOPE_SPREAD",
    "SATURATION_FRACTION",
    "EngineRun",
    "GoldSolution",
    "MethodComparison",
    "MethodRow",
    "OrderFit",
    "Recommendation",
    "SpikeMatch",
    "blown_up_row",
    "check_dts",
    "check_methods",
    "check_target",
    "compare_methods",
    "crossing_times",
    "fit_order",
    "gold_solution",
    "match_spikes",
    "merged_grid_ms",
    "nice_divisor",
    "run_engine",
    "score_run",
    "time_grid_ms",
]


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Recommendation:
    """The cheapest row meeting the spike-time target, or why there is none."""

    target: Quantity
    row: MethodRow | None
    reason: str


@dataclass
class MethodComparison:
    """Result of :func:`compare_methods`.

    ``window`` is the order window 0..window (see the module docstring).
    """

    preset: Preset
    current: Quantity
    duration: Quantity
    gold: GoldSolution
    window: Quantity | None = None
    rows: list[MethodRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def order_window(self) -> Quantity:
        return self.duration if self.window is None else self.window

    def _pairs(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((r.engine, r.method) for r in self.rows))

    def _rows_of(self, engine: str, method: str) -> list[MethodRow]:
        return [r for r in self.rows if (r.engine, r.method) == (engine, method) and not r.blew_up]

    def orders(self) -> list[OrderFit]:
        """Order of max|dV| on the window, per (engine, method), over the dts that ran."""
        window_ms = float(self.order_window / ms)
        in_window = self.gold.t_ms <= window_ms + GRID_TOLERANCE_MS
        swing = float(np.ptp(self.gold.v_mV[in_window]))
        fits = []
        for engine, method in self._pairs():
            rows = self._rows_of(engine, method)
            observed, dts, errors, local, problems, notes = fit_order(
                [float(r.dt / ms) for r in rows],
                [float(r.window_max_abs_dv / mV) for r in rows],
                floor=GOLD_FLOOR_MV,
                saturation=SATURATION_FRACTION * swing,
                scale=f"the gold's {swing:.3g} mV swing on the window",
                unit="mV",
            )
            fits.append(
                OrderFit(
                    engine,
                    method,
                    INTEGRATORS[method].order,
                    observed,
                    dts * ms,
                    self.order_window,
                    errors=tuple(errors),
                    local_slopes=local,
                    problems=tuple(problems),
                    notes=tuple(notes),
                )
            )
        return fits

    def spike_time_orders(self) -> list[OrderFit]:
        """Order of the max spike-time error, per (engine, method), over complete runs."""
        gold = np.sort(self.gold.spikes_ms)
        if gold.size == 0:
            return []
        shortest = float(np.min(np.diff(gold))) if gold.size > 1 else float(gold[0])
        scale = (
            f"the shortest gold inter-spike interval, {shortest:.3g} ms"
            if gold.size > 1
            else f"the time of the only gold spike, {shortest:.3g} ms"
        )
        fits = []
        for engine, method in self._pairs():
            rows = self._rows_of(engine, method)
            complete = [r for r in rows if r.spikes and r.spikes.complete]
            observed, dts, errors, local, problems, notes = fit_order(
                [float(r.dt / ms) for r in complete],
                [float(r.spike_error_max / ms) for r in complete],
                floor=SPIKE_FLOOR_MS,
                saturation=SATURATION_FRACTION * shortest,
                scale=scale,
                unit="ms",
            )
            declared = INTEGRATORS[method].order
            if declared > CROSSING_ORDER:
                problems.append(
                    f"linearly interpolated crossings are O(dt^{CROSSING_ORDER}): spike times "
                    f"cannot show order {declared}"
                )
            if len(complete) < len(rows):
                notes.append(
                    f"{len(rows) - len(complete)} dt(s) with missed or extra spikes left out"
                )
            fits.append(
                OrderFit(
                    engine,
                    method,
                    declared,
                    observed,
                    dts * ms,
                    self.duration,
                    quantity="spike times",
                    unit="ms",
                    errors=tuple(errors),
                    local_slopes=local,
                    problems=tuple(problems),
                    notes=tuple(notes),
                )
            )
        return fits

    def recommend(self, target: Quantity) -> Recommendation:
        """Cheapest (least wall time) row whose max spike-time error is <= *target*.

        A row qualifies only if it did not blow up and matched every gold
        spike without extra spikes.
        """
        check_target(target)
        if self.gold.spikes_ms.size == 0:
            return Recommendation(target, None, "the gold solution fires no spike")
        complete = [r for r in self.rows if not r.blew_up and r.spikes and r.spikes.complete]
        meeting = [r for r in complete if r.spike_error_max <= target]
        if meeting:
            best = min(meeting, key=lambda r: float(r.wall_time / second))
            return Recommendation(
                target,
                best,
                f"{best.engine}/{best.method} at dt = {float(best.dt / ms):g} ms: max spike-time "
                f"error {float(best.spike_error_max / ms):.3g} ms <= "
                f"{float(target / ms):g} ms in {float(best.wall_time / second):.3g} s",
            )
        if not complete:
            return Recommendation(target, None, "no run matched every gold spike")
        closest = min(complete, key=lambda r: float(r.spike_error_max / ms))
        return Recommendation(
            target,
            None,
            f"no run met {float(target / ms):g} ms; the most accurate was "
            f"{closest.engine}/{closest.method} at dt = {float(closest.dt / ms):g} ms "
            f"({float(closest.spike_error_max / ms):.3g} ms): add smaller dts",
        )


def check_stimuli(
    preset: Preset, stimuli: Sequence[Stimulus], dts: Sequence[Quantity], duration: Quantity
) -> list[Stimulus]:
    """Stimuli a comparison across time steps can use: the same input at every dt.

    Raises
    ------
    HHBrianInputError
        For noise, whose sampled path depends on dt, or an edge off one dt's grid.
    """
    for stimulus in stimuli:
        if stimulus.kind in ("noise", "lecture_noise"):
            raise HHBrianInputError(
                f"current: a {stimulus.kind} stimulus is sampled on each dt's own grid, so "
                "every dt would see a different input; compare methods on deterministic "
                "stimuli (step, pulses, ramp, sine, file)"
            )
    for dt in dts:
        make_drive(preset, list(stimuli), dt, duration)  # every edge on every grid
    return list(stimuli)


def compare_methods(
    preset: Preset,
    *,
    methods: Sequence[str],
    dts: Sequence[Quantity],
    current: Quantity | Sequence[Stimulus],
    duration: Quantity,
    engines: Sequence[str] = ENGINES,
    progress: Progress = None,
    order_window: bool = True,
) -> MethodComparison:
    """Run every (engine, method, dt) and score it against the gold solution.

    Parameters
    ----------
    preset : Preset
    methods : sequence of str
        Method names, each once; a method an engine does not offer (e.g.
        ``exponential_euler_tau`` on Brian2) is skipped for that engine and
        listed in ``skipped``.
    dts : sequence of Quantity
        Distinct time steps; each must divide *duration*.
    current : Quantity or sequence of Stimulus
        Constant injected current (density, or current for presets with an area),
        or stimuli that add; their edges must lie on every dt's grid, and noise
        (whose path depends on dt) is refused.
    duration : Quantity
    engines : sequence of str
        ``"brian2"`` and/or ``"reference"``, each once.
    progress : callable, optional
        Receives a :class:`~hh_brian.core.progress.Step` before each run.
    order_window : bool
        Find the window from rest to just past the first spike for the voltage orders
        (one more gold solve); False scores the whole run there too (spike times only).

    Returns
    -------
    MethodComparison
    """
    check_methods(methods, engines)
    dts = check_dts(dts, duration)
    if isinstance(current, list | tuple):
        current = check_stimuli(preset, current, dts, duration)
        window = duration
    elif not order_window:
        window = duration
    else:
        window = min(order_window_ms(preset, current), float(duration / ms)) * ms
    report(progress, TASK, note="gold solution")
    comparison = MethodComparison(
        preset=preset,
        current=current,
        duration=duration,
        gold=gold_solution(preset, current, duration, dts),
        window=window,
    )
    for engine in engines:
        skipped = [m for m in methods if m not in ENGINE_METHODS[engine]]
        comparison.skipped += [f"{engine} has no method {m!r}" for m in skipped]
    runs = [
        (engine, method, dt)
        for engine in engines
        for method in methods
        if method in ENGINE_METHODS[engine]
        for dt in dts
    ]
    for engine, method, dt in counting(progress, TASK, runs):
        try:
            run = run_engine(preset, engine, method, dt=dt, current=current, duration=duration)
        except SimulationBlowUpError as exc:
            n_steps = int(round(float(duration / dt)))
            comparison.rows.append(blown_up_row(engine, method, dt, n_steps, str(exc)))
            continue
        comparison.rows.append(score_run(preset, engine, method, dt, run, comparison.gold, window))
    return comparison


#: The progress task of :func:`compare_methods`.
TASK = "comparing methods"
