"""A spike-counting threshold that matches what a person sees in a trace.

A fixed ``V_spike`` (-20 mV) is right for full action potentials, but a cell with
dampened events (the lecture's ten-fold capacitance, whose events peak anywhere from
-50 to +10 mV) puts it among the peaks: events that clearly happened are missed, and
two methods that draw the same picture report very different counts.  A person sees
two populations of turning points, the event peaks up high and the troughs (with the
small ripples around rest) down low, and counts the excursions from one to the other.
So the level is found from the local extrema of the traces (maxima and minima
together, over every trace of a figure, so that all are counted at one level):

1. split the sorted extremum values into a low and a high group where the
   between-group variance is largest (Otsu's criterion, Otsu 1979, IEEE Trans Syst
   Man Cybern 9:62, doi:10.1109/TSMC.1979.4310076, applied to the extremum values);
2. put the level halfway between the two groups' means, kept inside the empty band
   between the highest low value and the lowest high value.

Ripples around rest join the troughs, and a single tall spike barely moves the high
group's mean.  Groups whose means lie within ``MIN_SWING_MV`` have no events to
separate; the level is then None.  Spikes are counted with the crossing rule of
:mod:`hh_brian.core.crossings` (:func:`hh_brian.analysis.spikes.detect_spikes` with
``threshold=level``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MIN_SWING_MV", "EventThreshold", "extrema", "visible_threshold"]

#: Smallest gap (mV) between the median peak and the median trough for there to be
#: events at all (a resting trace's wiggles are far smaller).
MIN_SWING_MV = 10.0


@dataclass(frozen=True)
class EventThreshold:
    """The counting level and the two groups of extrema it separates (mV)."""

    level_mV: float | None
    low_mean_mV: float
    high_mean_mV: float
    n_low: int
    n_high: int

    def describe(self) -> str:
        """One sentence on how the level was chosen."""
        if self.level_mV is None:
            return (
                f"no events: the low and high groups of extrema (means {self.low_mean_mV:.1f} "
                f"and {self.high_mean_mV:.1f} mV) lie within {MIN_SWING_MV:g} mV"
            )
        return (
            f"{self.level_mV:.1f} mV, halfway between the means of the troughs "
            f"({self.low_mean_mV:.1f} mV, {self.n_low} extrema) and of the event peaks "
            f"({self.high_mean_mV:.1f} mV, {self.n_high} extrema)"
        )


def extrema(v: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Values of the local maxima and minima of a sampled trace (plateaus count once).

    >>> extrema([0.0, 2.0, 1.0, 1.0, 3.0, 0.0])
    (array([2., 3.]), array([1.]))
    """
    v = np.asarray(v, dtype=float)
    change = np.diff(v)
    moving = np.flatnonzero(change != 0)
    if moving.size < 2:
        return np.empty(0), np.empty(0)
    direction = np.sign(change[moving])
    turns = np.flatnonzero(direction[:-1] != direction[1:])
    at = moving[turns] + 1  # the sample where the direction changes
    rising = direction[turns] > 0
    return v[at[rising]], v[at[~rising]]


def visible_threshold(traces_mV: Sequence[ArrayLike], sign: int = 1) -> EventThreshold:
    """The level between the troughs and the event peaks of *traces_mV* (module doc).

    Parameters
    ----------
    traces_mV : sequence of array_like
        Sampled potentials (mV), one array per trace.
    sign : {1, -1}
        +1 if depolarisation raises V (modern convention), -1 for the 1952 convention;
        the level is returned in the traces' own convention.

    Examples
    --------
    Three spikes to +40 mV from -65 mV, with ripples around rest:

    >>> v = [-65, -64, -65, 40, -75, -64.5, -65, 40, -75, -64, -65, 40, -75, -65]
    >>> round(visible_threshold([v]).level_mV, 1)
    -14.0
    """
    values = []
    for v in traces_mV:
        high, low = extrema(sign * np.asarray(v, dtype=float))
        values += [high, low]
    x = np.sort(np.concatenate(values)) if values else np.empty(0)
    if x.size < 2:
        return EventThreshold(None, np.nan, np.nan, 0, int(x.size))
    split = _otsu_split(x)
    low, high = x[:split], x[split:]
    low_mean, high_mean = float(low.mean()), float(high.mean())
    level = None
    if high_mean - low_mean >= MIN_SWING_MV:
        level = float(np.clip(0.5 * (low_mean + high_mean), low[-1], high[0]))
    return EventThreshold(
        level_mV=None if level is None else sign * level,
        low_mean_mV=sign * low_mean,
        high_mean_mV=sign * high_mean,
        n_low=int(low.size),
        n_high=int(high.size),
    )


def _otsu_split(x: np.ndarray) -> int:
    """Index splitting sorted *x* into two non-empty groups of largest between-group variance."""
    k = np.arange(1, x.size)
    cumulative = np.cumsum(x)[:-1]
    mean_low = cumulative / k
    mean_high = (x.sum() - cumulative) / (x.size - k)
    between = k * (x.size - k) * (mean_high - mean_low) ** 2
    return int(k[np.argmax(between)])
