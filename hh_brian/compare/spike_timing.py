"""Spike timing: Brian2's spike times at dt and dt/2 against the gold solution's.

Both are crossings of ``V_spike`` from at-or-below to above (:mod:`hh_brian.core.crossings`):
Brian2's interpolated linearly between steps, gold's located on its dense output.
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.compare.crossval_gold import gold_spike_times_ms
from hh_brian.compare.crossval_results import SpikeTimingCheck
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.engines.trace import Trace
from hh_brian.models.cell import CellModel as Preset


def interpolation_bound_ms(run: Trace, neuron: int = 0) -> float:
    """Largest error the linear interpolation can add to a spike time of *neuron* (ms).

    Between samples ``k`` and ``k + 1`` the interpolated crossing is off by
    ``frac (1 - frac) dt**2 |v''| / (2 |v'|) <= dt**2 |v''| / (8 |v'|)``.  Here ``v''`` is
    the larger second difference at ``k`` and ``k + 1`` and ``v'`` the crossing step's
    slope, both from the recorded trace; spikes too close to the trace's ends are
    skipped.  The estimate is second order in dt, as the error it bounds.
    """
    if neuron not in set(np.asarray(run.recorded).tolist()):
        return 0.0
    row = int(np.flatnonzero(np.asarray(run.recorded) == neuron)[0])
    v = np.asarray(run.v[row] / mV, dtype=float)
    times = np.asarray(run.spikes_of(neuron) / ms, dtype=float)
    return sampled_interpolation_bound_ms(v, float(run.dt / ms), times)


def sampled_interpolation_bound_ms(v_mV: np.ndarray, dt_ms: float, spikes_ms: np.ndarray) -> float:
    """:func:`interpolation_bound_ms` of samples ``v_mV`` at ``k * dt_ms`` (ms).

    *spikes_ms* are the interpolated crossings of those samples; any engine's trace
    on a fixed grid works (NEURON, NEST, MOOSE and jNeuroML record one).

    >>> t = np.arange(6) * 0.5
    >>> round(sampled_interpolation_bound_ms(t**2, 0.5, np.array([1.2])), 4)
    0.025
    """
    v = np.asarray(v_mV, dtype=float)
    h = float(dt_ms)
    times = np.asarray(spikes_ms, dtype=float)
    steps = np.ceil(times / h - 1e-6).astype(int) - 1  # t in (t_k, t_k + h]
    steps = steps[(steps >= 1) & (steps + 2 < v.size)]
    if steps.size == 0:
        return 0.0
    curvature = np.maximum(
        np.abs(v[steps + 1] - 2 * v[steps] + v[steps - 1]),
        np.abs(v[steps + 2] - 2 * v[steps + 1] + v[steps]),
    )  # h**2 |v''|
    slope = np.abs(v[steps + 1] - v[steps])  # h |v'|
    return float(np.max(h * curvature / (8 * slope)))


def timing_against_gold(
    method: str,
    times_ms,
    gold_ms,
    dt_ms: float,
    half_dt_times_ms,
    bound_ms: float = 0.0,
    half_bound_ms: float = 0.0,
) -> SpikeTimingCheck:
    """Compare Brian2 spike times at dt and dt/2 with the gold solution's, spike by spike.

    *bound_ms* and *half_bound_ms* are the interpolation's error bounds at dt and dt/2
    (:func:`interpolation_bound_ms`).
    """
    gold = np.asarray(gold_ms, dtype=float)

    def errors(times):
        times = np.asarray(times, dtype=float)
        n = min(times.size, gold.size)
        raw = times[:n] - gold[:n] if n else np.array([np.nan])
        return times.size, np.abs(raw), float(np.max(np.abs(raw)))

    n_spikes, error, largest = errors(times_ms)
    n_half, _, largest_half = errors(half_dt_times_ms)
    return SpikeTimingCheck(
        method=method,
        engine="brian2",
        n_spikes=int(n_spikes),
        n_gold=int(gold.size),
        mean_error_ms=float(np.mean(error)),
        max_error_ms=float(np.max(error)),
        dt_ms=float(dt_ms),
        declared=INTEGRATORS[method].order,
        n_spikes_half=int(n_half),
        centred_error_ms=largest,
        centred_error_half_ms=largest_half,
        interpolation_bound_ms=float(bound_ms),
        interpolation_bound_half_ms=float(half_bound_ms),
    )


def brian2_run(preset, current, duration, dt, method) -> Trace:
    """Brian2's run of one neuron (recorded), for its spike times and their bound."""
    return simulate(preset, current=current, duration=duration, dt=dt, method=method)


def brian2_spikes_ms(preset, current, duration, dt, method) -> np.ndarray:
    """Brian2's spike times of neuron 0 (ms): interpolated threshold crossings."""
    return np.asarray(brian2_run(preset, current, duration, dt, method).spikes_of(0) / ms)


def spike_timing(
    preset: Preset, current: Quantity, duration: Quantity, dt: Quantity, method: str
) -> SpikeTimingCheck:
    """Brian2 spike times (interpolated crossings) at dt and dt/2 against gold."""
    run = brian2_run(preset, current, duration, dt, method)
    half = brian2_run(preset, current, duration, dt / 2, method)
    return timing_against_gold(
        method,
        np.asarray(run.spikes_of(0) / ms),
        gold_spike_times_ms(preset, current, duration),
        float(dt / ms),
        np.asarray(half.spikes_of(0) / ms),
        interpolation_bound_ms(run),
        interpolation_bound_ms(half),
    )


__all__ = [
    "brian2_run",
    "brian2_spikes_ms",
    "interpolation_bound_ms",
    "sampled_interpolation_bound_ms",
    "spike_timing",
    "timing_against_gold",
]
