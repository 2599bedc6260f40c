"""The spike-detection rule every hh-brian engine and analysis shares (plain NumPy floats).

**Rule.**  Let ``x = s (v - theta)`` with ``s`` the sign of depolarisation in the
model's convention (+1 modern, -1 for Hodgkin & Huxley 1952, where depolarisation is
negative) and ``theta`` the threshold ``V_spike``; ``x > 0`` means "above threshold".
A spike is a step ``k -> k + 1`` with

    ``x_k <= 0 < x_{k+1}``                (an upward crossing),

and its time is the linear interpolation of ``v`` between the two samples,

    ``t_spike = t_k + dt (theta - v_k) / (v_{k+1} - v_k)``,  in ``(t_k, t_k + dt]``.

**Re-arming.**  The detector re-arms when ``v`` is back at or below the threshold
(``x <= 0``), i.e. when the membrane repolarises through ``V_spike``: one action
potential, one spike.  The re-arm level is the threshold itself, not a lower level,
because then "armed" is a function of ``v`` alone: a run continued from any state,
mid-spike included, needs no hidden flag to count every action potential exactly once,
and engines that only see ``v`` at the start and end of a step (Brian2, the NumPy
engine, NEURON's ``NetCon``) apply the identical rule.  A smooth deterministic
trajectory crosses ``V_spike`` monotonically on the upstroke, so a lower re-arm level
would change nothing there; it only matters for traces that chatter around the
threshold (noise), for which :func:`upward_crossings` callers can add a dead time.

**Consequences.**  A run that starts above threshold has ``x_0 > 0`` and no spike at
``t = 0`` (its first spike needs a return below threshold), and a run continued from
the final state of another counts a spike that was in progress there exactly once:
in the run where ``v`` crossed.

**Interpolation error.**  For a trace with continuous second derivative, the linear
interpolant misplaces the crossing by at most ``dt**2 max|v''| / (8 |v'|)`` (both at the
crossing): second order in the sampling interval.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["crossing_fraction", "crossing_steps", "upward_crossings"]


def crossing_steps(x: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Rows and sample indices ``k`` where ``x[row, k] <= 0 < x[row, k + 1]``.

    Parameters
    ----------
    x : array_like
        ``s (v - theta)`` (any unit), shape ``(n_neurons, n_samples)``.

    Returns
    -------
    rows, steps : ndarray of int
        Sorted by row, then by step.

    Examples
    --------
    >>> crossing_steps([[1.0, -1.0, 0.0, 2.0, 3.0, -1.0, 1.0]])
    (array([0, 0]), array([2, 5]))
    """
    above = np.asarray(x, dtype=float) > 0
    rows, steps = np.nonzero(~above[:, :-1] & above[:, 1:])
    return rows.astype(np.intp), steps.astype(np.intp)


def crossing_fraction(x_before: ArrayLike, x_after: ArrayLike) -> NDArray[np.float64]:
    """Fraction of the step at which the linear interpolant of ``x`` reaches 0.

    ``(0 - x_before) / (x_after - x_before)``, in ``[0, 1)`` for ``x_before <= 0 < x_after``
    (equivalently ``(theta - v_k) / (v_{k+1} - v_k)``, whichever the convention).

    >>> crossing_fraction([-1.0, 0.0], [3.0, 2.0])
    array([0.25, 0.  ])
    """
    before = np.asarray(x_before, dtype=float)
    after = np.asarray(x_after, dtype=float)
    return (0.0 - before) / (after - before)


def upward_crossings(
    t: ArrayLike, x: ArrayLike
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Every upward crossing of 0 by sampled ``x``, linearly interpolated.

    Parameters
    ----------
    t : array_like
        Sample times, shape ``(n_samples,)``, increasing (any time unit; the result is in
        the same unit).
    x : array_like
        ``s (v - theta)``, shape ``(n_neurons, n_samples)``; ``theta`` may differ per
        neuron (e.g. an oscillation's midline).

    Returns
    -------
    rows : ndarray of int
        Neuron of each crossing, sorted by neuron then time.
    steps : ndarray of int
        Index ``k`` of the sample before each crossing.
    times : ndarray of float
        ``t_k + (t_{k+1} - t_k) * (-x_k) / (x_{k+1} - x_k)``.

    Examples
    --------
    A ramp ``v = t`` (mV, ms) through ``theta = 0.5`` sampled at integers:

    >>> upward_crossings(np.arange(4.0), [np.arange(4.0) - 0.5])[2]
    array([0.5])
    """
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    rows, steps = crossing_steps(x)
    frac = crossing_fraction(x[rows, steps], x[rows, steps + 1])
    return rows, steps, t[steps] + frac * (t[steps + 1] - t[steps])
