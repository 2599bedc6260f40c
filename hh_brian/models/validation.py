"""Validation and display of model values: units, ranges, gate expressions, whole models.

Every check raises :class:`~hh_brian.core.errors.HHBrianInputError` with one line that
names the value, what was expected and an example.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from brian2 import Hz, Quantity, get_dimensions, mV, second, siemens, umetre
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from hh_brian.core.conventions import MODERN, VoltageConvention
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import check_dimensions, evaluate

#: A :class:`hh_brian.models.cell.CellModel` (not imported: cell.py imports this module).
CellModel = Any

#: Parameters that must be strictly positive (by prefix for channel parameters).
_POSITIVE = ("C_m", "area", "q10_")
#: Parameters that are temperatures in degC.
_TEMPERATURES = ("celsius",)

_EXAMPLES = {
    "g": "'36*mS/cm**2'",
    "E": "'-77*mV'",
    "C_m": "'1*uF/cm**2'",
    "V_spike": "'-20*mV'",
    "celsius": "'16.3'",
    "celsius_ref": "'6.3'",
    "q10": "'3'",
    "area": "'20000*um**2'",
}


def parameter_example(name: str) -> str:
    """A correctly written value for parameter *name*, for error messages."""
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    for prefix in ("celsius_ref", "q10", "g", "E"):
        if name.startswith(prefix + "_"):
            return _EXAMPLES[prefix]
    return "'1*mV'"


_DISPLAY_UNITS = (
    ("siemens/metre**2", "mS/{L}**2"),
    ("farad/metre**2", "uF/{L}**2"),
    ("amp/metre**2", "uA/{L}**2"),
    ("volt", "mV"),
    ("metre**2", "um**2"),
    ("hertz", "1/ms"),
    ("1/volt", "1/mV"),
    ("siemens", "nS"),
    ("farad", "pF"),
    ("amp", "nA"),
    ("second", "ms"),
    ("mole/metre**3", "mM"),
)


def display_unit(value: object, length_unit: str = "cm") -> str:
    """The customary unit text for *value*'s dimensions ('' if dimensionless)."""
    dim = get_dimensions(value)
    if dim is DIMENSIONLESS:
        return ""
    for si_text, shown in _DISPLAY_UNITS:
        if get_dimensions(evaluate(si_text)) is dim:
            return shown.format(L=length_unit)
    return repr(get_unit(dim))


def display_value(value: object, length_unit: str = "cm", digits: int = 6) -> str:
    """A value in customary units, e.g. ``-1*mS/cm**2`` (not SI base units)."""
    unit_text = display_unit(value, length_unit)
    if not unit_text:
        return f"{float(np.asarray(value)):.{digits}g}"
    magnitude = float(np.asarray(value / evaluate(unit_text)))
    if unit_text.startswith("1/"):
        return f"{magnitude:.{digits}g}/{unit_text[2:]}"
    return f"{magnitude:.{digits}g}*{unit_text}"


def validate_parameter(name: str, value: object, reference: object) -> Quantity:
    """Check *value* has the units of *reference*, is finite and in range; return it."""
    example = parameter_example(name)
    what = f"parameter {name}"
    if isinstance(value, str):
        value = evaluate(value, what=what, example=example)
    if not isinstance(value, Quantity | int | float | np.number):
        raise HHBrianInputError(f"{what}: expected a quantity such as {example}, got {value!r}")
    check_dimensions(value, reference, what=what, example=example)
    if np.ndim(value) != 0:
        raise HHBrianInputError(f"{what}: expected one value, got {value!r}; e.g. {example}")
    magnitude = float(np.asarray(value))
    if not math.isfinite(magnitude):
        raise HHBrianInputError(f"{what}: {value} is not finite; e.g. {example}")
    shown = display_value(value)
    positive = name in ("C_m", "area", "gamma") or name.startswith("q10")
    if positive and magnitude <= 0:
        raise HHBrianInputError(f"{what}: must be positive, got {shown}; e.g. {example}")
    if (name.startswith("g_") or name == "g") and magnitude < 0:
        raise HHBrianInputError(f"{what}: must be positive or zero, got {shown}; e.g. {example}")
    if name.startswith("celsius") and magnitude <= -273.15:
        raise HHBrianInputError(
            f"{what}: {shown} degC is below absolute zero; give degrees Celsius, e.g. {example}"
        )
    quantity = Quantity(value, copy=True)
    quantity.flags.writeable = False
    return quantity


