"""The NMODL printer of a numeric SymPy expression (``^`` for powers, ``fabs``, exprel)."""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from hh_brian.core.exprel import INERT_EXPREL, SYMPY_EXPREL


class NmodlPrinter(StrPrinter):
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
