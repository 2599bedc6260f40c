"""NeuroML2 quantities (``"120mS_per_cm2"``, ``"-54.3 mV"``) to and from Brian2 quantities.

NeuroML writes a quantity as a number followed by a unit symbol from
``NeuroMLCoreDimensions.xml`` (``mV``, ``per_ms``, ``mS_per_cm2``, ``uF_per_cm2``,
``degC``, ...).  :func:`parse_quantity` reads one, checking its dimension
against what the attribute needs; :func:`format_quantity` writes one so that
:func:`parse_quantity` gives back the *same float* (the SI value is
``float(number) * scale``, and the unit is chosen only if that reproduces the
value bit for bit; otherwise the SI unit is used, where the scale is 1).

Temperatures are kept in degrees Celsius (hh-brian's ``celsius``), read from
``degC`` exactly or from ``K`` by subtracting 273.15.

>>> from brian2 import mV
>>> parse_quantity("-54.3mV", "voltage", what="erev") == -54.3 * mV
True
>>> format_quantity(-54.3 * mV, "voltage")
'-54.3mV'
"""

from __future__ import annotations

import math
import re

import numpy as np
from brian2 import Quantity, get_dimensions, metre, second, siemens
from brian2.units import amp, farad, volt

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate

#: dimension name -> (Brian2 SI unit, [(NeuroML symbol, Brian2 unit text), ...] in preference
#: order).  Only units NeuroMLCoreDimensions defines (jNeuroML refuses others, e.g.
#: ``mS_per_mm2``).  A quantity reads as Brian2 evaluates ``NUMBER*UNIT`` (so
#: ``"1uF_per_cm2"`` gives the very float a model file's ``"1*uF/cm**2"`` gives).
UNITS: dict[str, tuple[Quantity, list[tuple[str, str]]]] = {
    "voltage": (volt, [("mV", "mV"), ("V", "volt"), ("uV", "uvolt")]),
    "time": (second, [("ms", "ms"), ("s", "second"), ("us", "usecond")]),
    "per_time": (1 / second, [("per_ms", "(1/ms)"), ("per_s", "(1/second)"), ("Hz", "Hz")]),
    "conductanceDensity": (
        siemens / metre**2,
        [
            ("mS_per_cm2", "mS/cm**2"),
            ("S_per_m2", "siemens/metre**2"),
            ("S_per_cm2", "siemens/cm**2"),
        ],
    ),
    "specificCapacitance": (
        farad / metre**2,
        [("uF_per_cm2", "uF/cm**2"), ("F_per_m2", "farad/metre**2")],
    ),
    "conductance": (
        siemens,
        [
            ("nS", "nS"),
            ("S", "siemens"),
            ("pS", "psiemens"),
            ("uS", "usiemens"),
            ("mS", "msiemens"),
        ],
    ),
    "capacitance": (farad, [("pF", "pfarad"), ("F", "farad"), ("nF", "nfarad"), ("uF", "ufarad")]),
    "current": (amp, [("nA", "nA"), ("A", "amp"), ("pA", "pamp"), ("uA", "uA")]),
    "length": (metre, [("um", "um"), ("m", "metre"), ("cm", "cm"), ("mm", "mm")]),
    "none": (Quantity(1.0), [("", "1")]),
}
#: The SI unit's symbol of each dimension (its scale is exactly 1).
SI_SYMBOL = {
    "voltage": "V",
    "time": "s",
    "per_time": "per_s",
    "conductanceDensity": "S_per_m2",
    "specificCapacitance": "F_per_m2",
    "conductance": "S",
    "capacitance": "F",
    "current": "A",
    "length": "m",
    "none": "",
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z_0-9]*)\s*$")


def _examples(dimension: str) -> str:
    units = UNITS[dimension][1]
    return ", ".join(f"'1{symbol}'" for symbol, _ in units[:2]) if units[0][0] else "'3'"


