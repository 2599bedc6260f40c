"""Parse and evaluate unit-carrying expressions such as ``'10*uA/cm**2'``.

Two kinds of text cross hh-brian's interfaces: parameter values
(``--set g_Na=120*mS/cm**2``, ``--dt 0.01*ms``) and rate expressions
(``alpha_n = 0.1/ms/exprel(-(v + 55*mV)/(10*mV))``).  Both are parsed with
Python's :mod:`ast`, restricted to arithmetic, names and a small set of
functions, and evaluated with Brian2 quantities so that units are checked on
the way.  Nothing else is ever executed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

import brian2.units as _units
import numpy as np
from brian2 import Quantity, Unit, get_dimensions
from brian2.core.functions import DEFAULT_FUNCTIONS
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from hh_brian.core.errors import HHBrianInputError

#: Unit names usable in expressions: every unit Brian2 exports (mV, ms, uA, cm, ...).
UNIT_NAMESPACE: dict[str, Unit] = {
    name: obj for name, obj in vars(_units).items() if isinstance(obj, Unit)
}

#: Functions usable in expressions, with Brian2's semantics.  ``exprel(x)`` is
#: (exp(x) - 1)/x, finite at 0.
FUNCTION_NAMESPACE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "exprel": DEFAULT_FUNCTIONS["exprel"].pyfunc,
}

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


def _parse(text: str, what: str, example: str) -> ast.Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise HHBrianInputError(
            f"{what}: cannot parse {text!r} ({exc.msg}); expected an expression like {example}"
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise HHBrianInputError(
                f"{what}: {text!r} uses {type(node).__name__}, which is not allowed; "
                f"use numbers, names, + - * / ** and functions "
                f"{sorted(FUNCTION_NAMESPACE)}, e.g. {example}"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise HHBrianInputError(f"{what}: {text!r} contains {node.value!r}; expected {example}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in FUNCTION_NAMESPACE
        ):
            raise HHBrianInputError(
                f"{what}: {text!r} calls an unknown function; allowed: {sorted(FUNCTION_NAMESPACE)}"
            )
    return tree


def names_in(text: str) -> set[str]:
    """Names (variables, parameters, units) that an expression refers to."""
    tree = _parse(text, "expression", "'1*mV'")
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in FUNCTION_NAMESPACE
    }


def evaluate(
    text: str,
    variables: Mapping[str, object] | None = None,
    *,
    what: str = "expression",
    example: str = "'10*uA/cm**2'",
) -> Quantity:
    """Evaluate *text* with Brian2 units and the given *variables*.

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
        Quantity too).

    Raises
    ------
    HHBrianInputError
        On a syntax error, an unknown name or inconsistent units.
    """
    tree = _parse(text, what, example)
    namespace: dict[str, object] = dict(UNIT_NAMESPACE)
    namespace.update(FUNCTION_NAMESPACE)
    # Parsed so that they can be rejected by name ("not finite") rather than as unknown.
    namespace.update({"nan": float("nan"), "inf": float("inf")})
    if variables:
        namespace.update(variables)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in namespace:
            raise HHBrianInputError(
                f"{what}: unknown name {node.id!r} in {text!r}; use unit names such as "
                f"mV, ms, uA, cm and the model's variables, e.g. {example}"
            )
    try:
        with np.errstate(all="ignore"):
            value = eval(compile(tree, "<expression>", "eval"), {"__builtins__": {}}, namespace)
    except _units.DimensionMismatchError as exc:
        raise HHBrianInputError(
            f"{what}: inconsistent units in {text!r} ({exc}); e.g. {example}"
        ) from None
    except (TypeError, ZeroDivisionError, OverflowError) as exc:
        raise HHBrianInputError(f"{what}: cannot evaluate {text!r} ({exc})") from None
    return Quantity(value)


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
