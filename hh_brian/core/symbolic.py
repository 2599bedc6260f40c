"""One parse of a rate expression, printed three ways: Brian2 text, NumPy, NMODL.

This module gathers the rate-expression layer under one name; each piece lives
in its own module:

* :mod:`hh_brian.core.parsed_expression`: :func:`parse_expression` and
  :class:`ParsedExpression`, whose printers give Brian2 text, a NumPy function
  and NMODL text;
* :mod:`hh_brian.core.exprel`: ``exprel`` in SymPy, NumPy (:func:`exprel`) and
  NMODL (:func:`nmodl_exprel_function`);
* :mod:`hh_brian.core.nmodl_printer`: the NMODL printer;
* :mod:`hh_brian.core.singularities`: :func:`find_singularities`,
  :func:`check_singularities` and :func:`exprel_form`.

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

from hh_brian.core.exprel import INERT_EXPREL, SYMPY_EXPREL, exprel, nmodl_exprel_function
from hh_brian.core.parsed_expression import (
    ParsedExpression,
    parse_expression,
    substitute,
    to_sympy,
)
from hh_brian.core.singularities import (
    V_RANGE,
    check_singularities,
    exprel_form,
    find_singularities,
)

__all__ = [
    "INERT_EXPREL",
    "SYMPY_EXPREL",
    "V_RANGE",
    "ParsedExpression",
    "check_singularities",
    "exprel",
    "exprel_form",
    "find_singularities",
    "nmodl_exprel_function",
    "parse_expression",
    "substitute",
    "to_sympy",
]
