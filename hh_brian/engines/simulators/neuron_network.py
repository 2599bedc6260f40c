"""A network drawn by hh-brian, run in NEURON with ParallelContext (serial or under MPI).

The input is a *payload*: an NPZ written by :mod:`hh_brian.network.neuron_build`
holding ``meta_json`` and the arrays drawn once by hh-brian (initial states, edges,
weights, delays, external spike trains).  This module imports only NumPy and NEURON, so
each MPI rank starts quickly: ``mpiexec -n K python -m
hh_brian.engines.simulators.neuron_network PAYLOAD OUT`` (see
:mod:`hh_brian.engines.simulators.neuron_mpi`).

Mapping
-------
* One section per neuron (nseg = 1, ``L = diam = sqrt(area/π)``, ``cm`` = C_m), the
  population's generated density mechanism, and per receptor one point process of
  :mod:`hh_brian.render.nmodl_synapse` (Brian2 keeps one conductance per neuron and
  receptor, incremented by every synapse onto it; so does this point process).
* Global id ``gid = gid0(population) + index``; cell ``gid`` lives on rank
  ``gid % nhost`` (round robin).  Synapses are ``pc.gid_connect(pre_gid, point
  process)`` NetCons with the drawn weight (µS) and delay (ms).
* Spikes: a NetCon on ``v`` with the population's threshold (modern mV).  NEURON's
  fixed step reports a crossing at the end of the step (t_k + dt) and delivers an
  event at the start of the step it falls in, which is when Brian2's ``on_pre``
  increment acts after a delay of ``delay/dt`` steps.  The recorded time is hh-brian's
  interpolated crossing ``t_k + dt*(V_spike - v_k)/(v_{k+1} - v_k)``, with ``v_k`` kept
  by the ``hhb_crossing_*`` point process.  Spikes and traces are gathered on rank 0.
* External drive: every drawn event of a Brian2 input at step k (which Brian2 adds
  after that step's update) is a NetCon event at ``(k + 1)*dt`` onto the receptor.
* Initial state: v set before the mechanisms' INITIAL blocks (FInitializeHandler
  type 0), gates and conductances after them (type 1), all from the drawn arrays.
* Integration: fixed step, ``secondorder`` 0 (implicit Euler) or 2 (Crank-Nicolson),
  gates and conductances by ``cnexp``.

Every run is its own process (one, or ``mpiexec``'s K): NEURON's global state (``dt``,
``celsius``, the gid table) never outlives it.  A rank that fails prints
``hh-brian neuron rank R: <error>`` on stderr and exits with status 3
without writing; ``mpiexec`` then stops the other ranks.

Reference: Hines ML, Carnevale NT (2008). Translating network models to parallel
hardware in NEURON. J Neurosci Methods 169:425-455, doi:10.1016/j.jneumeth.2007.09.010.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

#: Prefix of a failing rank's line on stderr (the launcher looks for it).
RANK_ERROR = "hh-brian neuron rank"


def read_payload(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a payload NPZ."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("meta_json"))), arrays


class _Cell:
    """One neuron on this rank: its section, mechanism, receptors and spike record."""

    def __init__(self, h, pc, pop: dict, index: int, gid: int, spikes: list) -> None:
        self.sec = h.Section(name=f"{pop['name']}_{index}")
        self.sec.L = self.sec.diam = math.sqrt(pop["area_um2"] / math.pi)
        self.sec.nseg = 1
        self.sec.cm = pop["cm_uF_cm2"]
        self.sec.insert(pop["suffix"])
        self.seg = self.sec(0.5)
        self.mech = getattr(self.seg, pop["suffix"])
        self.receptors = {
            r["label"]: getattr(h, r["mechanism"])(self.seg) for r in pop["receptors"]
        }
        self.crossing = getattr(h, pop["crossing"])(self.seg)
        self.source = h.NetCon(self.seg._ref_v, None, sec=self.sec)
        self.source.threshold = pop["threshold_mV"]
        pc.set_gid2node(gid, int(pc.id()))
        pc.cell(gid, self.source)
        threshold, dt, seg, crossing = pop["threshold_mV"], h.dt, self.seg, self.crossing

        def record() -> None:  # called at the end of the step in which v crossed
            v0, v1 = crossing.vprev, seg.v
            fraction = (threshold - v0) / (v1 - v0) if v1 != v0 else 1.0
            spikes.append((index, h.t - dt + dt * min(max(fraction, 0.0), 1.0)))

        self.source.record(record)


def _local(size: int, gid0: int, rank: int, nhost: int) -> np.ndarray:
    """Indices of a population's neurons that live on *rank* (gid % nhost == rank)."""
    return np.nonzero((gid0 + np.arange(size)) % nhost == rank)[0]


