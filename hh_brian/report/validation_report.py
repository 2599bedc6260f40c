"""Text, Markdown and figures for a :class:`~hh_brian.compare.crossval_results.CrossValidation`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from brian2 import ms, mV

from hh_brian.compare.crossval import EPS, KAPPA
from hh_brian.compare.crossval_results import GOLD_FLOOR_MS, ORDER_MARGIN, CrossValidation

if TYPE_CHECKING:
    from hh_brian.report.figure import ReportFigure


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report_lines(result: CrossValidation) -> list[str]:
    """The report as Markdown lines (also readable as plain text)."""
    p = result.preset
    lines = [
        f"# Cross-validation of `{p.name}`: Brian2 vs NumPy reference",
        "",
        f"- preset: {p.title} ({p.convention.name} convention)",
        f"- source: {p.citation}",
        f"- protocol: I = {result.current} for {float(result.duration / ms):g} ms, "
        f"dt = {float(result.dt / ms):g} ms, start at the computed resting state",
        f"- unit check: {result.unit_check}",
        f"- measured amplification of perturbations G = {result.amplification:.3g}; "
        f"round-off bound = G x n_steps x {KAPPA} x eps (eps = {EPS:.3g})",
        "",
        "## Same scheme, same dt: every state at every step",
        "",
        "| method | max abs dV (mV) | bound (mV) | max abs dgate | bound | spikes brian2 / ref"
        " | max abs dt spike (ms) | bound (ms) | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in result.agreements:
        lines.append(
            f"| {a.method} | {float(a.max_dv / mV):.3g} | {float(a.tolerance_v / mV):.3g} | "
            f"{a.max_dgate:.3g} | {a.tolerance_gate:.3g} | {a.spikes_brian2} / "
            f"{a.spikes_reference} | {_ms(a.max_dt_spike)} | {_ms(a.tolerance_spike_time)} | "
            f"{_verdict(a.passed)} |"
        )
    if result.orders:
        lines += [
            "",
            "## Observed order against the gold solution (scipy DOP853, rtol = atol = 1e-12)",
            "",
            f"Window: rest to the first upstroke; pass if |observed - declared| <= {ORDER_MARGIN}.",
            "",
            "| engine | method | dts (ms) | max abs dV (mV) | observed | declared | result |",
            "|---|---|---|---|---|---|---|",
        ]
        for o in result.orders:
            dts = ", ".join(f"2^{np.log2(d):.0f}" for d in o.dts_ms)
            errors = ", ".join(f"{e:.2g}" for e in o.errors_mV)
            lines.append(
                f"| {o.engine} | {o.method} | {dts} | {errors} | {o.observed:.3f} | "
                f"{o.declared} | {_verdict(o.passed)} |"
            )
    if result.spike_timing:
        lines += [
            "",
            "## Spike times against gold at the working dt h and at h/2",
            "",
            "Spike times are the crossings of V_spike interpolated linearly between steps,"
            " which adds at most B(h) = h^2 max|v''|/(8|v'|); E(h) = max |t - t_gold|. Pass if"
            " the spike counts at h and h/2 equal gold's and E(h/2) <= B(h/2) +"
            f" 2^-(p - {ORDER_MARGIN}) (E(h) + B(h)) + {GOLD_FLOOR_MS:g} ms, i.e. the"
            " scheme's timing error shrinks at its declared order p.",
            "",
            "| method | spikes h / h/2 / gold | mean abs error (ms) | max abs error (ms) "
            "| E(h) (ms) | E(h/2) (ms) | bound (ms) | result |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in result.spike_timing:
            lines.append(
                f"| {s.method} | {s.n_spikes} / {s.n_spikes_half} / {s.n_gold} | "
                f"{s.mean_error_ms:.3g} | {s.max_error_ms:.3g} | {s.centred_error_ms:.3g} | "
                f"{s.centred_error_half_ms:.3g} | {s.error_bound_half_ms:.3g} | "
                f"{_verdict(s.passed)} |"
            )
    lines += ["", f"**Overall: {_verdict(result.passed)}**"]
    return lines


def _ms(value) -> str:
    return "-" if value is None else f"{float(value / ms):.3g}"


def write_report(result: CrossValidation, path: str | Path) -> list[Path]:
    """Write the Markdown report and its figure (``<stem>_orders.png``), both or neither."""
    from hh_brian.core.output import atomic_paths

    path = Path(path)
    lines = report_lines(result)
    if not result.orders:
        with atomic_paths(path) as (temporary,):
            temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [path]
    figure_path = path.with_name(f"{path.stem}_orders.png")
    lines += ["", f"![error against dt]({figure_path.name})"]
    with atomic_paths(path, figure_path) as (text_tmp, figure_tmp):
        plot_orders(result, figure_tmp)
        text_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path, figure_path]


def plot_orders(result: CrossValidation, path: str | Path | None = None) -> Path | ReportFigure:
    """Log-log error against dt for each method, with reference slopes."""
    from hh_brian.report.figure import ReportFigure, save_figure

    figure = ReportFigure(figsize=(6.5, 4.5))
    axis = figure.subplots()
    for o in result.orders:
        dts = np.asarray(o.dts_ms)
        errors = np.asarray(o.errors_mV)
        (line,) = axis.loglog(dts, errors, "o-", label=f"{o.method}: slope {o.observed:.2f}")
        guide = errors[0] * (dts / dts[0]) ** o.declared
        axis.loglog(
            dts, guide, ":", color=line.get_color(), lw=1, label=f"order {o.declared} guide"
        )
    axis.set_xlabel("dt [ms]")
    axis.set_ylabel("max |V - V_gold| [mV]")
    axis.set_title(f"{result.preset.name}: Brian2 convergence against scipy gold")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)
