"""NEURON backend: one section, nseg = 1, fixed step, any hh-brian cell model.

Mapping (units in brackets):

- area A [µm²] = the model's area or 100 µm²; ``L = diam = sqrt(A/π)`` so the
  lateral area π·diam·L equals A;
- ``cm`` [µF/cm²] = C_m; ``h.celsius`` [°C] = the model's celsius;
- every channel, gate and reversal potential through the generated density
  mechanism of :func:`hh_brian.render.nmodl.nmodl_mechanism` (g in S/cm², E in
  mV modern, gates in NEURON's modern v mapped into the model's convention);
- ``IClamp.amp`` [nA] = J [µA/cm²] · A [cm²] · 1e3; a constant current is one
  IClamp with ``del = 0``, on throughout; other protocols are expressed by
  :mod:`.neuron_stimulus` (IClamps per step or pulse, ``Vector.play``);
- initial state: hh-brian's resting state
  (:func:`hh_brian.models.kinetics.resting_state`), v mapped to modern, passed to
  ``finitialize``; the mechanism's INITIAL block puts every gate at its steady
  state at that v, which is how hh-brian's resting state defines the gates.

``neuron_hh`` uses the built-in ``hh`` with ``h.usetable_hh = 0`` (exact
rates, not 1 mV tables) unless ``mechanism="generated"``; every other model
uses its generated mechanism, compiled once with ``nrnivmodl`` and cached.
``secondorder = 0`` is implicit Euler, ``2`` is Crank–Nicolson (second order
in v; gates staggered by dt/2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

import numpy as np
from brian2 import mV

from hh_brian.engines.simulators import SimulatorTrace, require
from hh_brian.engines.simulators.cell import (
    CellModel,
    cell_model_from_preset,
    squid_structure_problem,
)
from hh_brian.engines.simulators.common import spike_times
from hh_brian.engines.simulators.neuron_stimulus import attach
from hh_brian.engines.simulators.protocol import Protocol, constant_protocol

SCHEMES = {0: "implicit (backward) Euler, fixed step", 2: "Crank-Nicolson, fixed step"}


def builtin_hh_fits(model: CellModel) -> bool:
    """True if NEURON's ``hh`` has exactly this model's kinetics (q10 3, 6.3 °C reference)."""
    return model.kinetics == "neuron_hh" and model.q10 == 3.0 and model.celsius_ref == 6.3


def _builtin_hh_model(preset) -> CellModel | None:
    """The squid float model of *preset* if NEURON's built-in ``hh`` expresses it."""
    if squid_structure_problem(preset) is not None:
        return None
    model = cell_model_from_preset(preset)
    return model if builtin_hh_fits(model) else None


def stimulus_refusal(protocol: Protocol) -> str | None:
    """NEURON expresses every stimulus kind (:mod:`.neuron_stimulus`): always None."""
    return None


def _h():
    require("neuron", "neuron==9.0.2", "neuron")
    from neuron import h

    return h


def nmodl_problem(model) -> str | None:
    """Why NEURON cannot run *model* (NMODL cannot print it), or ``None``: any channels
    and gate forms are fine."""
    from hh_brian.engines.simulators import SimulatorCannotExpress
    from hh_brian.render.nmodl import nmodl_mechanism

    try:
        nmodl_mechanism(model)
    except SimulatorCannotExpress as exc:
        return str(exc)
    return None


def mechanism_names() -> set[str]:
    """Names of every density mechanism and point process NEURON has loaded."""
    h = _h()
    found = set()
    name = h.ref("")
    for kind in (0, 1):  # density mechanisms, point processes
        types = h.MechanismType(kind)
        for index in range(int(types.count())):
            types.select(index)
            types.selected(name)
            found.add(name[0])
    return found


#: Library directory -> mechanism names, for every library loaded by :func:`load_mechanisms`.
LOADED_LIBRARIES: dict[str, frozenset[str]] = {}


def load_mechanisms(models: Iterable, extra_texts: Mapping[str, str] | None = None) -> list[str]:
    """Make the generated mechanisms of *models* available in NEURON; return their suffixes.

    *extra_texts* ({name: NMODL text}, e.g. synapse point processes) are compiled in the
    same ``nrnivmodl`` run.  The mechanisms NEURON does not have yet are compiled together
    (one run, cached) and loaded as one library; a mechanism already loaded, from this or
    any earlier library, is never loaded twice (NEURON refuses a duplicate name).
    """
    from hh_brian.render.nmodl import nmodl_mechanism
    from hh_brian.render.nmodl_build import compile_texts

    _h()
    import neuron

    printed = [nmodl_mechanism(model) for model in models]
    texts = {**dict(printed), **(extra_texts or {})}
    have = mechanism_names()
    missing = {suffix: text for suffix, text in texts.items() if suffix not in have}
    if missing:
        directory = compile_texts(missing)
        neuron.load_mechanisms(str(directory), warn_if_already_loaded=False)
        LOADED_LIBRARIES[str(directory)] = frozenset(missing)
    return [suffix for suffix, _ in printed]


