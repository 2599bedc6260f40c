"""NMODL point processes for hh-brian's synapse presets, and the spike-crossing helper.

:func:`synapse_point_process` prints one ``POINT_PROCESS`` per
:class:`~hh_brian.models.synapse_preset.SynapsePreset`: the same conductance kinetics
Brian2 integrates (:mod:`hh_brian.models.synapse_equations`), with one instance per
postsynaptic cell and receptor, as Brian2 keeps one conductance per neuron and receptor.

* Exponential: ``STATE g`` (µS), ``g' = -g/tau_decay``; an event adds its weight.
* Bi-exponential: ``STATE g_decay g_rise`` (µS), both decaying, both incremented by
  ``K*weight``; ``g = g_decay - g_rise`` peaks at the weight (``K`` is
  :attr:`~hh_brian.models.synapse_preset.SynapsePreset.peak_factor`).
* Mg²⁺ block (Jahr & Stevens 1990, doi:10.1523/JNEUROSCI.10-09-03178.1990):
  ``B = 1/(1 + mg/3.57 mM * exp(-0.062/mV * v))`` with NEURON's (modern) ``v``.
* Current ``i = g*B*(v - e)`` in nA (µS·mV), outward positive, ``e`` in mV modern.

``SOLVE ... METHOD cnexp`` integrates these linear decays exactly (the update is
``g*exp(-dt/tau)``), as Brian2's exponential integrators do; ``tests/test_network_neuron.py``
checks the conductance after one event against
:meth:`~hh_brian.models.synapse_preset.SynapsePreset.conductance` to round-off.

:data:`CROSSING_TEXT` is ``hhb_crossing``, a point process that keeps the membrane
potential of the step's start (``BEFORE BREAKPOINT``), so a spike reported at the end of a
step can be timed by hh-brian's interpolation rule (:mod:`hh_brian.core.crossings`).
"""

from __future__ import annotations

import hashlib

from brian2 import mM, ms, mV

from hh_brian.models.synapse_preset import BIEXPONENTIAL, EXPONENTIAL, MG_HALF, MG_SLOPE

_PLACEHOLDER = "POINT_PROCESS_NAME"
_CROSSING_TEMPLATE = """TITLE hh-brian spike-crossing helper

COMMENT
Keeps v at the start of every fixed step (BEFORE BREAKPOINT, run before the step's
currents), so that a spike NEURON reports at
the end of a step can be timed t_k + dt*(V_spike - vprev)/(v - vprev), hh-brian's rule.
ENDCOMMENT

NEURON {{
    POINT_PROCESS {name}
    RANGE vprev
    THREADSAFE
}}

UNITS {{
    (mV) = (millivolt)
}}

ASSIGNED {{
    v (mV)
    vprev (mV)
}}

INITIAL {{
    vprev = v
}}

BEFORE BREAKPOINT {{
    vprev = v
}}
"""


#: Name of the helper that keeps v at each step's start (hashed like every mechanism:
#: compiled libraries are cached by their mechanisms' names).
CROSSING_NAME = "hhb_crossing_" + hashlib.sha256(_CROSSING_TEMPLATE.encode()).hexdigest()[:12]
CROSSING_TEXT = _CROSSING_TEMPLATE.format(name=CROSSING_NAME)


def _number(x: float) -> str:
    return repr(float(x))


def synapse_problem(preset) -> str | None:
    """Why NEURON has no point process for *preset*, or ``None`` if it has one."""
    if preset.kinetics not in (EXPONENTIAL, BIEXPONENTIAL):
        return (
            f"synapse {preset.name!r}: kinetics {preset.kinetics!r} have no NEURON point "
            f"process (hh-brian prints {EXPONENTIAL} and {BIEXPONENTIAL}, with or without "
            "the Mg2+ block); use one of those kinetics"
        )
    return None


