"""Markov channel noise in current clamp, in the NumPy engine, vectorised over cells.

Every gated channel is a population of ``N`` channels (:mod:`hh_brian.noise.counts`)
moving through its kinetic scheme (:mod:`hh_brian.noise.scheme`) by the fixed-step
binomial scheme of :mod:`hh_brian.noise.binomial`.  Each step of length dt:

1. the rates are evaluated at ``V`` of the step's start (the NumPy engine's rate
   functions, temperature factor included);
2. ``V`` advances with every conductance held at ``g * N_open/N`` (plus the leak):
   with the conductances frozen the membrane equation is linear, and its exact
   solution over the step is used (exponential Euler);
3. the channel counts advance by one binomial step at those rates (exact for the
   frozen voltage, :mod:`hh_brian.noise.binomial`).

Spikes are the upward crossings of ``V_spike`` (in the depolarising sense), linearly
interpolated between steps, re-armed below threshold, as in the deterministic engines.
Units inside: ms, mV, mS/cm**2, uA/cm**2 (the NumPy engine's).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.core.timegrid import check_time_step
from hh_brian.engines.reference.inputs import as_current
from hh_brian.engines.reference_bridge import reference_model
from hh_brian.engines.reference_inputs import drive_input, is_stimuli, reference_current
from hh_brian.engines.trace import SimulationResult
from hh_brian.models.cell import CellModel
from hh_brian.models.drive import Drive, make_drive
from hh_brian.models.kinetics import check_initial_state, resting_state
from hh_brian.models.stimulus_base import Stimulus
from hh_brian.noise.binomial import binomial_step, gate_layout
from hh_brian.noise.counts import channel_counts, check_noise_model
from hh_brian.noise.markov_clamp import stationary_counts
from hh_brian.noise.scheme import scheme_for


def _current_input(preset: CellModel, current, dt: Quantity, duration: Quantity, n: int | None):
    n_steps = check_time_step(dt, duration)
    if isinstance(current, Stimulus | Drive) or is_stimuli(current):
        drive = current if isinstance(current, Drive) else make_drive(preset, current, dt, duration)
        n = n or drive.columns
        return drive_input(drive, n), n
    values = reference_current(preset, current, dt, n_steps)
    n = n or (int(np.size(values)) if np.ndim(values) <= 1 else values.shape[1])
    return as_current(values, n, float(dt / ms), n_steps), n


def simulate_markov(
    preset: CellModel,
    *,
    current: Quantity | Stimulus | Sequence[Stimulus] | Drive,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    seed: int = 0,
    n_neurons: int | None = None,
    record: bool | Sequence[int] = True,
    initial_state: dict[str, Quantity] | None = None,
) -> SimulationResult:
    """Current-clamp run with Markov channel noise (module docstring).

    Parameters
    ----------
    preset : CellModel
        With an area and a ``gamma`` on every gated channel.
    current : Quantity, Stimulus, sequence of Stimulus or Drive
        Physical injected current (absolute, the model has an area): a scalar, one value
        per neuron, or stimuli.
    duration, dt : Quantity
    seed : int
        Seed of the random generator (``numpy.random.default_rng``); the run is
        reproducible from it.
    n_neurons : int, optional
        Independent cells (default: one per current value).
    record : bool or sequence of int
        Which neurons' traces to keep.
    initial_state : dict, optional
        Its ``v`` is the start; channels start in the stationary distribution there.

    Returns
    -------
    SimulationResult
        Traces ``v`` and, per gate, the fraction of open subunits (``m``, ``h``, ...)
        and per channel the open fraction (``open_Na``); ``info`` holds the channel
        counts and the seed.

    Raises
    ------
    HHBrianInputError
        From :func:`hh_brian.noise.counts.check_noise_model`.
    """
    check_noise_model(preset)
    counts_n = channel_counts(preset)
    n_steps = check_time_step(dt, duration)
    dt_ms = float(dt / ms)
    current_in, n = _current_input(preset, current, dt, duration, n_neurons)
    ref = reference_model(preset)
    rows = {name: k for k, name in enumerate(ref.gate_names)}
    state = check_initial_state(preset, initial_state) if initial_state else resting_state(preset)
    rng = np.random.default_rng(seed)
    v = np.full(n, float(state["v"] / mV))
    alpha0, beta0 = ref.rates(np.array([v[0]]))
    noisy = []  # (channel, scheme, gate rows, N, counts, gate layout)
    for ch in preset.channels:
        if not ch.gates:
            continue
        scheme = scheme_for(ch)
        gate_rows = [rows[g] for g in scheme.gates]
        counts = stationary_counts(
            scheme, alpha0[gate_rows, 0], beta0[gate_rows, 0], counts_n[ch.name], n, rng
        )
        noisy.append((ch.name, scheme, gate_rows, counts_n[ch.name], counts, gate_layout(scheme)))
    ref_channels = {c.name: c for c in ref.channels}
    leak_g = sum(c.g for c in ref.channels if not c.gates)
    leak_ge = sum(c.g * c.E for c in ref.channels if not c.gates)
    sign, c_m = ref.current_sign, ref.C_m
    threshold = float(preset.V_spike / mV)
    direction = ref.spike_direction
    recorded = np.arange(n) if record is True else np.asarray(record or [], dtype=np.intp)
    v_trace = np.empty((n_steps, recorded.size))
    open_traces = {name: np.empty((n_steps, recorded.size)) for name, *_ in noisy}
    gate_traces = {g: np.empty((n_steps, recorded.size)) for _, s, *_ in noisy for g in s.gates}
    armed = direction * (v - threshold) <= 0
    spike_cells, spike_times = [], []
    started = time.perf_counter()
    for step in range(n_steps):
        t = step * dt_ms
        v_trace[step] = v[recorded]
        g_total, g_e = np.full(n, leak_g), np.full(n, leak_ge)
        for name, scheme, _, count, states, layout in noisy:
            fraction = states[scheme.open_state] / count
            g = ref_channels[name].g * fraction
            g_total += g
            g_e += g * ref_channels[name].E
            open_traces[name][step] = fraction[recorded]
            for j, gate in enumerate(scheme.gates):
                open_subunits = layout[j][0] @ states[:, recorded]
                gate_traces[gate][step] = open_subunits / (count * scheme.exponents[j])
        alpha, beta = ref.rates(v)
        a = (g_e + sign * current_in.at(t, t)) / c_m
        b = g_total / c_m
        with np.errstate(divide="ignore", invalid="ignore"):
            phi1 = np.where(b * dt_ms > 1e-12, -np.expm1(-b * dt_ms) / b, dt_ms)
        v_new = v + (a - b * v) * phi1
        for index, (name, scheme, gate_rows, count, states, layout) in enumerate(noisy):
            new = binomial_step(scheme, states, alpha[gate_rows], beta[gate_rows], dt_ms, rng)
            noisy[index] = (name, scheme, gate_rows, count, new, layout)
        above = direction * (v_new - threshold) > 0
        crossing = armed & above
        if crossing.any():
            cells = np.flatnonzero(crossing)
            frac = (threshold - v[cells]) / (v_new[cells] - v[cells])
            spike_cells.append(cells)
            spike_times.append(t + dt_ms * frac)
        armed = ~above
        v = v_new
    wall = time.perf_counter() - started
    cells = np.concatenate(spike_cells) if spike_cells else np.array([], dtype=int)
    times = np.concatenate(spike_times) if spike_times else np.array([])
    order = np.argsort(times, kind="stable")
    traces = {"v": v_trace.T * mV, **{g: x.T for g, x in gate_traces.items()}}
    traces.update({f"open_{name}": x.T for name, x in open_traces.items()})
    return SimulationResult(
        preset=preset,
        method="markov_binomial",
        dt=dt,
        t=np.arange(n_steps) * dt,
        traces=traces,
        recorded=recorded,
        spike_indices=cells[order],
        spike_times=times[order] * ms,
        n_neurons=n,
        wall_time=wall,
        info={
            "engine": "reference",
            "channel_noise": "markov",
            "seed": int(seed),
            "channel_counts": dict(counts_n),
        },
    )


__all__ = ["simulate_markov"]
