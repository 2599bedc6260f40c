"""Opening and closing rates of the built-in gating kinetics, written in NumPy.

Units: membrane potential ``v`` in mV (in the convention of each kinetics, see
below), rates in 1/ms at the kinetics' reference temperature. Temperature scaling
(``phi = q10 ** ((celsius - celsius_ref) / 10)``) is applied by
:class:`hh_brian.engines.reference.model.ReferenceModel`, not here.

Every rate of the form ``a * x / (exp(x / k) - 1)`` is written with
:func:`x_over_expm1`, which is finite and smooth at the removable singularity.

Kinetics in :data:`KINETICS` (gate -> ``(alpha, beta)``):

``'hh1952'``
    Hodgkin & Huxley (1952), J. Physiol. 117:500-544, doi:10.1113/jphysiol.1952.sp004764,
    eqs. 12, 13, 20, 21, 23, 24. ``v`` is the displacement from rest and
    depolarisation is negative (the 1952 convention).
``'dayan_abbott'``
    Dayan & Abbott (2001), Theoretical Neuroscience, section 5.6 (modern convention,
    ``beta_m = 4 exp(-0.0556 (v + 65))``).
``'dayan_abbott_thermodynamic_n'``
    As ``'dayan_abbott'`` but with the thermodynamic fit of the n gate from lecture 7,
    ``alpha = A exp(-B v)``: ``A_alpha = 0.82/ms, B_alpha = -0.04/mV,
    A_beta = 0.056/ms, B_beta = 0.0125/mV``.
``'neuron_hh'``
    NEURON's built-in ``hh`` mechanism (``src/nrnoc/hh.mod``), ``vtrap`` form.
``'pyramidal'``
    Gerstner, Kistler, Naud & Paninski (2014), Neuronal Dynamics, Table 2.1.
``'traub_miles'``
    Traub & Miles as in Brette et al. (2007), J. Comput. Neurosci. 23:349-398,
    doi:10.1007/s10827-007-0038-6 (benchmark 3, Brian2's ``COBAHH`` example). The rates
    depend on ``v - v_t``; the functions take ``v_t`` (mV, default -63) as a second
    argument. Use :func:`gate_rates` to bind it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "GATES",
    "KINETICS",
    "NEEDS_V_T",
    "GateRates",
    "RateFunction",
    "gate_rates",
    "x_over_expm1",
]

#: Gate names, in the order used for the state vector ``(V, n, m, h)``.
GATES: tuple[str, str, str] = ("n", "m", "h")

#: Below this ``|x|``, ``x / (exp(x) - 1)`` is replaced by its Taylor series.
#: The neglected term is ``x**4 / 720`` (< 1e-30), far below double precision.
SERIES_CUTOFF = 1e-7

#: Default threshold-adjusting voltage of the Traub-Miles kinetics, mV.
V_T_DEFAULT = -63.0

RateFunction = Callable[..., NDArray[np.float64]]
GateRates = Mapping[str, tuple[RateFunction, RateFunction]]

FloatArray = NDArray[np.float64]


def x_over_expm1(x: ArrayLike) -> FloatArray:
    """Return ``x / (exp(x) - 1)``, finite and smooth at ``x = 0``.

    Parameters
    ----------
    x : array_like
        Dimensionless argument.

    Returns
    -------
    ndarray
        ``x / expm1(x)``; for ``|x| < SERIES_CUTOFF`` the series
        ``1 - x/2 + x**2/12`` (value 1 at 0). This is ``1 / exprel(x)`` in Brian2's
        notation.

    Examples
    --------
    >>> float(x_over_expm1(0.0))
    1.0
    >>> bool(abs(x_over_expm1(1e-6) - (1 - 0.5e-6 + 1e-12 / 12)) < 1e-15)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(1.0 - 0.5 * x + x * x / 12.0)
    big = np.abs(x) >= SERIES_CUTOFF
    with np.errstate(over="ignore"):
        denom = np.expm1(x)
    np.divide(x, denom, out=out, where=big)
    return out


def _exp(x: ArrayLike) -> FloatArray:
    return np.exp(np.asarray(x, dtype=np.float64))


# --- Hodgkin & Huxley 1952, original convention (depolarisation negative) ---------------


