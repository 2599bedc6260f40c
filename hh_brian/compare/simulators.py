"""Run one preset and protocol in Brian2, the NumPy reference, NEURON, NEST and MOOSE.

Each simulator integrates the same preset (parameters mapped with units by
:mod:`hh_brian.engines.simulators`), from the same resting state, under the same
constant current switched on at t = 0, with its own integrator at the common
step ``dt`` and again at a fine step.  Every run is scored against the gold
solution of :mod:`hh_brian.compare.scoring` (scipy DOP853 on the independent NumPy
model, ``rtol = atol = 1e-12``):

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, mV, second

from hh_brian.compare.methods import _divides, check_dts, run_engine
from hh_brian.compare.scoring import (
    GoldSolution,
    SpikeMatch,
    crossing_times,
    gold_solution,
    match_spikes,
    time_grid_ms,
)
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, closest_names
from hh_brian.models.presets import Preset
from hh_brian.report import tables

SIMULATOR_NAMES = ("brian2", "reference", "neuron", "nest", "moose")
#: Method used for hh-brian's own engines (Brian2's recommended HH scheme).
OWN_METHOD = "exponential_euler"
INSTALL = "pip install 'hh-brian[simulators]'"

#: Why each simulator's numbers differ from the gold solution (for the report).
EXPLANATIONS = {
    "brian2": "Brian2 `exponential_euler`: every variable is advanced from the state at the "
    "start of the step (conductances and rates frozen), first order. Brian2 itself reports "
    "a spike at the start of the step in which V crossed the threshold; here the crossing "
    "is interpolated from the recorded V like every other row.",
    "reference": "hh-brian's NumPy engine, exponential Euler in Brian2's algebraic form "
    "with independently written rate functions: it agrees with Brian2 to round-off, which "
    "checks the Brian2 rendering of the preset, not the scheme.",
    "neuron": "NEURON 9, one section (nseg = 1, area 100 um^2 unless the preset has one), "
    "IClamp in nA = density x area. The adapter runs Crank-Nicolson (secondorder = 2, gates "
    "staggered by dt/2, second order); NEURON's own default is backward Euler "
    "(secondorder = 0, first order). Rates are exact (usetable_hh = 0; NEURON's default "
    "1 mV tables would add an error that does not shrink with dt).",
    "nest": "NEST 3.10 point neuron in absolute units (pF, nS, pA on 100 um^2). GSL's "
    "adaptive RKF45 (fifth order) runs inside each resolution step with an absolute "
    "tolerance of 1e-3 on every state and no relative tolerance; the resolution caps its "
    "internal step, so its voltage error is far below that tolerance and falls steeply with "
    "dt, and its spike-time error is then mostly the linear crossing detector's own "
    "(order dt^2). `hh_psc_alpha` has the 1952 rates at 6.3 degC with no temperature "
    "factor; NEST's own spike rule (V >= 0 mV and falling, i.e. after the peak, with a 2 ms "
    "dead time) is not used.",
    "moose": "MOOSE 5 (pymoose) compartment with HHChannels: gates come from tables "
    "(3000 divisions over -110..50 mV, linear interpolation), an error of order (table "
    "step)^2 that does not shrink with dt; gates and V are advanced by exponential Euler "
    "in turn (the GENESIS scheme), which converged at order about 2 on these protocols "
    "(tests/test_compare_simulators.py).",
}

#: Plot markers; Brian2's larger circle stays visible under the reference's cross.
MARKERS = {"brian2": "o", "reference": "x", "neuron": "s", "nest": "^", "moose": "D"}

CSV_COLUMNS = (
    "simulator",
    "status",
    "scheme",
    "dt_ms",
    "n_spikes",
    "n_gold_spikes",
    "n_matched",
    "n_missed",
    "n_extra",
    "spike_err_mean_ms",
    "spike_err_max_ms",
    "max_abs_dv_mV",
    "wall_s",
    "notes",
)


@dataclass(frozen=True)
class SimulatorRow:
    """One simulator at one dt, scored against the gold solution.

    ``status`` is ``"ok"``, ``"approximate"`` (a closest model, labelled),
    ``"cannot express"`` (no run; the reason is in ``notes``) or ``"blew up"``.
    ``t_ms``/``v_mV`` (modern convention) and ``spikes_ms`` are empty without a run.
    """

    simulator: str
    status: str
    scheme: str
    dt: Quantity
    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    match: SpikeMatch | None
    max_abs_dv: Quantity
    wall_time: Quantity
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        suffix = " (approximate)" if self.status == "approximate" else ""
        return f"{self.simulator}{suffix} dt={float(self.dt / ms):g} ms"

    @property
    def has_run(self) -> bool:
        return self.status in ("ok", "approximate")

    def csv_values(self) -> dict[str, object]:
        """Values for :data:`CSV_COLUMNS` (plain numbers in the units the names state)."""
        m = self.match
        num = tables.format_number
        return {
            "simulator": self.simulator,
            "status": self.status,
            "scheme": self.scheme,
            "dt_ms": num(self.dt / ms),
            "n_spikes": m.n_spikes if m else "",
            "n_gold_spikes": m.n_gold if m else "",
            "n_matched": m.n_matched if m else "",
            "n_missed": m.n_missed if m else "",
            "n_extra": m.n_extra if m else "",
            "spike_err_mean_ms": num(m.mean_error / ms) if m else "",
            "spike_err_max_ms": num(m.max_error / ms) if m else "",
            "max_abs_dv_mV": num(self.max_abs_dv / mV),
            "wall_s": num(self.wall_time / second),
            "notes": "; ".join(self.notes),
        }


@dataclass
class SimulatorComparison:
    """Result of :func:`compare_simulators`; ``gold_v_mV`` is modern, on ``gold_t_ms``."""

    preset: Preset
    current: Quantity
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


# --------------------------------------------------------------------------- checks


def check_simulators(names: Sequence[str]) -> None:
    """Raise :class:`HHBrianInputError` for an empty list, unknown, repeated or missing names."""
    from hh_brian.engines.simulators import SIMULATORS, is_installed

    if not names:
        raise HHBrianInputError(
            f"--simulators: empty list; give some of {','.join(SIMULATOR_NAMES)}"
        )
    for name in names:
        if name not in SIMULATOR_NAMES:
            raise HHBrianInputError(
                f"--simulators: unknown simulator {name!r}.{closest_names(name, SIMULATOR_NAMES)}"
                f" Valid: {','.join(SIMULATOR_NAMES)}"
            )
        if name in SIMULATORS and not is_installed(name):
            raise HHBrianInputError(
                f"--simulators: {name} is not installed; install it with `{INSTALL}` "
                f"(or `pip install {SIMULATORS[name][2]}`), or leave it out of --simulators"
            )
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        raise HHBrianInputError(
            f"--simulators: {repeated[0]!r} is given more than once; give each simulator once"
        )


def check_steps(dt: Quantity, fine_dt: Quantity, duration: Quantity) -> None:
    """*dt* divides *duration*; *fine_dt* is smaller than *dt* and divides it."""
    check_dts([dt], duration, what="--dt")
    check_dts([fine_dt], duration, what="--fine-dt")
    if not (fine_dt < dt and _divides(float(fine_dt / ms), float(dt / ms))):
        raise HHBrianInputError(
            f"--fine-dt: {float(fine_dt / ms):g} ms must be smaller than --dt "
            f"{float(dt / ms):g} ms and divide it, e.g. {float(dt / ms) / 10:g}*ms"
        )


# --------------------------------------------------------------------------- runs


def _modern_mV(preset: Preset, v_mV: np.ndarray) -> np.ndarray:
    convention = preset.convention
    return float(convention.offset / mV) + convention.sign * np.asarray(v_mV)


def _threshold_modern_mV(preset: Preset) -> float:
    return float(preset.convention.to_modern(preset.parameters["V_spike"]) / mV)


def _scored(
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
) -> SimulatorRow:
    """Score a modern-convention trace on the common grid and by its spikes."""
    if not np.all(np.isfinite(v_mV)):
        return _empty_row(simulator, "blew up", scheme, dt, (*notes, "non-finite voltage"))
    grid = time_grid_ms(comparison.dt, comparison.duration)
    grid = grid[grid <= t_ms[-1] + 1e-9]
    gold = _modern_mV(comparison.preset, comparison.gold.at(grid))
    dv = np.interp(grid, t_ms, v_mV) - gold
    spikes = crossing_times(t_ms, v_mV, _threshold_modern_mV(comparison.preset))
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
    )


def _empty_row(
    simulator: str, status: str, scheme: str, dt: Quantity, notes: Sequence[str]
) -> SimulatorRow:
    empty = np.empty(0)
    return SimulatorRow(
        simulator=simulator,
        status=status,
        scheme=scheme,
        dt=dt,
        t_ms=empty,
        v_mV=empty,
        spikes_ms=empty,
        match=None,
        max_abs_dv=np.nan * mV,
        wall_time=np.nan * second,
        notes=tuple(notes),
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
        return _empty_row(engine, "blew up", scheme, dt, (str(exc),))
    return _scored(
        comparison,
        simulator=engine,
        status="ok",
        scheme=scheme,
        dt=dt,
        t_ms=run.t_ms,
        v_mV=_modern_mV(preset, run.v_mV),
        wall_s=run.wall_s,
        notes=(),
    )


def _external_rows(
    comparison: SimulatorComparison, name: str, dt: Quantity, approximate: bool
) -> list[SimulatorRow]:
    from hh_brian.engines.reference_bridge import current_density_uA_cm2
    from hh_brian.engines.simulators import SimulatorCannotExpress, run_simulator

    kwargs = dict(
        current_density_uA_cm2=float(current_density_uA_cm2(comparison.preset, comparison.current)),
        duration_ms=float(comparison.duration / ms),
        dt_ms=float(dt / ms),
        v_threshold_mV=_threshold_modern_mV(comparison.preset),
    )
    rows = []
    try:
        traces = [("ok", run_simulator(name, comparison.preset, **kwargs))]
    except SimulatorCannotExpress as exc:
        rows.append(_empty_row(name, "cannot express", "-", dt, (str(exc),)))
        if not approximate:
            return rows
        traces = [
            ("approximate", run_simulator(name, comparison.preset, approximate=True, **kwargs))
        ]
    for status, trace in traces:
        rows.append(
            _scored(
                comparison,
                simulator=name,
                status=status,
                scheme=trace.scheme,
                dt=dt,
                t_ms=trace.t_ms,
                v_mV=trace.v_mV,
                wall_s=trace.wall_s,
                notes=trace.notes,
            )
        )
    return rows


def compare_simulators(
    preset: Preset,
    *,
    simulators: Sequence[str] = SIMULATOR_NAMES,
    dt: Quantity = 0.025 * ms,
    fine_dt: Quantity = 0.0025 * ms,
    current: Quantity,
    duration: Quantity = 100 * ms,
    approximate: bool = True,
) -> SimulatorComparison:
    """Run *preset* in each simulator at *dt* and *fine_dt* and score it against gold.

    Parameters
    ----------
    preset : Preset
    simulators : sequence of str
        Names from :data:`SIMULATOR_NAMES`.
    dt, fine_dt : Quantity
        The common step and a finer one (dividing *dt*).
    current : Quantity
        Constant current from t = 0 (density, or current for presets with an area).
    duration : Quantity
    approximate : bool
        Where a simulator cannot express the preset, also run its closest model
        (status ``"approximate"``).

    Returns
    -------
    SimulatorComparison
    """
    check_simulators(simulators)
    check_steps(dt, fine_dt, duration)
    gold = gold_solution(preset, current, duration, [dt, fine_dt])
    comparison = SimulatorComparison(
        preset=preset,
        current=current,
        duration=duration,
        dt=dt,
        fine_dt=fine_dt,
        gold=gold,
        gold_v_mV=_modern_mV(preset, gold.v_mV),
    )
    for name in simulators:
        for step in (dt, fine_dt):
            if name in ("brian2", "reference"):
                comparison.rows.append(_own_engine_row(comparison, name, step))
            else:
                comparison.rows.extend(_external_rows(comparison, name, step, approximate))
    return comparison


# --------------------------------------------------------------------------- output


def csv_text(rows: Sequence[SimulatorRow]) -> str:
    """The simulator table as CSV (header names the units)."""
    return tables.csv_text(rows, CSV_COLUMNS)


def text_table(rows: Sequence[SimulatorRow]) -> str:
    """A fixed-width summary for the terminal."""
    columns = [
        ("simulator", "<10"),
        ("status", "<15"),
        ("dt_ms", ">7"),
        ("spikes", ">7"),
        ("err_max_ms", ">11"),
        ("max|dV|_mV", ">11"),
        ("wall_s", ">9"),
    ]
    cells = []
    for row in rows:
        v = row.csv_values()
        cells.append(
            (
                row.simulator,
                row.status,
                v["dt_ms"],
                f"{v['n_spikes']}/{v['n_gold_spikes']}" if row.match else "-",
                v["spike_err_max_ms"] or "-",
                v["max_abs_dv_mV"] or "-",
                v["wall_s"] or "-",
            )
        )
    return tables.fixed_width(columns, cells)


def _title(comparison: SimulatorComparison) -> str:
    return tables.run_title(comparison.preset.name, comparison.duration, comparison.current)


def markdown_report(comparison: SimulatorComparison) -> str:
    """A Markdown report: protocol, table, and why the simulators differ."""
    columns = [c for c in CSV_COLUMNS if c != "notes"]
    lines = [
        f"# Simulator comparison: {_title(comparison)}",
        "",
        f"- preset: `{comparison.preset.name}` ({comparison.preset.citation})",
        f"- common dt {float(comparison.dt / ms):g} ms, fine dt "
        f"{float(comparison.fine_dt / ms):g} ms; constant current from t = 0, resting "
        "initial state",
        f"- gold solution: {comparison.gold.solver} on hh-brian's NumPy model; "
        f"{comparison.gold.spikes_ms.size} spikes",
        "- max_abs_dv_mV: on the common grid of the coarse dt, modern convention; spike times: "
        "upward threshold crossings interpolated linearly between samples, for every "
        "simulator alike; gold spikes paired with the nearest spike within half an "
        "inter-spike interval",
        "",
        *tables.markdown_table(comparison.rows, columns),
    ]
    lines += ["", "## Why they differ", ""]
    for name in dict.fromkeys(row.simulator for row in comparison.rows):
        lines.append(f"- **{name}**: {EXPLANATIONS[name]}")
        notes = dict.fromkeys(
            n for row in comparison.rows if row.simulator == name for n in row.notes
        )
        lines += [f"  - {note}" for note in notes]
    return "\n".join(lines) + "\n"


def plot_overlay(comparison: SimulatorComparison, path: str | Path) -> Path:
    """Voltage traces overlaid on the gold solution, a zoom on the last spike, spike errors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hh_brian.core.output import write_atomic

    figure, axes = plt.subplots(3, 1, figsize=(11, 10.5), layout="constrained")
    colours = dict(
        zip(SIMULATOR_NAMES, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False)
    )
    gold_t, gold_v = comparison.gold.t_ms, comparison.gold_v_mV
    gold_spikes = comparison.gold.spikes_ms
    for ax in axes[:2]:
        ax.plot(gold_t, gold_v, color="0.75", lw=5, label="gold (DOP853, rtol 1e-12)")
    coarse = [r for r in comparison.rows if r.has_run and r.dt == comparison.dt]
    for row in coarse:
        # Brian2 and the reference agree to round-off: a thick line under a dashed one.
        style = dict(
            color=colours[row.simulator],
            lw=2.4 if row.simulator == "brian2" else 1.1,
            label=row.label,
        )
        if row.status == "approximate" or row.simulator == "reference":
            style["ls"] = "--"
        for ax in axes[:2]:
            ax.plot(row.t_ms, row.v_mV, **style)
    if gold_spikes.size:
        last = gold_spikes[-1]
        axes[1].set_xlim(last - 1.0, last + 1.5)
        axes[1].set_title(
            f"zoom on the last gold spike (t = {last:.3f} ms), dt = "
            f"{float(comparison.dt / ms):g} ms"
        )
    axes[0].set_title(f"membrane potential at dt = {float(comparison.dt / ms):g} ms")
    for ax in axes[:2]:
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV, modern convention)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))

    for row in (r for r in comparison.rows if r.has_run and r.match is not None):
        errors = np.abs(np.asarray(row.match.errors / ms))
        fine = row.dt != comparison.dt
        axes[2].plot(
            np.arange(1, errors.size + 1),
            errors,
            color=colours[row.simulator],
            ls=":" if fine else "-",
            marker=MARKERS[row.simulator],
            markersize=9 if row.simulator == "brian2" else 6,
            markerfacecolor="none" if fine else colours[row.simulator],
            label=row.label,
        )
    axes[2].set_yscale("log")
    axes[2].set_xlabel("gold spike number")
    axes[2].set_ylabel("|t_spike - t_gold| (ms)")
    axes[2].set_title(
        "spike-time error per spike (filled: dt, hollow/dotted: fine dt; gaps: unmatched)"
    )
    axes[2].grid(True, which="both", alpha=0.3)
    axes[2].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    cannot = [r.simulator for r in comparison.rows if r.status == "cannot express"]
    note = (
        f"\ncannot express: {', '.join(dict.fromkeys(cannot))} (dashed: closest model, approximate)"
        if cannot
        else ""
    )
    figure.suptitle(f"Simulators against the gold solution - {_title(comparison)}{note}")

    def writer(temporary: Path) -> None:
        figure.savefig(temporary, dpi=110, format=Path(path).suffix.lstrip(".").lower())

    try:
        return write_atomic(path, writer)
    finally:
        plt.close(figure)
