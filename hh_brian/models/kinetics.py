"""Gating kinetics of a preset evaluated with units: x_inf, tau_x and the resting state.

These evaluate the preset's own rate expressions (the same text the renderer
puts into Brian2 equations) with Brian2 quantities, so the initial state of a
simulation is *computed* from the model rather than copied from a table.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, amp, meter, volt
from scipy.optimize import brentq

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.models.presets import GATES, Preset


def rate(preset: Preset, name: str, v: Quantity) -> Quantity:
    """Evaluate one gating rate (Hz), including the temperature factor phi.

    Parameters
    ----------
    preset : Preset
    name : str
        ``"alpha_m"``, ``"beta_h"``, ...
    v : Quantity
        Membrane potential(s) in the preset's convention (volt).
    """
    value = evaluate(preset.rates[name], {**preset.parameters, "v": v}, what=f"rate {name}")
    return preset.phi * value


def steady_state(preset: Preset, gate: str, v: Quantity) -> np.ndarray:
    """x_inf(v) = alpha/(alpha + beta) for *gate* (dimensionless)."""
    alpha = rate(preset, f"alpha_{gate}", v)
    beta = rate(preset, f"beta_{gate}", v)
    return np.asarray(alpha / (alpha + beta))


def time_constant(preset: Preset, gate: str, v: Quantity) -> Quantity:
    """tau_x(v) = 1/(alpha + beta) for *gate* (second)."""
    return 1.0 / (rate(preset, f"alpha_{gate}", v) + rate(preset, f"beta_{gate}", v))


def steady_state_current(preset: Preset, v: Quantity) -> Quantity:
    """Ionic current density with all gates at steady state (A/m^2, outward positive
    in the preset's convention)."""
    p = preset.parameters
    n, m, h = (steady_state(preset, g, v) for g in GATES)
    return (
        p["g_Na"] * m**3 * h * (v - p["E_Na"])
        + p["g_K"] * n**4 * (v - p["E_K"])
        + p["g_L"] * (v - p["E_L"])
    )


def resting_potential(preset: Preset, search_width: Quantity = 5e-3 * volt) -> Quantity:
    """The potential near ``preset.v_rest_guess`` where the steady-state current vanishes.

    Found with Brent's method to 1e-12 mV; raises if the bracket holds no root.
    """
    guess = float(preset.v_rest_guess / volt)
    width = float(search_width / volt)

    def current(v_volt: float) -> float:
        return float(steady_state_current(preset, v_volt * volt) / (amp / meter**2))

    # Walk outwards from the guess until the current changes sign.
    grid = guess + np.linspace(-width, width, 121)
    values = np.array([current(v) for v in grid])
    closest = None
    for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:])):
        if closest is None or abs(grid[i] - guess) < abs(grid[closest] - guess):
            closest = i
    if closest is None:
        raise HHBrianInputError(
            f"preset {preset.name!r}: no resting potential within {width * 1e3:g} mV of "
            f"{guess * 1e3:g} mV; check E_L and the conductances"
        )
    root = brentq(current, grid[closest], grid[closest + 1], xtol=1e-15, rtol=1e-15)
    return root * volt


def resting_state(preset: Preset) -> dict[str, Quantity]:
    """The steady state at rest: ``{"v": V_rest, "n": n_inf, "m": m_inf, "h": h_inf}``.

    ``V_rest`` is the equilibrium within 5 mV of the preset's nominal resting
    potential.  Where the model has none there (Traub-Miles: its window Na+
    current depolarises an isolated cell), the nominal potential is used and the
    gates still start at their steady state for it.
    """
    try:
        v_rest = resting_potential(preset)
    except HHBrianInputError:
        v_rest = preset.v_rest_guess
    state: dict[str, Quantity] = {"v": v_rest}
    for gate in GATES:
        state[gate] = Quantity(float(steady_state(preset, gate, v_rest)))
    return state


__all__ = [
    "rate",
    "resting_potential",
    "resting_state",
    "steady_state",
    "steady_state_current",
    "time_constant",
]


def check_initial_state(preset: Preset, state: dict[str, Quantity]) -> dict[str, Quantity]:
    """Validate a user-supplied initial state: v a finite voltage, gates finite in [0, 1]."""
    from brian2 import get_dimensions

    missing = {"v", *GATES} - set(state)
    if missing:
        raise HHBrianInputError(
            f"initial state lacks {sorted(missing)}; give v (volt) and the gates n, m, h, "
            "e.g. {'v': -65*mV, 'n': 0.32, 'm': 0.05, 'h': 0.6}"
        )
    v = state["v"]
    if get_dimensions(v) is not get_dimensions(volt) or not np.all(np.isfinite(np.asarray(v))):
        raise HHBrianInputError(f"initial state: v = {v!r} must be a finite voltage such as -65*mV")
    for gate in GATES:
        value = np.asarray(state[gate], dtype=float)
        if not np.all(np.isfinite(value)) or np.any(value < 0) or np.any(value > 1):
            raise HHBrianInputError(
                f"initial state: gate {gate} = {state[gate]!r} must be finite and in [0, 1]; "
                f"e.g. its steady state {float(steady_state(preset, gate, v)):.4f}"
            )
    return state
