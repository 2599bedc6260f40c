"""Throughput benchmark: ns per neuron-step of every HH implementation vs a C loop.

GitHub issue 8. Protocol (FACTS.md, "Performance anchors"): Dayan & Abbott HH,
dt = 0.01 ms, neuron i gets the constant current i/N * 0.2 uA/mm^2, V = -65 mV
and the gates at x_inf(-65 mV), spike counter at -20 mV (upward crossings).

Implementations (each in its own process, one after the other, so that runs
do not interfere):

* ``c_loop``: benchmarks/c_reference/hh_expeuler.c, built here with
  ``gcc -O3 -march=native -ffast-math -fopenmp`` (and ``c_loop_nofastmath``
  without ``-ffast-math``); times its own integration loop (clock_gettime).
* ``numpy_reference``: ``hh_brian.reference.count_spikes`` (in-place
  exponential Euler), timed around the call; it includes its blow-up guard,
  which is checked every 100 steps here.
* ``brian2_cython``: runtime mode; ``net.run`` wall time after a warm-up run of
  one step that triggers the compilation and a ``restore()``. This includes
  Brian2's per-``run()`` overhead (code objects are rebuilt: ~0.1-0.4 s), which
  the step counts below keep small relative to the loop.
* ``brian2_standalone`` (and ``brian2_standalone_fast``, with
  :data:`fastpath_prototype.FAST_GCC_ARGS`): built in its own temporary
  directory; the time is ``Network::_last_run_time``, which the generated
  ``main`` measures around the loop over time steps (Brian2 writes it to
  ``results/last_run_info.txt`` and exposes it as ``device._last_run_time``).
  It excludes process start, array loading and writing results.

Spike counts: identical schemes must agree exactly with the C loop of the same
scheme; the NumPy reference counts ``v >= -20`` rather than ``v > -20``, which
only matters if a value lands exactly on -20 mV.

Usage::

    python benchmarks/throughput.py --json out.json --quick   # < 3 min, 1 rep
    python benchmarks/throughput.py --json out.json           # median of 3

Writes out.json (one record per impl, method, N, threads), out.md (a table)
and out.png (ns/neuron-step by implementation and N, log axes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
C_SOURCE = HERE / "c_reference" / "hh_expeuler.c"

#: Steps per population size: full protocol and --quick.
STEPS_FULL = {1_000: 5_000, 10_000: 2_000, 100_000: 500}
STEPS_QUICK = {1_000: 1_000, 10_000: 300, 100_000: 150}
THREADS = (1, 2)
METHODS = ("exponential_euler", "rk4")
C_FLAGS_FAST = ["-O3", "-march=native", "-ffast-math", "-fopenmp"]
C_FLAGS_NOFAST = ["-O3", "-march=native", "-fopenmp"]
#: Spike counts of different schemes: allowed relative difference.
CROSS_SCHEME_MARGIN = 0.01


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- C
def build_c(workdir: Path) -> dict[tuple[str, bool], tuple[Path, float]]:
    """Compile the four C variants; return {(method, fastmath): (binary, seconds)}."""
    out = {}
    for method in METHODS:
        for fast in (True, False):
            exe = workdir / f"hh_{method}_{'fast' if fast else 'nofast'}"
            cmd = ["gcc", *(C_FLAGS_FAST if fast else C_FLAGS_NOFAST)]
            if method == "rk4":
                cmd.append("-DHH_RK4")
            cmd += [str(C_SOURCE), "-o", str(exe), "-lm"]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            out[(method, fast)] = (exe, time.perf_counter() - t0)
    return out


def run_c(exe: Path, n: int, steps: int, threads: int) -> dict:
    res = subprocess.run(
        [str(exe), str(n), str(steps), str(threads)], check=True, capture_output=True, text=True
    )
    return json.loads(res.stdout)


# ------------------------------------------------------------------ workers
def worker_numpy(method: str, n: int, steps: int) -> dict:
    import numpy as np

    from hh_brian.reference import ReferenceModel, count_spikes

    # per cm^2 (the reference engine's units): D&A per mm^2 values x 100
    model = ReferenceModel(
        g_Na=120.0,
        g_K=36.0,
        g_L=0.3,
        E_Na=50.0,
        E_K=-77.0,
        E_L=-54.387,
        C_m=1.0,
        kinetics="dayan_abbott",
    )
    sys.path.insert(0, str(HERE))
    from brian_model import initial_gates

    gates = initial_gates()
    y0 = np.empty((4, n))  # (V, n, m, h)
    y0[0], y0[1], y0[2], y0[3] = -65.0, gates["n"], gates["m"], gates["h"]
    i_inj = np.arange(n) / n * 20.0  # uA/cm^2 = 0.2 uA/mm^2
    t0 = time.perf_counter()
    counts = count_spikes(
        model, y0, 0.01, steps, method=method, i_inj=i_inj, threshold=-20.0, check_every=100
    )
    elapsed = time.perf_counter() - t0
    return {"elapsed_s": elapsed, "spikes": int(counts.sum()), "compile_s": 0.0}


def _brian_setup(fast_exprel: bool, use_render: bool = True):
    sys.path.insert(0, str(HERE))
    import brian_model as bm

    eqs, ns, source = bm.equations(use_render)
    if fast_exprel:
        import fastpath_prototype as fp

        eqs = eqs.replace("exprel(", "fast_exprel(")
        ns["fast_exprel"] = fp.fast_exprel()
    return bm, eqs, ns, source


def worker_cython(method: str, n: int, steps: int, fast: bool, use_render: bool) -> dict:
    import brian2 as b2

    bm, eqs, ns, source = _brian_setup(fast, use_render)
    if fast:
        import fastpath_prototype as fp

        fp.apply_fast_cpp_prefs(b2.prefs)
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = bm.DT_MS * b2.ms
    group, mon = bm.build_group(n, method, eqs, ns)
    net = b2.Network(group, mon)
    net.store()
    t0 = time.perf_counter()
    net.run(b2.defaultclock.dt)  # compiles (or loads from the cache)
    compile_s = time.perf_counter() - t0
    net.restore()
    t0 = time.perf_counter()
    net.run(steps * b2.defaultclock.dt)
    elapsed = time.perf_counter() - t0
    return {
        "elapsed_s": elapsed,
        "spikes": int(mon.num_spikes),
        "compile_s": compile_s,
        "equations": source,
    }


def worker_standalone(
    method: str, n: int, steps: int, threads: int, fast: bool, use_render: bool
) -> dict:
    import brian2 as b2

    bm, eqs, ns, source = _brian_setup(False, use_render)
    if fast:
        import fastpath_prototype as fp

        fp.apply_fast_cpp_prefs(b2.prefs)
    directory = tempfile.mkdtemp(prefix="hh_standalone_")
    try:
        b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0 if threads == 1 else threads
        b2.defaultclock.dt = bm.DT_MS * b2.ms
        group, mon = bm.build_group(n, method, eqs, ns)
        b2.run(steps * b2.defaultclock.dt)
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False)
        compile_s = time.perf_counter() - t0
        b2.device.run(directory=directory, with_output=False, run_args=None)
        return {
            "elapsed_s": float(b2.device._last_run_time),
            "spikes": int(mon.num_spikes),
            "compile_s": compile_s,
            "equations": source,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_worker(spec: dict, timeout: float = 900) -> dict | None:
    """Run one measurement in a fresh Python process; None on failure."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        log(f"  timeout: {spec}")
        return None
    if res.returncode != 0:
        log(f"  failed: {spec}\n{res.stderr[-2000:]}")
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def worker_main(spec: dict) -> None:
    kind = spec["kind"]
    if kind == "numpy":
        out = worker_numpy(spec["method"], spec["N"], spec["steps"])
    elif kind == "cython":
        out = worker_cython(
            spec["method"],
            spec["N"],
            spec["steps"],
            spec.get("fast", False),
            spec.get("render", True),
        )
    elif kind == "standalone":
        out = worker_standalone(
            spec["method"],
            spec["N"],
            spec["steps"],
            spec["threads"],
            spec.get("fast", False),
            spec.get("render", True),
        )
    else:
        raise ValueError(kind)
    print(json.dumps(out))


