"""Synapse presets rendered to Brian2: equation lines, ``on_pre`` statements, ``.eqs`` files.

:func:`render_synapses` turns a tuple of presets into Brian2 equation lines to
append to a neuron's equations, and the ``on_pre`` statements a Brian2
``Synapses`` object executes for a spike; :func:`synapse_file_text` writes one
preset as a file of ``equations/synapses/``.

Conventions
-----------
* Conductances live in the *postsynaptic* NeuronGroup (one set of state
  variables per neuron and receptor, as in Brian2's ``examples/COBAHH.py``);
  a presynaptic spike increments them by the connection's weight (siemens).
* The synaptic current is physical (positive depolarises) and absolute (amp):
  ``I_X = sign*g_X*(E_X - v)`` with ``sign`` the preset's convention sign, so
  that it can be passed to :func:`hh_brian.render.brian2.render` as an
  ``extra_currents`` entry.  Per-area neuron presets need an area first
  (:meth:`hh_brian.models.presets.Preset.with_area`).
* Bi-exponential kinetics are two independent decays,
  ``g_X = g_X_decay - g_X_rise``, both incremented by ``K_X*w``; ``K_X``
  normalises the peak of a single event to ``w``:
  ``g(t) = w*K*(exp(-t/tau_decay) - exp(-t/tau_rise))``.
* Every equation is linear in its own variable, so Brian2's
  ``exponential_euler`` integrates the conductances exactly.

Exponential Euler and the NMDA Mg²⁺ block
-----------------------------------------
``I_NMDA = g*B(v)*(E - v)`` is not linear in ``v``.  Brian2 2.9 does not refuse
it: ``get_conditionally_linear_system`` expands ``dv/dt``, collects the terms
proportional to ``v`` and accepts the split ``dv/dt = A(v)*v + B(v)`` without
checking that ``A`` and ``B`` are free of ``v`` (``exp(-0.062*v/mV)`` is not a
power of ``v``, so the check passes).  The update
``v <- (v + B/A)*exp(A*dt) - B/A`` is then evaluated with ``A`` and ``B`` at the
start of the step, i.e. with the block frozen over one step, exactly as the
gating rates are.  The scheme stays first-order consistent (it is no longer
exact for the frozen system's v-dependence); ``tests/test_synapses.py`` measures
its observed order against an rk4 reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from brian2 import Quantity, get_dimensions, mM, ms, mV, nS
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.conventions import MODERN, VoltageConvention
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.synapse_library import SYNAPSE_PRESETS
from hh_brian.models.synapse_preset import EXPONENTIAL, MG_HALF, MG_SLOPE, SynapsePreset


@dataclass(frozen=True, eq=False)
class RenderedSynapses:
    """Equation lines and namespace for a neuron's synaptic conductances.

    Attributes
    ----------
    equations : str
        Lines to append to the neuron's equations; define ``I_syn`` (amp).
    namespace : dict
        ``E_<label>``, ``tau_decay_<label>``, ... with units.
    on_pre : dict
        label -> statement for a Brian2 ``Synapses`` ``on_pre``, with the
        weight named ``w``.
    conductances : dict
        label -> name of the total conductance variable (``g_<label>``).
    """

    presets: tuple[SynapsePreset, ...]
    equations: str
    namespace: dict[str, object]
    on_pre: dict[str, str]
    conductances: dict[str, str]


def check_conventions(presets: Sequence[SynapsePreset], convention: VoltageConvention) -> None:
    """Reject presets whose voltage convention differs from the neuron's (or each other's)."""
    for p in presets:
        if p.convention != convention:
            raise HHBrianInputError(
                f"synapse {p.name!r} is written in the {p.convention.name} convention but the "
                f"neuron uses {convention.name}; convert it with "
                f"preset.in_convention(<the neuron preset>.convention)"
            )


def modern_v(convention: VoltageConvention) -> str:
    """Brian2 text of the membrane potential in the modern convention."""
    if convention.sign > 0 and float(convention.offset) == 0:
        return "v"
    sign = "+" if convention.sign > 0 else "-"
    return f"({float(convention.offset / mV):g}*mV {sign} v)"


def render_synapses(
    presets: Sequence[SynapsePreset], convention: VoltageConvention = MODERN
) -> RenderedSynapses:
    """Brian2 lines for the conductances and the physical current ``I_syn`` (amp).

    Parameters
    ----------
    presets : sequence of SynapsePreset
        Distinct labels; each must use *convention*.
    convention : VoltageConvention
        The neuron's voltage convention.

    Returns
    -------
    RenderedSynapses
    """
    presets = tuple(presets)
    if not presets:
        raise HHBrianInputError("render_synapses: give at least one synapse preset, e.g. (AMPA,)")
    labels = [p.label for p in presets]
    if len(set(labels)) != len(labels):
        raise HHBrianInputError(
            f"synapse labels must be distinct, got {labels}; use preset.with_parameters(label=...)"
        )
    check_conventions(presets, convention)
    sign = "" if convention.sign > 0 else "-"
    lines: list[str] = []
    namespace: dict[str, object] = {}
    on_pre: dict[str, str] = {}
    conductances: dict[str, str] = {}
    for p in presets:
        x = p.label
        namespace[f"E_{x}"] = p.E_rev
        namespace[f"tau_decay_{x}"] = p.tau_decay
        if p.kinetics == EXPONENTIAL:
            lines.append(f"dg_{x}/dt = -g_{x}/tau_decay_{x} : siemens")
            on_pre[x] = f"g_{x}_post += w"
        else:
            namespace[f"tau_rise_{x}"] = p.tau_rise
            namespace[f"K_{x}"] = p.peak_factor
            lines += [
                f"dg_{x}_decay/dt = -g_{x}_decay/tau_decay_{x} : siemens",
                f"dg_{x}_rise/dt = -g_{x}_rise/tau_rise_{x} : siemens",
                f"g_{x} = g_{x}_decay - g_{x}_rise : siemens",
            ]
            on_pre[x] = f"g_{x}_decay_post += K_{x}*w\ng_{x}_rise_post += K_{x}*w"
        conductances[x] = f"g_{x}"
        if p.mg_block:
            namespace[f"Mg_{x}"] = p.mg
            namespace["Mg_half"] = MG_HALF
            namespace["Mg_slope"] = MG_SLOPE
            v_modern = modern_v(convention)
            lines.append(f"B_{x} = 1/(1 + Mg_{x}/Mg_half*exp(-Mg_slope*{v_modern})) : 1")
            lines.append(f"I_{x} = {sign}g_{x}*B_{x}*(E_{x} - v) : amp")
        else:
            lines.append(f"I_{x} = {sign}g_{x}*(E_{x} - v) : amp")
    lines.append(f"I_syn = {' + '.join(f'I_{x}' for x in labels)} : amp")
    return RenderedSynapses(presets, "\n".join(lines), namespace, on_pre, conductances)


def state_variables(preset: SynapsePreset) -> tuple[str, ...]:
    """The differential variables a preset adds (all start at 0 siemens)."""
    x = preset.label
    return (f"g_{x}",) if preset.kinetics == EXPONENTIAL else (f"g_{x}_decay", f"g_{x}_rise")


def _display(value: object) -> str:
    if not isinstance(value, Quantity) or get_dimensions(value) is DIMENSIONLESS:
        return f"{float(value):.12g}"
    for unit, text in ((mV, "mV"), (ms, "ms"), (mM, "mM"), (1 / mV, "1/mV"), (nS, "nS")):
        if get_dimensions(unit) is get_dimensions(value):
            magnitude = float(value / unit)
            return f"{magnitude:.12g}/mV" if text == "1/mV" else f"{magnitude:.12g}*{text}"
    return repr(value)


def synapse_file_text(preset: SynapsePreset) -> str:
    """A preset's rendered equations with a commented header (``equations/synapses/``)."""
    rendered = render_synapses((preset,), preset.convention)
    head = [
        f"# hh-brian synapse preset: {preset.name}",
        f"# {preset.title}",
        f"# Source: {preset.citation}",
        f"# Convention: {preset.convention.name}; I_syn is physical (positive depolarises), amp",
        "# Regenerate: hh-brian render --all --write equations/ (or: hh-brian network synapses "
        "--write equations/synapses/)",
        "#",
        "# Namespace:",
    ]
    for name, value in rendered.namespace.items():
        head.append(f"#   {name} = {_display(value)}")
    head.append(f"# on_pre (w = connection weight, siemens): {rendered.on_pre[preset.label]!r}")
    head.append(f"# Peak {preset.peak_factor:.12g}*w at {float(preset.peak_time / ms):.9g} ms")
    head += [f"# Note: {note}" for note in preset.notes]
    head.append("#")
    return "\n".join(head) + "\n" + rendered.equations + "\n"


def expected_synapse_files() -> dict[str, str]:
    """File name -> text for every built-in synapse preset."""
    return {f"{p.name}.eqs": synapse_file_text(p) for p in SYNAPSE_PRESETS.values()}


def write_synapse_files(folder: str) -> list:
    """(Re)write ``equations/synapses/*.eqs`` atomically; returns the paths."""
    from pathlib import Path

    from hh_brian.core.output import write_text_atomic

    target = Path(folder)
    if not target.is_dir():
        raise HHBrianInputError(f"folder: {folder!r} does not exist; create it (mkdir -p {folder})")
    return [write_text_atomic(target / n, text) for n, text in expected_synapse_files().items()]


__all__ = [
    "RenderedSynapses",
    "check_conventions",
    "expected_synapse_files",
    "render_synapses",
    "state_variables",
    "synapse_file_text",
    "write_synapse_files",
]
