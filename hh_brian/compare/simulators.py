"""Run one preset and protocol in Brian2, the NumPy reference, NEURON, NEST and MOOSE.

Each simulator integrates the same preset (parameters mapped with units by
:mod:`hh_brian.engines.simulators`), from the same resting state, under the same
protocol (a constant current from t = 0, or stimuli that add: steps, pulses,
sines, ...), with its own integrator at the common step ``dt`` and again at a
fine step.  The external simulators get the protocol in their own form (NEURON
IClamps and ``Vector.play``, NEST ``I_e`` and generators, MOOSE ``inject``); each
row's ``stimulus`` says how, its notes state the known difference, and a
simulator with no form for a stimulus kind (noise in NEST) is refused before any
run.  Every run is scored against the gold solution of
:mod:`hh_brian.compare.scoring` (scipy DOP853 on the independent NumPy model,
``rtol = atol = 1e-12``; for stimuli, segment by segment between their edges):

- ``max_abs_dv_mV``: max |V - V_gold| on the common grid ``0, dt, 2 dt, ...``
  (modern convention, depolarisation positive, for every simulator);
- spike counts and spike-time errors: every trace's spikes are its upward
  crossings of the preset's threshold, interpolated linearly between samples
  (:func:`hh_brian.compare.scoring.crossing_times`) and paired with the gold spikes
  (:func:`hh_brian.compare.scoring.match_spikes`); the simulators' own spike rules
  are not used;
- ``wall_s``: the integration loop only, as each backend measures it.

A simulator that cannot express the preset (NEST for ``dayan_abbott``, whose
beta_m uses 0.0556/mV where NEST's ``hh_psc_alpha`` has 1/18) gets a row
marked ``cannot express`` with the reason; with ``approximate=True`` NEST's
closest model also runs with the preset's parameters, labelled as such.

The table, report and figure are written by :mod:`hh_brian.report.simulators_report`.
Messages name the parameters (``simulators``, ``dt``, ``fine_dt``); the command line
adds its flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, mV, second

from hh_brian.compare.runs import _divides, check_dts, run_engine
from hh_brian.compare.scoring import (
    GOLD_ATOL,
    GOLD_RTOL,
    GoldSolution,
    crossing_times,
    gold_solution,
    match_spikes,
    time_grid_ms,
)
from hh_brian.compare.simulator_rows import (
    CSV_COLUMNS,
    OWN_STIMULUS,
    SimulatorRow,
    empty_row,
)
from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, closest_names
from hh_brian.core.progress import Progress, counting, report
from hh_brian.core.text import current_label
from hh_brian.engines.reference_bridge import reference_solution
from hh_brian.engines.registry import engine_names, get_engine, is_available
from hh_brian.engines.simulators import install_hint
from hh_brian.models.drive import make_drive
from hh_brian.models.presets import Preset
from hh_brian.models.stimulus_base import Stimulus

SIMULATOR_NAMES = engine_names()
OWN_METHOD = DEFAULT_METHOD  #: hh-brian's own engines run its default method


@dataclass
class SimulatorComparison:
    """Result of :func:`compare_simulators`; ``gold_v_mV`` is modern, on ``gold_t_ms``."""

    preset: Preset
    current: Quantity | tuple[Stimulus, ...]
    duration: Quantity
    dt: Quantity
    fine_dt: Quantity
    gold: GoldSolution
    gold_v_mV: np.ndarray
    rows: list[SimulatorRow] = field(default_factory=list)

    def row(self, simulator: str, dt: Quantity, status: str | None = None) -> SimulatorRow:
        """The row of *simulator* at *dt* (and *status*, if given)."""
        for row in self.rows:
            if (
                row.simulator == simulator
                and abs(float(row.dt / dt) - 1) < 1e-9
                and (status is None or row.status == status)
            ):
                return row
        raise KeyError(f"no row for {simulator} at {dt}")

    @property
    def protocol_text(self) -> str:
        """The injected current in words (a constant, or the stimuli joined by ``+``)."""
        if isinstance(self.current, Quantity):
            return f"constant {current_label(self.current)} from t = 0"
        return " + ".join(s.describe() for s in self.current)


# --------------------------------------------------------------------------- checks


def check_simulators(names: Sequence[str]) -> None:
    """Raise :class:`HHBrianInputError` for an empty list, unknown, repeated or missing names."""
    if not names:
        raise HHBrianInputError(f"simulators: empty list; give some of {','.join(SIMULATOR_NAMES)}")
    for name in names:
        if name not in SIMULATOR_NAMES:
            raise HHBrianInputError(
                f"simulators: unknown simulator {name!r}.{closest_names(name, SIMULATOR_NAMES)}"
                f" Valid: {','.join(SIMULATOR_NAMES)}"
            )
        if not is_available(name):
            raise HHBrianInputError(
                f"simulators: {name} is not installed; install it with "
                f"`{install_hint(name)}` (or `{get_engine(name).install_hint}`), or leave it out"
            )
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        raise HHBrianInputError(
            f"simulators: {repeated[0]!r} is given more than once; give each simulator once"
        )


def check_current(
    preset: Preset,
    current: Quantity | Sequence[Stimulus],
    *,
    simulators: Sequence[str],
    dt: Quantity,
    duration: Quantity,
) -> None:
    """Check the protocol on the grid of *dt* and that every simulator can express it.

    Raises
    ------
    HHBrianInputError
        Naming ``current`` for an edge off the grid or a current in the wrong units.
    SimulatorCannotExpress
        Naming the simulator and the stimulus kind it has no form for.
    """
    from hh_brian.engines.simulators import SimulatorCannotExpress

    if isinstance(current, Quantity):
        return
    try:
        make_drive(preset, list(current), dt, duration)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"current: {exc}") from None
    for name in simulators:
        engine = get_engine(name)
        if engine.package is None:
            continue
        why = engine.cannot_express_current(preset, list(current), dt=dt, duration=duration)
        if why:
            raise SimulatorCannotExpress(f"current: {why}")


def check_steps(dt: Quantity, fine_dt: Quantity, duration: Quantity) -> None:
    """*dt* divides *duration*; *fine_dt* is smaller than *dt* and divides it."""
    check_dts([dt], duration, what="dt")
    check_dts([fine_dt], duration, what="fine_dt")
    if not (fine_dt < dt and _divides(float(fine_dt / ms), float(dt / ms))):
        raise HHBrianInputError(
            f"fine_dt: {float(fine_dt / ms):g} ms must be smaller than dt "
            f"{float(dt / ms):g} ms and divide it, e.g. {float(dt / ms) / 10:g}*ms"
        )


# --------------------------------------------------------------------------- runs


def modern_mV(preset: Preset, v_mV: np.ndarray) -> np.ndarray:
    """*v_mV* in *preset*'s convention, mapped to the modern one (depolarisation positive)."""
    convention = preset.convention
    return float(convention.offset / mV) + convention.sign * np.asarray(v_mV)


