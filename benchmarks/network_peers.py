"""COBAHH in NEST and in hh-brian: wall time, ns per neuron-step, rates and ratios (issue 20).

The same network (Brette et al. 2007, benchmark 3; :mod:`hh_brian.network.cobahh`)
runs in

* NEST 3.10, ``hh_cond_exp_traub`` (GSL's adaptive RKF45 within each 0.1 ms step of
  the resolution, absolute tolerance 1e-3), 1 thread;
* hh-brian on Brian2's ``runtime`` device (Cython) and on ``cpp_standalone``
  (1 OpenMP thread), at several (method, dt) settings: the benchmark's exponential
  Euler at 0.1 ms, and finer or higher-order ones;
* NEURON (``--neuron``): the exported network on 1 and 2 MPI ranks
  (:func:`neuron_rows`, from ``benchmarks/network_neuron.py``, which also runs alone).

Same network means: the same cells (NEST's defaults are the COBAHH densities on
20 000 um^2; V_T = -63 mV), the same synapses (conductance jumps of 6 nS and 67 nS
decaying with 5 ms and 10 ms toward 0 and -80 mV), the same connections (drawn once
from the seed with :func:`hh_brian.network.build.draw_connections`, passed to NEST
one by one), the same initial-state distribution (v = E_L + N(-5, 5) mV,
g_e = N(40, 15) nS, g_i = N(200, 120) nS, gates 0; NumPy draws it for NEST, Brian2
for hh-brian).  Differences that remain: NEST 3.10 cannot set g_ex and g_in, so the
initial conductances arrive as one input spike per neuron at 0.2 ms; NEST delivers a
spike after its minimum delay (one 0.1 ms step), Brian2 in the same step; NEST
counts a spike at the peak above V_T + 30 mV, hh-brian at the upward crossing of
-20 mV (one per action potential either way; 3 ms dead time in both).

Equal accuracy.  Rates depend on the seed (connections and initial state), so the
script measures the seed-to-seed spread (several seeds at the first size) and calls
an hh-brian setting *as accurate as NEST* when its mean excitatory and inhibitory
rates lie within 2 pooled seed-to-seed standard deviations of NEST's.  The headline
ratio is NEST's loop time over hh-brian cpp_standalone's at the cheapest such
setting, 1 thread each, measured in the same run.

Every case runs in its own process (``--worker``); wall times are the simulation
loop only (NEST: ``nest.Simulate``; Brian2: ``device._last_run_time``); build and
compile times are reported separately.  The machine has 2 cores shared with other
work: the load average is recorded around every case.

    python benchmarks/network_peers.py                      # 4000 and 16000, ~30-60 min
    python benchmarks/network_peers.py --sizes 4000 --seeds 1,2,3 --out /tmp/peers

writes ``<out>.json`` and ``<out>.md``.  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: NEST's resolution, the benchmark's dt (ms).
RESOLUTION_MS = 0.1
#: hh-brian settings: (method, dt in ms).
DEFAULT_SETTINGS = "exponential_euler@0.1,exponential_euler@0.01,rk4@0.05,rk4@0.025"
#: Means within this many pooled seed-to-seed standard deviations count as equal accuracy.
AGREEMENT_SIGMAS = 2.0


# ----------------------------------------------------------------------------- workers
def nest_worker(spec: dict) -> dict:
    """COBAHH in NEST ``hh_cond_exp_traub`` with hh-brian's connections."""
    import nest
    import numpy as np
    from brian2 import ms, mV, nS

    from hh_brian.engines.simulators.nest import implemented_model
    from hh_brian.models.presets import get_preset
    from hh_brian.network.build import draw_connections
    from hh_brian.network.cobahh import cobahh_spec

    net = cobahh_spec(spec["n"], seed=spec["seed"], connectivity=spec["connectivity"], record=0)
    _, model, _ = implemented_model(get_preset("traub_miles"))
    area = model.area_cm2
    t0 = time.perf_counter()
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus(
        {
            "resolution": RESOLUTION_MS,
            "local_num_threads": spec["threads"],
            "rng_seed": spec["seed"],
        }
    )
    exc_syn, inh_syn = net.populations[0].synapses
    params = {
        "C_m": model.C_m * area * 1e6,
        "g_Na": model.g_Na * area * 1e6,
        "g_K": model.g_K * area * 1e6,
        "g_L": model.g_L * area * 1e6,
        "E_Na": model.E_Na,
        "E_K": model.E_K,
        "E_L": model.E_L,
        "V_T": model.extra["V_T"],
        "E_ex": float(exc_syn.E_rev / mV),
        "E_in": float(inh_syn.E_rev / mV),
        "tau_syn_ex": float(exc_syn.tau_decay / ms),
        "tau_syn_in": float(inh_syn.tau_decay / ms),
        "t_ref": 3.0,
    }
    rng = np.random.default_rng(spec["seed"] + 10_000)
    # NEST 3.10 does not let g_ex, g_in be set: the initial conductances arrive as one
    # spike per neuron at the first possible moment (0.1 ms + one delay).
    kick = nest.Create("spike_generator", params={"spike_times": [RESOLUTION_MS]})
    pops = {}
    for pop in net.populations:
        cells = nest.Create("hh_cond_exp_traub", pop.size, params=params)
        cells.set(
            V_m=list(model.E_L + rng.standard_normal(pop.size) * 5 - 5),
            Act_m=0.0,
            Inact_h=0.0,
            Act_n=0.0,
        )
        for mean, sd, sign in ((4.0, 1.5, 1.0), (20.0, 12.0, -1.0)):
            weights = sign * (rng.standard_normal(pop.size) * sd + mean) * 10
            nest.Connect(
                kick,
                cells,
                "all_to_all",
                {"weight": weights.reshape(pop.size, 1), "delay": RESOLUTION_MS},
            )
        pops[pop.name] = cells
    sizes = {p.name: p.size for p in net.populations}
    draw = np.random.default_rng(net.seed)  # the same stream as hh-brian's build
    n_synapses = 0
    for c in net.connections:
        i, j = draw_connections(c, sizes[c.source], sizes[c.target], draw)
        ids_pre = np.asarray(pops[c.source].tolist())[i]
        ids_post = np.asarray(pops[c.target].tolist())[j]
        weight = float(c.weight / nS) * (1 if c.source == "exc" else -1)
        nest.Connect(
            ids_pre,
            ids_post,
            "one_to_one",
            {
                "synapse_model": "static_synapse",
                "weight": np.full(i.size, weight),
                "delay": np.full(i.size, RESOLUTION_MS),
            },
        )
        n_synapses += int(i.size)
    recorders = {}
    for name, cells in pops.items():
        recorders[name] = nest.Create("spike_recorder")
        nest.Connect(cells, recorders[name])
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Simulate(spec["duration_ms"])
    run = time.perf_counter() - t0
    rates = {
        name: recorders[name].n_events / sizes[name] / (spec["duration_ms"] / 1000) for name in pops
    }
    return {
        "build_s": build,
        "run_s": run,
        "rate_exc_Hz": rates["exc"],
        "rate_inh_Hz": rates["inh"],
        "synapses": n_synapses,
        "steps": round(spec["duration_ms"] / RESOLUTION_MS),
        "nest_version": nest.__version__,
    }


