"""Render a preset into Brian2 equation text and a namespace.  Pure: no simulation.

The rendered model is what a careful person would write by hand::

    dv/dt = (-(I_Na + I_K + I_L) + I_inj)/C_m : volt
    I_Na = g_Na*m**3*h*(v - E_Na) : amp/meter**2
    ...
    dn/dt = phi*(alpha_n*(1 - n) - beta_n*n) : 1
    alpha_n = 0.1/ms / exprel(-(v + 55*mV)/(10*mV)) : Hz

* ionic currents are outward-positive densities, so the membrane equation is
  always per area; a preset with an ``area`` takes absolute currents and
  divides them by it;
* the injected current ``I_inj`` is physical (positive depolarises); in the
  1952 convention it enters with the convention's sign, ``-I_inj``;
* every rate is multiplied by ``phi = q10**((celsius - celsius_ref)/10)``;
* each equation is linear in its own variable, as Brian2's
  ``exponential_euler`` requires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from brian2 import Quantity, amp, meter, mV

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.kinetics import resting_state
from hh_brian.models.presets import (
    CORE_PARAMETERS,
    GATES,
    OPTIONAL_PARAMETERS,
    RATE_NAMES,
    Preset,
    differences_from_builtin,
)

#: How a stimulus enters the equations.
STIMULUS_PARAMETER = "parameter"  # I_inj is a per-neuron constant (set before a run)
STIMULUS_TIMED = "timed"  # I_inj = I_stim(t): a TimedArray named I_stim
STIMULUS_TIMED_2D = "timed_2d"  # I_inj = I_stim(t, i): one column per neuron
STIMULUS_KINDS = (STIMULUS_PARAMETER, STIMULUS_TIMED, STIMULUS_TIMED_2D)

#: Parameters that the equations do not use directly (phi stands for them).
_NOT_IN_NAMESPACE = frozenset({"celsius", "celsius_ref", "q10"})


@dataclass(frozen=True)
class RenderedModel:
    """Brian2 equation text with everything needed to build a NeuronGroup.

    Attributes
    ----------
    preset : Preset
    equations : str
        Brian2 equations (no comments), one per line.
    namespace : Mapping[str, object]
        Values of every constant the equations, threshold and refractory use.
    threshold, refractory : str
        Spike condition; the same condition as refractoriness makes a neuron
        spike once per crossing, in either voltage convention.
    current_unit : str
        Units of ``I_inj`` (and of any extra current): ``amp/meter**2`` or ``amp``.
    """

    preset: Preset
    equations: str
    namespace: Mapping[str, object]
    threshold: str
    refractory: str
    current_unit: str

    @property
    def initial_state(self) -> dict[str, Quantity]:
        """The preset's computed steady state at rest."""
        return resting_state(self.preset)

    def file_text(self) -> str:
        """The equations with a commented header, as committed under ``equations/``."""
        return header(self) + self.equations + "\n"


def current_unit(preset: Preset) -> str:
    """``'amp'`` for presets with an area, else ``'amp/meter**2'``."""
    return "amp" if preset.has_area else "amp/meter**2"


def current_quantity_unit(preset: Preset) -> Quantity:
    """The Brian2 unit object matching :func:`current_unit`."""
    return amp if preset.has_area else amp / meter**2


def membrane_equation(preset: Preset, extra_currents: Sequence[str] = ()) -> str:
    """``dv/dt = ...`` with the injected (and extra) currents entering physically."""
    sign = "+" if preset.convention.sign > 0 else "-"
    inputs = " + ".join(("I_inj", *extra_currents))
    if extra_currents:
        inputs = f"({inputs})"
    if preset.has_area:
        inputs = f"{inputs}/area"
    return f"dv/dt = (-(I_Na + I_K + I_L) {sign} {inputs})/C_m : volt"


