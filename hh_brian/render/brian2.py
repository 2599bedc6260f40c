"""Render a cell model into Brian2 equation text and a namespace.  Pure: no simulation.

The rendered model is what a careful person would write by hand::

    dv/dt = (-(I_Na + I_K + I_L) + I_inj)/C_m : volt
    I_Na = g_Na*m**3*h*(v - E_Na) : amp/meter**2
    ...
    dm/dt = phi_Na*(alpha_m*(1 - m) - beta_m*m) : 1
    alpha_m = 1/ms / exprel(-(v + 40*mV)/(10*mV)) : Hz

* ionic currents are outward-positive densities, so the membrane equation is
  always per area; a model with an ``area`` takes absolute currents and
  divides them by it (and so does a channel with an absolute conductance);
* the injected current ``I_inj`` is physical (positive depolarises); in the
  1952 convention it enters with the convention's sign, ``-I_inj``;
* a channel with a q10 multiplies its gates' rates by
  ``phi_<channel> = q10**((celsius - celsius_ref)/10)``;
* ``x_inf``/``tau`` gates read ``dp/dt = phi*(p_inf - p)/tau_p``;
* an instantaneous gate ``x = x_inf(v)`` is a subexpression, except for
  ``exponential_euler``, which needs every equation linear in its own variable:
  there the gate is held at ``x_inf`` of the step's start (``frozen``), updated
  before each step, exactly as the NumPy engine's exponential Euler does.
  ``rush_larsen2`` keeps it a subexpression and evaluates it at each stage (at the
  midpoint in the second), which keeps its order 2
  (:mod:`hh_brian.engines.brian2.rush_larsen`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from brian2 import Quantity, get_dimensions, mV, siemens
from brian2.core.namespace import DEFAULT_UNITS

from hh_brian.core.bounded import UNIT_NAMESPACE, names_in
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES
from hh_brian.models.currents import current_quantity_unit  # noqa: F401  (re-exported)
from hh_brian.models.kinetics import rest_report, resting_state
from hh_brian.models.library import differences_from_builtin

#: How a stimulus enters the equations.
STIMULUS_PARAMETER = "parameter"  # I_inj is a per-neuron constant (set before a run)
STIMULUS_TIMED = "timed"  # I_inj = I_stim(t): a TimedArray named I_stim
STIMULUS_TIMED_2D = "timed_2d"  # I_inj = I_stim(t, i): one column per neuron
STIMULUS_EXPRESSION = "expression"  # I_inj = <current_expression> (a Drive's terms)
STIMULUS_KINDS = (STIMULUS_PARAMETER, STIMULUS_TIMED, STIMULUS_TIMED_2D, STIMULUS_EXPRESSION)

#: The per-neuron variable the threshold reads: ``v`` at the start of the step.  Engines
#: add it to the group's equations and run :data:`V_BEFORE_UPDATE` before every step.
V_BEFORE_EQUATION = "v_before : volt"
V_BEFORE_UPDATE = "v_before = v"

#: How instantaneous gates are rendered.
SUBEXPRESSION, FROZEN = "subexpression", "frozen"


@dataclass(frozen=True)
class RenderedModel:
    """Brian2 equation text with everything needed to build a NeuronGroup.

    Attributes
    ----------
    preset : CellModel
        The model rendered (the name is kept for the examples that read it).
    equations : str
        Brian2 equations (no comments), one per line.
    namespace : Mapping[str, object]
        Values of every constant the equations, threshold and refractory use.
    threshold, refractory : str
        Spike condition and refractoriness (:func:`spike_conditions`): a spike is the
        step in which ``v`` crosses ``V_spike`` in the depolarising sense, from
        ``v_before`` (``v`` at the step's start, :data:`V_BEFORE_EQUATION`, kept by
        the engine) at or below it to ``v`` above it; the neuron stays refractory
        while above threshold and re-arms when back at or below it
        (:mod:`hh_brian.core.crossings`).
    current_unit : str
        Units of ``I_inj`` (and of any extra current): ``amp/meter**2`` or ``amp``.
    updates : Mapping[str, str]
        Code to run before every step (``{"m": "m = m_inf"}``) for instantaneous
        gates rendered ``frozen``; empty otherwise.
    """

    preset: CellModel
    equations: str
    namespace: Mapping[str, object]
    threshold: str
    refractory: str
    current_unit: str
    updates: Mapping[str, str] = field(default_factory=dict)

    @property
    def model(self) -> CellModel:
        return self.preset

    @property
    def initial_state(self) -> dict[str, Quantity]:
        """The model's computed resting state (:func:`hh_brian.models.kinetics.resting_state`)."""
        return resting_state(self.preset)

    def file_text(self) -> str:
        """The equations with a commented header, as committed under ``equations/``."""
        return header(self) + self.equations + "\n"


