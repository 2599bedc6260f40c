"""The demo's two new figures: the squid axon beside the lecture, and method accuracy.

:func:`plot_side_by_side` draws :class:`hh_brian.compare.squid_vs_lecture.SideBySide`;
:func:`plot_method_accuracy` draws a :class:`hh_brian.compare.methods.MethodComparison`
as spike-time error against dt and against the cost of a simulated millisecond.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brian2 import ms, mV

from hh_brian.analysis.event_threshold import EventThreshold, extrema
from hh_brian.compare.squid_vs_lecture import CAPACITANCE_SENTENCE, SideBySide, count
from hh_brian.compare.step_cost import relative_cost_per_ms
from hh_brian.core.defaults import DEFAULT_DT_MS, DEFAULT_METHOD
from hh_brian.report.figure import METHOD_COLOURS, ReportFigure, plain_log_ticks, save_figure

__all__ = ["plot_method_accuracy", "plot_side_by_side"]

COLOURS = METHOD_COLOURS


def plot_side_by_side(
    side: SideBySide,
    path: str | Path | None = None,
    *,
    window_ms: tuple[float, float] = (0.0, 300.0),
) -> Path | ReportFigure:
    """Top: V of each panel on a window, with both counting levels drawn; bottom: the
    peaks and troughs of the whole run, and the level between them."""
    figure = ReportFigure(figsize=(12, 7.5))
    axes = figure.subplots(2, 2, gridspec_kw={"height_ratios": [2.2, 1]})
    book_runs = [side.book]
    lecture_runs = side.lecture_runs()
    panels = (
        (
            axes[:, 0],
            book_runs,
            side.book_threshold,
            "the book's squid axon (Dayan & Abbott, c_m = 1 uF/cm^2), 1 ms pulses from rest",
        ),
        (
            axes[:, 1],
            lecture_runs,
            side.lecture_threshold,
            "lecture 7's protocol on its class defaults (c_m = 10 uF/cm^2), seed-123 input",
        ),
    )
    for (ax_v, ax_h), runs, threshold, title in panels:
        for run in runs:
            t = np.asarray(run.t / ms)
            keep = (t >= window_ms[0]) & (t <= window_ms[1])
            converged = run is side.converged
            ax_v.plot(
                t[keep],
                np.asarray(run.v[0] / mV)[keep],
                lw=1.4 if converged else 0.9,
                ls=":" if converged else "-",
                color="black" if converged else COLOURS.get(run.method),
                label=f"{run.method}, dt = {float(run.dt / ms):g} ms"
                f"{' (converged)' if converged else ''}: {count(run, threshold)} spikes "
                f"({count(run)} at -20 mV)",
            )
        _levels(ax_v, threshold)
        ax_v.set_title(title, fontsize=10)
        ax_v.set_xlabel("time [ms]")
        ax_v.set_ylabel("V [mV]")
        ax_v.set_ylim(-85, 55)
        ax_v.legend(fontsize=7, loc="upper right")
        _extrema_histogram(ax_h, runs, threshold)
    figure.suptitle(
        "A squid action potential (left) and lecture 7's protocol (right): the same "
        "channels, c_m ten times larger on the right",
        fontsize=11,
    )
    figure.text(0.5, 0.005, _wrap(CAPACITANCE_SENTENCE, 170), ha="center", va="bottom", fontsize=8)
    figure.tight_layout(rect=(0, 0.04, 1, 0.97))
    return save_figure(figure, path)


def _levels(ax, threshold: EventThreshold) -> None:
    ax.axhline(-20, color="grey", lw=0.8, ls=":", label="V_spike = -20 mV")
    if threshold.level_mV is not None:
        ax.axhline(
            threshold.level_mV,
            color="black",
            lw=1.0,
            ls="--",
            label=f"counting level {threshold.level_mV:.1f} mV",
        )


def _extrema_histogram(ax, runs, threshold: EventThreshold) -> None:
    peaks, troughs = [], []
    for run in runs:
        high, low = extrema(np.asarray(run.v[0] / mV))
        peaks.append(high)
        troughs.append(low)
    bins = np.arange(-85, 56, 2.5)
    ax.hist(np.concatenate(troughs), bins=bins, color="tab:purple", alpha=0.7, label="minima")
    ax.hist(np.concatenate(peaks), bins=bins, color="tab:olive", alpha=0.7, label="maxima")
    if threshold.level_mV is not None:
        ax.axvline(threshold.level_mV, color="black", ls="--", lw=1.0, label="counting level")
    ax.axvline(-20, color="grey", ls=":", lw=0.8, label="-20 mV")
    ax.set_xlabel("V at each local minimum and maximum, whole run [mV]")
    ax.set_ylabel("count")
    ax.legend(fontsize=7, loc="upper center")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def plot_method_accuracy(
    comparison, path: str | Path | None = None, target=0.1 * ms
) -> Path | ReportFigure:
    """Left: max spike-time error against dt; right: against the cost of a simulated ms
    (relative step cost / dt, :mod:`hh_brian.compare.step_cost`).  Runs that missed or
    added a spike, or blew up, are marked on the axis floor; *target* (a time) is drawn."""
    figure = ReportFigure(figsize=(11, 4.5))
    ax_dt, ax_cost = figure.subplots(1, 2)
    target_ms = float(target / ms)
    methods = list(dict.fromkeys(r.method for r in comparison.rows))
    for method in methods:
        rows = sorted(
            (r for r in comparison.rows if r.method == method), key=lambda r: float(r.dt / ms)
        )
        good = [r for r in rows if not r.blew_up and r.spikes and r.spikes.complete]
        dts = np.array([float(r.dt / ms) for r in good])
        errors = np.array([max(float(r.spike_error_max / ms), 1e-7) for r in good])
        costs = np.array([relative_cost_per_ms(method, d) for d in dts])
        colour = COLOURS.get(method)
        ax_dt.loglog(dts, errors, "o-", color=colour, label=method)
        ax_cost.loglog(costs, errors, "o-", color=colour, label=method)
        for r in (r for r in rows if r not in good):
            d = float(r.dt / ms)
            mark = "blew up" if r.blew_up else "spikes wrong"
            ax_dt.plot([d], [2e-6], "x", color=colour, ms=9, mew=2)
            ax_dt.annotate(
                f"{method}: {mark}",
                (d, 2e-6),
                xytext=(-6, 0),
                textcoords="offset points",
                color=colour,
                fontsize=8,
                ha="right",
                va="center",
            )
        default = [
            r
            for r in good
            if r.method == DEFAULT_METHOD and abs(float(r.dt / ms) - DEFAULT_DT_MS) < 1e-12
        ]
        for r in default:
            error = max(float(r.spike_error_max / ms), 1e-7)
            for ax, x in (
                (ax_dt, DEFAULT_DT_MS),
                (ax_cost, relative_cost_per_ms(method, DEFAULT_DT_MS)),
            ):
                ax.plot([x], [error], "o", ms=14, mfc="none", mec="black", mew=1.2)
                ax.annotate(
                    "default",
                    (x, error),
                    xytext=(0, 11),
                    textcoords="offset points",
                    fontsize=8,
                    ha="center",
                )
    for ax in (ax_dt, ax_cost):
        ax.axhline(target_ms, color="black", ls="--", lw=0.8, label=f"target {target_ms:g} ms")
        ax.set_ylabel("max spike-time error [ms]")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_ylim(1e-6, 10)
    plain_log_ticks(ax_dt.xaxis, [float(r.dt / ms) for r in comparison.rows])
    plain_log_ticks(ax_cost.xaxis)
    ax_dt.set_xlabel("dt [ms]")
    ax_cost.set_xlabel("cost of a simulated ms [exponential-Euler steps]")
    ax_dt.legend(fontsize=8, loc="upper left")
    ax_dt.set_title(
        f"{comparison.preset.name}, {float(comparison.duration / ms):g} ms, against the gold "
        "solution",
        fontsize=10,
    )
    ax_cost.set_title("lower left is better: accurate and cheap", fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path)
