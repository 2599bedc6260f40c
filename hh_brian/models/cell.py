"""A single-compartment cell model: a membrane plus any number of channels.

:class:`CellModel` is the one model description every engine reads: the
Brian2 renderer, the NumPy reference engine, the NMODL printer and the
external simulators.  It is immutable; variants are derived with units checked
(:meth:`CellModel.with_parameters`, :meth:`CellModel.with_rates`,
:meth:`CellModel.with_temperature`, :meth:`CellModel.with_area`).

Every value is reachable under one flat *parameter name*, which is also its
name in the rendered Brian2 equations and in ``--set NAME=EXPR``:

============================  ===============================================
``C_m``                       specific membrane capacitance
``area``                      membrane area (optional)
``celsius``                   temperature, degC (a number)
``V_spike``                   spike-detection threshold (model's convention)
``g_<ch>``, ``E_<ch>``        maximal conductance and reversal of channel ch
``q10_<ch>``, ``celsius_ref_<ch>``  temperature dependence of channel ch
any name in ``[parameters]``  the model's named constants (e.g. ``V_T``)
============================  ===============================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from brian2 import Hz, Quantity, get_dimensions, mV, second, siemens, umetre
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from hh_brian.core.conventions import MODERN, VoltageConvention
from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import check_dimensions, evaluate
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES, Channel, Gate
from hh_brian.models.citation import Citation

#: Meanings of the membrane parameters, for listings and file headers.
MEMBRANE_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "C_m": "specific membrane capacitance",
        "area": "membrane area; currents may then be absolute (amp)",
        "celsius": "temperature in degrees Celsius (dimensionless number)",
        "V_spike": "spike-detection threshold (in the model's convention)",
    }
)

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


def _frozen(values: Mapping) -> Mapping:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, eq=False)
class CellModel:
    """An immutable single-compartment conductance-based cell model.

    Attributes
    ----------
    name : str
        Registry or file name, e.g. ``"dayan_abbott"``.
    title : str
        One-line description.
    convention : VoltageConvention
        How ``v`` relates to the modern membrane potential.
    C_m : Quantity
        Specific membrane capacitance (farad/metre**2).
    channels : tuple of Channel
        In the order their currents are summed.
    constants : Mapping[str, Quantity]
        Named constants usable in every expression (``[parameters]`` of a file).
    celsius : float
        Temperature, degC.
    V_spike : Quantity
        Spike-detection threshold, in the model's convention (volt).
    v_rest_guess : Quantity
        Nominal resting potential (model's convention); the rest used is the
        stable equilibrium nearest to it (:func:`hh_brian.models.kinetics.resting_state`).
    area : Quantity or None
        Membrane area (metre**2); with it, currents may be absolute.
    citation : Citation
    notes : tuple of str
        Where the model departs from its source, and why.
    length_unit : {'cm', 'mm'}
        The length unit densities are shown in.
    numpy_twin : str or None
        Name of the hand-written NumPy rate set in
        :mod:`hh_brian.engines.reference.rates` that independently implements
        this model's gates (built-in squid models only).
    source : str
        ``"builtin"`` or the path of the model file.
    meanings : Mapping[str, str]
        One-line meaning of each named constant.
    """

    name: str
    title: str
    convention: VoltageConvention
    C_m: Quantity
    channels: tuple[Channel, ...]
    citation: Citation
    constants: Mapping[str, Quantity] = field(default_factory=dict)
    celsius: float = 6.3
    V_spike: Quantity = field(default_factory=lambda: -20 * mV)
    v_rest_guess: Quantity = field(default_factory=lambda: -65 * mV)
    area: Quantity | None = None
    notes: tuple[str, ...] = ()
    length_unit: str = "cm"
    numpy_twin: str | None = None
    source: str = "builtin"
    meanings: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constants", _frozen(self.constants))
        object.__setattr__(self, "meanings", _frozen(self.meanings))
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "notes", tuple(self.notes))

    # -- structure ------------------------------------------------------------
    @property
    def gates(self) -> tuple[Gate, ...]:
        """Every gate, in channel order."""
        return tuple(g for ch in self.channels for g in ch.gates)

    @property
    def gate_names(self) -> tuple[str, ...]:
        """Names of the gates that are state variables (instantaneous ones excluded)."""
        return tuple(g.name for g in self.gates if g.is_state)

    @property
    def state_variables(self) -> tuple[str, ...]:
        """``("v", *gate_names)``: the integrated state, in this order everywhere."""
        return ("v", *self.gate_names)

    def channel(self, name: str) -> Channel:
        """One channel by name; unknown names get a suggestion."""
        for ch in self.channels:
            if ch.name == name:
                return ch
        known = [ch.name for ch in self.channels]
        raise HHBrianInputError(
            f"model {self.name!r} has no channel {name!r}.{closest_names(name, known)} "
            f"Channels: {', '.join(known)}"
        )

    def channel_of_gate(self, gate: str) -> Channel:
        for ch in self.channels:
            if any(g.name == gate for g in ch.gates):
                return ch
        raise KeyError(gate)

    @property
    def has_area(self) -> bool:
        """True if the model carries a membrane area (absolute currents allowed)."""
        return self.area is not None

    # -- flat views -----------------------------------------------------------
    @property
    def parameters(self) -> Mapping[str, Quantity]:
        """Every parameter under its flat name (see the module docstring)."""
        out: dict[str, object] = {"C_m": self.C_m}
        if self.area is not None:
            out["area"] = self.area
        out["celsius"] = Quantity(self.celsius)
        out["V_spike"] = self.V_spike
        out.update(self.constants)
        for ch in self.channels:
            out[f"g_{ch.name}"] = ch.g
            out[f"E_{ch.name}"] = ch.E
            if ch.q10 is not None:
                out[f"q10_{ch.name}"] = Quantity(ch.q10)
                out[f"celsius_ref_{ch.name}"] = Quantity(ch.celsius_ref)
        return MappingProxyType(out)

    @property
    def rates(self) -> Mapping[str, str]:
        """Every gate expression under its equation name (``alpha_m``, ``tau_p``, ...)."""
        out = {}
        for gate in self.gates:
            for key, rendered in gate.rendered_names().items():
                out[rendered] = gate.expressions[key]
        return MappingProxyType(out)

    def meaning(self, name: str) -> str:
        """One-line meaning of a flat parameter name."""
        if name in MEMBRANE_MEANINGS:
            return MEMBRANE_MEANINGS[name]
        if name in self.meanings:
            return self.meanings[name]
        for prefix, text in (
            ("celsius_ref_", "temperature (degC) at which channel {}'s rates were measured"),
            ("q10_", "rate factor per 10 degC of channel {}"),
            ("g_", "maximal conductance of channel {}"),
            ("E_", "reversal potential of channel {}"),
        ):
            if name.startswith(prefix):
                ch = name[len(prefix) :]
                desc = next((c.description for c in self.channels if c.name == ch), "")
                return text.format(ch) + (f" ({desc})" if desc else "")
        return ""

    def parameter(self, name: str) -> Quantity:
        """One parameter by its flat name; unknown names get a suggestion."""
        params = self.parameters
        try:
            return params[name]
        except KeyError:
            raise HHBrianInputError(
                f"model {self.name!r} has no parameter {name!r}."
                f"{closest_names(name, list(params) + list(self.rates))} "
                f"Known: {', '.join(params)}"
            ) from None

    def phi(self, channel: str | Channel) -> float:
        """Temperature factor of one channel at the model's temperature."""
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        return ch.phi(self.celsius)

    def display(self, name: str) -> str:
        """A parameter as Brian2 text in the model's customary units, e.g. ``1.2*mS/mm**2``."""
        return display_value(self.parameter(name), self.length_unit, digits=12)

    def key(self) -> str:
        """A canonical text of everything that defines the dynamics (a cache key)."""
        parts = [self.convention.name, repr(self.C_m), repr(self.area), repr(self.celsius)]
        parts += [f"{k}={v!r}" for k, v in sorted(self.constants.items())]
        for ch in self.channels:
            parts.append(f"{ch.name}:{ch.g!r}:{ch.E!r}:{ch.q10!r}:{ch.celsius_ref!r}")
            for g in ch.gates:
                parts.append(f"{g.name}^{g.exponent}:{g.form}:{sorted(g.expressions.items())}")
        parts.append(repr(self.v_rest_guess))
        return "|".join(parts)

    # -- variants -------------------------------------------------------------
    def with_parameters(self, **overrides: object) -> CellModel:
        """A copy with some parameters replaced, each checked for units and range.

        Names are the flat parameter names; ``q10`` and ``celsius_ref`` set the
        value of every channel that has one.

        >>> from brian2 import mV
        >>> from hh_brian.models.library import get_model
        >>> get_model("dayan_abbott").with_parameters(E_L=-60 * mV).parameter("E_L")
        -60. * mvolt
        """
        model = self
        for name, value in overrides.items():
            model = model._with_one(name, value)
        return model

    def _with_one(self, name: str, value: object) -> CellModel:
        if name in ("q10", "celsius_ref"):
            targets = [ch.name for ch in self.channels if ch.q10 is not None]
            if not targets:
                raise HHBrianInputError(f"model {self.name!r} has no channel with a q10")
            model = self
            for ch in targets:
                model = model._with_one(f"{name}_{ch}", value)
            return model
        if name == "area" and self.area is None:
            return replace(self, area=validate_parameter("area", value, 1 * umetre**2))
        reference = self.parameter(name)
        checked = validate_parameter(name, value, reference)
        if name == "C_m":
            return replace(self, C_m=checked)
        if name == "area":
            return replace(self, area=checked)
        if name == "celsius":
            return replace(self, celsius=float(checked))
        if name == "V_spike":
            return replace(self, V_spike=checked)
        if name in self.constants:
            return replace(self, constants={**self.constants, name: checked})
        for prefix, attr in (
            ("celsius_ref_", "celsius_ref"),
            ("q10_", "q10"),
            ("g_", "g"),
            ("E_", "E"),
        ):
            if name.startswith(prefix):
                ch = self.channel(name[len(prefix) :])
                new_value = float(checked) if attr in ("q10", "celsius_ref") else checked
                return self._replace_channel(replace(ch, **{attr: new_value}))
        raise AssertionError(name)  # pragma: no cover - parameter() knows every name

    def _replace_channel(self, new: Channel) -> CellModel:
        channels = tuple(new if ch.name == new.name else ch for ch in self.channels)
        return replace(self, channels=channels)

    def with_rates(self, **expressions: str) -> CellModel:
        """A copy with gate expressions replaced, by equation name (``beta_m``, ``tau_p``).

        >>> from hh_brian.models.library import get_model
        >>> m = get_model("dayan_abbott").with_rates(beta_m="4/ms*exp(-(v + 65*mV)/(18*mV))")
        >>> m.rates["beta_m"]
        '4/ms*exp(-(v + 65*mV)/(18*mV))'
        """
        model = self
        for rendered, text in expressions.items():
            gate, key = model._find_expression(rendered)
            check_gate_expression(model, gate.name, key, text, f"rate {rendered}")
            ch = model.channel_of_gate(gate.name)
            new_gate = gate.with_expression(key, text.strip())
            gates = tuple(new_gate if g.name == gate.name else g for g in ch.gates)
            model = model._replace_channel(replace(ch, gates=gates))
        return model

    def _find_expression(self, rendered: str) -> tuple[Gate, str]:
        for gate in self.gates:
            for key, name in gate.rendered_names().items():
                if name == rendered:
                    return gate, key
        raise HHBrianInputError(
            f"model {self.name!r} has no rate {rendered!r}.{closest_names(rendered, self.rates)} "
            f"Rates: {', '.join(self.rates)}"
        )

    def with_temperature(self, celsius: float) -> CellModel:
        """A copy at another temperature (degrees Celsius); rates scale by each q10."""
        return self.with_parameters(celsius=celsius)

    def with_area(self, area: Quantity) -> CellModel:
        """A copy with a membrane area, so that absolute currents can be injected."""
        return replace(self, area=validate_parameter("area", area, 1 * umetre**2))

    def derive(self, settings: Mapping[str, object]) -> CellModel:
        """Apply ``NAME=value`` settings: parameters take quantities, rates take strings."""
        rates = {k: v for k, v in settings.items() if k in self.rates}
        params = {k: v for k, v in settings.items() if k not in self.rates}
        derived = self.with_parameters(**params) if params else self
        return derived.with_rates(**{k: str(v) for k, v in rates.items()}) if rates else derived

    def renamed(self, name: str) -> CellModel:
        return replace(self, name=name)


# ---------------------------------------------------------------------------
# Validation and display helpers
# ---------------------------------------------------------------------------

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
    positive = name in ("C_m", "area") or name.startswith("q10")
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
    from hh_brian.core.symbolic import check_singularities, parse_expression

    parsed = parse_expression(text, allowed_names={*constants, "v"}, what=what, example=example)
    ends = sorted(float(convention.from_modern(x * mV) / mV) for x in (-150.0, 100.0))
    check_singularities(parsed, constants, v_range=(ends[0] * mV, ends[1] * mV))


def check_model(model: CellModel) -> CellModel:
    """Validate a whole model: names, units and every gate expression; return it."""
    from hh_brian.models.channels import check_identifier

    seen: dict[str, str] = {}

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
        for flat in (f"g_{ch.name}", f"E_{ch.name}", f"I_{ch.name}", f"phi_{ch.name}"):
            claim(flat, f"channel {ch.name!r}")
        g_ref = siemens if model.area is not None and _is_absolute(ch.g) else siemens / umetre**2
        validate_parameter(f"g_{ch.name}", ch.g, g_ref)
        validate_parameter(f"E_{ch.name}", ch.E, mV)
        if (ch.q10 is None) != (ch.celsius_ref is None):
            raise HHBrianInputError(
                f"channel {ch.name}: give both q10 and celsius_ref, or neither; e.g. "
                "q10 = 3, celsius_ref = 6.3"
            )
        for gate in ch.gates:
            check_identifier(gate.name, f"channel {ch.name} gate {gate.name}")
            claim(gate.name, f"channel {ch.name!r} (gate)")
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
                check_gate_expression(
                    model, gate.name, key, gate.expressions[key], f"gate {gate.name}.{key}"
                )
    if model.area is None and any(_is_absolute(ch.g) for ch in model.channels):
        bad = next(ch.name for ch in model.channels if _is_absolute(ch.g))
        raise HHBrianInputError(
            f"channel {bad}: g is an absolute conductance but the model has no area; give a "
            "density such as '36*mS/cm**2', or give the membrane an area = '20000*um**2'"
        )
    validate_parameter("C_m", model.C_m, siemens * second / umetre**2)
    validate_parameter("V_spike", model.V_spike, mV)
    return model


def _is_absolute(g: Quantity) -> bool:
    return get_dimensions(g) is get_dimensions(siemens)


__all__ = [
    "CellModel",
    "INF_TAU",
    "INSTANTANEOUS",
    "RATES",
    "check_gate_expression",
    "check_model",
    "display_unit",
    "display_value",
    "validate_parameter",
]
