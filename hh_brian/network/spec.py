"""Networks as immutable data: populations, connections, drives, monitors, checked.

A network is described by :class:`Population`, :class:`Connection`,
:class:`PoissonDrive` and :class:`Monitor`, gathered in a :class:`NetworkSpec`;
:func:`validate` checks its cross-references, and :func:`check_monitor_memory`
refuses monitors above a memory limit before anything is built.
:mod:`hh_brian.network.build` builds and runs it in Brian2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Quantity, ms, second, siemens

from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import check_dimensions
from hh_brian.models.presets import Preset
from hh_brian.models.synapse_preset import EXPONENTIAL, SynapsePreset

METHODS = ("rush_larsen2", "exponential_euler", "rk4", "euler")
#: Default ceiling on the monitors' estimated memory (bytes); raise it per run.
DEFAULT_MEMORY_LIMIT = 1 << 30
#: Spike rate assumed when estimating a SpikeMonitor's memory (it cannot be bounded).
SPIKE_RATE_BOUND = 100 * Hz
_BYTES_PER_SPIKE = 28  # int32 index + float64 time + float64 v and v_before (interpolation)
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
        Dead time after a spike, on top of the crossing rule; ``None``: refractory while
        above threshold only.  Either way a spike is an upward crossing of ``V_spike``
        and the neuron re-arms when back at or below it (:mod:`hh_brian.core.crossings`).
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
    method: str = DEFAULT_METHOD
    seed: int = 1
    record_spikes: bool = True


@dataclass
class NetworkResult:
    """Spikes, traces and timings of a run (all quantities with units).

    Attributes
    ----------
    spikes : dict
        population -> (indices ndarray, times Quantity), times the interpolated
        threshold crossings, sorted.
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
    times; spike monitors: 28 bytes per spike at the assumed rate bound (index, time, and
    the two potentials the crossing time is interpolated from).
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
            "or raise the limit (memory_limit)"
        )
    return need


__all__ = [
    "Connection",
    "DEFAULT_MEMORY_LIMIT",
    "METHODS",
    "Monitor",
    "NetworkResult",
    "NetworkSpec",
    "PoissonDrive",
    "Population",
    "check_monitor_memory",
    "estimate_monitor_memory",
    "validate",
]
