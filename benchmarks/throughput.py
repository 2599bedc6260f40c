"""Throughput benchmark: ns per neuron-step of every HH implementation vs a C loop.

GitHub issue 8. Protocol (FACTS.md, "Performance anchors"): Dayan & Abbott HH,
dt = 0.01 ms, neuron i gets the constant current i/N * 0.2 uA/mm^2, V = -65 mV
and the gates at x_inf(-65 mV), spike counter at -20 mV (upward crossings).

Implementations (each in its own process, one after the other, so that runs
do not interfere):

* ``c_loop``: benchmarks/c_reference/hh_expeuler.c, built here with
  ``gcc -O3 -march=native -ffast-math -fopenmp`` (and ``c_loop_nofastmath``
  without ``-ffast-math``); times its own integration loop (clock_gettime).
* ``numpy_reference``: ``hh_brian.engines.reference.count_spikes`` (in-place
  exponential Euler), timed around the call; it includes its blow-up guard,
  which is checked every 100 steps here.
* ``brian2_cython_stock`` / ``brian2_cython_fast``: runtime mode, stock
  Brian2 or hh-brian's default fast path (:mod:`hh_brian.engines.brian2.fastpath`:
  ``runtime_codeobj_class("cython")`` as the group's ``codeobj_class``); ``net.run`` wall
  time after a warm-up run of one step that triggers the compilation and a
  ``restore()``. This includes Brian2's per-``run()`` overhead (code objects
  are rebuilt: ~0.1-0.2 s), which the step counts below keep small relative
  to the loop.
* ``brian2_standalone_stock`` / ``brian2_standalone_fast``: cpp_standalone,
  stock, or with ``FastStandaloneCodeObject`` and
  :data:`hh_brian.engines.brian2.fastpath.FAST_GCC_ARGS`; built once in its own temporary
  directory and run ``reps`` times; the time is ``Network::_last_run_time``,
  which the generated ``main`` measures around the loop over time steps
  (``device._last_run_time``). It excludes process start, array loading and
  writing results.
* ``neuron_fixed_step``: NEURON's built-in ``hh`` in N single-compartment
  sections (nseg = 1, area 10 000 um^2), rate tables on (``usetable_hh = 1``,
  NEURON's default), E_L = -54.387 mV, celsius 6.3, one IClamp per section
  (same current density as above), spikes counted by one NetCon per section
  (threshold -20 mV) recorded into vectors; ``h.finitialize(-65)`` and then a
  Python loop of ``h.fadvance()`` at dt = 0.01 ms (fixed step, implicit Euler
  with ``cnexp`` gates) is timed. Its scheme and beta_m (1/18 instead of
  0.0556) differ from the others, so its spike count is reported, not
  compared.

Spike counts: identical schemes must agree exactly with the C loop of the same
scheme; the NumPy reference counts ``v >= -20`` rather than ``v > -20``, which
only matters if a value lands exactly on -20 mV.

Usage::

    python benchmarks/throughput.py --json out.json --quick   # < 3 min, 1 rep
    python benchmarks/throughput.py --json out.json           # median of 3

Writes out.json (one record per impl, method, N, threads, plus the issue-8
target checks), out.md (tables) and out.png (ns/neuron-step by implementation
and N, log axes).
"""

from __future__ import annotations

