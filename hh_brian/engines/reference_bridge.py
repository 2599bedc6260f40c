"""Bridge between presets (Brian2 quantities) and the NumPy reference engine (floats).

The reference engine (:mod:`hh_brian.engines.reference`) never imports Brian2 and works
in ms, mV, mS/cm^2, uF/cm^2 and uA/cm^2.  This module converts a preset's
parameters into that unit system, picks the reference's own, independently
written rate functions for built-in kinetics, and translates user-supplied
rate expressions (strings with units) into vectorised NumPy callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from brian2 import Quantity, TimedArray, cm, get_dimensions, ms, msiemens, mV, siemens, uA, uF

from hh_brian.core.bounded import names_in
from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.parsed_expression import parse_expression
from hh_brian.core.timegrid import check_time_step
from hh_brian.engines.reference import (
    KINETICS,
    IntegrationError,
    RefChannel,
    ReferenceModel,
    RefGate,
    gate_rates,
    integrate,
    solve_gold,
)
from hh_brian.engines.reference_inputs import (
    drive_input,
    is_stimuli,
    reference_current,
    with_synapses,
)
from hh_brian.engines.trace import SimulationResult
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import Gate
from hh_brian.models.drive import Drive, make_drive
from hh_brian.models.kinetics import check_initial_state, resting_state
from hh_brian.models.library import MODELS
from hh_brian.models.protocol import SpikeInput
from hh_brian.models.stimulus_base import Stimulus

#: Brian2 method name -> reference integrator of the identical scheme.
MATCHING_SCHEME = {
    "exponential_euler": "exponential_euler",
    "rk4": "rk4",
    "euler": "euler",
    "rush_larsen2": "rush_larsen2",
}
REFERENCE_METHODS = ("rush_larsen2", "exponential_euler", "exponential_euler_tau", "rk4", "euler")

_CONDUCTANCE = msiemens / cm**2
_CAPACITANCE = uF / cm**2
_DENSITY = uA / cm**2
_UNITS = {"alpha": 1 / ms, "beta": 1 / ms, "inf": 1, "tau": ms}


def _translated(model: CellModel, gate: Gate, key: str) -> Callable[[np.ndarray], np.ndarray]:
    """A NumPy function v[mV] -> value (1/ms, 1 or ms) evaluating a gate expression."""
    text = gate.expressions[key]
    parameters = dict(model.parameters)
    parsed = parse_expression(
        text, allowed_names={*parameters, "v"}, what=f"gate {gate.name}.{key}", example="'1*mV'"
    )
    compiled = parsed.numpy(parameters, variable="v", variable_unit=mV, result_unit=_UNITS[key])

    def function(v_mV: np.ndarray) -> np.ndarray:
        return np.asarray(compiled(np.asarray(v_mV, dtype=float)), dtype=float) * np.ones(
            np.shape(v_mV)
        )

    function.__name__ = f"{gate.name}_{key}"
    function.__doc__ = f"{gate.name}.{key}(v) = {text}  (translated; v in mV)"
    return function


def _twin_base(model: CellModel) -> CellModel | None:
    """The built-in model that defines the hand-written twin rates *model* names."""
    if not model.numpy_twin or model.numpy_twin not in KINETICS:
        return None
    for name in MODELS:
        base = MODELS[name]
        if base.numpy_twin == model.numpy_twin:
            return base
    return None  # pragma: no cover - every twin has a built-in model


def twin_gates(model: CellModel) -> set[str]:
    """Gates of *model* that the reference runs with its own hand-written NumPy rates.

    A gate qualifies when the model names a twin rate set and the gate's expressions,
    and the values of every constant they use, equal those of the built-in model that
    defines the twin; Traub-Miles twins take V_T as an argument, so V_T may differ.
    Every other gate (a user channel, or a rate the user replaced) is translated from its
    expression text, so a typo on either side of a built-in model still shows up as a
    disagreement between the engines.
    """
    base = _twin_base(model)
    if base is None:
        return set()
    base_gates = {g.name: g for g in base.gates}
    free = {"V_T"} if model.numpy_twin == "traub_miles" else set()
    out = set()
    for gate in model.gates:
        other = base_gates.get(gate.name)
        if other is None or dict(other.expressions) != dict(gate.expressions):
            continue
        used = set().union(*(names_in(t) for t in gate.expressions.values())) - free
        if all(
            name not in model.constants or bool(model.constants[name] == base.constants.get(name))
            for name in used
        ):
            out.add(gate.name)
    return out


def reference_model(preset: CellModel) -> ReferenceModel:
    """The model in the reference's floats: mS/cm^2, mV, uF/cm^2, and NumPy rate functions.

    Built-in squid gates use the reference's own hand-written rates
    (:func:`twin_gates`); every other gate is translated from its expression text.
    """
    twins = twin_gates(preset)
    v_t = float(preset.constants["V_T"] / mV) if "V_T" in preset.constants else None
    table = gate_rates(preset.numpy_twin, *(() if v_t is None else (v_t,))) if twins else {}
    channels = []
    for ch in preset.channels:
        g = ch.g / preset.area if get_dimensions(ch.g) is get_dimensions(siemens) else ch.g
        gates = []
        for gate in ch.gates:
            if gate.name in twins:
                f1, f2 = table[gate.name]
            else:
                keys = list(gate.expressions)
                f1 = _translated(preset, gate, keys[0])
                f2 = _translated(preset, gate, keys[1]) if len(keys) > 1 else None
            gates.append(RefGate(gate.name, gate.exponent, gate.form, f1, f2))
        channels.append(
            RefChannel(
                name=ch.name,
                g=float(g / _CONDUCTANCE),
                E=float(ch.E / mV),
                gates=tuple(gates),
                phi=preset.phi(ch),
            )
        )
    return ReferenceModel(
        channels=tuple(channels),
        C_m=float(preset.C_m / _CAPACITANCE),
        convention=preset.convention.name,
        v_rest_guess=float(preset.v_rest_guess / mV),
    )


def initial_vector(preset: CellModel, state: dict[str, Quantity] | None = None) -> np.ndarray:
    """Initial ``(V[mV], gates...)`` from *state* or the model's computed rest."""
    state = check_initial_state(preset, state) if state else resting_state(preset)
    return np.array([float(state["v"] / mV), *(float(state[g]) for g in preset.gate_names)])


