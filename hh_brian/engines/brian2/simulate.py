"""Run a preset in Brian2: build the NeuronGroup and monitors, integrate, check, return.

The compiled ``cython`` target is the default: Brian2's ``numpy`` target spends
~40 us per neuron-step on these equations (FACTS.md).  On that target the fast
path of :mod:`hh_brian.engines.brian2.fastpath` is on by default (vectorising gcc flags, a
branch-free ``exprel`` and ``cdivision`` in the state updater; about 4-6x
faster per step); ``fast=False`` or ``HH_BRIAN_FAST=0`` turns it off.  The integration method
is always passed explicitly, because NeuronGroup's default chain would silently
pick forward Euler for Hodgkin-Huxley.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence

import numpy as np
from brian2 import (
    BrianObjectException,
    Network,
    NetworkOperation,
    NeuronGroup,
    Quantity,
    SpikeGeneratorGroup,
    StateMonitor,
    Synapses,
    TimedArray,
    ms,
)

from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, blow_up_advice
from hh_brian.core.progress import Progress
from hh_brian.core.timegrid import check_time_step
from hh_brian.engines.brian2.compile_notice import run_reporting
from hh_brian.engines.brian2.fastpath import fast_enabled, runtime_codeobj_class
from hh_brian.engines.brian2.names import BRIAN2_METHODS, TARGETS
from hh_brian.engines.brian2.recording import record_indices, record_step, recorded_variables
from hh_brian.engines.brian2.rush_larsen import register_methods
from hh_brian.engines.brian2.settings import brian2_settings, check_completed
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
from hh_brian.models.protocol import SpikeInput
from hh_brian.models.stimulus_base import Stimulus
from hh_brian.render.brian2 import (
    STIMULUS_EXPRESSION,
    STIMULUS_PARAMETER,
    STIMULUS_TIMED,
    STIMULUS_TIMED_2D,
    instantaneous_mode,
    render,
)
from hh_brian.render.spike_inputs import RenderedSpikeInputs, render_spike_inputs

#: Gates may leave [0, 1] by this much (round-off) before a run counts as blown up.
GATE_SLACK = 1e-9
#: How often the state is checked during a run (a blown-up run is stopped there).
GUARD_INTERVAL = 1 * ms


class BlowUpGuard:
    """Checks every state variable of a group during a run and stops the network
    at the first NaN/Inf or gate outside [0, 1] (the precise time is then found
    in the recorded traces by :func:`check_finite`)."""

    def __init__(
        self, group: NeuronGroup, network: Network, gates: tuple[str, ...] | None = None
    ) -> None:
        # Weak references: the network owns this guard, so strong ones would make a
        # cycle that keeps the group (and its name) alive until the garbage collector runs.
        self._group = weakref.ref(group)
        self._network = weakref.ref(network)
        if gates is None:  # every integrated variable but v is a gate
            gates = tuple(n for n in group.equations.diff_eq_names if n != "v")
        self._gates = tuple(gates)
        self.tripped_at: Quantity | None = None

    def check(self) -> None:
        group, network = self._group(), self._network()
        if group is None or network is None:
            return
        for name in ("v", *self._gates):
            values = getattr(group, f"{name}_")[:]
            bad = ~np.isfinite(values)
            if name != "v":
                bad |= (values < -GATE_SLACK) | (values > 1 + GATE_SLACK)
            if bad.any():
                self.tripped_at = network.t
                network.stop()
                return


def simulate(
    preset: CellModel,
    *,
    current: Quantity | TimedArray | Stimulus | Sequence[Stimulus] | Drive,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    method: str = DEFAULT_METHOD,
    n_neurons: int | None = None,
    record: bool | np.ndarray | list[int] = True,
    initial_state: dict[str, Quantity] | None = None,
    target: str = "cython",
    check: bool = True,
    fast: bool | None = None,
    synapses: Sequence[SpikeInput] = (),
    record_dt: Quantity | None = None,
    variables: Sequence[str] | None = None,
    progress: Progress = None,
) -> SimulationResult:
    """Integrate *preset* with Brian2's runtime device.

    Parameters
    ----------
    preset : Preset
    current : Quantity, Stimulus, sequence of Stimulus, Drive or TimedArray
        Physical injected current (positive depolarises): a density or, for
        presets with an area, an absolute current.  A scalar or one value per
        neuron; stimuli (added together, each read with its own timing: held
        at the step's start, or at each stage's time, see
        :mod:`hh_brian.models.stimulus_base`; edges must lie on the grid); or
        a TimedArray (1-D: the same for all neurons; 2-D: one column per
        neuron), which Brian2 reads at each stage's time.
    duration, dt : Quantity
        Simulated time and time step.
    method : {'rush_larsen2', 'exponential_euler', 'rk4', 'euler'}
        Default ``rush_larsen2`` (second order; :mod:`hh_brian.core.defaults`).
    n_neurons : int, optional
        Defaults to the number of currents given (1 for a scalar).
    record : bool or indices
        Which neurons' traces to record.
    record_dt : Quantity, optional
        Record every ``record_dt`` (a multiple of *dt*) instead of every step.
    variables : sequence of str, optional
        State variables to record (default: all; ``v`` is always recorded).
    initial_state : dict, optional
        ``v, n, m, h``; defaults to the preset's computed resting state.
    target : {'cython', 'numpy'}
        Brian2 code-generation target.
    check : bool
        Check the state every ``GUARD_INTERVAL`` during the run, stop at the first
        NaN/Inf or gate outside [0, 1], and raise :class:`SimulationBlowUpError`
        naming the method, dt and the time it happened.
    fast : bool, optional
        Use :mod:`hh_brian.engines.brian2.fastpath` for the ``cython`` target (default: on,
        unless the environment variable ``HH_BRIAN_FAST=0``).  It changes how
        the state updater is compiled, not the equations: gcc flags
        ``-O3 -ffast-math -march=native`` (vector ``exp``/``expm1``), a
        branch-free implementation of ``exprel`` and ``cdivision=True`` in the
        state updater.  Results differ from the stock build by round-off only
        (bound in ``tests/test_fastpath.py``).  A division by zero in the
        state update then gives Inf/NaN instead of raising; the blow-up check
        (*check*) still reports it, from the traces and the final state.
        Ignored for ``target='numpy'``.
    synapses : sequence of SpikeInput
        Synaptic input from given spike times onto every neuron
        (:mod:`hh_brian.render.spike_inputs`: each spike raises the conductance
        at its arrival time, which must lie on the grid).
    progress : callable, optional
        Receives :class:`~hh_brian.core.progress.Step` reports: code generation, Cython
        compilation (a model's first run only) and the simulated time.

    Returns
    -------
    SimulationResult
        Spike times are the interpolated upward crossings of ``V_spike``,
        ``t_k + dt (V_spike - v_k)/(v_{k+1} - v_k)``, one per action potential; a neuron
        that starts above threshold is not armed until it repolarises
        (:mod:`hh_brian.engines.brian2.spikes`, :mod:`hh_brian.core.crossings`).
    """
    if method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"unknown method {method!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )
    register_methods()
    if target not in TARGETS:
        raise HHBrianInputError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")
    n_steps = check_time_step(dt, duration)

    namespace: dict[str, object] = {}
    expression = None
    if isinstance(current, Stimulus) or _is_stimuli(current) or isinstance(current, Drive):
        drive = current if isinstance(current, Drive) else make_drive(preset, current, dt, duration)
        if drive.is_constant:
            current = drive.held[0] if drive.columns > 1 else drive.held[0, 0]
        else:
            expression, names = drive.brian2()
            namespace.update(names)
    if expression is not None:
        stimulus = STIMULUS_EXPRESSION
        n_default = drive.columns
        constant = None
    elif isinstance(current, TimedArray):
        stimulus = STIMULUS_TIMED_2D if current.values.ndim == 2 else STIMULUS_TIMED
        coerce_current(preset, Quantity(1, dim=current.dim), what="current")  # unit check only
        namespace["I_stim"] = current
        n_default = current.values.shape[1] if current.values.ndim == 2 else 1
        constant = None
    else:
        stimulus = STIMULUS_PARAMETER
        constant = coerce_current(preset, Quantity(current))
        n_default = int(np.size(constant))
    n_neurons = n_default if n_neurons is None else int(n_neurons)
    if n_neurons < 1:
        raise HHBrianInputError(f"n_neurons must be at least 1, got {n_neurons}")

    model = render(
        preset,
        stimulus=stimulus,
        instantaneous=instantaneous_mode(method),
        current_expression=expression,
        extra_currents=("I_syn",) if synapses else (),
    )
    namespace.update(model.namespace)
    equations = model.equations
    inputs = None
    if synapses:
        inputs = render_spike_inputs(preset, synapses, dt, n_steps)
        equations = f"{equations}\n{inputs.equations}"
        namespace.update(inputs.namespace)
    state_variables = preset.state_variables
    gates = preset.gate_names
    with brian2_settings(target=target):
        group = NeuronGroup(
            n_neurons,
            with_detector(equations),
            threshold=model.threshold,
            refractory=model.refractory,
            method=method,
            namespace=namespace,
            dt=dt,
            name="hh",
            codeobj_class=runtime_codeobj_class(target, fast),
        )
        state = (
            check_initial_state(preset, initial_state) if initial_state else resting_state(preset)
        )
        for name in state_variables:
            setattr(group, name, state[name])
        attach_detector(group, model.refractory)  # after the initial state
        for code in model.updates.values():  # instantaneous gates held over a step
            group.run_regularly(code, when="before_groups", order=-1)
        if constant is not None:
            group.I_inj = constant

        extra = _spike_input_objects(group, inputs, dt) if inputs else []
        indices = record_indices(record, n_neurons)
        recorded_names = recorded_variables(preset, variables)
        state_monitor = StateMonitor(
            group, recorded_names, record=indices, dt=record_step(dt, record_dt)
        )
        spikes = spike_monitor(group)
        network = Network(group, state_monitor, spikes, *extra)
        if check:  # stop at the first sign of a blow-up instead of integrating NaN to the end
            guard = BlowUpGuard(group, network, gates)
            network.add(NetworkOperation(guard.check, dt=max(GUARD_INTERVAL, dt), when="end"))
        started = time.perf_counter()
        try:
            task = f"simulate {preset.name}"
            run_reporting(network, n_steps * dt, progress, task, namespace=namespace)
        except BrianObjectException as exc:
            if not isinstance(exc.__cause__ or exc.__context__, ArithmeticError):
                raise
            # Cython's checked division raises when a blown-up state divides by zero.
            raise SimulationBlowUpError(
                f"{method} with dt = {float(dt / ms):g} ms blew up at t = "
                f"{float(network.t / ms):.6g} ms (preset {preset.name}: division by zero or "
                f"overflow in the state update); {blow_up_advice(method)}"
            ) from None
        wall = time.perf_counter() - started
        check_completed(network, n_steps * dt, "the run", guard if check else None)

        spike_indices, spike_times, step_dv = recorded_spikes(spikes, dt, preset.V_spike)
        traces = {name: getattr(state_monitor, name)[:] for name in recorded_names}
        traces = {k: (v if k == "v" else np.asarray(v)) for k, v in traces.items()}
        result = SimulationResult(
            preset=preset,
            method=method,
            dt=dt,
            t=state_monitor.t[:],
            traces=traces,
            recorded=np.asarray(indices, dtype=int),
            spike_indices=spike_indices,
            spike_times=spike_times,
            n_neurons=n_neurons,
            wall_time=wall,
            info={
                "engine": "brian2",
                "target": target,
                "n_steps": n_steps,
                "fast": target == "cython" and fast_enabled(fast),
                # v's change over each spike's crossing step (bounds the interpolation's
                # sensitivity to round-off: hh_brian.compare.crossval)
                "spike_step_dv": step_dv,
            },
        )
        if check:
            final = {name: np.asarray(getattr(group, name)[:]) for name in state_variables}
            check_finite(result, final)
        return result


def _spike_input_objects(group: NeuronGroup, inputs: RenderedSpikeInputs, dt: Quantity) -> list:
    """Spike generators and synapses that drive *group*'s conductances; sets their
    initial values (arrivals at t = 0)."""
    for name, value in inputs.initial.items():
        setattr(group, name, value)
    objects: list = []
    for j, ((indices, steps), on_pre, weight) in enumerate(
        zip(inputs.schedule, inputs.on_pre, inputs.weights, strict=True)
    ):
        size = int(indices.max()) + 1 if indices.size else 1
        source = SpikeGeneratorGroup(size, indices, steps * dt, dt=dt, name=f"spikes_in{j}")
        synapses = Synapses(
            source, group, on_pre=on_pre, namespace={f"w_in{j}": weight}, dt=dt, name=f"syn_in{j}"
        )
        synapses.connect()
        objects += [source, synapses]
    return objects


def _is_stimuli(current: object) -> bool:
    """True for a list or tuple of stimuli (empty: no injected current)."""
    return isinstance(current, list | tuple) and all(isinstance(s, Stimulus) for s in current)


def check_finite(result: SimulationResult, final_state: dict[str, np.ndarray]) -> None:
    """Raise :class:`SimulationBlowUpError` naming method, dt and time of a blow-up."""
    bad_time = None
    if result.recorded.size:
        bad = np.zeros(result.t.shape, dtype=bool)
        for name in result.traces:
            values = np.asarray(result.traces[name])
            step_bad = ~np.isfinite(values)
            if name != "v":
                step_bad |= (values < -GATE_SLACK) | (values > 1 + GATE_SLACK)
            bad |= step_bad.any(axis=0)
        if bad.any():
            bad_time = result.t[np.argmax(bad)]
    final_bad = any(
        (~np.isfinite(values)).any()
        or (name != "v" and ((values < -GATE_SLACK) | (values > 1 + GATE_SLACK)).any())
        for name, values in final_state.items()
    )
    if bad_time is None and not final_bad:
        return
    when = f"at t = {float(bad_time / ms):.6g} ms" if bad_time is not None else "by the end"
    raise SimulationBlowUpError(
        f"{result.method} with dt = {float(result.dt / ms):g} ms blew up {when} "
        f"(preset {result.preset.name}: NaN/Inf or a gate outside [0, 1]); "
        f"{blow_up_advice(result.method)}"
    )