def _mechanism(preset, mechanism: str) -> tuple[str, CellModel | None, list[str]]:
    """(suffix, squid float model for built-in hh or None, notes)."""
    if mechanism not in ("auto", "hh", "generated"):
        raise ValueError(f"mechanism must be 'auto', 'hh' or 'generated', got {mechanism!r}")
    builtin = _builtin_hh_model(preset) if mechanism != "generated" else None
    if mechanism == "hh" and builtin is None:
        raise ValueError(f"NEURON's hh cannot express model {preset.name!r}; use 'generated'")
    notes = []
    if preset.convention.name == "hh1952":
        notes.append("hh1952 model run in the modern map V = -65 mV - V_HH inside NEURON.")
    if builtin is not None:
        notes.append("built-in hh mechanism, rate tables off (usetable_hh = 0)")
        return "hh", builtin, notes
    (suffix,) = load_mechanisms([preset])
    notes.append(f"generated NMODL mechanism {suffix} (cnexp), channels and rates from the model")
    return suffix, None, notes


def _build(h, preset, suffix: str, builtin: CellModel | None):
    """One section with the mechanism; returns (section, segment)."""
    from hh_brian.render.nmodl import area_um2, capacitance_uF_cm2

    area = area_um2(preset)
    sec = h.Section(name="soma")
    sec.L = sec.diam = math.sqrt(area / math.pi)
    sec.nseg = 1
    sec.cm = capacitance_uF_cm2(preset)
    sec.insert(suffix)
    seg = sec(0.5)
    if builtin is not None:
        mech = seg.hh
        mech.gnabar, mech.gkbar = builtin.g_Na * 1e-3, builtin.g_K * 1e-3
        mech.gl, mech.el = builtin.g_L * 1e-3, builtin.E_L
        sec.ena, sec.ek = builtin.E_Na, builtin.E_K
        h.usetable_hh = 0
    h.celsius = preset.celsius
    return sec, seg


def initial_v_mV(preset) -> float:
    """hh-brian's resting potential of *preset*, modern convention (mV)."""
    from hh_brian.models.kinetics import resting_state

    v = resting_state(preset)["v"]
    return float(preset.convention.to_modern(v) / mV)


def initial_gates(preset, mechanism: str = "auto") -> dict[str, float]:
    """Every gate of *preset* in NEURON right after ``finitialize`` at the resting v."""
    h = _h()
    suffix, builtin, _ = _mechanism(preset, mechanism)
    sec, seg = _build(h, preset, suffix, builtin)
    try:
        h.finitialize(initial_v_mV(preset))
        mech = getattr(seg, suffix)
        out = {"v": seg.v}
        for gate in preset.gates:
            name = gate.name if builtin is not None else _state_name(gate.name)
            out[gate.name] = getattr(mech, name)
        return out
    finally:
        del sec  # free the section now (NEURON keeps it while referenced)


def _state_name(gate: str) -> str:
    from hh_brian.render.nmodl import NMODL_RESERVED

    return f"{gate}_gate" if gate in NMODL_RESERVED else gate


def run(
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    secondorder: int = 2,
    mechanism: str = "auto",
    protocol: Protocol | None = None,
) -> SimulatorTrace:
    """Run the hh-brian cell model *preset* (any channels) in NEURON.

    ``mechanism``: "auto" (built-in ``hh`` where it fits, else generated),
    "hh" or "generated".  *protocol* (:mod:`.protocol`), when given, replaces
    the constant *current_density_uA_cm2* and is expressed as IClamps
    (:mod:`.neuron_stimulus`).
    """
    from hh_brian.render.nmodl import area_um2

    if secondorder not in SCHEMES:
        raise ValueError(f"secondorder must be 0 or 2, got {secondorder}")
    h = _h()
    suffix, builtin, notes = _mechanism(preset, mechanism)
    v0 = initial_v_mV(preset)
    if protocol is None:
        protocol = constant_protocol(current_density_uA_cm2, duration_ms, dt_ms)
    sec, seg = _build(h, preset, suffix, builtin)
    stimulus = attach(h, seg, protocol, area_um2(preset))
    expressed, notes = stimulus.description, notes + stimulus.notes
    try:
        h.dt = dt_ms
        h.secondorder = secondorder
        h.CVode().active(0)
        v_rec = h.Vector().record(seg._ref_v)
        t_rec = h.Vector().record(h._ref_t)
        n_steps = int(round(duration_ms / dt_ms))
        h.finitialize(v0)
        start = time.perf_counter()
        for _ in range(n_steps):
            h.fadvance()
        wall = time.perf_counter() - start
        t = np.array(t_rec)
        v = np.array(v_rec)
    finally:
        del stimulus, sec  # free the section now (NEURON keeps it while referenced)
    return SimulatorTrace(
        simulator="neuron",
        preset=preset.name,
        dt_ms=dt_ms,
        t_ms=t,
        v_mV=v,
        spikes_ms=spike_times(t, v, v_threshold_mV),
        wall_s=wall,
        scheme=SCHEMES[secondorder],
        notes=tuple(notes),
        stimulus=expressed,
    )
