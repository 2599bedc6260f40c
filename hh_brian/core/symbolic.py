"""One parse of a rate expression, printed three ways: Brian2 text, NumPy, NMODL.

A rate expression such as ``'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'`` is checked
by :func:`hh_brian.core.expressions.bounded_parse` (bounded length, depth,
names and exponents), then parsed once by Brian2's own parser
(:func:`brian2.parsing.sympytools.str_to_sympy`) into a SymPy expression in
which units are plain symbols (``mV``, ``ms``) and ``exprel`` is an inert
function (:data:`INERT_EXPREL`; Brian2's own would expand itself into a 0/0 for
some arguments).  From that one expression :class:`ParsedExpression` prints

* Brian2 equation text (:meth:`ParsedExpression.brian2`, Brian2's
  :func:`~brian2.parsing.sympytools.sympy_to_str`), which re-parses to the same
  expression;
* a vectorised NumPy function of plain floats (:meth:`ParsedExpression.numpy`),
  with units and constants replaced by numbers and ``exprel`` by
  :func:`exprel`, which is finite and warning-free at 0;
* NMODL text in NEURON's units (:meth:`ParsedExpression.nmodl`), with ``^`` for
  powers and a named function for ``exprel`` (:func:`nmodl_exprel_function`
  gives its definition).

The NumPy and NMODL printers check the result's dimensions with Brian2 first,
by evaluating the text once with units at a probe value.

:func:`find_singularities` finds where a denominator vanishes (symbolically,
so a 0/0 between grid points is not missed) and :func:`check_singularities`
refuses such an expression with a one-line message naming the voltage, and,
for a removable 0/0 of the ``x/(exp(x) - 1)`` kind, the ``exprel`` form to
write instead.

Examples
--------
>>> from brian2 import mV
>>> alpha_n = parse_expression("0.1/ms/exprel(-(v + 55*mV)/(10*mV))", allowed_names={"v"})
>>> alpha_n.brian2()
'0.1/(ms*exprel((-55*mV - v)/(10*mV)))'
>>> float(alpha_n.numpy({})(-55.0))
0.1
>>> alpha_n.nmodl({})
'0.1/hhb_exprel(-0.1*v - 5.5)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy
from brian2 import Quantity, Unit, ms, mV
from brian2.core.functions import DEFAULT_FUNCTIONS
from brian2.parsing.sympytools import str_to_sympy, sympy_to_str
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import (
    UNIT_NAMESPACE,
    bounded_parse,
    check_dimensions,
    evaluate,
)

#: Brian2's SymPy function for ``exprel``, as produced by ``str_to_sympy``.
SYMPY_EXPREL = DEFAULT_FUNCTIONS["exprel"].sympy_func

#: The ``exprel`` in :attr:`ParsedExpression.expr`: an inert SymPy function that
#: prints as ``exprel``.  Brian2's own function rewrites itself as (exp(x) - 1)/x
#: as soon as its argument is a sum with a number in it (``exp.eval`` splits such
#: sums), so ``exprel(-0.1*v/mV - 5.5)`` would come back as a 0/0 at -55 mV.
INERT_EXPREL = sympy.Function("exprel")

#: The name ``exprel`` is renamed to this before Brian2's parser sees the text.
_EXPREL_PLACEHOLDER = "hhb_inert_exprel"

#: Parse, print and re-parse at most this often to reach text that re-parses to itself.
_MAX_CANONICAL_ROUNDS = 4

#: Default search range of :func:`find_singularities` (a generous membrane-potential range).
V_RANGE = (-150 * mV, 100 * mV)

#: Below this |x|, :func:`exprel` uses its Taylor series (error < 1e-17 relative).
_SERIES_BELOW = 1e-5

#: Denominators with more operations than this, or with more than one function call
#: (``exp(a*v) - exp(b*v) - 1``), are searched numerically rather than with
#: :func:`sympy.solveset`, which keeps the search bounded.
_MAX_SOLVESET_OPS = 40
#: ... and so are denominators with powers beyond this (solveset would expand them).
_MAX_SOLVESET_POWER = 4
#: Most grid points of the numerical search.
_MAX_SCAN_POINTS = 1_000_001


def exprel(x: np.ndarray | float) -> np.ndarray:
    """(exp(x) - 1)/x, vectorised, finite at 0 and without floating-point warnings.

    Uses ``expm1(x)/x`` (accurate for small x, no cancellation), the series
    ``1 + x/2 + x**2/6`` for ``|x| < 1e-5`` (so never 0/0), ``inf`` for
    ``x = +inf`` and 0 for ``x = -inf``.

    >>> exprel(np.array([0.0, 1e-9, 1.0]))
    array([1.        , 1.        , 1.71828183])
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _SERIES_BELOW
    safe = np.where(small | ~np.isfinite(x), 1.0, x)
    with np.errstate(over="ignore"):
        direct = np.expm1(safe) / safe
    series = 1.0 + x * (0.5 + x / 6.0)
    result = np.where(small, series, direct)
    result = np.where(np.isposinf(x), np.inf, result)
    result = np.where(np.isneginf(x), 0.0, result)
    return np.where(np.isnan(x), np.nan, result)