def _build_cells(h, pc, meta, arrays, rank, nhost):
    cells, spikes = {}, {}
    for pop in meta["populations"]:
        spikes[pop["name"]] = []
        for j in _local(pop["size"], pop["gid0"], rank, nhost):
            j = int(j)
            cells[pop["name"], j] = _Cell(h, pc, pop, j, pop["gid0"] + j, spikes[pop["name"]])
    return cells, spikes


def _initial_handlers(h, meta, arrays, cells):
    pops = {p["name"]: p for p in meta["populations"]}

    def set_v() -> None:
        for (name, j), cell in cells.items():
            cell.seg.v = float(arrays[f"init_{name}_v"][j])

    def set_states() -> None:
        for (name, j), cell in cells.items():
            for gate, state in pops[name]["gates"].items():
                setattr(cell.mech, state, float(arrays[f"init_{name}_{gate}"][j]))
            for r in pops[name]["receptors"]:
                for brian, state in r["states"].items():
                    setattr(
                        cell.receptors[r["label"]], state, float(arrays[f"init_{name}_{brian}"][j])
                    )
            cell.crossing.vprev = cell.seg.v

    return [h.FInitializeHandler(0, set_v), h.FInitializeHandler(1, set_states)]


def _connect(h, pc, meta, arrays, cells, rank, nhost) -> list:
    pops = {p["name"]: p for p in meta["populations"]}
    netcons = []
    for k, c in enumerate(meta["connections"]):
        target = pops[c["target"]]
        post = arrays[f"conn{k}_post"]
        mine = np.nonzero((target["gid0"] + post) % nhost == rank)[0]
        pre_gid = pops[c["source"]]["gid0"] + arrays[f"conn{k}_pre"][mine]
        weight, delay = arrays[f"conn{k}_weight_uS"][mine], arrays[f"conn{k}_delay_ms"][mine]
        for gid, j, w, d in zip(pre_gid.tolist(), post[mine].tolist(), weight, delay, strict=True):
            nc = pc.gid_connect(gid, cells[c["target"], j].receptors[c["receptor"]])
            nc.weight[0], nc.delay = float(w), float(d)
            netcons.append(nc)
    return netcons


def _drives(h, meta, arrays, cells) -> list:
    """(NetCon, event times) per local cell and drive; events are sent after finitialize."""
    out = []
    for k, d in enumerate(meta["drives"]):
        cell_of, t_ms = arrays[f"drive{k}_cell"], arrays[f"drive{k}_t_ms"]
        order = np.argsort(cell_of, kind="stable")
        cell_of, t_ms = cell_of[order], t_ms[order]
        bounds = np.searchsorted(cell_of, np.arange(d["size"] + 1))
        for (name, j), cell in cells.items():
            if name != d["target"] or bounds[j] == bounds[j + 1]:
                continue
            nc = h.NetCon(None, cell.receptors[d["receptor"]])
            nc.weight[0] = d["weight_uS"]
            out.append((nc, np.sort(t_ms[bounds[j] : bounds[j + 1]])))
    return out


def _monitors(h, meta, cells) -> list:
    recorded = []
    for m in meta["monitors"]:
        for j in m["neurons"]:
            cell = cells.get((m["population"], j))
            if cell is None:
                continue
            for variable, (kind, owner, name) in m["variables"].items():
                if kind == "v":
                    refs = [cell.seg._ref_v]
                elif kind == "mechanism":
                    refs = [getattr(cell.mech, f"_ref_{name}")]
                else:  # "a" or "a-b": a state, or the difference of two (bi-exponential g)
                    pp = cell.receptors[owner]
                    refs = [getattr(pp, f"_ref_{part}") for part in name.split("-")]
                vectors = [h.Vector().record(ref) for ref in refs]
                recorded.append((m["population"], j, variable, vectors))
    return recorded


def _difference(vectors: list) -> np.ndarray:
    """The one recorded vector, or the first minus the second (g_decay - g_rise)."""
    out = np.array(vectors[0])
    return out - np.array(vectors[1]) if len(vectors) > 1 else out


