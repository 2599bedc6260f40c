"""Spike timing: Brian2's spike times at dt and dt/2 against the gold solution's."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, ms

from hh_brian.compare.crossval_gold import gold_spike_times_ms
from hh_brian.compare.crossval_results import SpikeTimingCheck
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.models.cell import CellModel as Preset


def timing_against_gold(
    method: str, times_ms, gold_ms, dt_ms: float, half_dt_times_ms
) -> SpikeTimingCheck:
    """Compare Brian2 spike times at dt and dt/2 with the gold solution's, spike by spike."""
    gold = np.asarray(gold_ms, dtype=float)

    def errors(times, h):
        times = np.asarray(times, dtype=float)
        n = min(times.size, gold.size)
        raw = times[:n] - gold[:n] if n else np.array([np.nan])
        return times.size, np.abs(raw), float(np.max(np.abs(raw + h / 2)))

    n_spikes, error, centred = errors(times_ms, dt_ms)
    n_half, _, centred_half = errors(half_dt_times_ms, dt_ms / 2)
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
        centred_error_ms=centred,
        centred_error_half_ms=centred_half,
    )


def brian2_spikes_ms(preset, current, duration, dt, method) -> np.ndarray:
    """Brian2's spike times of neuron 0 (ms), each the start of its crossing step."""
    run = simulate(preset, current=current, duration=duration, dt=dt, method=method)
    return np.asarray(run.spikes_of(0) / ms)


def spike_timing(
    preset: Preset, current: Quantity, duration: Quantity, dt: Quantity, method: str
) -> SpikeTimingCheck:
    """Brian2 spike times (start of the crossing step) at dt and dt/2 against gold."""
    return timing_against_gold(
        method,
        brian2_spikes_ms(preset, current, duration, dt, method),
        gold_spike_times_ms(preset, current, duration),
        float(dt / ms),
        brian2_spikes_ms(preset, current, duration, dt / 2, method),
    )


__all__ = ["brian2_spikes_ms", "spike_timing", "timing_against_gold"]