# ------------------------------------------------------------------- driver
def plan(quick: bool, impls: set[str]) -> list[dict]:
    """The list of (non-C) measurements."""
    steps = STEPS_QUICK if quick else STEPS_FULL
    specs = []
    for method in METHODS:
        for n, st in steps.items():
            if "numpy" in impls:
                specs.append(
                    {
                        "kind": "numpy",
                        "impl": "numpy_reference",
                        "method": method,
                        "N": n,
                        "steps": st,
                        "threads": 1,
                    }
                )
            if "cython" in impls and not (quick and method == "rk4" and n != 10_000):
                specs.append(
                    {
                        "kind": "cython",
                        "impl": "brian2_cython",
                        "method": method,
                        "N": n,
                        "steps": st,
                        "threads": 1,
                    }
                )
            # standalone: every build costs ~5-8 s; quick keeps a subset
            for threads in THREADS:
                for fast in (False, True):
                    if f"standalone{'_fast' if fast else ''}" not in impls:
                        continue
                    rk4_extra = method == "rk4" and (n != 10_000 or threads != 1)
                    if quick and (n == 1_000 or rk4_extra):
                        continue
                    impl = "brian2_standalone_fast" if fast else "brian2_standalone"
                    specs.append(
                        {
                            "kind": "standalone",
                            "impl": impl,
                            "method": method,
                            "N": n,
                            "steps": st,
                            "threads": threads,
                            "fast": fast,
                        }
                    )
    return specs


