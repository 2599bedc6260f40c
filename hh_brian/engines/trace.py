"""One result type for every engine: :class:`Trace`.

Layout (every engine, every method):

=================  ==========================================================
``t``              sample times, Quantity of shape ``(T,)``: 0, dt, ..., (T-1)*dt
``traces["v"]``    membrane potential, Quantity ``(n_recorded, T)``, model's convention
``traces[gate]``   each state gate by name, ndarray ``(n_recorded, T)``
``currents()``     each channel's current density by channel name, Quantity
                   ``(n_recorded, T)`` (A/m^2, outward positive), computed from
                   the recorded state
``spike_times``    every spike of every neuron (Quantity), with ``spike_indices``
=================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity

from hh_brian.models.cell import CellModel


@dataclass
class Trace:
    """Traces and spikes of one run, with units.

    Attributes
    ----------
    preset : CellModel
        The model that was run (historical attribute name; also ``model``).
    method : str
    dt : Quantity
    t : Quantity
        Sample times, one per step, shape ``(T,)``.
    traces : dict[str, Quantity or ndarray]
        ``v`` (volt, model's convention) and every state gate, each of shape
        ``(n_recorded, T)``.
    recorded : ndarray
        Indices of the recorded neurons.
    spike_indices : ndarray
    spike_times : Quantity
        All spikes of all neurons (threshold crossings in the depolarising sense).
    n_neurons : int
    wall_time : float
        Seconds spent integrating (code generation included on first use).
    info : dict
        Engine, target and other provenance.
    """

    preset: CellModel
    method: str
    dt: Quantity
    t: Quantity
    traces: dict[str, object]
    recorded: np.ndarray
    spike_indices: np.ndarray
    spike_times: Quantity
    n_neurons: int
    wall_time: float
    info: dict[str, object] = field(default_factory=dict)

    @property
    def model(self) -> CellModel:
        return self.preset

    @property
    def engine(self) -> str:
        return str(self.info.get("engine", ""))

    def spikes_of(self, neuron: int = 0) -> Quantity:
        """Spike times of one neuron (second)."""
        return self.spike_times[self.spike_indices == neuron]

    @property
    def v(self) -> Quantity:
        """Membrane potential traces in the model's convention (volt)."""
        return self.traces["v"]

    def currents(self) -> dict[str, Quantity]:
        """Each channel's current density (A/m^2), shape ``(n_recorded, T)``."""
        from hh_brian.models.kinetics import channel_currents

        gates = {name: np.asarray(self.traces[name]) for name in self.preset.gate_names}
        return channel_currents(self.preset, self.traces["v"], gates)


#: Historical name.
SimulationResult = Trace

__all__ = ["SimulationResult", "Trace"]
