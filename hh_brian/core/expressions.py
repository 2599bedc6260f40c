"""Parse and evaluate unit-carrying expressions such as ``'10*uA/cm**2'``.

Two kinds of text cross hh-brian's interfaces: parameter values
(``--set g_Na=120*mS/cm**2``, ``--dt 0.01*ms``) and rate expressions
(``alpha_n = 0.1/ms/exprel(-(v + 55*mV)/(10*mV))``).  Both are parsed with
Python's :mod:`ast`, checked by :func:`bounded_parse`, and evaluated with
Brian2 quantities so that units are checked on the way.  Nothing else is ever
executed.

The bounded check
-----------------
Every piece of user text passes :func:`bounded_parse` before anything
evaluates it and before SymPy or Brian2 sees it.  It refuses, each with a
one-line :class:`~hh_brian.core.errors.HHBrianInputError`:

* text longer than :data:`MAX_TEXT_LENGTH` characters (checked before parsing);
* syntax nested deeper than :data:`MAX_DEPTH` (brackets, unary minus chains);
* any syntax other than numbers, names, ``+ - * / **``, unary ``+ -`` and calls
  of :data:`FUNCTION_NAMESPACE` with one positional argument (no attributes,
  subscripts, strings, bytes, f-strings, lambdas, comprehensions, keywords);
* names other than units, the caller's variables, the functions and, for
  :func:`evaluate` only, ``nan`` and ``inf`` (so that they can be refused by
  name, as "not finite", further on);
* a power tower of constants (``9**9**9``), a constant exponent larger than
  :data:`MAX_EXPONENT` in magnitude, or nested constant powers whose exponents
  multiply beyond it (``((2**1000)**1000)``), since SymPy evaluates constant
  powers exactly.

Every integer constant becomes a float before evaluation, so arithmetic is
IEEE double arithmetic: no operation can take unbounded time or memory.  With
the text length capped, an evaluation costs at most a few hundred array
operations, i.e. microseconds for scalars and proportional to the array size
for arrays of ``v``; a refusal takes well under a millisecond.

Numeric domain errors of constant text (a complex result such as
``(-8)**0.5*mV``, ``1/0*mV``, an overflow such as ``1e308*1e308*mV``) are
one-line errors too.  Over arrays of ``v``, non-finite entries (e.g. ``exp`` of a
large argument) are returned as they are, for the caller to judge.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping

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

#: Functions usable in expressions, with Brian2's semantics.  Each takes one
#: dimensionless argument, except ``sqrt`` and ``abs``, which take any.  The set
#: is what gating rates and time constants need, and each has the same name in
#: Brian2, NumPy and NMODL (``abs`` is printed as ``fabs`` there).  ``exprel(x)``
#: is (exp(x) - 1)/x, finite at 0.
FUNCTION_NAMESPACE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "exprel": DEFAULT_FUNCTIONS["exprel"].pyfunc,
}

#: Longest accepted expression text (characters).
MAX_TEXT_LENGTH = 1000
#: Deepest accepted syntax tree: each operator, call or unary sign adds a level, so
#: this allows a flat sum of about 95 terms or about 45 nested brackets with operators,
#: far beyond any rate, while keeping the recursive printers of Python, Brian2 and
#: SymPy well inside the recursion limit.
MAX_DEPTH = 100
#: Largest accepted magnitude of a constant exponent (also of nested constant exponents
#: multiplied together).
MAX_EXPONENT = 1000.0

#: Names :func:`evaluate` accepts so that it can refuse them as "not finite" later.
_NON_FINITE_NAMES = {"nan": float("nan"), "inf": float("inf")}

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

#: Short names for refused syntax, for messages.
_NODE_NAMES = {
    "Attribute": "attribute access",
    "Subscript": "a subscript",
    "Lambda": "lambda",
    "JoinedStr": "an f-string",
    "FormattedValue": "an f-string",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a comprehension",
    "keyword": "a keyword argument",
    "Starred": "a starred argument",
    "Compare": "a comparison",
    "BoolOp": "and/or",
    "IfExp": "if/else",
    "NamedExpr": ":=",
}


def _refuse_syntax(what: str, text: str, example: str, culprit: str) -> HHBrianInputError:
    return HHBrianInputError(
        f"{what}: {_quote(text)} uses {culprit}, which is not allowed; use numbers, names, "
        f"+ - * / ** and functions {', '.join(sorted(FUNCTION_NAMESPACE))}, e.g. {example}"
    )


def _quote(text: str, limit: int = 80) -> str:
    """*text* quoted for a one-line message, shortened if long."""
    if len(text) > limit:
        return repr(text[: limit - 3] + "...")
    return repr(text)


def _depth(tree: ast.AST) -> int:
    """Depth of a syntax tree, without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _constant_value(node: ast.AST) -> float | None:
    """The float value of a constant subtree (numbers and + - * / ** only), else None.

    Refuses nothing; returns ``math.inf`` on overflow and ``math.nan`` on other
    arithmetic failures, so that the caller can refuse with its own message.
    Only called on trees already bounded by :data:`MAX_DEPTH`.
    """
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        value = _constant_value(node.operand)
        if value is None:
            return None
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _constant_value(node.left), _constant_value(node.right)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            result = left**right
        except OverflowError:
            return math.inf
        except ZeroDivisionError:
            return math.nan
        return result if isinstance(result, float) else math.nan
    return None


