"""Gate kinetics of a NeuroML2 channel as hh-brian gate expressions (Brian2 text in ``v``).

Read with libNeuroML by :mod:`hh_brian.exchange.neuroml_import`.  Supported:

* gates ``gateHHrates`` (alpha, beta), ``gateHHtauInf`` (inf, tau),
  ``gateHHratesInf`` (tau = 1/(alpha + beta)), ``gateHHratesTau``
  (inf = alpha/(alpha + beta)), ``gateHHratesTauInf`` and ``gateHHInstantaneous``;
* rates, variables and time courses in the standard forms of
  :mod:`hh_brian.exchange.rate_forms`, ``fixedTimeCourse``, or a LEMS
  ``ComponentType`` of the document whose ``Dynamics`` give the exposure through
  ``DerivedVariable``\\ s, ``Constant``\\ s and exprel guards
  (:func:`hh_brian.exchange.lems_expr.exprel_case`);
* ``q10ExpTemp`` (the channel's q10 and celsius_ref; every gate of a channel must
  agree) and ``q10Fixed`` (a factor folded into the gate's rates).

Every expression is in the modern potential ``v`` (volt); the importer maps it to
the model's convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hh_brian.core.errors import HHBrianInputError
from hh_brian.exchange.lems_expr import exprel_case, from_lems, substitute_text
from hh_brian.exchange.nml_units import number_text, parse_celsius, parse_quantity
from hh_brian.exchange.rate_forms import Form, form_text

RATE_TYPES = ("HHExpRate", "HHSigmoidRate", "HHExpLinearRate")
VARIABLE_TYPES = ("HHExpVariable", "HHSigmoidVariable", "HHExpLinearVariable")
TIME_TYPES = ("fixedTimeCourse",)
GATE_KINDS = {
    "gate_hh_rates": "gateHHrates",
    "gate_hh_tau_infs": "gateHHtauInf",
    "gate_h_hrates_infs": "gateHHratesInf",
    "gate_h_hrates_taus": "gateHHratesTau",
    "gate_h_hrates_tau_infs": "gateHHratesTauInf",
    "gate_hh_instantaneouses": "gateHHInstantaneous",
}
_EXPOSURE = {"alpha": "r", "beta": "r", "inf": "x", "tau": "t"}
_BASE_UNIT = {"voltage": "volt", "time": "second", "per_time": "(1/second)", "none": "1"}
_MAX_VARIABLES = 200


@dataclass(frozen=True)
class GateSpec:
    """One imported gate: expressions (Brian2 text in the modern v) and its temperature data."""

    name: str
    exponent: int
    form: str
    expressions: dict[str, str]
    q10: tuple[float, float] | None
    fixed_q10: float
    notes: str


def _where(channel_id: str, gate_id: str, element: str) -> str:
    return f"ionChannel {channel_id!r}, gate {gate_id!r}, {element}"


def _component_text(ct, key: str, where: str) -> str:
    """The exposure of a LEMS ComponentType as hh-brian text in v (volt)."""
    if getattr(ct, "Parameter", None):
        names = ", ".join(p.name for p in ct.Parameter)
        raise HHBrianInputError(
            f"{where}: ComponentType {ct.name!r} has Parameters ({names}); hh-brian imports "
            "ComponentTypes whose values are Constants (as hh-brian writes them)"
        )
    values: dict[str, str] = {}
    for constant in ct.Constant:
        if constant.dimension not in _BASE_UNIT:
            raise HHBrianInputError(
                f"{where}: ComponentType {ct.name!r} constant {constant.name!r} has dimension "
                f"{constant.dimension!r}; supported: {', '.join(_BASE_UNIT)}"
            )
        q = parse_quantity(constant.value, constant.dimension, what=f"{where}: {constant.name}")
        values[constant.name] = f"{float(q)!r}*{_BASE_UNIT[constant.dimension]}"
    dynamics = ct.Dynamics[0] if ct.Dynamics else None
    if dynamics is None:
        raise HHBrianInputError(f"{where}: ComponentType {ct.name!r} has no Dynamics")
    variables = list(dynamics.DerivedVariable)
    names = {*values, "v", *(d.name for d in variables)}
    names |= {c.name for c in dynamics.ConditionalDerivedVariable}
    texts: dict[str, str] = {}
    for derived in variables:
        if derived.value is None:
            raise HHBrianInputError(
                f"{where}: ComponentType {ct.name!r} DerivedVariable {derived.name!r} has no "
                "value (select= is not supported)"
            )
        texts[derived.name] = from_lems(derived.value, names, what=f"{where}: {derived.name}")
    for conditional in dynamics.ConditionalDerivedVariable:
        cases = [(c.condition, c.value) for c in conditional.Case]
        argument = exprel_case(cases)
        if argument is None and len(cases) == 1 and not cases[0][0]:
            texts[conditional.name] = from_lems(
                cases[0][1], names, what=f"{where}: {conditional.name}"
            )
            continue
        if argument is None:
            raise HHBrianInputError(
                f"{where}: ComponentType {ct.name!r} ConditionalDerivedVariable "
                f"{conditional.name!r} is not an exprel guard; hh-brian reads only "
                "'x .neq. 0 -> (exp(x) - 1) / x, x .eq. 0 -> 1'"
            )
        texts[conditional.name] = f"exprel({argument})"
    exposure = _EXPOSURE[key]
    if exposure not in texts:
        raise HHBrianInputError(
            f"{where}: ComponentType {ct.name!r} defines no DerivedVariable {exposure!r} "
            f"(the exposure of a {key} component)"
        )
    text = texts[exposure]
    for _ in range(_MAX_VARIABLES):
        expanded = substitute_text(text, {**texts, **values})
        if expanded == text:
            return text
        text = expanded
    raise HHBrianInputError(f"{where}: ComponentType {ct.name!r} refers to itself")


def _short(x: float) -> float:
    """*x* at 15 significant digits (a value written in mV, read in volt, reads as written)."""
    return float(f"{x:.15g}")


def kinetics_text(element, key: str, types: dict, where: str) -> str:
    """One rate (alpha/beta), variable (inf) or time course (tau) as text in v."""
    if element is None:
        raise HHBrianInputError(f"{where}: missing; a gate of this kind needs it")
    kind = element.type
    standard = {"alpha": RATE_TYPES, "beta": RATE_TYPES, "inf": VARIABLE_TYPES}.get(key, TIME_TYPES)
    if kind in standard:
        if kind == "fixedTimeCourse":
            tau = parse_quantity(element.tau, "time", what=f"{where} tau")
            return form_text(Form(kind, tau=_short(float(tau) * 1e3)), key)
        dimension = "per_time" if key in ("alpha", "beta") else "none"
        rate = parse_quantity(element.rate, dimension, what=f"{where} rate")
        rate_number = float(rate) * (1e-3 if dimension == "per_time" else 1.0)
        mid = parse_quantity(element.midpoint, "voltage", what=f"{where} midpoint")
        scale = parse_quantity(element.scale, "voltage", what=f"{where} scale")
        if float(scale) == 0:
            raise HHBrianInputError(f"{where}: scale is 0; give a non-zero voltage, e.g. '10mV'")
        form = Form(kind, _short(rate_number), _short(float(mid) * 1e3), _short(float(scale) * 1e3))
        return form_text(form, key)
    if kind in types:
        return _component_text(types[kind], key, where)
    raise HHBrianInputError(
        f"{where}: unknown type {kind!r}; supported: {', '.join(standard)} or a ComponentType "
        "defined in the file"
    )


def _factor(text: str | None, what: str) -> float:
    """A positive, finite dimensionless number from an attribute's text."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise HHBrianInputError(f"{what}: {text!r} is not a number; give e.g. '3'") from None
    if not (math.isfinite(value) and value > 0):
        raise HHBrianInputError(f"{what}: {text!r} must be positive and finite")
    return value


