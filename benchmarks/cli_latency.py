"""Whole-process latency of the ``hh-brian`` command (issue 20), used by ``cold_start.py``.

Every case is one fresh ``python -m hh_brian.cli.main ...`` process (the console
script does the same), timed from spawn to exit.  The cases run round-robin, one of
each per round, so a change in the machine's load hits every case alike; medians
over the rounds are reported, with the load average before and after.

Cases: ``python -c "import brian2"`` (the yardstick), ``--help``, four mistakes
(unknown model, missing folder, existing output without ``--force``, unknown method),
one neuron for 100 ms (``simulate neuron_hh``) with warm caches, the same with
hh-brian's disk cache off (``HH_BRIAN_CACHE=0``: the resting state and Brian2's flag
checks recomputed), and, when NEURON is installed, a 10-line NEURON script doing the
same run.  Targets: ``--help`` and mistakes under 0.4 s; the warm ``simulate`` at most
1.35x ``import brian2``.

:func:`demo_times` runs the README's main job, ``hh-brian demo``, cold (an empty
Brian2 Cython cache, set through a ``brian_preferences`` file in the working folder,
and an empty hh-brian cache) and then warm (the same caches again).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HH = [sys.executable, "-m", "hh_brian.cli.main"]
SIMULATE = ["simulate", "neuron_hh", "--current", "10*uA/cm**2", "--duration", "100*ms"]
NEURON_SCRIPT = """
from neuron import h
h.load_file("stdrun.hoc")
soma = h.Section(name="soma"); soma.L = soma.diam = 10 / 3.141592653589793 ** 0.5 * 10
soma.insert("hh")
stim = h.IClamp(soma(0.5)); stim.delay = 0; stim.dur = 1e9
stim.amp = 10e-3 * soma(0.5).area() * 1e-2  # 10 uA/cm2 in nA
v = h.Vector().record(soma(0.5)._ref_v); t = h.Vector().record(h._ref_t)
h.dt = 0.01; h.finitialize(-65); h.continuerun(100)
"""
#: Whole-process targets (issue 20).
QUICK_LIMIT_S = 0.4
SIMULATE_RATIO = 1.35


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    env.update(extra)
    return env


def _time(argv: list[str], cwd: Path, env: dict[str, str], expect: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != expect:
        raise RuntimeError(f"{argv}: exit {done.returncode}, expected {expect}: {done.stderr}")
    return elapsed


def cli_cases(scratch: Path) -> dict[str, tuple[list[str], dict[str, str], int]]:
    """Case name -> (argv, environment, expected exit status)."""
    (scratch / "exists.npz").write_bytes(b"")
    env = _env()
    cases = {
        "import_brian2": ([sys.executable, "-c", "import brian2"], env, 0),
        "help": ([*HH, "--help"], env, 0),
        "error_unknown_model": ([*HH, "simulate", "neuron_hx", "--out", "x.npz"], env, 2),
        "error_missing_folder": ([*HH, *SIMULATE, "--out", "no/such/x.npz"], env, 2),
        "error_existing_output": ([*HH, *SIMULATE, "--out", "exists.npz"], env, 2),
        "error_unknown_method": ([*HH, *SIMULATE, "--method", "heun", "--out", "x.npz"], env, 2),
        "simulate_warm": ([*HH, *SIMULATE, "--out", "sim.npz", "--force"], env, 0),
        "simulate_no_hh_cache": (
            [*HH, *SIMULATE, "--out", "sim2.npz", "--force"],
            _env(HH_BRIAN_CACHE="0"),
            0,
        ),
    }
    try:
        import importlib.util

        if importlib.util.find_spec("neuron") is not None:
            cases["neuron_script"] = ([sys.executable, "-c", NEURON_SCRIPT], env, 0)
    except ImportError:  # pragma: no cover
        pass
    return cases


def cli_latency(rounds: int, scratch: Path) -> dict:
    """Medians (s) of every case over *rounds* round-robin rounds, and the targets."""
    scratch.mkdir(parents=True, exist_ok=True)
    cases = cli_cases(scratch)
    load_before = list(os.getloadavg())
    for name in ("simulate_warm", "neuron_script"):  # warm every cache first
        if name in cases:
            _time(cases[name][0], scratch, cases[name][1], cases[name][2])
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (argv, env, expect) in cases.items():
            times[name].append(_time(argv, scratch, env, expect))
    medians = {name: statistics.median(values) for name, values in times.items()}
    quick = [n for n in medians if n == "help" or n.startswith("error_")]
    ratio = medians["simulate_warm"] / medians["import_brian2"]
    targets = {
        "quick_under_0.4_s": {n: medians[n] < QUICK_LIMIT_S for n in quick},
        "simulate_warm_over_import_brian2": ratio,
        "simulate_ratio_met": ratio <= SIMULATE_RATIO,
    }
    if "neuron_script" in medians:
        targets["simulate_warm_over_neuron_script"] = (
            medians["simulate_warm"] / medians["neuron_script"]
        )
    return {
        "rounds": rounds,
        "median_s": medians,
        "all_s": times,
        "targets": targets,
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()),
        "commands": {name: " ".join(argv[1:]) for name, (argv, _, _) in cases.items()},
    }


def demo_times(scratch: Path, warm_runs: int = 1) -> dict:
    """``hh-brian demo`` cold (empty Cython and hh-brian caches), then warm."""
    scratch.mkdir(parents=True, exist_ok=True)
    cython_cache = scratch / "cython_cache"
    (scratch / "brian_preferences").write_text(
        f"codegen.runtime.cython.cache_dir = '{cython_cache}'\n"
    )
    env = _env(HH_BRIAN_CACHE_DIR=str(scratch / "hh_cache"))
    out: dict = {"load_average_before": list(os.getloadavg())}
    runs = [("cold", 0), *(("warm", k) for k in range(warm_runs))]
    for state, k in runs:
        folder = scratch / f"demo_{state}_{k}"
        elapsed = _time([*HH, "demo", "--out", str(folder)], scratch, env, 0)
        out.setdefault(f"{state}_s", []).append(elapsed)
        print(f"demo {state}: {elapsed:.1f} s", file=sys.stderr, flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    out["compiled_modules"] = len(list(cython_cache.glob("*.so")))
    out["load_average_after"] = list(os.getloadavg())
    return out


def cli_markdown(cli: dict) -> list[str]:
    """The Markdown table of :func:`cli_latency`."""
    m, t = cli["median_s"], cli["targets"]
    lines = [
        f"## hh-brian command, whole process (median of {cli['rounds']} round-robin rounds)",
        "",
        f"Load average before {cli['load_average_before']}, after {cli['load_average_after']}"
        " (2 cores, shared).",
        "",
        "| case | median [s] | target |",
        "|---|---|---|",
    ]
    for name, value in m.items():
        target = ""
        if name in t["quick_under_0.4_s"]:
            target = f"< {QUICK_LIMIT_S} s: {'met' if t['quick_under_0.4_s'][name] else 'MISSED'}"
        if name == "simulate_warm":
            ratio = t["simulate_warm_over_import_brian2"]
            verdict = "met" if t["simulate_ratio_met"] else "MISSED"
            target = f"{ratio:.2f}x import brian2 (<= {SIMULATE_RATIO}x: {verdict})"
        lines.append(f"| {name} | {value:.3f} | {target} |")
    return lines


__all__ = ["cli_latency", "cli_markdown", "demo_times"]
