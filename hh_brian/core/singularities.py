"""Where a rate expression divides by zero, and the ``exprel`` form to write instead.

:func:`find_singularities` finds where a denominator vanishes (symbolically,
so a 0/0 between grid points is not missed) and :func:`check_singularities`
refuses such an expression with a one-line message naming the voltage, and,
for a removable 0/0 of the ``x/(exp(x) - 1)`` kind, the ``exprel`` form to
write instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy
from brian2 import Quantity, Unit, mV
from brian2.parsing.sympytools import sympy_to_str

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.exprel import INERT_EXPREL, SYMPY_EXPREL
from hh_brian.core.parsed_expression import (
    ParsedExpression,
    lambdify,
    parse_expression,  # noqa: F401 - used by the doctest of exprel_form
    substitute,
    to_sympy,
)

#: Default search range of :func:`find_singularities` (a generous membrane-potential range).
V_RANGE = (-150 * mV, 100 * mV)

#: Denominators with more operations than this, or with more than one function call
#: (``exp(a*v) - exp(b*v) - 1``), are searched numerically rather than with
#: :func:`sympy.solveset`, which keeps the search bounded.
_MAX_SOLVESET_OPS = 40
#: ... and so are denominators with powers beyond this (solveset would expand them).
_MAX_SOLVESET_POWER = 4
#: Most grid points of the numerical search.
_MAX_SCAN_POINTS = 1_000_001


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

    f = lambdify(x, denominator)
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
    g = lambdify(x, substitute(candidate, constants, variable, variable_unit, x))
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
    f = lambdify(x, substitute(parsed, constants, variable, variable_unit, x))
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
