"""Voltage-clamp analysis: I-V curves, reversal potentials, Boltzmann fits, time constants.

Everything is measured in the protocol's *window* (the step of a step family, the
test step after a prepulse, the tail after an activating step):

* **peak** of a current: the sample of largest magnitude in the window (signed);
  **steady state**: the window's last sample;
* **reversal potential**: the zero crossing of an I-V curve, linearly
  interpolated between the two levels that bracket it (:func:`reversal_potential`).
  With levels ``dV`` apart and a smooth I(V), the interpolation error is at most
  ``dV**2/8 * max|I''| / |I'|`` near the crossing; a level exactly at the
  reversal gives it exactly (the current there is ``g*(E - E) = 0``);
* **Boltzmann** ``y = 1/(1 + exp((V_half - V)/k))``, fitted with
  :func:`scipy.optimize.curve_fit` to the normalised activation curve
  (peak g / its maximum, step families; channels with an activating gate) or the
  steady-state inactivation curve (peak |I| in the test step / its maximum,
  prepulse families; channels with an inactivating gate); ``k < 0`` for a
  decreasing curve;
* **time constants**: each gate's relaxation in the window fitted with
  ``x_inf - (x_inf - x0) exp(-t/tau)`` (in an ideal clamp this recovers the
  model's tau_x(V)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, cm, mS, ms, mV, uA
from scipy.optimize import curve_fit

from hh_brian.engines.clamp_trace import ClampTrace
from hh_brian.models.kinetics import steady_state

#: Current and conductance units of every table and figure.
CURRENT_UNIT, CURRENT_TAG = uA / cm**2, "uA_per_cm2"
CONDUCTANCE_UNIT, CONDUCTANCE_TAG = mS / cm**2, "mS_per_cm2"
#: A normalised curve is fitted only if it spans at least this much of [0, 1].
MIN_SPAN = 0.2
#: A gate is fitted only if it moves at least this much in the window.
MIN_GATE_CHANGE = 1e-6


def boltzmann(v: np.ndarray, v_half: float, k: float) -> np.ndarray:
    """``1/(1 + exp((v_half - v)/k))`` (all in mV).

    >>> float(boltzmann(np.array([-40.0]), -40.0, 5.0)[0])
    0.5
    """
    return 1.0 / (1.0 + np.exp((v_half - v) / k))


@dataclass(frozen=True)
class BoltzmannFit:
    """A Boltzmann fit: half-point and slope (mV), with one-sigma errors (mV)."""

    v_half: Quantity
    k: Quantity
    v_half_sd: Quantity
    k_sd: Quantity
    rms: float

    def text(self) -> str:
        return (
            f"V_half = {float(self.v_half / mV):.3f} +- {float(self.v_half_sd / mV):.2g} mV, "
            f"k = {float(self.k / mV):.3f} +- {float(self.k_sd / mV):.2g} mV"
        )


def fit_boltzmann(v: Quantity, y: np.ndarray) -> BoltzmannFit | None:
    """Fit :func:`boltzmann` to ``y(v)``; ``None`` if y spans less than :data:`MIN_SPAN`
    or the fit does not converge."""
    x = np.asarray(v / mV, dtype=float)
    y = np.asarray(y, dtype=float)
    good = np.isfinite(y)
    x, y = x[good], y[good]
    if x.size < 3 or np.ptp(y) < MIN_SPAN:
        return None
    increasing = np.corrcoef(x, y)[0, 1] >= 0
    middle = x[np.argmin(np.abs(y - 0.5))]
    guess = (middle, (1.0 if increasing else -1.0) * max(np.ptp(x) / 10, 1.0))
    try:
        popt, pcov = curve_fit(boltzmann, x, y, p0=guess, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    sd = np.sqrt(np.abs(np.diag(pcov)))
    rms = float(np.sqrt(np.mean((boltzmann(x, *popt) - y) ** 2)))
    return BoltzmannFit(popt[0] * mV, popt[1] * mV, sd[0] * mV, sd[1] * mV, rms)


def reversal_potential(v: Quantity, current: Quantity) -> Quantity:
    """The first zero crossing of ``current(v)``, linearly interpolated (volt); NaN if
    the current never changes sign.  A level where the current is exactly 0 is
    returned as it is (the reversal to round-off when it is on the grid)."""
    x = np.asarray(v / mV, dtype=float)
    y = np.asarray(current / CURRENT_UNIT, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    zeros = np.flatnonzero(y == 0)
    if zeros.size and zeros.size < y.size:  # an ohmic current is exactly 0 only at E
        return x[zeros[0]] * mV
    for k in range(len(x) - 1):
        if y[k] * y[k + 1] < 0:
            return (x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])) * mV
    return np.nan * mV


def _peak(values: np.ndarray) -> np.ndarray:
    """Signed value of largest magnitude along the last axis."""
    index = np.argmax(np.abs(values), axis=-1)
    return np.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def fit_relaxation(t_ms: np.ndarray, x: np.ndarray) -> float:
    """Time constant (ms) of ``x_inf - (x_inf - x0) exp(-t/tau)`` fitted to x(t); NaN
    if x barely moves or the fit fails."""
    if np.ptp(x) < MIN_GATE_CHANGE:
        return float("nan")
    t = t_ms - t_ms[0]
    x0, x_end = x[0], x[-1]
    crossed = np.flatnonzero(np.abs(x - x0) >= 0.632 * abs(x_end - x0))
    tau0 = max(t[crossed[0]] if crossed.size else t[-1] / 3, t[1] if t.size > 1 else 1.0)

    def model(tt, x_inf, tau):
        return x_inf - (x_inf - x0) * np.exp(-tt / tau)

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            popt, _ = curve_fit(model, t, x, p0=(x_end, tau0), maxfev=20000)
    except (RuntimeError, ValueError):
        return float("nan")
    return float(popt[1]) if popt[1] > 0 else float("nan")


@dataclass(frozen=True)
class ClampAnalysis:
    """Per-sweep measurements and the fits of one voltage-clamp family.

    Attributes
    ----------
    trace : ClampTrace
    levels : Quantity
        The swept level of each sweep, shape ``(n_sweeps,)`` (volt).
    i_peak, i_ss : dict[str, Quantity]
        Peak and steady-state current per channel and ``"total"`` (A/m^2), each
        ``(n_sweeps,)``.
    g_peak, g_ss : dict[str, Quantity]
        Peak and steady-state conductance per channel (S/m^2).
    tau : dict[str, Quantity]
        Fitted time constant per gate and sweep (second; NaN where a gate does not move).
    reversal : dict[str, Quantity]
        Reversal of the peak I-V per channel and total (volt; NaN if none).
    activation, inactivation : dict[str, BoltzmannFit or None]
        Boltzmann fits of g_peak/max (steps) or |I_peak|/max (prepulse), per channel.
    """

    trace: ClampTrace
    levels: Quantity
    i_peak: dict[str, Quantity]
    i_ss: dict[str, Quantity]
    g_peak: dict[str, Quantity]
    g_ss: dict[str, Quantity]
    tau: dict[str, Quantity]
    reversal: dict[str, Quantity]
    activation: dict[str, BoltzmannFit | None] = field(default_factory=dict)
    inactivation: dict[str, BoltzmannFit | None] = field(default_factory=dict)

    def normalised(self, channel: str) -> np.ndarray:
        """The curve the Boltzmann fit of *channel* used (dimensionless, max 1)."""
        if self.trace.protocol.kind == "prepulse":
            values = np.abs(np.asarray(self.i_peak[channel] / CURRENT_UNIT))
        else:
            values = np.asarray(self.g_peak[channel] / CONDUCTANCE_UNIT)
        top = np.max(values) if values.size else 0.0
        return values / top if top > 0 else np.full(values.shape, np.nan)


def analyse(trace: ClampTrace) -> ClampAnalysis:
    """Measure every sweep of *trace* in its protocol's window (see the module docstring).

    Parameters
    ----------
    trace : ClampTrace

    Returns
    -------
    ClampAnalysis
    """
    protocol = trace.protocol
    window = protocol.window_slice()
    currents = dict(trace.currents)
    currents["total"] = trace.total_current()
    i_peak, i_ss = {}, {}
    for name, values in currents.items():
        inside = np.asarray(values[:, window] / CURRENT_UNIT)
        i_peak[name] = _peak(inside) * CURRENT_UNIT
        i_ss[name] = inside[:, -1] * CURRENT_UNIT
    g_peak, g_ss = {}, {}
    for name, values in trace.conductances.items():
        inside = np.asarray(values[:, window] / CONDUCTANCE_UNIT)
        g_peak[name] = inside.max(axis=1) * CONDUCTANCE_UNIT
        g_ss[name] = inside[:, -1] * CONDUCTANCE_UNIT
    t_ms = np.asarray(trace.t[window] / ms)
    tau = {
        gate.name: np.array(
            [
                fit_relaxation(t_ms, trace.gates[gate.name][k, window])
                for k in range(protocol.n_sweeps)
            ]
        )
        * ms
        for gate in trace.model.gates
        if gate.is_state
    }
    levels = protocol.levels
    reversal = {name: reversal_potential(levels, values) for name, values in i_peak.items()}
    analysis = ClampAnalysis(trace, levels, i_peak, i_ss, g_peak, g_ss, tau, reversal)
    if protocol.kind == "steps":
        channels = _channels_with(trace.model, levels, rising=True)
        analysis.activation.update(
            {c: fit_boltzmann(levels, analysis.normalised(c)) for c in channels}
        )
    elif protocol.kind == "prepulse":
        channels = _channels_with(trace.model, levels, rising=False)
        analysis.inactivation.update(
            {c: fit_boltzmann(levels, analysis.normalised(c)) for c in channels}
        )
    return analysis


def _channels_with(model, levels: Quantity, *, rising: bool) -> list[str]:
    """Channels with a gate whose steady state rises (activation) or falls
    (inactivation) with depolarisation over *levels*, in the model's convention."""
    low, high = np.min(levels), np.max(levels)
    if model.convention.sign < 0:  # depolarisation is negative
        low, high = high, low
    found = []
    for ch in model.channels:
        for gate in ch.gates:
            change = float(
                steady_state(model, gate.name, high) - steady_state(model, gate.name, low)
            )
            if (change > 0) == rising and change != 0:
                found.append(ch.name)
                break
    return found


__all__ = [
    "CONDUCTANCE_TAG",
    "CONDUCTANCE_UNIT",
    "CURRENT_TAG",
    "CURRENT_UNIT",
    "BoltzmannFit",
    "ClampAnalysis",
    "analyse",
    "boltzmann",
    "fit_boltzmann",
    "fit_relaxation",
    "reversal_potential",
]
