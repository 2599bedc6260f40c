"""Run a network spec in NEURON: serially in this process or on MPI ranks (one call).

See :mod:`hh_brian.network.neuron_build` for what the export needs and how it maps the
spec; :func:`run_network_neuron` returns the same
:class:`~hh_brian.network.spec.NetworkResult` as :func:`hh_brian.network.build.run_network`.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, mV, siemens

from hh_brian.core.progress import Progress, report
from hh_brian.network.neuron_build import (
    SCHEMES,
    SECONDORDER,
    _library,
    mechanism_texts,
    neuron_problems,
    payload,
)
from hh_brian.network.plan import NetworkPlan
from hh_brian.network.spec import (
    DEFAULT_MEMORY_LIMIT,
    NetworkResult,
    NetworkSpec,
    _positive_time,
    check_monitor_memory,
)

TASK = "network run (NEURON)"


def run_network_neuron(
    spec: NetworkSpec,
    duration: Quantity,
    *,
    ranks: int | None = None,
    plan: NetworkPlan | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    progress: Progress = None,
    fail_rank: int | None = None,
) -> NetworkResult:
    """Export *spec* to NEURON and run it for *duration*.

    Parameters
    ----------
    spec : NetworkSpec
        Every connection delay a whole number of steps >= dt (NEURON's MPI needs a
        positive minimum delay); one temperature.
    duration : Quantity
    ranks : int, optional
        ``None``: one NEURON process without MPI.  ``K >= 1``: ``mpiexec -n K`` processes, cells
        dealt round robin by global id, spikes and traces gathered on rank 0.
    plan : NetworkPlan, optional
        The drawn initial state, edges and trains (default: drawn from the spec's seed by
        :func:`hh_brian.network.drawn.draw_plan`); give the same plan to
        :func:`hh_brian.network.build.run_network` to run Brian2 on the same network.
    memory_limit : int
        Refuse monitors above this many bytes.
    progress : callable, optional
    fail_rank : int, optional
        Make that rank fail (for testing how a dead rank stops the run).

    Returns
    -------
    NetworkResult
        Spike times are hh-brian's interpolated crossings; ``info`` names the engine,
        ranks and NEURON scheme.

    Raises
    ------
    HHBrianInputError
        Bad ranks, a delay below dt, MPI missing (the message names the package).
    SimulatorCannotExpress
        A model or synapse preset NEURON cannot express, or mixed temperatures.
    RankFailedError
        A rank died: its own error; nothing was returned.
    """
    from hh_brian.engines.simulators import require
    from hh_brian.engines.simulators.neuron_mpi import check_ranks, mpi_problem
    from hh_brian.network.drawn import draw_plan

    require("neuron", "neuron==9.0.2", "neuron")  # SimulatorNotInstalled, with the pip line
    started = time.perf_counter()
    _positive_time(duration, "duration", zero=False)
    if ranks is not None:
        ranks = check_ranks(ranks)
    neuron_problems(spec)
    check_monitor_memory(spec, duration, memory_limit)
    if ranks is not None:
        from hh_brian.core.errors import HHBrianInputError

        problem = mpi_problem()
        if problem is not None:
            raise HHBrianInputError(problem)
    report(progress, TASK, note="drawing the network")
    if plan is None:
        plan = draw_plan(spec, duration)
    report(progress, TASK, note="compiling the NMODL mechanisms (nrnivmodl, cached)")
    texts, pp_names = mechanism_texts(spec)
    library = _library(texts)
    meta, arrays = payload(spec, plan, duration, library, pp_names)
    meta["fail_rank"] = fail_rank
    report(progress, TASK, note=f"running on {ranks or 1} rank(s)")
    out = _launch(meta, arrays, ranks)
    report(progress, TASK, finished=True)
    return _result(spec, duration, out, plan, time.perf_counter() - started, ranks)


def _launch(meta: dict, arrays: dict, ranks: int | None) -> dict:
    """Run the worker in its own process (``ranks=None``) or under ``mpiexec -n ranks``."""
    from hh_brian.engines.simulators.neuron_mpi import launch

    with tempfile.TemporaryDirectory(prefix="hh_brian_neuron_") as folder:
        source, out = Path(folder) / "payload.npz", Path(folder) / "out.npz"
        np.savez(source, meta_json=np.array(json.dumps(meta)), **arrays)
        launch(source, out, ranks)
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def _result(spec, duration, out, plan, total, ranks) -> NetworkResult:
    spikes, traces, trace_t, recorded = {}, {}, {}, {}
    for pop in spec.populations:
        spikes[pop.name] = (
            np.asarray(out[f"{pop.name}_spike_indices"], dtype=np.int32),
            np.asarray(out[f"{pop.name}_spike_times_ms"], dtype=float) * ms,
        )
    for m in spec.monitors:
        pop = next(p for p in spec.populations if p.name == m.population)
        trace_t[m.population] = np.asarray(out[f"{m.population}_trace_t_ms"]) * ms
        recorded[m.population] = np.asarray(m.neurons, dtype=int)
        traces[m.population] = {}
        for v in m.variables:
            values = np.asarray(out[f"{m.population}_{v}"], dtype=float)
            if v == "v":
                quantity = pop.preset.convention.from_modern(values * mV)
            elif v.startswith("g_"):
                quantity = values * 1e-6 * siemens
            else:
                quantity = Quantity(values)
            traces[m.population][v] = quantity
    refractory = {p.name: str(p.refractory) for p in spec.populations if p.refractory is not None}
    info = {
        "engine": "neuron",
        "ranks": int(out["ranks"]),
        "mpi": ranks is not None,
        "scheme": SCHEMES[SECONDORDER],
        "method": f"NEURON {SCHEMES[SECONDORDER]}",
        "device": f"NEURON, {int(out['ranks'])} MPI rank(s)" if ranks else "NEURON, 1 process",
        "dt_ms": float(spec.dt / ms),
        "seed": spec.seed,
        "synapses": {
            f"syn{n}_{c.source}_{c.target}_{c.receptor}": int(plan.edges[n][0].size)
            for n, c in enumerate(spec.connections)
        },
        "build_s": float(out["build_s"]),
        "exchange_wait_s": [float(w) for w in np.atleast_1d(out["wait_s"])],
        "refractory_not_applied": refractory,
    }
    return NetworkResult(
        spikes=spikes,
        traces=traces,
        trace_t=trace_t,
        recorded=recorded,
        sizes={p.name: p.size for p in spec.populations},
        duration=duration,
        run_time=float(out["loop_s"]),
        total_time=total,
        info=info,
    )


__all__ = ["run_network_neuron"]