def brian_worker(spec: dict) -> dict:
    """COBAHH in hh-brian at one (device, method, dt)."""
    from brian2 import ms

    from hh_brian.network.cobahh import run_cobahh

    t0 = time.perf_counter()
    result, stats = run_cobahh(
        spec["n"],
        spec["duration_ms"] * ms,
        seed=spec["seed"],
        device=spec["device"],
        threads=spec["threads"],
        connectivity=spec["connectivity"],
        record=0,
        method=spec["method"],
        dt=spec["dt_ms"] * ms,
    )
    total = time.perf_counter() - t0
    return {
        "build_s": total - stats.run_time,  # build, code generation, compilation, collection
        "run_s": stats.run_time,
        "rate_exc_Hz": stats.rate_exc,
        "rate_inh_Hz": stats.rate_inh,
        "synapses": sum(result.info["synapses"].values()),
        "steps": round(spec["duration_ms"] / spec["dt_ms"]),
    }


def neuron_rows(sizes, seeds, duration_ms) -> list[dict]:
    """NEURON's rows (issue 18): COBAHH exported to NEURON on 1 and 2 MPI ranks, from
    ``benchmarks/network_neuron.py`` (also runnable alone, into its own results file)."""
    sys.path.insert(0, str(HERE))
    from network_neuron import neuron_rows as rows

    return rows(sizes, seeds, duration_ms)


