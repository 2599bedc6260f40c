"""NeuroML2's standard rate forms, recognised in a gate expression and written back as text.

NeuroML2 (``NeuroML2CoreTypes/Channels.xml``) names these forms, with x = (V - midpoint)/scale
and V the membrane potential (modern convention):

==================  =============================================  ===============
form                value                                          used for
==================  =============================================  ===============
HHExpRate           rate * exp(x)                                  alpha, beta
HHSigmoidRate       rate / (1 + exp(-x))                           alpha, beta
HHExpLinearRate     rate * x / (1 - exp(-x)) = rate / exprel(-x)   alpha, beta
HHExpVariable       rate * exp(x)  (rate dimensionless)            inf
HHSigmoidVariable   rate / (1 + exp(-x))                           inf
HHExpLinearVariable rate / exprel(-x)                              inf
fixedTimeCourse     tau  (a constant)                              tau
==================  =============================================  ===============

:func:`numeric_expression` turns a model's gate expression into plain numbers
(V in mV, the result in 1/ms, ms or 1) in the *modern* potential, whatever the
model's convention; :func:`match_form` finds the form and its parameters by the
expression's structure (``A*exp(linear)``, ``A/(K + B*exp(linear))``,
``A/exprel(linear)``) and accepts it only if it equals the expression to
:data:`FORM_RTOL` at :data:`CHECK_POINTS` potentials from -100 to +50 mV.
:func:`form_text` writes a form as Brian2 text in ``v``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy
from brian2 import ms, mV

from hh_brian.core.exprel import INERT_EXPREL, exprel
from hh_brian.core.parsed_expression import lambdify, parse_expression, substitute
from hh_brian.exchange.nml_units import number_text

#: The modern membrane potential in mV, the variable of every numeric expression.
V = sympy.Symbol("V", real=True)
#: Result unit of each expression key, as NeuroML writes it.
RESULT_UNITS = {"alpha": 1 / ms, "beta": 1 / ms, "tau": ms, "inf": 1}
#: Potentials (mV) at which a recognised form must equal the expression.
CHECK_POINTS = np.linspace(-100.0, 50.0, 200)
#: Largest relative difference for a form to be accepted.
FORM_RTOL = 1e-13

RATE_FORMS = ("HHExpRate", "HHSigmoidRate", "HHExpLinearRate")
VARIABLE_FORMS = ("HHExpVariable", "HHSigmoidVariable", "HHExpLinearVariable")


@dataclass(frozen=True)
class Form:
    """A standard NeuroML form with its parameters in NeuroML's units.

    Attributes
    ----------
    name : str
        ``HHExpRate``, ``HHSigmoidVariable``, ``fixedTimeCourse``, ...
    rate : float
        1/ms for rates, dimensionless for variables (unused for fixedTimeCourse).
    midpoint, scale : float
        mV.
    tau : float
        ms (fixedTimeCourse only).
    """

    name: str
    rate: float = 0.0
    midpoint: float = 0.0
    scale: float = 1.0
    tau: float = 0.0

    @property
    def shape(self) -> str:
        """``exp``, ``sigmoid``, ``explinear`` or ``fixed``."""
        for shape in ("ExpLinear", "Sigmoid", "Exp"):
            if f"HH{shape}" in self.name:
                return shape.lower()
        return "fixed"

    def values(self, v_mV: np.ndarray) -> np.ndarray:
        """The form's value at *v_mV* (NeuroML's units)."""
        x = (np.asarray(v_mV, dtype=float) - self.midpoint) / self.scale
        with np.errstate(all="ignore"):
            if self.shape == "exp":
                return self.rate * np.exp(x)
            if self.shape == "sigmoid":
                return self.rate / (1.0 + np.exp(-x))
            if self.shape == "explinear":
                return self.rate / exprel(-x)
        return np.full_like(x, self.tau)


def numeric_expression(model, text: str, key: str, *, what: str = "expression") -> sympy.Expr:
    """*text* (a gate expression of *model*) in plain numbers of the modern V in mV.

    Units and the model's constants become numbers; the result is in the unit of
    :data:`RESULT_UNITS` [*key*]; ``exprel`` stays an inert function.
    """
    params = model.parameters
    parsed = parse_expression(text, allowed_names={*params, "v"}, what=what)
    own = sympy.Symbol("own_v_mV", real=True)
    value = substitute(parsed, params, "v", mV, own) / float(RESULT_UNITS[key])
    convention = model.convention
    offset = float(convention.offset / mV)
    return sympy.sympify(value).xreplace({own: convention.sign * (V - offset)})


def numeric_function(expr: sympy.Expr):
    """A vectorised function of V (mV) for a numeric expression."""
    return lambdify(V, expr)


def _linear(arg: sympy.Expr) -> tuple[float, float] | None:
    """(c1, c0) if *arg* = c1*V + c0 with c1 != 0, else None."""
    if not arg.free_symbols <= {V}:
        return None
    expanded = sympy.expand(arg)
    try:
        poly = sympy.Poly(expanded, V)
    except sympy.PolynomialError:
        return None
    if poly.degree() != 1:
        return None
    c1, c0 = (float(c) for c in poly.all_coeffs())
    return (c1, c0) if c1 != 0 and math.isfinite(c1) and math.isfinite(c0) else None


def _candidates(expr: sympy.Expr, key: str) -> list[Form]:
    """Forms the structure of *expr* suggests (parameters still to be checked)."""
    rate_names = RATE_FORMS if key in ("alpha", "beta") else VARIABLE_FORMS
    if key == "tau":
        if expr.free_symbols:
            return []
        return [Form("fixedTimeCourse", tau=float(expr))]
    coeff, rest = expr.as_independent(V, as_Add=False)
    if not coeff.is_number:
        return []
    a = float(coeff)
    rest = sympy.powsimp(rest)
    found = []
    if rest.func is sympy.exp:
        lin = _linear(rest.args[0])
        if lin:
            c1, c0 = lin
            found.append(Form(rate_names[0], a, -c0 / c1, 1.0 / c1))
    if rest.is_Pow and rest.exp == -1:
        base = rest.base
        if base.func is INERT_EXPREL:
            lin = _linear(base.args[0])
            if lin:
                c1, c0 = lin
                found.append(Form(rate_names[2], a, -c0 / c1, -1.0 / c1))
        elif base.is_Add:
            k, var = base.as_independent(V, as_Add=True)
            b, e = var.as_independent(V, as_Add=False)
            e = sympy.powsimp(e)
            if k.is_number and b.is_number and float(k) != 0 and e.func is sympy.exp:
                ratio = float(b) / float(k)
                lin = _linear(e.args[0])
                if lin and ratio > 0:
                    c1, c0 = lin
                    c0 += math.log(ratio)
                    found.append(Form(rate_names[1], a / float(k), -c0 / c1, -1.0 / c1))
    return found


def _digits(x: float) -> int:
    return len(f"{abs(x):.12g}".replace(".", "").lstrip("0").split("e")[0])


def _exp_midpoints(form: Form) -> list[Form]:
    """The exp form re-anchored at whole-mV midpoints, the shortest rate first.

    rate*exp((V - m)/s) is the same function for every m with rate scaled by
    exp((m - midpoint)/s); a midpoint that makes the rate short (4 at -65 mV
    rather than 0.108 at 0 mV) reads like the source.
    """
    options = []
    for m in range(-150, 151):
        rate = form.rate * math.exp((m - form.midpoint) / form.scale)
        options.append((_digits(rate), abs(m), Form(form.name, rate, float(m), form.scale)))
    options.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in options[:3]]


def _rounded(form: Form, digits: int) -> Form:
    def r(x: float) -> float:
        return float(f"{x:.{digits}g}")

    return Form(form.name, r(form.rate), r(form.midpoint), r(form.scale), r(form.tau))


def _agrees(form: Form, reference: np.ndarray) -> bool:
    values = form.values(CHECK_POINTS)
    if not np.all(np.isfinite(values)):
        return False
    scale = np.maximum(np.abs(reference), 1e-300)
    return bool(np.all(np.abs(values - reference) <= FORM_RTOL * scale))


def match_form(expr: sympy.Expr, key: str) -> Form | None:
    """The standard form equal to *expr* (a :func:`numeric_expression`), or None.

    Parameters are rounded to 12 significant digits when the rounded form still
    agrees (so that ``-65`` is written, not ``-64.99999999999999``).
    """
    reference = numeric_function(expr)(CHECK_POINTS)
    if not np.all(np.isfinite(reference)):
        return None
    for form in _candidates(expr, key):
        anchored = _exp_midpoints(form) if form.shape == "exp" else []
        short_rate = [Form(f.name, float(f"{f.rate:.12g}"), f.midpoint, f.scale) for f in anchored]
        candidates = (*(_rounded(f, 12) for f in anchored), *short_rate, _rounded(form, 12), form)
        for candidate in candidates:
            if _agrees(candidate, reference):
                return candidate
    return None


def _num(x: float) -> str:
    text = number_text(x)
    return f"({text})" if text.startswith("-") else text


def form_text(form: Form, key: str, v_text: str = "v") -> str:
    """*form* as Brian2 text in the potential *v_text* (modern convention, volt)."""
    if form.shape == "fixed":
        return f"{_num(form.tau)}*ms"
    unit = "/ms" if key in ("alpha", "beta") else ""
    x = f"({v_text} - {_num(form.midpoint)}*mV)/({_num(form.scale)}*mV)"
    if form.shape == "exp":
        return f"{_num(form.rate)}{unit} * exp({x})"
    if form.shape == "sigmoid":
        return f"{_num(form.rate)}{unit} / (1 + exp(-{x}))"
    return f"{_num(form.rate)}{unit} / exprel(-{x})"


__all__ = [
    "CHECK_POINTS",
    "FORM_RTOL",
    "Form",
    "RATE_FORMS",
    "RESULT_UNITS",
    "V",
    "VARIABLE_FORMS",
    "form_text",
    "match_form",
    "numeric_expression",
    "numeric_function",
]
