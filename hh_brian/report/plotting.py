"""Figures (matplotlib's object API, no pyplot).  Imported lazily by the command line.

Every figure is titled with preset, method and dt, and every axis names its
unit.  The file type follows the extension (.png, .svg, .pdf).

Figures are :class:`~hh_brian.report.figure.ReportFigure` objects drawn without pyplot:
no backend is selected and no global figure registry is touched, so importing or
calling this module changes nothing in the process (an interactive session keeps
its backend).  ``Figure.savefig`` renders with the canvas of the file's format.  Every
``plot_*`` function called without a path returns its figure, which Jupyter shows inline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brian2 import ms, mV
from matplotlib.colors import to_rgb

from hh_brian.report.figure import DPI, ReportFigure, save_figure

__all__ = ["DPI", "ReportFigure", "plot_fi", "plot_gating", "plot_trace", "save_figure"]


def plot_trace(
    result,
    path: str | Path | None = None,
    *,
    neuron: int = 0,
    current_label: str = "",
    stimulus=None,
    current=None,
) -> Path | ReportFigure:
    """Voltage with spikes, gates and stimulus on shared time axes.

    Parameters
    ----------
    result : SimulationResult or ReferenceResult-like
        Needs ``t``, ``traces``, ``spikes_of``, ``preset``, ``method``, ``dt``.
    path : str or Path, optional
        Where to save the figure; without it the figure is returned (Jupyter shows it).
    neuron : int
        Row of the recorded traces to show.
    current_label : str
        Describes the stimulus in the title.
    stimulus : hh_brian.models.stimulus_kinds.Stimulus, optional
        Adds a third panel with the injected current; defaults to
        ``result.stimulus`` or ``result.info["stimulus"]`` when the result
        carries one.
    current : Quantity, optional
        The injected current instead of *stimulus*: one value (a constant
        current) or per-step samples, shape ``(n,)`` or ``(n, neurons)`` with
        ``n`` = ``len(result.t)`` (or one more, as stimuli sample).  A density
        or, for presets with an area, a current.

    Raises
    ------
    HHBrianInputError
        Both *stimulus* and *current* given, or *current* is not a current or
        does not match the time grid.
    """
    preset = result.preset
    t_ms = np.asarray(result.t / ms)
    v_mV = np.asarray(result.traces["v"][neuron] / mV)
    spikes_ms = np.asarray(result.spikes_of(int(result.recorded[neuron])) / ms)
    if current is not None:
        if stimulus is not None:
            from hh_brian.core.errors import HHBrianInputError

            raise HHBrianInputError("plot_trace: give stimulus or current, not both")
        stimulus = _current_as_stimulus(current, result)
    if stimulus is None:
        stimulus = getattr(result, "stimulus", None) or getattr(result, "info", {}).get("stimulus")
    n_panels = 3 if stimulus is not None else 2
    figure = ReportFigure(figsize=(8, 5.5 + 1.5 * (n_panels - 2)))
    axes = figure.subplots(
        n_panels, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1, 1][:n_panels]}
    )
    ax_v, ax_g = axes[0], axes[1]
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
    colours = dict(n="tab:blue", m="tab:orange", h="tab:green")
    others = iter(("tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan"))
    for gate in [g for g in preset.gate_names if g in result.traces]:
        colour = colours.get(gate) or next(others, "grey")
        ax_g.plot(t_ms, np.asarray(result.traces[gate][neuron]), color=colour, label=gate, lw=1)
    ax_g.set_ylim(-0.05, 1.05)
    ax_g.set_ylabel("gate [1]")
    if stimulus is not None:
        _stimulus_panel(axes[2], stimulus, result, neuron)
    axes[-1].set_xlabel("time [ms]")
    if ax_g.get_lines():
        ax_g.legend(loc="upper right", fontsize=8, ncol=3)
    else:
        ax_g.text(0.5, 0.5, "gates not recorded", ha="center", transform=ax_g.transAxes)
    dt_ms = float(result.dt / ms)
    title = f"{preset.name} - {result.method}, dt = {dt_ms:g} ms"
    if current_label:
        title += f" - I = {current_label}"
    ax_v.set_title(title)
    figure.tight_layout()
    return save_figure(figure, path)


def _current_display(preset, stimulus_unit) -> tuple[object, str]:
    """Display unit and its label for a current: uA per the preset's length unit**2, or nA."""
    from brian2 import amp, get_dimensions, nA, uA
    from brian2.units import cm, mm

    if get_dimensions(stimulus_unit) is get_dimensions(amp):
        return nA, "nA"
    length = mm if preset.length_unit == "mm" else cm
    return uA / length**2, f"uA/{preset.length_unit}$^2$"


def _current_as_stimulus(current, result):
    """A constant current or per-step samples on the result's grid, as a Stimulus."""
    from brian2 import Quantity

    from hh_brian.core.errors import HHBrianInputError
    from hh_brian.models.stimulus_kinds import Constant, Sampled

    values = Quantity(current)
    if values.ndim == 0:
        return Constant(values)
    n = np.size(result.t)
    if values.ndim in (1, 2) and values.shape[0] in (n, n + 1):
        return Sampled(values, result.dt)
    raise HHBrianInputError(
        f"plot_trace current: expected one value or per-step samples of shape ({n},) or "
        f"({n}, neurons) for {n} time steps, got shape {values.shape}"
    )