def run_case(spec: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec}: {done.stderr[-3000:]}")
    row = {**spec, **json.loads(done.stdout.strip().splitlines()[-1])}
    row["process_s"] = time.perf_counter() - started
    row["load_before"], row["load_after"] = load_before, os.getloadavg()[0]
    row["ns_per_neuron_step"] = row["run_s"] / (row["n"] * row["steps"]) * 1e9
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


# ----------------------------------------------------------------------------- analysis
def _setting(row: dict) -> tuple:
    if row["engine"] == "nest":
        return ("nest", "rkf45 (adaptive)", RESOLUTION_MS)
    return ("hh-brian", row["method"], row["dt_ms"])


def _label(engine: str, device: str, method: str, dt: float) -> str:
    if engine == "nest":
        return "NEST hh_cond_exp_traub (GSL RKF45, 0.1 ms)"
    return f"hh-brian {device}, {method} @ {dt:g} ms"


def _mean_sd(values: list[float]) -> tuple[float, float | None]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def rate_statistics(rows: list[dict]) -> dict[tuple, dict]:
    """Rates per (setting, size) over seeds: the device does not change them (the same
    seed gives the same spikes on runtime and cpp_standalone), so each seed counts once."""
    per: dict[tuple, dict[int, dict]] = {}
    for row in rows:
        per.setdefault((*_setting(row), row["n"]), {})[row["seed"]] = row
    out = {}
    for key, by_seed in per.items():
        exc, sd_exc = _mean_sd([r["rate_exc_Hz"] for r in by_seed.values()])
        inh, sd_inh = _mean_sd([r["rate_inh_Hz"] for r in by_seed.values()])
        out[key] = {
            "seeds": sorted(by_seed),
            "rate_exc_Hz": exc,
            "sd_exc_Hz": sd_exc,
            "rate_inh_Hz": inh,
            "sd_inh_Hz": sd_inh,
        }
    return out


def agreement(stats: dict, reference: dict) -> tuple[bool | None, dict[str, float]]:
    """Whether *stats* lies within AGREEMENT_SIGMAS pooled seed-to-seed SDs of *reference*
    (excitatory and inhibitory rates), and each gap in those SDs."""
    gaps = {}
    for pop in ("exc", "inh"):
        sds = (stats[f"sd_{pop}_Hz"], reference[f"sd_{pop}_Hz"])
        if None in sds:
            return None, {}
        sigma = ((sds[0] ** 2 + sds[1] ** 2) / 2) ** 0.5
        gap = abs(stats[f"rate_{pop}_Hz"] - reference[f"rate_{pop}_Hz"])
        gaps[pop] = gap / sigma if sigma > 0 else float("inf")
    return all(g <= AGREEMENT_SIGMAS for g in gaps.values()), gaps


