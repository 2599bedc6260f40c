"""An external simulator (NEURON, NEST, MOOSE) as a registered engine.

Each simulator module returns a :class:`~hh_brian.engines.simulators.SimulatorTrace`
(modern potential, spikes by hh-brian's detector); the adapter turns it into the
common :class:`~hh_brian.engines.trace.Trace` with ``v`` in the model's convention.
External simulators record the membrane potential only (no gates).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from brian2 import cm, ms, mV, uA

from hh_brian.engines.simulators import SIMULATORS, SimulatorCannotExpress, run_simulator
from hh_brian.engines.simulators.cell import squid_structure_problem
from hh_brian.engines.trace import Trace
from hh_brian.models.currents import current_density


class SimulatorEngine:
    """A registered engine backed by an external simulator's Python package."""

    def __init__(
        self,
        name: str,
        methods: tuple[str, ...],
        problem: Callable[[object], str | None] = squid_structure_problem,
    ) -> None:
        self.name = name
        self.methods = methods
        self._problem = problem

    @property
    def package(self) -> str:
        """The Python package the simulator needs, read from :data:`SIMULATORS` each time
        (so that the table, not a copy taken at import, decides availability)."""
        return SIMULATORS[self.name][1]

    @property
    def install_hint(self) -> str:
        return f"pip install '{SIMULATORS[self.name][2]}' (or hh-brian[simulators])"

    def cannot_express(self, model) -> str | None:
        """Why the simulator cannot run *model* (NEST, MOOSE: anything but the squid
        structure; NEURON: only what NMODL cannot print), or ``None``."""
        return self._problem(model)

    def run(self, model, *, current, duration, dt, method=None, **options) -> Trace:
        problem = self.cannot_express(model)
        if problem:
            raise SimulatorCannotExpress(problem)
        density = float(np.asarray(current_density(model, current) / (uA / cm**2)))
        run = run_simulator(
            self.name,
            model,
            current_density_uA_cm2=density,
            duration_ms=float(duration / ms),
            dt_ms=float(dt / ms),
            v_threshold_mV=float(model.convention.to_modern(model.V_spike) / mV),
            **options,
        )
        v = model.convention.from_modern(np.asarray(run.v_mV) * mV)
        return Trace(
            preset=model,
            method=run.scheme,
            dt=run.dt_ms * ms,
            t=np.asarray(run.t_ms) * ms,
            traces={"v": v[None, :]},
            recorded=np.array([0]),
            spike_indices=np.zeros(len(run.spikes_ms), dtype=int),
            spike_times=np.asarray(run.spikes_ms) * ms,
            n_neurons=1,
            wall_time=run.wall_s,
            info={"engine": self.name, "scheme": run.scheme, "notes": run.notes},
        )