def _split(text: object, dimension: str, what: str) -> tuple[float, str]:
    match = _QUANTITY.match(str(text)) if text is not None else None
    if match is None:
        raise HHBrianInputError(
            f"{what}: {text!r} is not a NeuroML quantity; expected a number and a unit, "
            f"e.g. {_examples(dimension)}"
        )
    value = float(match.group(1))
    if not math.isfinite(value):
        raise HHBrianInputError(f"{what}: {text!r} is not finite")
    return value, match.group(2)


def parse_quantity(text: object, dimension: str, *, what: str) -> Quantity:
    """A NeuroML quantity as a Brian2 Quantity (SI float ``number * scale``).

    Parameters
    ----------
    text : str
        E.g. ``"120mS_per_cm2"`` or ``"-65 mV"``.
    dimension : str
        A key of :data:`UNITS` (``"voltage"``, ``"conductanceDensity"``, ...).
    what : str
        Names the element and attribute in error messages.

    Raises
    ------
    HHBrianInputError
        For text that is not a number and a unit, or a unit of another dimension
        (the message lists the units accepted).
    """
    value, symbol = _split(text, dimension, what)
    base, units = UNITS[dimension]
    for name, unit_text in units:
        if symbol == name:
            return _value(value, unit_text, base)
    other = next((d for d, (_, us) in UNITS.items() if any(symbol == n for n, _ in us)), None)
    found = f"a {other} unit" if other else "an unknown unit"
    raise HHBrianInputError(
        f"{what}: {text!r} has {found} ({symbol or 'none'}); expected a {dimension} in "
        f"{', '.join(n for n, _ in units) or 'no unit'}, e.g. {_examples(dimension)}"
    )


def _value(number: float, unit_text: str, base: Quantity) -> Quantity:
    """``number*unit`` as Brian2 evaluates it (the same float a model file gives)."""
    result = evaluate(f"{number!r}*{unit_text}", what="NeuroML quantity")
    return Quantity(float(np.asarray(result)), dim=get_dimensions(base))


def parse_celsius(text: object, *, what: str) -> float:
    """A NeuroML temperature (``"6.3degC"`` or ``"279.45K"``) in degrees Celsius."""
    value, symbol = _split(text, "none", what)
    if symbol == "degC":
        return value
    if symbol == "K":
        return value - 273.15
    raise HHBrianInputError(f"{what}: {text!r} is not a temperature; e.g. '6.3degC' or '279.45K'")


def number_text(value: float) -> str:
    """The shortest decimal text that reads back as *value*, never in exponent form
    (LEMS expressions and NeuroML attributes both read it).

    >>> number_text(1e-05), number_text(-65.0), number_text(0.1)
    ('0.00001', '-65', '0.1')
    """
    text = np.format_float_positional(float(value), unique=True, trim="-")
    return "0" if text in ("-0", "0") else text


def format_quantity(value: Quantity | float, dimension: str, *, exact: bool = True) -> str:
    """*value* as NeuroML text that :func:`parse_quantity` reads back bit for bit.

    The first unit of :data:`UNITS` whose number (at most 12 significant digits)
    reads back exactly is used; else the SI unit, whose scale is 1.  With
    ``exact=False`` the first unit is used with 12 significant digits (for inputs,
    whose amplitudes need not read back bit for bit).
    """
    si = float(np.asarray(value, dtype=float))
    base, units = UNITS[dimension]
    if get_dimensions(value) is not get_dimensions(base) and dimension != "none":
        raise HHBrianInputError(f"cannot write {value!r} as a {dimension}")
    for symbol, unit_text in units:
        scale = float(np.asarray(evaluate(unit_text, what="unit")))
        scaled = float(f"{si / scale:.12g}")
        if not exact or float(np.asarray(_value(scaled, unit_text, base))) == si:
            return f"{number_text(scaled)}{symbol}"
    return f"{number_text(si)}{SI_SYMBOL[dimension]}"


def format_celsius(celsius: float) -> str:
    """A temperature in degrees Celsius as NeuroML text (``"6.3degC"``)."""
    return f"{number_text(celsius)}degC"


__all__ = [
    "SI_SYMBOL",
    "UNITS",
    "format_celsius",
    "format_quantity",
    "number_text",
    "parse_celsius",
    "parse_quantity",
]
