"""Cold start: time to the first result of hh-brian's Brian2 paths (GitHub issues 8, 20).

Three parts (``--parts``, default ``cli,library``):

* ``cli`` (issue 20): whole-process medians of the ``hh-brian`` command, round-robin
  against ``python -c "import brian2"`` (:mod:`cli_latency`);
* ``demo``: the README's main job, ``hh-brian demo``, cold and warm (several minutes);
* ``library`` (issue 8), the scenarios below.

Each scenario runs in a fresh Python process (``--worker``), so imports and
Brian2's in-memory caches start empty:

* ``cython`` (``simulate()``, runtime mode): the Dayan & Abbott preset, 10 ms
  at dt = 0.01 ms, one neuron, with the fast path on (hh-brian's default) or
  off.  *cold*: an empty Cython cache directory
  (``prefs.codegen.runtime.cython.cache_dir`` set to a new temporary folder);
  *warm*: a second process on the same folder.  Within each process a second
  and a third ``simulate()`` call of the same model (the third with another
  current) show whether a repeated run compiles again (it must not: Brian2
  keys its cache on the generated source, which does not change).
* ``standalone``: the same model with ``cpp_standalone`` and the fast path;
  *cold*: a new project folder; *warm*: the same folder again (make rebuilds
  only what changed, here nothing but the generated ``main``... if anything).

Figures: ``import_s`` (``import brian2`` and hh-brian), ``first_s`` (first
result: code generation + compilation + the run), ``second_s``/``third_s``
(repeats, same process), and for standalone ``codegen_s`` (Brian2's
``run()``, which only generates code), ``build_s`` (writing and compiling
the project) and ``run_s`` (running the binary and loading the results).

Usage::

    python benchmarks/cold_start.py --json benchmarks/results/cold_start.json
    python benchmarks/cold_start.py --parts cli,demo,library --rounds 7 --json ...
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def worker(spec: dict) -> dict:
    t0 = time.perf_counter()
    import brian2 as b2
    from brian2 import ms, uA
    from brian2.units import cm

    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.models.presets import get_preset

    out = {"import_s": time.perf_counter() - t0}
    preset = get_preset("dayan_abbott")
    if spec["kind"] == "cython":
        b2.prefs.codegen.runtime.cython.cache_dir = spec["cache_dir"]
        for key, current in (("first_s", 10), ("second_s", 10), ("third_s", 20)):
            t0 = time.perf_counter()
            simulate(
                preset,
                current=current * uA / cm**2,
                duration=10 * ms,
                dt=0.01 * ms,
                fast=spec["fast"],
            )
            out[key] = time.perf_counter() - t0
        return out
    # cpp_standalone, fast path
    from hh_brian.engines.brian2 import fastpath
    from hh_brian.engines.brian2.spikes import with_detector
    from hh_brian.render.brian2 import render

    t_first = time.perf_counter()
    folder = spec["folder"]
    b2.set_device("cpp_standalone", directory=folder, build_on_run=False)
    model = render(preset)
    group = b2.NeuronGroup(
        1,
        with_detector(model.equations),
        threshold=model.threshold,
        refractory=model.refractory,
        method="exponential_euler",
        namespace=dict(model.namespace),
        dt=0.01 * ms,
        name="hh",
        codeobj_class=fastpath.standalone_codeobj_class(True),
    )
    group.I_inj = 10 * uA / cm**2
    monitor = b2.StateMonitor(group, "v", record=0)
    t0 = time.perf_counter()
    b2.run(10 * ms)
    out["codegen_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with fastpath.fast_compiler_prefs(True):
        b2.device.build(directory=folder, compile=True, run=False)
    out["build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.run(directory=folder, with_output=False, run_args=None)
    _ = monitor.v[:]
    out["run_s"] = time.perf_counter() - t0
    out["first_s"] = time.perf_counter() - t_first
    return out


def run_worker(spec: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    res = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="output JSON file (a .md table is written beside it)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--parts", default="cli,library", help="cli, demo, library (comma list)")
    ap.add_argument("--rounds", type=int, default=7, help="round-robin rounds of the cli part")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if not args.json:
        ap.error("--json is required")
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    records = []
    results: dict = {}
    scratch = Path(tempfile.mkdtemp(prefix="hh_cold_"))
    try:
        if "cli" in parts:
            from cli_latency import cli_latency

            results["cli"] = cli_latency(args.rounds, scratch / "cli")
            print(json.dumps(results["cli"]["median_s"]), file=sys.stderr, flush=True)
        if "demo" in parts:
            from cli_latency import demo_times

            results["demo"] = demo_times(scratch / "demo")
        for fast in (True, False) if "library" in parts else ():
            cache = scratch / f"cython_cache_{'fast' if fast else 'stock'}"
            for state in ("cold", "warm"):
                spec = {"kind": "cython", "fast": fast, "cache_dir": str(cache)}
                rec = {"target": "cython", "fast": fast, "cache": state, **run_worker(spec)}
                records.append(rec)
                print(json.dumps(rec), file=sys.stderr, flush=True)
        folder = scratch / "standalone"
        for state in ("cold", "warm") if "library" in parts else ():
            spec = {"kind": "standalone", "folder": str(folder)}
            rec = {"target": "cpp_standalone", "fast": True, "cache": state, **run_worker(spec)}
            records.append(rec)
            print(json.dumps(rec), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    meta = {
        "model": "dayan_abbott, 1 neuron, 10 ms at dt = 0.01 ms, exponential Euler",
        "load_average_after": list(os.getloadavg()),
        "cpus": os.cpu_count(),
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "records": records, **results}, indent=1) + "\n")
    cols = ("import_s", "first_s", "second_s", "third_s", "codegen_s", "build_s", "run_s")
    lines = [
        "# Cold start (seconds; each row a fresh process)",
        "",
        f"{meta['model']}; load average after: {meta['load_average_after']}.",
        "",
        "| target | fast | cache | " + " | ".join(cols) + " |",
        "|---|---|---|" + "---|" * len(cols),
    ]
    for r in records:
        cells = [f"{r[c]:.2f}" if c in r else "-" for c in cols]
        lines.append(f"| {r['target']} | {r['fast']} | {r['cache']} | " + " | ".join(cells) + " |")
    if "cli" in results:
        from cli_latency import cli_markdown

        lines += ["", *cli_markdown(results["cli"])]
    if "demo" in results:
        demo = results["demo"]
        lines += [
            "",
            "## hh-brian demo (the README's main job), whole process",
            "",
            f"cold (empty Cython and hh-brian caches): {demo['cold_s'][0]:.1f} s; warm: "
            + ", ".join(f"{x:.1f} s" for x in demo["warm_s"])
            + f"; {demo['compiled_modules']} modules compiled; load average before "
            f"{demo['load_average_before']}, after {demo['load_average_after']}.",
        ]
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
