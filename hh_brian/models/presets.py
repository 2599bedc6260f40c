"""Parameter presets: immutable Hodgkin-Huxley models with units and citations.

A :class:`Preset` holds every parameter as a Brian2 quantity, the six gating
rates as Brian2 expressions in ``v`` (written with ``exprel`` wherever the
textbook form has a removable 0/0), its voltage convention, a nominal resting
potential, a citation and notes on where it departs from the source.

Presets are values: deriving a variant (:meth:`Preset.with_parameters`,
:meth:`Preset.with_rates`, :meth:`Preset.with_temperature`) returns a new
preset and checks units on the way.

All gating rates are multiplied by the temperature factor
``phi = q10 ** ((celsius - celsius_ref) / 10)`` (Hodgkin & Huxley 1952,
eq. 28 and NEURON's ``hh.mod``); ``phi = 1`` at every preset's default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from brian2 import Hz, Quantity, farad, get_dimensions, ms, msiemens, mV, siemens, uF, umetre
from brian2.units import cm, mm
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from hh_brian.core.conventions import HH1952, MODERN, VoltageConvention
from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import check_dimensions, evaluate

GATES = ("n", "m", "h")
RATE_NAMES = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("alpha", "beta"))

#: Parameters every preset has, with a one-line meaning each.
CORE_PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "g_Na": "maximal Na+ conductance density",
        "g_K": "maximal delayed-rectifier K+ conductance density",
        "g_L": "leak conductance density",
        "E_Na": "Na+ reversal potential (in the preset's convention)",
        "E_K": "K+ reversal potential (in the preset's convention)",
        "E_L": "leak reversal potential (in the preset's convention)",
        "C_m": "specific membrane capacitance",
        "V_spike": "spike-detection threshold (in the preset's convention)",
        "celsius": "temperature in degrees Celsius (dimensionless number)",
        "celsius_ref": "temperature at which the rates were measured (degrees Celsius)",
        "q10": "rate factor per 10 degC; phi = q10**((celsius - celsius_ref)/10)",
    }
)

#: Optional parameters some presets carry.
OPTIONAL_PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "area": "membrane area; currents may then be absolute (amp)",
        "V_T": "Traub-Miles threshold offset: rates are written in v - V_T",
        "A_alpha_n": "thermodynamic n-gate: alpha_n = A_alpha_n*exp(-B_alpha_n*v)",
        "B_alpha_n": "thermodynamic n-gate exponent of alpha_n",
        "A_beta_n": "thermodynamic n-gate: beta_n = A_beta_n*exp(-B_beta_n*v)",
        "B_beta_n": "thermodynamic n-gate exponent of beta_n",
    }
)

#: Parameters that must be strictly positive.
POSITIVE_PARAMETERS = frozenset({"g_Na", "g_K", "g_L", "C_m", "area", "q10"})

_EXAMPLES = {
    "g_Na": "'120*mS/cm**2'",
    "g_K": "'36*mS/cm**2'",
    "g_L": "'0.3*mS/cm**2'",
    "E_Na": "'50*mV'",
    "E_K": "'-77*mV'",
    "E_L": "'-54.387*mV'",
    "C_m": "'1*uF/cm**2'",
    "V_spike": "'-20*mV'",
    "celsius": "'16.3'",
    "celsius_ref": "'6.3'",
    "q10": "'3'",
    "area": "'20000*um**2'",
    "V_T": "'-63*mV'",
    "A_alpha_n": "'0.82/ms'",
    "B_alpha_n": "'-0.04/mV'",
    "A_beta_n": "'0.056/ms'",
    "B_beta_n": "'0.0125/mV'",
}


def parameter_example(name: str) -> str:
    """A correctly written value for parameter *name*, for error messages."""
    return _EXAMPLES.get(name, "'1*mV'")


@dataclass(frozen=True)
class Citation:
    """A bibliographic reference carried as data."""

    authors: str
    year: int
    title: str
    source: str
    doi: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        text = f"{self.authors} ({self.year}). {self.title}. {self.source}."
        if self.doi:
            text += f" doi:{self.doi}"
        elif self.url:
            text += f" {self.url}"
        return text


def _frozen_mapping(values: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, eq=False)
class Preset:
    """An immutable Hodgkin-Huxley model: parameters, kinetics, convention, source.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"dayan_abbott"``.
    title : str
        One-line description.
    convention : VoltageConvention
        How ``v`` relates to the modern membrane potential.
    parameters : Mapping[str, Quantity]
        Every parameter with its units (see :data:`CORE_PARAMETERS`).
    rates : Mapping[str, str]
        ``alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h`` as Brian2
        expressions in ``v`` and the parameters, with units of Hz, valid at
        ``celsius_ref``.
    v_rest_guess : Quantity
        Nominal resting potential in the preset's convention; the true rest is
        computed from the model (:func:`hh_brian.models.kinetics.resting_state`).
    citation : Citation
    kinetics : str or None
        Name of the built-in rate set (used by the independent NumPy reference);
        ``None`` once a rate has been replaced by a user expression.
    length_unit : str
        ``"cm"`` or ``"mm"``: the unit densities are shown in.
    base_kinetics : str or None
        The built-in rate set this preset started from (kept after ``with_rates``).
    notes : tuple of str
        Where the preset departs from its source, and why.
    """

    name: str
    title: str
    convention: VoltageConvention
    parameters: Mapping[str, Quantity]
    rates: Mapping[str, str]
    v_rest_guess: Quantity
    citation: Citation
    kinetics: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    length_unit: str = "cm"
    base_kinetics: str | None = None

    def __post_init__(self) -> None:
        if self.base_kinetics is None:
            object.__setattr__(self, "base_kinetics", self.kinetics)
        object.__setattr__(self, "parameters", _frozen_mapping(self.parameters))
        object.__setattr__(self, "rates", _frozen_mapping(self.rates))
        missing = set(CORE_PARAMETERS) - set(self.parameters)
        if missing:
            raise HHBrianInputError(f"preset {self.name!r} lacks parameters {sorted(missing)}")
        if set(self.rates) != set(RATE_NAMES):
            raise HHBrianInputError(f"preset {self.name!r} must define exactly {RATE_NAMES}")

    # -- access ---------------------------------------------------------------
    def parameter(self, name: str) -> Quantity:
        """One parameter by name; unknown names get a suggestion."""
        try:
            return self.parameters[name]
        except KeyError:
            raise HHBrianInputError(
                f"preset {self.name!r} has no parameter {name!r}."
                f"{closest_names(name, self.parameters)} Known: {', '.join(self.parameters)}"
            ) from None

    @property
    def has_area(self) -> bool:
        """True if the preset carries a membrane area (absolute currents allowed)."""
        return "area" in self.parameters

    def display(self, name: str) -> str:
        """A parameter as Brian2 text in the preset's customary units, e.g. ``1.2*mS/mm**2``."""
        value = self.parameter(name)
        unit_text = display_unit(value, self.length_unit)
        if not unit_text:
            return f"{float(value):.12g}"
        magnitude = float(value / evaluate(unit_text))
        if unit_text.startswith("1/"):
            return f"{magnitude:.12g}/{unit_text[2:]}"
        return f"{magnitude:.12g}*{unit_text}"

    @property
    def phi(self) -> float:
        """Temperature factor multiplying every rate (dimensionless)."""
        p = self.parameters
        return float(p["q10"]) ** ((float(p["celsius"]) - float(p["celsius_ref"])) / 10.0)

    # -- variants -------------------------------------------------------------
    def with_parameters(self, **overrides: Quantity) -> Preset:
        """A copy with some parameters replaced, each checked for units and range.

        >>> from brian2 import mV
        >>> get_preset("dayan_abbott").with_parameters(E_L=-60 * mV).parameter("E_L")
        -60. * mvolt
        """
        overrides = dict(overrides)
        if "area" in overrides and not self.has_area:
            return self.with_area(overrides.pop("area")).with_parameters(**overrides)
        new = dict(self.parameters)
        for name, value in overrides.items():
            if name not in self.parameters:
                raise HHBrianInputError(
                    f"preset {self.name!r} has no parameter {name!r}."
                    f"{closest_names(name, list(self.parameters) + list(RATE_NAMES))} "
                    f"Known: {', '.join(self.parameters)}"
                )
            new[name] = validate_parameter(name, value, self.parameters[name])
        return replace(self, parameters=new)

    def with_rates(self, **expressions: str) -> Preset:
        """A copy with some gating rates replaced by Brian2 expressions in ``v``.

        The expression must evaluate to a rate (Hz) for membrane potentials in
        the preset's convention; it may use the preset's parameters.

        >>> p = get_preset("dayan_abbott").with_rates(beta_m="4/ms*exp(-(v + 65*mV)/(18*mV))")
        >>> p.kinetics is None
        True
        """
        new = dict(self.rates)
        for name, text in expressions.items():
            if name not in RATE_NAMES:
                raise HHBrianInputError(
                    f"unknown rate {name!r}.{closest_names(name, RATE_NAMES)} "
                    f"Rates are {', '.join(RATE_NAMES)}"
                )
            validate_rate_expression(name, text, self.parameters, self.convention)
            new[name] = text.strip()
        return replace(self, rates=new, kinetics=None)

    def with_temperature(self, celsius: float) -> Preset:
        """A copy at another temperature (degrees Celsius); rates scale by q10."""
        return self.with_parameters(celsius=celsius)

    def with_area(self, area: Quantity) -> Preset:
        """A copy with a membrane area, so that absolute currents can be injected."""
        value = validate_parameter("area", area, 1 * umetre**2)
        return replace(self, parameters={**self.parameters, "area": value})

    def derive(self, settings: Mapping[str, object]) -> Preset:
        """Apply ``NAME=value`` settings: parameters take quantities, rates take strings."""
        rates = {k: v for k, v in settings.items() if k in RATE_NAMES}
        params = {k: v for k, v in settings.items() if k not in RATE_NAMES}
        derived = self.with_parameters(**params) if params else self
        return derived.with_rates(**{k: str(v) for k, v in rates.items()}) if rates else derived


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
)


