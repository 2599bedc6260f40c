"""Plain-text output shared by the comparison commands: numbers, CSV, fixed-width, Markdown.

A *row* here is any object with ``csv_values() -> dict[str, object]`` whose
keys include the table's columns; the values are already plain numbers or
strings in the units the column names state.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from brian2 import Quantity, ms


class Row(Protocol):
    def csv_values(self) -> dict[str, object]: ...


def format_number(value: object, digits: int = 6) -> str:
    """A number with *digits* significant digits, or ``""`` for NaN.

    >>> format_number(0.0123456789), format_number(float("nan")), format_number(2.5, 12)
    ('0.0123457', '', '2.5')
    """
    number = float(np.asarray(value))
    return "" if math.isnan(number) else f"{number:.{digits}g}"


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


def current_label(current: Quantity) -> str:
    """A current for titles: uA/cm^2 for densities, nA for absolute currents.

    >>> from brian2 import uA, cm
    >>> current_label(0.1 * uA / cm**2)
    '0.1 uA/cm^2'
    """
    from brian2 import amp, cm, get_dimensions, nA, uA

    if get_dimensions(current) is get_dimensions(amp):
        return f"{float(current / nA):g} nA"
    return f"{float(current / (uA / cm**2)):g} uA/cm^2"


def run_title(preset_name: str, duration: Quantity, current: Quantity) -> str:
    """``"<preset>, <duration> ms at <current>"`` for figure and report titles."""
    return f"{preset_name}, {float(duration / ms):g} ms at {current_label(current)}"
