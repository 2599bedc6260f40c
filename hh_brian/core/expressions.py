"""Parse and evaluate unit-carrying expressions such as ``'10*uA/cm**2'``.

Two kinds of text cross hh-brian's interfaces: parameter values
(``--set g_Na=120*mS/cm**2``, ``--dt 0.01*ms``) and rate expressions
(``alpha_n = 0.1/ms/exprel(-(v + 55*mV)/(10*mV))``).  Both are parsed with
Python's :mod:`ast`, checked by :func:`~hh_brian.core.bounded.bounded_parse`, and
evaluated with Brian2 quantities so that units are checked on the way.  Nothing
else is ever executed.

The bounded check (:mod:`hh_brian.core.bounded`) lives in its own module;
this one evaluates checked text with units.

Numeric domain errors of constant text (a complex result such as
``(-8)**0.5*mV``, ``1/0*mV``, an overflow such as ``1e308*1e308*mV``) are
one-line errors too.  Over arrays of ``v``, non-finite entries (e.g. ``exp`` of a
large argument) are returned as they are, for the caller to judge.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

import brian2.units as _units
import numpy as np
from brian2 import Quantity, Unit, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from hh_brian.core.bounded import (
    FUNCTION_NAMESPACE,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_TEXT_LENGTH,
    UNIT_NAMESPACE,
    bounded_parse,
    names_in,
    quote,
    unknown_name,
)
from hh_brian.core.errors import HHBrianInputError

__all__ = [
    "FUNCTION_NAMESPACE",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_TEXT_LENGTH",
    "UNIT_NAMESPACE",
    "bounded_parse",
    "check_dimensions",
    "dimension_name",
    "evaluate",
    "names_in",
    "quantity_from_text",
]

#: Names :func:`evaluate` accepts so that it can refuse them as "not finite" later.
_NON_FINITE_NAMES = {"nan": float("nan"), "inf": float("inf")}


def evaluate(
    text: str,
    variables: Mapping[str, object] | None = None,
    *,
    what: str = "expression",
    example: str = "'10*uA/cm**2'",
) -> Quantity:
    """Evaluate *text* with Brian2 units and the given *variables*.

    The text first passes :func:`bounded_parse`; integer constants are
    evaluated as floats.

    Parameters
    ----------
    text : str
        The expression, e.g. ``'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'``.
    variables : mapping, optional
        Values for the names in the expression (quantities or arrays).
    what : str
        Names the culprit in error messages (e.g. ``"--set g_Na"``).
    example : str
        A correct example, quoted in error messages.

    Returns
    -------
    Quantity
        The value with its units (dimensionless results are returned as
        Quantity too).  With array variables, entries may be inf or nan (e.g.
        ``exp`` of a large argument); the caller judges those.

    Raises
    ------
    HHBrianInputError
        On a syntax error, an unknown name, inconsistent units, a complex
        result, or a non-finite result of text without variables (unless the
        text names ``nan`` or ``inf`` itself, which callers refuse as "not
        finite").
    """
    variables = dict(variables or {})
    tree = bounded_parse(text, what=what, example=example)
    namespace: dict[str, object] = dict(UNIT_NAMESPACE)
    namespace.update(FUNCTION_NAMESPACE)
    namespace.update(_NON_FINITE_NAMES)
    namespace.update(variables)
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
            if node.id not in namespace:
                raise unknown_name(node.id, text, what, example, candidates=variables)
    try:
        with np.errstate(all="ignore"):
            value = eval(compile(tree, "<expression>", "eval"), {"__builtins__": {}}, namespace)
    except _units.DimensionMismatchError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(
            f"{what}: inconsistent units in {quote(text)} ({reason}); e.g. {example}"
        ) from None
    except ZeroDivisionError:
        raise HHBrianInputError(
            f"{what}: {quote(text)} divides by zero; expected a finite value, e.g. {example}"
        ) from None
    except OverflowError:
        raise HHBrianInputError(
            f"{what}: {quote(text)} overflows (is not finite); expected a finite value, "
            f"e.g. {example}"
        ) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(f"{what}: cannot evaluate {quote(text)} ({reason})") from None
    if np.iscomplexobj(value):
        raise HHBrianInputError(
            f"{what}: {quote(text)} is not a real number (a negative number to a fractional "
            f"power?); e.g. {example}"
        )
    try:
        value = Quantity(value)
    except (TypeError, ValueError) as exc:
        raise HHBrianInputError(f"{what}: cannot evaluate {quote(text)} ({exc})") from None
    constant = not (used & set(variables)) and not (used & set(_NON_FINITE_NAMES))
    if constant and not np.all(np.isfinite(np.asarray(value))):
        raise HHBrianInputError(
            f"{what}: {quote(text)} is not finite (overflow, division by zero or 0/0); "
            f"expected a finite value, e.g. {example}"
        )
    return value


def quantity_from_text(
    text: str,
    expected: Quantity | Unit,
    *,
    what: str,
    example: str,
) -> Quantity:
    """Parse a scalar quantity and check it has the dimensions of *expected*.

    >>> from brian2 import ms
    >>> quantity_from_text('0.01*ms', ms, what='--dt', example="'0.01*ms'")
    10. * usecond
    """
    value = evaluate(text, what=what, example=example)
    check_dimensions(value, expected, what=what, example=example)
    if np.ndim(value) != 0:
        raise HHBrianInputError(f"{what}: expected a single value, got {text!r}; e.g. {example}")
    if not math.isfinite(float(np.asarray(value))):
        raise HHBrianInputError(f"{what}: {text!r} is not finite; e.g. {example}")
    return value


def check_dimensions(value: object, expected: Quantity | Unit, *, what: str, example: str) -> None:
    """Raise :class:`HHBrianInputError` unless *value* has *expected*'s dimensions."""
    got = get_dimensions(value)
    want = get_dimensions(expected)
    if got is not want:
        got_text = "no units" if got is DIMENSIONLESS else f"units of {dimension_name(got)}"
        want_text = (
            "a dimensionless number"
            if want is DIMENSIONLESS
            else f"units of {dimension_name(want)}"
        )
        raise HHBrianInputError(
            f"{what}: got {_short(value)} with {got_text}; expected {want_text}, e.g. {example}"
        )


def _short(value: object) -> str:
    """A one-line description of a value for error messages."""
    if np.ndim(value) == 0:
        return repr(value)
    return f"an array of {np.size(value)} values"


_NAMED_DIMENSIONS = (
    ("siemens/metre**2", "a conductance density (siemens/metre**2)"),
    ("farad/metre**2", "a capacitance density (farad/metre**2)"),
    ("amp/metre**2", "a current density (amp/metre**2)"),
    ("amp", "a current (amp)"),
    ("volt", "a voltage (volt)"),
    ("second", "a time (second)"),
    ("hertz", "a rate (1/second)"),
    ("1/volt", "an inverse voltage (1/volt)"),
    ("metre**2", "an area (metre**2)"),
    ("siemens", "a conductance (siemens)"),
    ("farad", "a capacitance (farad)"),
)


def dimension_name(dim: object) -> str:
    """A readable name for a physical dimension, e.g. ``a time (second)``."""
    dim = get_dimensions(dim)
    if dim is DIMENSIONLESS:
        return "a dimensionless number"
    for unit_text, name in _NAMED_DIMENSIONS:
        if get_dimensions(eval(unit_text, {}, UNIT_NAMESPACE)) is dim:
            return name
    return repr(get_unit(dim))
