"""Rate expressions to and from LEMS expression text.

LEMS (the language under NeuroML2) writes expressions with ``+ - * / ^``, the
functions ``exp``, ``ln``, ``sqrt``, ``sinh``, ``cosh``, ``tanh``, ``abs`` and no
``exprel``.  :func:`to_lems` prints a SymPy expression in plain numbers (the
potential a symbol in mV) as LEMS text:

* never a unary minus (``0 - x`` instead; LEMS's own core types write it so);
* every number in positional notation (no ``1e-05``);
* each ``exprel(a)`` as a named :class:`Exprel` term, which the caller writes as a
  ``DerivedVariable`` ``a`` and a ``ConditionalDerivedVariable`` with the cases
  ``a .neq. 0 -> (exp(a) - 1) / a`` and ``a .eq. 0 -> 1`` (the 0/0 guard, as
  NeuroML's own ``HHExpLinearRate`` has it).

:func:`from_lems` reads LEMS text back into hh-brian's expression syntax after
:func:`~hh_brian.core.bounded.bounded_parse` has checked it (bounded length and
depth, only numbers, names, arithmetic and the known functions), so a file's
text is never evaluated unchecked.  :func:`exprel_case` recognises the guard
above in a ``ConditionalDerivedVariable``, which is how an exported ``exprel``
reads back as ``exprel``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from hh_brian.core.bounded import bounded_parse
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.exprel import INERT_EXPREL
from hh_brian.exchange.nml_units import number_text

#: LEMS function name -> hh-brian's.
LEMS_FUNCTIONS = {
    "exp": "exp",
    "ln": "log",
    "sqrt": "sqrt",
    "abs": "abs",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
}
_PRINTED_FUNCTIONS = {v: k for k, v in LEMS_FUNCTIONS.items()}


@dataclass(frozen=True)
class Exprel:
    """One ``exprel(argument)`` of an expression, written as LEMS variables.

    Attributes
    ----------
    name : str
        The ``ConditionalDerivedVariable`` holding exprel's value.
    argument_name : str
        The ``DerivedVariable`` holding its argument.
    argument : str
        LEMS text of the argument.
    """

    name: str
    argument_name: str
    argument: str

    @property
    def cases(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The two ``(condition, value)`` cases of the guard."""
        a = self.argument_name
        return ((f"{a} .neq. 0", f"(exp({a}) - 1) / {a}"), (f"{a} .eq. 0", "1"))


