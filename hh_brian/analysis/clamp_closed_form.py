"""Closed forms of an ideal voltage clamp, and tables of per-level rate constants.

In an ideal clamp every Hodgkin-Huxley gate relaxes exponentially after a step
from ``V0`` to ``V``::

    x(t) = x_inf(V) - (x_inf(V) - x_inf(V0)) exp(-t/tau_x(V))

so each channel's conductance is ``g * prod_x x(t)^p`` (Hodgkin & Huxley 1952,
eqs. 7 and 14).  :func:`conductance_family` evaluates it from the model's own
rates or from tabulated ``alpha``/``beta`` per level (:func:`load_rate_table`),
e.g. the per-record fits of Hodgkin & Huxley's Tables 1 and 2.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Quantity, get_dimensions, meter, ms, siemens

from hh_brian.models.cell import CellModel
from hh_brian.models.kinetics import steady_state, time_constant


@dataclass(frozen=True)
class RateTable:
    """Tabulated rate constants of one gate.

    Attributes
    ----------
    gate : str
    depolarisation : ndarray
        Depolarisation from rest (mV, positive), shape ``(k,)``.
    alpha, beta : ndarray
        Rate constants (1/ms), shape ``(k,)``.
    """

    gate: str
    depolarisation: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray

    @property
    def tau_ms(self) -> np.ndarray:
        """``1/(alpha + beta)`` (ms)."""
        return 1.0 / (self.alpha + self.beta)

    @property
    def x_inf(self) -> np.ndarray:
        """``alpha/(alpha + beta)`` (dimensionless)."""
        return self.alpha / (self.alpha + self.beta)


def load_rate_table(path: str | Path) -> dict[str, RateTable]:
    """Read ``gate,depolarisation_mV,alpha_per_ms,beta_per_ms`` rows (``#`` lines are
    comments) into one :class:`RateTable` per gate, ordered by depolarisation."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(lines):
        rows.setdefault(row["gate"], []).append(
            (float(row["depolarisation_mV"]), float(row["alpha_per_ms"]), float(row["beta_per_ms"]))
        )
    tables = {}
    for gate, values in rows.items():
        array = np.array(sorted(values))
        tables[gate] = RateTable(gate, array[:, 0], array[:, 1], array[:, 2])
    return tables


def relaxation(x_inf: np.ndarray, tau_ms: np.ndarray, x0: float, t_ms: np.ndarray) -> np.ndarray:
    """``x_inf - (x_inf - x0) exp(-t/tau)``, levels x times: shape ``(k, len(t_ms))``."""
    x_inf = np.asarray(x_inf, dtype=float)[:, None]
    tau = np.asarray(tau_ms, dtype=float)[:, None]
    return x_inf - (x_inf - x0) * np.exp(-np.asarray(t_ms)[None, :] / tau)


def conductance_family(
    model: CellModel,
    channel: str,
    levels: Quantity,
    t: Quantity,
    hold: Quantity,
    rates: Mapping[str, RateTable] | None = None,
) -> Quantity:
    """Conductance density of *channel* after steps from *hold* to each level (S/m^2).

    Parameters
    ----------
    model : CellModel
    channel : str
    levels : Quantity
        Step levels in the model's convention (volt), shape ``(k,)``.
    t : Quantity
        Times since the step (second), shape ``(T,)``.
    hold : Quantity
        Holding level; every gate starts at its steady state there.
    rates : mapping, optional
        Tabulated rates per gate name, one entry per level in the same order; the
        gates it does not name use the model's own x_inf and tau.

    Returns
    -------
    Quantity
        Shape ``(k, T)``.
    """
    ch = model.channel(channel)
    g = ch.g / model.area if get_dimensions(ch.g) is get_dimensions(siemens) else ch.g
    t_ms = np.asarray(t / ms)
    out = np.full((np.size(levels), t_ms.size), float(g / (siemens / meter**2)))
    for gate in ch.gates:
        x0 = float(steady_state(model, gate.name, hold))
        if rates is not None and gate.name in rates:
            x_inf, tau_ms = rates[gate.name].x_inf, rates[gate.name].tau_ms
        else:
            x_inf = steady_state(model, gate.name, levels)
            tau_ms = np.asarray(time_constant(model, gate.name, levels) / ms)
        out = out * relaxation(x_inf, tau_ms, x0, t_ms) ** gate.exponent
    return out * (siemens / meter**2)


__all__ = ["RateTable", "conductance_family", "load_rate_table", "relaxation"]
