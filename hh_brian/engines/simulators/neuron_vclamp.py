"""Voltage clamp in NEURON: one section per sweep, each with an ``SEClamp``.

The same cell (the model's generated NMODL mechanism, :mod:`hh_brian.render.nmodl`)
is clamped by NEURON's single-electrode clamp, whose three levels
(``amp1..3`` for ``dur1..3``) take the protocol's segments (at most three; the
holding segment that may follow a prepulse's test step is cut off, since no
measurement uses it).  ``rs`` is the clamp's series resistance (MΩ); with a small
``rs`` the membrane follows the command to within ``I * rs``.

Units: NEURON's v is the modern potential (mV) and is mapped into the model's
convention; mechanism currents are mA/cm² (outward positive, modern) and are
returned as A/m² in the model's convention (``* sign``); the conductances are
``g * prod(x^p)`` from the recorded gates.  Fixed step ``h.dt``, implicit Euler
(``secondorder = 0``) for v and ``cnexp`` for the gates.
"""

from __future__ import annotations

import math
import time

import numpy as np
from brian2 import Quantity, amp, get_dimensions, meter, ms, mV, ohm, siemens

from hh_brian.engines.clamp_trace import ClampTrace
from hh_brian.engines.simulators.neuron import _h, _state_name, load_mechanisms
from hh_brian.models.cell import CellModel
from hh_brian.models.clamp import ClampProtocol

#: SEClamp has three levels.
MAX_LEVELS = 3


def seclamp_segments(protocol: ClampProtocol) -> list:
    """The segments SEClamp plays (at most three; a last holding segment is dropped)."""
    segments = list(protocol.segments)
    if len(segments) > MAX_LEVELS and segments[-1].name == "hold":
        segments = segments[:-1]
    if len(segments) > MAX_LEVELS:
        raise ValueError(f"SEClamp takes {MAX_LEVELS} levels; the protocol has {len(segments)}")
    return segments


def _density(model: CellModel, g: Quantity) -> float:
    """A channel's maximal conductance as a density (S/m²)."""
    if get_dimensions(g) is get_dimensions(siemens):
        g = g / model.area
    return float(g / (siemens / meter**2))


def run_seclamp(
    model: CellModel, protocol: ClampProtocol, *, rs_megaohm: float = 1e-3
) -> ClampTrace:
    """Run every sweep of *protocol* in NEURON with an SEClamp of series resistance
    *rs_megaohm* (MΩ), at the protocol's dt.

    Returns
    -------
    ClampTrace
        ``engine='neuron'``; ``v`` is the membrane (it differs from the command by
        about ``I * rs``); ``series_resistance`` holds the SEClamp's rs as a specific
        resistance (ohm*m²) and ``clamp_current`` the SEClamp current as a density.

    Raises
    ------
    SimulatorUnavailable
        If NEURON is not installed.
    ValueError
        If the protocol needs more than three SEClamp levels.
    """
    from hh_brian.render.nmodl import area_um2, capacitance_uF_cm2

    h = _h()
    (suffix,) = load_mechanisms([model])
    segments = seclamp_segments(protocol)
    conv = model.convention
    dt_ms = float(protocol.dt / ms)
    samples = protocol.n_samples
    area = area_um2(model)
    sections, clamps, records = [], [], []
    for sweep in range(protocol.n_sweeps):
        sec = h.Section(name=f"vclamp_{sweep}")
        sec.L = sec.diam = math.sqrt(area / math.pi)
        sec.nseg = 1
        sec.cm = capacitance_uF_cm2(model)
        sec.insert(suffix)
        seg = sec(0.5)
        clamp = h.SEClamp(seg)
        clamp.rs = rs_megaohm
        for level, segment in enumerate(segments, start=1):
            setattr(clamp, f"dur{level}", float(segment.duration / ms))
            modern = conv.to_modern(segment.voltage[sweep])
            setattr(clamp, f"amp{level}", float(modern / mV))
        names = {"v": seg._ref_v, "i_clamp": clamp._ref_i}
        for ch in model.channels:
            names[f"I_{ch.name}"] = getattr(seg, f"_ref_I_{ch.name}_{suffix}")
        for gate in model.gate_names:
            names[gate] = getattr(seg, f"_ref_{_state_name(gate)}_{suffix}")
        records.append({k: h.Vector().record(ref) for k, ref in names.items()})
        sections.append(sec)
        clamps.append(clamp)
    try:
        h.celsius = model.celsius
        h.dt = dt_ms
        h.secondorder = 0
        h.CVode().active(0)
        h.finitialize(float(conv.to_modern(protocol.hold) / mV))
        started = time.perf_counter()
        for _ in range(samples - 1):
            h.fadvance()
        wall = time.perf_counter() - started
        data = {
            key: np.array([np.array(rec[key])[:samples] for rec in records]) for key in records[0]
        }
    finally:
        del clamps, sections
    sign = conv.sign
    v = conv.from_modern(data["v"] * mV)
    gates = {g: data[g] for g in model.gate_names}
    current_density = amp / meter**2
    currents = {
        ch.name: sign * data[f"I_{ch.name}"] * 10.0 * current_density  # mA/cm2 -> A/m2
        for ch in model.channels
    }
    density = siemens / meter**2
    conductances = {}
    for ch in model.channels:
        g = np.full(data["v"].shape, _density(model, ch.g))
        for gate in ch.gates:
            x = gates[gate.name] if gate.is_state else _instantaneous(model, gate.name, v)
            g = g * x**gate.exponent
        conductances[ch.name] = g * density
    area_m2 = area * 1e-12
    return ClampTrace(
        model=model,
        protocol=protocol,
        method="NEURON fixed step, implicit Euler (cnexp gates)",
        engine="neuron",
        t=protocol.times(),
        v_command=protocol.command(),
        v=v,
        gates=gates,
        currents=currents,
        conductances=conductances,
        series_resistance=rs_megaohm * 1e6 * area_m2 * ohm * meter**2,
        clamp_current=(sign * data["i_clamp"] * 1e-9 / area_m2) * current_density,
        wall_time=wall,
        info={"suffix": suffix, "rs_megaohm": rs_megaohm, "area_um2": area},
    )


def _instantaneous(model: CellModel, gate: str, v: Quantity) -> np.ndarray:
    from hh_brian.models.kinetics import steady_state

    return steady_state(model, gate, v)


__all__ = ["MAX_LEVELS", "run_seclamp", "seclamp_segments"]