def hh1952_alpha_n(v: ArrayLike) -> FloatArray:
    """alpha_n = 0.01 (V+10) / (exp((V+10)/10) - 1), 1/ms; V in mV (1952 convention)."""
    return 0.1 * x_over_expm1((np.asarray(v) + 10.0) / 10.0)


def hh1952_beta_n(v: ArrayLike) -> FloatArray:
    """beta_n = 0.125 exp(V/80), 1/ms; V in mV (1952 convention)."""
    return 0.125 * _exp(np.asarray(v) / 80.0)


def hh1952_alpha_m(v: ArrayLike) -> FloatArray:
    """alpha_m = 0.1 (V+25) / (exp((V+25)/10) - 1), 1/ms; V in mV (1952 convention)."""
    return 1.0 * x_over_expm1((np.asarray(v) + 25.0) / 10.0)


def hh1952_beta_m(v: ArrayLike) -> FloatArray:
    """beta_m = 4 exp(V/18), 1/ms; V in mV (1952 convention)."""
    return 4.0 * _exp(np.asarray(v) / 18.0)


def hh1952_alpha_h(v: ArrayLike) -> FloatArray:
    """alpha_h = 0.07 exp(V/20), 1/ms; V in mV (1952 convention)."""
    return 0.07 * _exp(np.asarray(v) / 20.0)


def hh1952_beta_h(v: ArrayLike) -> FloatArray:
    """beta_h = 1 / (exp((V+30)/10) + 1), 1/ms; V in mV (1952 convention)."""
    return 1.0 / (_exp((np.asarray(v) + 30.0) / 10.0) + 1.0)


# --- Dayan & Abbott 2001, section 5.6 (modern convention) -------------------------------


def da_alpha_n(v: ArrayLike) -> FloatArray:
    """alpha_n = 0.01 (V+55) / (1 - exp(-0.1 (V+55))), 1/ms; V in mV."""
    return 0.1 * x_over_expm1(-0.1 * (np.asarray(v) + 55.0))


def da_beta_n(v: ArrayLike) -> FloatArray:
    """beta_n = 0.125 exp(-0.0125 (V+65)), 1/ms; V in mV."""
    return 0.125 * _exp(-0.0125 * (np.asarray(v) + 65.0))


def da_alpha_m(v: ArrayLike) -> FloatArray:
    """alpha_m = 0.1 (V+40) / (1 - exp(-0.1 (V+40))), 1/ms; V in mV."""
    return 1.0 * x_over_expm1(-0.1 * (np.asarray(v) + 40.0))


def da_beta_m(v: ArrayLike) -> FloatArray:
    """beta_m = 4 exp(-0.0556 (V+65)), 1/ms; V in mV (0.0556, not 1/18, as in the book)."""
    return 4.0 * _exp(-0.0556 * (np.asarray(v) + 65.0))


def da_alpha_h(v: ArrayLike) -> FloatArray:
    """alpha_h = 0.07 exp(-0.05 (V+65)), 1/ms; V in mV."""
    return 0.07 * _exp(-0.05 * (np.asarray(v) + 65.0))


def da_beta_h(v: ArrayLike) -> FloatArray:
    """beta_h = 1 / (1 + exp(-0.1 (V+35))), 1/ms; V in mV."""
    return 1.0 / (1.0 + _exp(-0.1 * (np.asarray(v) + 35.0)))


def thermo_alpha_n(v: ArrayLike) -> FloatArray:
    """alpha_n = A exp(-B V), A = 0.82/ms, B = -0.04/mV (lecture 7, thermal fit); V in mV."""
    return 0.82 * _exp(0.04 * np.asarray(v))


def thermo_beta_n(v: ArrayLike) -> FloatArray:
    """beta_n = A exp(-B V), A = 0.056/ms, B = 0.0125/mV (lecture 7, thermal fit); V in mV."""
    return 0.056 * _exp(-0.0125 * np.asarray(v))


# --- NEURON hh.mod (modern convention), vtrap(x, y) = x / (exp(x/y) - 1) -----------------


def _vtrap(x: ArrayLike, y: float) -> FloatArray:
    """NEURON's ``vtrap(x, y) = x / (exp(x/y) - 1)``, singularity-free."""
    return y * x_over_expm1(np.asarray(x) / y)