def display_unit(value: Quantity, length_unit: str = "cm") -> str:
    """The customary unit text for *value*'s dimensions ('' if dimensionless)."""
    dim = get_dimensions(value)
    if dim is DIMENSIONLESS:
        return ""
    for si_text, shown in _DISPLAY_UNITS:
        if get_dimensions(evaluate(si_text)) is dim:
            return shown.format(L=length_unit)
    return repr(get_unit(dim))


def display_value(value: object, length_unit: str = "cm") -> str:
    """A value in customary units for messages, e.g. ``-1*mS/cm**2`` (not SI base units)."""
    unit_text = display_unit(value, length_unit)
    if not unit_text:
        return f"{float(np.asarray(value)):.6g}"
    return f"{float(value / evaluate(unit_text)):.6g}*{unit_text}"


def validate_parameter(name: str, value: object, reference: Quantity) -> Quantity:
    """Check *value* has the units of *reference*, is finite and in range."""
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
    if name in POSITIVE_PARAMETERS and magnitude <= 0:
        raise HHBrianInputError(f"{what}: must be positive, got {shown}; e.g. {example}")
    if name in ("celsius", "celsius_ref") and magnitude <= -273.15:
        raise HHBrianInputError(
            f"{what}: {shown} degC is below absolute zero; give degrees Celsius, e.g. {example}"
        )
    quantity = Quantity(value, copy=True)
    quantity.flags.writeable = False
    return quantity


