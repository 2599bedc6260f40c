"""NEURON backend: one section, nseg = 1, fixed step.

Mapping (units in brackets):

- area A [µm²] = preset's area or 100 µm²; ``L = diam = sqrt(A/π)`` so the
  lateral area π·diam·L equals A;
- ``cm`` [µF/cm²] = C_m; ``gnabar, gkbar, gl`` [S/cm²] = g [mS/cm²]·1e-3;
  ``ena, ek, el`` [mV]; ``h.celsius`` [°C] = preset's celsius;
- ``IClamp.amp`` [nA] = J [µA/cm²] · A [cm²] · 1e3, ``del = 0``, on throughout.

``neuron_hh`` uses the built-in ``hh`` with ``h.usetable_hh = 0`` (exact
rates, not 1 mV tables); other presets use a generated NMODL mechanism
(:mod:`.nmodl`).  ``secondorder = 0`` is implicit Euler, ``2`` is
Crank–Nicolson (second order in v; gates staggered by dt/2).
"""

from __future__ import annotations

import math
import time

import numpy as np

from hh_brian.engines.simulators import SimulatorTrace, require
from hh_brian.engines.simulators.cell import CellModel, cell_model_from_preset, current_nA
from hh_brian.engines.simulators.common import spike_times

SCHEMES = {0: "implicit (backward) Euler, fixed step", 2: "Crank-Nicolson, fixed step"}

_loaded: set[str] = set()


def builtin_hh_fits(model: CellModel) -> bool:
    """True if NEURON's ``hh`` has exactly this model's kinetics (q10 3, 6.3 °C reference)."""
    return model.kinetics == "neuron_hh" and model.q10 == 3.0 and model.celsius_ref == 6.3


def _h():
    require("neuron", "neuron==9.0.2", "neuron")
    from neuron import h

    return h


def run(
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    secondorder: int = 2,
    mechanism: str = "auto",
    model: CellModel | None = None,
) -> SimulatorTrace:
    """Run *preset* in NEURON.

    ``mechanism``: "auto" (built-in ``hh`` where it fits, else generated),
    "hh" or "generated".  ``model`` overrides the converted preset (tests).
    """
    if secondorder not in SCHEMES:
        raise ValueError(f"secondorder must be 0 or 2, got {secondorder}")
    h = _h()
    import neuron

    model = model or cell_model_from_preset(preset)
    notes = []
    if model.convention == "hh1952":
        notes.append("hh1952 preset run in the modern map V = -65 mV - V_HH inside NEURON.")
    use_hh = mechanism == "hh" or (mechanism == "auto" and builtin_hh_fits(model))
    if mechanism == "hh" and not builtin_hh_fits(model):
        raise ValueError(f"NEURON's hh cannot express preset {model.name!r}; use 'generated'")
    if not use_hh:
        from hh_brian.render.nmodl import compile_mechanism

        suffix, directory = compile_mechanism(model)
        if suffix not in _loaded:
            neuron.load_mechanisms(str(directory), warn_if_already_loaded=False)
            _loaded.add(suffix)
        notes.append(f"generated NMODL mechanism {suffix} (cnexp), rates from the preset")
    else:
        suffix = "hh"
        notes.append("built-in hh mechanism, rate tables off (usetable_hh = 0)")

    state = model.resting_state()
    sec = h.Section(name="soma")
    try:
        diam = math.sqrt(model.area_um2 / math.pi)
        sec.L = sec.diam = diam
        sec.nseg = 1
        sec.cm = model.C_m
        sec.insert(suffix)
        seg = sec(0.5)
        mech = getattr(seg, suffix)
        mech.gnabar, mech.gkbar, mech.gl = model.g_Na * 1e-3, model.g_K * 1e-3, model.g_L * 1e-3
        mech.el = model.E_L
        sec.ena, sec.ek = model.E_Na, model.E_K
        if use_hh:
            h.usetable_hh = 0
        stim = h.IClamp(seg)
        stim.delay = 0.0
        stim.dur = 1e9
        stim.amp = current_nA(model, current_density_uA_cm2)
        h.celsius = model.celsius
        h.dt = dt_ms
        h.secondorder = secondorder
        h.CVode().active(0)
        v_rec = h.Vector().record(seg._ref_v)
        t_rec = h.Vector().record(h._ref_t)
        n_steps = int(round(duration_ms / dt_ms))
        h.finitialize(state["v"])
        start = time.perf_counter()
        for _ in range(n_steps):
            h.fadvance()
        wall = time.perf_counter() - start
        t = np.array(t_rec)
        v = np.array(v_rec)
    finally:
        stim = None
        sec = None
    return SimulatorTrace(
        simulator="neuron",
        preset=model.name,
        dt_ms=dt_ms,
        t_ms=t,
        v_mV=v,
        spikes_ms=spike_times(t, v, v_threshold_mV),
        wall_s=wall,
        scheme=SCHEMES[secondorder],
        notes=tuple(notes),
    )