def _stimulus_panel(ax, stimulus, result, neuron: int) -> None:
    """The injected current on the result's time grid (sample k holds on [k dt, (k+1) dt))."""
    t_ms = np.asarray(result.t / ms)
    values = stimulus.samples(result.dt, max(t_ms.size - 1, 0))
    if values.ndim == 2:
        column = int(result.recorded[neuron]) if values.shape[1] > 1 else 0
        values = values[:, column]
    unit, label = _current_display(result.preset, stimulus.unit)
    shown = np.asarray(values / unit, dtype=float)
    ax.step(t_ms, shown, where="post", color="tab:purple", lw=1)
    # Zero is always on the axis, so a constant current shows its size, not a flat line.
    low, high = min(0.0, float(shown.min())), max(0.0, float(shown.max()))
    pad = 0.15 * (high - low) or 1.0
    ax.set_ylim(low - pad, high + 2.5 * pad)  # headroom for the description
    ax.axhline(0.0, color="0.6", lw=0.6, ls=":")
    ax.set_ylabel(f"I_inj [{label}]")
    ax.annotate(stimulus.describe(), (0.01, 0.85), xycoords="axes fraction", fontsize=8)


_GATE_COLOURS = {"n": "tab:blue", "m": "tab:orange", "h": "tab:green"}
_PRESET_STYLES = ("-", "--", ":", "-.")


def plot_gating(curves, path: str | Path | None = None) -> Path | ReportFigure:
    """Lecture 7's "compare gating variables": x_inf and tau of n, m, h for several presets.

    Parameters
    ----------
    curves : sequence of hh_brian.analysis.gating.GatingCurves
        All on the modern potential axis (depolarisation positive).
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.
    """
    from matplotlib.lines import Line2D

    figure = ReportFigure(figsize=(11, 4.8))
    ax_x, ax_t = figure.subplots(1, 2)
    preset_handles = []
    for k, c in enumerate(curves):
        style = _PRESET_STYLES[k % len(_PRESET_STYLES)]
        width = max(3.0 - 0.8 * k, 1.0)  # later presets thinner, so coinciding curves show
        v = np.asarray(c.v_modern / mV)
        shade = max(1.0 - 0.3 * k, 0.3)  # later presets darker, so coinciding curves show
        for gate, colour in _GATE_COLOURS.items():
            rgb = tuple(shade * x for x in to_rgb(colour))
            ax_x.plot(v, c.x_inf[gate], style, color=rgb, lw=width)
            ax_t.plot(v, np.asarray(c.tau[gate] / ms), style, color=rgb, lw=width)
        celsius = float(c.preset.parameters["celsius"])
        preset_handles.append(
            Line2D(
                [],
                [],
                ls=style,
                lw=width,
                color="black",
                label=f"{c.preset.name} ({celsius:g} degC)",
            )
        )
    gate_handles = [
        Line2D([], [], color=colour, lw=2, label=gate) for gate, colour in _GATE_COLOURS.items()
    ]
    ax_x.set_ylabel("steady state x_inf [1]")
    ax_x.set_ylim(-0.03, 1.03)
    ax_t.set_ylabel("time constant tau_x [ms] (log scale)")
    ax_t.set_yscale("log")
    for ax in (ax_x, ax_t):
        ax.set_xlabel("membrane potential V (modern convention) [mV]")
        ax.grid(alpha=0.3)
    ax_x.legend(handles=gate_handles, title="gate", fontsize=8, loc="center left")
    ax_t.legend(handles=preset_handles, title="preset", fontsize=8, loc="lower left")
    names = " vs ".join(c.preset.name for c in curves)
    figure.suptitle(f"Gating variables: {names} (rates x phi at each preset's temperature)")
    figure.tight_layout()
    return save_figure(figure, path)


def plot_fi(fi, path: str | Path | None = None) -> Path | ReportFigure:
    """f-I curve, up sweep (from rest) and down sweep (from firing), bistable range shaded.

    Parameters
    ----------
    fi : hh_brian.analysis.fi_result.FICurve
    path : str or Path
    """
    from brian2 import Hz

    _, unit = fi.current_column
    label = "uA/cm$^2$" if fi.is_density else "nA"
    current = np.asarray(fi.currents / unit)
    figure = ReportFigure(figsize=(7.5, 4.8))
    ax = figure.subplots()
    bistable = fi.bistable
    if bistable.any():
        lo, hi = current[bistable].min(), current[bistable].max()
        ax.axvspan(lo, hi, color="gold", alpha=0.3, label="bistable: rest and firing coexist")
    ax.plot(current, np.asarray(fi.rate_step / Hz), "-", color="0.75", lw=5, label="step from rest")
    ax.plot(
        current,
        np.asarray(fi.rate_up / Hz),
        "o-",
        color="tab:blue",
        ms=4,
        label="up sweep (ramp from rest)",
    )
    ax.plot(
        current,
        np.asarray(fi.rate_down / Hz),
        "v--",
        color="tab:red",
        ms=4,
        label=(
            "down sweep (from firing)"
            if getattr(fi, "primed", True)
            else "down sweep NOT primed (did not start from firing)"
        ),
    )
    ax.set_xlabel(f"injected current [{label}]")
    ax.set_ylabel("steady-state firing rate [Hz]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    duration = float(fi.protocol["duration"] / ms)
    ax.set_title(
        f"{fi.preset.name} - {fi.method}, dt = {float(fi.dt / ms):g} ms, "
        f"hold {duration:g} ms (rate over last half)",
        fontsize=10,
    )
    figure.tight_layout()
    return save_figure(figure, path)
