"""Hodgkin-Huxley membrane model for the reference engine (one compartment, N neurons).

Units (fixed, see the package docstring): V mV, t ms, conductance densities mS/cm^2,
capacitance density uF/cm^2, current densities uA/cm^2, rates 1/ms, temperature degC.
With these units ``dV/dt`` comes out in mV/ms without conversion factors.

The state of N neurons is an array ``y`` of shape ``(4, N)`` ordered ``(V, n, m, h)``.
Equations (Hodgkin & Huxley 1952; Dayan & Abbott 2001, eqs. 5.6 and 5.25):

``C_m dV/dt = g_L (E_L - V) + g_K n^4 (E_K - V) + g_Na m^3 h (E_Na - V) + s I``

``dx/dt = phi (alpha_x(V) (1 - x) - beta_x(V) x)`` for ``x`` in ``n, m, h``,

where ``I`` is the physical injected current (positive depolarises), ``s = +1`` in the
modern convention and ``s = -1`` in the 1952 convention (there V is the displacement
from rest and depolarisation is negative), and ``phi = q10 ** ((celsius - celsius_ref)
/ 10)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from .rates import GATES, V_T_DEFAULT, GateRates, RateFunction, gate_rates

__all__ = ["ReferenceModel"]

FloatArray = NDArray[np.float64]

#: Half width (mV) of the grid searched around the guess in ``resting_state``.
REST_SEARCH_HALF_WIDTH = 60.0
#: Grid spacing (mV) of that search.
REST_SEARCH_STEP = 0.25


@dataclass(frozen=True)
class ReferenceModel:
    """Single-compartment Hodgkin-Huxley model, vectorised over neurons.

    Parameters
    ----------
    g_Na, g_K, g_L : float
        Maximal conductance densities, mS/cm^2.
    E_Na, E_K, E_L : float
        Reversal potentials, mV (in the model's convention).
    C_m : float
        Membrane capacitance density, uF/cm^2.
    convention : {'modern', 'hh1952'}
        Voltage convention. In ``'hh1952'`` V is the displacement from rest with
        depolarisation negative, and the injected current enters with a minus sign.
    kinetics : str or mapping
        A name from :data:`hh_brian.engines.reference.rates.KINETICS`, or a mapping
        gate -> ``(alpha(v), beta(v))`` of vectorised callables in 1/ms.
    V_T : float
        Threshold-adjusting voltage of ``'traub_miles'`` kinetics, mV.
    celsius, celsius_ref : float
        Temperature of the simulation and of the rate formulas, degC.
    q10 : float
        Temperature coefficient; both alpha and beta are multiplied by
        ``q10 ** ((celsius - celsius_ref) / 10)``.

    Examples
    --------
    >>> model = ReferenceModel(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0,
    ...                        E_L=-54.387, C_m=1.0, kinetics="dayan_abbott")
    >>> y = model.resting_state()
    >>> bool(abs(y[0] + 65.0) < 0.1)
    True
    """

    g_Na: float
    g_K: float
    g_L: float
    E_Na: float
    E_K: float
    E_L: float
    C_m: float
    convention: Literal["modern", "hh1952"] = "modern"
    kinetics: str | GateRates = "dayan_abbott"
    V_T: float = V_T_DEFAULT
    celsius: float = 6.3
    celsius_ref: float = 6.3
    q10: float = 3.0
    _rates: dict[str, tuple[RateFunction, RateFunction]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.convention not in ("modern", "hh1952"):
            raise ValueError(f"convention must be 'modern' or 'hh1952', not {self.convention!r}")
        if not self.C_m > 0:
            raise ValueError(f"C_m must be positive (uF/cm^2), got {self.C_m}")
        table = gate_rates(self.kinetics, self.V_T)
        object.__setattr__(self, "_rates", {g: table[g] for g in GATES})

    # --- conventions -------------------------------------------------------------------

    @property
    def spike_direction(self) -> int:
        """+1 if V rises during a spike (modern), -1 if it falls (1952 convention)."""
        return 1 if self.convention == "modern" else -1

    @property
    def current_sign(self) -> float:
        """Sign with which the physical injected current enters C_m dV/dt."""
        return 1.0 if self.convention == "modern" else -1.0

    @property
    def default_threshold(self) -> float:
        """Spike-detection threshold, mV: -20 mV modern, i.e. V_HH = -45 mV in 1952 terms."""
        return -20.0 if self.convention == "modern" else -45.0

    @property
    def phi(self) -> float:
        """Temperature factor ``q10 ** ((celsius - celsius_ref) / 10)`` (dimensionless)."""
        return float(self.q10 ** ((self.celsius - self.celsius_ref) / 10.0))

    # --- rates -------------------------------------------------------------------------

    def rates(self, v: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Temperature-scaled rates.

        Parameters
        ----------
        v : array_like
            Membrane potential, mV, any shape ``S``.

        Returns
        -------
        alpha, beta : ndarray
            Shape ``(3, *S)``, gates ordered ``(n, m, h)``, 1/ms.
        """
        v = np.asarray(v, dtype=np.float64)
        phi = self.phi
        alpha = np.empty((3, *v.shape))
        beta = np.empty((3, *v.shape))
        for k, g in enumerate(GATES):
            a, b = self._rates[g]
            alpha[k] = a(v)
            beta[k] = b(v)
        if phi != 1.0:
            alpha *= phi
            beta *= phi
        return alpha, beta

    def gate_steady_state(self, v: ArrayLike) -> FloatArray:
        """Steady-state gate values ``x_inf = alpha / (alpha + beta)``, shape ``(3, *v.shape)``.

        ``phi`` cancels, so the result does not depend on temperature.
        """
        alpha, beta = self.rates(v)
        return alpha / (alpha + beta)

    def steady_state_current(self, v: ArrayLike) -> FloatArray:
        """Outward ionic current density with all gates at steady state, uA/cm^2.

        In the 1952 convention the sign is that of ``-(C_m dV/dt)`` of the modern one;
        its zeros (the resting potentials) are what matters.
        """
        v = np.asarray(v, dtype=np.float64)
        n, m, h = self.gate_steady_state(v)
        return (
            self.g_L * (v - self.E_L)
            + self.g_K * n**4 * (v - self.E_K)
            + self.g_Na * m**3 * h * (v - self.E_Na)
        )

    def resting_state(self, v_guess: float | None = None) -> FloatArray:
        """Resting state ``(V, n, m, h)`` of shape ``(4,)`` with zero injected current.

        Finds the zero of :meth:`steady_state_current` nearest to ``v_guess`` (mV;
        default -65 modern, 0 in the 1952 convention) on a 0.25 mV grid within
        +-60 mV, then refines it with :func:`scipy.optimize.brentq` (xtol 1e-13 mV).
        """
        if v_guess is None:
            v_guess = -65.0 if self.convention == "modern" else 0.0
        grid = v_guess + np.arange(
            -REST_SEARCH_HALF_WIDTH, REST_SEARCH_HALF_WIDTH + REST_SEARCH_STEP, REST_SEARCH_STEP
        )
        current = self.steady_state_current(grid)
        change = np.flatnonzero(np.signbit(current[:-1]) != np.signbit(current[1:]))
        if change.size == 0:
            raise ValueError(
                f"no resting potential within {REST_SEARCH_HALF_WIDTH} mV of {v_guess} mV"
            )
        k = change[np.argmin(np.abs(grid[change] - v_guess))]

        def scalar_current(v: float) -> float:
            return float(self.steady_state_current(v))

        v_rest = brentq(scalar_current, grid[k], grid[k + 1], xtol=1e-13)
        return np.concatenate(([v_rest], self.gate_steady_state(v_rest)))

    # --- right-hand side ---------------------------------------------------------------

    def _conductances(self, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``(g_K n^4, g_Na m^3 h)``, mS/cm^2."""
        _, n, m, h = y
        n2 = n * n
        return self.g_K * (n2 * n2), self.g_Na * (m * m * m) * h

    def A(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:  # noqa: N802
        """Source term of ``dy/dt = A - B y``: mV/ms for V, 1/ms for the gates; shape of y."""
        del t
        y = np.asarray(y, dtype=np.float64)
        gk, gna = self._conductances(y)
        alpha, _ = self.rates(y[0])
        out = np.empty_like(y)
        out[0] = (
            self.g_L * self.E_L
            + gk * self.E_K
            + gna * self.E_Na
            + self.current_sign * np.asarray(i_inj, dtype=np.float64)
        ) / self.C_m
        out[1:] = alpha
        return out

    def B(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:  # noqa: N802
        """Decay rate of ``dy/dt = A - B y``, 1/ms; shape of y (``i_inj`` is unused)."""
        del t, i_inj
        y = np.asarray(y, dtype=np.float64)
        gk, gna = self._conductances(y)
        alpha, beta = self.rates(y[0])
        out = np.empty_like(y)
        out[0] = (self.g_L + gk + gna) / self.C_m
        out[1:] = alpha + beta
        return out

    def AB(self, t: float, y: FloatArray, i_inj: ArrayLike) -> tuple[FloatArray, FloatArray]:  # noqa: N802
        """``(A, B)`` together, evaluating the rates once."""
        del t
        y = np.asarray(y, dtype=np.float64)
        gk, gna = self._conductances(y)
        alpha, beta = self.rates(y[0])
        a = np.empty_like(y)
        b = np.empty_like(y)
        a[0] = (
            self.g_L * self.E_L
            + gk * self.E_K
            + gna * self.E_Na
            + self.current_sign * np.asarray(i_inj, dtype=np.float64)
        ) / self.C_m
        b[0] = (self.g_L + gk + gna) / self.C_m
        a[1:] = alpha
        b[1:] = alpha + beta
        return a, b

    def y_inf(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:
        """Instantaneous fixed point ``A / B`` (mV for V, dimensionless for gates)."""
        a, b = self.AB(t, y, i_inj)
        return a / b

    def tau(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:
        """Instantaneous time constants ``1 / B``, ms."""
        return 1.0 / self.B(t, y, i_inj)

    def f(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:
        """Right-hand side ``dy/dt``: mV/ms for V, 1/ms for the gates; shape of ``y``.

        Parameters
        ----------
        t : float
            Time, ms (unused: the model is autonomous apart from ``i_inj``).
        y : ndarray
            State ``(V, n, m, h)``, shape ``(4,)`` or ``(4, N)``.
        i_inj : array_like
            Physical injected current density, uA/cm^2, scalar or shape ``(N,)``;
            positive depolarises in both conventions.
        """
        del t
        y = np.asarray(y, dtype=np.float64)
        v = y[0]
        gk, gna = self._conductances(y)
        alpha, beta = self.rates(v)
        out = np.empty_like(y)
        out[0] = (
            self.g_L * (self.E_L - v)
            + gk * (self.E_K - v)
            + gna * (self.E_Na - v)
            + self.current_sign * np.asarray(i_inj, dtype=np.float64)
        ) / self.C_m
        out[1:] = alpha * (1.0 - y[1:]) - beta * y[1:]
        return out