def validate_rate_expression(
    name: str,
    text: str,
    parameters: Mapping[str, Quantity],
    convention: VoltageConvention = MODERN,
) -> None:
    """Check a rate expression parses, has units of 1/time, and is a finite, non-negative
    rate from -120 to +60 mV (modern potential, mapped into the preset's convention)."""
    example = "'0.1/ms/exprel(-(v + 55*mV)/(10*mV))'"
    what = f"rate {name}"
    if not isinstance(text, str) or not text.strip():
        raise HHBrianInputError(f"{what}: expected an expression in v such as {example}")
    probe = convention.from_modern(np.linspace(-120.0, 60.0, 181) * mV)
    value = evaluate(text, {**parameters, "v": probe}, what=what, example=example)
    check_dimensions(value, Hz, what=what, example=example)
    rates = np.asarray(value / Hz) * np.ones(probe.shape)
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        v_bad = float(convention.to_modern(probe[np.argmax(bad)]) / mV)
        raise HHBrianInputError(
            f"{what}: {text!r} is negative or not finite at V = {v_bad:g} mV (modern); a "
            f"rate must be >= 0 over -120..60 mV, e.g. {example}"
        )


# ---------------------------------------------------------------------------
# The built-in presets
# ---------------------------------------------------------------------------

_SQUID_TEMPERATURE = {"celsius": 6.3, "celsius_ref": 6.3, "q10": 3.0}
_NO_TEMPERATURE_NOTE = (
    "The source states no temperature dependence; celsius_ref is nominal so that "
    "celsius has a meaning (phi = 1 at the default), and q10 = 3 is borrowed from "
    "Hodgkin & Huxley 1952."
)

