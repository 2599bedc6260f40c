"""Output of a conformance run: CSV table, terminal table, Markdown report, figure.

Works on a :class:`hh_brian.compare.conformance.Conformance`, which runs and judges
everything; this module only formats and draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import ms
from matplotlib import rcParams

from hh_brian.compare.conformance import END_GUARD_MS, Conformance, ConformanceRow
from hh_brian.compare.crossval_results import GOLD_FLOOR_MS, ORDER_MARGIN
from hh_brian.compare.observed_order import GOLD_FLOOR_MV
from hh_brian.core.text import format_number
from hh_brian.report import tables
from hh_brian.report.figure import ReportFigure, save_figure
from hh_brian.report.simulators_report import EXPLANATIONS

#: Columns of the conformance table (CSV): errors at dt and at fine dt, the fine-dt
#: bounds, observed orders, the status and why.
CSV_COLUMNS = (
    "engine",
    "method",
    "status",
    "order_declared",
    "dt_ms",
    "fine_dt_ms",
    "n_spikes",
    "n_gold_spikes",
    "spike_err_max_dt_ms",
    "spike_err_max_ms",
    "spike_bound_ms",
    "spike_order_observed",
    "max_abs_dv_dt_mV",
    "max_abs_dv_mV",
    "dv_bound_mV",
    "dv_order_observed",
    "wall_s",
    "reasons",
)


def _number(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else format_number(value)


@dataclass(frozen=True)
class _Cells:
    """One row's cells (plain numbers in the units the column names state)."""

    row: ConformanceRow
    conformance: Conformance

    def csv_values(self) -> dict[str, object]:
        row, c = self.row, self.conformance
        dv, spikes = row.dv_mV, row.spike_error_ms
        fine = row.fine
        return {
            "engine": row.variant.engine,
            "method": row.variant.method,
            "status": row.status,
            "order_declared": "" if row.variant.order is None else row.variant.order,
            "dt_ms": format_number(c.comparison.dt / ms),
            "fine_dt_ms": format_number(c.comparison.fine_dt / ms),
            "n_spikes": fine.match.n_spikes if fine and fine.match else "",
            "n_gold_spikes": fine.match.n_gold if fine and fine.match else "",
            "spike_err_max_dt_ms": _number(spikes[0]),
            "spike_err_max_ms": _number(spikes[1]),
            "spike_bound_ms": _number(row.spike_bound_ms),
            "spike_order_observed": _number(row.observed_order(spikes, c.ratio)),
            "max_abs_dv_dt_mV": _number(dv[0]),
            "max_abs_dv_mV": _number(dv[1]),
            "dv_bound_mV": _number(row.dv_bound_mV),
            "dv_order_observed": _number(row.observed_order(dv, c.ratio)),
            "wall_s": _number(float(fine.wall_time) if fine is not None else math.nan),
            "reasons": "; ".join(row.reasons),
        }


def _cells(conformance: Conformance) -> list[_Cells]:
    return [_Cells(row, conformance) for row in conformance.rows]


def csv_text(conformance: Conformance) -> str:
    """The conformance table as CSV (header names the units)."""
    return tables.csv_text(_cells(conformance), CSV_COLUMNS)


def _short(text: str) -> str:
    return f"{float(text):.2e}" if text != "" else "-"


def text_table(conformance: Conformance) -> str:
    """A fixed-width table for the terminal, errors at fine dt beside their bounds."""
    columns = [
        ("variant", "<36"),
        ("order", ">5"),
        ("spikes", ">7"),
        ("t_err_ms", ">9"),
        ("t_bound_ms", ">10"),
        ("max|dV|_mV", ">10"),
        ("dV_bound_mV", ">11"),
        ("status", "<15"),
    ]
    lines = []
    for cells in _cells(conformance):
        v = cells.csv_values()
        lines.append(
            (
                cells.row.variant.label,
                v["order_declared"],
                f"{v['n_spikes']}/{v['n_gold_spikes']}" if v["n_spikes"] != "" else "-",
                _short(v["spike_err_max_ms"]),
                _short(v["spike_bound_ms"]),
                _short(v["max_abs_dv_mV"]),
                _short(v["dv_bound_mV"]),
                cells.row.status,
            )
        )
    return tables.fixed_width(columns, lines)


def _title(conformance: Conformance) -> str:
    c = conformance.comparison
    return f"{c.preset.name}, {float(c.duration / ms):g} ms, {c.protocol_text}"


