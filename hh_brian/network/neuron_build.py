"""Export a :class:`~hh_brian.network.spec.NetworkSpec` to NEURON and run it, serially or on
MPI ranks.

:func:`run_network_neuron` checks that NEURON can express the spec, draws its random parts
once (:func:`hh_brian.network.drawn.draw_plan`: the same initial state, edges and external
trains :func:`hh_brian.network.build.run_network` takes with ``plan=``), compiles every
mechanism it needs with one ``nrnivmodl`` run (the cells' generated density mechanisms,
:mod:`hh_brian.render.nmodl`; a point process per synapse preset,
:mod:`hh_brian.render.nmodl_synapse`; the crossing helper), and runs
:mod:`hh_brian.engines.simulators.neuron_network` in one process of its own
(``ranks=None``) or under ``mpiexec -n ranks``
(:mod:`hh_brian.engines.simulators.neuron_mpi`).  The result is a
:class:`~hh_brian.network.spec.NetworkResult`, as from Brian2.

What NEURON needs that Brian2 does not
--------------------------------------
* **Delays**: every connection's delay a whole number of steps, at least one
  (``delay >= dt``).  NEURON's MPI spike exchange needs a minimum delay above zero
  (in fixed step, above dt: every delay gets :data:`DELAY_PAD_MS`, which moves no event);
  the same delays in Brian2 make the two runs step for step the same network.
  Brian2's COBAHH example has no delay: give ``delay=dt`` to both engines.
* **One temperature**: NEURON's ``celsius`` is global, so every population has the
  same ``celsius``.
* **Refractory dead time**: NEURON's NetCon re-arms when ``v`` falls back below the
  threshold, hh-brian's crossing rule, but keeps no dead time after it.  A second
  upward crossing within the dead time (3 ms in COBAHH) needs a full spike in under
  3 ms, which these cells do not fire; the refractory period is noted in ``info``.
* **Monitors**: ``v``, state gates and synaptic conductances (``g_<label>``,
  ``g_<label>_decay``, ``g_<label>_rise``).
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV, siemens

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.simulators import SimulatorCannotExpress
from hh_brian.network.spec import (
    NetworkSpec,
    Population,
    validate,
)

#: NEURON's fixed-step scheme for the network: 2 = Crank-Nicolson (0: implicit Euler).
SECONDORDER = 2
SCHEMES = {0: "implicit Euler, fixed step", 2: "Crank-Nicolson, fixed step"}
#: Added to every NEURON delay (ms): ``ParallelContext.psolve`` refuses a minimum delay
#: below ``dt + 1e-10`` ms in fixed step.  Events are delivered at the first step start
#: within dt/2 of their time, so the pad changes no delivery step for dt > 2e-6 ms.
DELAY_PAD_MS = 1e-6


def step_ms(spec: NetworkSpec) -> float:
    """dt in ms, rounded to 12 digits (``0.1*ms/ms`` is 0.09999999999999999 in Brian2, and
    NEURON's count of steps per minimum delay would floor to 0)."""
    return float(f"{float(spec.dt / ms):.12g}")


def neuron_problems(spec: NetworkSpec) -> None:
    """Raise :class:`SimulatorCannotExpress` or :class:`HHBrianInputError` if NEURON cannot
    run *spec* as hh-brian exports it (see the module docstring)."""
    from hh_brian.engines.simulators.neuron import nmodl_problem
    from hh_brian.render.nmodl_synapse import synapse_problem

    pops = validate(spec)
    for pop in pops.values():
        problem = nmodl_problem(pop.preset)
        if problem is not None:
            raise SimulatorCannotExpress(f"population {pop.name!r}: {problem}")
        for s in pop.synapses:
            problem = synapse_problem(s)
            if problem is not None:
                raise SimulatorCannotExpress(f"population {pop.name!r}: {problem}")
    temperatures = {float(p.preset.celsius) for p in pops.values()}
    if len(temperatures) > 1:
        raise SimulatorCannotExpress(
            f"populations at temperatures {sorted(temperatures)} degC: NEURON has one global "
            "celsius; give every preset the same temperature (preset.with_temperature(...))"
        )
    dt = float(spec.dt / ms)
    for c in spec.connections:
        steps = float(c.delay / ms) / dt
        if steps < 1 - 1e-9 or abs(steps - round(steps)) > 1e-6:
            raise HHBrianInputError(
                f"connection {c.source}->{c.target} delay {c.delay!r}: NEURON runs need whole "
                f"steps of at least dt = {dt:g} ms (NEURON's MPI spike exchange needs a delay "
                f"above zero); give delay={dt:g}*ms in both engines"
            )
    for m in spec.monitors:
        known = _recordable(pops[m.population])
        bad = [v for v in m.variables if v not in known]
        if bad:
            raise HHBrianInputError(
                f"monitor of {m.population!r}: NEURON export records {sorted(known)}, not {bad}"
            )


def _recordable(pop: Population) -> dict[str, tuple[str, str, str]]:
    """hh-brian variable -> (kind, owner, NEURON name) the worker records."""
    from hh_brian.engines.simulators.neuron import _state_name
    from hh_brian.render.nmodl_synapse import state_map

    out = {"v": ("v", "", "v")}
    out |= {g: ("mechanism", "", _state_name(g)) for g in pop.preset.gate_names}
    for s in pop.synapses:
        # the states after each step, as Brian2 records them (the ASSIGNED g of a
        # bi-exponential point process is computed before the step's update)
        out[f"g_{s.label}"] = ("receptor", s.label, "-".join(state_map(s).values()))
        out |= {b: ("receptor", s.label, n) for b, n in state_map(s).items() if b != f"g_{s.label}"}
    return out


def mechanism_texts(spec: NetworkSpec) -> tuple[dict[str, str], dict[str, str]]:
    """({name: NMODL text} of every mechanism the spec needs, {synapse preset name: point
    process name}); the crossing helper is included."""
    from hh_brian.render.nmodl import nmodl_mechanism
    from hh_brian.render.nmodl_synapse import CROSSING_NAME, CROSSING_TEXT, synapse_point_process

    texts = {CROSSING_NAME: CROSSING_TEXT}
    names = {}
    for pop in spec.populations:
        texts.update([nmodl_mechanism(pop.preset)])
        for s in pop.synapses:
            name, text = synapse_point_process(s)
            texts[name] = text
            names[s.name] = name
    return texts, names


def _library(texts: dict[str, str]) -> str:
    """A compiled library holding every mechanism of *texts*: one already loaded in this
    process if it has them all (no second build), else one ``nrnivmodl`` run (cached)."""
    from hh_brian.engines.simulators.neuron import LOADED_LIBRARIES
    from hh_brian.render.nmodl_build import compile_texts

    for directory, names in LOADED_LIBRARIES.items():
        if set(texts) <= names:
            return directory
    return str(compile_texts(texts))


def payload(spec: NetworkSpec, plan, duration: Quantity, library: str, pp_names: dict) -> tuple:
    """(meta, arrays) for :func:`hh_brian.engines.simulators.neuron_network.run`."""
    from hh_brian.engines.simulators.neuron import _state_name
    from hh_brian.render.nmodl import area_um2, capacitance_uF_cm2, nmodl_mechanism
    from hh_brian.render.nmodl_synapse import CROSSING_NAME, state_map

    pops, arrays, gid0 = [], {}, 0
    dt = step_ms(spec)
    for pop in spec.populations:
        conv = pop.preset.convention
        receptors = [
            {"label": s.label, "mechanism": pp_names[s.name], "states": state_map(s)}
            for s in pop.synapses
        ]
        pops.append(
            {
                "name": pop.name,
                "size": pop.size,
                "gid0": gid0,
                "suffix": nmodl_mechanism(pop.preset)[0],
                "area_um2": area_um2(pop.preset),
                "cm_uF_cm2": capacitance_uF_cm2(pop.preset),
                "threshold_mV": float(conv.to_modern(pop.preset.V_spike) / mV),
                "gates": {g: _state_name(g) for g in pop.preset.gate_names},
                "receptors": receptors,
                "crossing": CROSSING_NAME,
            }
        )
        gid0 += pop.size
        for variable, values in plan.initial[pop.name].items():
            if variable == "v":
                values = np.asarray(conv.to_modern(values) / mV)
            elif variable.startswith("g_"):
                values = np.asarray(values / siemens) * 1e6  # µS
            arrays[f"init_{pop.name}_{variable}"] = np.asarray(values, dtype=float)
    sizes = {p.name: p.size for p in spec.populations}
    connections = []
    for k, c in enumerate(spec.connections):
        pre, post = plan.edges[k]
        connections.append({"source": c.source, "target": c.target, "receptor": c.receptor})
        arrays[f"conn{k}_pre"], arrays[f"conn{k}_post"] = pre, post
        arrays[f"conn{k}_weight_uS"] = np.full(pre.size, float(c.weight / siemens) * 1e6)
        delay = round(float(c.delay / spec.dt)) * dt + DELAY_PAD_MS
        arrays[f"conn{k}_delay_ms"] = np.full(pre.size, delay)
    drives = []
    for k, d in enumerate(spec.drives):
        neurons, steps = plan.drive_events[k]
        drives.append(
            {
                "target": d.target,
                "receptor": d.receptor,
                "size": sizes[d.target],
                "weight_uS": float(d.weight / siemens) * 1e6,
            }
        )
        arrays[f"drive{k}_cell"], arrays[f"drive{k}_t_ms"] = neurons, (steps + 1) * dt
    monitors = []
    for m in spec.monitors:
        every = 1 if m.dt is None else max(1, int(round(float(m.dt / spec.dt))))
        where = _recordable(next(p for p in spec.populations if p.name == m.population))
        variables = {v: where[v] for v in m.variables}
        monitors.append(
            {
                "population": m.population,
                "variables": variables,
                "neurons": [int(i) for i in m.neurons],
                "every": every,
            }
        )
    meta = {
        "library": library,
        "dt_ms": dt,
        "tstop_ms": float(duration / ms),
        "secondorder": SECONDORDER,
        "celsius": float(spec.populations[0].preset.celsius),
        "populations": pops,
        "connections": connections,
        "drives": drives,
        "monitors": monitors,
    }
    return meta, arrays
