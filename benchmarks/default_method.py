"""Which method and dt should be hh-brian's default?  Measured, not assumed (issue 16).

For every built-in cell, under its validation current (repetitive firing over
100 ms, :func:`hh_brian.compare.validation_current.default_current`), every
(method, dt) is run with the Brian2 engine and scored against the gold solution
(scipy DOP853, rtol = atol = 1e-12) by :func:`hh_brian.compare.methods.compare_methods`:
the max spike-time error of the matched spikes, counting a run only if it matched
every gold spike with no extra spike and did not blow up.

For each method, the *largest dt of the list meeting the target on every cell*
(and at every smaller dt of the list too) is its admissible dt.  The cost of a
simulated millisecond is ``ns per neuron-step / dt``, with ns per neuron-step
measured in this run by ``benchmarks/throughput.py``'s fast runtime-Cython worker
(Dayan & Abbott, N = 100 000, median of the repetitions).

A default must also never blow up: at its admissible dt every method is run under
two stress protocols on every cell (ten times the validation current; the
validation current 10 degC warmer, which scales every q10 rate), and its blow-ups
are counted.  The default is the cheapest method per simulated ms among those whose
step cannot blow up at any dt (:data:`hh_brian.core.errors.EXPONENTIAL_METHODS`:
every variable takes an exponential step towards a value in its range); an
explicit method that is cheaper on the validation protocol is reported with its
stress blow-ups.

Usage::

    python benchmarks/default_method.py --json benchmarks/results/default_method.json

Writes the JSON and a Markdown table next to it (``.md``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Candidate time steps (ms), largest first.
DTS_MS = (0.1, 0.05, 0.025, 0.02, 0.01, 0.005, 0.0025, 0.002, 0.001, 0.0005)
METHODS = ("exponential_euler", "euler", "rk4", "rush_larsen2")
#: Max spike-time error (ms) a default must meet on every built-in cell.
TARGET_MS = 0.1
DURATION_MS = 100.0
#: Stress protocols: current factor, warming (degC), duration (ms).
STRESS_CURRENT_FACTOR, STRESS_WARMER_C, STRESS_DURATION_MS = 10.0, 10.0, 50.0
#: Throughput measurement: neurons, steps, repetitions (fast runtime Cython).
COST_N, COST_STEPS, COST_REPS = 100_000, 2_000, 3


def accuracy(preset_name: str) -> dict[str, dict[float, dict]]:
    """{method: {dt_ms: {error_ms, complete, blew_up}}} for one built-in cell."""
    from brian2 import ms

    from hh_brian.compare.methods import compare_methods
    from hh_brian.compare.validation_current import default_current
    from hh_brian.models.presets import get_preset

    preset = get_preset(preset_name)
    comparison = compare_methods(
        preset,
        methods=METHODS,
        dts=[d * ms for d in DTS_MS],
        current=default_current(preset),
        duration=DURATION_MS * ms,
        engines=("brian2",),
    )
    out: dict[str, dict[float, dict]] = {m: {} for m in METHODS}
    for row in comparison.rows:
        complete = bool(row.spikes and row.spikes.complete)
        error = float(row.spike_error_max / ms) if complete else None
        out[row.method][round(float(row.dt / ms), 12)] = {
            "error_ms": error,
            "complete": complete,
            "blew_up": bool(row.blew_up),
            "n_gold": int(comparison.gold.spikes_ms.size),
        }
    return out


def admissible_dt(per_cell: dict[str, dict[float, dict]]) -> float | None:
    """Largest dt (ms) such that it and every smaller dt meet the target on every cell."""
    best = None
    for dt in sorted(DTS_MS):  # smallest first: stop at the first failure
        rows = [cell[dt] for cell in per_cell.values()]
        if all(r["complete"] and r["error_ms"] <= TARGET_MS for r in rows):
            best = dt
        else:
            break
    return best


def stress_blow_ups(method: str, dt_ms: float, cells: list[str]) -> list[str]:
    """``cell: protocol`` for every stress run of *method* at *dt_ms* that blew up."""
    from brian2 import ms

    from hh_brian.compare.validation_current import default_current
    from hh_brian.core.errors import SimulationBlowUpError
    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.models.presets import get_preset

    failed = []
    for cell in cells:
        model = get_preset(cell)
        current = default_current(model)
        warm = model.with_temperature(float(model.parameters["celsius"]) + STRESS_WARMER_C)
        for label, stressed, amplitude in (
            (f"{STRESS_CURRENT_FACTOR:g}x current", model, STRESS_CURRENT_FACTOR * current),
            (f"+{STRESS_WARMER_C:g} degC", warm, current),
        ):
            try:
                simulate(
                    stressed,
                    current=amplitude,
                    duration=STRESS_DURATION_MS * ms,
                    dt=dt_ms * ms,
                    method=method,
                )
            except SimulationBlowUpError:
                failed.append(f"{cell}: {label}")
    return failed


def cost_ns_per_step(method: str) -> float:
    """Median ns per neuron-step of the fast runtime-Cython path (throughput.py's worker)."""
    sys.path.insert(0, str(HERE))
    import throughput

    spec = {
        "kind": "cython",
        "impl": "brian2_cython_fast",
        "method": method,
        "N": COST_N,
        "steps": COST_STEPS,
        "threads": 1,
        "reps": COST_REPS,
        "fast": True,
        "render": True,
    }
    out = throughput.run_worker(spec)
    if out is None:
        raise RuntimeError(f"throughput worker failed for {method}")
    return 1e9 * statistics.median(out["elapsed_runs_s"]) / (COST_N * COST_STEPS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, help="output JSON (a .md table is written beside)")
    ap.add_argument("--cells", help="comma-separated built-in cells (default: all)")
    ap.add_argument(
        "--accuracy-from",
        metavar="JSON",
        help="reuse the accuracy part of an earlier run's JSON (costs and stress are re-measured)",
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))  # this checkout's hh_brian, as throughput.py's workers
    from hh_brian.models.presets import PRESETS

    cells = args.cells.split(",") if args.cells else list(PRESETS)
    started = time.perf_counter()
    per_method: dict[str, dict[str, dict[float, dict]]] = {m: {} for m in METHODS}
    if args.accuracy_from:
        earlier = json.loads(Path(args.accuracy_from).read_text())["errors"]
        per_method = {
            m: {c: {float(k): v for k, v in rows.items()} for c, rows in earlier[m].items()}
            for m in METHODS
        }
        cells = list(per_method[METHODS[0]])
    for cell in [] if args.accuracy_from else cells:
        print(f"accuracy: {cell} ...", file=sys.stderr, flush=True)
        for method, rows in accuracy(cell).items():
            per_method[method][cell] = rows
    costs = {}
    for method in METHODS:
        print(f"cost: {method} ...", file=sys.stderr, flush=True)
        costs[method] = cost_ns_per_step(method)
    from hh_brian.core.errors import EXPONENTIAL_METHODS

    summary = []
    for method in METHODS:
        dt = admissible_dt(per_method[method])
        print(f"stress: {method} at dt = {dt} ms ...", file=sys.stderr, flush=True)
        stress = stress_blow_ups(method, dt, cells) if dt else []
        worst = max(cell[dt]["error_ms"] for cell in per_method[method].values()) if dt else None
        summary.append(
            {
                "method": method,
                "admissible_dt_ms": dt,
                "worst_error_ms": worst,
                "ns_per_neuron_step": costs[method],
                "ns_per_neuron_ms": costs[method] / dt if dt else None,
                "stable_at_any_dt": method in EXPONENTIAL_METHODS,
                "stress_blow_ups": stress,
            }
        )
    ranked = sorted(
        (s for s in summary if s["ns_per_neuron_ms"] and s["stable_at_any_dt"]),
        key=lambda s: s["ns_per_neuron_ms"],
    )
    result = {
        "meta": {
            "target_ms": TARGET_MS,
            "duration_ms": DURATION_MS,
            "dts_ms": DTS_MS,
            "cells": cells,
            "cost": f"fast runtime Cython, Dayan & Abbott, N = {COST_N}, {COST_STEPS} steps, "
            f"median of {COST_REPS}",
            "total_s": time.perf_counter() - started,
        },
        "summary": summary,
        "default": ranked[0]["method"] if ranked else None,
        "errors": {
            m: {c: {str(k): v for k, v in rows.items()} for c, rows in cells_.items()}
            for m, cells_ in per_method.items()
        },
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    path.with_suffix(".md").write_text(markdown(result, per_method))
    print(path.with_suffix(".md").read_text())
    return 0


def markdown(result: dict, per_method: dict) -> str:
    """The summary table and the per-cell errors at each method's admissible dt."""
    cheapest = min(
        (s["ns_per_neuron_ms"] for s in result["summary"] if s["ns_per_neuron_ms"]), default=None
    )
    lines = [
        f"# Default method and dt (target: max spike-time error <= {TARGET_MS} ms on every "
        "built-in cell)",
        "",
        f"Validation current of each cell, {DURATION_MS:g} ms, Brian2 engine, against the gold "
        "solution; a run counts only if it matched every gold spike without extras. Cost: "
        f"{result['meta']['cost']}, measured in this run.",
        "",
        "| method | largest dt meeting the target (ms) | worst cell's error there (ms) | "
        "ns / neuron-step | ns / neuron / simulated ms | relative cost | stable at any dt | "
        "stress blow-ups at that dt |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in result["summary"]:
        dt = s["admissible_dt_ms"]
        if dt is None:
            lines.append(
                f"| {s['method']} | none down to {min(DTS_MS):g} | - | "
                f"{s['ns_per_neuron_step']:.1f} | - | - | - | - |"
            )
            continue
        stable = "yes" if s["stable_at_any_dt"] else "no"
        lines.append(
            f"| {s['method']} | {dt:g} | {s['worst_error_ms']:.3g} | "
            f"{s['ns_per_neuron_step']:.1f} | {s['ns_per_neuron_ms']:.0f} | "
            f"{s['ns_per_neuron_ms'] / cheapest:.1f} | {stable} | "
            f"{'; '.join(s['stress_blow_ups']) or 'none'} |"
        )
    chosen = next(s for s in result["summary"] if s["method"] == result["default"])
    lines += [
        "",
        f"Stress protocols: {STRESS_CURRENT_FACTOR:g}x the validation current, and the "
        f"validation current {STRESS_WARMER_C:g} degC warmer, {STRESS_DURATION_MS:g} ms each.",
        "",
        f"Default: **{result['default']} at dt = {chosen['admissible_dt_ms']:g} ms** (the "
        "cheapest method that cannot blow up at any dt and meets the target on every cell).",
        "",
        "## Max spike-time error (ms) per cell and dt",
        "",
    ]
    cells = result["meta"]["cells"]
    for method in METHODS:
        lines += [
            f"### {method}",
            "",
            "| dt (ms) | " + " | ".join(cells) + " |",
            "|---|" + "---|" * len(cells),
        ]
        for dt in DTS_MS:
            cells_row = []
            for cell in cells:
                r = per_method[method][cell][dt]
                cells_row.append(
                    "blew up"
                    if r["blew_up"]
                    else (f"{r['error_ms']:.3g}" if r["complete"] else "spikes wrong")
                )
            lines.append(f"| {dt:g} | " + " | ".join(cells_row) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
