"""The figure every ``plot_*`` function draws on, saved to a file or shown in Jupyter.

Figures are :class:`ReportFigure` objects: a :class:`matplotlib.figure.Figure` made
without pyplot (no backend is selected, no global figure registry is touched, nothing
is drawn at import) that also renders itself as PNG for IPython (``_repr_png_``), so a
figure returned by a ``plot_*`` function called without a path shows inline in a
notebook whatever the backend and whether or not pyplot was imported.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from hh_brian.core.output import write_atomic

#: Resolution of raster figures (dots per inch).
DPI = 130
#: Resolution of the inline PNG in a notebook (dots per inch).
NOTEBOOK_DPI = 90


#: One colour per integration method, the same in every figure.
METHOD_COLOURS = {
    "rush_larsen2": "tab:green",
    "exponential_euler": "tab:blue",
    "rk4": "tab:orange",
    "euler": "tab:red",
    "exponential_euler_tau": "tab:purple",
}


def plain_log_ticks(axis, values=None) -> None:
    """Label a log-scaled *axis* with plain numbers (``0.01``, not ``10^-2``).

    Minor ticks stay unlabelled, so labels of a narrow range cannot overlap; with
    *values* (e.g. the time steps run), the major ticks sit at those values.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if values is not None:
        axis.set_ticks(sorted(set(values)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_formatter(NullFormatter())


class ReportFigure(Figure):
    """A matplotlib figure that IPython displays as PNG (no pyplot, no backend change)."""

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes, cropped to its content (IPython's display hook)."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=NOTEBOOK_DPI, bbox_inches="tight")
        return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path | None, *, dpi: int = DPI) -> Path | Figure:
    """Save *figure* atomically (format from the suffix) and return the path.

    With ``path=None`` nothing is written and the figure itself is returned: that is
    how every ``plot_*`` function of :mod:`hh_brian.report` gives a notebook its figure.
    A figure made here needs no closing; one made with pyplot (e.g. by a script) is the
    caller's to close.
    """
    if path is None:
        return figure

    def writer(temporary: Path) -> None:
        figure.savefig(temporary, dpi=dpi, format=Path(path).suffix.lstrip(".").lower())

    return write_atomic(path, writer)


__all__ = [
    "DPI",
    "METHOD_COLOURS",
    "NOTEBOOK_DPI",
    "ReportFigure",
    "plain_log_ticks",
    "save_figure",
]
