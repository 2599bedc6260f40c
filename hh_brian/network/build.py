"""Build a :class:`~hh_brian.network.spec.NetworkSpec` in Brian2 and run it.

:func:`run_network` runs with the runtime device (``cython`` code generation)
or ``cpp_standalone`` (OpenMP threads).  Connectivity is drawn with NumPy from
the spec's seed, so the same spec gives the same synapses on both devices;
Brian2's own random numbers (initial states, Poisson inputs) come from
``brian2.seed(seed)``.  Brian2's preferences, device and random state are set
for the run only (:func:`hh_brian.engines.brian2.settings.brian2_settings`).

The spec, its checks and the monitors' memory estimate are in
:mod:`hh_brian.network.spec`; rates and CVs in :mod:`hh_brian.network.statistics`.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
from brian2 import (
    Network,
    NetworkOperation,
    NeuronGroup,
    Quantity,
    StateMonitor,
    Synapses,
    ms,
    siemens,
)

from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, blow_up_advice
from hh_brian.core.progress import Progress, counting, report
from hh_brian.engines.brian2.compile_notice import GENERATING, run_reporting
from hh_brian.engines.brian2.fastpath import (
    fast_compiler_prefs,
    runtime_codeobj_class,
    standalone_codeobj_class,
)
from hh_brian.engines.brian2.rush_larsen import register_methods
from hh_brian.engines.brian2.settings import brian2_settings, check_completed
from hh_brian.engines.brian2.simulate import GATE_SLACK, GUARD_INTERVAL, BlowUpGuard
from hh_brian.engines.brian2.spikes import (
    attach_detector,
    recorded_spikes,
    spike_monitor,
    with_detector,
)
from hh_brian.models.kinetics import resting_state
from hh_brian.models.synapse_equations import render_synapses, state_variables
from hh_brian.network.build_inputs import drive_objects
from hh_brian.network.names import DEVICES
from hh_brian.network.plan import NetworkPlan, draw_connections
from hh_brian.network.spec import (
    DEFAULT_MEMORY_LIMIT,
    NetworkResult,
    NetworkSpec,
    Population,
    _positive_time,
    _receptor,
    check_monitor_memory,
    validate,
)
from hh_brian.render.brian2 import render


def build_group(
    pop: Population, spec: NetworkSpec, codeobj_class=None, initial: dict | None = None
) -> NeuronGroup:
    """The NeuronGroup of *pop* at its initial state (*initial*: drawn arrays, which win)."""
    model = render(pop.preset, extra_currents=("I_syn",))
    syn = render_synapses(pop.synapses, pop.preset.convention)
    refractory = model.refractory if pop.refractory is None else pop.refractory
    group = NeuronGroup(
        pop.size,
        with_detector(model.equations) + "\n" + syn.equations,
        threshold=model.threshold,
        refractory=refractory,
        method=spec.method,
        namespace={**model.namespace, **syn.namespace},
        dt=spec.dt,
        name=pop.name,
        codeobj_class=codeobj_class,
    )
    rest = resting_state(pop.preset)
    for name in pop.preset.state_variables:
        setattr(group, name, rest[name])
    for s in pop.synapses:
        for variable in state_variables(s):
            setattr(group, variable, 0 * siemens)
    for name, value in pop.initial.items():
        if name not in group.variables:
            raise HHBrianInputError(
                f"population {pop.name!r} initial: unknown variable {name!r}; "
                f"use one of {', '.join(pop.preset.state_variables)} or a conductance"
            )
        setattr(group, name, value)
    for name, value in (initial or {}).items():
        setattr(group, name, value)
    attach_detector(group, refractory)  # after every initial value
    return group


def _build(
    spec: NetworkSpec,
    pops: dict[str, Population],
    codeobj_class=None,
    progress: Progress = None,
    plan: NetworkPlan | None = None,
) -> tuple[Network, dict, dict, dict]:
    register_methods()  # the spec may name hh-brian's own state updaters
    rng = np.random.default_rng(spec.seed)
    groups = {
        name: build_group(pop, spec, codeobj_class, plan.initial[name] if plan else None)
        for name, pop in pops.items()
    }
    objects: list = list(groups.values())
    counts: dict[str, int] = {}
    connections = counting(progress, "building the network: connections", spec.connections)
    for n, c in enumerate(connections):
        receptor = _receptor(pops[c.target], c.receptor, "connection")
        if plan is None:
            i, j = draw_connections(c, pops[c.source].size, pops[c.target].size, rng)
        else:
            i, j = plan.edges[n]
        name = f"syn{n}_{c.source}_{c.target}_{c.receptor}"
        counts[name] = int(i.size)
        if not i.size:  # a small network may draw no synapse at all: no object
            continue
        rendered = render_synapses((receptor,), pops[c.target].preset.convention)
        syn = Synapses(
            groups[c.source],
            groups[c.target],
            on_pre=rendered.on_pre[receptor.label],
            namespace={**rendered.namespace, "w": c.weight},
            delay=c.delay,
            dt=spec.dt,
            name=name,
        )
        syn.connect(i=i, j=j)
        objects.append(syn)
    objects += drive_objects(spec, pops, groups, plan)
    state_monitors = {}
    for m in spec.monitors:
        mon = StateMonitor(
            groups[m.population],
            list(m.variables),
            record=list(m.neurons),
            dt=m.dt if m.dt is not None else spec.dt,
        )
        state_monitors[m.population] = (m, mon)
        objects.append(mon)
    spike_monitors = {}
    if spec.record_spikes:
        spike_monitors = {name: spike_monitor(g) for name, g in groups.items()}
        objects += list(spike_monitors.values())
    network = Network(*objects)
    network.hh_groups = groups  # for the blow-up check after the run
    return network, state_monitors, spike_monitors, counts


def _add_guards(net: Network, spec: NetworkSpec, pops: dict[str, Population]) -> list:
    """A blow-up guard per population, checked every GUARD_INTERVAL (runtime device)."""
    guards = []
    for name, group in net.hh_groups.items():
        guard = BlowUpGuard(group, net, pops[name].preset.gate_names)
        net.add(NetworkOperation(guard.check, dt=max(GUARD_INTERVAL, spec.dt), when="end"))
        guards.append(guard)
    return guards


def _check_blow_up(net: Network, spec: NetworkSpec, pops: dict, guards=()) -> None:
    """Raise SimulationBlowUpError if any population holds NaN/Inf or a gate outside [0, 1]."""
    tripped = [g.tripped_at for g in guards if g.tripped_at is not None]
    bad = []
    for name, group in net.hh_groups.items():
        for variable in ("v", *pops[name].preset.gate_names):
            values = np.asarray(getattr(group, f"{variable}_")[:])
            wrong = ~np.isfinite(values)
            if variable != "v":
                wrong |= (values < -GATE_SLACK) | (values > 1 + GATE_SLACK)
            if wrong.any():
                bad.append(f"{name}.{variable}")
    if not tripped and not bad:
        return
    when = f"at t = {float(min(tripped) / ms):.6g} ms" if tripped else "by the end"
    raise SimulationBlowUpError(
        f"network run: {spec.method} with dt = {float(spec.dt / ms):g} ms blew up {when} "
        f"({', '.join(bad) or 'state'}: NaN/Inf or a gate outside [0, 1]); "
        f"{blow_up_advice(spec.method)}"
    )


def _check_monitor_variables(spec: NetworkSpec, pops: dict[str, Population]) -> None:
    for m in spec.monitors:
        pop = pops[m.population]
        known = {*pop.preset.state_variables, "I_syn"}
        known |= {f"I_{c.name}" for c in pop.preset.channels}
        for s in pop.synapses:
            known |= {f"g_{s.label}", f"I_{s.label}", *state_variables(s)}
            if s.mg_block:
                known.add(f"B_{s.label}")
        bad = [v for v in m.variables if v not in known]
        if bad or not m.variables:
            raise HHBrianInputError(
                f"monitor of {pop.name!r}: unknown variables {bad}; choose from {sorted(known)}"
            )


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
def run_network(
    spec: NetworkSpec,
    duration: Quantity,
    *,
    device: str = "runtime",
    threads: int = 1,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    progress: Progress = None,
    plan: NetworkPlan | None = None,
) -> NetworkResult:
    """Build *spec* and run it for *duration*.

    Parameters
    ----------
    spec : NetworkSpec
    duration : Quantity
    device : {'runtime', 'cpp_standalone'}
        ``runtime`` uses Brian2's cython target; ``cpp_standalone`` builds in a
        temporary folder with *threads* OpenMP threads.  Either way Brian2's
        preferences, device (reinitialised, then reset to the previous one) and
        random state are restored afterwards
        (:func:`~hh_brian.engines.brian2.settings.brian2_settings`), so later runs
        in the same process work.
    threads : int
        OpenMP threads (``cpp_standalone`` only).
    memory_limit : int
        Refuse to run if the monitors' estimate exceeds this many bytes.
    progress : callable, optional
        Receives :class:`~hh_brian.core.progress.Step` reports: connections drawn,
        code generation, compilation (Cython: once per model; ``cpp_standalone``: every
        run builds its project) and, on the runtime device, the simulated time.

    Returns
    -------
    NetworkResult
    """
    if device not in DEVICES:
        raise HHBrianInputError(f"device {device!r}: use one of {', '.join(DEVICES)}")
    if not isinstance(threads, int | np.integer) or threads < 1:
        raise HHBrianInputError(f"threads must be an integer >= 1, got {threads!r}")
    if device == "runtime" and threads != 1:
        raise HHBrianInputError("threads: more than 1 needs device='cpp_standalone'")
    _positive_time(duration, "duration", zero=False)
    pops = validate(spec)
    _check_monitor_variables(spec, pops)
    check_monitor_memory(spec, duration, memory_limit)
    if device == "runtime":
        return _run_runtime(spec, pops, duration, progress, plan)
    return _run_standalone(spec, pops, duration, int(threads), progress, plan)


def _collect(spec, state_monitors, spike_monitors, duration, run_time, total, info):
    traces, trace_t, recorded = {}, {}, {}
    for name, (m, mon) in state_monitors.items():
        traces[name] = {v: Quantity(getattr(mon, v)[:], copy=True) for v in m.variables}
        trace_t[name] = Quantity(mon.t[:], copy=True)
        recorded[name] = np.asarray(m.neurons, dtype=int)
    thresholds = {p.name: p.preset.V_spike for p in spec.populations}
    spikes = {
        name: recorded_spikes(mon, spec.dt, thresholds[name])[:2]
        for name, mon in spike_monitors.items()
    }
    return NetworkResult(
        spikes=spikes,
        traces=traces,
        trace_t=trace_t,
        recorded=recorded,
        sizes={p.name: p.size for p in spec.populations},
        duration=duration,
        run_time=run_time,
        total_time=total,
        info=info,
    )


def _info(spec: NetworkSpec, device: str, threads: int, counts: dict) -> dict[str, object]:
    return {
        "device": device,
        "threads": threads,
        "method": spec.method,
        "dt_ms": float(spec.dt / ms),
        "seed": spec.seed,
        "synapses": counts,
    }


def _run_runtime(spec, pops, duration, progress, plan=None) -> NetworkResult:
    from brian2 import device as current_device

    with brian2_settings(target="cython", seed=spec.seed):
        started = time.perf_counter()
        codeobj = runtime_codeobj_class("cython")
        net, states, spike_mons, counts = _build(spec, pops, codeobj, progress, plan)
        guards = _add_guards(net, spec, pops)
        run_reporting(net, duration, progress, "network run", namespace={})
        _check_blow_up(net, spec, pops, guards)
        check_completed(net, duration, "the network run")
        total = time.perf_counter() - started
        # Private, but Brian2 2.9 has no public record of the time-step loop's duration.
        run_time = float(current_device._last_run_time)
    info = _info(spec, "runtime", 1, counts)
    return _collect(spec, states, spike_mons, duration, run_time, total, info)


def _run_standalone(spec, pops, duration, threads, progress, plan=None) -> NetworkResult:
    from brian2 import device as current_device

    with (
        tempfile.TemporaryDirectory(prefix="hh_brian_standalone_") as folder,
        brian2_settings(
            device="cpp_standalone",
            device_options={"directory": folder, "build_on_run": False},
            seed=spec.seed,
            devices__cpp_standalone__openmp_threads=threads,
        ),
    ):
        started = time.perf_counter()
        codeobj = standalone_codeobj_class()
        net, states, spike_mons, counts = _build(spec, pops, codeobj, progress, plan)
        task = "network run (cpp_standalone)"
        report(progress, task, note=GENERATING)
        net.run(duration, namespace={})
        report(progress, task, note=STANDALONE_BUILD)
        with fast_compiler_prefs():
            current_device.build(directory=folder, compile=True, run=False, debug=False)
        report(progress, task, note=f"running {threads} thread(s)")
        current_device.run(directory=folder, with_output=False, run_args=None)
        report(progress, task, finished=True)
        _check_blow_up(net, spec, pops)
        total = time.perf_counter() - started
        # Private, but Brian2 2.9 has no public record of the time-step loop's duration.
        run_time = float(current_device._last_run_time)
        info = _info(spec, "cpp_standalone", threads, counts)
        return _collect(spec, states, spike_mons, duration, run_time, total, info)


#: The note while a cpp_standalone project compiles.
STANDALONE_BUILD = "compiling the C++ project (cpp_standalone builds anew on every run)"

__all__ = ["DEVICES", "draw_connections", "run_network"]
