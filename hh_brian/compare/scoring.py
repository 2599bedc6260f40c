"""What a run is scored against: the gold solution on a grid, and spike pairing.

Shared by :mod:`hh_brian.compare.methods` (methods and time steps) and
:mod:`hh_brian.compare.simulators` (other simulators).

Spike times
-----------
Brian2 reports a spike at the *start* of the step in which the threshold was
crossed, i.e. quantised to dt.  Comparing those times would compare methods on
the quantisation rather than on their dynamics, so every run's spike times are
the threshold crossings of its recorded voltage, interpolated linearly between
the samples before and after (:func:`crossing_times`), for every engine alike.
The linear interpolation adds an error of order dt^2 (curvature of the
upstroke): below the integration error of the first-order methods at the dts
used here, but it dominates rk4's spike-time error at small dt.  The gold
crossings are located by root finding on the solver's dense output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.core.crossings import upward_crossings
from hh_brian.engines.reference import solve_gold
from hh_brian.engines.reference_bridge import initial_vector, reference_current, reference_model
from hh_brian.engines.reference_inputs import drive_input
from hh_brian.models.drive import make_drive
from hh_brian.models.presets import Preset
from hh_brian.models.stimulus_base import Stimulus

#: Tolerances of the gold solution (scipy DOP853); far below any fixed-step error here.
GOLD_RTOL = 1e-12
GOLD_ATOL = 1e-12
#: Sample times within this distance (ms) are the same grid point (k*dt in floating point).
GRID_TOLERANCE_MS = 1e-9


# --------------------------------------------------------------------------- spikes


def crossing_times(
    t: np.ndarray, v: np.ndarray, threshold: float, direction: int = 1
) -> np.ndarray:
    """Threshold crossings of a sampled trace, interpolated linearly within the step.

    Parameters
    ----------
    t, v : ndarray
        Sample times and voltages (any consistent units, e.g. ms and mV).
    threshold : float
        Spike threshold in the units of *v*.
    direction : {1, -1}
        ``1`` for upward crossings (modern convention), ``-1`` for downward
        ones (Hodgkin & Huxley 1952, depolarisation negative).

    Returns
    -------
    ndarray
        ``t_k + dt * (threshold - v_k) / (v_{k+1} - v_k)`` for every step
        ``k`` with ``v_k`` at or below and ``v_{k+1}`` above the threshold (in the
        *direction*): hh-brian's crossing rule, :mod:`hh_brian.core.crossings`.

    Examples
    --------
    >>> crossing_times(np.array([0.0, 1.0, 2.0]), np.array([-30.0, -10.0, 5.0]), -20.0)
    array([0.5])
    """
    x = direction * (np.asarray(v, dtype=float) - threshold)
    return upward_crossings(t, x[None, :])[2]


@dataclass(frozen=True)
class SpikeMatch:
    """Spikes of one run paired with the gold spikes.

    Each gold spike is paired with the nearest spike of the run if that lies
    closer than half the gold inter-spike interval on either side (the smaller
    of the two; a lone gold spike accepts any distance).  Windows of
    neighbouring gold spikes cannot overlap, so the pairing is one-to-one.

    Attributes
    ----------
    errors : Quantity
        Signed error ``t_run - t_gold`` of every gold spike, NaN where unmatched.
    n_spikes, n_gold, n_matched : int
    n_missed : int
        Gold spikes without a partner.
    n_extra : int
        Spikes of the run without a gold partner.
    """

    errors: Quantity
    n_spikes: int
    n_gold: int
    n_matched: int
    n_missed: int
    n_extra: int

    @property
    def mean_error(self) -> Quantity:
        """Mean |t_run - t_gold| over matched spikes (NaN if none matched)."""
        return _nan_stat(np.nanmean, self.errors)

    @property
    def max_error(self) -> Quantity:
        """Max |t_run - t_gold| over matched spikes (NaN if none matched)."""
        return _nan_stat(np.nanmax, self.errors)

    @property
    def complete(self) -> bool:
        """Every gold spike matched and no extra spike."""
        return self.n_missed == 0 and self.n_extra == 0


def _nan_stat(function, errors: Quantity) -> Quantity:
    values = np.abs(np.asarray(errors / ms))
    if not np.isfinite(values).any():
        return np.nan * ms
    return float(function(values)) * ms


def match_spikes(times_ms: np.ndarray, gold_ms: np.ndarray) -> SpikeMatch:
    """Pair spike times (ms) with gold spike times (ms); see :class:`SpikeMatch`.

    >>> m = match_spikes(np.array([1.1, 5.0, 9.2]), np.array([1.0, 9.0]))
    >>> (m.n_matched, m.n_missed, m.n_extra), np.round(m.errors / ms, 3).tolist()
    ((2, 0, 1), [0.1, 0.2])
    """
    times = np.sort(np.asarray(times_ms, dtype=float))
    gold = np.sort(np.asarray(gold_ms, dtype=float))
    errors = np.full(gold.size, np.nan)
    if times.size and gold.size:
        gaps = np.diff(gold)
        radius = 0.5 * np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
        right = np.clip(np.searchsorted(times, gold), 0, times.size - 1)
        left = np.clip(right - 1, 0, times.size - 1)
        use_left = np.abs(times[left] - gold) <= np.abs(times[right] - gold)
        nearest = np.where(use_left, left, right)
        difference = times[nearest] - gold
        matched = np.abs(difference) < radius
        errors[matched] = difference[matched]
    n_matched = int(np.isfinite(errors).sum())
    return SpikeMatch(
        errors=errors * ms,
        n_spikes=int(times.size),
        n_gold=int(gold.size),
        n_matched=n_matched,
        n_missed=int(gold.size) - n_matched,
        n_extra=int(times.size) - n_matched,
    )


# --------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class GoldSolution:
    """The gold solution on a grid: ``t_ms``, ``v_mV`` (preset's convention), spikes (ms)."""

    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    solver: str

    def at(self, t_ms: np.ndarray) -> np.ndarray:
        """Gold voltage (mV) at sample times that lie on the grid (nearest point, checked)."""
        t_ms = np.asarray(t_ms, dtype=float)
        right = np.clip(np.searchsorted(self.t_ms, t_ms), 1, self.t_ms.size - 1)
        left = right - 1
        nearest = np.where(
            np.abs(self.t_ms[left] - t_ms) <= np.abs(self.t_ms[right] - t_ms), left, right
        )
        if np.max(np.abs(self.t_ms[nearest] - t_ms), initial=0.0) > GRID_TOLERANCE_MS:
            raise ValueError("sample times are not on the gold grid")
        return self.v_mV[nearest]


def time_grid_ms(dt: Quantity, duration: Quantity) -> np.ndarray:
    """Sample times 0, dt, ..., duration in ms."""
    n_steps = int(round(float(duration / dt)))
    return np.arange(n_steps + 1) * float(dt / ms)


def merged_grid_ms(dts: Sequence[Quantity], duration: Quantity) -> np.ndarray:
    """The union of the dts' grids (ms); points closer than the grid tolerance count once."""
    times = np.sort(np.concatenate([time_grid_ms(dt, duration) for dt in dts]))
    keep = np.r_[True, np.diff(times) > GRID_TOLERANCE_MS]
    return times[keep]


def gold_solution(
    preset: Preset,
    current: Quantity | Sequence[Stimulus],
    duration: Quantity,
    dts: Sequence[Quantity],
) -> GoldSolution:
    """Solve *preset* to tight tolerance and evaluate it on the union of the dts' grids.

    Uses the independent NumPy reference model (:mod:`hh_brian.engines.reference`)
    with :func:`~hh_brian.engines.reference.solve_gold` (DOP853, ``rtol = atol = 1e-12``);
    spike times are refined by root finding on the dense output.  Stimuli are
    integrated segment by segment between their edges.
    """
    grid = merged_grid_ms(dts, duration)
    model = reference_model(preset)
    if isinstance(current, list | tuple):  # stimuli: the same input on every dt's grid
        i_inj = drive_input(make_drive(preset, list(current), min(dts), duration), 1)
    else:
        i_inj = float(np.asarray(reference_current(preset, current, 1 * ms, 1)))
    solution = solve_gold(
        model,
        initial_vector(preset),
        float(duration / ms),
        i_inj=i_inj,
        t_eval=grid,
        rtol=GOLD_RTOL,
        atol=GOLD_ATOL,
        threshold=float(preset.parameters["V_spike"] / mV),
    )
    return GoldSolution(
        t_ms=grid,
        v_mV=solution.V[:, 0],
        spikes_ms=np.asarray(solution.spike_times[0]),
        solver=f"scipy solve_ivp DOP853, rtol={GOLD_RTOL:g}, atol={GOLD_ATOL:g}",
    )
