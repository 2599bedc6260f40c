"""Steady states x_inf(V) and time constants tau_x(V) of the gates, on the modern axis.

This is Lecture 7's "compare gating variables" figure (squid giant axon vs
cortical pyramidal cell) as data: for each preset the potentials of a common
MODERN axis (depolarisation positive, absolute membrane potential) are mapped
into the preset's own convention (:meth:`VoltageConvention.from_modern`),
the rates are evaluated there (:func:`hh_brian.models.kinetics.steady_state`,
:func:`hh_brian.models.kinetics.time_constant`, temperature factor included) and the
results are reported against the modern potential, so a 1952-convention preset
lines up with the modern ones.

x_inf = alpha/(alpha + beta), tau_x = 1/(alpha + beta) (Hodgkin & Huxley 1952;
Dayan & Abbott 2001, section 5.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, get_dimensions, ms, mV, volt

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.output import write_text_atomic
from hh_brian.models.cell import CellModel as Preset
from hh_brian.models.kinetics import steady_state, time_constant

#: Default modern axis: -100 mV to +50 mV in 0.5 mV steps.
DEFAULT_AXIS = np.linspace(-100.0, 50.0, 301) * mV

CSV_HEADER = "preset,convention,celsius_degC,gate,v_modern_mV,x_inf_1,tau_ms"


@dataclass(frozen=True, eq=False)
class GatingCurves:
    """x_inf and tau of every gate of one preset on a modern-potential axis.

    Attributes
    ----------
    preset : Preset
    v_modern : Quantity
        Modern membrane potential (volt), shape ``(n,)``.
    x_inf : dict[str, ndarray]
        Steady state of gates n, m, h (dimensionless, in [0, 1]).
    tau : dict[str, Quantity]
        Time constants (second).
    """

    preset: Preset
    v_modern: Quantity
    x_inf: dict
    tau: dict


def gating_curves(preset: Preset, v_modern: Quantity = DEFAULT_AXIS) -> GatingCurves:
    """Evaluate x_inf(V) and tau_x(V) for *preset* on the modern axis *v_modern*."""
    if get_dimensions(v_modern) is not get_dimensions(volt) or np.ndim(v_modern) != 1:
        raise HHBrianInputError(
            f"v_modern: expected a 1-D array of potentials, got {v_modern!r}; "
            "e.g. np.linspace(-100, 50, 301)*mV"
        )
    v_own = preset.convention.from_modern(v_modern)
    gates = [g.name for g in preset.gates]
    x_inf = {gate: np.asarray(steady_state(preset, gate, v_own), dtype=float) for gate in gates}
    tau = {gate: time_constant(preset, gate, v_own) for gate in gates}
    return GatingCurves(preset=preset, v_modern=Quantity(v_modern), x_inf=x_inf, tau=tau)


def compare(presets: Sequence[Preset], v_modern: Quantity = DEFAULT_AXIS) -> list[GatingCurves]:
    """Gating curves of several presets on one modern axis."""
    if not presets:
        raise HHBrianInputError("gating: give at least one preset, e.g. dayan_abbott pyramidal")
    return [gating_curves(preset, v_modern) for preset in presets]


def csv_text(curves: Sequence[GatingCurves]) -> str:
    """Tidy CSV (one row per preset, gate and potential); headers carry units."""
    rows = [CSV_HEADER]
    for c in curves:
        p = c.preset
        celsius = float(p.parameters["celsius"])
        v = np.asarray(c.v_modern / mV)
        for gate in c.x_inf:
            tau = np.asarray(c.tau[gate] / ms)
            rows += [
                f"{p.name},{p.convention.name},{celsius:g},{gate},{v[k]:.6g},"
                f"{c.x_inf[gate][k]:.10g},{tau[k]:.10g}"
                for k in range(v.size)
            ]
    return "\n".join(rows) + "\n"


def write_csv(curves: Sequence[GatingCurves], path: str) -> None:
    """Write :func:`csv_text` atomically."""
    write_text_atomic(path, csv_text(curves))


__all__ = [
    "CSV_HEADER",
    "DEFAULT_AXIS",
    "GatingCurves",
    "compare",
    "csv_text",
    "gating_curves",
    "write_csv",
]
