"""Networks of Hodgkin-Huxley populations with conductance-based synapses.

A network is described by immutable data (:class:`Population`,
:class:`Connection`, :class:`PoissonDrive`, :class:`Monitor`) gathered in a
:class:`NetworkSpec`; :func:`run_network` builds it in Brian2 and runs it with
the runtime device (``cython`` code generation) or ``cpp_standalone`` (OpenMP
threads).  Connectivity is drawn with NumPy from the spec's seed, so the same
spec gives the same synapses on both devices; Brian2's own random numbers
(initial states, Poisson inputs) come from ``brian2.seed(seed)``.

Monitors record chosen neurons and variables, optionally downsampled; their
memory is estimated before anything is built (:func:`estimate_monitor_memory`)
and a run is refused above ``memory_limit``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    Quantity,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    prefs,
    second,
    siemens,
)

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import check_dimensions
from hh_brian.engines.brian2.fastpath import (
    fast_compiler_prefs,
    runtime_codeobj_class,
    standalone_codeobj_class,
)
from hh_brian.models.cell import CellModel as Preset
from hh_brian.models.kinetics import resting_state
from hh_brian.models.synapses import EXPONENTIAL, SynapsePreset, render_synapses, state_variables
from hh_brian.render.brian2 import render

DEVICES = ("runtime", "cpp_standalone")
METHODS = ("exponential_euler", "rk4", "euler")
#: Default ceiling on the monitors' estimated memory (bytes); raise it per run.
DEFAULT_MEMORY_LIMIT = 1 << 30
#: Spike rate assumed when estimating a SpikeMonitor's memory (it cannot be bounded).
SPIKE_RATE_BOUND = 100 * Hz
_BYTES_PER_SPIKE = 12  # int32 index + float64 time
#: PoissonGroup merges coincident events: keep the per-step probability small.
MAX_EVENTS_PER_STEP = 0.1


@dataclass(frozen=True, eq=False)
class Population:
    """A group of identical neurons.

    Attributes
    ----------
    name : str
        Identifier (Brian2 group name), e.g. ``"exc"``.
    preset : Preset
        Needs an ``area`` (absolute synaptic currents): ``preset.with_area(...)``.
    size : int
    synapses : tuple of SynapsePreset
        Receptors on these neurons; connections target them by label.
    initial : Mapping[str, object]
        Initial values (quantities or Brian2 string expressions, e.g.
        ``'E_L + (randn()*5 - 5)*mV'``); unspecified ``v`` and gates start at
        the preset's computed rest, conductances at 0.
    refractory : Quantity or None
        Dead time after a spike; ``None`` means "while above threshold".
    """

    name: str
    preset: Preset
    size: int
    synapses: tuple[SynapsePreset, ...]
    initial: Mapping[str, object] = field(default_factory=dict)
    refractory: Quantity | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise HHBrianInputError(f"population name {self.name!r}: use an identifier, e.g. 'exc'")
        if not isinstance(self.size, int | np.integer) or self.size < 1:
            raise HHBrianInputError(f"population {self.name!r}: size must be an integer >= 1")
        if not self.preset.has_area:
            raise HHBrianInputError(
                f"population {self.name!r}: preset {self.preset.name!r} is per area and cannot "
                "take absolute synaptic currents; give it an area: "
                "preset.with_area(20000*um**2)"
            )
        if self.refractory is not None:
            _positive_time(self.refractory, f"population {self.name!r} refractory", zero=False)


@dataclass(frozen=True, eq=False)
class Connection:
    """Synapses from *source* onto receptor *receptor* of *target*.

    Exactly one of ``p`` (independent with probability p, autapses allowed as
    in Brian2's COBAHH example) and ``in_degree`` (each target neuron draws
    that many distinct sources) is given.
    """

    source: str
    target: str
    receptor: str
    weight: Quantity
    p: float | None = None
    in_degree: int | None = None
    delay: Quantity = field(default_factory=lambda: 0 * ms)

    def __post_init__(self) -> None:
        what = f"connection {self.source}->{self.target}"
        _weight(self.weight, what)
        _positive_time(self.delay, f"{what} delay", zero=True)
        if (self.p is None) == (self.in_degree is None):
            raise HHBrianInputError(f"{what}: give exactly one of p=0.02 or in_degree=64")
        if self.p is not None and not (
            isinstance(self.p, float | int) and np.isfinite(self.p) and 0 <= self.p <= 1
        ):
            raise HHBrianInputError(f"{what}: p must be a probability in [0, 1], got {self.p!r}")
        if self.in_degree is not None and (
            not isinstance(self.in_degree, int | np.integer) or self.in_degree < 0
        ):
            raise HHBrianInputError(
                f"{what}: in_degree must be an integer >= 0, got {self.in_degree!r}"
            )


@dataclass(frozen=True, eq=False)
class PoissonDrive:
    """External Poisson input: *n_inputs* independent sources of *rate* per neuron."""

    target: str
    receptor: str
    n_inputs: int
    rate: Quantity
    weight: Quantity

    def __post_init__(self) -> None:
        what = f"drive onto {self.target}"
        _weight(self.weight, what)
        check_dimensions(self.rate, Hz, what=f"{what} rate", example="'5*Hz'")
        if not float(self.rate) >= 0 or not np.isfinite(float(self.rate)):
            raise HHBrianInputError(f"{what}: rate must be >= 0 and finite, got {self.rate!r}")
        if not isinstance(self.n_inputs, int | np.integer) or self.n_inputs < 1:
            raise HHBrianInputError(f"{what}: n_inputs must be an integer >= 1")


@dataclass(frozen=True, eq=False)
class Monitor:
    """Record *variables* of chosen *neurons* of a population every *dt* (None: every step)."""

    population: str
    variables: tuple[str, ...]
    neurons: tuple[int, ...]
    dt: Quantity | None = None


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """Everything needed to build and run a network."""

    populations: tuple[Population, ...]
    connections: tuple[Connection, ...] = ()
    drives: tuple[PoissonDrive, ...] = ()
    monitors: tuple[Monitor, ...] = ()
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    method: str = "exponential_euler"
    seed: int = 1
    record_spikes: bool = True


@dataclass
class NetworkResult:
    """Spikes, traces and timings of a run (all quantities with units).

    Attributes
    ----------
    spikes : dict
        population -> (indices ndarray, times Quantity).
    traces : dict
        population -> {variable: Quantity of shape (n_recorded, n_samples)}.
    trace_t : dict
        population -> sample times (Quantity).
    recorded : dict
        population -> recorded neuron indices.
    sizes : dict
        population -> number of neurons.
    run_time : float
        Seconds in the simulation loop only (no code generation/compilation).
    total_time : float
        Seconds for build + compile + run.
    info : dict
        Device, threads, method, dt, seed, synapse counts.
    """

    spikes: dict[str, tuple[np.ndarray, Quantity]]
    traces: dict[str, dict[str, Quantity]]
    trace_t: dict[str, Quantity]
    recorded: dict[str, np.ndarray]
    sizes: dict[str, int]
    duration: Quantity
    run_time: float
    total_time: float
    info: dict[str, object]


def _weight(value: object, what: str) -> None:
    check_dimensions(value, siemens, what=f"{what} weight", example="'6*nS'")
    if np.ndim(value) != 0 or not np.isfinite(float(value)) or float(value) < 0:
        raise HHBrianInputError(
            f"{what} weight: expected one conductance >= 0 such as '6*nS', got {value!r}"
        )


def _positive_time(value: object, what: str, *, zero: bool) -> None:
    check_dimensions(value, second, what=what, example="'3*ms'")
    magnitude = float(value)
    if not np.isfinite(magnitude) or magnitude < 0 or (magnitude == 0 and not zero):
        raise HHBrianInputError(f"{what}: must be {'>= 0' if zero else '> 0'}, got {value!r}")


# ---------------------------------------------------------------------------
# Validation and memory
# ---------------------------------------------------------------------------
def _populations(spec: NetworkSpec) -> dict[str, Population]:
    pops = {p.name: p for p in spec.populations}
    if len(pops) != len(spec.populations):
        raise HHBrianInputError("population names must be distinct")
    conventions = {p.preset.convention.name for p in spec.populations}
    conventions |= {s.convention.name for p in spec.populations for s in p.synapses}
    if len(conventions) > 1:
        raise HHBrianInputError(
            f"network mixes voltage conventions {sorted(conventions)}; use one, e.g. convert "
            "synapses with preset.in_convention(...) and use modern-convention neurons"
        )
    return pops


def _lookup(pops: dict[str, Population], name: str, what: str) -> Population:
    if name not in pops:
        raise HHBrianInputError(f"{what}: unknown population {name!r}; known: {', '.join(pops)}")
    return pops[name]


def _receptor(pop: Population, label: str, what: str) -> SynapsePreset:
    for s in pop.synapses:
        if s.label == label:
            return s
    labels = ", ".join(s.label for s in pop.synapses) or "none"
    raise HHBrianInputError(
        f"{what}: population {pop.name!r} has no receptor {label!r} (has: {labels}); "
        "add the synapse preset to Population.synapses"
    )


def validate(spec: NetworkSpec) -> dict[str, Population]:
    """Check cross-references, conventions, dt and method; return populations by name."""
    if spec.method not in METHODS:
        raise HHBrianInputError(f"method {spec.method!r}: use one of {', '.join(METHODS)}")
    _positive_time(spec.dt, "dt", zero=False)
    pops = _populations(spec)
    for c in spec.connections:
        what = f"connection {c.source}->{c.target}"
        src = _lookup(pops, c.source, what)
        _receptor(_lookup(pops, c.target, what), c.receptor, what)
        if c.in_degree is not None and c.in_degree > src.size:
            raise HHBrianInputError(
                f"{what}: in_degree {c.in_degree} exceeds the source size {src.size}; "
                "lower in_degree or enlarge the source"
            )
    for d in spec.drives:
        target = _lookup(pops, d.target, "drive")
        receptor = _receptor(target, d.receptor, "drive")
        if receptor.kinetics != EXPONENTIAL:
            events = float(d.n_inputs * d.rate * spec.dt)
            if events > MAX_EVENTS_PER_STEP:
                raise HHBrianInputError(
                    f"drive onto {d.target}: n_inputs*rate*dt = {events:.3g} > "
                    f"{MAX_EVENTS_PER_STEP} events per step for a bi-exponential receptor; "
                    "lower the rate or dt"
                )
    for m in spec.monitors:
        pop = _lookup(pops, m.population, "monitor")
        bad = [i for i in m.neurons if not 0 <= int(i) < pop.size]
        if bad or not m.neurons:
            raise HHBrianInputError(
                f"monitor of {pop.name!r}: neurons must be a non-empty list in [0, {pop.size - 1}]"
                f", got {list(m.neurons)}"
            )
        if m.dt is not None:
            _positive_time(m.dt, f"monitor of {pop.name!r} dt", zero=False)
    return pops


def estimate_monitor_memory(spec: NetworkSpec, duration: Quantity) -> int:
    """Bytes the monitors will hold after *duration* (spikes at :data:`SPIKE_RATE_BOUND`).

    State monitors: 8 bytes per neuron, variable and sample, plus the sample
    times; spike monitors: 12 bytes per spike at the assumed rate bound.
    """
    total = 0
    for m in spec.monitors:
        step = spec.dt if m.dt is None else max(m.dt, spec.dt)
        samples = int(np.ceil(float(duration / step)))
        total += 8 * samples * (len(m.neurons) * len(m.variables) + 1)
    if spec.record_spikes:
        neurons = sum(p.size for p in spec.populations)
        total += int(_BYTES_PER_SPIKE * neurons * float(SPIKE_RATE_BOUND * duration))
    return total


def check_monitor_memory(spec: NetworkSpec, duration: Quantity, limit: int) -> int:
    """Estimate the monitors' memory and refuse (with a fix) above *limit* bytes."""
    need = estimate_monitor_memory(spec, duration)
    if need > limit:
        raise HHBrianInputError(
            f"monitors would need ~{need / 2**20:.1f} MiB (> limit {limit / 2**20:.1f} MiB); "
            "record fewer neurons or variables, downsample (Monitor dt=1*ms), shorten the run, "
            "or raise the limit (memory_limit=..., --memory-limit MiB)"
        )
    return need


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def draw_connections(
    connection: Connection, n_source: int, n_target: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Presynaptic and postsynaptic indices of one connection (vectorised per chunk)."""
    if connection.in_degree is not None:
        k = int(connection.in_degree)
        sources = np.empty((n_target, k), dtype=np.int32)
        for j in range(n_target):
            sources[j] = rng.choice(n_source, size=k, replace=False)
        return sources.ravel(), np.repeat(np.arange(n_target, dtype=np.int32), k)
    pre, post = [], []
    chunk = max(1, (1 << 22) // max(n_source, 1))
    for start in range(0, n_target, chunk):
        stop = min(n_target, start + chunk)
        j, i = np.nonzero(rng.random((stop - start, n_source)) < connection.p)
        pre.append(i.astype(np.int32))
        post.append((j + start).astype(np.int32))
    return np.concatenate(pre), np.concatenate(post)


def _build_group(pop: Population, spec: NetworkSpec, codeobj_class=None) -> NeuronGroup:
    model = render(pop.preset, extra_currents=("I_syn",))
    syn = render_synapses(pop.synapses, pop.preset.convention)
    refractory = model.refractory if pop.refractory is None else pop.refractory
    group = NeuronGroup(
        pop.size,
        model.equations + "\n" + syn.equations,
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
    return group


def _build(
    spec: NetworkSpec, pops: dict[str, Population], codeobj_class=None
) -> tuple[Network, dict, dict, dict]:
    rng = np.random.default_rng(spec.seed)
    groups = {name: _build_group(pop, spec, codeobj_class) for name, pop in pops.items()}
    objects: list = list(groups.values())
    counts: dict[str, int] = {}
    for n, c in enumerate(spec.connections):
        receptor = _receptor(pops[c.target], c.receptor, "connection")
        rendered = render_synapses((receptor,), pops[c.target].preset.convention)
        syn = Synapses(
            groups[c.source],
            groups[c.target],
            on_pre=rendered.on_pre[receptor.label],
            namespace={**rendered.namespace, "w": c.weight},
            delay=c.delay,
            dt=spec.dt,
            name=f"syn{n}_{c.source}_{c.target}_{c.receptor}",
        )
        i, j = draw_connections(c, pops[c.source].size, pops[c.target].size, rng)
        if i.size:
            syn.connect(i=i, j=j)
        counts[syn.name] = int(i.size)
        objects.append(syn)
    for n, d in enumerate(spec.drives):
        receptor = _receptor(pops[d.target], d.receptor, "drive")
        group = groups[d.target]
        if receptor.kinetics == EXPONENTIAL:
            objects.append(
                PoissonInput(group, f"g_{receptor.label}", d.n_inputs, d.rate, weight=d.weight)
            )
            continue
        rendered = render_synapses((receptor,), pops[d.target].preset.convention)
        source = PoissonGroup(group.N, d.n_inputs * d.rate, dt=spec.dt, name=f"drive{n}")
        syn = Synapses(
            source,
            group,
            on_pre=rendered.on_pre[receptor.label],
            namespace={**rendered.namespace, "w": d.weight},
            dt=spec.dt,
            name=f"drive{n}_syn",
        )
        syn.connect(j="i")
        objects += [source, syn]
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
        spike_monitors = {name: SpikeMonitor(g) for name, g in groups.items()}
        objects += list(spike_monitors.values())
    return Network(*objects), state_monitors, spike_monitors, counts


def _check_monitor_variables(spec: NetworkSpec, pops: dict[str, Population]) -> None:
    for m in spec.monitors:
        pop = pops[m.population]
        known = {
            *pop.preset.state_variables,
            "I_syn",
            *(f"I_{c.name}" for c in pop.preset.channels),
        }
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
) -> NetworkResult:
    """Build *spec* and run it for *duration*.

    Parameters
    ----------
    spec : NetworkSpec
    duration : Quantity
    device : {'runtime', 'cpp_standalone'}
        ``runtime`` uses Brian2's cython target; ``cpp_standalone`` builds in a
        temporary folder with *threads* OpenMP threads and restores the runtime
        device afterwards (``device.reinit()``, ``set_device('runtime')``), so
        later runs in the same process work.
    threads : int
        OpenMP threads (``cpp_standalone`` only).
    memory_limit : int
        Refuse to run if the monitors' estimate exceeds this many bytes.

    Returns
    -------
    NetworkResult
    """
    if device not in DEVICES:
        raise HHBrianInputError(f"device {device!r}: use one of {', '.join(DEVICES)}")
    if not isinstance(threads, int | np.integer) or threads < 1:
        raise HHBrianInputError(f"threads must be an integer >= 1, got {threads!r}")
    if device == "runtime" and threads != 1:
        raise HHBrianInputError("threads > 1 needs device='cpp_standalone' (--device)")
    _positive_time(duration, "duration", zero=False)
    pops = validate(spec)
    _check_monitor_variables(spec, pops)
    check_monitor_memory(spec, duration, memory_limit)
    if device == "runtime":
        return _run_runtime(spec, pops, duration)
    return _run_standalone(spec, pops, duration, int(threads))


def _collect(spec, state_monitors, spike_monitors, duration, run_time, total, info):
    traces, trace_t, recorded = {}, {}, {}
    for name, (m, mon) in state_monitors.items():
        traces[name] = {v: Quantity(getattr(mon, v)[:], copy=True) for v in m.variables}
        trace_t[name] = Quantity(mon.t[:], copy=True)
        recorded[name] = np.asarray(m.neurons, dtype=int)
    spikes = {
        name: (np.asarray(mon.i[:]).copy(), Quantity(mon.t[:], copy=True))
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


def _run_runtime(spec, pops, duration) -> NetworkResult:
    from brian2 import device as current_device
    from brian2 import seed as brian_seed

    previous = prefs.codegen.target
    prefs.codegen.target = "cython"
    try:
        started = time.perf_counter()
        brian_seed(spec.seed)
        net, states, spike_mons, counts = _build(spec, pops, runtime_codeobj_class("cython"))
        net.run(duration, namespace={})
        total = time.perf_counter() - started
        run_time = float(current_device._last_run_time)
        info = _info(spec, "runtime", 1, counts)
        return _collect(spec, states, spike_mons, duration, run_time, total, info)
    finally:
        prefs.codegen.target = previous


def _run_standalone(spec, pops, duration, threads) -> NetworkResult:
    from brian2 import device as current_device
    from brian2 import seed as brian_seed
    from brian2 import set_device

    previous_threads = prefs.devices.cpp_standalone.openmp_threads
    with tempfile.TemporaryDirectory(prefix="hh_brian_standalone_") as folder:
        set_device("cpp_standalone", directory=folder, build_on_run=False)
        prefs.devices.cpp_standalone.openmp_threads = threads
        try:
            started = time.perf_counter()
            brian_seed(spec.seed)
            net, states, spike_mons, counts = _build(spec, pops, standalone_codeobj_class())
            net.run(duration, namespace={})
            with fast_compiler_prefs():
                current_device.build(directory=folder, compile=True, run=True, debug=False)
            total = time.perf_counter() - started
            run_time = float(current_device._last_run_time)
            info = _info(spec, "cpp_standalone", threads, counts)
            return _collect(spec, states, spike_mons, duration, run_time, total, info)
        finally:
            current_device.reinit()
            set_device("runtime")
            prefs.devices.cpp_standalone.openmp_threads = previous_threads


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------
def population_rate(result: NetworkResult, population: str) -> Quantity:
    """Mean firing rate of a population over the run (Hz)."""
    indices, _ = result.spikes[population]
    return indices.size / (result.sizes[population] * result.duration)


def cv_isi(result: NetworkResult, population: str, min_spikes: int = 3) -> float:
    """Mean coefficient of variation of inter-spike intervals over neurons with
    at least *min_spikes* spikes (NaN if none)."""
    indices, times = result.spikes[population]
    t = np.asarray(times / second)
    order = np.lexsort((t, indices))
    idx, t = indices[order], t[order]
    isi = np.diff(t)
    same = idx[1:] == idx[:-1]
    neuron = idx[1:][same]
    isi = isi[same]
    counts = np.bincount(neuron, minlength=result.sizes[population])
    enough = counts >= max(min_spikes - 1, 2)
    if not enough.any():
        return float("nan")
    s1 = np.bincount(neuron, isi, minlength=counts.size)
    s2 = np.bincount(neuron, isi**2, minlength=counts.size)
    n = counts[enough]
    mean = s1[enough] / n
    var = np.maximum(s2[enough] / n - mean**2, 0.0)
    return float(np.mean(np.sqrt(var) / mean))


def population_rate_trace(
    result: NetworkResult, population: str, bin_width: Quantity = 5 * ms
) -> tuple[Quantity, Quantity]:
    """Binned population rate: bin centres and rate (Hz)."""
    _, times = result.spikes[population]
    edges = np.arange(0.0, float(result.duration / second) + 1e-12, float(bin_width / second))
    counts, _ = np.histogram(np.asarray(times / second), bins=edges)
    rate = counts / (result.sizes[population] * float(bin_width / second))
    return 0.5 * (edges[1:] + edges[:-1]) * second, rate * Hz


def spike_counts(result: NetworkResult, population: str) -> np.ndarray:
    """Spikes per neuron."""
    return np.bincount(result.spikes[population][0], minlength=result.sizes[population])


__all__ = [
    "Connection",
    "DEFAULT_MEMORY_LIMIT",
    "Monitor",
    "NetworkResult",
    "NetworkSpec",
    "PoissonDrive",
    "Population",
    "check_monitor_memory",
    "cv_isi",
    "draw_connections",
    "estimate_monitor_memory",
    "population_rate",
    "population_rate_trace",
    "run_network",
    "spike_counts",
]
