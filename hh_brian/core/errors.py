"""Exceptions raised at hh-brian's interfaces.

Every message names the culprit, says what was expected and suggests a fix,
so the command line can print it as one line and exit with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HHBrianInputError(ValueError):
    """Bad input from the user: wrong units, impossible values, unknown names."""


class SimulationBlowUpError(ArithmeticError):
    """A numerical integration produced NaN/Inf or left the gates' range [0, 1]."""


def blow_up_advice(method: str) -> str:
    """What to do after *method* blew up: advice that is right for the method.

    >>> blow_up_advice("rk4")
    'use a smaller dt or method exponential_euler (its gates are unconditionally stable)'
    """
    if method.startswith("exponential_euler"):
        return (
            "use a smaller dt, or check the model: exponential Euler is stable for "
            "linear gates, so a blow-up usually means a rate or parameter is wrong"
        )
    return "use a smaller dt or method exponential_euler (its gates are unconditionally stable)"


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return a "did you mean ...?" hint for *name* among *candidates*.

    >>> closest_names("g_na", ["g_Na", "g_K", "E_Na"])
    " Did you mean 'g_Na' or 'E_Na' or 'g_K'?"
    """
    candidates = list(candidates)
    lowered = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    if not matches:
        return ""
    quoted = " or ".join(repr(lowered[m]) for m in matches)
    return f" Did you mean {quoted}?"