def synapse_point_process(preset) -> tuple[str, str]:
    """(name, NMODL text) of the point process of one synapse preset.

    The name is ``hhbs_`` and the first 12 hex digits of the SHA-256 of the text
    (name left out of the hash), so equal kinetics share one mechanism.

    Raises
    ------
    SimulatorCannotExpress
        If the preset's kinetics have no point process here (:func:`synapse_problem`).
    """
    from hh_brian.engines.simulators import SimulatorCannotExpress

    problem = synapse_problem(preset)
    if problem is not None:
        raise SimulatorCannotExpress(problem)
    e_modern = float(preset.convention.to_modern(preset.E_rev) / mV)
    biexp = preset.kinetics == BIEXPONENTIAL
    states = ("g_decay", "g_rise") if biexp else ("g",)
    # Constants are ASSIGNED and set in INITIAL: nocmodl keeps a PARAMETER's default to
    # 6 significant digits (5.26316 for 5.2631578947368425), an assignment in full.
    constants = {"tau_decay": (preset.tau_decay / ms, "ms")}
    if biexp:
        constants["tau_rise"] = (preset.tau_rise / ms, "ms")
        constants["K"] = (preset.peak_factor, "1")
    constants["e"] = (e_modern, "mV")
    block = "1"
    if preset.mg_block:
        constants["mg"] = (preset.mg / mM, "mM")
        block = f"1/(1 + mg/{_number(MG_HALF / mM)}*exp(-{_number(MG_SLOPE * mV)}*v))"
    assigned = ["    v (mV)", "    i (nA)", "    B (1)"] + (["    g (uS)"] if biexp else [])
    assigned += [f"    {k} ({unit})" for k, (_, unit) in constants.items()]
    initial = [f"    {k} = {_number(value)}" for k, (value, _) in constants.items()]
    initial += [f"    {s} = 0" for s in states]
    derivatives = [f"    {s}' = -{s}/tau_{s.split('_')[-1] if biexp else 'decay'}" for s in states]
    receive = (
        "    g_decay = g_decay + K*weight\n    g_rise = g_rise + K*weight"
        if biexp
        else "    g = g + weight"
    )
    breakpoint_lines = ["    SOLVE kinetics METHOD cnexp"]
    if biexp:
        breakpoint_lines.append("    g = g_decay - g_rise")
    breakpoint_lines += [f"    B = {block}", "    i = g*B*(v - e)"]
    ranges = ["e", "tau_decay", *(("tau_rise", "K") if biexp else ()), "g", "B", "i", *states]
    if preset.mg_block:
        ranges.append("mg")
    text = "\n\n".join(
        [
            f"TITLE hh-brian synapse preset {preset.name}: {preset.title}",
            "COMMENT\nGenerated by hh_brian.render.nmodl_synapse from the preset "
            f"{preset.name!r} ({preset.kinetics}{', Mg2+ block' if preset.mg_block else ''}).\n"
            f"Source: {preset.citation}\nWeights in uS; current in nA, outward positive.\n"
            "ENDCOMMENT",
            f"NEURON {{\n    POINT_PROCESS {_PLACEHOLDER}\n    NONSPECIFIC_CURRENT i\n"
            f"    RANGE {', '.join(dict.fromkeys(ranges))}\n    THREADSAFE\n}}",
            "UNITS {\n    (nA) = (nanoamp)\n    (mV) = (millivolt)\n    (uS) = (microsiemens)\n"
            "    (mM) = (milli/liter)\n}",
            "ASSIGNED {\n" + "\n".join(assigned) + "\n}",
            "STATE {\n" + "\n".join(f"    {s} (uS)" for s in states) + "\n}",
            "INITIAL {\n" + "\n".join(initial) + "\n}",
            "BREAKPOINT {\n" + "\n".join(breakpoint_lines) + "\n}",
            "DERIVATIVE kinetics {\n" + "\n".join(derivatives) + "\n}",
            f"NET_RECEIVE(weight (uS)) {{\n{receive}\n}}",
        ]
    )
    text += "\n"
    name = "hhbs_" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return name, text.replace(_PLACEHOLDER, name)


def builtin_texts() -> dict[str, str]:
    """{name: NMODL text}: the point process of every built-in synapse preset and the
    crossing helper (what a network export of built-in presets compiles)."""
    from hh_brian.models.synapse_library import SYNAPSE_PRESETS

    texts = dict(synapse_point_process(p) for p in SYNAPSE_PRESETS.values())
    return {**texts, CROSSING_NAME: CROSSING_TEXT}


def state_map(preset) -> dict[str, str]:
    """Brian2 state variable (``g_<label>`` or ``g_<label>_decay/_rise``) -> point-process
    state (``g``, ``g_decay``, ``g_rise``), both in conductance units (µS in NEURON)."""
    x = preset.label
    if preset.kinetics == EXPONENTIAL:
        return {f"g_{x}": "g"}
    return {f"g_{x}_decay": "g_decay", f"g_{x}_rise": "g_rise"}


__all__ = [
    "CROSSING_NAME",
    "builtin_texts",
    "CROSSING_TEXT",
    "state_map",
    "synapse_point_process",
    "synapse_problem",
]
