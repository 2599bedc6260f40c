"""MOOSE backend: one Compartment with two HHChannels, GENESIS-style gate tables.

MOOSE works in SI units.  With A the area in m² (preset's area or 100 µm²):
``Cm`` [F] = C [µF/cm²]·1e-2·A, ``Rm`` [Ω] = 1/(g_L [mS/cm²]·10·A),
``Gbar`` [S] = g [mS/cm²]·10·A, ``Em``, ``Ek``, ``initVm`` [V] = mV·1e-3,
``inject`` [A] = J [µA/cm²]·1e-2·A.

Gates: ``tableA`` = phi·alpha and ``tableB`` = phi·(alpha + beta), in 1/s,
sampled on ``divs`` intervals over [vmin, vmax] (default 3000 over -110..50 mV,
0.053 mV) with linear interpolation switched on (``useInterpolation``; MOOSE's
default is the nearest lower entry, a first-order error in the table step).

Integrator: without an HSolve, MOOSE advances the gates by exponential Euler
with V held (``X <- X e^{-B dt} + A/B (1 - e^{-B dt})``) and then V by
exponential Euler with the conductances held (the GENESIS scheme), every
clock set to dt.  MOOSE keeps global state: the model lives under one root
element that is deleted after each run.
"""

from __future__ import annotations

import time

import numpy as np

from hh_brian.engines.simulators import SimulatorCannotExpress, SimulatorTrace, require
from hh_brian.engines.simulators.cell import CellModel, cell_model_from_preset
from hh_brian.engines.simulators.common import spike_times
from hh_brian.engines.simulators.protocol import Protocol, change_points, constant_protocol

SCHEME = "exponential Euler on gates and V, staggered (GENESIS/MOOSE 'ee' method)"
ROOT = "/hh_brian_model"
INJECT_NOTE = (
    "inject changed between moose.start segments at the grid edges: the held current "
    "hh-brian integrates"
)
#: Clock ticks MOOSE uses for compartments, channels and tables (0..9 covers them all).
TICKS = range(10)


def _moose():
    return require("moose", "pymoose==5.0.0", "moose")


def _channel(
    moose,
    comp,
    name: str,
    model: CellModel,
    gates: tuple[tuple[str, int], ...],
    g_bar_S: float,
    e_rev_V: float,
    vgrid_V: np.ndarray,
    initial: dict[str, float],
):
    chan = moose.HHChannel(f"{comp.path}/{name}")
    chan.Ek = e_rev_V
    chan.Gbar = g_bar_S
    v_mV = vgrid_V * 1e3
    for axis, (gate, power) in zip(("X", "Y"), gates, strict=False):
        setattr(chan, f"{axis}power", power)
        table = moose.element(f"{chan.path}/gate{axis}")
        alpha = model.rate(f"alpha_{gate}")(v_mV) * 1e3  # 1/ms -> 1/s, includes phi
        beta = model.rate(f"beta_{gate}")(v_mV) * 1e3
        table.min, table.max, table.divs = vgrid_V[0], vgrid_V[-1], len(vgrid_V) - 1
        table.tableA = alpha
        table.tableB = alpha + beta
        table.useInterpolation = True
        setattr(chan, axis, initial[gate])
    moose.connect(chan, "channel", comp, "channel")
    return chan


