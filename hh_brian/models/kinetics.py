"""Gating kinetics of a model with units: x_inf, tau_x, equilibria and the resting state.

These evaluate the model's own expressions (the same text the renderer puts
into Brian2 equations) with Brian2 quantities, so the initial state of every
simulation is *computed* from the model, not copied from a table.

The resting state is found globally: every equilibrium over modern potentials
from -120 to +60 mV is located (sign changes of the steady-state current on a
0.05 mV grid, refined with Brent's method), its stability is read from the
eigenvalues of the full system's Jacobian, and the stable equilibrium nearest
the model's nominal rest is taken.  Results are cached per model, in the process and
on disk (:mod:`hh_brian.models.rest_state`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from brian2 import Quantity, get_dimensions, mV, second, volt

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES, Gate
from hh_brian.models.rest_state import Equilibrium, RestingState, cache_key, store, stored

#: Modern potentials (mV) searched for equilibria, and the grid step.
SEARCH_RANGE_MV = (-120.0, 60.0)
SEARCH_STEP_MV = 0.05


def _expression(model: CellModel, gate: Gate, key: str, v: Quantity) -> Quantity:
    return evaluate(
        gate.expressions[key], {**model.parameters, "v": v}, what=f"gate {gate.name}.{key}"
    )


def gate_coefficients(model: CellModel, gate: Gate, v: Quantity) -> tuple[Quantity, Quantity]:
    """``(a, b)`` with ``dx/dt = a - b*x`` for a state gate, temperature factor included (Hz)."""
    phi = model.phi(model.channel_of_gate(gate.name))
    if gate.form == RATES:
        alpha = _expression(model, gate, "alpha", v)
        beta = _expression(model, gate, "beta", v)
        return phi * alpha, phi * (alpha + beta)
    if gate.form == INF_TAU:
        inf = _expression(model, gate, "inf", v)
        tau = _expression(model, gate, "tau", v)
        return phi * inf / tau, phi / tau
    raise ValueError(f"gate {gate.name} is instantaneous: it has no dynamics")


def _gate(model: CellModel, name: str) -> Gate:
    for gate in model.gates:
        if gate.name == name:
            return gate
    raise HHBrianInputError(
        f"model {model.name!r} has no gate {name!r}; gates: "
        f"{', '.join(g.name for g in model.gates)}"
    )


def rate(model: CellModel, name: str, v: Quantity) -> Quantity:
    """Evaluate one gate expression by its equation name, with the temperature factor
    applied to rates (``alpha_m``, ``beta_h``: Hz) and time constants (``tau_p``: s)."""
    for gate in model.gates:
        for key, rendered in gate.rendered_names().items():
            if rendered == name:
                value = _expression(model, gate, key, v)
                phi = model.phi(model.channel_of_gate(gate.name))
                if key in ("alpha", "beta"):
                    return phi * value
                if key == "tau":
                    return value / phi
                return value
    raise HHBrianInputError(f"model {model.name!r} has no rate {name!r}")


def steady_state(model: CellModel, gate: str, v: Quantity) -> np.ndarray:
    """x_inf(v) of *gate* (dimensionless); ``alpha/(alpha + beta)`` for rate gates."""
    g = _gate(model, gate)
    if g.form == RATES:
        alpha = _expression(model, g, "alpha", v)
        beta = _expression(model, g, "beta", v)
        return np.asarray(alpha / (alpha + beta))
    return np.asarray(_expression(model, g, "inf", v)) * np.ones(np.shape(v))


def time_constant(model: CellModel, gate: str, v: Quantity) -> Quantity:
    """tau_x(v) of *gate* (second), temperature factor included; 0 s if instantaneous."""
    g = _gate(model, gate)
    if g.form == INSTANTANEOUS:
        return np.zeros(np.shape(v)) * second
    _, b = gate_coefficients(model, g, v)
    return 1.0 / b


def channel_currents(
    model: CellModel, v: Quantity, gates: Mapping[str, object]
) -> dict[str, Quantity]:
    """Each channel's current density (A/m^2, outward positive in the model's convention)
    at potential *v* with the given state-gate values (instantaneous gates at x_inf)."""
    out = {}
    for ch in model.channels:
        conductance = ch.g / model.area if _absolute(ch.g) else ch.g
        for gate in ch.gates:
            x = steady_state(model, gate.name, v) if not gate.is_state else gates[gate.name]
            conductance = conductance * np.asarray(x) ** gate.exponent
        out[ch.name] = conductance * (v - ch.E)
    return out


def _absolute(g: Quantity) -> bool:
    from brian2 import siemens

    return get_dimensions(g) is get_dimensions(siemens)


def steady_state_current(model: CellModel, v: Quantity) -> Quantity:
    """Total ionic current density with every gate at steady state (A/m^2)."""
    gates = {name: steady_state(model, name, v) for name in model.gate_names}
    return sum(channel_currents(model, v, gates).values())


# ---------------------------------------------------------------------------
# Equilibria
# ---------------------------------------------------------------------------


def _rhs(model: CellModel, y: np.ndarray) -> np.ndarray:
    """dy/dt in SI units for states y = (v[V], gates...) of shape (1 + G, K)."""
    v = y[0] * volt
    names = model.gate_names
    gates = {name: y[1 + k] for k, name in enumerate(names)}
    currents = channel_currents(model, v, gates)
    total = sum(currents.values())
    out = np.empty_like(y)
    out[0] = np.asarray(-total / model.C_m / (volt / second), dtype=float)
    for k, name in enumerate(names):
        a, b = gate_coefficients(model, _gate(model, name), v)
        out[1 + k] = np.asarray((a - b * gates[name]) * second, dtype=float)
    return out


def jacobian(model: CellModel, y: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of the full system at state y (SI; one vectorised
    evaluation of the right-hand side)."""
    return jacobians(model, np.asarray(y, dtype=float)[:, None])[0]


