"""f-I curves in both sweep directions from ONE vectorised NeuronGroup.

For each current the group holds three neurons, all integrated together in a
single ``Network.run`` call:

``up``
    starts at rest with no current; the current rises linearly to its target
    over ``ramp`` and is then held.  The slow rise keeps the neuron on the
    resting branch (no onset transient kicks it into firing), so the up sweep
    starts firing where rest loses stability: for the squid model at the
    subcritical Hopf bifurcation, ~9.78 uA/cm^2.
``down``
    is driven at ``prime_current`` (default: the largest current) until its
    ``PRIME_SPIKES``-th spike, i.e. from the state of a neuron firing at a high
    current, and is switched to its target at the upstroke of that spike (at the
    latest after ``prime``).  It keeps firing down to the fold of limit cycles,
    ~6.26 uA/cm^2 (Rinzel & Miller 1980, Math Biosci 49:27-59).
``step``
    the classical protocol: the target current from t = 0, starting at rest.
    Any spike here gives the single-spike rheobase.

Each neuron's ``v`` is recorded over the last ``MEASURE_FRACTION`` of the hold (at
:func:`~hh_brian.analysis.fi_protocol.record_step`) and classified by
:func:`hh_brian.analysis.firing_state.classify` as ``rest``, ``firing`` (a sustained
oscillation of any amplitude, with its peak-to-trough amplitude) or ``block`` (a stable
depolarised equilibrium beyond the firing range).  The rate of a firing neuron is the
rate of upward crossings of its oscillation's midline, (n - 1)/(last - first), so the
squid axon's small oscillation between ~100 and ~154.5 uA/cm^2, whose peaks stay
below ``V_spike``, has a rate instead of 0 Hz; rest and block read 0 Hz.  A rate
needs ``SPIKES_FOR_A_RATE`` crossings in the window: a periodic train of rate f puts
at least floor(W*f) into a window of length W, so W must span two periods of the
slowest rate to be resolved (``min_rate``, default ``MIN_RATE``); slower firing
reads 0 Hz.  A shorter hold is refused.  Spikes (the single-spike rheobase, the
priming of the down sweep) are upward crossings of ``V_spike``
(:mod:`hh_brian.core.crossings`).

Every threshold reported is a grid value: when the lowest current tested
already fires, the true value lies at or below it, and the result says so
(``rheobase_single_is_upper_bound`` and friends) instead of giving a number.

The curve's excitability class, 1 (continuous onset) or 2 (a jump to a finite rate), is
:attr:`FICurve.excitability` (the criterion: :mod:`hh_brian.analysis.excitability`); it
needs the onset inside the grid, a grid fine enough there, and a hold long enough to
resolve slow rates (``min_rate``).

The protocol's constants and input checks are in :mod:`hh_brian.analysis.fi_protocol`,
the result class :class:`FICurve` in :mod:`hh_brian.analysis.fi_result`.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    Quantity,
    StateMonitor,
    get_dimensions,
    ms,
    second,
)

from hh_brian.analysis.fi_protocol import (
    MEASURE_FRACTION,
    MIN_RATE,
    POPULATIONS,
    PRIME_SPIKES,
    SPIKES_FOR_A_RATE,
    check_currents,
    check_measurement,
    record_step,
)
from hh_brian.analysis.fi_result import FICurve
from hh_brian.analysis.firing_state import FIRING_STATE_FIELDS, FiringState, classify
from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.progress import Progress
from hh_brian.engines.brian2.compile_notice import run_reporting
from hh_brian.engines.brian2.fastpath import runtime_codeobj_class
from hh_brian.engines.brian2.settings import brian2_settings, check_completed
from hh_brian.engines.brian2.simulate import (
    BRIAN2_METHODS,
    blow_up_advice,
    check_time_step,
    coerce_current,
)
from hh_brian.engines.brian2.spikes import (
    attach_detector,
    recorded_spikes,
    spike_monitor,
    with_detector,
)
from hh_brian.models.kinetics import resting_state
from hh_brian.models.presets import Preset
from hh_brian.render.brian2 import current_quantity_unit, render

_SWEEP_EQUATIONS = """
I_sweep = I_target + (I_start - I_target)*clip(1 - (t - t_release)/ramp_time, 0, 1) : {unit}
I_start : {unit} (constant)
I_target : {unit} (constant)
ramp_time : second (constant)
t_release : second
n_seen : 1
"""
_RESET = (
    "n_seen += 1\n"
    "t_release = t_release + (t - t_release)*int(n_seen == prime_spikes)*int(t < t_release)"
)


def fi_curve(
    preset: Preset,
    currents: Quantity,
    *,
    duration: Quantity = 500 * ms,
    dt: Quantity = 0.01 * ms,
    method: str = DEFAULT_METHOD,
    ramp: Quantity = 100 * ms,
    prime: Quantity = 100 * ms,
    prime_current: Quantity | None = None,
    target: str = "cython",
    min_rate: Quantity = MIN_RATE,
    progress: Progress = None,
) -> FICurve:
    """Measure the f-I curve of *preset* in both sweep directions.

    Parameters
    ----------
    preset : Preset
    currents : Quantity
        Strictly increasing targets: densities (``uA/cm**2``) or, for presets
        with an area, currents (``nA``).
    duration : Quantity
        Hold time at the target after the ramp/priming; the rate is measured
        over its last half, which must span two periods of *min_rate*
        (:func:`check_measurement`).
    dt : Quantity
    method : {'rush_larsen2', 'exponential_euler', 'rk4', 'euler'}
        Passed to Brian2 explicitly.
    ramp : Quantity
        Rise time of the up sweep, from 0 to the target.
    prime : Quantity
        Longest priming phase of the down sweep.
    prime_current : Quantity, optional
        Priming current of the down sweep; defaults to ``max(currents)``.  It
        must make the neuron fire, or the down sweep starts from a non-firing
        state (:attr:`FICurve.primed` and :meth:`FICurve.warnings` tell).
    target : {'cython', 'numpy'}
    min_rate : Quantity
        Slowest rate the measurement must resolve; a *duration* too short for
        it is refused.  Slower firing reads 0 Hz.
    progress : callable, optional
        Receives :class:`~hh_brian.core.progress.Step` reports of both run phases.

    Returns
    -------
    FICurve
        With the state (rest, firing or block) and amplitude of every neuron, and the
        block onset (:attr:`FICurve.block_onset`).
    """
    if method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"unknown method {method!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )
    currents = check_currents(preset, currents)
    prime_current = currents[-1] if prime_current is None else Quantity(prime_current)
    for name, value in (("ramp", ramp), ("prime", prime)):
        if get_dimensions(value) is not get_dimensions(second) or not float(value / second) > 0:
            raise HHBrianInputError(f"{name}: must be a positive time, got {value!r}")
    check_time_step(dt, duration)
    check_measurement(duration, min_rate)
    settle = max(ramp, prime)
    total = settle + duration
    n = currents.size
    unit = current_quantity_unit(preset)
    targets = np.asarray(coerce_current(preset, currents) / unit)
    start_high = float(coerce_current(preset, prime_current, what="prime_current") / unit)

    model = render(preset, extra_currents=("I_sweep",))
    equations = with_detector(model.equations) + _SWEEP_EQUATIONS.format(unit=model.current_unit)
    namespace = {**model.namespace, "prime_spikes": PRIME_SPIKES}
    with brian2_settings(target=target):
        group = NeuronGroup(
            3 * n,
            equations,
            threshold=model.threshold,
            refractory=model.refractory,
            reset=_RESET,
            method=method,
            namespace=namespace,
            dt=dt,
            name="fi_curve",
            codeobj_class=runtime_codeobj_class(target),
        )
        rest = resting_state(preset)
        for name in preset.state_variables:
            setattr(group, name, rest[name])
        attach_detector(group, model.refractory)
        group.I_inj = 0 * unit
        group.I_target = np.tile(targets, 3) * unit
        group.I_start = np.concatenate([np.zeros(n), np.full(n, start_high), targets]) * unit
        group.ramp_time = (
            np.concatenate([np.full(n, float(ramp / second)), np.full(2 * n, float(dt / second))])
            * second
        )
        group.t_release = (
            np.concatenate([np.zeros(n), np.full(n, float(prime / second)), np.zeros(n)]) * second
        )
        spikes = spike_monitor(group)
        # v is recorded in the measurement window only, at a coarser step (memory)
        window_start = total - MEASURE_FRACTION * duration
        before_window = np.floor(float(window_start / dt) + 1e-9) * dt
        trace = StateMonitor(group, "v", record=True, dt=record_step(dt, 3 * n, duration))
        trace.active = False
        network = Network(group, spikes, trace)
        started = time.perf_counter()
        task = f"f-I sweep, {3 * n} neurons"
        run_reporting(network, before_window, progress, f"{task}: settling", namespace=namespace)
        trace.active = True
        run_reporting(
            network, total - before_window, progress, f"{task}: measuring", namespace=namespace
        )
        wall = time.perf_counter() - started
        check_completed(network, total, "the f-I sweep")
    final = {name: np.asarray(getattr(group, name)[:]) for name in preset.state_variables}
    if not all(np.isfinite(values).all() for values in final.values()):
        raise SimulationBlowUpError(
            f"{method} with dt = {float(dt / ms):g} ms blew up in the f-I run (preset "
            f"{preset.name}); {blow_up_advice(method)}"
        )
    spike_i, _, _ = recorded_spikes(spikes, dt, preset.V_spike)
    states = classify(trace.t[:], trace.v[:], preset)
    rates = states.rate
    released = np.asarray(group.t_release[n : 2 * n] / second)
    return FICurve(
        preset=preset,
        method=method,
        dt=dt,
        currents=currents,
        rate_up=rates[:n],
        rate_down=rates[n : 2 * n],
        rate_step=rates[2 * n :],
        spikes_step=np.bincount(spike_i, minlength=3 * n)[2 * n :],
        states={
            population: FiringState(
                **{k: getattr(states, k)[j * n : (j + 1) * n] for k in FIRING_STATE_FIELDS}
            )
            for j, population in enumerate(POPULATIONS)
        },
        protocol={
            "ramp": ramp,
            "prime": prime,
            "prime_current": prime_current,
            "duration": duration,
            "window": (window_start, total),
            "min_rate": min_rate,
            "primed": bool(np.all(released < float(prime / second))),
        },
        wall_time=wall,
    )


__all__ = [
    "FICurve",
    "MEASURE_FRACTION",
    "MIN_RATE",
    "POPULATIONS",
    "PRIME_SPIKES",
    "SPIKES_FOR_A_RATE",
    "check_currents",
    "check_measurement",
    "fi_curve",
]