def simulate_reference(
    preset: CellModel,
    *,
    current: Quantity | TimedArray | Stimulus | Sequence[Stimulus] | Drive,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    method: str = DEFAULT_METHOD,
    n_neurons: int | None = None,
    record: bool | list[int] = True,
    initial_state: dict[str, Quantity] | None = None,
    synapses: Sequence[SpikeInput] = (),
) -> SimulationResult:
    """Integrate *preset* with the NumPy reference; same result type as Brian2's.

    *synapses* (spike inputs) enter as input conductances
    (:func:`conductance_input`).

    Samples are taken at ``0, dt, ..., (n_steps - 1)*dt`` like Brian2's
    StateMonitor; spike times are the NumPy engine's own interpolated upward crossings
    of ``V_spike`` (:func:`hh_brian.engines.reference.run._crossings`: the same rule as
    Brian2's, implemented independently), sorted by time.
    """
    if method not in REFERENCE_METHODS:
        raise HHBrianInputError(
            f"unknown reference method {method!r}; use one of {', '.join(REFERENCE_METHODS)}"
        )
    n_steps = check_time_step(dt, duration)
    dt_ms = float(dt / ms)
    model = reference_model(preset)
    y0 = initial_vector(preset, initial_state)
    if isinstance(current, Stimulus | Drive) or is_stimuli(current):
        drive = current if isinstance(current, Drive) else make_drive(preset, current, dt, duration)
        n = n_neurons or drive.columns
        i_inj = drive_input(drive, n)
    else:
        i_inj = reference_current(preset, current, dt, n_steps)
        if n_neurons:
            n = n_neurons
        elif isinstance(current, TimedArray):
            n = i_inj.shape[1] if np.ndim(i_inj) == 2 else 1
        else:
            n = i_inj.shape[-1] if np.ndim(i_inj) >= 1 else 1
    if synapses:
        i_inj = with_synapses(preset, i_inj, synapses, dt, n_steps, n)
    y0 = np.repeat(y0[:, None], n, axis=1)
    threshold = float(preset.parameters["V_spike"] / mV)
    try:
        # A blow-up overflows before the guard sees it; the guard reports it, not numpy.
        with np.errstate(over="ignore", invalid="ignore"):
            run = integrate(
                model,
                y0,
                dt_ms,
                n_steps,
                method=method,
                i_inj=i_inj,
                record=record,
                threshold=threshold,
            )
    except IntegrationError as exc:
        raise SimulationBlowUpError(f"reference engine: {exc}") from None
    indices = [np.full(len(c), neuron) for neuron, c in enumerate(run.spike_times)]
    times = [np.asarray(c, dtype=float) for c in run.spike_times]
    order = np.argsort(np.concatenate(times), kind="stable") if times else np.array([], int)
    traces = {
        "v": (run.V[:n_steps].T * mV),
        **{g: run.gates[g][:n_steps].T for g in preset.gate_names},
    }
    return SimulationResult(
        preset=preset,
        method=method,
        dt=dt,
        t=run.t[:n_steps] * ms,
        traces=traces,
        recorded=np.asarray(run.recorded),
        spike_indices=np.concatenate(indices)[order] if indices else np.array([], int),
        spike_times=(np.concatenate(times)[order] if times else np.array([])) * ms,
        n_neurons=n,
        wall_time=float("nan"),
        info={"engine": "reference", "interpolated_spikes_ms": run.spike_times},
    )