_DAYAN_ABBOTT_RATES = {
    "alpha_n": "0.1/ms / exprel(-(v + 55*mV)/(10*mV))",
    "beta_n": "0.125/ms * exp(-0.0125/mV*(v + 65*mV))",
    "alpha_m": "1/ms / exprel(-(v + 40*mV)/(10*mV))",
    "beta_m": "4/ms * exp(-0.0556/mV*(v + 65*mV))",
    "alpha_h": "0.07/ms * exp(-0.05/mV*(v + 65*mV))",
    "beta_h": "1/ms / (1 + exp(-0.1/mV*(v + 35*mV)))",
}

_DAYAN_ABBOTT_CITATION = Citation(
    authors="Dayan P, Abbott LF",
    year=2001,
    title="Theoretical Neuroscience: Computational and Mathematical Modeling of "
    "Neural Systems, section 5.6",
    source="MIT Press, Cambridge MA",
    url="https://mitpress.mit.edu/9780262541855/theoretical-neuroscience/",
)

_DAYAN_ABBOTT_PARAMETERS = {
    "g_Na": 1.2 * msiemens / mm**2,
    "g_K": 0.36 * msiemens / mm**2,
    "g_L": 0.003 * msiemens / mm**2,
    "E_Na": 50 * mV,
    "E_K": -77 * mV,
    "E_L": -54.387 * mV,
    "C_m": 10e-9 * farad / mm**2,
    "V_spike": -20 * mV,
    **_SQUID_TEMPERATURE,
}


def _preset(**kwargs: object) -> Preset:
    params = {
        name: validate_parameter(name, value, value if isinstance(value, Quantity) else 1.0)
        for name, value in kwargs.pop("parameters").items()
    }
    return Preset(parameters=params, **kwargs)


HH1952_PRESET = _preset(
    name="hh1952",
    title="Squid giant axon, Hodgkin & Huxley 1952, original sign convention",
    convention=HH1952,
    parameters={
        "g_Na": 120 * msiemens / cm**2,
        "g_K": 36 * msiemens / cm**2,
        "g_L": 0.3 * msiemens / cm**2,
        "E_Na": -115 * mV,
        "E_K": 12 * mV,
        "E_L": -10.613 * mV,
        "C_m": 1 * uF / cm**2,
        "V_spike": -45 * mV,
        **_SQUID_TEMPERATURE,
    },
    rates={
        "alpha_n": "0.1/ms / exprel((v + 10*mV)/(10*mV))",
        "beta_n": "0.125/ms * exp(v/(80*mV))",
        "alpha_m": "1/ms / exprel((v + 25*mV)/(10*mV))",
        "beta_m": "4/ms * exp(v/(18*mV))",
        "alpha_h": "0.07/ms * exp(v/(20*mV))",
        "beta_h": "1/ms / (exp((v + 30*mV)/(10*mV)) + 1)",
    },
    v_rest_guess=0 * mV,
    citation=Citation(
        authors="Hodgkin AL, Huxley AF",
        year=1952,
        title="A quantitative description of membrane current and its application "
        "to conduction and excitation in nerve",
        source="J Physiol 117(4):500-544",
        doi="10.1113/jphysiol.1952.sp004764",
    ),
    kinetics="hh1952",
    notes=(
        "v is the displacement from rest with depolarisation negative, as in the paper; "
        "V_modern = -65 mV - v.",
        "A depolarising (positive) injected current enters dv/dt with a minus sign.",
        "beta_m = 4 exp(+v/18) as in the paper; the lecture's 1952 table prints 4 e^{-V/18}, "
        "a sign slip (under V_modern = -65 mV - v it must equal 4 exp(-(V+65)/18)).",
        "Spikes are detected when v falls below V_spike = -45 mV (modern -20 mV).",
        "alpha_n and alpha_m are written with exprel: 0.01(v+10)/(exp((v+10)/10)-1) "
        "= 0.1/exprel((v+10)/10), finite at v = -10 mV (and -25 mV for alpha_m).",
    ),
)