def jacobians(model: CellModel, y: np.ndarray) -> np.ndarray:
    """Central-difference Jacobians at K states at once (SI).

    Parameters
    ----------
    model : CellModel
    y : ndarray
        States ``(v [V], gates...)``, shape ``(1 + G, K)``.

    Returns
    -------
    ndarray
        Shape ``(K, 1 + G, 1 + G)``; ``[k, i, j] = d(dy_i/dt)/dy_j`` at state ``k``.
        Independent of a constant injected current, which only shifts ``dv/dt``.
    """
    n, k_states = y.shape
    steps = np.full(n, 1e-7)  # 0.1 uV for v, 1e-7 for the gates
    columns = np.repeat(y[:, :, None], 2 * n, axis=2)
    for k in range(n):
        columns[k, :, 2 * k] += steps[k]
        columns[k, :, 2 * k + 1] -= steps[k]
    f = _rhs(model, columns.reshape(n, -1)).reshape(n, k_states, 2 * n)
    out = (f[:, :, 0::2] - f[:, :, 1::2]) / (2 * steps[None, None, :])
    return np.transpose(out, (1, 0, 2))


def equilibria(model: CellModel) -> tuple[Equilibrium, ...]:
    """Every equilibrium at zero injected current from -120 to +60 mV (modern)."""
    from scipy.optimize import brentq  # here: scipy.optimize takes ~0.2 s to import

    conv = model.convention
    grid_modern = np.arange(
        SEARCH_RANGE_MV[0], SEARCH_RANGE_MV[1] + SEARCH_STEP_MV / 2, SEARCH_STEP_MV
    )
    grid = np.asarray(conv.from_modern(grid_modern * mV) / volt)
    current = np.asarray(steady_state_current(model, grid * volt), dtype=float)
    if not np.all(np.isfinite(current)):
        raise HHBrianInputError(
            f"model {model.name!r}: the steady-state current is not finite at V = "
            f"{grid_modern[np.argmax(~np.isfinite(current))]:g} mV (modern); check the rates"
        )

    def scalar(v_volt: float) -> float:
        return float(steady_state_current(model, np.array([v_volt]) * volt)[0])

    roots = []
    exact = np.flatnonzero(current == 0)
    roots += [grid[k] for k in exact]
    for k in np.flatnonzero(np.signbit(current[:-1]) != np.signbit(current[1:])):
        if current[k] == 0 or current[k + 1] == 0:
            continue
        roots.append(brentq(scalar, grid[k], grid[k + 1], xtol=1e-15, rtol=1e-15))
    found = []
    for v_root in sorted(roots):
        gates = {name: float(steady_state(model, name, v_root * volt)) for name in model.gate_names}
        y = np.array([v_root, *gates.values()])
        eig = np.linalg.eigvals(jacobian(model, y))
        scale = max(1.0, float(np.max(np.abs(eig))))
        stable = bool(np.all(eig.real < -1e-9 * scale))
        found.append(Equilibrium(v=v_root * volt, gates=gates, eigenvalues=eig, stable=stable))
    return tuple(found)


#: Resting states by :meth:`CellModel.key` (bounded: cleared when it grows past this).
_REST_CACHE: dict[str, RestingState] = {}
_REST_CACHE_SIZE = 256