#: Modern membrane potentials at which every gate expression is probed.
PROBE_RANGE_MV = (-120.0, 60.0)
_EXPECTED = {"alpha": Hz, "beta": Hz, "inf": 1, "tau": second}
_EXPRESSION_EXAMPLES = {
    "alpha": "'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'",
    "beta": "'0.125/ms*exp(-(v + 65*mV)/(80*mV))'",
    "inf": "'1/(1 + exp(-(v + 35*mV)/(10*mV)))'",
    "tau": "'100*ms/(3.3*exp((v + 35*mV)/(20*mV)) + exp(-(v + 35*mV)/(20*mV)))'",
}


def expression_example(key: str) -> str:
    return _EXPRESSION_EXAMPLES[key]


def check_gate_expression(
    model: CellModel | None,
    gate: str,
    key: str,
    text: str,
    what: str,
    *,
    constants: Mapping[str, object] | None = None,
    convention: VoltageConvention = MODERN,
) -> None:
    """Check one gate expression: it parses, has the right units, and is finite and in
    range (rates >= 0, 0 <= x_inf <= 1, tau > 0) from -120 to +60 mV (modern potential,
    mapped into the model's convention)."""
    example = _EXPRESSION_EXAMPLES[key]
    if not isinstance(text, str) or not text.strip():
        raise HHBrianInputError(f"{what}: expected an expression in v such as {example}")
    if model is not None:
        constants = model.parameters
        convention = model.convention
    probe_modern = np.linspace(*PROBE_RANGE_MV, 1801) * mV
    probe = convention.from_modern(probe_modern)
    value = evaluate(text, {**(constants or {}), "v": probe}, what=what, example=example)
    check_dimensions(value, _EXPECTED[key], what=what, example=example)
    values = np.asarray(value / _EXPECTED[key] if key != "inf" else value, dtype=float)
    values = values * np.ones(probe.shape)
    if key in ("alpha", "beta"):
        bad, rule = ~np.isfinite(values) | (values < 0), "a rate must be finite and >= 0"
        problem = "is negative or not finite"
    elif key == "inf":
        bad = ~np.isfinite(values) | (values < 0) | (values > 1)
        rule, problem = "a steady state must lie in [0, 1]", "is outside [0, 1] or not finite"
    else:
        bad, rule = ~np.isfinite(values) | (values <= 0), "a time constant must be > 0"
        problem = "is not positive or not finite"
    if not bad.any():
        _check_singularities(text, constants or {}, convention, what, example)
        return
    if bad.any():
        v_bad = float(probe_modern[np.argmax(bad)] / mV)
        raise HHBrianInputError(
            f"{what}: {text!r} {problem} at V = {v_bad:g} mV (modern); "
            f"{rule} over {PROBE_RANGE_MV[0]:g}..{PROBE_RANGE_MV[1]:g} mV, e.g. {example}"
        )


def _check_singularities(
    text: str,
    constants: Mapping[str, object],
    convention: VoltageConvention,
    what: str,
    example: str,
) -> None:
    """Refuse a 0/0 or a pole anywhere in -150..+100 mV (modern), found symbolically: the
    zeros of the expression's denominators, not a grid (a 0/0 at -54.5 mV is caught)."""
    from hh_brian.core.parsed_expression import parse_expression
    from hh_brian.core.singularities import check_singularities

    parsed = parse_expression(text, allowed_names={*constants, "v"}, what=what, example=example)
    ends = sorted(float(convention.from_modern(x * mV) / mV) for x in (-150.0, 100.0))
    check_singularities(parsed, constants, v_range=(ends[0] * mV, ends[1] * mV))


