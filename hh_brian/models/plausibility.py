"""Plausibility warnings: inputs that are legal but probably not what was meant.

Each check returns a sentence; commands print them as warnings and go on.

* a current that no steady state can balance inside -150..+100 mV (modern
  convention): the membrane would be driven outside any physiological range;
* a current density 100x larger than that range needs, the signature of mixed
  area units (uA/mm**2 for uA/cm**2);
* a time step longer than :data:`DT_FACTOR` times the fastest gate time
  constant at rest, where every method's error is large (and explicit ones
  become unstable).
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV, uA
from brian2.units import cm

from hh_brian.models.cell import CellModel
from hh_brian.models.currents import current_density
from hh_brian.models.kinetics import resting_state, steady_state_current, time_constant

#: The physiological window of the membrane potential (modern convention).
V_WINDOW = (-150 * mV, 100 * mV)
#: A time step this many times the fastest gate time constant at rest draws a warning.
DT_FACTOR = 2.0
#: A current this many times what reaches the window's edge suggests mixed area units.
UNIT_FACTOR = 100.0


def current_warnings(model: CellModel, current: Quantity) -> list[str]:
    """Warnings for injected currents (any shape) that the model cannot balance.

    *current* is a density or, for models with an area, an absolute current.
    """
    density = np.asarray(current_density(model, current) / (uA / cm**2), dtype=float)
    if density.size == 0:
        return []
    low_v, high_v = (model.convention.from_modern(v) for v in V_WINDOW)
    window = np.array([float(low_v / mV), float(high_v / mV)]) * mV
    # the ionic current in the convention's sign; times the sign: physical, outward positive
    ionic = steady_state_current(model, window) * model.convention.sign
    edges = np.asarray(ionic / (uA / cm**2), dtype=float)
    lowest, highest = float(np.min(edges)), float(np.max(edges))
    largest, smallest = float(np.max(density)), float(np.min(density))
    warnings = []
    if largest > highest or smallest < lowest:
        value = largest if largest > highest else smallest
        warnings.append(
            f"an injected current of {value:.4g} uA/cm^2 has no steady state between -150 and "
            f"+100 mV in model {model.name!r} (the window balances {lowest:.4g}..{highest:.4g} "
            "uA/cm^2); check its value and units"
        )
        if abs(value) > UNIT_FACTOR * max(abs(lowest), abs(highest)):
            warnings.append(
                "the current is more than 100x what reaches that window: mixed area units? "
                "(1 uA/mm**2 = 100 uA/cm**2)"
            )
    return warnings


def time_step_warnings(model: CellModel, dt: Quantity) -> list[str]:
    """A warning when *dt* exceeds DT_FACTOR times the fastest gate time constant at rest."""
    v_rest = resting_state(model)["v"]
    taus = [
        float(time_constant(model, g.name, v_rest) / ms)
        for g in model.gates
        if float(time_constant(model, g.name, v_rest) / ms) > 0
    ]
    if not taus or float(dt / ms) <= DT_FACTOR * min(taus):
        return []
    return [
        f"dt = {float(dt / ms):g} ms is {float(dt / ms) / min(taus):.3g}x the fastest gate time "
        f"constant at rest ({min(taus):.3g} ms) of model {model.name!r}; expect large errors "
        "(explicit methods may blow up)"
    ]


__all__ = ["DT_FACTOR", "UNIT_FACTOR", "V_WINDOW", "current_warnings", "time_step_warnings"]