def current_unit(model: CellModel) -> str:
    """``'amp'`` for models with an area, else ``'amp/meter**2'``."""
    return "amp" if model.has_area else "amp/meter**2"


def membrane_equation(model: CellModel, extra_currents: Sequence[str] = ()) -> str:
    """``dv/dt = ...`` with the injected (and extra) currents entering physically."""
    sign = "+" if model.convention.sign > 0 else "-"
    inputs = " + ".join(("I_inj", *extra_currents))
    if extra_currents:
        inputs = f"({inputs})"
    if model.has_area:
        inputs = f"{inputs}/area"
    ionic = " + ".join(f"I_{ch.name}" for ch in model.channels)
    return f"dv/dt = (-({ionic}) {sign} {inputs})/C_m : volt"


def _conductance(model: CellModel, ch) -> str:
    absolute = get_dimensions(ch.g) is get_dimensions(siemens)
    factors = [f"g_{ch.name}/area" if absolute else f"g_{ch.name}"]
    for gate in ch.gates:
        factors.append(gate.name if gate.exponent == 1 else f"{gate.name}**{gate.exponent}")
    return "*".join(factors)


def channel_equations(model: CellModel, instantaneous: str = SUBEXPRESSION) -> list[str]:
    """Current, gate and rate equations of every channel."""
    lines = [
        f"I_{ch.name} = {_conductance(model, ch)}*(v - E_{ch.name}) : amp/meter**2"
        for ch in model.channels
    ]
    for ch in model.channels:
        phi = f"phi_{ch.name}*" if ch.q10 is not None else ""
        for gate in ch.gates:
            x, names = gate.name, gate.rendered_names()
            if gate.form == RATES:
                a, b = names["alpha"], names["beta"]
                if phi:
                    lines.append(f"d{x}/dt = {phi}({a}*(1 - {x}) - {b}*{x}) : 1")
                else:
                    lines.append(f"d{x}/dt = {a}*(1 - {x}) - {b}*{x} : 1")
            elif gate.form == INF_TAU:
                lines.append(f"d{x}/dt = {phi}({names['inf']} - {x})/{names['tau']} : 1")
            elif instantaneous == FROZEN:
                lines.append(f"{x} : 1")
            else:
                lines.append(f"{x} = {names['inf']} : 1")
            units = {"alpha": "Hz", "beta": "Hz", "inf": "1", "tau": "second"}
            for key, rendered in names.items():
                lines.append(f"{rendered} = {gate.expressions[key]} : {units[key]}")
    return lines


def _namespace(model: CellModel) -> dict[str, object]:
    """Every parameter (expressions may use any of them, as validation allows), each
    channel's phi, and the units the expressions name (hh-brian reads every unit Brian2
    exports, e.g. ``mS``; Brian2's code generation knows fewer by name)."""
    namespace: dict[str, object] = dict(model.parameters)
    for gate in model.gates:
        for text in gate.expressions.values():
            for name in (names_in(text) & set(UNIT_NAMESPACE)) - set(DEFAULT_UNITS):
                namespace.setdefault(name, UNIT_NAMESPACE[name])
    for ch in model.channels:
        if ch.q10 is not None:
            namespace[f"phi_{ch.name}"] = model.phi(ch)
    return namespace


def render(
    model: CellModel,
    *,
    stimulus: str = STIMULUS_PARAMETER,
    extra_currents: Sequence[str] = (),
    rate_functions: Mapping[str, object] | None = None,
    instantaneous: str = SUBEXPRESSION,
    current_expression: str | None = None,
) -> RenderedModel:
    """Render *model* into Brian2 equations and a namespace.

    Parameters
    ----------
    model : CellModel
    stimulus : {'parameter', 'timed', 'timed_2d', 'expression'}
        How ``I_inj`` is defined: a per-neuron parameter, ``I_stim(t)`` or
        ``I_stim(t, i)`` with ``I_stim`` a TimedArray the caller adds to the
        namespace, or *current_expression* (whose names the caller adds).
    extra_currents : sequence of str
        Names of further physical input currents (e.g. synaptic ``I_syn``),
        defined by the caller with :func:`current_unit` units.
    rate_functions : mapping, optional
        Extra names for the namespace (e.g. faster implementations of
        ``exprel``); the equation text is unchanged.
    instantaneous : {'subexpression', 'frozen'}
        How instantaneous gates are written; ``'frozen'`` is what
        ``exponential_euler`` needs (see the module docstring).

    Returns
    -------
    RenderedModel

    Raises
    ------
    HHBrianInputError
        For an unknown stimulus kind or instantaneous mode.
    """
    if stimulus not in STIMULUS_KINDS:
        raise HHBrianInputError(f"unknown stimulus kind {stimulus!r}; use one of {STIMULUS_KINDS}")
    if instantaneous not in (SUBEXPRESSION, FROZEN):
        raise HHBrianInputError(f"instantaneous must be {SUBEXPRESSION!r} or {FROZEN!r}")
    unit = current_unit(model)
    lines = [membrane_equation(model, extra_currents), *channel_equations(model, instantaneous)]
    if stimulus == STIMULUS_PARAMETER:
        lines.append(f"I_inj : {unit}")
    elif stimulus == STIMULUS_TIMED:
        lines.append(f"I_inj = I_stim(t) : {unit}")
    elif stimulus == STIMULUS_TIMED_2D:
        lines.append(f"I_inj = I_stim(t, i) : {unit}")
    else:
        if not current_expression:
            raise HHBrianInputError("stimulus 'expression' needs a current_expression")
        lines.append(f"I_inj = {current_expression} : {unit}")
    namespace = _namespace(model)
    if rate_functions:
        namespace.update(rate_functions)
    updates = {}
    if instantaneous == FROZEN:
        updates = {
            g.name: f"{g.name} = {g.name}_inf" for g in model.gates if g.form == INSTANTANEOUS
        }
    threshold, refractory = spike_conditions(model)
    return RenderedModel(
        preset=model,
        equations="\n".join(lines),
        namespace=namespace,
        threshold=threshold,
        refractory=refractory,
        current_unit=unit,
        updates=updates,
    )


