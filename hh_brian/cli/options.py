"""Options shared by several subcommands: ``--set`` overrides, and flags in error messages.

Library functions name their parameters in error messages (``fine_dt: ...``);
:func:`naming_flags` shows the command line's flag there instead (``--fine-dt: ...``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from hh_brian.core.errors import HHBrianInputError


def parse_settings(pairs: Sequence[str] | None) -> dict[str, object]:
    """``["g_Na=120*mS/cm**2", "alpha_n=..."]`` -> ``{name: text}``; values are parsed later."""
    settings: dict[str, object] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise HHBrianInputError(
                f"--set {pair!r}: expected NAME=EXPR, e.g. --set 'g_Na=120*mS/cm**2'"
            )
        settings[name.strip()] = value.strip()
    return settings


def load_preset(name: str, settings: Sequence[str] | None):
    """The named preset with ``--set`` overrides applied (units checked)."""
    from hh_brian.models.library import load_model

    return load_model(name).derive(parse_settings(settings))


def add_memory_limit(parser: argparse.ArgumentParser, what: str = "a run") -> None:
    """The ``--memory-limit MiB`` option (default 1024): refuse *what* recording more."""
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=1024.0,
        metavar="MiB",
        help=f"refuse {what} that would record more (default 1024)",
    )


def add_set(parser: argparse.ArgumentParser) -> None:
    """The repeatable ``--set NAME=EXPR`` option."""
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=EXPR",
        help="override a parameter (--set 'g_Na=100*mS/cm**2', --set celsius=16.3) or a rate "
        "(--set 'beta_m=4/ms*exp(-(v + 65*mV)/(18*mV))')",
    )


def flag_text(message: str, flags: dict[str, str]) -> str:
    """*message* with each parameter name that starts a clause or sits in parentheses
    (``fine_dt:``, ``(memory_limit)``) replaced by its flag.

    >>> flag_text("fine_dt: 1 ms must be smaller than dt 0.1 ms", {"fine_dt": "--fine-dt"})
    '--fine-dt: 1 ms must be smaller than dt 0.1 ms'
    >>> flag_text("or raise the limit (memory_limit)", {"memory_limit": "--memory-limit MiB"})
    'or raise the limit (--memory-limit MiB)'
    """
    for parameter, flag in flags.items():
        message = re.sub(rf"(?<![\w-]){re.escape(parameter)}(?=[:)])", flag, message)
    return message


@contextmanager
def naming_flags(**flags: str) -> Iterator[None]:
    """Within the block, library input errors name *flags* (parameter -> flag) instead."""
    try:
        yield
    except HHBrianInputError as exc:
        raise HHBrianInputError(flag_text(str(exc), flags)) from None


__all__ = ["add_set", "flag_text", "load_preset", "naming_flags", "parse_settings"]