class _Printer:
    """Prints a SymPy expression as LEMS text (see the module docstring)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.exprels: list[Exprel] = []

    def __call__(self, e: sympy.Expr) -> str:
        if e.is_Number:
            value = float(e)
            return number_text(value) if value >= 0 else f"(0 - {number_text(-value)})"
        if e.is_Symbol:
            return e.name
        if e.is_Add:
            terms = list(e.as_ordered_terms())
            first, rest = terms[0], terms[1:]
            text = (
                f"0 - {self._factor(-first)}" if first.could_extract_minus_sign() else self(first)
            )
            for term in rest:
                if term.could_extract_minus_sign():
                    text += f" - {self._factor(-term)}"
                else:
                    text += f" + {self._factor(term)}"
            return f"({text})"
        if e.is_Mul:
            if e.could_extract_minus_sign():
                return f"(0 - {self._factor(-e)})"
            numer, denom = [], []
            for factor in e.as_ordered_factors():
                if factor.is_Pow and factor.exp.is_Number and factor.exp < 0:
                    denom.append(factor.base if factor.exp == -1 else factor.base ** (-factor.exp))
                else:
                    numer.append(factor)
            text = " * ".join(self._factor(f) for f in numer) or "1"
            for factor in denom:
                text += f" / {self._factor(factor)}"
            return text
        if e.is_Pow:
            if e.exp == -1:
                return f"1 / {self._factor(e.base)}"
            return f"{self._factor(e.base)}^{self._factor(e.exp)}"
        if e.func is INERT_EXPREL:
            argument = self(e.args[0])
            for item in self.exprels:
                if item.argument == argument:
                    return item.name
            k = len(self.exprels)
            item = Exprel(f"{self.prefix}exprel{k}", f"{self.prefix}arg{k}", argument)
            self.exprels.append(item)
            return item.name
        name = getattr(e.func, "__name__", "")
        if name in _PRINTED_FUNCTIONS and len(e.args) == 1:
            return f"{_PRINTED_FUNCTIONS[name]}({self(e.args[0])})"
        if name == "Abs":
            return f"abs({self(e.args[0])})"
        raise HHBrianInputError(f"cannot write {e} in LEMS: {name or type(e).__name__}")

    def _factor(self, e: sympy.Expr) -> str:
        text = self(e)
        return f"({text})" if e.is_Mul or (e.is_Pow and e.exp != -1) else text


def to_lems(expr: sympy.Expr, *, prefix: str = "") -> tuple[str, list[Exprel]]:
    """LEMS text of *expr* and the :class:`Exprel` terms it refers to.

    >>> v = sympy.Symbol("V")
    >>> to_lems(4 * sympy.exp(-(v + 65) / 18))[0]
    '4 * exp((0 - 3.611111111111111 - 0.05555555555555555 * V))'
    """
    printer = _Printer(prefix)
    text = printer(sympy.expand(expr, deep=False) if expr.is_Add else expr)
    return text, printer.exprels


_CASE_NEQ = re.compile(r"^\s*(\w+)\s*\.neq\.\s*0(\.0*)?\s*$")
_CASE_EQ = re.compile(r"^\s*(\w+)\s*\.eq\.\s*0(\.0*)?\s*$")
_GUARD = re.compile(r"^\s*\(\s*exp\s*\(\s*(\w+)\s*\)\s*-\s*1\s*\)\s*/\s*(\w+)\s*$")


def exprel_case(cases: list[tuple[str | None, str]]) -> str | None:
    """The argument's name if *cases* are exactly the exprel guard, else ``None``.

    >>> exprel_case([("a .neq. 0", "(exp(a) - 1) / a"), ("a .eq. 0", "1")])
    'a'
    """
    if len(cases) != 2:
        return None
    found = {}
    for condition, value in cases:
        neq, eq = _CASE_NEQ.match(condition or ""), _CASE_EQ.match(condition or "")
        if neq:
            guard = _GUARD.match(value)
            if not guard or guard.group(1) != neq.group(1) or guard.group(2) != neq.group(1):
                return None
            found["neq"] = neq.group(1)
        elif eq and value.strip() in ("1", "1.0"):
            found["eq"] = eq.group(1)
    if found.get("neq") and found.get("neq") == found.get("eq"):
        return found["neq"]
    return None


def from_lems(text: str, names: set[str], *, what: str) -> str:
    """LEMS expression text as hh-brian expression text (``^`` -> ``**``, ``ln`` -> ``log``).

    Parameters
    ----------
    text : str
        A LEMS expression, e.g. ``"rate * exp((v - midpoint)/scale)"``.
    names : set of str
        The variables it may use.
    what : str
        Names the element in error messages.

    Raises
    ------
    HHBrianInputError
        For syntax other than arithmetic, the known functions and *names*.
    """
    python = re.sub(r"\bln\s*\(", "log(", str(text)).replace("^", "**")
    bounded_parse(python, what=what, example="'rate * exp((v - midpoint)/scale)'", names=names)
    return python


def substitute_text(text: str, values: dict[str, str]) -> str:
    """*text* with each whole-word name of *values* replaced by ``(value)``."""
    if not values:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in values) + r")\b")
    return pattern.sub(lambda m: f"({values[m.group(1)]})", text)


__all__ = ["Exprel", "LEMS_FUNCTIONS", "exprel_case", "from_lems", "substitute_text", "to_lems"]
