"""Figures (matplotlib, headless).  Imported lazily by the command line.

Every figure is titled with preset, method and dt, and every axis names its
unit.  The file type follows the extension (.png, .svg, .pdf).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from brian2 import ms, mV  # noqa: E402

from hh_brian.output import write_atomic  # noqa: E402


def save_figure(figure: plt.Figure, path: str | Path) -> Path:
    """Save *figure* atomically (format from the suffix) and close it."""

    def writer(temporary: Path) -> None:
        figure.savefig(temporary, dpi=130, format=Path(path).suffix.lstrip(".").lower())

    try:
        return write_atomic(path, writer)
    finally:
        plt.close(figure)


def plot_trace(result, path: str | Path, *, neuron: int = 0, current_label: str = "") -> Path:
    """Voltage with spikes, gates and stimulus on shared time axes.

    Parameters
    ----------
    result : SimulationResult or ReferenceResult-like
        Needs ``t``, ``traces``, ``spikes_of``, ``preset``, ``method``, ``dt``.
    path : str or Path
    neuron : int
        Row of the recorded traces to show.
    current_label : str
        Describes the stimulus in the title.
    """
    preset = result.preset
    t_ms = np.asarray(result.t / ms)
    v_mV = np.asarray(result.traces["v"][neuron] / mV)
    spikes_ms = np.asarray(result.spikes_of(int(result.recorded[neuron])) / ms)
    figure, (ax_v, ax_g) = plt.subplots(
        2, 1, sharex=True, figsize=(8, 5.5), gridspec_kw={"height_ratios": [2, 1]}
    )
    ax_v.plot(t_ms, v_mV, color="black", lw=1)
    if spikes_ms.size:
        v_at = np.interp(spikes_ms, t_ms, v_mV)
        ax_v.plot(spikes_ms, v_at, "v", color="tab:red", ms=5, label=f"{spikes_ms.size} spikes")
        ax_v.legend(loc="upper right", fontsize=8)
    ax_v.set_ylabel(f"v ({preset.convention.name} convention) [mV]")
    if preset.convention.sign < 0:
        ax_v.invert_yaxis()
        ax_v.annotate(
            "axis inverted: depolarisation up", (0.01, 0.03), xycoords="axes fraction", fontsize=8
        )
    for gate, colour in (("n", "tab:blue"), ("m", "tab:orange"), ("h", "tab:green")):
        ax_g.plot(t_ms, np.asarray(result.traces[gate][neuron]), color=colour, label=gate, lw=1)
    ax_g.set_ylim(-0.05, 1.05)
    ax_g.set_ylabel("gate [1]")
    ax_g.set_xlabel("time [ms]")
    ax_g.legend(loc="upper right", fontsize=8, ncol=3)
    dt_ms = float(result.dt / ms)
    title = f"{preset.name} - {result.method}, dt = {dt_ms:g} ms"
    if current_label:
        title += f" - I = {current_label}"
    ax_v.set_title(title)
    figure.tight_layout()
    return save_figure(figure, path)
