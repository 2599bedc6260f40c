"""COBAHH benchmark: wall time of the simulation loop (compilation excluded).

Part 1: 4000 neurons, 1 s, runtime (cython), cpp_standalone with 1 and 2 OpenMP
threads.  Part 2: scaling 1k -> 16k neurons at a fixed in-degree (64 exc + 16 inh
sources per neuron), runtime and cpp_standalone (1 thread).  Each time is also
given as a ratio to the single-neuron C-limit of FACTS.md (~25 ns per neuron-step,
gcc -O3 -ffast-math, 1 thread, HH without synapses) x neurons x steps: a lower
bound that ignores synaptic propagation.

    python benchmarks/network_cobahh.py [--quick] [--out benchmarks/results/network_cobahh]

writes ``<out>.json`` and ``<out>.md``.  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from brian2 import ms, second

from hh_brian.core.output import write_text_atomic
from hh_brian.network.cobahh import run_cobahh

C_LIMIT_NS = 25.0  # ns per neuron-step, FACTS.md (measured 2026-11-25, 2 cores)
DT_MS = 0.1


def _case(label, n, duration, device, threads, connectivity):
    result, stats = run_cobahh(
        n, duration, device=device, threads=threads, connectivity=connectivity, record=0, seed=1
    )
    steps = round(float(duration / ms) / DT_MS)
    c_limit = C_LIMIT_NS * 1e-9 * n * steps
    row = {
        "case": label,
        "n_neurons": n,
        "duration_s": float(duration / second),
        "device": device,
        "threads": threads,
        "connectivity": connectivity,
        "synapses": sum(result.info["synapses"].values()),
        "run_time_s": stats.run_time,
        "total_time_s": stats.total_time,
        "ns_per_neuron_step": stats.run_time / (n * steps) * 1e9,
        "ratio_to_c_limit": stats.run_time / c_limit,
        "rate_exc_Hz": stats.rate_exc,
        "rate_inh_Hz": stats.rate_inh,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s runs, scaling to 8k")
    parser.add_argument("--out", default="benchmarks/results/network_cobahh")
    args = parser.parse_args()
    duration = (0.2 if args.quick else 1.0) * second
    rows = [
        _case("4000 runtime", 4000, duration, "runtime", 1, "probability"),
        _case("4000 standalone 1t", 4000, duration, "cpp_standalone", 1, "probability"),
        _case("4000 standalone 2t", 4000, duration, "cpp_standalone", 2, "probability"),
    ]
    sizes = (1000, 2000, 4000, 8000) if args.quick else (1000, 2000, 4000, 8000, 16000)
    for n in sizes:
        for device in ("runtime", "cpp_standalone"):
            rows.append(_case(f"scaling {n} {device}", n, duration, device, 1, "in_degree"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "python": platform.python_version(), "rows": rows}
    write_text_atomic(out.with_suffix(".json"), json.dumps(meta, indent=1))
    header = (
        "| case | N | device | threads | synapses | run [s] | ns/neuron-step | x C-limit "
        "| exc [Hz] |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['case']} | {r['n_neurons']} | {r['device']} | {r['threads']} | {r['synapses']} "
        f"| {r['run_time_s']:.2f} | {r['ns_per_neuron_step']:.0f} | {r['ratio_to_c_limit']:.1f} "
        f"| {r['rate_exc_Hz']:.1f} |"
        for r in rows
    ]
    text = (
        f"# COBAHH benchmark ({duration}, dt = {DT_MS} ms)\n\nLoop time only, compilation "
        f"excluded. C-limit: {C_LIMIT_NS} ns/neuron-step (FACTS.md).\n\n" + header
    )
    write_text_atomic(out.with_suffix(".md"), text + "\n".join(lines) + "\n")
    print(text + "\n".join(lines))


if __name__ == "__main__":
    main()