def _thresholdmodern_mV(preset: Preset) -> float:
    return float(preset.convention.to_modern(preset.parameters["V_spike"]) / mV)


def score_trace(
    comparison: SimulatorComparison,
    *,
    simulator: str,
    status: str,
    scheme: str,
    dt: Quantity,
    t_ms: np.ndarray,
    v_mV: np.ndarray,
    wall_s: float,
    notes: Sequence[str],
    stimulus: str = "",
) -> SimulatorRow:
    """Score a modern-convention trace on the common grid and by its spikes.

    The trace is interpolated onto the grid of ``comparison.dt`` (up to its last
    sample), so traces of n or n + 1 samples, or on a finer grid, score alike.
    """
    if not np.all(np.isfinite(v_mV)):
        return empty_row(simulator, "blew up", scheme, dt, (*notes, "non-finite voltage"))
    grid = time_grid_ms(comparison.dt, comparison.duration)
    grid = grid[grid <= t_ms[-1] + 1e-9]
    gold = modern_mV(comparison.preset, comparison.gold.at(grid))
    dv = np.interp(grid, t_ms, v_mV) - gold
    spikes = crossing_times(t_ms, v_mV, _thresholdmodern_mV(comparison.preset))
    gold_spikes = comparison.gold.spikes_ms[comparison.gold.spikes_ms <= t_ms[-1]]
    return SimulatorRow(
        simulator=simulator,
        status=status,
        scheme=scheme,
        dt=dt,
        t_ms=np.asarray(t_ms, dtype=float),
        v_mV=np.asarray(v_mV, dtype=float),
        spikes_ms=spikes,
        match=match_spikes(spikes, gold_spikes),
        max_abs_dv=float(np.max(np.abs(dv))) * mV,
        wall_time=wall_s * second,
        notes=tuple(notes),
        stimulus=stimulus,
    )


def _own_engine_row(comparison: SimulatorComparison, engine: str, dt: Quantity) -> SimulatorRow:
    preset = comparison.preset
    scheme = f"exponential Euler ({'Brian2 exponential_euler' if engine == 'brian2' else 'NumPy'})"
    try:
        run = run_engine(
            preset,
            engine,
            OWN_METHOD,
            dt=dt,
            current=comparison.current,
            duration=comparison.duration,
        )
    except SimulationBlowUpError as exc:
        return empty_row(engine, "blew up", scheme, dt, (str(exc),))
    return score_trace(
        comparison,
        simulator=engine,
        status="ok",
        scheme=scheme,
        dt=dt,
        t_ms=run.t_ms,
        v_mV=modern_mV(preset, run.v_mV),
        wall_s=run.wall_s,
        notes=(),
        stimulus=OWN_STIMULUS,
    )


