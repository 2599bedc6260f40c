"""Voltage clamp in Brian2: every sweep of a protocol in ONE NeuronGroup, one neuron each.

Ideal clamp
    ``v`` is a parameter, set at the start of every step from the command,
    ``run_regularly('v = V_cmd(t, i)', when='before_groups')``, with ``V_cmd`` a
    2-D TimedArray (samples x sweeps).  The command is therefore constant within
    each step for every method: no stage of rk4 ever reads the next sample at an
    edge.  The gates integrate the model's own equations
    (:func:`~hh_brian.render.brian2.channel_equations`).  With a constant ``v`` each
    gate equation is linear with constant coefficients, which exponential Euler
    integrates exactly: the recorded conductances equal the closed form
    ``g * prod(x_inf - (x_inf - x0) exp(-t/tau_x))^p`` to round-off.

Series-resistance clamp
    ``dv/dt = ((V_clamp - v)/R_s - I_ion)/C_m`` with ``V_clamp`` set like ``v``
    above and ``R_s`` a specific resistance (ohm*metre**2; a resistance is
    multiplied by the model's area).  The equation holds in either voltage
    convention: a depolarising clamp current enters ``dv/dt`` with the
    convention's sign, ``sign * sign*(V_clamp - v)/R_s``.  The run starts at the
    steady state under the holding command (found with Brent's method).

Recording happens after the command of each step is applied
(``StateMonitor(..., when='before_groups')`` ordered after the command update).
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import (
    Network,
    NetworkOperation,
    NeuronGroup,
    Quantity,
    StateMonitor,
    TimedArray,
    amp,
    meter,
    ms,
    siemens,
    volt,
)
from scipy.optimize import brentq

from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, blow_up_advice
from hh_brian.core.progress import Progress
from hh_brian.engines.brian2.compile_notice import run_reporting
from hh_brian.engines.brian2.fastpath import fast_enabled, runtime_codeobj_class
from hh_brian.engines.brian2.rush_larsen import register_methods
from hh_brian.engines.brian2.settings import brian2_settings, check_completed
from hh_brian.engines.brian2.simulate import BRIAN2_METHODS, GUARD_INTERVAL, TARGETS, BlowUpGuard
from hh_brian.engines.clamp_trace import ClampTrace
from hh_brian.models.cell import CellModel
from hh_brian.models.clamp import ClampProtocol
from hh_brian.models.clamp_inputs import specific_series_resistance
from hh_brian.models.kinetics import steady_state, steady_state_current
from hh_brian.render.brian2 import (
    channel_equations,
    conductance_expression,
    instantaneous_mode,
    namespace_of,
)

#: Refuse runs that would record more values than this (8 bytes each).
MAX_RECORDED_VALUES = 60_000_000
#: Names the clamp adds to the model's equations and namespace.
CLAMP_NAMES = ("V_cmd", "V_clamp", "R_s", "I_clamp")


def clamp_equations(model: CellModel, method: str, series_resistance: bool) -> str:
    """Brian2 equations of the clamped cell: the channels, one conductance
    ``G_<ch>`` per channel, and ``v`` as a parameter (ideal) or a state (R_s)."""
    lines = channel_equations(model, instantaneous_mode(method))
    lines += [
        f"G_{ch.name} = {conductance_expression(model, ch)} : siemens/meter**2"
        for ch in model.channels
    ]
    if series_resistance:
        ionic = " + ".join(f"I_{ch.name}" for ch in model.channels)
        lines += [
            f"dv/dt = ((V_clamp - v)/R_s - ({ionic}))/C_m : volt",
            "I_clamp = (V_clamp - v)/R_s : amp/meter**2",
            "V_clamp : volt",
        ]
    else:
        lines.append("v : volt")
    return "\n".join(lines)


def _check_names(model: CellModel) -> None:
    taken = set(model.parameters) | set(model.rates) | {g.name for g in model.gates}
    added = set(CLAMP_NAMES) | {f"G_{ch.name}" for ch in model.channels}
    clash = sorted(taken & added)
    if clash:
        raise HHBrianInputError(
            f"model {model.name!r} uses the name(s) {', '.join(clash)}, which the voltage "
            "clamp needs; rename them in the model file"
        )


def clamped_rest(model: CellModel, hold: Quantity, specific_rs: Quantity) -> Quantity:
    """Membrane potential at steady state under a holding command through R_s (volt):
    the root of ``(hold - v)/R_s = I_ss(v)`` within 100 mV of *hold*."""

    def balance(v_volt: float) -> float:
        v = np.array([v_volt]) * volt
        return float(
            ((hold - v) / specific_rs - steady_state_current(model, v))[0] / (amp / meter**2)
        )

    centre = float(hold / volt)
    for width in (0.001, 0.01, 0.1):
        low, high = centre - width, centre + width
        if np.sign(balance(low)) != np.sign(balance(high)):
            return brentq(balance, low, high, xtol=1e-15, rtol=1e-15) * volt
    raise HHBrianInputError(
        f"series_resistance: no steady state under the holding command {hold!r} within "
        "100 mV; use a smaller series resistance"
    )


def run_vclamp(
    model: CellModel,
    protocol: ClampProtocol,
    *,
    method: str = DEFAULT_METHOD,
    series_resistance: Quantity | None = None,
    target: str = "cython",
    fast: bool | None = None,
    progress: Progress = None,
) -> ClampTrace:
    """Run every sweep of *protocol* at once, in one NeuronGroup (one neuron per sweep).

    Parameters
    ----------
    model : CellModel
    protocol : ClampProtocol
        From :func:`hh_brian.models.clamp.build_protocol`; its dt is the time step.
    method : {'rush_larsen2', 'exponential_euler', 'rk4', 'euler'}
    series_resistance : Quantity, optional
        ``None`` for an ideal clamp; else ohm (models with an area) or
        ohm*metre**2 (:func:`~hh_brian.models.clamp.specific_series_resistance`).
    target : {'cython', 'numpy'}
        Brian2 code-generation target.
    fast : bool, optional
        The fast path of :mod:`hh_brian.engines.brian2.fastpath` (default on).
    progress : callable, optional
        Receives :class:`~hh_brian.core.progress.Step` reports of the run.

    Returns
    -------
    ClampTrace
        Every variable as sweeps x samples (see :mod:`hh_brian.engines.clamp_trace`).

    Raises
    ------
    HHBrianInputError
        Unknown method or target, a bad series resistance, a name clash with the
        clamp's names, or a recording larger than :data:`MAX_RECORDED_VALUES`.
    SimulationBlowUpError
        If a gate leaves [0, 1] or a value becomes NaN/Inf (e.g. rk4 with a dt far
        beyond its stability limit).
    """
    if method not in BRIAN2_METHODS:
        raise HHBrianInputError(f"method: unknown method {method!r}; use one of {BRIAN2_METHODS}")
    register_methods()
    if target not in TARGETS:
        raise HHBrianInputError(f"target: unknown target {target!r}; use one of {TARGETS}")
    _check_names(model)
    specific_rs = (
        None if series_resistance is None else specific_series_resistance(model, series_resistance)
    )
    n, samples = protocol.n_sweeps, protocol.n_samples
    recorded = ["v", *(g.name for g in model.gates)]
    recorded += [f"{kind}_{ch.name}" for kind in ("I", "G") for ch in model.channels]
    if specific_rs is not None:
        recorded.append("I_clamp")
    if n * samples * len(recorded) > MAX_RECORDED_VALUES:
        raise HHBrianInputError(
            f"dt: {n} sweeps x {samples} samples x {len(recorded)} variables is more than "
            f"{MAX_RECORDED_VALUES:,} recorded values; use fewer sweeps, a shorter duration "
            "or a larger dt"
        )
    command = protocol.command()
    namespace = namespace_of(model)
    namespace["V_cmd"] = TimedArray(np.asarray(command / volt).T * volt, dt=protocol.dt)
    if specific_rs is not None:
        namespace["R_s"] = specific_rs
    target_name = "v" if specific_rs is None else "V_clamp"
    with brian2_settings(target=target):
        group = NeuronGroup(
            n,
            clamp_equations(model, method, specific_rs is not None),
            method=method,
            namespace=namespace,
            dt=protocol.dt,
            name="vclamp*",
            codeobj_class=runtime_codeobj_class(target, fast),
        )
        start_v = protocol.hold
        if specific_rs is not None:
            start_v = clamped_rest(model, protocol.hold, specific_rs)
            group.V_clamp = protocol.hold
        group.v = start_v
        for gate in model.gate_names:
            setattr(group, gate, float(steady_state(model, gate, start_v)))
        group.run_regularly(f"{target_name} = V_cmd(t, i)", when="before_groups", order=-2)
        for code in _frozen_updates(model, method):
            group.run_regularly(code, when="before_groups", order=-1)
        monitor = StateMonitor(group, recorded, record=True, when="before_groups", order=0)
        network = Network(group, monitor)
        guard = BlowUpGuard(group, network, model.gate_names)
        network.add(NetworkOperation(guard.check, dt=max(GUARD_INTERVAL, protocol.dt), when="end"))
        started = time.perf_counter()
        task = f"voltage clamp, {protocol.n_sweeps} sweeps"
        run_reporting(network, samples * protocol.dt, progress, task, namespace=namespace)
        wall = time.perf_counter() - started
        check_completed(network, samples * protocol.dt, "the voltage clamp", guard)
        if guard.tripped_at is not None:
            raise SimulationBlowUpError(
                f"{method} with dt = {float(protocol.dt / ms):g} ms blew up by t = "
                f"{float(guard.tripped_at / ms):.6g} ms (model {model.name}: NaN/Inf or a gate "
                f"outside [0, 1]); {blow_up_advice(method)}"
            )
        values = {name: getattr(monitor, name)[:] for name in recorded}
    trace = ClampTrace(
        model=model,
        protocol=protocol,
        method=method,
        engine="brian2",
        t=protocol.times(),
        v_command=command,
        v=values["v"],
        gates={g.name: np.asarray(values[g.name]) for g in model.gates},
        currents={ch.name: values[f"I_{ch.name}"] for ch in model.channels},
        conductances={
            ch.name: Quantity(values[f"G_{ch.name}"], dim=(siemens / meter**2).dim)
            for ch in model.channels
        },
        series_resistance=specific_rs,
        clamp_current=values.get("I_clamp"),
        wall_time=wall,
        info={"target": target, "fast": target == "cython" and fast_enabled(fast)},
    )
    check_clamp_trace(trace)
    return trace


def _frozen_updates(model: CellModel, method: str) -> list[str]:
    if instantaneous_mode(method) == "subexpression":
        return []
    return [f"{g.name} = {g.name}_inf" for g in model.gates if not g.is_state]


def check_clamp_trace(trace: ClampTrace) -> None:
    """Raise :class:`SimulationBlowUpError` at the first NaN/Inf or gate outside [0, 1]."""
    bad = ~np.isfinite(np.asarray(trace.v))
    for values in trace.gates.values():
        bad |= ~np.isfinite(values) | (values < -1e-9) | (values > 1 + 1e-9)
    if not bad.any():
        return
    sweep, sample = np.unravel_index(np.argmax(bad), bad.shape)
    dt_ms = float(trace.protocol.dt / ms)
    raise SimulationBlowUpError(
        f"{trace.method} with dt = {dt_ms:g} ms blew up at t = {sample * dt_ms:.6g} ms in "
        f"sweep {sweep} (model {trace.model.name}: NaN/Inf or a gate outside [0, 1]); "
        f"{blow_up_advice(trace.method)}"
    )


__all__ = ["MAX_RECORDED_VALUES", "clamp_equations", "clamped_rest", "run_vclamp"]
