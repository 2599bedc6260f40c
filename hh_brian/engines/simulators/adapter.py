"""An external simulator (NEURON, NEST, MOOSE) as a registered engine.

Each simulator module returns a :class:`~hh_brian.engines.simulators.SimulatorTrace`
(modern potential, spikes by hh-brian's detector); the adapter turns it into the
common :class:`~hh_brian.engines.trace.Trace` with ``v`` in the model's convention.
External simulators record the membrane potential only (no gates).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
from brian2 import ms, mV

from hh_brian.engines.simulators import (
    EXTRAS,
    SIMULATORS,
    SimulatorCannotExpress,
    run_simulator,
)
from hh_brian.engines.simulators.cell import squid_structure_problem
from hh_brian.engines.simulators.protocol import protocol_from_current
from hh_brian.engines.trace import Trace


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
        return f"pip install '{SIMULATORS[self.name][2]}' (or hh-brian[{EXTRAS[self.name]}])"

    def cannot_express(self, model) -> str | None:
        """Why the simulator cannot run *model* (NEST, MOOSE: anything but the squid
        structure; NEURON: only what NMODL cannot print), or ``None``."""
        return self._problem(model)

    def cannot_express_current(self, model, current, *, dt, duration) -> str | None:
        """Why the simulator cannot express the stimulus *current*, or ``None``.

        Needs no simulator installed (each backend module's ``stimulus_refusal``).

        Raises
        ------
        HHBrianInputError
            For a stimulus that no engine could run (an edge off the grid, a
            current in the wrong units).
        """
        protocol = protocol_from_current(model, current, dt=dt, duration=duration)
        module = importlib.import_module(SIMULATORS[self.name][0])
        return module.stimulus_refusal(protocol)

    def run(self, model, *, current, duration, dt, method=None, **options) -> Trace:
        """Run *model* under *current* for *duration* at step *dt*.

        Parameters
        ----------
        model : hh_brian.models.cell.CellModel
        current : Quantity, Stimulus, sequence of Stimulus or Drive
            A constant Quantity (density, or current for models with an area) is on
            from t = 0; stimuli are expressed in the simulator's own form
            (:mod:`.neuron_stimulus`, :mod:`.nest_stimulus`, :mod:`.moose`), and the
            Trace's ``info["stimulus"]`` says how.
        duration, dt : Quantity
        method : str, optional
            Unused (each simulator's scheme is set by its options).
        **options
            Backend options (see :func:`~hh_brian.engines.simulators.run_simulator`).

        Returns
        -------
        Trace
            ``v`` in the model's convention; ``info`` has ``engine``, ``scheme``,
            ``notes`` and ``stimulus``.

        Raises
        ------
        SimulatorCannotExpress
            If the simulator cannot express the model or the stimulus.
        HHBrianInputError
            For a stimulus edge off the grid or a current in the wrong units.
        """
        problem = self.cannot_express(model)
        if problem:
            raise SimulatorCannotExpress(problem)
        protocol = protocol_from_current(model, current, dt=dt, duration=duration)
        density = protocol.held_total[0] if protocol.from_quantity else 0.0
        run = run_simulator(
            self.name,
            model,
            current_density_uA_cm2=density,
            protocol=protocol,
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
            info={
                "engine": self.name,
                "scheme": run.scheme,
                "notes": run.notes,
                "stimulus": run.stimulus,
            },
        )