DAYAN_ABBOTT = _preset(
    name="dayan_abbott",
    length_unit="mm",
    title="Squid giant axon, modern convention, per mm^2 (Dayan & Abbott 2001)",
    convention=MODERN,
    parameters=_DAYAN_ABBOTT_PARAMETERS,
    rates=_DAYAN_ABBOTT_RATES,
    v_rest_guess=-65 * mV,
    citation=_DAYAN_ABBOTT_CITATION,
    kinetics="dayan_abbott",
    notes=(
        "c_m = 10 nF/mm^2 (= 1 uF/cm^2) is the book's value (chapter 5, exercise 8).",
        "beta_m uses the book's 0.0556/mV where Hodgkin & Huxley have 1/18 = 0.05556/mV; "
        "the trajectories therefore differ slightly from hh1952.",
    ),
)

LECTURE07_DEFAULTS = _preset(
    name="lecture07_class_defaults",
    length_unit="mm",
    title="Lecture 7's HodgkinHuxley class defaults: dayan_abbott with c_m = 0.1 uF/mm^2",
    convention=MODERN,
    parameters={**_DAYAN_ABBOTT_PARAMETERS, "C_m": 0.1 * uF / mm**2},
    rates=_DAYAN_ABBOTT_RATES,
    v_rest_guess=-65 * mV,
    citation=Citation(
        authors="Lecture 7, CNS2025",
        year=2025,
        title="Hodgkin-Huxley model; exponential Euler method; Python classes "
        "(the HodgkinHuxley class defaults)",
        source="course notes, 2025-10-15, after Dayan & Abbott 2001 section 5.6",
    ),
    kinetics="dayan_abbott",
    notes=(
        "c_m = 0.1 uF/mm^2 is TEN TIMES Dayan & Abbott's 10 nF/mm^2; kept only so that the "
        "lecture's example protocol reproduces. Use dayan_abbott for the book's model.",
        "With 10x the capacitance the membrane is 10x slower; the lecture's input "
        "(~0.3 uA/mm^2) is correspondingly larger.",
        "Its responses are graded: in the lecture protocol the peaks spread from -53 to -12 mV "
        "with no gap, so counts of crossings of V_spike = -20 mV depend on the scheme and dt.",
    ),
)

THERMODYNAMIC_N = _preset(
    name="dayan_abbott_thermodynamic_n",
    length_unit="mm",
    title="dayan_abbott with the lecture's thermodynamic (exponential) n-gate rates",
    convention=MODERN,
    parameters={
        **_DAYAN_ABBOTT_PARAMETERS,
        "A_alpha_n": 0.82 / ms,
        "B_alpha_n": -0.04 / mV,
        "A_beta_n": 0.056 / ms,
        "B_beta_n": 0.0125 / mV,
    },
    rates={
        **_DAYAN_ABBOTT_RATES,
        "alpha_n": "A_alpha_n * exp(-B_alpha_n*v)",
        "beta_n": "A_beta_n * exp(-B_beta_n*v)",
    },
    v_rest_guess=-65 * mV,
    citation=Citation(
        authors="Lecture 7, CNS2025",
        year=2025,
        title="Channel kinetics from thermal fluctuation: alpha = A exp(-B V / V_T) fit to "
        "the Hodgkin-Huxley n-gate",
        source="course notes, 2025-10-15; model otherwise Dayan & Abbott 2001 section 5.6",
    ),
    kinetics="dayan_abbott_thermodynamic_n",
    notes=(
        "alpha_n = A_alpha exp(-B_alpha V), beta_n = A_beta exp(-B_beta V) with V the modern "
        "membrane potential; all other rates and parameters are dayan_abbott's "
        "(c_m = 10 nF/mm^2).",
        "Because alpha_n is smaller than HH's near rest, the resting state differs from "
        "dayan_abbott's; it is computed, not copied.",
    ),
)

