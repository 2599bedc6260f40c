"""The channel-noise figure: firing rate, ISI CV and spike-time jitter against area."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hh_brian.report.figure import ReportFigure, save_figure

_STYLE = {
    "markov": ("tab:blue", "o", "-"),
    "langevin": ("tab:orange", "s", "-"),
    "subunit": ("tab:green", "^", ":"),
    "none": ("0.4", "", "--"),
}


def plot_noise_sweep(
    rows: Sequence[dict], path: str | Path | None = None, *, title: str = ""
) -> Path | ReportFigure:
    """Three panels against membrane area (log axis), one curve per noise model; the
    deterministic model (``none``) is the dashed large-area limit.  *rows*: the
    :func:`hh_brian.noise.sweep.noise_sweep` rows.  Returns the path written, or the
    figure itself when *path* is None (a notebook)."""
    figure = ReportFigure(figsize=(11, 3.6), layout="constrained")
    axes = figure.subplots(1, 3)
    kinds = list(dict.fromkeys(r["noise_model"] for r in rows))
    for kind in kinds:
        own = sorted((r for r in rows if r["noise_model"] == kind), key=lambda r: r["area_um2"])
        area = np.array([r["area_um2"] for r in own])
        color, marker, line = _STYLE.get(kind, ("k", "x", "-"))
        style = dict(color=color, marker=marker, linestyle=line, label=kind)
        axes[0].errorbar(
            area, [r["rate_Hz"] for r in own], yerr=[r["rate_se_Hz"] for r in own], **style
        )
        axes[1].plot(area, [r["isi_cv"] for r in own], **style)
        axes[2].plot(area, [r["jitter_ms"] for r in own], **style)
    labels = (
        "spontaneous rate at 0 current (Hz)",
        "ISI CV at 0 current",
        "first-spike jitter, driven (ms)",
    )
    for ax, label in zip(axes, labels, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("membrane area (um^2)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


__all__ = ["plot_noise_sweep"]
