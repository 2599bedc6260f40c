"""COBAHH exported to NEURON on 1 and 2 MPI ranks: loop time, speed-up, efficiency (issue 18).

The NEURON rows of ``benchmarks/network_peers.py`` (which imports :func:`neuron_rows`),
also runnable alone (the NEST part of that script takes about an hour):

    python benchmarks/network_neuron.py                       # 4000 and 16000, 1 s, ~10 min
    python benchmarks/network_neuron.py --sizes 4000 --duration-ms 200 --out /tmp/nrn

writes ``<out>.json`` and ``<out>.md`` (default ``benchmarks/results/network_peers_neuron``).

Each case is one ``hh-brian`` export (:func:`hh_brian.network.neuron_run.run_network_neuron`)
of COBAHH with the in-degree fixed as the size grows (64 excitatory and 16 inhibitory
sources per neuron, the benchmark's mean at N = 4000), the synaptic delay one step
(NEURON's MPI needs a positive one; 0.1 ms, as NEST's), Crank-Nicolson at ``--dt-ms``,
launched with ``mpiexec -n K`` (K = 1 and 2).  The loop time is ``ParallelContext.psolve``'s
wall time, the slowest rank's, and ``ParallelContext.wait_time()`` per rank the part of
it spent waiting in the spike exchange; building (sections, 80 NetCons per neuron) is reported
apart.  Speed-up = T(1 rank)/T(K ranks), efficiency = speed-up/K.  The load average is
recorded around every case: the machine's 2 cores are shared, and an MPI rank that has to
share a core waits at every spike exchange (every minimum delay, here every step).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def neuron_case(n: int, seed: int, ranks: int, duration_ms: float, dt_ms: float) -> dict:
    """One NEURON run; the row has the keys of network_peers' hh-brian rows."""
    sys.path.insert(0, str(REPO))
    from brian2 import ms

    from hh_brian.network.cobahh import cobahh_spec, statistics
    from hh_brian.network.neuron_run import run_network_neuron

    spec = cobahh_spec(
        n, seed=seed, connectivity="in_degree", record=0, dt=dt_ms * ms, delay=max(dt_ms, 0.1) * ms
    )
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = run_network_neuron(spec, duration_ms * ms, ranks=ranks)
    stats = statistics(result)
    steps = round(duration_ms / dt_ms)
    return {
        "engine": "neuron",
        "device": f"mpi x{ranks}",
        "ranks": ranks,
        "method": "crank_nicolson",
        "dt_ms": dt_ms,
        "n": n,
        "seed": seed,
        "duration_ms": duration_ms,
        "connectivity": "in_degree",
        "run_s": result.run_time,
        "build_s": result.info["build_s"],
        "exchange_wait_s": result.info["exchange_wait_s"],
        "process_s": time.perf_counter() - started,
        "rate_exc_Hz": stats.rate_exc,
        "rate_inh_Hz": stats.rate_inh,
        "cv_isi_exc": stats.cv_exc,
        "cv_isi_inh": stats.cv_inh,
        "synapses": sum(result.info["synapses"].values()),
        "steps": steps,
        "ns_per_neuron_step": result.run_time / (n * steps) * 1e9,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def neuron_rows(sizes, seeds, duration_ms, ranks=(1, 2), dt_ms: float = 0.1) -> list[dict]:
    """NEURON at every size on each rank count (first seed), with speed-up and efficiency."""
    rows = []
    for n in sizes:
        by_ranks = {}
        for k in ranks:
            row = neuron_case(n, seeds[0], k, duration_ms, dt_ms)
            by_ranks[k] = row
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
        base = by_ranks[min(by_ranks)]
        for k, row in by_ranks.items():
            row["speedup"] = base["run_s"] / row["run_s"]
            row["efficiency"] = row["speedup"] / (k / base["ranks"])
    return rows


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"# COBAHH on NEURON with MPI ({meta['duration_ms']:g} ms simulated)",
        "",
        f"{meta['machine']}; {meta['cpus']} cores shared with other work; load average "
        f"{meta['load_before']} before, {meta['load_after']} after (per case below).  "
        "Fixed in-degree (64 exc + 16 inh sources), delay 0.1 ms, Crank-Nicolson, "
        "`mpiexec -n K` (MPICH).  Loop = slowest rank's `psolve`; build apart.",
        "",
        "| N | ranks | dt [ms] | loop [s] | exchange wait per rank [s] | build [s] "
        "| ns/neuron-step | speed-up | efficiency/rank | exc [Hz] | inh [Hz] "
        "| load before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['ranks']} | {r['dt_ms']:g} | {r['run_s']:.2f} "
            f"| {', '.join(f'{w:.1f}' for w in r['exchange_wait_s'])} | {r['build_s']:.1f} "
            f"| {r['ns_per_neuron_step']:.0f} | {r['speedup']:.2f} | {r['efficiency']:.2f} "
            f"| {r['rate_exc_Hz']:.1f} | {r['rate_inh_Hz']:.1f} "
            f"| {r['load_before']:.1f}/{r['load_after']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,16000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--dt-ms", type=float, default=0.1)
    parser.add_argument("--out", default=str(HERE / "results" / "network_peers_neuron"))
    args = parser.parse_args(argv)
    load_before = [round(x, 2) for x in os.getloadavg()]
    rows = neuron_rows(
        [int(x) for x in args.sizes.split(",")],
        [args.seed],
        args.duration_ms,
        tuple(int(x) for x in args.ranks.split(",")),
        args.dt_ms,
    )
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "duration_ms": args.duration_ms,
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    text = markdown(rows, meta)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
