"""Bridge between presets (Brian2 quantities) and the NumPy reference engine (floats).

The reference engine (:mod:`hh_brian.engines.reference`) never imports Brian2 and works
in ms, mV, mS/cm^2, uF/cm^2 and uA/cm^2.  This module converts a preset's
parameters into that unit system, picks the reference's own, independently
written rate functions for built-in kinetics, and translates user-supplied
rate expressions (strings with units) into vectorised NumPy callables.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from brian2 import Quantity, TimedArray, cm, ms, msiemens, mV, uA, uF

from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.expressions import evaluate
from hh_brian.engines.brian2.simulate import SimulationResult, check_time_step, coerce_current
from hh_brian.engines.reference import KINETICS, IntegrationError, ReferenceModel, integrate
from hh_brian.models.kinetics import check_initial_state, resting_state
from hh_brian.models.presets import GATES, Preset, custom_rate_names

#: Brian2 method name -> reference integrator of the identical scheme.
MATCHING_SCHEME = {
    "exponential_euler": "exponential_euler",
    "rk4": "rk4",
    "euler": "euler",
}
REFERENCE_METHODS = ("exponential_euler", "exponential_euler_tau", "rk4", "euler")

_CONDUCTANCE = msiemens / cm**2
_CAPACITANCE = uF / cm**2
_DENSITY = uA / cm**2


def _rate_callable(preset: Preset, name: str) -> Callable[[np.ndarray], np.ndarray]:
    """A NumPy function v[mV] -> rate[1/ms] evaluating a user expression with units."""
    text = preset.rates[name]
    parameters = dict(preset.parameters)

    def rate(v_mV: np.ndarray) -> np.ndarray:
        value = evaluate(text, {**parameters, "v": np.asarray(v_mV) * mV}, what=f"rate {name}")
        return np.asarray(value * ms, dtype=float)

    rate.__name__ = name
    rate.__doc__ = f"{name}(v) = {text}  (translated; v in mV, result in 1/ms)"
    return rate


#: Parameters that enter only the named rates; changing one makes those rates custom.
RATE_PARAMETERS = {
    "A_alpha_n": ("alpha_n",),
    "B_alpha_n": ("alpha_n",),
    "A_beta_n": ("beta_n",),
    "B_beta_n": ("beta_n",),
}


def _custom_rates(preset: Preset) -> set[str]:
    """Rates whose text, or whose rate-only parameters, differ from the built-in preset."""
    from hh_brian.models.presets import PRESETS

    custom = set(custom_rate_names(preset)) if preset.kinetics is None else set()
    base = next((p for p in PRESETS.values() if p.kinetics == preset.base_kinetics), None)
    for name, rates in RATE_PARAMETERS.items():
        if base is not None and name in base.parameters:
            if preset.parameters[name] != base.parameters[name]:
                custom.update(rates)
    return custom


def reference_kinetics(preset: Preset) -> str | dict[str, tuple[Callable, Callable]]:
    """Kinetics for the reference: its own NumPy rates, or translated user rates.

    For a built-in preset this is the *name* of the reference's independently
    written rate set, so that a typo in either implementation shows up as a
    disagreement.  Rates the user replaced (or whose rate-only parameters, such
    as the thermodynamic n-gate's A and B, were changed) are translated from the
    expression text; the other rates keep the reference's own functions.
    (Traub-Miles rates depend on V_T, which the reference takes as a parameter.)
    """
    custom = _custom_rates(preset)
    if not custom:
        return preset.base_kinetics
    base = KINETICS.get(preset.base_kinetics or "")
    table: dict[str, tuple[Callable, Callable]] = {}
    for gate in GATES:
        own = base[gate] if base is not None else None
        funcs = []
        for position, kind in enumerate(("alpha", "beta")):
            name = f"{kind}_{gate}"
            if own is None or name in custom or preset.base_kinetics == "traub_miles":
                funcs.append(_rate_callable(preset, name))
            else:
                funcs.append(own[position])
        table[gate] = (funcs[0], funcs[1])
    return table


def reference_model(preset: Preset) -> ReferenceModel:
    """The preset as a :class:`ReferenceModel` (floats in the reference's units)."""
    p = preset.parameters
    kwargs = {}
    if "V_T" in p:
        kwargs["V_T"] = float(p["V_T"] / mV)
    return ReferenceModel(
        g_Na=float(p["g_Na"] / _CONDUCTANCE),
        g_K=float(p["g_K"] / _CONDUCTANCE),
        g_L=float(p["g_L"] / _CONDUCTANCE),
        E_Na=float(p["E_Na"] / mV),
        E_K=float(p["E_K"] / mV),
        E_L=float(p["E_L"] / mV),
        C_m=float(p["C_m"] / _CAPACITANCE),
        convention=preset.convention.name,
        kinetics=reference_kinetics(preset),
        celsius=float(p["celsius"]),
        celsius_ref=float(p["celsius_ref"]),
        q10=float(p["q10"]),
        **kwargs,
    )


def current_density_uA_cm2(preset: Preset, current: Quantity) -> np.ndarray:
    """Physical injected current as a density in uA/cm^2 (absolute currents / area)."""
    current = coerce_current(preset, current)
    if preset.has_area:
        current = current / preset.parameters["area"]
    return np.asarray(current / _DENSITY, dtype=float)


def reference_current(preset: Preset, current: Quantity | TimedArray, dt: Quantity, n_steps: int):
    """Constant (scalar or per neuron) or per-step sampled current for the reference."""
    if not isinstance(current, TimedArray):
        return current_density_uA_cm2(preset, Quantity(current))
    if abs(float(current.dt) - float(dt)) > 1e-12 * float(dt):
        raise HHBrianInputError(
            f"stimulus sampled every {float(current.dt) * 1e3:g} ms but dt = "
            f"{float(dt / ms):g} ms; resample the stimulus at dt"
        )
    values = Quantity(current.values, dim=current.dim)
    samples = current_density_uA_cm2(preset, values)
    # Brian2 clips TimedArray indices to the last value; the reference samples k and k+1.
    needed = n_steps + 1
    if samples.shape[0] < needed:
        pad = np.repeat(samples[-1:], needed - samples.shape[0], axis=0)
        samples = np.concatenate([samples, pad], axis=0)
    return samples[:needed]


def initial_vector(preset: Preset, state: dict[str, Quantity] | None = None) -> np.ndarray:
    """Initial ``(V[mV], n, m, h)`` from *state* or the preset's computed rest."""
    state = check_initial_state(preset, state) if state else resting_state(preset)
    return np.array([float(state["v"] / mV), *(float(state[g]) for g in GATES)])


def simulate_reference(
    preset: Preset,
    *,
    current: Quantity | TimedArray,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    method: str = "exponential_euler",
    n_neurons: int | None = None,
    record: bool | list[int] = True,
    initial_state: dict[str, Quantity] | None = None,
) -> SimulationResult:
    """Integrate *preset* with the NumPy reference; same result type as Brian2's.

    Samples are taken at ``0, dt, ..., (n_steps - 1)*dt`` like Brian2's
    StateMonitor; spike times are the start of the step in which the threshold
    was crossed (Brian2's convention), not the interpolated crossing.
    """
    if method not in REFERENCE_METHODS:
        raise HHBrianInputError(
            f"unknown reference method {method!r}; use one of {', '.join(REFERENCE_METHODS)}"
        )
    n_steps = check_time_step(dt, duration)
    dt_ms = float(dt / ms)
    model = reference_model(preset)
    i_inj = reference_current(preset, current, dt, n_steps)
    y0 = initial_vector(preset, initial_state)
    n = n_neurons or (
        i_inj.shape[-1]
        if np.ndim(i_inj) >= 1 and not isinstance(current, TimedArray)
        else (i_inj.shape[1] if np.ndim(i_inj) == 2 else 1)
    )
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
    indices, times = [], []
    for neuron, crossings in enumerate(run.spike_times):
        step_start = np.floor(np.asarray(crossings) / dt_ms + 1e-9) * dt_ms
        indices.append(np.full(step_start.size, neuron))
        times.append(step_start)
    order = np.argsort(np.concatenate(times), kind="stable") if times else np.array([], int)
    traces = {
        "v": (run.V[:n_steps].T * mV),
        **{g: getattr(run, g)[:n_steps].T for g in GATES},
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