def _q10(gate, where: str) -> tuple[tuple[float, float] | None, float]:
    exp_temp, fixed = None, 1.0
    settings = gate.q10_settings
    settings = settings if isinstance(settings, list) else [settings] if settings else []
    for q in settings:
        if q.type == "q10ExpTemp":
            if exp_temp is not None:
                raise HHBrianInputError(f"{where}: more than one q10ExpTemp")
            if q.experimental_temp is None:
                raise HHBrianInputError(f"{where}: q10ExpTemp without experimentalTemp")
            exp_temp = (
                _factor(q.q10_factor, f"{where} q10Factor"),
                parse_celsius(q.experimental_temp, what=f"{where} experimentalTemp"),
            )
        elif q.type == "q10Fixed":
            fixed *= _factor(q.fixed_q10, f"{where} fixedQ10")
        else:
            raise HHBrianInputError(
                f"{where}: q10Settings type {q.type!r}; supported: q10ExpTemp, q10Fixed"
            )
    return exp_temp, fixed


def _scaled(expressions: dict[str, str], factor: float) -> dict[str, str]:
    if factor == 1.0:
        return expressions
    f = number_text(factor)
    out = {}
    for key, text in expressions.items():
        if key in ("alpha", "beta"):
            out[key] = f"{f} * ({text})"
        elif key == "tau":
            out[key] = f"({text}) / {f}"
        else:
            out[key] = text
    return out