def reference_solution(
    preset: CellModel,
    *,
    current: Quantity | Stimulus | Sequence[Stimulus] | Drive,
    duration: Quantity,
    dt: Quantity,
    initial_state: dict[str, Quantity] | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    synapses: Sequence[SpikeInput] = (),
) -> SimulationResult:
    """A tight-tolerance reference solution of one neuron, sampled at ``k*dt``.

    Integrated by :func:`hh_brian.engines.reference.solve_gold` (DOP853) segment
    by segment between the stimulus edges, with the stimulus exactly as the
    fixed-step engines define it on the grid of *dt* (held parts constant on
    each step, smooth parts at each time).  Samples ``0 .. n_steps`` inclusive.
    """
    n_steps = check_time_step(dt, duration)
    if isinstance(current, Stimulus | Drive) or is_stimuli(current):
        drive = current if isinstance(current, Drive) else make_drive(preset, current, dt, duration)
        i_inj = drive_input(drive, 1)
    else:
        i_inj = reference_current(preset, current, dt, n_steps)
    if synapses:
        i_inj = with_synapses(preset, i_inj, synapses, dt, n_steps, 1)
    y0 = initial_vector(preset, initial_state)
    dt_ms = float(dt / ms)
    with np.errstate(over="ignore", invalid="ignore"):
        run = solve_gold(
            reference_model(preset),
            y0,
            n_steps * dt_ms,
            i_inj,
            rtol=rtol,
            atol=atol,
            t_eval=np.arange(n_steps + 1) * dt_ms,
            dt=dt_ms,
            threshold=float(preset.parameters["V_spike"] / mV),
        )
    traces = {"v": run.V.T * mV, **{g: run.gates[g].T for g in preset.gate_names}}
    times = np.asarray(run.spike_times[0])
    return SimulationResult(
        preset=preset,
        method=run.method,
        dt=dt,
        t=run.t * ms,
        traces=traces,
        recorded=np.array([0]),
        spike_indices=np.zeros(times.size, dtype=int),
        spike_times=times * ms,
        n_neurons=1,
        wall_time=float("nan"),
        info={"engine": "reference", "rtol": rtol, "atol": atol},
    )