def neuron_alpha_m(v: ArrayLike) -> FloatArray:
    """alpha_m = 0.1 vtrap(-(v+40), 10), 1/ms; v in mV."""
    return 0.1 * _vtrap(-(np.asarray(v) + 40.0), 10.0)


def neuron_beta_m(v: ArrayLike) -> FloatArray:
    """beta_m = 4 exp(-(v+65)/18), 1/ms; v in mV."""
    return 4.0 * _exp(-(np.asarray(v) + 65.0) / 18.0)


def neuron_alpha_h(v: ArrayLike) -> FloatArray:
    """alpha_h = 0.07 exp(-(v+65)/20), 1/ms; v in mV."""
    return 0.07 * _exp(-(np.asarray(v) + 65.0) / 20.0)


def neuron_beta_h(v: ArrayLike) -> FloatArray:
    """beta_h = 1 / (exp(-(v+35)/10) + 1), 1/ms; v in mV."""
    return 1.0 / (_exp(-(np.asarray(v) + 35.0) / 10.0) + 1.0)


def neuron_alpha_n(v: ArrayLike) -> FloatArray:
    """alpha_n = 0.01 vtrap(-(v+55), 10), 1/ms; v in mV."""
    return 0.01 * _vtrap(-(np.asarray(v) + 55.0), 10.0)


def neuron_beta_n(v: ArrayLike) -> FloatArray:
    """beta_n = 0.125 exp(-(v+65)/80), 1/ms; v in mV."""
    return 0.125 * _exp(-(np.asarray(v) + 65.0) / 80.0)


# --- Neuronal Dynamics Table 2.1, cortical pyramidal neurons -----------------------------


def pyr_alpha_n(v: ArrayLike) -> FloatArray:
    """alpha_n = 0.02 (V-25) / (1 - exp(-(V-25)/9)), 1/ms; V in mV."""
    return 0.02 * 9.0 * x_over_expm1(-(np.asarray(v) - 25.0) / 9.0)


def pyr_beta_n(v: ArrayLike) -> FloatArray:
    """beta_n = -0.002 (V-25) / (1 - exp((V-25)/9)), 1/ms; V in mV."""
    return 0.002 * 9.0 * x_over_expm1((np.asarray(v) - 25.0) / 9.0)


def pyr_alpha_m(v: ArrayLike) -> FloatArray:
    """alpha_m = 0.182 (V+35) / (1 - exp(-(V+35)/9)), 1/ms; V in mV."""
    return 0.182 * 9.0 * x_over_expm1(-(np.asarray(v) + 35.0) / 9.0)


def pyr_beta_m(v: ArrayLike) -> FloatArray:
    """beta_m = -0.124 (V+35) / (1 - exp((V+35)/9)), 1/ms; V in mV."""
    return 0.124 * 9.0 * x_over_expm1((np.asarray(v) + 35.0) / 9.0)


def pyr_alpha_h(v: ArrayLike) -> FloatArray:
    """alpha_h = 0.25 exp(-(V+90)/12), 1/ms; V in mV."""
    return 0.25 * _exp(-(np.asarray(v) + 90.0) / 12.0)


def pyr_beta_h(v: ArrayLike) -> FloatArray:
    """beta_h = 0.25 exp((V+62)/6) / exp((V+90)/12), 1/ms; V in mV.

    Evaluated as one exponential, ``0.25 exp((V+62)/6 - (V+90)/12)``, which cannot
    overflow in the numerator.
    """
    v = np.asarray(v)
    return 0.25 * _exp((v + 62.0) / 6.0 - (v + 90.0) / 12.0)


# --- Traub & Miles (COBAHH), rates in V' = V - V_T ---------------------------------------