def nmodl_exprel_function(name: str = "hhb_exprel") -> str:
    """The NMODL ``FUNCTION`` block defining *name*(x) = (exp(x) - 1)/x, finite at 0.

    Uses a Taylor series for ``|x| < 1e-2`` (truncation error < 3e-16) and the
    direct formula elsewhere (cancellation error < 3e-14).
    """
    return (
        f"FUNCTION {name}(x) {{\n"
        f"    if (fabs(x) < 1e-2) {{\n"
        f"        {name} = 1 + x*(1/2.0 + x*(1/6.0 + x*(1/24.0 + x*(1/120.0 + x/720.0))))\n"
        f"    }} else {{\n"
        f"        {name} = (exp(x) - 1)/x\n"
        f"    }}\n"
        f"}}\n"
    )


class _NmodlPrinter(StrPrinter):
    """Prints a numeric SymPy expression as NMODL (C-like) text with ``^`` for powers."""

    def __init__(self, exprel_name: str) -> None:
        super().__init__({"full_prec": False})
        self._exprel_name = exprel_name

    def _print_Float(self, expr: sympy.Float) -> str:
        text = f"{float(expr):.15g}"
        return text if any(c in text for c in ".en") else text + ".0"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return self._print_Float(sympy.Float(expr))

    def _print_NumberSymbol(self, expr: sympy.NumberSymbol) -> str:
        return self._print_Float(sympy.Float(expr))

    _print_Exp1 = _print_NumberSymbol
    _print_Pi = _print_NumberSymbol

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent == sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if exponent.is_Number and exponent < 0:
            # StrPrinter's _print_Mul normally turns these into divisions already.
            positive = base if exponent == -1 else sympy.Pow(base, -exponent, evaluate=False)
            return f"1/{self.parenthesize(positive, PRECEDENCE['Mul'], strict=True)}"
        return f"{self._operand(base)}^{self._operand(exponent)}"

    def _operand(self, expr: sympy.Expr) -> str:
        """A power's base or exponent, bracketed unless a symbol or a non-negative number."""
        text = self._print(expr)
        if (
            expr.is_Symbol
            or (expr.is_Number and expr >= 0 and not expr.is_Rational)
            or (expr.is_Integer and expr >= 0)
        ):
            return text
        return f"({text})"

    def _print_Abs(self, expr: sympy.Abs) -> str:
        return f"fabs({self._print(expr.args[0])})"

    def _print_Function(self, expr: sympy.Function) -> str:
        name = (
            self._exprel_name if expr.func in (SYMPY_EXPREL, INERT_EXPREL) else expr.func.__name__
        )
        return f"{name}({self.stringify(expr.args, ', ')})"


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
        function = _lambdify(x, numeric)
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

        Powers are written ``(a)^(b)``, ``exprel`` as *exprel_name* (define it
        with :func:`nmodl_exprel_function`) and ``abs`` as ``fabs``.  Parameters
        and exceptions are those of :meth:`numpy`.
        """
        x = sympy.Symbol(variable, real=True)
        numeric = self._numeric(constants, variable, variable_unit, result_unit, x)
        whole = {
            f: sympy.Integer(int(f))
            for f in numeric.atoms(sympy.Float)
            if float(f).is_integer() and abs(float(f)) < 1e15
        }
        return _NmodlPrinter(exprel_name).doprint(numeric.xreplace(whole))

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


def _lambdify(x: sympy.Symbol, numeric: sympy.Expr) -> Callable[[np.ndarray], np.ndarray]:
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

    Only for text that passed :func:`~hh_brian.core.expressions.bounded_parse`.
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
        Everything :func:`~hh_brian.core.expressions.bounded_parse` refuses,
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


# ---------------------------------------------------------------------------
# Singularities
# ---------------------------------------------------------------------------


def _denominators(expr: sympy.Expr, x: sympy.Symbol) -> list[sympy.Expr]:
    """Bases of negative powers that depend on *x* and can vanish (exp, exprel never do)."""
    found = []
    for node in sympy.preorder_traversal(expr):
        if not (node.is_Pow and node.exp.is_negative and node.base.has(x)):
            continue
        base = node.base
        if isinstance(base, (sympy.exp, SYMPY_EXPREL, INERT_EXPREL)) or base in found:
            continue
        found.append(base)
    return found


def _roots(denominator: sympy.Expr, x: sympy.Symbol, low: float, high: float) -> list[float]:
    """Real zeros of *denominator* in [low, high]: SymPy's solveset, else a fine scan."""
    powers = [p.exp for p in denominator.atoms(sympy.Pow) if p.exp.is_Number]
    simple = all(abs(float(e)) <= _MAX_SOLVESET_POWER for e in powers) and (
        len(denominator.atoms(sympy.Function)) <= 1
    )
    if simple and sympy.count_ops(denominator) <= _MAX_SOLVESET_OPS:
        exact = sympy.nsimplify(denominator, rational=True)
        try:
            solutions = sympy.solveset(exact, x, domain=sympy.Interval(low, high))
        except (NotImplementedError, ValueError, TypeError):
            solutions = None
        if isinstance(solutions, sympy.FiniteSet):
            return sorted(float(s) for s in solutions if s.is_real)
        if solutions is sympy.S.EmptySet:
            return []
    return _scan_roots(denominator, x, low, high)


