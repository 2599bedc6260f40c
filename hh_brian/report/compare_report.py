"""Output of a method comparison: CSV table, terminal tables, Markdown report, figure.

Works on a :class:`hh_brian.compare.methods.MethodComparison` and its rows, which
compute everything; this module only formats, draws and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from brian2 import Quantity, ms, mV, second
from matplotlib import rcParams

from hh_brian.compare.methods import (
    ALL_METHODS,
    CSV_COLUMNS,
    MethodComparison,
    MethodRow,
    OrderFit,
)
from hh_brian.report import tables
from hh_brian.report.figure import METHOD_COLOURS, ReportFigure, plain_log_ticks, save_figure

WALL_TIME_NOTE = (
    "wall_s: the integration loop only, monitors included (Brian2: Network.run's "
    "time-step loop as Brian2 records it, after code generation and compilation; "
    "reference: the NumPy loop); machine-dependent. With one neuron both engines spend "
    "most of each step on per-step overhead common to all methods, so rk4 costs about as "
    "much per step as Euler here; with many neurons per group the arithmetic dominates "
    "(benchmarks/throughput.py: rk4 about 1.6-2x exponential Euler per neuron-step) and "
    "the recommendation may change"
)


def csv_text(rows: Sequence[MethodRow]) -> str:
    """The comparison table as CSV (header names the units)."""
    return tables.csv_text(rows, CSV_COLUMNS)


def text_table(rows: Sequence[MethodRow]) -> str:
    """A fixed-width summary of the table for the terminal."""
    columns = [
        ("engine", "<9"),
        ("method", "<21"),
        ("dt_ms", ">8"),
        ("max|dV|_mV", ">11"),
        ("win|dV|_mV", ">11"),
        ("spikes", ">7"),
        ("err_max_ms", ">11"),
        ("wall_s", ">9"),
    ]
    cells = []
    for r in rows:
        v = r.csv_values()
        cells.append(
            (
                r.engine,
                r.method,
                v["dt_ms"],
                v["max_abs_dv_mV"] or "blew up",
                v["window_max_abs_dv_mV"] or "-",
                f"{v['n_spikes']}/{v['n_gold_spikes']}" if r.spikes else "-",
                v["spike_err_max_ms"] or "-",
                v["wall_s"] or "-",
            )
        )
    return tables.fixed_width(columns, cells)


def _order_cell(fit: OrderFit | None) -> tuple[str, str]:
    if fit is None or len(fit.dts) < 2:
        return "-", "no fit"
    return f"{fit.observed:.2f}", "order" if fit.asymptotic else "NOT AN ORDER"


def orders_table(comparison: MethodComparison) -> str:
    """Observed orders per (engine, method), V on the window and spike times, flagged.

    Fits outside the asymptotic regime are marked ``NOT AN ORDER``; their
    reasons follow the table.
    """
    voltage = comparison.orders()
    spikes = {(f.engine, f.method): f for f in comparison.spike_time_orders()}
    window = float(comparison.order_window / ms)
    columns = [
        ("engine", "<9"),
        ("method", "<21"),
        ("declared", ">8"),
        (f"V(0..{window:g}ms)", ">12"),
        ("", "<12"),
        ("spike_times", ">11"),
        ("", "<12"),
    ]
    cells = []
    reasons = []
    for fit in voltage:
        spike = spikes.get((fit.engine, fit.method))
        cells.append((fit.engine, fit.method, fit.declared, *_order_cell(fit), *_order_cell(spike)))
        for f in (fit, spike):
            if f is not None and (f.problems or f.notes or len(f.dts) < 2):
                reasons.append(f"  {f.describe()}")
    return "\n".join([tables.fixed_width(columns, cells), *reasons])


def _title(comparison: MethodComparison) -> str:
    return tables.run_title(comparison.preset.name, comparison.duration, comparison.current)


def markdown_report(comparison: MethodComparison, target: Quantity) -> str:
    """A Markdown report: settings, table, observed orders, recommendation, caveats."""
    rec = comparison.recommend(target)
    window = float(comparison.order_window / ms)
    lines = [
        f"# Method comparison: {_title(comparison)}",
        "",
        f"- preset: `{comparison.preset.name}` ({comparison.preset.citation})",
        f"- convention: {comparison.preset.convention.description}",
        f"- gold solution: {comparison.gold.solver}; {comparison.gold.spikes_ms.size} spikes",
        "- errors: |V - V_gold| at every recorded sample of each run (whole run, and on the "
        f"order window 0..{window:g} ms: rest to 1 ms past the gold's first spike); spike "
        "times are threshold crossings of the recorded voltage, interpolated linearly between "
        "the samples before and after (not Brian2's step-start times); gold spikes are paired "
        "with the nearest spike within half an inter-spike interval",
        f"- {WALL_TIME_NOTE}",
        "",
        *tables.markdown_table(comparison.rows, [c for c in CSV_COLUMNS if c != "note"]),
        "",
        "## Observed orders",
        "",
        "Slopes of log(error) on log(dt): V is max |V - V_gold| on the window "
        f"0..{window:g} ms (over a whole firing run the voltage error saturates at the spike "
        "height once spike times shift); spike times are the max error of matched spikes, "
        "over dts whose runs matched every gold spike. A slope is an order only in the "
        "asymptotic regime: 3 or more dts whose neighbouring slopes agree within 0.5, with "
        "errors below 10% of their scale; otherwise it is marked NOT AN ORDER with the reason.",
        "",
    ]
    lines += [f"- {fit.describe()}" for fit in comparison.orders()]
    lines += [f"- {fit.describe()}" for fit in comparison.spike_time_orders()]
    lines += [
        "",
        f"## Recommendation (max spike-time error <= {float(target / ms):g} ms)",
        "",
        rec.reason,
    ]
    blown = [r for r in comparison.rows if r.blew_up]
    if blown:
        lines += ["", "## Blow-ups", ""]
        lines += [f"- {r.engine}/{r.method} dt = {float(r.dt / ms):g} ms: {r.note}" for r in blown]
    if comparison.skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- {text}" for text in comparison.skipped]
    return "\n".join(lines) + "\n"


def plot_comparison(
    comparison: MethodComparison, path: str | Path | None = None, target: Quantity | None = None
) -> Path | ReportFigure:
    """Window voltage error vs dt, spike-time error vs dt and vs wall time, log axes."""
    figure = ReportFigure(figsize=(16, 4.8), layout="constrained")
    axes = figure.subplots(1, 3)
    cycle = rcParams["axes.prop_cycle"].by_key()["color"]
    colours = {**dict(zip(ALL_METHODS, cycle, strict=False)), **METHOD_COLOURS}
    # Engines running the same scheme agree to round-off: hollow, smaller reference
    # markers keep both visible where the lines coincide.
    styles = {
        "brian2": dict(ls="-", marker="o", markersize=8),
        "reference": dict(ls="--", marker="s", markersize=5, markerfacecolor="none"),
    }
    for engine, method in dict.fromkeys((r.engine, r.method) for r in comparison.rows):
        rows = [
            r for r in comparison.rows if (r.engine, r.method) == (engine, method) and not r.blew_up
        ]
        if not rows:
            continue
        style = dict(color=colours[method], label=f"{engine}/{method}", **styles[engine])
        dt = [float(r.dt / ms) for r in rows]
        dv = [float(r.window_max_abs_dv / mV) for r in rows]
        err = [float(r.spike_error_max / ms) for r in rows]
        wall = [float(r.wall_time / second) for r in rows]
        axes[0].plot(dt, dv, **style)
        axes[1].plot(dt, err, **style)
        axes[2].plot(wall, err, **style)
    blown = [r for r in comparison.rows if r.blew_up]
    for ax in axes[:2]:
        top = ax.get_xaxis_transform()  # x in data, y in axes fraction
        for r in blown:
            ax.plot(
                float(r.dt / ms),
                0.96,
                "x",
                color=colours[r.method],
                ms=9,
                mew=2,
                transform=top,
                clip_on=False,
            )
    if target is not None:
        for ax in axes[1:]:
            ax.axhline(float(target / ms), color="k", ls=":", lw=1)
            ax.annotate(
                f"target {float(target / ms):g} ms",
                (0.02, float(target / ms)),
                xycoords=("axes fraction", "data"),
                va="bottom",
                fontsize=8,
            )
    window = float(comparison.order_window / ms)
    labels = [
        ("time step dt (ms)", f"max |V - V_gold| on 0..{window:g} ms (mV)"),
        ("time step dt (ms)", "max spike-time error (ms)"),
        ("wall time of the integration loop (s)", "max spike-time error (ms)"),
    ]
    for ax, (xlabel, ylabel) in zip(axes, labels, strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[:2]:
        plain_log_ticks(ax.xaxis, [float(r.dt / ms) for r in comparison.rows])
    plain_log_ticks(axes[2].xaxis)
    note = " (x: blew up)" if blown else ""
    axes[0].set_title("voltage error vs dt, rest to first spike" + note)
    axes[1].set_title("spike-time error vs dt" + note)
    axes[2].set_title("accuracy / cost frontier (lower left is better)")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
    figure.suptitle(f"Method comparison against the gold solution - {_title(comparison)}")
    return save_figure(figure, path, dpi=120)


__all__ = [
    "CSV_COLUMNS",
    "WALL_TIME_NOTE",
    "csv_text",
    "markdown_report",
    "orders_table",
    "plot_comparison",
    "text_table",
]
