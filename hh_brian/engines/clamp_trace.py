"""The result of a voltage-clamp run, one layout for every engine: :class:`ClampTrace`.

Layout (sweeps x samples, sample ``j`` at ``t = j dt``):

=====================  ======================================================
``t``                  Quantity ``(T,)``: 0, dt, ..., (T-1) dt
``v_command``          the command, Quantity ``(n_sweeps, T)`` (volt, model's
                       convention), value over ``[t_j, t_j + dt)``
``v``                  the membrane, Quantity ``(n_sweeps, T)``; equals
                       ``v_command`` in an ideal clamp
``gates[name]``        every gate by name, ndarray ``(n_sweeps, T)``
``currents[ch]``       each channel's current density, Quantity
                       ``(n_sweeps, T)`` (A/m^2, outward positive in the model's
                       convention: for ``hh1952``, inward positive as in the paper)
``conductances[ch]``   each channel's conductance density ``g_ch * prod x^p``,
                       Quantity ``(n_sweeps, T)`` (S/m^2)
``clamp_current``      with a series resistance, ``(V_command - v)/R_s`` (A/m^2,
                       the model's current convention; it equals the total ionic
                       plus capacitive current); ``None`` for an ideal clamp
=====================  ======================================================

Values at ``t_j`` are taken after the command of sample ``j`` is applied: at an
edge, ``v`` and the currents show the new level while the gates are continuous.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity

from hh_brian.models.cell import CellModel
from hh_brian.models.clamp import ClampProtocol


@dataclass(frozen=True)
class ClampTrace:
    """Every recorded variable of a voltage-clamp family (see the module docstring).

    Attributes
    ----------
    model : CellModel
    protocol : ClampProtocol
    method : str
        Integration scheme (Brian2 method name, or the external simulator's).
    engine : str
    t, v_command, v : Quantity
    gates : dict[str, ndarray]
    currents, conductances : dict[str, Quantity]
    series_resistance : Quantity or None
        Specific series resistance (ohm*metre**2); ``None`` for an ideal clamp.
    clamp_current : Quantity or None
    wall_time : float
        Seconds spent integrating.
    info : dict
        Provenance (target, fast path, simulator notes).
    """

    model: CellModel
    protocol: ClampProtocol
    method: str
    engine: str
    t: Quantity
    v_command: Quantity
    v: Quantity
    gates: dict[str, np.ndarray]
    currents: dict[str, Quantity]
    conductances: dict[str, Quantity]
    series_resistance: Quantity | None = None
    clamp_current: Quantity | None = None
    wall_time: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def ideal(self) -> bool:
        """True for an ideal clamp (no series resistance)."""
        return self.series_resistance is None

    def total_current(self) -> Quantity:
        """Sum of the channel currents, shape ``(n_sweeps, T)`` (A/m^2)."""
        return sum(self.currents.values())


__all__ = ["ClampTrace"]