def markdown_report(conformance: Conformance) -> str:
    """A Markdown report: protocol, bounds, table, each scheme's order, verdict."""
    c = conformance.comparison
    r = conformance.ratio
    lines = [
        f"# Conformance: {_title(conformance)}",
        "",
        f"**Verdict: {conformance.verdict}.**",
        "",
        f"- model: `{c.preset.name}` ({c.preset.citation})",
        f"- protocol: {c.protocol_text}, from the resting state; dt "
        f"{float(c.dt / ms):g} ms and fine dt {float(c.fine_dt / ms):g} ms (r = {r:g})",
        f"- gold solution: {c.gold.solver} on hh-brian's NumPy model; "
        f"{c.gold.spikes_ms.size} spikes",
        "",
        "## The bounds",
        "",
        "Each variant runs at dt and at fine dt = dt / r; its errors at fine dt against "
        "the gold solution must lie within the Richardson estimate of its declared order "
        f"p from its own two runs, times F = (r^p - 1) / (r^(p - {ORDER_MARGIN:g}) - 1) "
        f"(any observed order >= p - {ORDER_MARGIN:g} stays within it):",
        "",
        f"- max|dV| (at the dt grid) <= F max_t |V_dt - V_fine| / (r^p - 1) + "
        f"{GOLD_FLOOR_MV:g} mV (+ the engine's output rounding)",
        "- max|t - t_gold| <= F (max_i |t_dt,i - t_fine,i| + B_dt + B_fine) / (r^p - 1) + "
        f"B_fine + {GOLD_FLOOR_MS:g} ms, where B_h = h^2 max|v''| / (8 |v'|) bounds the "
        "linear interpolation of the threshold crossing between samples",
        "- both runs fire the gold spikes, none missed and none extra (a spike within "
        f"{END_GUARD_MS:g} ms of the end may fall either side of it and is not counted); "
        "spike errors are over the gold spikes paired in both runs",
        "",
        "An error that does not shrink with dt (a parameter or rate that differs, a "
        "table, a tolerance) or a scheme slower than declared breaks the bound.",
        "",
        "## Table",
        "",
        *tables.markdown_table(_cells(conformance), CSV_COLUMNS),
        "",
        "## Declared orders and engines",
        "",
    ]
    for row in conformance.rows:
        lines.append(
            f"- **{row.variant.label}** (order {row.variant.order}): {row.variant.why_order}"
        )
    lines += ["", "Engines:", ""]
    for engine in dict.fromkeys(row.variant.engine for row in conformance.rows):
        lines.append(f"- **{engine}**: {EXPLANATIONS.get(engine, 'registered engine')}")
        notes = dict.fromkeys(
            n
            for row in conformance.rows
            if row.variant.engine == engine and row.fine is not None
            for n in row.fine.notes
        )
        lines += [f"  - {note}" for note in notes]
    return "\n".join(lines) + "\n"


def plot_conformance(
    conformance: Conformance, path: str | Path | None = None
) -> Path | ReportFigure:
    """Traces at fine dt over the gold solution, and each error against its bound."""
    c = conformance.comparison
    figure = ReportFigure(figsize=(11, 10), layout="constrained")
    traces, ratios = figure.subplots(2, 1, height_ratios=(1, 1.1))
    colours = rcParams["axes.prop_cycle"].by_key()["color"]
    traces.plot(c.gold.t_ms, c.gold_v_mV, color="0.75", lw=5, label="gold (DOP853)")
    judged = [row for row in conformance.rows if row.judged]
    for k, row in enumerate(judged):
        colour = colours[k % len(colours)]
        traces.plot(row.fine.t_ms, row.fine.v_mV, color=colour, lw=1, label=row.variant.label)
    traces.set_xlabel("time (ms)")
    traces.set_ylabel("V (mV, modern convention)")
    traces.set_title(f"membrane potential at fine dt = {float(c.fine_dt / ms):g} ms")
    traces.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    traces.grid(alpha=0.3)

    x = np.arange(len(judged))
    dv = [row.dv_mV[1] / row.dv_bound_mV for row in judged]
    spikes = [row.spike_error_ms[1] / row.spike_bound_ms for row in judged]
    ratios.bar(x - 0.2, dv, width=0.4, label="max|dV| / its bound")
    ratios.bar(x + 0.2, spikes, width=0.4, label="spike-time error / its bound")
    ratios.axhline(1.0, color="k", lw=1.5, label="bound")
    ratios.set_yscale("log")
    ratios.set_xticks(x, [row.variant.label for row in judged], rotation=30, ha="right")
    ratios.set_ylabel("error at fine dt / bound")
    ratios.set_title("each error against the bound from its scheme's order (below 1: within)")
    ratios.legend(fontsize=8)
    ratios.grid(True, which="both", axis="y", alpha=0.3)
    figure.suptitle(f"Conformance - {_title(conformance)}\n{conformance.verdict}")
    return save_figure(figure, path, dpi=110)


def summary_line(conformance: Conformance) -> str:
    """The verdict, for the terminal."""
    return f"verdict: {conformance.verdict}"


__all__ = [
    "CSV_COLUMNS",
    "csv_text",
    "markdown_report",
    "plot_conformance",
    "summary_line",
    "text_table",
]
