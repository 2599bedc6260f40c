"""COBAHH: benchmark 3 of Brette et al. (2007), built from hh-brian presets.

3200 excitatory + 800 inhibitory Traub-Miles neurons (preset ``traub_miles``,
area 20 000 µm², V_T = -63 mV), all-to-all with probability 0.02 (autapses
allowed), exponential conductances (tau_e 5 ms, tau_i 10 ms, E_e 0 mV,
E_i -80 mV, increments 6 nS and 67 nS), no external drive, 1 s at
dt = 0.1 ms (Brian2's default clock), spikes at upward crossings of -20 mV with a
3-ms refractory period.  Initial state as in Brian2's ``examples/COBAHH.py``:
``v = E_L + (randn()*5 - 5)*mV``, ``g_e = (randn()*1.5 + 4)*10*nS``,
``g_i = (randn()*12 + 20)*10*nS`` and gates at 0.

Differences from Brian2's example, none of which changes the model: spikes are
upward crossings (``v > -20*mV and v_before <= -20*mV``, timed by interpolation;
:mod:`hh_brian.engines.brian2.spikes`) rather than Brian2's ``v > -20*mV``, which
counts a spike again if v is still above -20 mV when the 3 ms are over; the two
populations are two NeuronGroups rather than slices of one; connectivity is
drawn with NumPy from the seed (identical on both devices); the linoid rates
use ``exprel``; and every rate carries the temperature factor ``phi`` (= 1).

References
----------
Brette R et al. (2007). J Comput Neurosci 23:349-398, doi:10.1007/s10827-007-0038-6.
Brian2 ``examples/COBAHH.py`` (R. Brette, 2007).

The figure (raster, rates, traces) is drawn by :func:`hh_brian.report.network.plot_network`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, nS, second

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.progress import Progress
from hh_brian.models.presets import get_preset
from hh_brian.models.synapse_library import COBAHH_EXC, COBAHH_INH
from hh_brian.network.build import run_network
from hh_brian.network.names import CONNECTIVITY
from hh_brian.network.spec import (
    DEFAULT_MEMORY_LIMIT,
    Connection,
    Monitor,
    NetworkResult,
    NetworkSpec,
    Population,
)
from hh_brian.network.statistics import cv_isi, population_rate

N_NEURONS = 4000
EXC_FRACTION = 0.8
P_CONNECT = 0.02
DT = 0.1 * ms
REFRACTORY = 3 * ms
#: Engines that run COBAHH: Brian2 (default) and NEURON through the export.
ENGINES = ("brian2", "neuron")
INITIAL = {
    "v": "E_L + (randn()*5 - 5)*mV",
    "g_exc": "(randn()*1.5 + 4)*10*nS",
    "g_inh": "(randn()*12 + 20)*10*nS",
    "m": 0,
    "n": 0,
    "h": 0,
}


def cobahh_spec(
    n_neurons: int = N_NEURONS,
    *,
    seed: int = 1,
    connectivity: str = "probability",
    we: Quantity = 6 * nS,
    wi: Quantity = 67 * nS,
    record: int = 3,
    record_dt: Quantity | None = None,
    method: str = "exponential_euler",
    dt: Quantity = DT,
    delay: Quantity = 0 * ms,
) -> NetworkSpec:
    """The COBAHH network as a :class:`~hh_brian.network.spec.NetworkSpec`.

    Parameters
    ----------
    n_neurons : int
        Total size; 80 % excitatory.
    seed : int
    connectivity : {'probability', 'in_degree'}
        ``probability``: p = 0.02 at every size (the benchmark).
        ``in_degree``: each neuron gets exactly the benchmark's mean in-degree at
        N = 4000 (64 excitatory, 16 inhibitory sources), whatever the size, for
        scaling studies.
    we, wi : Quantity
        Excitatory and inhibitory increments (siemens).
    record : int
        Neurons per population whose v, g_exc and g_inh are recorded (0: none).
    record_dt : Quantity, optional
        Sampling interval of those traces (default: every step).
    method, dt : str, Quantity
        Integration method and time step (the benchmark's: exponential Euler at
        0.1 ms, which misrepresents Traub-Miles cells; rk4 at 0.01 ms is accurate).
    delay : Quantity
        Synaptic delay (0, as in Brian2's example; NEST's minimum is its resolution).
    """
    if not isinstance(n_neurons, int | np.integer) or n_neurons < 5:
        raise HHBrianInputError(f"n_neurons must be an integer >= 5, got {n_neurons!r}")
    if connectivity not in CONNECTIVITY:
        raise HHBrianInputError(f"connectivity {connectivity!r}: use one of {CONNECTIVITY}")
    n_exc = int(round(EXC_FRACTION * n_neurons))
    n_inh = int(n_neurons) - n_exc
    preset = get_preset("traub_miles")
    synapses = (COBAHH_EXC, COBAHH_INH)
    pops = tuple(
        Population(name, preset, size, synapses, INITIAL, refractory=REFRACTORY)
        for name, size in (("exc", n_exc), ("inh", n_inh))
    )
    if connectivity == "probability":
        degree = {"exc": {"p": P_CONNECT}, "inh": {"p": P_CONNECT}}
    else:
        k_exc = int(round(P_CONNECT * EXC_FRACTION * N_NEURONS))
        k_inh = int(round(P_CONNECT * (1 - EXC_FRACTION) * N_NEURONS))
        degree = {"exc": {"in_degree": min(k_exc, n_exc)}, "inh": {"in_degree": min(k_inh, n_inh)}}
    connections = tuple(
        Connection(src, tgt, "exc" if src == "exc" else "inh", w, delay=delay, **degree[src])
        for src, w in (("exc", we), ("inh", wi))
        for tgt in ("exc", "inh")
    )
    monitors = tuple(
        Monitor(name, ("v", "g_exc", "g_inh"), tuple(range(min(record, size))), record_dt)
        for name, size in (("exc", n_exc), ("inh", n_inh))
        if record > 0
    )
    return NetworkSpec(pops, connections, (), monitors, dt=dt, method=method, seed=int(seed))


@dataclass(frozen=True)
class CobahhStatistics:
    """Summary of a run: rates (Hz), mean CV of ISIs, and timings (s)."""

    rate_exc: float
    rate_inh: float
    cv_exc: float
    cv_inh: float
    run_time: float
    total_time: float

    def as_dict(self) -> dict[str, float]:
        """Keys name their units."""
        return {
            "rate_exc_Hz": self.rate_exc,
            "rate_inh_Hz": self.rate_inh,
            "cv_isi_exc": self.cv_exc,
            "cv_isi_inh": self.cv_inh,
            "run_time_s": self.run_time,
            "total_time_s": self.total_time,
        }


def statistics(result: NetworkResult) -> CobahhStatistics:
    """Population rates and CVs of a COBAHH run."""
    return CobahhStatistics(
        rate_exc=float(population_rate(result, "exc") / (1 / second)),
        rate_inh=float(population_rate(result, "inh") / (1 / second)),
        cv_exc=cv_isi(result, "exc"),
        cv_inh=cv_isi(result, "inh"),
        run_time=result.run_time,
        total_time=result.total_time,
    )


def run_cobahh(
    n_neurons: int = N_NEURONS,
    duration: Quantity = 1 * second,
    *,
    seed: int = 1,
    device: str = "runtime",
    threads: int = 1,
    connectivity: str = "probability",
    record: int = 3,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    method: str = "exponential_euler",
    dt: Quantity = DT,
    delay: Quantity = 0 * ms,
    progress: Progress = None,
    engine: str = "brian2",
    ranks: int | None = None,
) -> tuple[NetworkResult, CobahhStatistics]:
    """Run COBAHH and summarise it; see :func:`cobahh_spec` and
    :func:`hh_brian.network.build.run_network`.

    ``engine="neuron"`` exports the network to NEURON instead
    (:func:`hh_brian.network.neuron_run.run_network_neuron`: serially, or on *ranks* MPI
    processes; it needs ``delay >= dt``); *device* and *threads* are Brian2's.
    """
    if engine not in ENGINES:
        raise HHBrianInputError(f"engine {engine!r}: use one of {', '.join(ENGINES)}")
    if ranks is not None and engine != "neuron":
        raise HHBrianInputError("ranks: MPI ranks need engine='neuron'")
    spec = cobahh_spec(
        n_neurons,
        seed=seed,
        connectivity=connectivity,
        record=record,
        method=method,
        dt=dt,
        delay=delay,
    )
    if engine == "neuron":
        from hh_brian.network.neuron_run import run_network_neuron

        result = run_network_neuron(
            spec, duration, ranks=ranks, memory_limit=memory_limit, progress=progress
        )
        return result, statistics(result)
    result = run_network(
        spec,
        duration,
        device=device,
        threads=threads,
        memory_limit=memory_limit,
        progress=progress,
    )
    return result, statistics(result)


def result_arrays(result: NetworkResult, stats: CobahhStatistics) -> dict[str, object]:
    """NPZ payload: every key names its unit."""
    arrays: dict[str, object] = {}
    for pop, (indices, times) in result.spikes.items():
        arrays[f"{pop}_spike_indices"] = indices
        arrays[f"{pop}_spike_times_ms"] = np.asarray(times / ms)
    for pop, traces in result.traces.items():
        arrays[f"{pop}_trace_t_ms"] = np.asarray(result.trace_t[pop] / ms)
        arrays[f"{pop}_recorded_indices"] = result.recorded[pop]
        arrays[f"{pop}_v_mV"] = np.asarray(traces["v"] / mV)
        for g in ("g_exc", "g_inh"):
            arrays[f"{pop}_{g}_nS"] = np.asarray(traces[g] / nS)
    for key, value in stats.as_dict().items():
        arrays[key] = np.float64(value)
    return arrays


__all__ = ["CobahhStatistics", "cobahh_spec", "run_cobahh", "statistics"]
