"""Cost of channel noise per neuron-step, as a ratio to the deterministic run on the same engine.

Markov noise (NumPy engine, :mod:`hh_brian.noise.markov`) against the NumPy engine's
deterministic exponential Euler; Langevin noise (Brian2 runtime Cython, stochastic
heun, :mod:`hh_brian.noise.brian2_run`) against Brian2's deterministic ``euler`` (heun's
drift) and ``rush_larsen2`` (the default).  Dayan & Abbott squid model, 100 um**2
(6000 Na+, 1800 K+ channels), zero current, dt = 0.01 ms, no traces recorded (spikes
only).  Each repetition runs every variant back to back in this process (compiled code
warmed up first) and the ratio is taken per repetition; the table shows medians.
Times are the integration loop (Brian2: ``Network.run``, so its per-run overhead of
~0.2-0.4 s is included and matters at N = 1k).

Usage::

    python benchmarks/channel_noise.py --json benchmarks/results/channel_noise.json \\
        --markdown benchmarks/results/channel_noise.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: (neurons, steps of the NumPy runs, steps of the Brian2 runs)
SIZES = ((1_000, 1_000, 2_000), (100_000, 30, 300))


def measure(n: int, np_steps: int, b2_steps: int) -> dict[str, float]:
    """ns per neuron-step of every variant at *n* neurons."""
    from brian2 import ms, nA, umetre

    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.engines.reference_bridge import simulate_reference
    from hh_brian.models.library import get_model
    from hh_brian.noise.brian2_run import simulate_sde
    from hh_brian.noise.markov import simulate_markov

    model = get_model("dayan_abbott").with_area(100 * umetre**2)
    dt = 0.01 * ms
    out = {}
    started = time.perf_counter()
    simulate_reference(
        model, current=0 * nA, duration=np_steps * dt, n_neurons=n, record=[],
        method="exponential_euler",
    )  # fmt: skip
    out["numpy_deterministic"] = time.perf_counter() - started
    run = simulate_markov(
        model, current=0 * nA, duration=np_steps * dt, n_neurons=n, record=[], seed=1
    )
    out["numpy_markov"] = run.wall_time
    for method in ("euler", "rush_larsen2"):
        run = simulate(
            model, current=0 * nA, duration=b2_steps * dt, n_neurons=n, record=[0],
            method=method, check=False,
        )  # fmt: skip
        out[f"brian2_{method}"] = run.wall_time
    run = simulate_sde(
        model, kind="langevin", current=0 * nA, duration=b2_steps * dt, n_neurons=n,
        record=[0], seed=1,
    )  # fmt: skip
    out["brian2_langevin"] = run.wall_time
    return {
        k: 1e9 * v / (n * (np_steps if k.startswith("numpy") else b2_steps)) for k, v in out.items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--markdown")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    load_before = os.getloadavg()
    measure(100, 10, 10)  # compile and warm every variant
    results = {}
    for n, np_steps, b2_steps in SIZES:
        reps = [measure(n, np_steps, b2_steps) for _ in range(args.reps)]
        ns = {k: [r[k] for r in reps] for k in reps[0]}
        ratio = {
            "markov_over_numpy_deterministic": [
                r["numpy_markov"] / r["numpy_deterministic"] for r in reps
            ],
            "langevin_over_brian2_euler": [r["brian2_langevin"] / r["brian2_euler"] for r in reps],
            "langevin_over_brian2_rush_larsen2": [
                r["brian2_langevin"] / r["brian2_rush_larsen2"] for r in reps
            ],
        }
        results[str(n)] = {
            "steps_numpy": np_steps,
            "steps_brian2": b2_steps,
            "ns_per_neuron_step": ns,
            "ratio_per_rep": ratio,
            "ratio_median": {k: statistics.median(v) for k, v in ratio.items()},
        }
        print(n, results[str(n)]["ratio_median"], file=sys.stderr, flush=True)
    payload = {
        "meta": {
            "model": "dayan_abbott, area 100 um**2 (6000 Na+, 1800 K+ channels)",
            "dt_ms": 0.01,
            "reps": args.reps,
            "load_average_before_after": [list(load_before), list(os.getloadavg())],
        },
        "results": results,
    }
    Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(payload), encoding="utf-8")
    return 0


def markdown(payload: dict) -> str:
    lines = [
        "# Channel noise: cost per neuron-step (median of "
        f"{payload['meta']['reps']} interleaved repetitions)",
        "",
        f"Model: {payload['meta']['model']}; dt = 0.01 ms; load average before/after "
        f"{payload['meta']['load_average_before_after']}.",
        "",
        "| N | NumPy det. (ns) | Markov (ns) | Markov / det. | Brian2 euler (ns) | "
        "Brian2 rush_larsen2 (ns) | Langevin heun (ns) | Langevin / euler | "
        "Langevin / rush_larsen2 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in payload["results"].items():
        med = {k: statistics.median(v) for k, v in r["ns_per_neuron_step"].items()}
        ratio = r["ratio_median"]
        lines.append(
            f"| {int(n):,} | {med['numpy_deterministic']:.0f} | {med['numpy_markov']:.0f} | "
            f"{ratio['markov_over_numpy_deterministic']:.1f}x | {med['brian2_euler']:.0f} | "
            f"{med['brian2_rush_larsen2']:.0f} | {med['brian2_langevin']:.0f} | "
            f"{ratio['langevin_over_brian2_euler']:.1f}x | "
            f"{ratio['langevin_over_brian2_rush_larsen2']:.1f}x |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
