"""Channels and gates: the building blocks of every hh-brian cell model.

A *channel* carries a maximal conductance (a density, or an absolute value in a
model with a membrane area), a reversal potential, an optional temperature
coefficient and any number of *gates*.  Its current, outward positive, is

    I_X = g_X * prod(x**p_x for each gate x) * (v - E_X)

A gate has an integer exponent ``p_x`` and kinetics in one of three forms
(the vocabulary of NeuroML2's ``gateHHrates``, ``gateHHtauInf`` and
instantaneous gates):

``rates``
    ``dx/dt = phi * (alpha_x * (1 - x) - beta_x * x)``
``inf_tau``
    ``dx/dt = phi * (x_inf - x) / tau_x``
``instantaneous``
    ``x = x_inf(v)`` (no state; e.g. the Na+ m-gate of Wang & Buzsaki 1996,
    doi:10.1523/JNEUROSCI.16-20-06402.1996)

``phi = q10 ** ((celsius - celsius_ref) / 10)`` for a channel with a q10
(Hodgkin & Huxley 1952, doi:10.1113/jphysiol.1952.sp004764), else 1.  The
leak is a channel without gates.

Every expression is Brian2 text in ``v`` (the membrane potential in the
model's voltage convention) and the model's named constants.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from brian2 import Quantity

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.nernst import NernstReversal

#: Kinetic forms of a gate.
RATES, INF_TAU, INSTANTANEOUS = "rates", "inf_tau", "instantaneous"
GATE_FORMS = (RATES, INF_TAU, INSTANTANEOUS)

#: Identifiers Brian2 reserves or hh-brian's equations use for other things.
RESERVED_NAMES = frozenset(
    {"v", "t", "dt", "i", "N", "xi", "e", "pi", "inf", "nan", "True", "False", "lastspike"}
    | {"not_refractory", "I_inj", "I_stim", "I_syn", "C_m", "area", "V_spike", "celsius"}
)

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_identifier(name: str, what: str) -> str:
    """Return *name* if it can name a variable in Brian2 equations, else raise.

    >>> check_identifier("m", "gate")
    'm'
    """
    from brian2.core.functions import DEFAULT_FUNCTIONS

    from hh_brian.core.bounded import UNIT_NAMESPACE

    if not isinstance(name, str) or not _IDENTIFIER.match(name) or keyword.iskeyword(name):
        raise HHBrianInputError(
            f"{what}: {name!r} is not a valid name; use letters, digits and '_', starting with "
            "a letter, e.g. 'm' or 'Na'"
        )
    if (
        name in RESERVED_NAMES
        or name in UNIT_NAMESPACE
        or name in DEFAULT_FUNCTIONS
        or name.startswith(("_", "xi_"))
    ):
        raise HHBrianInputError(
            f"{what}: {name!r} is reserved (a unit, a function, or a name Brian2 or hh-brian "
            "uses); "
            "choose another, e.g. 'm_fast'"
        )
    return name


@dataclass(frozen=True)
class Gate:
    """One gating variable of a channel.

    Attributes
    ----------
    name : str
        The state variable's name, unique within a model (``m``, ``h``, ``n``, ``p``...).
    exponent : int
        Power with which the gate enters the conductance (positive integer).
    form : {'rates', 'inf_tau', 'instantaneous'}
    expressions : Mapping[str, str]
        ``{'alpha', 'beta'}`` (units of 1/time), ``{'inf', 'tau'}`` (dimensionless,
        time) or ``{'inf'}``; Brian2 text in ``v`` and the model's constants.
    """

    name: str
    exponent: int
    form: str
    expressions: Mapping[str, str]

    @property
    def is_state(self) -> bool:
        """True if the gate is a state variable (not instantaneous)."""
        return self.form != INSTANTANEOUS

    def rendered_names(self) -> dict[str, str]:
        """Equation names of the expressions: ``alpha_m``, ``beta_m``, ``m_inf``, ``tau_m``."""
        names = {"alpha": f"alpha_{self.name}", "beta": f"beta_{self.name}"}
        names.update({"inf": f"{self.name}_inf", "tau": f"tau_{self.name}"})
        return {key: names[key] for key in self.expressions}

    def with_expression(self, key: str, text: str) -> Gate:
        """A copy with one expression replaced."""
        return replace(self, expressions={**self.expressions, key: text})


#: Keys each form requires (in display order).
FORM_KEYS = {RATES: ("alpha", "beta"), INF_TAU: ("inf", "tau"), INSTANTANEOUS: ("inf",)}


@dataclass(frozen=True)
class Channel:
    """An ionic channel: maximal conductance, reversal potential, q10 and gates.

    Attributes
    ----------
    name : str
        Channel name; the equations call its current ``I_<name>``, its
        conductance ``g_<name>`` and its reversal potential ``E_<name>``.
    g : Quantity
        Maximal conductance: a density (siemens/metre**2) or, in a model with
        a membrane area, an absolute conductance (siemens).
    E : Quantity
        Reversal potential (volt) in the model's voltage convention.
    gates : tuple of Gate
    q10 : float or None
        Rate factor per 10 degC; ``None`` means no temperature dependence.
    celsius_ref : float or None
        Temperature (degC) at which the rates were measured; required with q10.
    description : str
        One line: what the channel is and where it comes from.
    nernst : NernstReversal or None
        The ion's concentrations when ``E`` is the Nernst potential at the model's
        temperature (:mod:`hh_brian.models.nernst`); ``E`` then holds that value.
    gamma : Quantity or None
        Single-channel (unitary) conductance (siemens), for channel noise: the number
        of channels is ``g * area / gamma`` (:mod:`hh_brian.noise.counts`).
    """

    name: str
    g: Quantity
    E: Quantity
    gates: tuple[Gate, ...] = ()
    q10: float | None = None
    celsius_ref: float | None = None
    description: str = ""
    ion: str | None = field(default=None)
    nernst: NernstReversal | None = None
    gamma: Quantity | None = None

    def phi(self, celsius: float) -> float:
        """Temperature factor ``q10 ** ((celsius - celsius_ref) / 10)`` (1 without a q10)."""
        if self.q10 is None or self.celsius_ref is None:
            return 1.0
        return float(self.q10) ** ((float(celsius) - float(self.celsius_ref)) / 10.0)

    @property
    def has_temperature(self) -> bool:
        return self.q10 is not None

    def gate(self, name: str) -> Gate:
        for gate in self.gates:
            if gate.name == name:
                return gate
        raise KeyError(name)


__all__ = [
    "Channel",
    "FORM_KEYS",
    "GATE_FORMS",
    "Gate",
    "INF_TAU",
    "INSTANTANEOUS",
    "RATES",
    "check_identifier",
]
