"""Figure of lecture 7's example protocol (:mod:`hh_brian.compare.lecture`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brian2 import ms, mV, uA
from brian2.units import mm

from hh_brian.analysis.event_threshold import EventThreshold
from hh_brian.compare.lecture import BRIAN2_METHODS, LectureRun
from hh_brian.compare.squid_vs_lecture import count
from hh_brian.report.figure import METHOD_COLOURS, ReportFigure, save_figure


def plot_lecture(
    result: LectureRun,
    path: str | Path | None = None,
    *,
    window_ms: tuple[float, float] = (0, 1000),
    threshold: EventThreshold | None = None,
) -> Path | ReportFigure:
    """Input, voltage of every run (overlaid) and Brian2 - reference differences.

    With *threshold* (:mod:`hh_brian.analysis.event_threshold`), its level and
    ``V_spike`` are drawn and each run's spikes are counted at both.
    """
    figure = ReportFigure(figsize=(9, 7))
    ax_i, ax_v, ax_d = figure.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2.2, 1.3]}
    )
    first = next(iter(result.runs.values()))
    t_ms = np.asarray(first.t / ms)
    keep = (t_ms >= window_ms[0]) & (t_ms <= window_ms[1])
    n_steps = t_ms.size
    samples = result.stimulus.samples(result.dt, n_steps)[:n_steps]
    ax_i.plot(t_ms[keep], np.asarray(samples / (uA / mm**2))[keep], color="tab:purple", lw=0.8)
    ax_i.set_ylabel("I_e/A [uA/mm^2]")
    styles = {"brian2": "-", "reference": "--"}
    for (engine, method), run in result.runs.items():
        spikes = f"{len(run.spike_times)} spikes at V_spike"
        if threshold is not None and threshold.level_mV is not None:
            spikes = f"{count(run, threshold)} at {threshold.level_mV:.1f} mV, " + spikes
        ax_v.plot(
            t_ms[keep],
            np.asarray(run.v[0] / mV)[keep],
            styles[engine],
            color=METHOD_COLOURS.get(method),
            lw=0.8,
            label=f"{engine} {method} ({spikes})",
        )
    if threshold is not None and threshold.level_mV is not None:
        v_spike = float(result.preset.parameters["V_spike"] / mV)
        ax_v.axhline(v_spike, color="grey", lw=0.8, ls=":", label=f"V_spike = {v_spike:g} mV")
        ax_v.axhline(threshold.level_mV, color="black", lw=1.0, ls="--", label="counting level")
    ax_v.set_ylabel("V [mV]")
    ax_v.legend(fontsize=7, ncol=2, loc="upper right")
    for method in BRIAN2_METHODS:
        if ("brian2", method) in result.runs and ("reference", method) in result.runs:
            diff = np.abs(
                np.asarray(
                    (result.runs[("brian2", method)].v[0] - result.runs[("reference", method)].v[0])
                    / mV
                )
            )
            shown = np.maximum(diff[keep], 1e-18)
            ax_d.semilogy(t_ms[keep], shown, color=METHOD_COLOURS.get(method), lw=0.8, label=method)
    ax_d.set_ylabel("|V_brian2 - V_ref| [mV]")
    ax_d.set_xlabel("time [ms]")
    ax_d.legend(fontsize=7, loc="upper left")
    ax_i.set_title(
        f"Lecture 7 protocol: {result.preset.name}, dt = {float(result.dt / ms):g} ms, "
        f"seed {result.stimulus.seed}"
    )
    figure.tight_layout()
    return save_figure(figure, path)


__all__ = ["plot_lecture"]
