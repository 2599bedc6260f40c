"""Output of a simulator comparison: CSV table, terminal table, Markdown report, figure.

Works on a :class:`hh_brian.compare.simulators.SimulatorComparison`, which computes
everything; this module only formats, draws and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms
from matplotlib import rcParams

from hh_brian.compare.simulators import (
    CSV_COLUMNS,
    SIMULATOR_NAMES,
    SimulatorComparison,
    SimulatorRow,
)
from hh_brian.report import tables
from hh_brian.report.figure import ReportFigure, save_figure

#: Why each simulator's numbers differ from the gold solution (for the report).
EXPLANATIONS = {
    "brian2": "Brian2 `exponential_euler`: every variable is advanced from the state at the "
    "start of the step (conductances and rates frozen), first order. Its spike times, like "
    "every other row's here, are the threshold crossings interpolated from the recorded V.",
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
    "jneuroml": "jNeuroML 0.14 (jLEMS) running the model exported to NeuroML2 with a LEMS "
    "simulation file (hh_brian.exchange): every state is advanced by forward Euler at the LEMS "
    "file's step (first order); v is written with 8 significant digits. The cell starts at "
    "hh-brian's resting state (initMembPotential, gates at steady state).",
    "moose": "MOOSE 5 (pymoose) compartment with HHChannels: gates come from tables "
    "(3000 divisions over -110..50 mV, linear interpolation), an error of order (table "
    "step)^2 that does not shrink with dt; gates and V are advanced by exponential Euler "
    "in turn (the GENESIS scheme), which converged at order about 2 on these protocols "
    "(tests/test_compare_simulators.py).",
}

#: Plot markers; Brian2's larger circle stays visible under the reference's cross.
MARKERS = {
    "brian2": "o",
    "reference": "x",
    "neuron": "s",
    "nest": "^",
    "moose": "D",
    "jneuroml": "v",
}


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
    if isinstance(comparison.current, Quantity):
        return tables.run_title(comparison.preset.name, comparison.duration, comparison.current)
    return (
        f"{comparison.preset.name}, {float(comparison.duration / ms):g} ms, "
        f"{comparison.protocol_text}"
    )


def _stimulus_lines(comparison: SimulatorComparison) -> list[str]:
    """Per simulator, how it got the protocol (from its row at the common dt)."""
    lines = ["", "## How each simulator got the stimulus", ""]
    shown: dict[str, str] = {}
    for row in comparison.rows:
        if row.has_run and row.stimulus:
            shown.setdefault(row.simulator, row.stimulus)
    lines += [f"- **{name}**: {text}" for name, text in shown.items()]
    return lines


def markdown_report(comparison: SimulatorComparison) -> str:
    """A Markdown report: protocol, table, and why the simulators differ."""
    columns = [c for c in CSV_COLUMNS if c not in ("notes", "stimulus")]
    lines = [
        f"# Simulator comparison: {_title(comparison)}",
        "",
        f"- preset: `{comparison.preset.name}` ({comparison.preset.citation})",
        f"- common dt {float(comparison.dt / ms):g} ms, fine dt "
        f"{float(comparison.fine_dt / ms):g} ms; {comparison.protocol_text}, resting "
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
    if not isinstance(comparison.current, Quantity):
        lines += _stimulus_lines(comparison)
    lines += ["", "## Why they differ", ""]
    for name in dict.fromkeys(row.simulator for row in comparison.rows):
        lines.append(f"- **{name}**: {EXPLANATIONS[name]}")
        notes = dict.fromkeys(
            n for row in comparison.rows if row.simulator == name for n in row.notes
        )
        lines += [f"  - {note}" for note in notes]
    return "\n".join(lines) + "\n"


def plot_overlay(
    comparison: SimulatorComparison, path: str | Path | None = None
) -> Path | ReportFigure:
    """Voltage traces overlaid on the gold solution, a zoom on the last spike, spike errors."""
    figure = ReportFigure(figsize=(11, 10.5), layout="constrained")
    axes = figure.subplots(3, 1)
    colours = dict(
        zip(SIMULATOR_NAMES, rcParams["axes.prop_cycle"].by_key()["color"], strict=False)
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
    return save_figure(figure, path, dpi=110)


__all__ = ["EXPLANATIONS", "MARKERS", "csv_text", "markdown_report", "plot_overlay", "text_table"]
