"""``exprel(x) = (exp(x) - 1)/x`` in SymPy, NumPy and NMODL.

Brian2 parses ``exprel`` into its own SymPy function (:data:`SYMPY_EXPREL`), which
expands itself into a 0/0 for some arguments; hh-brian's parsed expressions hold
the inert :data:`INERT_EXPREL` instead.  Their NumPy printer calls :func:`exprel`,
finite and warning-free at 0, and their NMODL printer calls a function defined by
:func:`nmodl_exprel_function`.
"""

from __future__ import annotations

import numpy as np
import sympy
from brian2.core.functions import DEFAULT_FUNCTIONS

#: Brian2's SymPy function for ``exprel``, as produced by ``str_to_sympy``.
SYMPY_EXPREL = DEFAULT_FUNCTIONS["exprel"].sympy_func

#: The ``exprel`` in :attr:`~hh_brian.core.parsed_expression.ParsedExpression.expr`: an
#: inert SymPy function that prints as ``exprel``.  Brian2's own function rewrites
#: itself as (exp(x) - 1)/x as soon as its argument is a sum with a number in it
#: (``exp.eval`` splits such sums), so ``exprel(-0.1*v/mV - 5.5)`` would come back as
#: a 0/0 at -55 mV.
INERT_EXPREL = sympy.Function("exprel")


#: Below this |x|, :func:`exprel` uses its Taylor series (error < 1e-17 relative).
_SERIES_BELOW = 1e-5


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