def run(
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    vmin_mV: float = -110.0,
    vmax_mV: float = 50.0,
    table_divs: int = 3000,
    protocol: Protocol | None = None,
) -> SimulatorTrace:
    """Run *preset* in MOOSE with every clock at *dt_ms*.

    *protocol* (:mod:`.protocol`), when given, replaces the constant
    *current_density_uA_cm2*.  A piecewise-constant protocol sets the
    compartment's ``inject`` at each change and runs ``moose.start`` in segments
    between the changes (the current a PulseGen would feed, without its own
    timing rules); smooth stimuli (ramp, sine, noise) raise
    :class:`SimulatorCannotExpress`.
    """
    if protocol is None:
        protocol = constant_protocol(current_density_uA_cm2, duration_ms, dt_ms)
    segments = _segments(protocol)
    moose = _moose()
    model = cell_model_from_preset(preset)
    state = model.resting_state()
    area_m2 = model.area_um2 * 1e-12
    notes = [
        f"gates tabulated: {table_divs} divisions over {vmin_mV:g}..{vmax_mV:g} mV, "
        "linear interpolation; outside the range MOOSE clamps to the end values"
    ]
    if model.convention == "hh1952":
        notes.append("hh1952 preset run in the modern map V = -65 mV - V_HH inside MOOSE.")
    if moose.exists(ROOT):
        moose.delete(ROOT)
    moose.Neutral(ROOT)
    try:
        comp = moose.Compartment(f"{ROOT}/soma")
        comp.Cm = model.C_m * 1e-2 * area_m2
        comp.Rm = 1.0 / (model.g_L * 10.0 * area_m2)
        comp.Em = model.E_L * 1e-3
        comp.initVm = state["v"] * 1e-3
        to_amp = 1e-2 * area_m2  # µA/cm² -> A
        comp.inject = segments[0][1] * to_amp
        vgrid = np.linspace(vmin_mV, vmax_mV, table_divs + 1) * 1e-3
        _channel(
            moose,
            comp,
            "na",
            model,
            (("m", 3), ("h", 1)),
            model.g_Na * 10.0 * area_m2,
            model.E_Na * 1e-3,
            vgrid,
            state,
        )
        _channel(
            moose,
            comp,
            "k",
            model,
            (("n", 4),),
            model.g_K * 10.0 * area_m2,
            model.E_K * 1e-3,
            vgrid,
            state,
        )
        table = moose.Table(f"{ROOT}/vm")
        moose.connect(table, "requestOut", comp, "getVm")
        for tick in TICKS:
            moose.setClock(tick, dt_ms * 1e-3)
        moose.reinit()
        start = time.perf_counter()
        for steps, value in segments:
            comp.inject = value * to_amp
            moose.start(steps * dt_ms * 1e-3)
        wall = time.perf_counter() - start
        v = np.asarray(table.vector, dtype=float) * 1e3
    finally:
        moose.delete(ROOT)
    if len(segments) > 1:
        notes.append(INJECT_NOTE)
    n = int(round(duration_ms / dt_ms)) + 1
    v = v[:n]
    t = np.arange(len(v)) * dt_ms
    return SimulatorTrace(
        simulator="moose",
        preset=model.name,
        dt_ms=dt_ms,
        t_ms=t,
        v_mV=v,
        spikes_ms=spike_times(t, v, v_threshold_mV),
        wall_s=wall,
        scheme=SCHEME,
        notes=tuple(notes),
        stimulus=_expressed(segments, to_amp),
    )


def stimulus_refusal(protocol: Protocol) -> str | None:
    """Why this backend cannot express *protocol* (a smooth stimulus), or None."""
    if not protocol.smooth:
        return None
    kind = protocol.smooth[0].stimulus.kind
    return (
        f"MOOSE cannot express a {kind!r} stimulus here: the backend sets the compartment's "
        "inject at the edges of piecewise-constant stimuli only; use NEURON (any kind) "
        "or NEST (sine, ramp)"
    )


def _segments(protocol: Protocol) -> list[tuple[int, float]]:
    """(steps, µA/cm²) runs of constant current; raise for smooth stimuli."""
    why = stimulus_refusal(protocol)
    if why:
        raise SimulatorCannotExpress(why)
    index, values = change_points(protocol.held_total, protocol.n_steps)
    lengths = np.diff(np.r_[index, protocol.n_steps])
    return [(int(n), float(v)) for n, v in zip(lengths, values, strict=True)]


def _expressed(segments: list[tuple[int, float]], to_amp: float) -> str:
    if len(segments) == 1:
        return f"Compartment.inject = {segments[0][1] * to_amp:.6g} A from t = 0"
    return (
        f"Compartment.inject set at {len(segments) - 1} change time(s), moose.start "
        f"in {len(segments)} segments"
    )
