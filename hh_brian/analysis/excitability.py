"""Hodgkin's excitability class from an f-I curve: a continuous or a discontinuous onset.

Class 1
    Repetitive firing starts at an arbitrarily low rate: near the onset current I_c the
    rate grows like f ~ sqrt(I - I_c) (a saddle-node on an invariant circle; e.g.
    Wang & Buzsaki 1996, the Connor-Stevens model).
Class 2
    Repetitive firing starts with a jump to a finite rate (the squid axon: ~50 Hz at the
    fold of limit cycles, ~6.26 uA/cm^2), usually with bistability: the down sweep keeps
    firing below the current where the up sweep starts.

The criterion (:func:`classify_excitability`), per sweep, from the numbers a measured
curve has -- the currents' grid, the rates and the slowest resolvable rate (the *floor*;
slower firing reads 0 Hz):

1. Take the first ``FIT_POINTS`` firing currents of the onset (the first current that
   fires and the ones after it) and fit the square-root law ``f**2 = a (I - I_star)``
   by least squares (a straight line through ``(I, f**2)``).
2. Evaluate the fitted law one grid step lower, at the last silent current ``I_0``:
   ``f_pred = sqrt(a (I_0 - I_star))`` (0 if ``I_0 <= I_star``).
3. A continuous onset predicts ``f_pred <= floor``: the silent reading at ``I_0`` is what
   firing slower than the floor, or not at all, looks like.  A jump predicts
   ``f_pred > floor``: a law that reaches zero continuously would already fire
   measurably at ``I_0``, so the rate fell discontinuously.

For a class-1 curve the fit is conservative: away from the onset the rate grows about
linearly, so ``f**2`` is convex and the secant through the fitted points extrapolates to
zero between I_c and the first firing current, never below ``I_0``.  For the squid axon
(grid 0.5 uA/cm^2) the down sweep's law predicts ~50 Hz at ``I_0``, far above a floor of
a few Hz.

The class is 1 when every measured sweep has a continuous onset and no current is
bistable (down fires, up rests), 2 when a sweep jumps, and undetermined when a sweep does
not fire, fires at the lowest current (the onset is below the range), or has fewer than
two firing currents to fit, or when the onsets are continuous but bistable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Firing currents fitted with the square-root law at the onset.
FIT_POINTS = 3
#: Class labels.
CLASS_1, CLASS_2 = 1, 2


@dataclass(frozen=True)
class SweepOnset:
    """The onset of firing in one sweep, in the units the rates and currents were given.

    Attributes
    ----------
    sweep : str
    index : int or None
        Index of the first firing current (None: none fires).
    last_silent, first_firing : float or None
        The currents either side of the onset.
    onset_rate : float or None
        Rate at ``first_firing`` (Hz).
    onset_fit : float or None
        ``I_star``, where the fitted ``f**2 = a (I - I_star)`` reaches zero.
    predicted_rate : float or None
        The fitted law's rate at ``last_silent`` (Hz).
    continuous : bool or None
        ``predicted_rate <= floor`` (None: not decidable; see ``reason``).
    reason : str
        Why it is not decidable, else ''.
    """

    sweep: str
    index: int | None
    last_silent: float | None
    first_firing: float | None
    onset_rate: float | None
    onset_fit: float | None
    predicted_rate: float | None
    continuous: bool | None
    reason: str = ""


@dataclass(frozen=True)
class Excitability:
    """Hodgkin's class of an f-I curve (see the module docstring).

    Attributes
    ----------
    excitability_class : int or None
        1, 2, or None (undetermined).
    onsets : tuple of SweepOnset
        One per sweep examined (``up``, then ``down`` when it was primed).
    bistable : tuple of float
        ``(lowest, highest)`` bistable current, or ``()``.
    floor : float
        Slowest resolvable rate (Hz).
    reason : str
        One line: the evidence for the class, or why it is undetermined.
    """

    excitability_class: int | None
    onsets: tuple[SweepOnset, ...]
    bistable: tuple[float, ...]
    floor: float
    reason: str


def sweep_onset(sweep: str, currents: np.ndarray, rates: np.ndarray, floor: float) -> SweepOnset:
    """The onset of one sweep and whether it is continuous (steps 1-3 of the module doc).

    >>> I = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    >>> sweep_onset("up", I, np.array([0, 0, 10.0, 14.1, 17.3]), 4.0).continuous
    True
    >>> sweep_onset("up", I, np.array([0, 0, 50.0, 52.0, 54.0]), 4.0).continuous
    False
    """
    currents = np.asarray(currents, dtype=float)
    rates = np.asarray(rates, dtype=float)
    firing = rates > 0
    if not firing.any():
        return SweepOnset(sweep, None, None, None, None, None, None, None, "no firing in range")
    k = int(np.argmax(firing))
    first, rate = float(currents[k]), float(rates[k])
    silent = float(currents[k - 1]) if k > 0 else None

    def undecided(reason: str) -> SweepOnset:
        return SweepOnset(sweep, k, silent, first, rate, None, None, None, reason)

    if k == 0:
        return undecided("fires at the lowest current tested (the onset is below the range)")
    run = k
    while run < currents.size and firing[run] and run - k < FIT_POINTS:
        run += 1
    if run - k < 2:
        return undecided("fewer than 2 consecutive firing currents at the onset to fit")
    slope, intercept = np.polyfit(currents[k:run], rates[k:run] ** 2, 1)
    if not slope > 0:
        return undecided("the rate does not grow with the current at the onset")
    onset_fit = float(-intercept / slope)
    predicted = math.sqrt(max(0.0, slope * (silent - onset_fit)))
    return SweepOnset(sweep, k, silent, first, rate, onset_fit, predicted, predicted <= floor)


def classify_excitability(
    currents: np.ndarray,
    rate_up: np.ndarray,
    rate_down: np.ndarray | None,
    floor: float,
    *,
    unit: str = "",
) -> Excitability:
    """Hodgkin's class from the up sweep and (if primed) the down sweep.

    Parameters
    ----------
    currents : ndarray
        Increasing currents (any unit; results are in the same unit).
    rate_up, rate_down : ndarray
        Rates (Hz); *rate_down* None when the down sweep was not primed.
    floor : float
        Slowest rate the measurement resolves (Hz); slower firing reads 0.
    unit : str
        The currents' unit, appended to the currents in the reason.

    Returns
    -------
    Excitability

    >>> I = np.arange(0.0, 1.01, 0.1)
    >>> f = np.where(I > 0.15, 40 * np.sqrt(np.clip(I - 0.15, 0, None)), 0.0)
    >>> classify_excitability(I, f, f, 4.0).excitability_class
    1
    """
    currents = np.asarray(currents, dtype=float)
    up = np.asarray(rate_up, dtype=float)
    u = f" {unit}" if unit else ""
    sweeps = [("up", up)]
    if rate_down is not None:
        sweeps.append(("down", np.asarray(rate_down, dtype=float)))
    onsets = tuple(sweep_onset(name, currents, rates, floor) for name, rates in sweeps)
    bistable: tuple[float, ...] = ()
    if rate_down is not None:
        mask = (np.asarray(rate_down) > 0) & (up == 0)
        if mask.any():
            bistable = (float(currents[mask][0]), float(currents[mask][-1]))
    # The down sweep first: its onset is where the limit cycle itself appears.
    jumps = [o for o in reversed(onsets) if o.continuous is False]
    unknown = [o for o in onsets if o.continuous is None]
    if jumps:
        o = jumps[0]
        reason = (
            f"{o.sweep} sweep jumps to {o.onset_rate:.3g} Hz at {o.first_firing:.4g}{u}: the "
            f"square-root law through the onset would fire {o.predicted_rate:.3g} Hz at "
            f"{o.last_silent:.4g}{u}, above the {floor:.3g} Hz floor, where it is silent"
        )
        if bistable:
            reason += f"; bistable from {bistable[0]:.4g} to {bistable[1]:.4g}{u}"
        return Excitability(CLASS_2, onsets, bistable, floor, reason)
    if unknown:
        o = unknown[0]
        return Excitability(None, onsets, bistable, floor, f"{o.sweep} sweep: {o.reason}")
    if bistable:
        reason = (
            f"continuous onsets but bistable from {bistable[0]:.4g} to {bistable[1]:.4g}{u} "
            "(down fires, up rests)"
        )
        return Excitability(None, onsets, bistable, floor, reason)
    o = onsets[-1]
    reason = (
        f"continuous onset: the square-root law through the {o.sweep} sweep's onset reaches "
        f"0 Hz at {o.onset_fit:.4g}{u} and predicts {o.predicted_rate:.3g} Hz (<= the "
        f"{floor:.3g} Hz floor) at the last silent current {o.last_silent:.4g}{u}; first "
        f"firing {o.first_firing:.4g}{u} at {o.onset_rate:.3g} Hz; no bistability"
    )
    return Excitability(CLASS_1, onsets, bistable, floor, reason)


__all__ = [
    "CLASS_1",
    "CLASS_2",
    "Excitability",
    "FIT_POINTS",
    "SweepOnset",
    "classify_excitability",
    "sweep_onset",
]