def gate_specs(channel, types: dict) -> list[GateSpec]:
    """Every gate of a libNeuroML ion channel (``ionChannelHH`` or ``ionChannel``)."""
    cid = channel.id
    if getattr(channel, "gates", None):
        kinds = ", ".join(sorted({g.type or "gate" for g in channel.gates}))
        raise HHBrianInputError(
            f"ionChannel {cid!r}: gate elements of type {kinds}; hh-brian reads "
            f"{', '.join(GATE_KINDS.values())}"
        )
    if getattr(channel, "gate_fractionals", None):
        raise HHBrianInputError(
            f"ionChannel {cid!r}: gateFractional is not supported; hh-brian reads "
            f"{', '.join(GATE_KINDS.values())}"
        )
    specs = []
    for attribute, kind in GATE_KINDS.items():
        for gate in getattr(channel, attribute) or []:
            where = _where(cid, gate.id, kind)

            def read(element_name: str, key: str, gate=gate, where=where) -> str:
                element = getattr(gate, element_name, None)
                return kinetics_text(element, key, types, f"{where} {element_name}")

            if kind == "gateHHInstantaneous":
                exprs, form = {"inf": read("steady_state", "inf")}, "instantaneous"
            elif kind == "gateHHrates":
                exprs = {
                    "alpha": read("forward_rate", "alpha"),
                    "beta": read("reverse_rate", "beta"),
                }
                form = "rates"
            else:
                form = "inf_tau"
                if kind in ("gateHHratesInf", "gateHHratesTau"):
                    alpha, beta = read("forward_rate", "alpha"), read("reverse_rate", "beta")
                if kind == "gateHHratesInf":
                    exprs = {"inf": read("steady_state", "inf"), "tau": f"1/(({alpha}) + ({beta}))"}
                elif kind == "gateHHratesTau":
                    exprs = {
                        "inf": f"({alpha})/(({alpha}) + ({beta}))",
                        "tau": read("time_course", "tau"),
                    }
                else:
                    exprs = {"inf": read("steady_state", "inf"), "tau": read("time_course", "tau")}
            exp_temp, fixed = _q10(gate, where) if form != "instantaneous" else (None, 1.0)
            instances = int(gate.instances)
            if instances < 1:
                raise HHBrianInputError(f"{where}: instances {instances} must be >= 1")
            specs.append(
                GateSpec(
                    gate.id, instances, form, _scaled(exprs, fixed), exp_temp, fixed,
                    gate.notes or "",
                )
            )  # fmt: skip
    return specs


__all__ = ["GATE_KINDS", "GateSpec", "gate_specs", "kinetics_text"]