PYRAMIDAL = _preset(
    name="pyramidal",
    title="Cortical pyramidal neuron, Neuronal Dynamics Table 2.1",
    convention=MODERN,
    parameters={
        "g_Na": 40 * msiemens / cm**2,
        "g_K": 35 * msiemens / cm**2,
        "g_L": 0.3 * msiemens / cm**2,
        "E_Na": 55 * mV,
        "E_K": -77 * mV,
        "E_L": -65 * mV,
        "C_m": 1 * uF / cm**2,
        "V_spike": -20 * mV,
        "celsius": 36.0,
        "celsius_ref": 36.0,
        "q10": 3.0,
    },
    rates={
        "alpha_n": "0.18/ms / exprel(-(v - 25*mV)/(9*mV))",
        "beta_n": "0.018/ms / exprel((v - 25*mV)/(9*mV))",
        "alpha_m": "1.638/ms / exprel(-(v + 35*mV)/(9*mV))",
        "beta_m": "1.116/ms / exprel((v + 35*mV)/(9*mV))",
        "alpha_h": "0.25/ms * exp(-(v + 90*mV)/(12*mV))",
        "beta_h": "0.25/ms * exp((v + 62*mV)/(6*mV) - (v + 90*mV)/(12*mV))",
    },
    v_rest_guess=-65 * mV,
    citation=Citation(
        authors="Gerstner W, Kistler WM, Naud R, Paninski L",
        year=2014,
        title="Neuronal Dynamics: From Single Neurons to Networks and Models of Cognition, "
        "Table 2.1",
        source="Cambridge University Press",
        doi="10.1017/CBO9781107447615",
        url="https://neuronaldynamics.epfl.ch/online/Ch2.S2.html",
    ),
    kinetics="pyramidal",
    notes=(
        "Linoid rates rewritten with exprel: e.g. 0.02(V-25)/(1-exp(-(V-25)/9)) = "
        "0.18/exprel(-(V-25)/9), finite at +25 mV (n) and -35 mV (m).",
        "With these rates n_inf is half-activated near 0 mV, so the cell fires only in a "
        "narrow band (repetitively at ~2-2.5 uA/cm^2 from rest) and enters depolarisation "
        "block above ~3 uA/cm^2; that is the source's model, kept as published.",
        "beta_h is kept as the table's quotient of exponentials, "
        "0.25 exp((V+62)/6)/exp((V+90)/12) = 0.25 exp((V+34)/12).",
        _NO_TEMPERATURE_NOTE,
    ),
)

TRAUB_MILES = _preset(
    name="traub_miles",
    title="Traub-Miles HH neuron of the COBAHH benchmark (Brette et al. 2007)",
    convention=MODERN,
    parameters={
        "g_Na": 100 * msiemens / cm**2,
        "g_K": 30 * msiemens / cm**2,
        "g_L": 5e-5 * siemens / cm**2,
        "E_Na": 50 * mV,
        "E_K": -90 * mV,
        "E_L": -60 * mV,
        "C_m": 1 * uF / cm**2,
        "V_spike": -20 * mV,
        "celsius": 36.0,
        "celsius_ref": 36.0,
        "q10": 3.0,
        "area": 20000 * umetre**2,
        "V_T": -63 * mV,
    },
    rates={
        "alpha_m": "1.28/ms / exprel((13*mV - v + V_T)/(4*mV))",
        "beta_m": "1.4/ms / exprel((v - V_T - 40*mV)/(5*mV))",
        "alpha_h": "0.128/ms * exp((17*mV - v + V_T)/(18*mV))",
        "beta_h": "4/ms / (1 + exp((40*mV - v + V_T)/(5*mV)))",
        "alpha_n": "0.16/ms / exprel((15*mV - v + V_T)/(5*mV))",
        "beta_n": "0.5/ms * exp((10*mV - v + V_T)/(40*mV))",
    },
    v_rest_guess=-60 * mV,
    citation=Citation(
        authors="Brette R, Rudolph M, Carnevale T, et al.",
        year=2007,
        title="Simulation of networks of spiking neurons: a review of tools and strategies "
        "(benchmark 3, COBAHH; model after Traub & Miles 1991)",
        source="J Comput Neurosci 23:349-398",
        doi="10.1007/s10827-007-0038-6",
    ),
    kinetics="traub_miles",
    notes=(
        "Densities with an area of 20000 um^2, as in Brian2's examples/COBAHH.py; the "
        "membrane equation is written per area and absolute currents are divided by area.",
        "Rates are written in v - V_T with V_T = -63 mV, linoids with exprel: "
        "0.32(13-V')/(exp((13-V')/4)-1) = 1.28/exprel((13-V')/4).",
        "An isolated cell has no equilibrium near E_L = -60 mV (the window Na+ current is "
        "inward there); simulations start at v = E_L with the gates at steady state.",
        _NO_TEMPERATURE_NOTE,
    ),
)