import argparse
import json
import math
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
METHODS = ("exponential_euler", "rk4", "rush_larsen2")
#: Schemes the C loop implements (benchmarks/c_reference/hh_expeuler.c).
C_METHODS = ("exponential_euler", "rk4")
C_FLAGS_FAST = ["-O3", "-march=native", "-ffast-math", "-fopenmp"]
C_FLAGS_NOFAST = ["-O3", "-march=native", "-fopenmp"]
#: Spike counts of different schemes: allowed relative difference.
CROSS_SCHEME_MARGIN = 0.01
#: NEURON section: a cylinder of area 10 000 um^2 = 1e-4 cm^2 (pi d L with d = L).
NEURON_DIAM_UM = math.sqrt(1e4 / math.pi)
ALL_IMPLS = (
    "c",
    "numpy",
    "cython_stock",
    "cython_fast",
    "standalone_stock",
    "standalone_fast",
    "neuron",
)
#: Issue-8 targets: (description, impl, method, N, threads, max ratio to C).
RATIO_TARGETS = (
    (
        "cpp_standalone exp. Euler, 1 thread",
        "brian2_standalone_fast",
        "exponential_euler",
        100_000,
        1,
        1.5,
    ),
    (
        "cpp_standalone exp. Euler, 2 threads",
        "brian2_standalone_fast",
        "exponential_euler",
        100_000,
        2,
        1.5,
    ),
    ("runtime cython exp. Euler", "brian2_cython_fast", "exponential_euler", 100_000, 1, 2.5),
    ("NumPy reference exp. Euler", "numpy_reference", "exponential_euler", 100_000, 1, 4.0),
)
#: rk4 may cost at most this many times exponential Euler per step.
RK4_OVER_EXPEULER_MAX = 2.5
#: rush_larsen2 (two stages, rates twice) may cost at most this many times exponential
#: Euler per step on the fast path (issue 16).
RL2_OVER_EXPEULER_MAX = 2.2
#: The fast path's implementations (where the rush_larsen2 target applies).
FAST_IMPLS = ("brian2_cython_fast", "brian2_standalone_fast")
#: Every Brian2 path must be at least this many times faster than NEURON.
NEURON_SPEEDUP_MIN = 2.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- C
def build_c(workdir: Path) -> dict[tuple[str, bool], tuple[Path, float]]:
    """Compile the four C variants; return {(method, fastmath): (binary, seconds)}."""
    out = {}
    for method in C_METHODS:
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

    from hh_brian.engines.reference import count_spikes, squid_model

    # per cm^2 (the reference engine's units): D&A per mm^2 values x 100
    model = squid_model(
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
    y0 = np.empty((4, n))  # (V, m, h, n): the squid model's state order
    y0[0], y0[1], y0[2], y0[3] = -65.0, gates["m"], gates["h"], gates["n"]
    i_inj = np.arange(n) / n * 20.0  # uA/cm^2 = 0.2 uA/mm^2
    t0 = time.perf_counter()
    counts = count_spikes(
        model, y0, 0.01, steps, method=method, i_inj=i_inj, threshold=-20.0, check_every=100
    )
    elapsed = time.perf_counter() - t0
    return {"elapsed_s": elapsed, "spikes": int(counts.sum()), "compile_s": 0.0}


def _brian_setup(use_render: bool = True):
    sys.path.insert(0, str(HERE))
    import brian_model as bm

    eqs, ns, source = bm.equations(use_render)
    return bm, eqs, ns, source


def worker_cython(method: str, n: int, steps: int, fast: bool, use_render: bool, reps: int) -> dict:
    import brian2 as b2

    from hh_brian.engines.brian2 import fastpath

    bm, eqs, ns, source = _brian_setup(use_render)
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = bm.DT_MS * b2.ms
    codeobj_class = fastpath.runtime_codeobj_class("cython", fast)
    group, mon = bm.build_group(n, method, eqs, ns, codeobj_class=codeobj_class)
    net = b2.Network(group, mon)
    net.store()
    t0 = time.perf_counter()
    net.run(b2.defaultclock.dt)  # compiles (or loads from the cache)
    compile_s = time.perf_counter() - t0
    elapsed = []
    for _ in range(reps):
        net.restore()
        t0 = time.perf_counter()
        net.run(steps * b2.defaultclock.dt)
        elapsed.append(time.perf_counter() - t0)
    return {
        "elapsed_runs_s": elapsed,
        "spikes": int(mon.num_spikes),
        "compile_s": compile_s,
        "equations": source,
    }


def worker_standalone(
    method: str, n: int, steps: int, threads: int, fast: bool, use_render: bool, reps: int
) -> dict:
    import brian2 as b2

    from hh_brian.engines.brian2 import fastpath

    bm, eqs, ns, source = _brian_setup(use_render)
    directory = tempfile.mkdtemp(prefix="hh_standalone_")
    try:
        b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0 if threads == 1 else threads
        b2.defaultclock.dt = bm.DT_MS * b2.ms
        codeobj_class = fastpath.standalone_codeobj_class(fast)
        group, mon = bm.build_group(n, method, eqs, ns, codeobj_class=codeobj_class)
        b2.run(steps * b2.defaultclock.dt)
        t0 = time.perf_counter()
        with fastpath.fast_compiler_prefs(fast):
            b2.device.build(directory=directory, compile=True, run=False)
        compile_s = time.perf_counter() - t0
        elapsed = []
        for _ in range(reps):
            b2.device.run(directory=directory, with_output=False, run_args=None)
            elapsed.append(float(b2.device._last_run_time))
        return {
            "elapsed_runs_s": elapsed,
            "spikes": int(mon.num_spikes),
            "compile_s": compile_s,
            "equations": source,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def worker_neuron(n: int, steps: int, threads: int, reps: int) -> dict:
    """N single-compartment sections with NEURON's built-in hh (see the module doc)."""
    from neuron import h

    sys.path.insert(0, str(HERE))
    import brian_model as bm

    t0 = time.perf_counter()
    h.celsius = 6.3
    h.dt = bm.DT_MS
    h.CVode().active(0)
    area_cm2 = math.pi * NEURON_DIAM_UM**2 * 1e-8
    i_max_na = bm.I_MAX_UA_PER_MM2 * 100 * area_cm2 * 1e3  # uA/mm^2 -> uA/cm^2 -> uA -> nA
    t_vec, id_vec = h.Vector(), h.Vector()
    keep = []
    for i in range(n):
        sec = h.Section(name=f"s{i}")
        sec.nseg = 1
        sec.L = sec.diam = NEURON_DIAM_UM
        sec.cm = 1.0
        sec.insert("hh")
        sec(0.5).hh.el = -54.387
        stim = h.IClamp(sec(0.5))
        stim.delay, stim.dur, stim.amp = 0.0, 1e9, i / n * i_max_na
        nc = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        nc.threshold = bm.THRESHOLD_MV
        nc.record(t_vec, id_vec, i)
        keep.append((sec, stim, nc))
    if threads > 1:
        pc = h.ParallelContext()
        pc.nthread(threads)
    setup_s = time.perf_counter() - t0
    elapsed = []
    for _ in range(reps):
        h.finitialize(-65.0)
        fadvance = h.fadvance
        t0 = time.perf_counter()
        for _ in range(steps):
            fadvance()
        elapsed.append(time.perf_counter() - t0)
    return {
        "elapsed_runs_s": elapsed,
        "spikes": int(t_vec.size()),
        "compile_s": setup_s,
        "usetable_hh": float(h.usetable_hh),
    }


def worker_numpy_reps(method: str, n: int, steps: int, reps: int) -> dict:
    runs = [worker_numpy(method, n, steps) for _ in range(reps)]
    return {
        "elapsed_runs_s": [r["elapsed_s"] for r in runs],
        "spikes": runs[0]["spikes"],
        "compile_s": 0.0,
    }


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
    kind, reps = spec["kind"], spec.get("reps", 1)
    if kind == "numpy":
        out = worker_numpy_reps(spec["method"], spec["N"], spec["steps"], reps)
    elif kind == "cython":
        out = worker_cython(
            spec["method"], spec["N"], spec["steps"], spec["fast"], spec.get("render", True), reps
        )
    elif kind == "standalone":
        out = worker_standalone(
            spec["method"],
            spec["N"],
            spec["steps"],
            spec["threads"],
            spec["fast"],
            spec.get("render", True),
            reps,
        )
    elif kind == "neuron":
        out = worker_neuron(spec["N"], spec["steps"], spec["threads"], reps)
    else:
        raise ValueError(kind)
    print(json.dumps(out))


# ------------------------------------------------------------------- driver
def plan(quick: bool, impls: set[str], reps: int) -> list[dict]:
    """The list of (non-C) measurements; each runs in its own process, ``reps`` times."""
    steps = STEPS_QUICK if quick else STEPS_FULL
    specs = []

    def add(kind: str, impl: str, method: str, n: int, st: int, threads: int = 1, **extra):
        specs.append(
            {
                "kind": kind,
                "impl": impl,
                "method": method,
                "N": n,
                "steps": st,
                "threads": threads,
                "reps": reps,
                **extra,
            }
        )

    for method in METHODS:
        for n, st in steps.items():
            if "numpy" in impls:
                add("numpy", "numpy_reference", method, n, st)
            for fast in (False, True):
                variant = "fast" if fast else "stock"
                # quick: rk4 at 10k only, rush_larsen2 from 10k, stock only at 100k
                skip_quick = quick and (
                    (method == "rk4" and n != 10_000)
                    or (method == "rush_larsen2" and n == 1_000)
                    or (not fast and n != 100_000)
                )
                if f"cython_{variant}" in impls and not skip_quick:
                    add("cython", f"brian2_cython_{variant}", method, n, st, fast=fast)
                # standalone: every build costs ~5-8 s; quick keeps a subset
                for threads in THREADS:
                    if f"standalone_{variant}" not in impls:
                        continue
                    rk4_extra = method == "rk4" and (n != 10_000 or threads != 1)
                    rl2_extra = method == "rush_larsen2" and (threads != 1 or not fast)
                    if quick and (
                        n == 1_000 or rk4_extra or rl2_extra or (not fast and n != 100_000)
                    ):
                        continue
                    if not fast and method != "exponential_euler" and n == 1_000:
                        continue
                    add(
                        "standalone",
                        f"brian2_standalone_{variant}",
                        method,
                        n,
                        st,
                        threads,
                        fast=fast,
                    )
    if "neuron" in impls:
        for n, st in steps.items():
            for threads in (1,) if quick else THREADS:
                add("neuron", "neuron_fixed_step", NEURON_METHOD, n, st, threads)
    return specs


#: NEURON's fixed step: implicit (backward) Euler for V, cnexp for the gates.
NEURON_METHOD = "neuron_implicit_euler_cnexp"


def median_record(runs: list[dict]) -> dict:
    rec = dict(runs[0])
    rec["elapsed_s"] = statistics.median(r["elapsed_s"] for r in runs)
    rec["elapsed_all_s"] = [r["elapsed_s"] for r in runs]
    return rec


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=False, help="output JSON file (also .md and .png)")
    ap.add_argument("--quick", action="store_true", help="fewer steps/configs, one repetition")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, quick 1)")
    ap.add_argument(
        "--impls",
        default=",".join(ALL_IMPLS),
        help=f"comma-separated subset of {','.join(ALL_IMPLS)}",
    )
    ap.add_argument(
        "--hand-equations",
        action="store_true",
        help="use benchmarks/brian_model.py's equations, not hh_brian.render.brian2",
    )
    ap.add_argument(
        "--replot", action="store_true", help="only redraw the PNG from an existing --json file"
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(json.loads(args.worker))
        return 0
    if not args.json:
        ap.error("--json is required")
    if args.replot:
        path = Path(args.json)
        plot(json.loads(path.read_text())["records"], path.with_suffix(".png"))
        return 0

    impls = set(args.impls.split(","))
    unknown = impls - set(ALL_IMPLS)
    if unknown:
        ap.error(f"unknown impls {sorted(unknown)}")
    reps = args.reps or (1 if args.quick else 3)
    steps_for = STEPS_QUICK if args.quick else STEPS_FULL
    t_start = time.perf_counter()
    load_before = load_average()
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

    for spec in plan(args.quick, impls, reps):
        spec["render"] = not args.hand_equations
        out = run_worker(spec)
        if out is None:
            continue
        runs = out.pop("elapsed_runs_s")
        rec = {**out, "elapsed_s": statistics.median(runs), "elapsed_all_s": runs}
        rec.update({k: spec[k] for k in ("impl", "method", "N", "steps", "threads")})
        records.append(rec)
        log(
            f"  {rec['impl']} {rec['method']} N={rec['N']} t={rec['threads']}: "
            f"{1e9 * rec['elapsed_s'] / (rec['N'] * rec['steps']):.2f} ns, "
            f"{rec['spikes']} spikes"
        )

    finalise(records)
    targets = evaluate_targets(records)
    total = time.perf_counter() - t_start
    load = {"before": load_before, "after": load_average()}
    write_outputs(records, targets, Path(args.json), args.quick, reps, total, load)
    for t in targets:
        log(f"  target {t['verdict']}: {t['target']}: {t['value']}")
    log(f"done in {total:.0f} s")
    return 0


def finalise(records: list[dict]) -> None:
    """ns_per_neuron_step, ratio_to_c and the spike-count checks."""
    c_ref = {(r["method"], r["N"], r["threads"]): r for r in records if r["impl"] == "c_loop"}
    for r in records:
        r["ns_per_neuron_step"] = 1e9 * r["elapsed_s"] / (r["N"] * r["steps"])
        # NEURON has its own scheme: compare it with the exponential Euler C loop.
        method = "exponential_euler" if r["method"] == NEURON_METHOD else r["method"]
        ref = c_ref.get((method, r["N"], r["threads"]))
        r["ratio_to_c"] = r["ns_per_neuron_step"] / ref["ns_per_neuron_step"] if ref else None
        if ref is None or r["method"] == NEURON_METHOD:
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


def evaluate_targets(records: list[dict]) -> list[dict]:
    """The issue-8 targets, each with the measured value and met / not met / not measured."""
    by_key = {(r["impl"], r["method"], r["N"], r["threads"]): r for r in records}
    out = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "NOT met")

    for label, impl, method, n, threads, limit in RATIO_TARGETS:
        r = by_key.get((impl, method, n, threads))
        ratio = r["ratio_to_c"] if r else None
        out.append(
            {
                "target": f"{label}, N={n}: <= {limit}x C loop",
                "value": None if ratio is None else round(ratio, 2),
                "verdict": verdict(None if ratio is None else ratio <= limit),
            }
        )
    for r in records:
        # the targets are about Brian2's rk4 and rush_larsen2 (the C loop's own ratio is in
        # the table); each ratio is of two records of the same run, impl, N and threads
        if r["method"] != "exponential_euler" or not r["impl"].startswith("brian2_"):
            continue
        for method, limit in (
            ("rk4", RK4_OVER_EXPEULER_MAX),
            ("rush_larsen2", RL2_OVER_EXPEULER_MAX),
        ):
            other = by_key.get((r["impl"], method, r["N"], r["threads"]))
            if other is None or (method == "rush_larsen2" and r["impl"] not in FAST_IMPLS):
                continue
            ratio = other["ns_per_neuron_step"] / r["ns_per_neuron_step"]
            out.append(
                {
                    "target": f"{method} / exp. Euler per step, {r['impl']} N={r['N']} "
                    f"t={r['threads']}: <= {limit}",
                    "value": round(ratio, 2),
                    "verdict": verdict(ratio <= limit),
                }
            )
    for r in records:
        if not r["impl"].startswith("brian2_"):
            continue
        ref = by_key.get(("neuron_fixed_step", NEURON_METHOD, r["N"], r["threads"]))
        if ref is None:
            continue
        speedup = ref["ns_per_neuron_step"] / r["ns_per_neuron_step"]
        out.append(
            {
                "target": f"NEURON / {r['impl']} {r['method']} N={r['N']} t={r['threads']}: "
                f">= {NEURON_SPEEDUP_MIN}",
                "value": round(speedup, 2),
                "verdict": verdict(speedup >= NEURON_SPEEDUP_MIN),
            }
        )
    return out


