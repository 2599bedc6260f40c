"""The bifurcation diagram as a figure: membrane potential and frequency against the parameter.

Drawn as in Rinzel & Miller (1980, Math Biosci 49:27-59, Fig. 1) and Izhikevich
(Dynamical Systems in Neuroscience, MIT Press 2007, ch. 6): equilibria as a line,
solid where stable and dashed where unstable; each branch of cycles as its two
extrema of V, solid where stable and dashed where unstable; special points
marked and labelled.  Potentials are shown in the modern convention (depolarisation
up) whatever the model's own.  A lower panel gives the cycles' frequency.  When the
bistable window is narrow against the range, a panel on the right enlarges it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hh_brian.report.figure import ReportFigure, save_figure

#: Marker and short label of each kind of special point.
STYLE = {
    "saddle_node": ("s", "SN"),
    "hopf_subcritical": ("o", "subHopf"),
    "hopf_supercritical": ("o", "supHopf"),
    "hopf": ("o", "Hopf"),
    "fold_of_cycles": ("D", "LPC"),
    "snic": ("*", "SNIC"),  # drawn over the saddle-node it sits on
    "homoclinic": ("^", "HC"),
}
STABLE, UNSTABLE = "-", "--"
EQUILIBRIUM_COLOUR, CYCLE_COLOUR, POINT_COLOUR = "black", "tab:blue", "tab:red"


def _runs(mask: np.ndarray) -> list[slice]:
    """Slices of consecutive equal values of *mask* (overlapping by one sample)."""
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    bounds = [0, *edges.tolist(), len(mask)]
    return [slice(max(a - 1, 0), b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _draw_branches(ax, diagram, frequency_ax=None) -> None:
    modern = diagram.to_modern
    for branch in diagram.equilibria:
        for run in _runs(branch.stable):
            style = STABLE if branch.stable[run.stop - 1] else UNSTABLE
            ax.plot(branch.p[run], modern(branch.v[run]), style, color=EQUILIBRIUM_COLOUR, lw=1.6)
    for branch in diagram.cycles:
        high = np.maximum(modern(branch.v_min), modern(branch.v_max))
        low = np.minimum(modern(branch.v_min), modern(branch.v_max))
        for run in _runs(branch.stable):
            style = STABLE if branch.stable[run.stop - 1] else UNSTABLE
            for values in (high, low):
                ax.plot(branch.p[run], values[run], style, color=CYCLE_COLOUR, lw=1.4)
            if frequency_ax is not None:
                frequency = 1e3 / branch.period[run]
                frequency_ax.plot(branch.p[run], frequency, style, color=CYCLE_COLOUR, lw=1.4)


def _draw_frequency_points(ax, diagram) -> None:
    """Special points on the frequency panel; a SNIC joins its branch to 0 Hz."""
    for point in diagram.points:
        if not np.isfinite(point.frequency_hz):
            continue
        marker, _ = STYLE.get(point.kind, ("x", point.kind))
        ax.plot(point.p, point.frequency_hz, marker, ms=6, mec=POINT_COLOUR, mfc="white", zorder=5)
        if point.kind == "snic":
            branch = diagram.cycles[int(point.branch.split("_")[-1])]
            ax.plot(
                [branch.p[-1], point.p],
                [1e3 / branch.period[-1], 0.0],
                ":",
                color=CYCLE_COLOUR,
                lw=1.4,
            )


def _draw_points(
    ax,
    diagram,
    labels: bool,
    window: tuple[float, float] | None = None,
    exclude: tuple[float, float] | None = None,
) -> None:
    """Mark the special points; label them (staggered when close), those in *window* only
    and none in *exclude* (shown enlarged elsewhere)."""
    modern = diagram.to_modern
    lo, hi = window or (diagram.start, diagram.stop)
    spacing = 0.04 * (hi - lo)
    last_labelled, stagger = -np.inf, 0
    snics = {point.p for point in diagram.points if point.kind == "snic"}
    for point in diagram.points:
        marker, label = STYLE.get(point.kind, ("x", point.kind))
        if point.kind in ("fold_of_cycles", "homoclinic"):
            ys = [float(modern(point.v_min)), float(modern(point.v_max))]
        else:
            ys = [float(modern(point.v))]
        filled = point.kind != "hopf_subcritical"
        for y in ys:
            ax.plot(
                point.p,
                y,
                marker,
                ms=11 if point.kind == "snic" else 7,
                mec=POINT_COLOUR,
                mfc=POINT_COLOUR if filled else "white",
                zorder=6 if point.kind == "snic" else 5,
            )
        if not labels or not lo <= point.p <= hi:
            continue
        if exclude and exclude[0] <= point.p <= exclude[1]:
            continue
        if point.kind == "saddle_node" and point.p in snics:
            continue  # the SNIC's label names the same point
        stagger = stagger + 1 if point.p - last_labelled < spacing else 0
        last_labelled = point.p
        # close labels alternate below and above their points, to stay near them
        below, row = stagger % 2 == 0, stagger // 2
        ax.annotate(
            f"{label} {point.p:.4g}",
            (point.p, min(ys) if below else max(ys)),
            xytext=(4, -12 - 10 * row if below else 5 + 10 * row),
            textcoords="offset points",
            ha="left",
            fontsize=7,
            color=POINT_COLOUR,
        )


def _window(diagram) -> tuple[float, float] | None:
    """The parameter window to enlarge: the bistable window(s) and the special points
    next to them, when narrow against the range."""
    windows = diagram.bistable()
    if not windows:
        return None
    lo, hi = windows[0][0], windows[-1][1]
    near = [q.p for q in diagram.points if lo - 0.5 * (hi - lo) <= q.p <= hi + 0.5 * (hi - lo)]
    lo, hi = min([lo, *near]), max([hi, *near])
    if hi - lo > 0.15 * (diagram.stop - diagram.start):
        return None
    pad = 0.25 * (hi - lo)
    return lo - pad, hi + pad


def plot_bifurcation(diagram, path: str | Path | None = None) -> Path | ReportFigure:
    """Draw *diagram* (:class:`hh_brian.bifurcation.BifurcationDiagram`) to *path*.

    Parameters
    ----------
    diagram : BifurcationDiagram
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.

    Returns
    -------
    Path
    """
    window = _window(diagram)
    figure = ReportFigure(figsize=(11.5, 6.8) if window else (8.0, 6.8), layout="constrained")
    grid = figure.add_gridspec(
        2, 2 if window else 1, height_ratios=[3, 1.3], width_ratios=[2.2, 1] if window else [1]
    )
    ax = figure.add_subplot(grid[0, 0])
    frequency_ax = figure.add_subplot(grid[1, 0], sharex=ax)
    panels = [(ax, frequency_ax, None)]
    if window:
        zoom = figure.add_subplot(grid[0, 1], sharey=ax)
        zoom_frequency = figure.add_subplot(grid[1, 1], sharex=zoom, sharey=frequency_ax)
        panels.append((zoom, zoom_frequency, window))
    spec = diagram.spec
    unit = spec.unit_text.replace("**2", "$^2$")
    xlabel = f"{spec.name} [{unit}]" if unit else spec.name
    for v_ax, f_ax, limits in panels:
        for lo, hi in diagram.bistable():
            for axis in (v_ax, f_ax):
                axis.axvspan(lo, hi, color="gold", alpha=0.3, lw=0)
        _draw_branches(v_ax, diagram, f_ax)
        _draw_frequency_points(f_ax, diagram)
        # the full range labels only what the enlarged panel does not show
        _draw_points(v_ax, diagram, labels=True, window=limits, exclude=None if limits else window)
        f_ax.set_xlabel(xlabel)
        f_ax.set_ylim(bottom=0)
    ax.set_xlim(diagram.start, diagram.stop)
    ax.set_ylabel("V [mV] (modern convention)")
    frequency_ax.set_ylabel("cycle frequency [Hz]")
    if window:
        zoom.set_xlim(*window)
        zoom.set_title("enlarged: the bistable window", fontsize=9)
        ax.axvspan(*window, fill=False, ec="0.5", ls=":", lw=0.8)
    title = f"{diagram.model.name}: bifurcation diagram in {spec.name}"
    if spec.name != "I_inj" and diagram.current:
        title += f" (I_inj = {diagram.current:g} uA/cm$^2$)"
    ax.set_title(title, fontsize=10)
    ax.plot([], [], STABLE, color="0.3", label="stable")
    ax.plot([], [], UNSTABLE, color="0.3", label="unstable")
    ax.plot([], [], "-", color=EQUILIBRIUM_COLOUR, label="equilibrium")
    ax.plot([], [], "-", color=CYCLE_COLOUR, label="cycle: max and min of V")
    if diagram.bistable():
        ax.fill_between([], [], color="gold", alpha=0.3, label="bistable: rest and firing")
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    if diagram.failure:
        ax.text(
            0.01,
            0.99,
            "incomplete: " + diagram.failure,
            transform=ax.transAxes,
            fontsize=6,
            va="top",
        )
    return save_figure(figure, path)


__all__ = ["STYLE", "plot_bifurcation"]