NEURON_HH = _preset(
    name="neuron_hh",
    title="NEURON's built-in hh mechanism (src/nrnoc/hh.mod)",
    convention=MODERN,
    parameters={
        "g_Na": 0.12 * siemens / cm**2,
        "g_K": 0.036 * siemens / cm**2,
        "g_L": 0.0003 * siemens / cm**2,
        "E_Na": 50 * mV,
        "E_K": -77 * mV,
        "E_L": -54.3 * mV,
        "C_m": 1 * uF / cm**2,
        "V_spike": -20 * mV,
        **_SQUID_TEMPERATURE,
    },
    rates={
        "alpha_n": "0.1/ms / exprel(-(v + 55*mV)/(10*mV))",
        "beta_n": "0.125/ms * exp(-(v + 65*mV)/(80*mV))",
        "alpha_m": "1/ms / exprel(-(v + 40*mV)/(10*mV))",
        "beta_m": "4/ms * exp(-(v + 65*mV)/(18*mV))",
        "alpha_h": "0.07/ms * exp(-(v + 65*mV)/(20*mV))",
        "beta_h": "1/ms / (exp(-(v + 35*mV)/(10*mV)) + 1)",
    },
    v_rest_guess=-65 * mV,
    citation=Citation(
        authors="Hines ML, Carnevale NT",
        year=1997,
        title="The NEURON simulation environment (built-in mechanism hh, src/nrnoc/hh.mod)",
        source="Neural Comput 9(6):1179-1209",
        doi="10.1162/neco.1997.9.6.1179",
    ),
    kinetics="neuron_hh",
    notes=(
        "E_L = -54.3 mV (NEURON's default), not -54.387 mV; beta_m with 1/18 as in 1952.",
        "Rates scale by q10 = 3**((celsius - 6.3)/10); NEURON's default celsius is 6.3 degC.",
        "NEURON's vtrap(x, y) = x/(exp(x/y) - 1) is written with exprel; NEURON's rate "
        "tables (1 mV resolution) are not reproduced: compare with h.usetable_hh = 0.",
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        p.name: p
        for p in (
            HH1952_PRESET,
            DAYAN_ABBOTT,
            LECTURE07_DEFAULTS,
            THERMODYNAMIC_N,
            PYRAMIDAL,
            TRAUB_MILES,
            NEURON_HH,
        )
    }
)


def get_preset(name: str) -> Preset:
    """Look up a built-in preset by name.

    >>> get_preset("hh1952").convention.name
    'hh1952'
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise HHBrianInputError(
            f"unknown preset {name!r}.{closest_names(name, PRESETS)} "
            f"Available: {', '.join(PRESETS)} (see `hh-brian presets`)"
        ) from None


__all__ = [
    "Citation",
    "GATES",
    "PRESETS",
    "Preset",
    "RATE_NAMES",
    "get_preset",
    "validate_parameter",
]


def differences_from_builtin(preset: Preset) -> list[str]:
    """``NAME=value`` for each parameter or rate that differs from the built-in preset
    of the same name (empty for an unmodified built-in preset)."""
    base = PRESETS.get(preset.name)
    if base is None:
        return [f"(not a built-in preset: {preset.name})"]
    changes = [
        f"{name}={preset.display(name)}"
        for name in preset.parameters
        if name not in base.parameters or preset.parameters[name] != base.parameters[name]
    ]
    changes += [
        f"{name}={preset.rates[name]}"
        for name in RATE_NAMES
        if preset.rates[name] != base.rates[name]
    ]
    return changes


def custom_rate_names(preset: Preset) -> tuple[str, ...]:
    """Rates of *preset* that differ from its built-in base kinetics' text."""
    base = next((p for p in PRESETS.values() if p.kinetics == preset.base_kinetics), None)
    if base is None:
        return RATE_NAMES
    return tuple(name for name in RATE_NAMES if preset.rates[name] != base.rates[name])