def _external_rows(
    comparison: SimulatorComparison, name: str, dt: Quantity, approximate: bool
) -> list[SimulatorRow]:
    from hh_brian.engines.simulators import SimulatorCannotExpress

    engine = get_engine(name)

    def run(**options):
        return engine.run(
            comparison.preset,
            current=comparison.current,
            duration=comparison.duration,
            dt=dt,
            **options,
        )

    rows = []
    try:
        traces = [("ok", run())]
    except SimulatorCannotExpress as exc:
        rows.append(empty_row(name, "cannot express", "-", dt, (str(exc),)))
        if not approximate or engine.cannot_express(comparison.preset):
            return rows
        traces = [("approximate", run(approximate=True))]
    for status, trace in traces:
        rows.append(
            score_trace(
                comparison,
                simulator=name,
                status=status,
                scheme=str(trace.info["scheme"]),
                dt=dt,
                t_ms=np.asarray(trace.t / ms),
                v_mV=modern_mV(comparison.preset, np.asarray(trace.v[0] / mV)),
                wall_s=trace.wall_time,
                notes=tuple(trace.info["notes"]),
                stimulus=str(trace.info.get("stimulus", "")),
            )
        )
    return rows


def gold_for(preset: Preset, current, duration: Quantity, dt: Quantity, fine_dt: Quantity):
    """The gold solution on the fine grid (which holds the coarse one)."""
    if isinstance(current, Quantity):
        return gold_solution(preset, current, duration, [dt, fine_dt])
    run = reference_solution(
        preset, current=list(current), duration=duration, dt=fine_dt, rtol=GOLD_RTOL, atol=GOLD_ATOL
    )
    return GoldSolution(
        t_ms=np.asarray(run.t / ms),
        v_mV=np.asarray(run.v[0] / mV),
        spikes_ms=np.asarray(run.spike_times / ms),
        solver=f"scipy {run.method.replace(':', ' ')}, segment by segment between stimulus edges, "
        f"rtol={GOLD_RTOL:g}, atol={GOLD_ATOL:g}",
    )


def compare_simulators(
    preset: Preset,
    *,
    simulators: Sequence[str] = SIMULATOR_NAMES,
    dt: Quantity = 0.025 * ms,
    fine_dt: Quantity = 0.0025 * ms,
    current: Quantity | Stimulus | Sequence[Stimulus],
    duration: Quantity = 100 * ms,
    approximate: bool = True,
    progress: Progress = None,
) -> SimulatorComparison:
    """Run *preset* in each simulator at *dt* and *fine_dt* and score it against gold.

    Parameters
    ----------
    preset : Preset
    simulators : sequence of str
        Names from :data:`SIMULATOR_NAMES`.
    dt, fine_dt : Quantity
        The common step and a finer one (dividing *dt*).
    current : Quantity, Stimulus or sequence of Stimulus
        A constant current from t = 0 (density, or current for presets with an
        area), or stimuli that add (:mod:`hh_brian.models.stimuli`).  Each external
        simulator gets them in its own form (IClamps, generators, ``inject``); the
        rows' ``stimulus`` says how, and their notes state the known difference.
        The gold solution then integrates the protocol segment by segment
        (:func:`~hh_brian.engines.reference_bridge.reference_solution` at *fine_dt*).
    duration : Quantity
    approximate : bool
        Where a simulator cannot express the preset, also run its closest model
        (status ``"approximate"``).
    progress : callable, optional
        Receives a :class:`~hh_brian.core.progress.Step` before each run.

    Returns
    -------
    SimulatorComparison

    Raises
    ------
    HHBrianInputError
        For bad names, steps or stimuli (:func:`check_current`); a simulator that
        cannot express a stimulus raises :class:`SimulatorCannotExpress` before any run.
    """
    check_simulators(simulators)
    check_steps(dt, fine_dt, duration)
    if isinstance(current, Stimulus):
        current = (current,)
    elif not isinstance(current, Quantity):
        current = tuple(current)
    check_current(preset, current, simulators=simulators, dt=dt, duration=duration)
    report(progress, "comparing simulators", note="gold solution")
    gold = gold_for(preset, current, duration, dt, fine_dt)
    comparison = SimulatorComparison(
        preset=preset,
        current=current,
        duration=duration,
        dt=dt,
        fine_dt=fine_dt,
        gold=gold,
        gold_v_mV=modern_mV(preset, gold.v_mV),
    )
    runs = [(name, step) for name in simulators for step in (dt, fine_dt)]
    for name, step in counting(progress, "comparing simulators", runs):
        if get_engine(name).package is None:  # hh-brian's own engines
            comparison.rows.append(_own_engine_row(comparison, name, step))
        else:
            comparison.rows.extend(_external_rows(comparison, name, step, approximate))
    return comparison


__all__ = [
    "CSV_COLUMNS",
    "OWN_STIMULUS",
    "SIMULATOR_NAMES",
    "SimulatorComparison",
    "SimulatorRow",
    "check_current",
    "check_simulators",
    "check_steps",
    "compare_simulators",
    "gold_for",
    "modern_mV",
    "score_trace",
]