def median_record(runs: list[dict]) -> dict:
    rec = dict(runs[0])
    rec["elapsed_s"] = statistics.median(r["elapsed_s"] for r in runs)
    rec["elapsed_all_s"] = [r["elapsed_s"] for r in runs]
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=False, help="output JSON file (also .md and .png)")
    ap.add_argument("--quick", action="store_true", help="fewer steps/configs, one repetition")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, quick 1)")
    ap.add_argument(
        "--impls",
        default="c,numpy,cython,standalone,standalone_fast,neuron",
        help="comma-separated subset of c,numpy,cython,standalone,standalone_fast,neuron",
    )
    ap.add_argument(
        "--hand-equations",
        action="store_true",
        help="use benchmarks/brian_model.py's equations, not hh_brian.render",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(json.loads(args.worker))
        return 0
    if not args.json:
        ap.error("--json is required")

    impls = set(args.impls.split(","))
    reps = args.reps or (1 if args.quick else 3)
    steps_for = STEPS_QUICK if args.quick else STEPS_FULL
    t_start = time.perf_counter()
    records: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="hh_cbench_"))
    try:
        log("building the C loop ...")
        binaries = build_c(workdir)
        for (method, fast), (exe, compile_s) in binaries.items():
            for n, st in steps_for.items():
                for threads in THREADS if fast else (1,):
                    runs = [run_c(exe, n, st, threads) for _ in range(reps)]
                    rec = median_record(runs)
                    rec.update(impl="c_loop" if fast else "c_loop_nofastmath", compile_s=compile_s)
                    records.append(rec)
                    log(
                        f"  {rec['impl']} {method} N={n} t={threads}: "
                        f"{1e9 * rec['elapsed_s'] / (n * st):.2f} ns"
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    for spec in plan(args.quick, impls):
        spec["render"] = not args.hand_equations
        runs = []
        for _ in range(reps):
            out = run_worker(spec)
            if out is None:
                break
            runs.append(out)
        if not runs:
            continue
        rec = median_record(runs)
        rec.update({k: spec[k] for k in ("impl", "method", "N", "steps", "threads")})
        records.append(rec)
        log(
            f"  {rec['impl']} {rec['method']} N={rec['N']} t={rec['threads']}: "
            f"{1e9 * rec['elapsed_s'] / (rec['N'] * rec['steps']):.2f} ns, "
            f"{rec['spikes']} spikes"
        )

    if "neuron" in impls:
        try:
            import neuron  # noqa: F401
        except ImportError:
            log("NEURON not importable: skipped")

    finalise(records)
    total = time.perf_counter() - t_start
    write_outputs(records, Path(args.json), quick=args.quick, reps=reps, total_s=total)
    log(f"done in {total:.0f} s")
    return 0


def finalise(records: list[dict]) -> None:
    """ns_per_neuron_step, ratio_to_c and the spike-count checks."""
    c_ref = {(r["method"], r["N"], r["threads"]): r for r in records if r["impl"] == "c_loop"}
    for r in records:
        r["ns_per_neuron_step"] = 1e9 * r["elapsed_s"] / (r["N"] * r["steps"])
        ref = c_ref.get((r["method"], r["N"], r["threads"]))
        r["ratio_to_c"] = r["ns_per_neuron_step"] / ref["ns_per_neuron_step"] if ref else None
        if ref is None:
            r["spikes_match_c"] = None
            continue
        if r["spikes"] == ref["spikes"]:
            r["spikes_match_c"] = True
        else:
            rel = abs(r["spikes"] - ref["spikes"]) / max(ref["spikes"], 1)
            r["spikes_match_c"] = False
            r["spikes_rel_diff"] = rel
            log(
                f"WARNING spike count {r['impl']} {r['method']} N={r['N']}: {r['spikes']} vs "
                f"C {ref['spikes']} (rel {rel:.2e})"
            )
        r.pop("ns_per_neuron_step_c", None)


def write_outputs(records: list[dict], path: Path, quick: bool, reps: int, total_s: float) -> None:
    meta = {
        "protocol": "Dayan & Abbott HH, dt=0.01 ms, I_i = i/N*0.2 uA/mm^2, spikes at -20 mV",
        "quick": quick,
        "repetitions": reps,
        "statistic": "median" if reps > 1 else "single run",
        "total_s": total_s,
        "host": os.uname().nodename,
        "cpus": os.cpu_count(),
    }
    keep = (
        "impl",
        "method",
        "N",
        "threads",
        "steps",
        "ns_per_neuron_step",
        "ratio_to_c",
        "spikes",
        "spikes_match_c",
        "compile_s",
        "elapsed_s",
        "elapsed_all_s",
        "equations",
    )
    out = [{k: r[k] for k in keep if k in r} for r in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "records": out}, indent=1) + "\n")

    lines = [
        f"# HH throughput ({'quick' if quick else 'full'}, {meta['statistic']} of {reps})",
        "",
        meta["protocol"] + ". ns per neuron-step of the integration loop; ratio to the C loop",
        "(-ffast-math) of the same scheme, N and thread count in this run.",
        "",
        "| impl | method | N | threads | ns/neuron-step | ratio to C | spikes | same as C |"
        " compile s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(out, key=lambda r: (r["method"], r["impl"], r["threads"], r["N"])):
        ratio = f"{r['ratio_to_c']:.2f}" if r.get("ratio_to_c") else "-"
        lines.append(
            f"| {r['impl']} | {r['method']} | {r['N']} | {r['threads']} | "
            f"{r['ns_per_neuron_step']:.1f} | {ratio} | {r['spikes']} | "
            f"{r.get('spikes_match_c')} | {r.get('compile_s', 0):.1f} |"
        )
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    try:
        plot(out, path.with_suffix(".png"))
    except Exception as exc:  # noqa: BLE001 - the figure is optional
        log(f"figure not written: {exc}")


def plot(records: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METHODS), figsize=(12, 4.5), sharey=True)
    for ax, method in zip(axes, METHODS, strict=True):
        series: dict[str, list[tuple[int, float]]] = {}
        for r in records:
            if r["method"] == method:
                key = f"{r['impl']} ({r['threads']}t)"
                series.setdefault(key, []).append((r["N"], r["ns_per_neuron_step"]))
        for key, pts in sorted(series.items()):
            pts.sort()
            style = "--" if key.startswith("c_loop") else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=key)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (neurons)")
        ax.set_title(method)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns per neuron-step")
    axes[-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
