"""The bounded check of expression text: length, depth, syntax, names and exponents.

Every piece of user text passes :func:`bounded_parse` before anything
evaluates it and before SymPy or Brian2 sees it.  It refuses, each with a
one-line :class:`~hh_brian.core.errors.HHBrianInputError`:

* text longer than :data:`MAX_TEXT_LENGTH` characters (checked before parsing);
* syntax nested deeper than :data:`MAX_DEPTH` (brackets, unary minus chains);
* any syntax other than numbers, names, ``+ - * / **``, unary ``+ -`` and calls
  of :data:`FUNCTION_NAMESPACE` with one positional argument (no attributes,
  subscripts, strings, bytes, f-strings, lambdas, comprehensions, keywords);
* names other than units, the caller's variables, the functions and, for
  :func:`~hh_brian.core.expressions.evaluate` only, ``nan`` and ``inf`` (so that
  they can be refused by name, as "not finite", further on);
* a power tower of constants (``9**9**9``), a constant exponent larger than
  :data:`MAX_EXPONENT` in magnitude, or nested constant powers whose exponents
  multiply beyond it (``((2**1000)**1000)``), since SymPy evaluates constant
  powers exactly.

Every integer constant becomes a float before evaluation, so arithmetic is
IEEE double arithmetic: no operation can take unbounded time or memory.  With
the text length capped, an evaluation costs at most a few hundred array
operations, i.e. microseconds for scalars and proportional to the array size
for arrays of ``v``; a refusal takes well under a millisecond.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Iterable

import brian2.units as _units
import numpy as np
from brian2 import Unit
from brian2.core.functions import DEFAULT_FUNCTIONS

from hh_brian.core.errors import HHBrianInputError, closest_names

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
        f"{what}: {quote(text)} uses {culprit}, which is not allowed; use numbers, names, "
        f"+ - * / ** and functions {', '.join(sorted(FUNCTION_NAMESPACE))}, e.g. {example}"
    )


def quote(text: str, limit: int = 80) -> str:
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
                        f"{what}: {quote(text)} raises to a power of a power (a power tower); "
                        f"write the exponent as one number, e.g. {example}"
                    )
                if not abs(exponent) <= MAX_EXPONENT or not abs(exponent) * factor <= MAX_EXPONENT:
                    raise HHBrianInputError(
                        f"{what}: {quote(text)} has an exponent beyond +-{MAX_EXPONENT:g}; "
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
        None, names are not checked here (:func:`~hh_brian.core.expressions.evaluate`
        checks them later).

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
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": refused below
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise HHBrianInputError(
            f"{what}: cannot parse {quote(text)} ({exc.msg}); expected an expression like {example}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise HHBrianInputError(
            f"{what}: cannot parse {quote(text)} ({type(exc).__name__}); expected an "
            f"expression like {example}"
        ) from None
    if _depth(tree) > MAX_DEPTH:
        raise HHBrianInputError(
            f"{what}: {quote(text)} is nested more than {MAX_DEPTH} levels deep; "
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
                f"{what}: {quote(text)} calls an unknown function; allowed: "
                f"{', '.join(sorted(FUNCTION_NAMESPACE))}, e.g. {example}"
            )
        if node.keywords:
            raise _refuse_syntax(what, text, example, "a keyword argument")
        if len(node.args) != 1:
            raise HHBrianInputError(
                f"{what}: {quote(text)} calls {node.func.id} with {len(node.args)} "
                f"arguments; it takes exactly one, e.g. {example}"
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise HHBrianInputError(
                f"{what}: {quote(text)} contains {quote(repr(node.value), 40)}, which is "
                f"not allowed (only numbers are); expected an expression like {example}"
            )
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            try:
                float(node.value)
            except OverflowError:
                raise HHBrianInputError(
                    f"{what}: {quote(text)} contains an integer too large for a float; "
                    f"expected an expression like {example}"
                ) from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    allowed = None if names is None else set(names) | set(UNIT_NAMESPACE)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or id(node) in called:
            continue
        if node.id in FUNCTION_NAMESPACE and (allowed is None or node.id not in allowed):
            raise HHBrianInputError(
                f"{what}: {quote(text)} uses the function {node.id} without calling it; "
                f"write {node.id}(...), e.g. {example}"
            )
        if allowed is not None and node.id not in allowed:
            raise unknown_name(node.id, text, what, example, candidates=names)
    _check_powers(tree, text, what, example)
    return ast.fix_missing_locations(_IntsToFloats().visit(tree))


def unknown_name(
    name: str, text: str, what: str, example: str, candidates: Iterable[str] = ()
) -> HHBrianInputError:
    """The error for an unknown *name*, with the closest of *candidates* (the model's own
    names, not units) as a suggestion."""
    hint = closest_names(name, candidates).strip()
    return HHBrianInputError(
        f"{what}: unknown name {name!r} in {quote(text)}{' (' + hint + ')' if hint else ''}; "
        f"use unit names such as mV, ms, uA, cm and the model's variables, e.g. {example}"
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
