"""Statistics of a network run: population rates, CV of inter-spike intervals, counts."""

from __future__ import annotations

import numpy as np
from brian2 import Hz, Quantity, ms, second

from hh_brian.network.spec import NetworkResult


def population_rate(result: NetworkResult, population: str) -> Quantity:
    """Mean firing rate of a population over the run (Hz)."""
    indices, _ = result.spikes[population]
    return indices.size / (result.sizes[population] * result.duration)


def cv_isi(result: NetworkResult, population: str, min_spikes: int = 3) -> float:
    """Mean coefficient of variation of inter-spike intervals over neurons with
    at least *min_spikes* spikes (NaN if none)."""
    indices, times = result.spikes[population]
    t = np.asarray(times / second)
    order = np.lexsort((t, indices))
    idx, t = indices[order], t[order]
    isi = np.diff(t)
    same = idx[1:] == idx[:-1]
    neuron = idx[1:][same]
    isi = isi[same]
    counts = np.bincount(neuron, minlength=result.sizes[population])
    enough = counts >= max(min_spikes - 1, 2)
    if not enough.any():
        return float("nan")
    s1 = np.bincount(neuron, isi, minlength=counts.size)
    s2 = np.bincount(neuron, isi**2, minlength=counts.size)
    n = counts[enough]
    mean = s1[enough] / n
    var = np.maximum(s2[enough] / n - mean**2, 0.0)
    return float(np.mean(np.sqrt(var) / mean))


def population_rate_trace(
    result: NetworkResult, population: str, bin_width: Quantity = 5 * ms
) -> tuple[Quantity, Quantity]:
    """Binned population rate: bin centres and rate (Hz)."""
    _, times = result.spikes[population]
    edges = np.arange(0.0, float(result.duration / second) + 1e-12, float(bin_width / second))
    counts, _ = np.histogram(np.asarray(times / second), bins=edges)
    rate = counts / (result.sizes[population] * float(bin_width / second))
    return 0.5 * (edges[1:] + edges[:-1]) * second, rate * Hz


def spike_counts(result: NetworkResult, population: str) -> np.ndarray:
    """Spikes per neuron."""
    return np.bincount(result.spikes[population][0], minlength=result.sizes[population])


__all__ = ["cv_isi", "population_rate", "population_rate_trace", "spike_counts"]