def _find_rest(model: CellModel) -> RestingState:
    eqs = equilibria(model)
    conv = model.convention
    guess = float(conv.to_modern(model.v_rest_guess) / mV)

    def distance(eq: Equilibrium) -> float:
        return abs(float(conv.to_modern(eq.v) / mV) - guess)

    stable = [eq for eq in eqs if eq.stable]
    shown = ", ".join(
        f"{float(conv.to_modern(eq.v) / mV):.2f} mV ({'stable' if eq.stable else 'unstable'})"
        for eq in eqs
    )
    if stable:
        chosen = min(stable, key=distance)
        state = {"v": chosen.v, **{k: Quantity(v) for k, v in chosen.gates.items()}}
        message = f"rest {float(conv.to_modern(chosen.v) / mV):.4f} mV (modern), stable"
        if len(eqs) > 1:
            message += f"; the model has {len(eqs)} equilibria: {shown}"
        return RestingState(state=state, equilibria=eqs, chosen=chosen, message=message)
    v0 = model.v_rest_guess
    state = {"v": v0, **{n: Quantity(float(steady_state(model, n, v0))) for n in model.gate_names}}
    message = (
        f"no stable equilibrium from {SEARCH_RANGE_MV[0]:g} to {SEARCH_RANGE_MV[1]:g} mV "
        f"({shown or 'none at all'}); starting at the nominal rest "
        f"{float(conv.to_modern(v0) / mV):g} mV (modern) with the gates at steady state"
    )
    return RestingState(state=state, equilibria=eqs, chosen=None, message=message)


def rest_report(model: CellModel) -> RestingState:
    """The resting state with every equilibrium and a one-line account.

    Cached per model in the process and on disk across processes
    (:mod:`hh_brian.models.rest_state`): the second run of a model reads it back.
    """
    key = model.key()
    if key not in _REST_CACHE:
        if len(_REST_CACHE) >= _REST_CACHE_SIZE:
            _REST_CACHE.clear()
        disk_key = cache_key(key, (SEARCH_RANGE_MV, SEARCH_STEP_MV))
        rest = stored(disk_key)
        if rest is None:
            rest = _find_rest(model)
            store(disk_key, rest)
        _REST_CACHE[key] = rest
    return _REST_CACHE[key]


def resting_state(model: CellModel) -> dict[str, Quantity]:
    """The state at rest: ``{"v": V_rest, gate: x_inf(V_rest), ...}``.

    ``V_rest`` is the stable equilibrium nearest the model's nominal rest.  When
    the model has no stable equilibrium (an isolated Traub-Miles cell), the
    nominal rest is used with the gates at steady state there.
    """
    return dict(rest_report(model).state)


def resting_potential(model: CellModel) -> Quantity:
    """The stable resting potential; raises if the model has no stable equilibrium."""
    report = rest_report(model)
    if report.chosen is None:
        raise HHBrianInputError(f"model {model.name!r}: {report.message}")
    return report.chosen.v


def check_initial_state(model: CellModel, state: Mapping[str, object]) -> dict[str, Quantity]:
    """Validate a user-supplied initial state: v a finite voltage, gates finite in [0, 1].

    Gates that are not given start at their steady state for the given v.
    """
    state = dict(state)
    unknown = set(state) - set(model.state_variables)
    if unknown:
        raise HHBrianInputError(
            f"initial state: unknown variable(s) {sorted(unknown)}; the state is "
            f"{', '.join(model.state_variables)}"
        )
    if "v" not in state:
        raise HHBrianInputError(
            "initial state lacks v; give at least v (volt), e.g. {'v': -65*mV}; the gates "
            "default to their steady state there"
        )
    v = state["v"]
    if get_dimensions(v) is not get_dimensions(volt) or not np.all(np.isfinite(np.asarray(v))):
        raise HHBrianInputError(f"initial state: v = {v!r} must be a finite voltage such as -65*mV")
    for gate in model.gate_names:
        if gate not in state:
            state[gate] = Quantity(steady_state(model, gate, v))
            continue
        value = np.asarray(state[gate], dtype=float)
        if not np.all(np.isfinite(value)) or np.any(value < 0) or np.any(value > 1):
            raise HHBrianInputError(
                f"initial state: gate {gate} = {state[gate]!r} must be finite and in [0, 1]; "
                f"e.g. its steady state {float(np.ravel(steady_state(model, gate, v))[0]):.4f}"
            )
    return state


def warn_if_not_at_rest(model: CellModel) -> None:
    """Emit a warning when the model has no stable equilibrium (see :func:`rest_report`)."""
    report = rest_report(model)
    if report.chosen is None:
        warnings.warn(f"model {model.name!r}: {report.message}", stacklevel=2)


__all__ = [
    "Equilibrium",
    "RestingState",
    "channel_currents",
    "check_initial_state",
    "equilibria",
    "rate",
    "rest_report",
    "resting_potential",
    "resting_state",
    "steady_state",
    "steady_state_current",
    "time_constant",
]