def _scan_roots(denominator: sympy.Expr, x: sympy.Symbol, low: float, high: float) -> list[float]:
    """Sign changes of *denominator* on a 0.001-unit grid, refined by bisection."""
    from scipy.optimize import brentq

    f = _lambdify(x, denominator)
    grid = np.linspace(low, high, min(int(round((high - low) * 1000)) + 1, _MAX_SCAN_POINTS))
    values = f(grid)
    roots = [float(g) for g, value in zip(grid, values, strict=True) if value == 0]
    change = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    roots += [brentq(lambda t: float(f(t)), grid[i], grid[i + 1], xtol=1e-12) for i in change]
    return sorted(roots)


def find_singularities(
    parsed: ParsedExpression,
    constants: Mapping[str, Quantity],
    *,
    variable: str = "v",
    variable_unit: Unit | Quantity = mV,
    v_range: tuple[Quantity, Quantity] = V_RANGE,
) -> list[Quantity]:
    """Where a denominator of *parsed* vanishes, within *v_range*.

    Constants and units are replaced by their values, then each denominator
    (base of a negative power, except ``exp`` and ``exprel``, which never
    vanish) is solved for *variable* with :func:`sympy.solveset` over the
    reals, so ``1 - exp(-(v + 54.5*mV)/(10*mV))`` yields exactly -54.5 mV.
    Larger denominators (more than one function call, powers beyond 4, more
    than 40 operations) are searched numerically instead: sign changes on a
    0.001-unit grid, refined by bisection; a zero that touches without a sign
    change is missed there.  Expressions written with ``exprel`` have no such
    points.

    Returns
    -------
    list of Quantity
        Sorted, in units of *variable_unit*; empty if there are none.
    """
    x = sympy.Symbol("x", real=True)
    numeric = substitute(parsed, constants, variable, variable_unit, x)
    low, high = (float(v / variable_unit) for v in v_range)
    roots: set[float] = set()
    for denominator in _denominators(numeric, x):
        roots.update(round(r, 9) for r in _roots(denominator, x, low, high))
    return [r * variable_unit for r in sorted(roots)]


def _is_removable(f: Callable[[np.ndarray], np.ndarray], at: float) -> bool:
    """True if *f* has a finite two-sided limit at *at*.

    Compares *f* at ``at +- h`` (h = 1e-6 relative) and ``at +- 1000 h``: near a
    removable point the two sides agree and the values stay the same size;
    near a pole they differ in sign or grow like a power of 1/h.
    """
    h = 1e-6 * max(1.0, abs(at))
    near, far = f(np.array([at - h, at + h])), f(np.array([at - 1000 * h, at + 1000 * h]))
    if not (np.all(np.isfinite(near)) and np.all(np.isfinite(far))):
        return False
    far_size = float(np.max(np.abs(far)))
    return bool(abs(near[1] - near[0]) <= 1e-2 * far_size and np.max(np.abs(near)) <= 10 * far_size)


