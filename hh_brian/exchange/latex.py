"""A cell model's equations and parameters as a LaTeX document, for papers.

Each gate expression is printed once from its parsed form
(:func:`hh_brian.core.parsed_expression.parse_expression`) with ``sympy.latex``:
units upright (``\\mathrm{mV}``), the model's constants by name, ``exprel`` as
an operator defined in the text.  The document needs only the ``amsmath``
package; ``pdflatex`` compiles it.
"""

from __future__ import annotations

import re

import sympy

from hh_brian.core.bounded import UNIT_NAMESPACE
from hh_brian.core.exprel import INERT_EXPREL
from hh_brian.core.parsed_expression import parse_expression
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES
from hh_brian.models.validation import display_value

_LHS = {
    "alpha": r"\alpha_{{{g}}}",
    "beta": r"\beta_{{{g}}}",
    "inf": r"{g}_\infty",
    "tau": r"\tau_{{{g}}}",
}


def escape(text: str) -> str:
    """*text* with LaTeX's special characters escaped."""
    table = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}
    text = re.sub(r"[&%$#_{}]", lambda m: table[m.group()], str(text))
    return text.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


#: Greek letters a constant's name may start with (``tau_max`` -> tau with subscript max).
_GREEK = frozenset(
    "alpha beta gamma delta epsilon eta theta kappa lambda mu nu rho sigma tau phi chi psi "
    "omega".split()
)


def _symbol(name: str) -> str:
    head, _, tail = name.partition("_")
    if head in _GREEK:
        head = rf"\{head}"
    elif len(head) > 1:
        head = rf"\mathrm{{{head}}}"
    return f"{head}_{{\\mathrm{{{tail.replace('_', ' ')}}}}}" if tail else head


def expression_latex(model, text: str) -> str:
    """One gate expression of *model* as LaTeX math."""
    parsed = parse_expression(text, allowed_names={*model.parameters, "v"})
    names = {}
    for s in parsed.expr.free_symbols:
        if s.name == "v":
            names[s] = "V" if model.convention.name == "modern" else "V_{HH}"
        elif s.name in UNIT_NAMESPACE:
            unit = "\\mu " + s.name[1:] if s.name.startswith("u") else s.name
            names[s] = rf"\mathrm{{{unit}}}"
        else:
            names[s] = _symbol(s.name)
    exprel = sympy.Function("exprel")
    expr = parsed.expr.replace(INERT_EXPREL, exprel)
    latex = sympy.latex(expr, symbol_names=names, mul_symbol="dot")
    return re.sub(r"(\\operatorname\{exprel\}|(?<!\\)\bexprel\b)", r"\\exprel", latex)


def _parameter_rows(model) -> list[str]:
    rows = []
    for name, value in model.parameters.items():
        shown = escape(display_value(value, model.length_unit, digits=6))
        rows.append(
            rf"\texttt{{{escape(name)}}} & \texttt{{{shown}}} & {escape(model.meaning(name))} \\"
        )
    return rows


def equation_rows(model) -> list[str]:
    r"""The model's equations as ``align`` rows (``lhs &= rhs``), without the environment.

    The membrane equation, each channel's current, each gate's kinetics and rate
    expressions, and each q10 factor, in the order the model sums them.  Rows use the
    operator ``\exprel``, which the caller defines (see :func:`latex_document` and
    :func:`equations_math`).
    """
    v = "V" if model.convention.name == "modern" else "V_{HH}"
    sign = "" if model.convention.sign > 0 else "-"
    currents = " + ".join(rf"I_{{\mathrm{{{escape(ch.name)}}}}}" for ch in model.channels)
    injected = rf"{'-' if sign else '+'} I_{{\mathrm{{inj}}}}"
    rows = [rf"C_m \frac{{d{v}}}{{dt}} &= -({currents}) {injected}"]
    for ch in model.channels:
        gates = "".join(
            f"{g.name}^{{{g.exponent}}}" if g.exponent > 1 else g.name for g in ch.gates
        )
        phi = rf"\phi_{{\mathrm{{{escape(ch.name)}}}}}"
        rows.append(
            rf"I_{{\mathrm{{{escape(ch.name)}}}}} &= g_{{\mathrm{{{escape(ch.name)}}}}} {gates}"
            rf"\,({v} - E_{{\mathrm{{{escape(ch.name)}}}}})"
        )
        for g in ch.gates:
            p = phi if ch.q10 is not None else ""
            if g.form == RATES:
                rows.append(
                    rf"\frac{{d{g.name}}}{{dt}} &= {p}\left(\alpha_{{{g.name}}}(1 - {g.name})"
                    rf" - \beta_{{{g.name}}} {g.name}\right)"
                )
            elif g.form == INF_TAU:
                rows.append(
                    rf"\frac{{d{g.name}}}{{dt}} &= {p}\frac{{{g.name}_\infty - {g.name}}}"
                    rf"{{\tau_{{{g.name}}}}}"
                )
            elif g.form == INSTANTANEOUS:
                rows.append(rf"{g.name} &= {g.name}_\infty({v})")
            for key, text in g.expressions.items():
                lhs = _LHS[key].format(g=g.name)
                rows.append(rf"{lhs} &= {expression_latex(model, text)}")
        if ch.q10 is not None:
            rows.append(
                rf"{phi} &= {ch.q10:g}^{{(T - {ch.celsius_ref:g})/10}},\quad T = {model.celsius:g}"
                r"\,^\circ\mathrm{C}"
            )
    return rows


def equations_math(model) -> str:
    """The equations as one display-math block, ``$$\\begin{aligned}...\\end{aligned}$$``.

    Self-contained for MathJax and KaTeX (Jupyter): ``\\exprel`` is spelled
    ``\\operatorname{exprel}``, so no macro needs defining.  This is the model's
    ``_repr_latex_``.
    """
    body = r" \\" + "\n"
    rows = [row.replace(r"\exprel", r"\operatorname{exprel}") for row in equation_rows(model)]
    return "$$\n\\begin{aligned}\n" + body.join(rows) + "\n\\end{aligned}\n$$"


def latex_document(model) -> str:
    """A standalone LaTeX document: membrane equation, currents, gate kinetics, parameters."""
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\DeclareMathOperator{\exprel}{exprel}",
        rf"\title{{{escape(model.title)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        rf"\noindent Source: {escape(model.citation)}.\\ Convention: "
        rf"{escape(model.convention.description)}.",
        r"\section*{Equations}",
        r"\begin{align*}",
        (r"\\" + "\n").join(equation_rows(model)),
        r"\end{align*}",
        r"with $\exprel(x) = (e^x - 1)/x$, $\exprel(0) = 1$.",
        r"\section*{Parameters}",
        r"\begin{tabular}{llp{0.5\textwidth}}",
        r"name & value & meaning\\ \hline",
        *_parameter_rows(model),
        r"\end{tabular}",
        r"\end{document}",
        "",
    ]
    return "\n".join(lines)


__all__ = ["equation_rows", "equations_math", "escape", "expression_latex", "latex_document"]
