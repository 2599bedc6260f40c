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


#: Methods whose every variable takes an exponential step towards its instantaneous fixed
#: point: a gate towards x_inf in [0, 1], V towards a conductance-weighted mean of the
#: reversal potentials (plus I/g).  With non-negative rates and conductances they cannot
#: blow up at any dt.
EXPONENTIAL_METHODS = ("exponential_euler", "exponential_euler_tau", "rush_larsen2")
#: The method blow-up advice names: stable at any dt (above) and second order, so it
#: stays accurate where an explicit method blew up (no blow-up at dt = 0.1 ms on any
#: built-in cell, ``tests/test_rush_larsen.py``).
STABLE_METHOD = "rush_larsen2"


def blow_up_advice(method: str) -> str:
    """What to do after *method* blew up: advice that is right for the method.

    >>> blow_up_advice("rk4")[:26]
    'use method rush_larsen2 (s'
    """
    if method in EXPONENTIAL_METHODS:
        return (
            f"check the model: {method} moves every gate towards x_inf in [0, 1] and V "
            "towards a weighted mean of the reversal potentials, so it cannot blow up at "
            "any dt with non-negative rates and conductances; a blow-up means a rate or "
            "parameter is wrong (negative, or NaN somewhere in the range of V)"
        )
    return (
        f"use method {STABLE_METHOD} (second order; its gates and V take exponential steps, "
        "stable at any dt) or a smaller dt"
    )


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