def summarise(rows: list[dict], sizes: list[int], finest: tuple[str, float]) -> dict:
    """Timing per (engine, device, setting, size), rates per (setting, size), agreement
    with NEST and with hh-brian's finest setting, NEST/hh-brian ratios, the headline."""
    rates = rate_statistics(rows)
    timing: dict[tuple, list[dict]] = {}
    for row in rows:
        device = row.get("device", "nest")
        timing.setdefault((row["engine"], device, *_setting(row)[1:], row["n"]), []).append(row)
    first = sizes[0]
    nest_ref = rates.get(("nest", "rkf45 (adaptive)", RESOLUTION_MS, first))
    fine_ref = rates.get(("hh-brian", *finest, first))
    table = []
    for (engine, device, method, dt, n), members in timing.items():
        stats = rates[(engine, method, dt, n)]
        entry = {
            "label": _label(engine, device, method, dt),
            "engine": engine,
            "device": device,
            "method": method,
            "dt_ms": dt,
            "n": n,
            "timed_seeds": [r["seed"] for r in members],
            "run_s": statistics.mean(r["run_s"] for r in members),
            "build_s": statistics.mean(r["build_s"] for r in members),
            "ns_per_neuron_step": statistics.mean(r["ns_per_neuron_step"] for r in members),
            "load": [round(r["load_before"], 1) for r in members],
            **stats,
        }
        if engine != "nest" and n == first:
            if nest_ref:
                entry["agrees_with_nest"], entry["gap_nest_sigmas"] = agreement(stats, nest_ref)
            if fine_ref:
                entry["agrees_with_finest"], entry["gap_finest_sigmas"] = agreement(stats, fine_ref)
        table.append(entry)
    for entry in table:
        peers = [t for t in table if t["engine"] == "nest" and t["n"] == entry["n"]]
        entry["nest_over_this"] = peers[0]["run_s"] / entry["run_s"] if peers else None
    return {"table": table, "headline": _headline(table, first)}


def _headline(table: list[dict], first: int) -> dict:
    """The ratio at the cheapest cpp_standalone setting that agrees (with NEST; else with
    hh-brian's finest setting), at every size."""
    out = {}
    for criterion in ("agrees_with_nest", "agrees_with_finest"):
        ok = [
            t
            for t in table
            if t.get(criterion) and t["device"] == "cpp_standalone" and t["n"] == first
        ]
        if not ok:
            out[criterion] = None
            continue
        best = min(ok, key=lambda t: t["run_s"])
        same = [
            t
            for t in table
            if t["device"] == "cpp_standalone"
            and (t["method"], t["dt_ms"]) == (best["method"], best["dt_ms"])
        ]
        out[criterion] = {
            "setting": f"{best['method']} @ {best['dt_ms']:g} ms",
            "ratio_by_size": {t["n"]: t["nest_over_this"] for t in same},
            "met_20x": all((t["nest_over_this"] or 0) >= 20.0 for t in same),
        }
    return out


