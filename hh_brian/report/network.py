"""Figure of a network run: raster with population rates, membrane and conductance traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brian2 import ms, mV, nS

from hh_brian.network.spec import NetworkResult
from hh_brian.network.statistics import population_rate_trace
from hh_brian.report.figure import ReportFigure, save_figure


def plot_network(
    result: NetworkResult, path: str | Path | None = None, title: str = "COBAHH"
) -> Path | ReportFigure:
    """Raster with population rate, membrane traces and conductance traces."""
    figure = ReportFigure(figsize=(9, 10))
    axes = figure.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1, 2, 2]})
    ax_raster, ax_rate, ax_v, ax_g = axes
    offset = 0
    colours = {"exc": "tab:red", "inh": "tab:blue"}
    for pop, (indices, times) in result.spikes.items():
        ax_raster.plot(
            np.asarray(times / ms), indices + offset, ",", color=colours.get(pop, "k"), label=pop
        )
        t, rate = population_rate_trace(result, pop)
        ax_rate.plot(np.asarray(t / ms), np.asarray(rate), color=colours.get(pop, "k"), label=pop)
        offset += result.sizes[pop]
    ax_raster.set_ylabel("neuron (exc below, inh above)")
    ax_raster.set_ylim(0, offset)
    ax_rate.set_ylabel("rate [Hz] (5-ms bins)")
    ax_rate.legend(loc="upper right", fontsize=8)
    for pop, traces in result.traces.items():
        t_ms = np.asarray(result.trace_t[pop] / ms)
        for row, neuron in enumerate(result.recorded[pop][:2]):
            c = colours.get(pop, "k")
            ax_v.plot(
                t_ms, np.asarray(traces["v"][row] / mV), lw=0.7, color=c, alpha=0.9 - 0.3 * row
            )
            label = f"{pop}[{neuron}]"
            ax_g.plot(t_ms, np.asarray(traces["g_exc"][row] / nS), lw=0.7, label=f"g_exc {label}")
            ax_g.plot(
                t_ms, np.asarray(traces["g_inh"][row] / nS), lw=0.7, ls="--", label=f"g_inh {label}"
            )
    ax_v.set_ylabel("v [mV] (modern)")
    ax_g.set_ylabel("conductance [nS]")
    ax_g.set_xlabel("time [ms]")
    ax_g.legend(loc="upper right", fontsize=7, ncol=2)
    info = result.info
    ax_raster.set_title(
        f"{title}: {sum(result.sizes.values())} neurons, {info['method']}, "
        f"dt = {info['dt_ms']:g} ms, {info['device']}, seed {info['seed']}"
    )
    figure.tight_layout()
    return save_figure(figure, path)


__all__ = ["plot_network"]