def run(h, pc, meta: dict, arrays: dict[str, np.ndarray]) -> dict | None:
    """Build this rank's part, run, gather on rank 0; rank 0 returns the output arrays."""
    rank, nhost = int(pc.id()), int(pc.nhost())
    if meta.get("fail_rank") == rank:
        raise RuntimeError("failure requested for this rank (fail_rank, a test of the launcher)")
    started = time.perf_counter()
    h.dt, h.secondorder, h.celsius = meta["dt_ms"], meta["secondorder"], meta["celsius"]
    h.CVode().active(0)
    cells, spikes = _build_cells(h, pc, meta, arrays, rank, nhost)
    handlers = _initial_handlers(h, meta, arrays, cells)
    netcons = _connect(h, pc, meta, arrays, cells, rank, nhost)
    drives = _drives(h, meta, arrays, cells)
    traces = _monitors(h, meta, cells)
    pc.set_maxstep(10)
    h.finitialize()
    for nc, times in drives:
        for t in times.tolist():
            nc.event(t)
    built = time.perf_counter()
    pc.psolve(meta["tstop_ms"])
    loop = time.perf_counter() - built
    local = {
        "spikes": {name: np.array(s, dtype=float).reshape(-1, 2) for name, s in spikes.items()},
        "traces": [(p, j, v, _difference(vectors)) for p, j, v, vectors in traces],
        "loop_s": loop,
        "wait_s": float(pc.wait_time()),  # in the spike exchange, waiting for other ranks
        "build_s": built - started,
        "synapses": len(netcons),
    }
    gathered = pc.py_gather(local, 0) if nhost > 1 else [local]
    del handlers, drives  # the process ends here: NEURON's teardown of the rest is skipped
    return _merge(meta, gathered, nhost) if rank == 0 else None


def _merge(meta: dict, parts: list, nhost: int) -> dict[str, np.ndarray]:
    n_steps = int(round(meta["tstop_ms"] / meta["dt_ms"]))
    out: dict[str, np.ndarray] = {}
    for pop in meta["populations"]:
        both = np.concatenate([p["spikes"][pop["name"]] for p in parts])
        order = np.lexsort((both[:, 0], both[:, 1]))
        out[f"{pop['name']}_spike_indices"] = both[order, 0].astype(np.int32)
        out[f"{pop['name']}_spike_times_ms"] = both[order, 1]
    for m in meta["monitors"]:
        every, name = m["every"], m["population"]
        rows = {(p, j, v): x for part in parts for p, j, v, x in part["traces"] if p == name}
        out[f"{name}_trace_t_ms"] = np.arange(0, n_steps, every) * meta["dt_ms"]
        for variable in m["variables"]:
            out[f"{name}_{variable}"] = np.array(
                [rows[name, j, variable][:n_steps:every] for j in m["neurons"]]
            )
    out["loop_s"] = np.float64(max(p["loop_s"] for p in parts))
    out["build_s"] = np.float64(max(p["build_s"] for p in parts))
    out["wait_s"] = np.array([p["wait_s"] for p in parts])
    out["netcons"] = np.int64(sum(p["synapses"] for p in parts))
    out["ranks"] = np.int64(nhost)
    return out


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write *arrays* to *path* whole or not at all (temporary file, then rename)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial.npz")
    np.savez(partial, **arrays)
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    """``python -m hh_brian.engines.simulators.neuron_network PAYLOAD OUT [--serial]`` on
    every rank (``--serial``: one process, no MPI)."""
    args = sys.argv[1:] if argv is None else argv
    payload, out = args[:2]
    rank = "?"
    try:
        import neuron
        from neuron import h

        if "--serial" not in args:
            h.nrnmpi_init()
        pc = h.ParallelContext()
        rank = int(pc.id())
        meta, arrays = read_payload(payload)
        neuron.load_mechanisms(meta["library"], warn_if_already_loaded=False)
        result = run(h, pc, meta, arrays)
        if result is not None:
            write_npz(out, result)
        pc.barrier()
        pc.done()
    except BaseException as exc:  # one line, then stop every rank (mpiexec kills the rest)
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{RANK_ERROR} {rank}: {type(exc).__name__}: {message}", file=sys.stderr, flush=True)
        os._exit(3)
    sys.stdout.flush()
    os._exit(0)  # NEURON's teardown of objects still referenced can crash: skip it


if __name__ == "__main__":
    main()


__all__ = ["RANK_ERROR", "main", "read_payload", "run", "write_npz"]
