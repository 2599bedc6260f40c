"""One parse of a rate expression, printed three ways: Brian2 text, NumPy, NMODL.

A rate expression such as ``'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'`` is checked
by :func:`hh_brian.core.bounded.bounded_parse` (bounded length, depth,
names and exponents), then parsed once by Brian2's own parser
(:func:`brian2.parsing.sympytools.str_to_sympy`) into a SymPy expression in
which units are plain symbols (``mV``, ``ms``) and ``exprel`` is an inert
function (:data:`~hh_brian.core.exprel.INERT_EXPREL`; Brian2's own would expand
itself into a 0/0 for some arguments).  From that one expression
:class:`ParsedExpression` prints

* Brian2 equation text (:meth:`ParsedExpression.brian2`, Brian2's
  :func:`~brian2.parsing.sympytools.sympy_to_str`), which re-parses to the same
  expression;
* a vectorised NumPy function of plain floats (:meth:`ParsedExpression.numpy`),
  with units and constants replaced by numbers and ``exprel`` by
  :func:`~hh_brian.core.exprel.exprel`, which is finite and warning-free at 0;
* NMODL text in NEURON's units (:meth:`ParsedExpression.nmodl`), with ``^`` for
  powers and a named function for ``exprel``
  (:func:`~hh_brian.core.exprel.nmodl_exprel_function` gives its definition).

The NumPy and NMODL printers check the result's dimensions with Brian2 first,
by evaluating the text once with units at a probe value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy
from brian2 import Quantity, Unit, ms, mV
from brian2.parsing.sympytools import str_to_sympy, sympy_to_str

from hh_brian.core.bounded import UNIT_NAMESPACE, bounded_parse
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.exprel import INERT_EXPREL, SYMPY_EXPREL, exprel
from hh_brian.core.expressions import check_dimensions, evaluate
from hh_brian.core.nmodl_printer import NmodlPrinter

#: The name ``exprel`` is renamed to this before Brian2's parser sees the text.
_EXPREL_PLACEHOLDER = "hhb_inert_exprel"

#: Parse, print and re-parse at most this often to reach text that re-parses to itself.
_MAX_CANONICAL_ROUNDS = 4


@dataclass(frozen=True)
class ParsedExpression:
    """A rate expression parsed once, with printers for Brian2, NumPy and NMODL.

    Build it with :func:`parse_expression`.

    Attributes
    ----------
    text : str
        The expression as given, stripped.
    expr : sympy.Expr
        Brian2's SymPy form; units are real symbols named like the units.
    names : frozenset of str
        Free symbols other than unit names (the variable and the constants).
    what : str
        Names the expression in error messages (e.g. ``"rate alpha_n"``).
    example : str
        A correct example, quoted in error messages.
    """

    text: str
    expr: sympy.Expr
    names: frozenset[str]
    what: str = "expression"
    example: str = "'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'"

    def brian2(self) -> str:
        """Brian2 equation text (Brian2's ``sympy_to_str``).

        :func:`to_sympy` of this text is :attr:`expr` again; :func:`parse_expression`
        settles on the form for which that holds.
        """
        return sympy_to_str(self.expr)

    def numpy(
        self,
        constants: Mapping[str, Quantity],
        *,
        variable: str = "v",
        variable_unit: Unit | Quantity = mV,
        result_unit: Unit | Quantity = 1 / ms,
    ) -> Callable[[np.ndarray], np.ndarray]:
        """A vectorised float function: argument in *variable_unit*, result in *result_unit*.

        Parameters
        ----------
        constants : mapping of str to Quantity
            Values of the names other than *variable* (e.g. ``{"V_T": -63*mV}``).
        variable : str
            The argument's name.
        variable_unit, result_unit : Unit or Quantity
            Units of the argument and of the result (e.g. mV and 1/ms).

        Returns
        -------
        callable
            ``f(x) -> ndarray`` of the shape of *x*.  Non-finite entries (an
            overflowing ``exp``) are returned without warnings, as
            :func:`~hh_brian.core.expressions.evaluate` returns them.

        Raises
        ------
        HHBrianInputError
            If a name has no value, a constant is not a finite scalar, or the
            result does not have the dimensions of *result_unit*.
        """
        x = sympy.Dummy(variable, real=True)
        numeric = self._numeric(constants, variable, variable_unit, result_unit, x)
        function = lambdify(x, numeric)
        function.__name__ = variable if self.what == "expression" else self.what.split()[-1]
        function.__doc__ = (
            f"{self.text}  (translated; {variable} in {variable_unit}, result in {result_unit})"
        )
        return function

    def nmodl(
        self,
        constants: Mapping[str, Quantity],
        *,
        variable: str = "v",
        variable_unit: Unit | Quantity = mV,
        result_unit: Unit | Quantity = 1 / ms,
        exprel_name: str = "hhb_exprel",
    ) -> str:
        """NMODL text with plain numbers in NEURON's units (``v`` in mV, result in *result_unit*).

        Powers are written ``(a)^(b)``, ``exprel`` as *exprel_name* (define it with
        :func:`~hh_brian.core.exprel.nmodl_exprel_function`) and ``abs`` as ``fabs``.
        Parameters and exceptions are those of :meth:`numpy`.
        """
        x = sympy.Symbol(variable, real=True)
        numeric = self._numeric(constants, variable, variable_unit, result_unit, x)
        whole = {
            f: sympy.Integer(int(f))
            for f in numeric.atoms(sympy.Float)
            if float(f).is_integer() and abs(float(f)) < 1e15
        }
        return NmodlPrinter(exprel_name).doprint(numeric.xreplace(whole))

    # -- helpers ----------------------------------------------------------------
    def _numeric(
        self,
        constants: Mapping[str, Quantity],
        variable: str,
        variable_unit: Unit | Quantity,
        result_unit: Unit | Quantity,
        x: sympy.Symbol,
    ) -> sympy.Expr:
        """The expression in plain numbers: *x* in *variable_unit*, result in *result_unit*."""
        missing = sorted(self.names - {variable} - set(constants))
        if missing:
            raise HHBrianInputError(
                f"{self.what}: no value for {', '.join(missing)} in {self.text!r}; give "
                f"constants for every name other than {variable}, e.g. {self.example}"
            )
        probe = 0.123456789 * variable_unit
        values = {name: constants[name] for name in self.names - {variable}}
        value = evaluate(
            self.text, {**values, variable: probe}, what=self.what, example=self.example
        )
        check_dimensions(value, result_unit, what=self.what, example=self.example)
        return substitute(self, constants, variable, variable_unit, x) / _si(result_unit)


def _si(value: object, what: str = "unit") -> float:
    """The SI magnitude of a scalar quantity, as a float."""
    magnitude = np.asarray(value, dtype=float)
    if magnitude.ndim != 0 or not math.isfinite(float(magnitude)):
        raise HHBrianInputError(f"{what}: expected one finite value, got {value!r}")
    return float(magnitude)


def substitute(
    parsed: ParsedExpression,
    constants: Mapping[str, Quantity],
    variable: str,
    variable_unit: Unit | Quantity,
    x: sympy.Symbol,
) -> sympy.Expr:
    """*parsed* in SI numbers, with *variable* replaced by ``x*variable_unit`` (x a float).

    Units and constants become their SI values as SymPy Floats, and ``exprel``
    becomes :data:`INERT_EXPREL`, which stays as it is.
    """
    mapping: dict[sympy.Symbol, sympy.Expr] = {}
    for symbol in parsed.expr.free_symbols:
        name = symbol.name
        if name == variable:
            mapping[symbol] = x * sympy.Float(_si(variable_unit, "variable unit"))
        elif name in constants:
            mapping[symbol] = sympy.Float(_si(constants[name], f"{parsed.what}: constant {name}"))
        elif name in UNIT_NAMESPACE:
            mapping[symbol] = sympy.Float(float(UNIT_NAMESPACE[name]))
        else:
            raise HHBrianInputError(f"{parsed.what}: no value for {name} in {parsed.text!r}")
    inert = parsed.expr.replace(SYMPY_EXPREL, INERT_EXPREL)
    return inert.xreplace(mapping)


def lambdify(x: sympy.Symbol, numeric: sympy.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """A vectorised NumPy function of *numeric* in *x*, silent on overflow."""
    compiled = sympy.lambdify([x], numeric, modules=[{"exprel": exprel}, "numpy"])

    def function(values: np.ndarray | float) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        with np.errstate(all="ignore"):
            result = np.asarray(compiled(values), dtype=float)
        return np.broadcast_to(result, values.shape).copy()

    return function


def to_sympy(text: str) -> sympy.Expr:
    """Brian2's ``str_to_sympy`` of *text*, with ``exprel`` kept as :data:`INERT_EXPREL`.

    Only for text that passed :func:`~hh_brian.core.bounded.bounded_parse`.
    """
    renamed = re.sub(r"\bexprel\b", _EXPREL_PLACEHOLDER, text)
    placeholder = sympy.Function(_EXPREL_PLACEHOLDER)
    return str_to_sympy(renamed).replace(placeholder, INERT_EXPREL)


def _exprel_of_products(expr: sympy.Expr) -> sympy.Expr:
    """Write each ``exprel`` argument that is a sum as one fraction where possible.

    ``exprel(-0.1*v/mV - 5.5)`` becomes ``exprel((-0.1*v - 5.5*mV)/mV)``: the same
    value, but a product, which Brian2's own ``exprel`` does not expand into a 0/0
    when it parses :meth:`ParsedExpression.brian2` text.
    """
    return expr.replace(
        lambda e: e.func is INERT_EXPREL and e.args[0].is_Add,
        lambda e: INERT_EXPREL(sympy.together(e.args[0])),
    )


def parse_expression(
    text: str,
    *,
    allowed_names: Iterable[str],
    what: str = "expression",
    example: str = "'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'",
) -> ParsedExpression:
    """Check *text* within bounds and parse it once with Brian2's parser.

    Parameters
    ----------
    text : str
        The expression, e.g. ``'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'``.
    allowed_names : iterable of str
        Names besides units and functions (the variable and the constants).
    what, example : str
        For error messages.

    Returns
    -------
    ParsedExpression

    Raises
    ------
    HHBrianInputError
        Everything :func:`~hh_brian.core.bounded.bounded_parse` refuses,
        and constants that overflow a float (e.g. ``exp(1e300)``).
    """
    allowed = set(allowed_names)
    bounded_parse(text, what=what, example=example, names=allowed)
    stripped = text.strip()
    try:
        expr = _exprel_of_products(to_sympy(stripped))
        # Brian2's printer and parser are not exact inverses (a coefficient may be
        # distributed over a sum); settle on the form whose text re-parses to itself.
        for _ in range(_MAX_CANONICAL_ROUNDS):
            again = _exprel_of_products(to_sympy(sympy_to_str(expr)))
            if again == expr:
                break
            expr = again
    except (SyntaxError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(
            f"{what}: cannot parse {stripped!r} ({reason}); e.g. {example}"
        ) from None
    bad = [n for n in expr.atoms(sympy.Number) if not math.isfinite(float(n))]
    if bad or expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise HHBrianInputError(
            f"{what}: {stripped!r} contains a constant that is not finite (overflow or division "
            f"by zero); e.g. {example}"
        )
    names = frozenset(
        s.name for s in expr.free_symbols if s.name in allowed or s.name not in UNIT_NAMESPACE
    )
    return ParsedExpression(stripped, expr, names, what, example)