def exprel_form(parsed: ParsedExpression) -> str | None:
    """The ``exprel`` spelling of an ``a*u/(exp(u) - 1)``-like rate, or None.

    Looks for a denominator ``k*exp(u) - k`` (e.g. ``1 - exp(-(v + 55*mV)/(10*mV))``)
    and divides the rest by ``k*u``: ``rest/(k*(exp(u) - 1)) = (rest/(k*u))/exprel(u)``.

    >>> p = parse_expression("0.01/ms/mV*(v + 55*mV)/(1 - exp(-(v + 55*mV)/(10*mV)))",
    ...                      allowed_names={"v"})
    >>> exprel_form(p)
    '0.1/(ms*exprel((-55*mV - v)/(10*mV)))'
    """
    for node in sympy.preorder_traversal(parsed.expr):
        if not (node.is_Pow and node.exp == -1 and node.base.is_Add and len(node.base.args) == 2):
            continue
        terms = node.base.args
        exp_terms = [t for t in terms if t.has(sympy.exp)]
        if len(exp_terms) != 1:
            continue
        k, exponential = exp_terms[0].as_independent(sympy.exp, as_Add=False)
        constant = terms[0] if exp_terms[0] is terms[1] else terms[1]
        if not isinstance(exponential, sympy.exp) or sympy.simplify(constant + k) != 0:
            continue
        u = exponential.args[0]
        rest = parsed.expr.xreplace({node: sympy.S.One})
        coefficient = sympy.cancel(sympy.together(rest / (k * u)))
        if coefficient.has(sympy.exp):
            continue
        rounded = {
            f: sympy.Float(float(f"{float(f):.12g}")) for f in coefficient.atoms(sympy.Float)
        }
        return sympy_to_str(coefficient.xreplace(rounded) / INERT_EXPREL(u))
    return None


def _checked_exprel_form(
    parsed: ParsedExpression,
    f: Callable[[np.ndarray], np.ndarray],
    constants: Mapping[str, Quantity],
    variable: str,
    variable_unit: Unit | Quantity,
    at: float,
) -> str | None:
    """:func:`exprel_form`, if it agrees with *parsed* near (not at) *at*, else None."""
    form = exprel_form(parsed)
    if form is None:
        return None
    candidate = ParsedExpression(form, to_sympy(form), parsed.names, parsed.what)
    x = sympy.Symbol("x", real=True)
    g = _lambdify(x, substitute(candidate, constants, variable, variable_unit, x))
    probe = at + np.array([-7.0, -0.3, 0.2, 5.0]) * max(1.0, abs(at)) * 1e-2
    return form if np.allclose(g(probe), f(probe), rtol=1e-9, atol=0) else None


def check_singularities(
    parsed: ParsedExpression,
    constants: Mapping[str, Quantity],
    *,
    variable: str = "v",
    variable_unit: Unit | Quantity = mV,
    v_range: tuple[Quantity, Quantity] = V_RANGE,
) -> None:
    """Refuse *parsed* if a denominator vanishes within *v_range*.

    A removable 0/0 gets a message naming the voltage and, where
    :func:`exprel_form` finds one, the ``exprel`` form to write instead; a
    true pole gets a message naming the voltage.

    Raises
    ------
    HHBrianInputError
        One line, e.g. ``rate alpha_n: 0/0 at v = -54.5 mV; write ... as ...``.
    """
    points = find_singularities(
        parsed, constants, variable=variable, variable_unit=variable_unit, v_range=v_range
    )
    if not points:
        return
    x = sympy.Symbol("x", real=True)
    f = _lambdify(x, substitute(parsed, constants, variable, variable_unit, x))
    unit_text = str(variable_unit)
    for point in points:
        at = float(point / variable_unit)
        where = f"{variable} = {at:.6g} {unit_text}"
        if _is_removable(f, at):
            form = _checked_exprel_form(parsed, f, constants, variable, variable_unit, at)
            advice = (
                f"write {parsed.text} as {form}"
                if form is not None
                else "write x/(exp(x) - 1) as 1/exprel(x), e.g. 0.1/ms/exprel(-(v + 55*mV)/(10*mV))"
            )
            raise HHBrianInputError(f"{parsed.what}: 0/0 at {where}; {advice}")
        raise HHBrianInputError(
            f"{parsed.what}: {parsed.text!r} divides by zero at {where} (a pole); a rate must "
            f"be finite for all {variable}, e.g. {parsed.example}"
        )