def spike_conditions(model: CellModel) -> tuple[str, str]:
    """Brian2 threshold and (boolean) refractory condition of *model*.

    The threshold is the crossing rule of :mod:`hh_brian.core.crossings`: ``v`` above
    ``V_spike`` now and ``v_before`` (the step's start) at or below it, in the
    depolarising sense of the model's convention.  Refractoriness is the condition
    "above threshold": Brian2 leaves it when the condition becomes false
    (``not_refractory = not_refractory or not (cond)``), so the neuron re-arms on
    repolarising through ``V_spike``.

    >>> from hh_brian.models.presets import get_preset
    >>> spike_conditions(get_preset("hh1952"))
    ('v < V_spike and v_before >= V_spike', 'v < V_spike')
    """
    above = model.convention.depolarised_comparison
    at_or_below = "<=" if above == ">" else ">="
    refractory = f"v {above} V_spike"
    return f"{refractory} and v_before {at_or_below} V_spike", refractory


def instantaneous_mode(method: str) -> str:
    """How instantaneous gates must be rendered for a Brian2 method."""
    return FROZEN if method == "exponential_euler" else SUBEXPRESSION


def header(model: RenderedModel) -> str:
    """Commented header: model, citation, convention, parameters, initial state."""
    p = model.preset
    changes = differences_from_builtin(p)
    out = [f"# hh-brian model: {p.name}"]
    if changes:
        out.append(f"# DERIVED from the built-in model, with: {'; '.join(changes)}")
    out += [
        f"# {p.title}",
        f"# Source: {p.citation}",
        f"# Convention: {p.convention.name}: {p.convention.description}",
        f"# Channels: {', '.join(_channel_summary(ch) for ch in p.channels)}",
    ]
    if not changes:
        out.append("# Regenerate: hh-brian render --all --write equations/")
    out += ["#", "# Namespace (parameters):"]
    for name in p.parameters:
        out.append(f"#   {name} = {p.display(name)}  ({p.meaning(name)})")
    for ch in p.channels:
        if ch.q10 is not None:
            out.append(
                f"#   phi_{ch.name} = {p.phi(ch):.12g}  "
                f"(q10_{ch.name}**((celsius - celsius_ref_{ch.name})/10))"
            )
    out.append(
        f"# Threshold: {model.threshold}   Refractory while: {model.refractory}   "
        "(v_before: v at the start of the step)"
    )
    report = rest_report(p)
    state = report.state
    shown = ", ".join(
        [f"v = {float(state['v'] / mV):.9g}*mV"]
        + [f"{g} = {float(state[g]):.9g}" for g in p.gate_names]
    )
    out.append(f"# Initial state ({report.message}): {shown}")
    for note in p.notes:
        out.append(f"# Note: {note}")
    out.append("#")
    return "\n".join(out) + "\n"


def _channel_summary(ch) -> str:
    if not ch.gates:
        return f"{ch.name} (leak)"
    gates = " ".join(
        f"{g.name}{'^' + str(g.exponent) if g.exponent > 1 else ''}"
        f"{'(inst)' if g.form == INSTANTANEOUS else ''}"
        for g in ch.gates
    )
    return f"{ch.name} ({gates})"


def namespace_of(model: CellModel) -> dict[str, object]:
    """The namespace every rendered equation of *model* needs (parameters, each channel's
    phi, and the units its expressions name); the public name of the namespace builder."""
    return _namespace(model)


def conductance_expression(model: CellModel, channel) -> str:
    """Brian2 text of one channel's conductance density, e.g. ``g_Na*m**3*h``
    (an absolute ``g`` is divided by ``area``)."""
    return _conductance(model, channel)
