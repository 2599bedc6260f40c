"""Plain-text output shared by the comparison commands: numbers, CSV, fixed-width, Markdown.

A *row* here is any object with ``csv_values() -> dict[str, object]`` whose
keys include the table's columns; the values are already plain numbers or
strings in the units the column names state.  :func:`format_number` and
:func:`current_label` live in :mod:`hh_brian.core.text` (the rows format their own cells).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Protocol

from brian2 import Quantity, ms

from hh_brian.core.text import current_label, format_number


class Row(Protocol):
    def csv_values(self) -> dict[str, object]: ...


def csv_text(rows: Iterable[Row], columns: Sequence[str]) -> str:
    """*rows* as CSV with a header of *columns* (other keys of ``csv_values`` are ignored)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(row.csv_values())
    return buffer.getvalue()


def fixed_width(columns: Sequence[tuple[str, str]], cells: Iterable[Sequence[object]]) -> str:
    """A fixed-width table for the terminal.

    *columns* are ``(header, format spec)`` pairs such as ``("dt_ms", ">8")``;
    each item of *cells* gives one row's values in the same order.

    >>> print(fixed_width([("a", "<3"), ("b", ">4")], [("x", 1.5)]))
    a      b
    x    1.5
    """
    lines = [" ".join(f"{header:{spec}}" for header, spec in columns).rstrip()]
    for row in cells:
        lines.append(
            " ".join(
                f"{str(value):{spec}}" for value, (_, spec) in zip(row, columns, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


def markdown_table(rows: Iterable[Row], columns: Sequence[str]) -> list[str]:
    """Lines of a Markdown table of *rows* over *columns*."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        values = row.csv_values()
        lines.append("| " + " | ".join(str(values[c]) for c in columns) + " |")
    return lines


def run_title(preset_name: str, duration: Quantity, current: object) -> str:
    """``"<preset>, <duration> ms at <current>"`` for figure and report titles.

    *current* is a constant Quantity or a sequence of stimuli (then described).
    """
    if isinstance(current, list | tuple):
        shown = " + ".join(s.describe() for s in current)
    else:
        shown = current_label(current)
    return f"{preset_name}, {float(duration / ms):g} ms at {shown}"


__all__ = [
    "Row",
    "csv_text",
    "current_label",
    "fixed_width",
    "format_number",
    "markdown_table",
    "run_title",
]
