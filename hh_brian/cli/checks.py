"""Quick checks of paths and options, run before Brian2 is imported.

Each command's ``check(args)`` (:mod:`hh_brian.cli.registry`) uses these helpers, so
a wrong suffix, a missing folder, an existing output without ``--force`` or an
unknown method is refused in a fraction of a second.  Nothing here imports Brian2,
SymPy, SciPy or NumPy; values with units (``--dt``, ``--current``) are checked later
by the command itself, since their unit check needs Brian2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.output import PLOT_SUFFIXES, check_output_path

#: Output options most commands share: argument name, suffixes, flag.
OUT_NPZ = ("out", (".npz",), "--out")
OUT_CSV = ("out", (".csv",), "--out")
PLOT = ("plot", PLOT_SUFFIXES, "--plot")
REPORT = ("report", (".md",), "--report")


def check_outputs(args: argparse.Namespace, *outputs: tuple[str, tuple[str, ...], str]) -> None:
    """Check each given output path (suffix, folder, writable, exists only with
    ``--force``); they must be different files."""
    paths = []
    for name, suffixes, flag in outputs:
        value = getattr(args, name, None)
        if value:
            paths.append((flag, check_output_path(value, suffixes, flag).resolve()))
    seen: dict[Path, str] = {}
    for flag, path in paths:
        if path in seen:
            raise HHBrianInputError(f"{seen[path]} and {flag} name the same file; give two files")
        seen[path] = flag


def check_choice(value: str | None, choices: Sequence[str], flag: str) -> None:
    """Refuse a value outside *choices*, with a suggestion."""
    if value is not None and value not in choices:
        raise HHBrianInputError(
            f"{flag}: unknown value {value!r}.{closest_names(value, list(choices))} "
            f"Use one of {', '.join(choices)}"
        )


def check_method(value: str | None, flag: str = "--method") -> None:
    """A Brian2 integration method (the message the commands have always given)."""
    from hh_brian.engines.brian2.names import BRIAN2_METHODS

    if value is not None and value not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"{flag}: unknown method {value!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )


def check_positive(value: float | None, flag: str, unit: str = "MiB") -> None:
    """A positive number (memory limits)."""
    if value is not None and not value > 0:
        raise HHBrianInputError(f"{flag}: must be positive ({unit}), got {value}")


def check_input_file(value: str | None, flag: str) -> None:
    """An input file that must exist."""
    if value and not Path(value).is_file():
        raise HHBrianInputError(f"{flag}: {value!r}: no such file")


__all__ = [
    "OUT_CSV",
    "OUT_NPZ",
    "PLOT",
    "REPORT",
    "check_choice",
    "check_input_file",
    "check_method",
    "check_outputs",
    "check_positive",
]