def traub_alpha_m(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """alpha_m = 0.32 (13-V') / (exp((13-V')/4) - 1), 1/ms; V' = V - V_T in mV."""
    return 0.32 * 4.0 * x_over_expm1((13.0 - (np.asarray(v) - v_t)) / 4.0)


def traub_beta_m(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """beta_m = 0.28 (V'-40) / (exp((V'-40)/5) - 1), 1/ms; V' = V - V_T in mV."""
    return 0.28 * 5.0 * x_over_expm1(((np.asarray(v) - v_t) - 40.0) / 5.0)


def traub_alpha_h(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """alpha_h = 0.128 exp((17-V')/18), 1/ms; V' = V - V_T in mV."""
    return 0.128 * _exp((17.0 - (np.asarray(v) - v_t)) / 18.0)


def traub_beta_h(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """beta_h = 4 / (1 + exp((40-V')/5)), 1/ms; V' = V - V_T in mV."""
    return 4.0 / (1.0 + _exp((40.0 - (np.asarray(v) - v_t)) / 5.0))


def traub_alpha_n(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """alpha_n = 0.032 (15-V') / (exp((15-V')/5) - 1), 1/ms; V' = V - V_T in mV."""
    return 0.032 * 5.0 * x_over_expm1((15.0 - (np.asarray(v) - v_t)) / 5.0)


def traub_beta_n(v: ArrayLike, v_t: float = V_T_DEFAULT) -> FloatArray:
    """beta_n = 0.5 exp((10-V')/40), 1/ms; V' = V - V_T in mV."""
    return 0.5 * _exp((10.0 - (np.asarray(v) - v_t)) / 40.0)


_DAYAN_ABBOTT: dict[str, tuple[RateFunction, RateFunction]] = {
    "n": (da_alpha_n, da_beta_n),
    "m": (da_alpha_m, da_beta_m),
    "h": (da_alpha_h, da_beta_h),
}

#: Registry: kinetics name -> {gate: (alpha(v), beta(v))}, rates in 1/ms, v in mV.
KINETICS: dict[str, GateRates] = {
    "hh1952": {
        "n": (hh1952_alpha_n, hh1952_beta_n),
        "m": (hh1952_alpha_m, hh1952_beta_m),
        "h": (hh1952_alpha_h, hh1952_beta_h),
    },
    "dayan_abbott": _DAYAN_ABBOTT,
    "dayan_abbott_thermodynamic_n": {**_DAYAN_ABBOTT, "n": (thermo_alpha_n, thermo_beta_n)},
    "neuron_hh": {
        "n": (neuron_alpha_n, neuron_beta_n),
        "m": (neuron_alpha_m, neuron_beta_m),
        "h": (neuron_alpha_h, neuron_beta_h),
    },
    "pyramidal": {
        "n": (pyr_alpha_n, pyr_beta_n),
        "m": (pyr_alpha_m, pyr_beta_m),
        "h": (pyr_alpha_h, pyr_beta_h),
    },
    "traub_miles": {
        "n": (traub_alpha_n, traub_beta_n),
        "m": (traub_alpha_m, traub_beta_m),
        "h": (traub_alpha_h, traub_beta_h),
    },
}

#: Kinetics whose rate functions take the threshold-adjusting voltage ``v_t`` (mV).
NEEDS_V_T: frozenset[str] = frozenset({"traub_miles"})


def gate_rates(kinetics: str | GateRates, v_t: float = V_T_DEFAULT) -> GateRates:
    """Return ``{gate: (alpha, beta)}`` with one-argument rate functions ``f(v)``.

    Parameters
    ----------
    kinetics : str or mapping
        A key of :data:`KINETICS`, or a user mapping gate -> ``(alpha, beta)`` of
        callables ``f(v)`` (v in mV, result in 1/ms) for the gates ``'n', 'm', 'h'``.
    v_t : float
        Threshold-adjusting voltage, mV; bound into the kinetics in :data:`NEEDS_V_T`.

    Returns
    -------
    dict
        gate -> ``(alpha, beta)``.
    """
    if isinstance(kinetics, str):
        if kinetics not in KINETICS:
            raise KeyError(f"unknown kinetics {kinetics!r}; known: {sorted(KINETICS)}")
        table = KINETICS[kinetics]
        if kinetics in NEEDS_V_T:
            return {g: (partial(a, v_t=v_t), partial(b, v_t=v_t)) for g, (a, b) in table.items()}
        return dict(table)
    missing = set(GATES) - set(kinetics)
    if missing:
        raise ValueError(f"kinetics mapping lacks gates {sorted(missing)}")
    return {g: tuple(kinetics[g]) for g in GATES}  # type: ignore[misc]
