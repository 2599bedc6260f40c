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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from brian2 import Quantity, get_dimensions, mV, umetre

from hh_brian.core.conventions import VoltageConvention
from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES, Channel, Gate
from hh_brian.models.citation import Citation
from hh_brian.models.nernst import with_nernst_potentials
from hh_brian.models.validation import (
    check_gate_expression,
    check_model,
    check_temperature_factors,
    display_unit,
    display_value,
    validate_parameter,
)

#: Meanings of the membrane parameters, for listings and file headers.
MEMBRANE_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "C_m": "specific membrane capacitance",
        "area": "membrane area; currents may then be absolute (amp)",
        "celsius": "temperature in degrees Celsius (dimensionless number)",
        "V_spike": "spike-detection threshold (in the model's convention)",
    }
)


def _exact(value: object) -> str:
    """A value as exact text: the float's hex digits and its dimensions."""
    return f"{float(np.asarray(value)).hex()}[{get_dimensions(value)}]"


def _frozen(values: Mapping) -> Mapping:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, eq=False, repr=False)
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
        # A Nernst reversal potential always follows the model's temperature.
        channels = with_nernst_potentials(tuple(self.channels), self.celsius, self.convention)
        object.__setattr__(self, "channels", channels)
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
                spec = next((c.nernst for c in self.channels if c.name == ch), None)
                if prefix == "E_" and spec is not None:
                    desc = (f"{desc}; " if desc else "") + (
                        f"Nernst potential of {spec.ion} at celsius, c_in = "
                        f"{display_value(spec.c_in)}, c_out = {display_value(spec.c_out)}"
                    )
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
        parts = [self.convention.name, _exact(self.v_rest_guess)]
        # Every parameter (any of them may appear in an expression), at full precision.
        parts += [f"{name}={_exact(value)}" for name, value in sorted(self.parameters.items())]
        for ch in self.channels:
            parts.append(ch.name)
            for g in ch.gates:
                parts.append(f"{g.name}^{g.exponent}:{g.form}:{sorted(g.expressions.items())}")
        return "|".join(parts)

    # -- display ----------------------------------------------------------------
    def __repr__(self) -> str:
        channels = ", ".join(ch.name for ch in self.channels)
        return f"CellModel({self.name!r}: {self.title}; channels {channels})"

    def _repr_html_(self) -> str:
        """Parameters with units and meanings, channels and gates, citation, equations."""
        from hh_brian.exchange.html import model_html

        return model_html(self)

    def _repr_latex_(self) -> str:
        """The equations as display math (:func:`hh_brian.exchange.latex.equations_math`)."""
        from hh_brian.exchange.latex import equations_math

        return equations_math(self)

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
        model = self._with_one_unchecked(name, value)
        check_temperature_factors(model)
        return model

    def _with_one_unchecked(self, name: str, value: object) -> CellModel:
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
                # A value given for E replaces a Nernst computation.
                extra = {"nernst": None} if attr == "E" else {}
                return self._replace_channel(replace(ch, **{attr: new_value}, **extra))
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
