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


@dataclass(repr=False)
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

    # -- display ----------------------------------------------------------------
    @property
    def duration(self) -> Quantity:
        """Simulated time, ``len(t) * dt`` (second)."""
        return len(self.t) * self.dt

    def summary(self) -> dict[str, object]:
        """The run at a glance: model, engine, method, dt, duration, spikes, V range.

        Returns
        -------
        dict
            Keys name their units: ``model``, ``engine``, ``method``, ``dt_ms``,
            ``duration_ms``, ``n_neurons``, ``n_recorded``, ``spikes`` (all neurons),
            ``mean_rate_Hz`` (spikes per neuron per second), ``v_min_mV`` and
            ``v_max_mV`` (recorded neurons, model's convention), ``recorded``
            (the traced variables) and ``wall_time_s``.
        """
        from brian2 import ms, mV, second

        v_mV = np.asarray(self.v / mV)
        seconds = float(self.duration / second)
        n_spikes = int(np.size(self.spike_times))
        engine = self.engine + (f" ({self.info['target']})" if "target" in self.info else "")
        return {
            "model": self.preset.name,
            "engine": engine,
            "method": self.method,
            "dt_ms": float(self.dt / ms),
            "duration_ms": float(self.duration / ms),
            "n_neurons": int(self.n_neurons),
            "n_recorded": int(np.size(self.recorded)),
            "spikes": n_spikes,
            "mean_rate_Hz": n_spikes / (self.n_neurons * seconds) if seconds > 0 else 0.0,
            "v_min_mV": float(v_mV.min()) if v_mV.size else float("nan"),
            "v_max_mV": float(v_mV.max()) if v_mV.size else float("nan"),
            "recorded": ", ".join(self.traces),
            "wall_time_s": float(self.wall_time),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Trace({s['model']!r}, {s['engine']} {s['method']}, dt = {s['dt_ms']:g} ms, "
            f"{s['duration_ms']:g} ms, {s['n_neurons']} neuron(s), {s['spikes']} spikes)"
        )

    def _repr_html_(self) -> str:
        """A compact table of :meth:`summary` (Jupyter)."""
        import html

        s = self.summary()
        rows = [
            ("model", s["model"]),
            ("engine, method", f"{s['engine']}, {s['method']} at dt = {s['dt_ms']:g} ms"),
            (
                "simulated",
                f"{s['duration_ms']:g} ms, {s['n_neurons']} neuron(s), "
                f"{s['n_recorded']} recorded ({s['recorded']})",
            ),
            ("spikes", f"{s['spikes']} ({s['mean_rate_Hz']:.3g} Hz per neuron)"),
            (
                "v range",
                f"{s['v_min_mV']:.4g} to {s['v_max_mV']:.4g} mV "
                f"({self.preset.convention.name} convention)",
            ),
            ("wall time", f"{s['wall_time_s']:.3g} s"),
        ]
        body = "".join(
            f'<tr><th style="text-align:left">{html.escape(k)}</th>'
            f'<td style="text-align:left">{html.escape(str(v))}</td></tr>'
            for k, v in rows
        )
        return f"<table><caption>Trace</caption>{body}</table>"

    def plot(self, path=None, *, neuron: int = 0, stimulus=None, current=None):
        """Voltage with its spikes, the gates and (given one) the stimulus, in one figure.

        Draws with :func:`hh_brian.report.plotting.plot_trace` (imported only now; no
        pyplot, no backend change).

        Parameters
        ----------
        path : str or Path, optional
            Save there (format from the suffix) and return the path; without it, return
            the figure, which Jupyter shows inline.
        neuron : int
            Row of the recorded traces to show.
        stimulus, current : optional
            The injected current, for a third panel (see ``plot_trace``).

        Returns
        -------
        matplotlib.figure.Figure or Path
        """
        from hh_brian.report.plotting import plot_trace

        return plot_trace(self, path, neuron=neuron, stimulus=stimulus, current=current)


#: Historical name.
SimulationResult = Trace

__all__ = ["SimulationResult", "Trace"]
