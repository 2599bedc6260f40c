"""Run Langevin or subunit channel noise in Brian2 (stochastic heun, seeded).

The equations are those of :mod:`hh_brian.noise.langevin`, plus the deterministic
membrane equation and leak of :mod:`hh_brian.render.brian2`.  The blow-up guard
watches ``v`` only (NaN/Inf): a channel-state fraction slightly outside [0, 1] is
legitimate at small channel numbers and never aborts a run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from brian2 import (
    Network,
    NetworkOperation,
    NeuronGroup,
    Quantity,
    StateMonitor,
    ms,
)
from brian2 import (
    seed as brian2_seed,
)

from hh_brian.core.errors import SimulationBlowUpError
from hh_brian.core.timegrid import check_time_step
from hh_brian.engines.brian2.fastpath import runtime_codeobj_class
from hh_brian.engines.brian2.settings import brian2_settings, check_completed
from hh_brian.engines.brian2.simulate import GUARD_INTERVAL, BlowUpGuard
from hh_brian.engines.brian2.spikes import (
    attach_detector,
    recorded_spikes,
    spike_monitor,
    with_detector,
)
from hh_brian.engines.trace import SimulationResult
from hh_brian.models.cell import CellModel
from hh_brian.models.currents import coerce_current
from hh_brian.models.drive import Drive, make_drive
from hh_brian.models.kinetics import check_initial_state, resting_state
from hh_brian.models.stimulus_base import Stimulus
from hh_brian.noise.counts import channel_counts, check_noise_model
from hh_brian.noise.heun_cache import CachedHeun
from hh_brian.noise.langevin import channel_noise_lines, rate_updates
from hh_brian.noise.scheme import scheme_for
from hh_brian.noise.spec import LANGEVIN, SDE_METHOD, SUBUNIT
from hh_brian.render.brian2 import (
    conductance_expression,
    current_unit,
    membrane_equation,
    namespace_of,
    spike_conditions,
)


def noisy_equations(model: CellModel, kind: str) -> list[str]:
    """Membrane equation and every channel (gated ones with *kind* noise), no ``I_inj``."""
    lines = [membrane_equation(model)]
    for ch in model.channels:
        if ch.gates:
            lines += channel_noise_lines(model, ch, kind)
        else:
            current = f"{conductance_expression(model, ch)}*(v - E_{ch.name})"
            lines.append(f"I_{ch.name} = {current} : amp/meter**2")
    return lines


def initial_noise_state(model: CellModel, kind: str, gates: dict[str, object]) -> dict:
    """Mean state at steady gates *gates* (floats, or arrays of shape (M,)): the gates
    themselves (subunit) or the stationary fraction of every scheme state, a product of
    binomial probabilities (langevin)."""
    if kind == SUBUNIT:
        return {g: gates[g] for g in model.gate_names}
    out = {}
    for ch in model.channels:
        if ch.gates:
            scheme = scheme_for(ch)
            x = np.array([np.atleast_1d(gates[g]) for g in scheme.gates], dtype=float)
            p = scheme.stationary(x, 1 - x)  # alpha = x, beta = 1 - x: x_inf = x
            for s in range(scheme.n_states):
                out[scheme.state_name(s)] = p[s] if p.shape[1] > 1 else float(p[s, 0])
    return out


def simulate_sde(
    preset: CellModel,
    *,
    kind: str,
    current: Quantity | Stimulus | Sequence[Stimulus] | Drive,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    seed: int = 0,
    n_neurons: int | None = None,
    record: bool | Sequence[int] = True,
    initial_state: dict[str, Quantity] | None = None,
    target: str = "cython",
    variables: Sequence[str] | None = None,
) -> SimulationResult:
    """Current-clamp run with ``langevin`` or ``subunit`` channel noise in Brian2.

    Parameters
    ----------
    preset : CellModel
        With an area and a ``gamma`` on every gated channel.
    kind : {'langevin', 'subunit'}
    current : Quantity, Stimulus, sequence of Stimulus or Drive
        Physical injected current (absolute: the model has an area), scalar or per neuron.
    duration, dt : Quantity
    seed : int
        Seeds Brian2's random numbers (``brian2.seed``); reproducible on one machine.
    n_neurons : int, optional
    record : bool or sequence of int
    initial_state : dict, optional
        ``v`` and steady gates there; the channel states start at their mean.
    target : {'cython', 'numpy'}
    variables : sequence of str, optional
        Extra variables to record besides ``v`` and the gates.

    Returns
    -------
    SimulationResult
        ``method`` is ``'heun'``; ``traces`` has ``v`` and each gate's open-subunit
        fraction; ``info`` the channel counts and the seed.
    """
    check_noise_model(preset)
    counts = channel_counts(preset)
    n_steps = check_time_step(dt, duration)
    namespace = namespace_of(preset)
    unit = current_unit(preset)
    constant = None
    if isinstance(current, Stimulus | Drive) or isinstance(current, list | tuple):
        drive = current if isinstance(current, Drive) else make_drive(preset, current, dt, duration)
        if drive.is_constant:
            constant = drive.held[0] if drive.columns > 1 else drive.held[0, 0]
            input_line, n_default = f"I_inj : {unit}", drive.columns
        else:
            expression, names = drive.brian2()
            namespace.update(names)
            input_line, n_default = f"I_inj = {expression} : {unit}", drive.columns
    else:
        constant = coerce_current(preset, Quantity(current))
        input_line, n_default = f"I_inj : {unit}", int(np.size(constant))
    n = int(n_neurons or n_default)
    equations = "\n".join([*noisy_equations(preset, kind), input_line])
    threshold, refractory = spike_conditions(preset)
    state = check_initial_state(preset, initial_state) if initial_state else resting_state(preset)
    brian2_seed(int(seed))
    with brian2_settings(target=target):
        group = NeuronGroup(
            n,
            with_detector(equations),
            threshold=threshold,
            refractory=refractory,
            method=CachedHeun(),
            namespace=namespace,
            dt=dt,
            name="hh_noise",
            codeobj_class=runtime_codeobj_class(target, None),
        )
        group.run_regularly(rate_updates(preset), when="before_groups", order=-1)
        for name, count in counts.items():
            setattr(group, f"N_{name}", count)
        group.v = state["v"]
        gates = {g: float(state[g]) for g in preset.gate_names}
        for name, value in initial_noise_state(preset, kind, gates).items():
            setattr(group, name, value)
        attach_detector(group, refractory)
        if constant is not None:
            group.I_inj = constant
        indices = np.arange(n) if record is True else np.asarray(record or [], dtype=int)
        names = ["v", *preset.gate_names, *(variables or ())]
        monitor = StateMonitor(group, names, record=indices)
        spikes = spike_monitor(group)
        network = Network(group, monitor, spikes)
        guard = BlowUpGuard(group, network, gates=())  # v only: states may leave [0, 1]
        network.add(NetworkOperation(guard.check, dt=max(GUARD_INTERVAL, dt), when="end"))
        started = time.perf_counter()
        network.run(n_steps * dt, namespace=namespace)
        wall = time.perf_counter() - started
        check_completed(network, n_steps * dt, "the run", guard)
        spike_indices, spike_times, _ = recorded_spikes(spikes, dt, preset.V_spike)
        traces = {name: getattr(monitor, name)[:] for name in names}
        traces = {k: (v if k == "v" else np.asarray(v)) for k, v in traces.items()}
        result = SimulationResult(
            preset=preset,
            method=SDE_METHOD,
            dt=dt,
            t=monitor.t[:],
            traces=traces,
            recorded=indices,
            spike_indices=spike_indices,
            spike_times=spike_times,
            n_neurons=n,
            wall_time=wall,
            info={
                "engine": "brian2",
                "target": target,
                "channel_noise": kind,
                "seed": int(seed),
                "channel_counts": dict(counts),
            },
        )
        if not np.isfinite(np.asarray(group.v_[:])).all():
            raise SimulationBlowUpError(
                f"{kind} channel noise with dt = {float(dt / ms):g} ms: v became NaN/Inf "
                f"(model {preset.name}); reduce dt"
            )
        return result


__all__ = ["LANGEVIN", "SUBUNIT", "initial_noise_state", "noisy_equations", "simulate_sde"]
