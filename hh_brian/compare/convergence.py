"""Observed convergence orders: slope of log(error) on log(dt), and whether it is an order.

A regression over step sizes gives a number whatever the data; it is the
method's order only in the asymptotic regime, where the error is C dt^p with
the next terms negligible.  :func:`fit_order` returns the slope together with
the reasons it may not be an order (:attr:`OrderFit.problems`): fewer than
``MIN_CHECKED_DTS`` dts (the regime cannot be checked), slopes between
neighbouring dts differing by more than ``LOCAL_SLOPE_SPREAD``, or errors
above ``SATURATION_FRACTION`` of their scale.  Errors at the gold solution's
own accuracy are left out of the fit.  Used by :mod:`hh_brian.compare.methods`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms

from hh_brian.compare.observed_order import GOLD_FLOOR_MV

#: Slopes between neighbouring dts of an asymptotic fit agree within this.
LOCAL_SLOPE_SPREAD = 0.5
#: An error above this fraction of its scale is outside the asymptotic regime: for V,
#: of the gold's swing on the window (the upstroke shifted by a good part of its
#: width, where max|dV| stops growing linearly with the shift); for spike times, of
#: the shortest gold inter-spike interval.
SATURATION_FRACTION = 0.1
#: Spike-time errors (ms) at the gold's own accuracy: GOLD_FLOOR_MV over an upstroke
#: slope of at least 10 mV/ms at the threshold.
SPIKE_FLOOR_MS = GOLD_FLOOR_MV / 10.0
#: Linearly interpolated crossings carry an O(dt^2) error: the highest spike-time order
#: they can show.
CROSSING_ORDER = 2
#: Fewest dts with which an order fit can check its own regime (two local slopes).
MIN_CHECKED_DTS = 3


@dataclass(frozen=True)
class OrderFit:
    """Slope of log(error) against log(dt) for one (engine, method) and one error measure.

    Attributes
    ----------
    quantity : str
        ``"V"`` (max |V - V_gold| on the window) or ``"spike times"``.
    observed : float
        The slope over ``dts`` (NaN with fewer than two).
    dts : Quantity
        The dts in the fit (not blown up, above the gold floor, for spike
        times also matching every gold spike).
    errors : tuple of float
        Their errors, in ``unit``.
    local_slopes : tuple of float
        Slopes between neighbouring dts (largest dt first).
    problems : tuple of str
        Why the fit is not an order (empty: asymptotic regime).
    notes : tuple of str
        What was left out of the fit.
    """

    engine: str
    method: str
    declared: int
    observed: float
    dts: Quantity
    window: Quantity
    quantity: str = "V"
    unit: str = "mV"
    errors: tuple[float, ...] = ()
    local_slopes: tuple[float, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def asymptotic(self) -> bool:
        """The fit is an order: enough dts and no problem."""
        return len(self.dts) >= MIN_CHECKED_DTS and not self.problems

    def describe(self) -> str:
        name = f"{self.engine}/{self.method} {self.quantity}"
        if self.quantity == "V":
            name += f" on 0..{float(self.window / ms):g} ms"
        extra = "".join(f"; {text}" for text in (*self.problems, *self.notes))
        if len(self.dts) < 2:
            return f"{name}: fewer than 2 usable dts, no order{extra}"
        dts = np.asarray(self.dts / ms)
        fit = (
            f"{self.observed:.2f} (declared {self.declared}) over dt = "
            f"{dts.min():g}..{dts.max():g} ms ({dts.size} dts)"
        )
        if self.asymptotic:
            return f"{name}: observed {fit}{extra}"
        return f"{name}: slope {fit}, NOT AN ORDER{extra}"


def fit_order(
    dts_ms: Sequence[float],
    errors: Sequence[float],
    *,
    floor: float,
    saturation: float,
    scale: str,
    unit: str = "",
) -> tuple[float, np.ndarray, np.ndarray, tuple[float, ...], list[str], list[str]]:
    """Slope of log(error) on log(dt), its local slopes, and why it may not be an order.

    Errors (in *unit*) at or below *floor* are left out (noted); errors above
    *saturation* (``SATURATION_FRACTION`` of *scale*, a description) make the fit
    non-asymptotic, as do fewer than ``MIN_CHECKED_DTS`` dts or local slopes
    spreading by more than ``LOCAL_SLOPE_SPREAD``.

    Returns
    -------
    (observed, dts_ms, errors, local_slopes, problems, notes)

    >>> fit = fit_order([0.4, 0.2, 0.1], [4.0, 1.0, 0.25], floor=1e-8, saturation=10.0, scale="s")
    >>> round(fit[0], 6), fit[4]
    (2.0, [])
    """
    dts = np.asarray(dts_ms, dtype=float)
    errs = np.asarray(errors, dtype=float)
    order = np.argsort(dts)[::-1]
    dts, errs = dts[order], errs[order]
    problems: list[str] = []
    notes: list[str] = []
    floored = errs <= floor
    if floored.any():
        notes.append(
            f"{int(floored.sum())} dt(s) at the gold floor (<= {floor:.3g} {unit}) left out "
            "of the fit"
        )
    dts, errs = dts[~floored], errs[~floored]
    if dts.size < 2:
        return math.nan, dts, errs, (), problems, notes
    log_dt, log_err = np.log(dts), np.log(errs)
    observed = float(np.polyfit(log_dt, log_err, 1)[0])
    local = tuple(float(s) for s in np.diff(log_err) / np.diff(log_dt))
    if dts.size < MIN_CHECKED_DTS:
        problems.append(
            f"only {dts.size} dts: the regime cannot be checked (give {MIN_CHECKED_DTS} or more)"
        )
    elif max(local) - min(local) > LOCAL_SLOPE_SPREAD:
        problems.append(
            f"local slopes {min(local):.2f}..{max(local):.2f} differ by more than "
            f"{LOCAL_SLOPE_SPREAD:g}: not asymptotic"
        )
    if errs.max() > saturation:
        problems.append(
            f"error up to {errs.max():.3g} {unit} > {saturation:.3g} {unit} "
            f"({SATURATION_FRACTION:.0%} of {scale}): not asymptotic, use smaller dts"
        )
    return observed, dts, errs, local, problems, notes
