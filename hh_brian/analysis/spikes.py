"""Spike analysis with units: detection on traces, firing rates, inter-spike intervals, CV.

Spikes are upward crossings of a threshold *in the depolarising sense of the
preset's convention* (``preset.convention.sign``): in the modern convention
``v`` rises through ``V_spike``; in Hodgkin & Huxley's 1952 convention, where
depolarisation is negative, ``v`` falls through it.  The rule is the one every
engine applies (:mod:`hh_brian.core.crossings`): a spike is a sample step from at or
below to above the threshold, timed by linear interpolation
``t_k + (t_{k+1} - t_k) (theta - v_k)/(v_{k+1} - v_k)``; the detector re-arms when
``v`` is back at or below the threshold, so a trace that starts above threshold has
no spike at its first sample.  Everything is vectorised over neurons: traces are
``(n_neurons, n_samples)`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, get_dimensions, ms, second, volt

from hh_brian.core.crossings import upward_crossings
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.presets import Preset


@dataclass(frozen=True, eq=False)
class Spikes:
    """Detected spikes of several neurons.

    Attributes
    ----------
    neuron : ndarray of int
        Neuron (row) of each spike, sorted by neuron then time.
    times : Quantity
        Threshold-crossing times (second), linearly interpolated between samples.
    peak_times : Quantity
        Time of the most depolarised sample of each spike (second).
    peak_v : Quantity
        Potential at the peak, in the preset's convention (volt).
    n_neurons : int
    """

    neuron: np.ndarray
    times: Quantity
    peak_times: Quantity
    peak_v: Quantity
    n_neurons: int

    def of(self, neuron: int) -> Quantity:
        """Crossing times of one neuron (second)."""
        return self.times[self.neuron == neuron]

    @property
    def counts(self) -> np.ndarray:
        """Number of spikes per neuron, shape ``(n_neurons,)``."""
        return np.bincount(self.neuron, minlength=self.n_neurons)


def _as_2d(v: Quantity) -> Quantity:
    if get_dimensions(v) is not get_dimensions(volt):
        raise HHBrianInputError(f"traces: expected potentials (volt), got {v!r}")
    if np.ndim(v) == 1:
        return v.reshape(1, -1)
    if np.ndim(v) != 2:
        raise HHBrianInputError(
            f"traces: expected (n_samples,) or (n_neurons, n_samples), got {np.shape(v)}"
        )
    return v


def detect_spikes(
    t: Quantity,
    v: Quantity,
    preset: Preset,
    *,
    threshold: Quantity | None = None,
    refractory: Quantity = 0 * ms,
) -> Spikes:
    """Find spikes as depolarising threshold crossings, with dead time and peaks.

    The rule of :mod:`hh_brian.core.crossings`: one spike per step from at or below to
    above *threshold*, at the linearly interpolated crossing time; none at the first
    sample, whatever its value.

    Parameters
    ----------
    t : Quantity
        Sample times (second), shape ``(n_samples,)``.
    v : Quantity
        Potentials in the preset's convention (volt), ``(n_samples,)`` or
        ``(n_neurons, n_samples)``.
    preset : Preset
        Supplies the convention's sign and the default threshold ``V_spike``.
    threshold : Quantity, optional
        Detection threshold in the preset's convention (volt).
    refractory : Quantity
        Dead time after an accepted crossing (second); a crossing is by
        construction preceded by a return below threshold.

    Returns
    -------
    Spikes

    Examples
    --------
    >>> from brian2 import ms, mV
    >>> from hh_brian.models.presets import get_preset
    >>> v = [-65, -10, 20, -30, -65, 0, -65] * mV
    >>> detect_spikes(np.arange(7) * ms, v, get_preset("dayan_abbott")).times
    array([0.81818182, 4.69230769]) * msecond
    """
    v = _as_2d(v)
    t_s = np.asarray(t / second, dtype=float)
    if t_s.shape != (v.shape[1],):
        raise HHBrianInputError(f"traces: {t_s.size} times for {v.shape[1]} samples per neuron")
    level = preset.parameters["V_spike"] if threshold is None else threshold
    if get_dimensions(level) is not get_dimensions(volt):
        raise HHBrianInputError(f"threshold: {level!r} is not a potential; e.g. '-20*mV'")
    sign = preset.convention.sign
    x = sign * np.asarray((v - level) / volt, dtype=float)  # > 0 means above threshold
    above = x > 0
    rows, steps, crossing = upward_crossings(t_s, x)
    cols = steps + 1  # first sample above threshold
    keep = _dead_time(rows, crossing, float(refractory / second), v.shape[0])
    rows, cols, crossing = rows[keep], cols[keep], crossing[keep]
    peak_cols = _peaks(x, above, rows, cols)
    return Spikes(
        neuron=rows,
        times=crossing * second,
        peak_times=t_s[peak_cols] * second,
        peak_v=np.asarray(v / volt)[rows, peak_cols] * volt,
        n_neurons=v.shape[0],
    )


def _dead_time(rows: np.ndarray, times: np.ndarray, dead: float, n: int) -> np.ndarray:
    """Mask of crossings at least *dead* seconds after the previous accepted one."""
    if dead <= 0 or rows.size == 0:
        return np.ones(rows.size, dtype=bool)
    starts = np.searchsorted(rows, np.arange(n))
    rank = np.arange(rows.size) - starts[rows]
    keep = np.zeros(rows.size, dtype=bool)
    last = np.full(n, -np.inf)
    for k in range(int(rank.max()) + 1):  # loop over spike rank, vectorised over neurons
        idx = np.flatnonzero(rank == k)
        ok = times[idx] - last[rows[idx]] >= dead
        keep[idx[ok]] = True
        last[rows[idx[ok]]] = times[idx[ok]]
    return keep


def _peaks(x: np.ndarray, above: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Column of the maximum of *x* from each crossing until *x* falls back below 0."""
    if rows.size == 0:
        return cols
    n_cols = x.shape[1]
    flat_above = above.ravel()
    falls = np.flatnonzero(flat_above[:-1] & ~flat_above[1:]) + 1  # first index below again
    start = rows * n_cols + cols
    end = falls[np.minimum(np.searchsorted(falls, start), falls.size - 1)] if falls.size else start
    row_end = (rows + 1) * n_cols
    end = np.where((end > start) & (end <= row_end), end, row_end)
    lengths = end - start
    segment = np.repeat(np.arange(rows.size), lengths)
    offsets = np.arange(segment.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat_index = start[segment] + offsets
    values = x.ravel()[flat_index]
    best = np.full(rows.size, -np.inf)
    np.maximum.at(best, segment, values)
    is_best = values == best[segment]
    _, first = np.unique(segment[is_best], return_index=True)
    return flat_index[is_best][first] - rows * n_cols


def _window(t_start: Quantity, t_stop: Quantity) -> tuple[float, float]:
    for name, value in (("t_start", t_start), ("t_stop", t_stop)):
        if get_dimensions(value) is not get_dimensions(second):
            raise HHBrianInputError(f"{name}: {value!r} is not a time; e.g. '100*ms'")
    a, b = float(t_start / second), float(t_stop / second)
    if not b > a:
        raise HHBrianInputError(f"rate window: t_stop {t_stop!r} must exceed t_start {t_start!r}")
    return a, b


def firing_rate(
    neuron: np.ndarray,
    times: Quantity,
    n_neurons: int,
    t_start: Quantity,
    t_stop: Quantity,
    *,
    estimator: str = "isi",
) -> Quantity:
    """Firing rate of each neuron in ``[t_start, t_stop)`` (Hz).

    Parameters
    ----------
    neuron, times : array, Quantity
        Spike owners and times (e.g. ``result.spike_indices, result.spike_times``).
    n_neurons : int
    t_start, t_stop : Quantity
        The window (second).
    estimator : {'isi', 'count'}
        ``'isi'``: (n - 1)/(last - first) of the spikes in the window, the
        steady-state rate without the +-1 spike quantisation of counting; a
        neuron with fewer than two spikes there gets 0 Hz.  ``'count'``: spikes
        per window length.
    """
    a, b = _window(t_start, t_stop)
    if estimator not in ("isi", "count"):
        raise HHBrianInputError(f"estimator: {estimator!r} is unknown; use 'isi' or 'count'")
    t_s = np.asarray(times / second, dtype=float)
    neuron = np.asarray(neuron, dtype=int)
    inside = (t_s >= a) & (t_s < b)
    owner, t_in = neuron[inside], t_s[inside]
    counts = np.bincount(owner, minlength=n_neurons).astype(float)
    if estimator == "count":
        return counts / (b - a) * Hz
    first = np.full(n_neurons, np.inf)
    last = np.full(n_neurons, -np.inf)
    np.minimum.at(first, owner, t_in)
    np.maximum.at(last, owner, t_in)
    span = last - first
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(counts >= 2, (counts - 1) / np.where(counts >= 2, span, 1.0), 0.0)
    return rate * Hz


def interspike_intervals(times: Quantity) -> Quantity:
    """Intervals between successive spikes of ONE neuron (second)."""
    if get_dimensions(times) is not get_dimensions(second):
        raise HHBrianInputError(f"spike times: {times!r} are not times")
    return np.diff(np.sort(np.asarray(times / second, dtype=float))) * second


def coefficient_of_variation(intervals: Quantity) -> float:
    """CV = std/mean of inter-spike intervals (dimensionless); NaN for fewer than 2 ISIs."""
    isi = np.asarray(intervals / second, dtype=float)
    if isi.size < 2:
        return float("nan")
    return float(np.std(isi) / np.mean(isi))


__all__ = [
    "Spikes",
    "coefficient_of_variation",
    "detect_spikes",
    "firing_rate",
    "interspike_intervals",
]