def markdown(summary: dict, meta: dict) -> str:
    lines = [
        f"# COBAHH: NEST vs hh-brian ({meta['duration_ms']:g} ms simulated, 1 thread)",
        "",
        f"{meta['machine']}; {meta['cpus']} cores shared with other work; load average "
        f"{meta['load_before']} before, {meta['load_after']} after (per case in the JSON). "
        f"Connectivity {meta['connectivity']}.  Rates: mean ± SD over seeds "
        f"{meta['seeds']} at N = {meta['sizes'][0]} (the runtime device gives the same "
        f"spikes as cpp_standalone for a seed, so the spread runs there), seed "
        f"{meta['seeds'][0]} at larger N.  Loop time only; build and compile apart.  "
        f"'agrees' = both rates within {AGREEMENT_SIGMAS:g} pooled seed-to-seed SDs.",
        "",
        "| setting | N | loop [s] | build+compile [s] | ns/neuron-step | exc [Hz] | inh [Hz] "
        "| agrees with NEST | agrees with finest | NEST / this |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def rate(t, pop):
        sd = t[f"sd_{pop}_Hz"]
        return f"{t[f'rate_{pop}_Hz']:.1f}" + (f" ± {sd:.1f}" if sd is not None else "")

    def verdict(t, name):
        flag = t.get(f"agrees_with_{name}")
        if flag is None:
            return ""
        gaps = t[f"gap_{name}_sigmas"]
        return f"{'yes' if flag else 'no'} ({gaps['exc']:.1f}σ / {gaps['inh']:.1f}σ)"

    order = {"nest": 0, "cpp_standalone": 1, "runtime": 2}
    for t in sorted(summary["table"], key=lambda t: (t["n"], order[t["device"]], t["label"])):
        ratio = f"{t['nest_over_this']:.1f}x" if t["nest_over_this"] else ""
        lines.append(
            f"| {t['label']} | {t['n']} | {t['run_s']:.2f} | {t['build_s']:.1f} "
            f"| {t['ns_per_neuron_step']:.0f} | {rate(t, 'exc')} | {rate(t, 'inh')} "
            f"| {verdict(t, 'nest')} | {verdict(t, 'finest')} | {ratio} |"
        )
    lines.append("")
    for criterion, what in (
        ("agrees_with_nest", "NEST's"),
        ("agrees_with_finest", f"hh-brian's finest setting ({meta['finest']})"),
    ):
        head = summary["headline"].get(criterion)
        if head is None:
            lines.append(f"- No cpp_standalone setting agreed with {what} rates.")
            continue
        ratios = ", ".join(f"{r:.1f}x at N = {n}" for n, r in head["ratio_by_size"].items())
        lines.append(
            f"- Cheapest setting agreeing with {what} rates: {head['setting']}; NEST / "
            f"hh-brian cpp_standalone = {ratios} (target >= 20x: "
            f"{'met' if head['met_20x'] else 'missed'})."
        )
    lines += ["", "NEURON on MPI ranks: `--neuron`, or `benchmarks/network_neuron.py` alone."]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main
def _settings(text: str) -> list[tuple[str, float]]:
    return [(m, float(dt)) for m, dt in (item.split("@") for item in text.split(",") if item)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="4000,16000", help="network sizes (comma list)")
    parser.add_argument("--seeds", default="1,2,3,4,5,6", help="seeds at the first size")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--settings", default=DEFAULT_SETTINGS, help="method@dt_ms,...")
    parser.add_argument(
        "--runtime-settings",
        default="exponential_euler@0.1,rk4@0.05",
        help="settings also timed on the runtime device at the larger sizes",
    )
    parser.add_argument("--connectivity", default="probability", help="probability|in_degree")
    parser.add_argument("--no-nest", action="store_true")
    parser.add_argument("--neuron", action="store_true", help="add NEURON on 1 and 2 MPI ranks")
    parser.add_argument("--out", default=str(HERE / "results" / "network_peers"))
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        worker = nest_worker if spec["engine"] == "nest" else brian_worker
        print(json.dumps(worker(spec)))
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    settings = _settings(args.settings)
    finest = min(settings, key=lambda s: (s[0] != "rk4", s[1]))
    runtime_later = set(_settings(args.runtime_settings))
    base = {"duration_ms": args.duration_ms, "connectivity": args.connectivity, "threads": 1}
    load_before = list(os.getloadavg())
    rows = []
    for n in sizes:
        for seed in seeds if n == sizes[0] else seeds[:1]:  # the spread: NEST and runtime
            case = {**base, "n": n, "seed": seed}
            if not args.no_nest:
                rows.append(run_case({**case, "engine": "nest"}))
            for method, dt in settings:
                if n == sizes[0] or (method, dt) in runtime_later:
                    spec = {**case, "engine": "hh-brian", "device": "runtime"}
                    rows.append(run_case({**spec, "method": method, "dt_ms": dt}))
        for method, dt in settings:  # timing on cpp_standalone (it compiles per run)
            spec = {**base, "n": n, "seed": seeds[0], "engine": "hh-brian"}
            spec.update(device="cpp_standalone", method=method, dt_ms=dt)
            rows.append(run_case(spec))
    neuron = neuron_rows(sizes, seeds, args.duration_ms) if args.neuron else []
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sizes": sizes,
        "seeds": seeds,
        "duration_ms": args.duration_ms,
        "connectivity": args.connectivity,
        "finest": f"{finest[0]} @ {finest[1]:g} ms",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "agreement_sigmas": AGREEMENT_SIGMAS,
    }
    summary = summarise(rows, sizes, finest)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(
        json.dumps(
            {"meta": meta, "rows": rows, **summary, "neuron_rows": neuron}, indent=1, default=str
        )
        + "\n"
    )
    text = markdown(summary, meta)
    if neuron:
        from network_neuron import markdown as neuron_markdown

        text += "\n" + neuron_markdown(neuron, meta)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