def check_model(model: CellModel) -> CellModel:
    """Validate a whole model: names, units and every gate expression; return it."""
    from hh_brian.models.channels import RESERVED_NAMES, check_identifier

    # Names the renderer and the engines use for other things.
    seen: dict[str, str] = {name: "hh-brian" for name in RESERVED_NAMES | {"I_sweep"}}

    def claim(name: str, owner: str) -> None:
        if name in seen:
            raise HHBrianInputError(
                f"model {model.name!r}: {owner} defines {name!r}, which {seen[name]} already "
                "defines; names must be unique within a model"
            )
        seen[name] = owner

    for name in model.constants:
        check_identifier(name, f"parameter {name}")
        claim(name, f"parameter {name!r}")
    for ch in model.channels:
        check_identifier(ch.name, f"channel {ch.name}")
        flats = ("g", "E", "I", "phi", "q10", "celsius_ref")
        for flat in (f"{prefix}_{ch.name}" for prefix in flats):
            claim(flat, f"channel {ch.name!r}")
        g_ref = siemens if model.area is not None and _is_absolute(ch.g) else siemens / umetre**2
        validate_parameter(f"g_{ch.name}", ch.g, g_ref)
        validate_parameter(f"E_{ch.name}", ch.E, mV)
        if (ch.q10 is None) != (ch.celsius_ref is None):
            raise HHBrianInputError(
                f"channel {ch.name}: give both q10 and celsius_ref, or neither; e.g. "
                "q10 = 3, celsius_ref = 6.3"
            )
        if ch.q10 is not None:
            validate_parameter(f"q10_{ch.name}", ch.q10, 1.0)
            validate_parameter(f"celsius_ref_{ch.name}", ch.celsius_ref, 1.0)
        for gate in ch.gates:
            check_identifier(gate.name, f"channel {ch.name} gate {gate.name}")
            claim(
                gate.name, f"channels.{ch.name}.gates.{gate.name} (a gate of channel {ch.name!r})"
            )
            for rendered in gate.rendered_names().values():
                claim(rendered, f"gate {gate.name!r}")
            if not isinstance(gate.exponent, int) or isinstance(gate.exponent, bool):
                raise HHBrianInputError(
                    f"channel {ch.name} gate {gate.name}: exponent {gate.exponent!r} must be a "
                    "positive integer, e.g. gates = { m = 3, h = 1 }"
                )
            if gate.exponent < 1:
                raise HHBrianInputError(
                    f"channel {ch.name} gate {gate.name}: exponent {gate.exponent} must be a "
                    "positive integer, e.g. gates = { m = 3, h = 1 }"
                )
            for key in gate.expressions:
                # Named by its model-file key, e.g. channels.kd.n.alpha.
                what = f"channels.{ch.name}.{gate.name}.{key}"
                check_gate_expression(model, gate.name, key, gate.expressions[key], what)
    if model.area is None and any(_is_absolute(ch.g) for ch in model.channels):
        bad = next(ch.name for ch in model.channels if _is_absolute(ch.g))
        raise HHBrianInputError(
            f"channel {bad}: g is an absolute conductance but the model has no area; give a "
            "density such as '36*mS/cm**2', or give the membrane an area = '20000*um**2'"
        )
    validate_parameter("C_m", model.C_m, siemens * second / umetre**2)
    validate_parameter("V_spike", model.V_spike, mV)
    validate_parameter("celsius", model.celsius, 1.0)
    check_temperature_factors(model)
    return model


#: Largest temperature factor accepted (rates x 1e6: far outside any physiology).
MAX_PHI = 1e6


def check_temperature_factors(model: CellModel) -> None:
    """Every channel's phi = q10**((celsius - celsius_ref)/10) must be finite, positive and
    below :data:`MAX_PHI` (guards q10 = 1e300 or celsius = 1e5 against overflow)."""
    for ch in model.channels:
        if ch.q10 is None:
            continue
        try:
            phi = ch.phi(model.celsius)
        except OverflowError:
            phi = float("inf")
        if not (math.isfinite(phi) and 0 < phi <= MAX_PHI and phi >= 1 / MAX_PHI):
            raise HHBrianInputError(
                f"channel {ch.name}: temperature factor q10**((celsius - celsius_ref)/10) = "
                f"{ch.q10:g}**(({model.celsius:g} - {ch.celsius_ref:g})/10) = {phi:g} is outside "
                f"[{1 / MAX_PHI:g}, {MAX_PHI:g}]; check q10, celsius_ref and celsius (degC)"
            )


def _is_absolute(g: Quantity) -> bool:
    return get_dimensions(g) is get_dimensions(siemens)


__all__ = [
    "check_gate_expression",
    "check_model",
    "display_unit",
    "display_value",
    "expression_example",
    "parameter_example",
    "validate_parameter",
]