def write_outputs(
    records: list[dict],
    targets: list[dict],
    path: Path,
    quick: bool,
    reps: int,
    total_s: float,
    load: dict,
) -> None:
    meta = {
        "protocol": "Dayan & Abbott HH, dt=0.01 ms, I_i = i/N*0.2 uA/mm^2, spikes at -20 mV",
        "quick": quick,
        "repetitions": reps,
        "statistic": "median" if reps > 1 else "single run",
        "total_s": total_s,
        "host": os.uname().nodename,
        "cpus": os.cpu_count(),
        "load_average_1_5_15": load,
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
        "usetable_hh",
    )
    out = [{k: r[k] for k in keep if k in r} for r in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "records": out, "targets": targets}, indent=1) + "\n")

    lines = [
        f"# HH throughput ({'quick' if quick else 'full'}, {meta['statistic']} of {reps})",
        "",
        meta["protocol"] + ". ns per neuron-step of the integration loop; ratio to the C loop",
        "(-ffast-math) of the same scheme, N and thread count in this run (NEURON: to the",
        "exponential Euler C loop). Load average (1, 5, 15 min) before/after: "
        f"{load['before']} / {load['after']} on {meta['cpus']} CPUs.",
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
    lines += ["", "## Issue-8 targets", "", "| target | value | verdict |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {t['verdict']} |" for t in targets]
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    try:
        plot(out, path.with_suffix(".png"))
    except Exception as exc:  # noqa: BLE001 - the figure is optional
        log(f"figure not written: {exc}")


def plot(records: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METHODS), figsize=(13, 5.5), sharey=True)
    keys = sorted({f"{r['impl']} ({r['threads']}t)" for r in records})
    cmap = plt.get_cmap("tab20")
    colours = {key: cmap(k % 20) for k, key in enumerate(keys)}
    for ax, method in zip(axes, METHODS, strict=True):
        series: dict[str, list[tuple[int, float]]] = {}
        for r in records:
            if r["method"] == method or (
                method == "exponential_euler" and r["method"] == NEURON_METHOD
            ):
                key = f"{r['impl']} ({r['threads']}t)"
                series.setdefault(key, []).append((r["N"], r["ns_per_neuron_step"]))
        for key, pts in sorted(series.items()):
            pts.sort()
            style = "--" if key.startswith("c_loop") else "-"
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                style,
                marker="o",
                label=key,
                color=colours[key],
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (neurons)")
        ax.set_title(method)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns per neuron-step")
    for ax in axes:
        ax.legend(fontsize=6.5, loc="upper right", ncol=2)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