def render(
    preset: Preset,
    *,
    stimulus: str = STIMULUS_PARAMETER,
    extra_currents: Sequence[str] = (),
    rate_functions: Mapping[str, object] | None = None,
) -> RenderedModel:
    """Render *preset* into Brian2 equations and a namespace.

    Parameters
    ----------
    preset : Preset
    stimulus : {'parameter', 'timed', 'timed_2d'}
        How ``I_inj`` is defined: a per-neuron parameter, ``I_stim(t)`` or
        ``I_stim(t, i)`` with ``I_stim`` a TimedArray the caller adds to the
        namespace.
    extra_currents : sequence of str
        Names of further physical input currents (e.g. synaptic ``I_syn``),
        defined by the caller with :func:`current_unit` units.
    rate_functions : mapping, optional
        Extra names for the namespace (e.g. faster implementations of
        ``exprel``); the equation text is unchanged.

    Returns
    -------
    RenderedModel
    """
    if stimulus not in STIMULUS_KINDS:
        raise HHBrianInputError(f"unknown stimulus kind {stimulus!r}; use one of {STIMULUS_KINDS}")
    unit = current_unit(preset)
    lines = [
        membrane_equation(preset, extra_currents),
        "I_Na = g_Na*m**3*h*(v - E_Na) : amp/meter**2",
        "I_K = g_K*n**4*(v - E_K) : amp/meter**2",
        "I_L = g_L*(v - E_L) : amp/meter**2",
    ]
    lines += [f"d{g}/dt = phi*(alpha_{g}*(1 - {g}) - beta_{g}*{g}) : 1" for g in GATES]
    lines += [f"{name} = {preset.rates[name]} : Hz" for name in RATE_NAMES]
    if stimulus == STIMULUS_PARAMETER:
        lines.append(f"I_inj : {unit}")
    elif stimulus == STIMULUS_TIMED:
        lines.append(f"I_inj = I_stim(t) : {unit}")
    else:
        lines.append(f"I_inj = I_stim(t, i) : {unit}")
    equations = "\n".join(lines)

    namespace: dict[str, object] = {
        name: value for name, value in preset.parameters.items() if name not in _NOT_IN_NAMESPACE
    }
    namespace["phi"] = preset.phi
    if rate_functions:
        namespace.update(rate_functions)
    condition = f"v {preset.convention.depolarised_comparison} V_spike"
    return RenderedModel(
        preset=preset,
        equations=equations,
        namespace=namespace,
        threshold=condition,
        refractory=condition,
        current_unit=unit,
    )


def header(model: RenderedModel) -> str:
    """Commented header: preset, citation, convention, parameters, initial state."""
    p = model.preset
    changes = differences_from_builtin(p)
    out = [f"# hh-brian preset: {p.name}"]
    if changes:
        out.append(f"# DERIVED from the built-in preset, with: {'; '.join(changes)}")
    out += [
        f"# {p.title}",
        f"# Source: {p.citation}",
        f"# Convention: {p.convention.name}: {p.convention.description}",
    ]
    if not changes:
        out.append("# Regenerate: hh-brian render --all --write equations/")
    out += ["#", "# Namespace (parameters):"]
    meanings = {**CORE_PARAMETERS, **OPTIONAL_PARAMETERS}
    for name in p.parameters:
        out.append(f"#   {name} = {p.display(name)}  ({meanings.get(name, '')})")
    out.append(f"#   phi = {p.phi:.12g}  (q10**((celsius - celsius_ref)/10))")
    out.append(f"# Threshold: {model.threshold}   Refractory while: {model.refractory}")
    state = model.initial_state
    shown = ", ".join(
        [f"v = {float(state['v'] / mV):.9g}*mV"] + [f"{g} = {float(state[g]):.9g}" for g in GATES]
    )
    out.append(f"# Initial state (computed steady state at rest): {shown}")
    for note in p.notes:
        out.append(f"# Note: {note}")
    out.append("#")
    return "\n".join(out) + "\n"