def _has_constant_power(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Pow) for sub in ast.walk(node))


def _check_powers(tree: ast.Expression, text: str, what: str, example: str) -> None:
    """Refuse power towers and huge constant exponents (see the module docstring)."""
    stack: list[tuple[ast.AST, float]] = [(tree.body, 1.0)]
    while stack:
        node, factor = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = _constant_value(node.right)
            if exponent is not None:
                if _has_constant_power(node.right):
                    raise HHBrianInputError(
                        f"{what}: {_quote(text)} raises to a power of a power (a power tower); "
                        f"write the exponent as one number, e.g. {example}"
                    )
                if not abs(exponent) <= MAX_EXPONENT or not abs(exponent) * factor <= MAX_EXPONENT:
                    raise HHBrianInputError(
                        f"{what}: {_quote(text)} has an exponent beyond +-{MAX_EXPONENT:g}; "
                        f"rates and parameters need small exponents, e.g. {example}"
                    )
                stack.append((node.left, factor * max(abs(exponent), 1.0)))
                stack.append((node.right, 1.0))
                continue
        stack.extend((child, factor) for child in ast.iter_child_nodes(node))


class _IntsToFloats(ast.NodeTransformer):
    """Turn every integer constant into a float, so arithmetic is bounded IEEE arithmetic."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.copy_location(ast.Constant(float(node.value)), node)


def bounded_parse(
    text: str,
    *,
    what: str = "expression",
    example: str = "'1*mV'",
    names: Iterable[str] | None = None,
) -> ast.Expression:
    """Check *text* within fixed bounds and return its syntax tree, with floats for ints.

    This runs before anything evaluates *text* and before SymPy or Brian2 sees it;
    see the module docstring for what it refuses and why the cost is bounded.

    Parameters
    ----------
    text : str
        The expression.
    what : str
        Names the culprit in error messages (e.g. ``"--set g_Na"``).
    example : str
        A correct example, quoted in error messages.
    names : iterable of str, optional
        Names allowed besides units and functions (variables, parameters).  If
        None, names are not checked here (:func:`evaluate` checks them later).

    Returns
    -------
    ast.Expression
        The checked tree, with every integer constant replaced by a float.

    Raises
    ------
    HHBrianInputError
        One line naming the culprit, the expected form and an example.

    Examples
    --------
    >>> ast.unparse(bounded_parse("2**3*mV"))
    '2.0 ** 3.0 * mV'
    """
    if not isinstance(text, str):
        raise HHBrianInputError(
            f"{what}: expected text such as {example}, got {type(text).__name__}"
        )
    if len(text) > MAX_TEXT_LENGTH:
        raise HHBrianInputError(
            f"{what}: the expression is {len(text)} characters long; expected at most "
            f"{MAX_TEXT_LENGTH}, e.g. {example}"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise HHBrianInputError(
            f"{what}: cannot parse {_quote(text)} ({exc.msg}); expected an expression like "
            f"{example}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise HHBrianInputError(
            f"{what}: cannot parse {_quote(text)} ({type(exc).__name__}); expected an "
            f"expression like {example}"
        ) from None
    if _depth(tree) > MAX_DEPTH:
        raise HHBrianInputError(
            f"{what}: {_quote(text)} is nested more than {MAX_DEPTH} levels deep; "
            f"expected a simpler expression like {example}"
        )
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            name = type(node).__name__
            raise _refuse_syntax(what, text, example, _NODE_NAMES.get(name, name))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTION_NAMESPACE):
            raise HHBrianInputError(
                f"{what}: {_quote(text)} calls an unknown function; allowed: "
                f"{', '.join(sorted(FUNCTION_NAMESPACE))}, e.g. {example}"
            )
        if node.keywords:
            raise _refuse_syntax(what, text, example, "a keyword argument")
        if len(node.args) != 1:
            raise HHBrianInputError(
                f"{what}: {_quote(text)} calls {node.func.id} with {len(node.args)} "
                f"arguments; it takes exactly one, e.g. {example}"
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise HHBrianInputError(
                f"{what}: {_quote(text)} contains {_quote(repr(node.value), 40)}, which is "
                f"not allowed (only numbers are); expected an expression like {example}"
            )
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            try:
                float(node.value)
            except OverflowError:
                raise HHBrianInputError(
                    f"{what}: {_quote(text)} contains an integer too large for a float; "
                    f"expected an expression like {example}"
                ) from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    allowed = None if names is None else set(names) | set(UNIT_NAMESPACE)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or id(node) in called:
            continue
        if node.id in FUNCTION_NAMESPACE and (allowed is None or node.id not in allowed):
            raise HHBrianInputError(
                f"{what}: {_quote(text)} uses the function {node.id} without calling it; "
                f"write {node.id}(...), e.g. {example}"
            )
        if allowed is not None and node.id not in allowed:
            raise _unknown_name(node.id, text, what, example)
    _check_powers(tree, text, what, example)
    return ast.fix_missing_locations(_IntsToFloats().visit(tree))


def _unknown_name(name: str, text: str, what: str, example: str) -> HHBrianInputError:
    return HHBrianInputError(
        f"{what}: unknown name {name!r} in {_quote(text)}; use unit names such as "
        f"mV, ms, uA, cm and the model's variables, e.g. {example}"
    )


def names_in(text: str) -> set[str]:
    """Names (variables, parameters, units) that an expression refers to.

    >>> sorted(names_in("0.1/ms/exprel(-(v + 55*mV)/(10*mV))"))
    ['mV', 'ms', 'v']
    """
    tree = bounded_parse(text, what="expression", example="'1*mV'")
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called
    }


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
                raise _unknown_name(node.id, text, what, example)
    try:
        with np.errstate(all="ignore"):
            value = eval(compile(tree, "<expression>", "eval"), {"__builtins__": {}}, namespace)
    except _units.DimensionMismatchError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(
            f"{what}: inconsistent units in {_quote(text)} ({reason}); e.g. {example}"
        ) from None
    except ZeroDivisionError:
        raise HHBrianInputError(
            f"{what}: {_quote(text)} divides by zero; expected a finite value, e.g. {example}"
        ) from None
    except OverflowError:
        raise HHBrianInputError(
            f"{what}: {_quote(text)} overflows (is not finite); expected a finite value, "
            f"e.g. {example}"
        ) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(f"{what}: cannot evaluate {_quote(text)} ({reason})") from None
    if np.iscomplexobj(value):
        raise HHBrianInputError(
            f"{what}: {_quote(text)} is not a real number (a negative number to a fractional "
            f"power?); e.g. {example}"
        )
    try:
        value = Quantity(value)
    except (TypeError, ValueError) as exc:
        raise HHBrianInputError(f"{what}: cannot evaluate {_quote(text)} ({exc})") from None
    constant = not (used & set(variables)) and not (used & set(_NON_FINITE_NAMES))
    if constant and not np.all(np.isfinite(np.asarray(value))):
        raise HHBrianInputError(
            f"{what}: {_quote(text)} is not finite (overflow, division by zero or 0/0); "
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
