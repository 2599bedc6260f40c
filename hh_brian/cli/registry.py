"""The registry of ``hh-brian`` subcommands, exit statuses and the one-line-error parser.

Each module under :mod:`hh_brian.cli.commands` defines ``add_parser(subparsers)`` and
``run(args) -> int``, and optionally ``check(args)``, and registers them here with
:func:`register`.  ``check`` refuses bad names, paths and options *before* Brian2 is
imported (so it imports nothing heavy: no Brian2, SymPy, SciPy or NumPy); ``run`` does
the work and may check again.
:mod:`hh_brian.cli.main` imports the command modules, builds the parser from
:data:`COMMANDS` and dispatches.  Commands never import :mod:`hh_brian.cli.main`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from hh_brian.core.errors import HHBrianInputError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, how it adds its parser, its quick checks, what it runs."""

    name: str
    add_parser: Callable[[argparse._SubParsersAction], object]
    run: Callable[[argparse.Namespace], int]
    check: Callable[[argparse.Namespace], None] | None = None


#: Subcommand name -> :class:`Command`, filled by :func:`register`.
COMMANDS: dict[str, Command] = {}


def register(
    name: str,
    add_parser: Callable[[argparse._SubParsersAction], object],
    run: Callable[[argparse.Namespace], int],
    check: Callable[[argparse.Namespace], None] | None = None,
) -> Command:
    """Register subcommand *name* (a second registration of the same name replaces it)."""
    command = Command(name, add_parser, run, check)
    COMMANDS[name] = command
    return command


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # pragma: no cover - exercised via main()
        if "expected one argument" in message:
            message += " (a value starting with '-' must be joined with '=': --dt=-0.01*ms)"
        raise HHBrianInputError(f"{self.prog}: {message}")


__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "Command",
    "Parser",
    "register",
]
