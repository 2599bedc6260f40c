"""Cost of one step of each method relative to exponential Euler, measured interleaved.

On a shared machine the load changes between measurements, so a ratio of two runs
minutes apart can be off by tens of per cent.  Here every repetition runs each method
once, back to back (each in its own process, ``throughput.py``'s workers), and the
ratio is taken per repetition and as the ratio of the medians.  The default path is
``cpp_standalone`` with hh-brian's fast flags, whose loop timer
(``device._last_run_time``) excludes Brian2's per-``run()`` overhead; ``--impl cython``
measures the runtime-Cython fast path instead (its ``Network.run`` time includes that
overhead).  Protocol: ``throughput.py``'s (Dayan & Abbott, dt = 0.01 ms).

Usage::

    python benchmarks/step_cost.py --json benchmarks/results/step_cost.json

``hh_brian/compare/step_cost.py`` holds the ratios of the committed result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
METHODS = ("exponential_euler", "euler", "rush_larsen2", "rk4")
IMPLS = {"standalone": "brian2_standalone_fast", "cython": "brian2_cython_fast"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--impl", choices=sorted(IMPLS), default="standalone")
    ap.add_argument("--neurons", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=2_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import throughput

    load_before = os.getloadavg()
    ns: dict[str, list[float]] = {m: [] for m in METHODS}
    for rep in range(args.reps):
        for method in METHODS:
            spec = {
                "kind": args.impl,
                "impl": IMPLS[args.impl],
                "method": method,
                "N": args.neurons,
                "steps": args.steps,
                "threads": 1,
                "reps": 1,
                "fast": True,
                "render": True,
            }
            out = throughput.run_worker(spec)
            if out is None:
                raise RuntimeError(f"worker failed: {spec}")
            ns[method].append(1e9 * out["elapsed_runs_s"][0] / (args.neurons * args.steps))
            print(f"rep {rep} {method}: {ns[method][-1]:.2f} ns", file=sys.stderr, flush=True)
    reference = ns["exponential_euler"]
    result = {
        "meta": {
            "impl": IMPLS[args.impl],
            "neurons": args.neurons,
            "steps": args.steps,
            "reps": args.reps,
            "load_average_before_after": [list(load_before), list(os.getloadavg())],
        },
        "ns_per_neuron_step": ns,
        "ratio_of_medians": {
            m: statistics.median(ns[m]) / statistics.median(reference) for m in METHODS
        },
        "ratio_per_rep": {
            m: [a / b for a, b in zip(ns[m], reference, strict=True)] for m in METHODS
        },
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        f"# Cost per step relative to exponential Euler ({IMPLS[args.impl]}, N = "
        f"{args.neurons}, {args.steps} steps, {args.reps} interleaved repetitions)",
        "",
        f"Load average before/after: {result['meta']['load_average_before_after']}.",
        "",
        "| method | median ns / neuron-step | ratio of medians | ratio per repetition |",
        "|---|---|---|---|",
    ]
    for m in METHODS:
        per_rep = ", ".join(f"{r:.2f}" for r in result["ratio_per_rep"][m])
        lines.append(
            f"| {m} | {statistics.median(ns[m]):.2f} | {result['ratio_of_medians'][m]:.2f} | "
            f"{per_rep} |"
        )
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
