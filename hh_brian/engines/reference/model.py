"""Conductance-based membrane model for the reference engine (one compartment, N neurons).

Units (fixed, see the package docstring): V mV, t ms, conductance densities mS/cm^2,
capacitance density uF/cm^2, current densities uA/cm^2, rates 1/ms, temperature degC.
With these units ``dV/dt`` comes out in mV/ms without conversion factors.

A model is a list of channels, each ``I_c = g_c * prod(x**p) * (V - E_c)``.  The state
of N neurons is an array ``y`` of shape ``(1 + G, N)``: V, then every *state* gate in
channel order (instantaneous gates are not state: ``x = x_inf(V)``).  Written as
``dy/dt = A - B y``:

``C_m dV/dt = sum_c g_c(x) (E_c - V) + s I``  (``A_V = (sum g_c E_c + s I)/C_m``,
``B_V = sum g_c / C_m``)

``dx/dt = phi (alpha (1 - x) - beta x)`` (``A = phi alpha``, ``B = phi (alpha + beta)``) or
``dx/dt = phi (x_inf - x) / tau`` (``A = phi x_inf / tau``, ``B = phi / tau``),

with ``s = +1`` in the modern convention and ``-1`` in the 1952 one (Hodgkin & Huxley
1952, doi:10.1113/jphysiol.1952.sp004764; Dayan & Abbott 2001, eqs. 5.6 and 5.25).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from .rates import GATES, V_T_DEFAULT, gate_rates

__all__ = ["RefChannel", "RefGate", "ReferenceModel", "squid_model"]

FloatArray = NDArray[np.float64]
RateFunction = Callable[[FloatArray], FloatArray]

#: Kinetic forms (as in :mod:`hh_brian.models.channels`).
RATES, INF_TAU, INSTANTANEOUS = "rates", "inf_tau", "instantaneous"

#: Modern potentials (mV) searched for the resting state, and the grid step.
REST_SEARCH_RANGE = (-120.0, 60.0)
REST_SEARCH_STEP = 0.05


@dataclass(frozen=True)
class RefGate:
    """A gate: name, exponent, form and its two (or one) vectorised functions of V (mV).

    ``rates``: ``f1 = alpha``, ``f2 = beta`` (1/ms); ``inf_tau``: ``f1 = x_inf``,
    ``f2 = tau`` (ms); ``instantaneous``: ``f1 = x_inf``, ``f2 = None``.
    """

    name: str
    exponent: int
    form: str
    f1: RateFunction
    f2: RateFunction | None = None

    @property
    def is_state(self) -> bool:
        return self.form != INSTANTANEOUS


@dataclass(frozen=True)
class RefChannel:
    """A channel: conductance density (mS/cm^2), reversal (mV), gates, temperature factor."""

    name: str
    g: float
    E: float
    gates: tuple[RefGate, ...] = ()
    phi: float = 1.0


@dataclass(frozen=True)
class ReferenceModel:
    """Single-compartment conductance-based model, vectorised over neurons.

    Parameters
    ----------
    channels : sequence of RefChannel
        In the order their currents are summed.
    C_m : float
        Membrane capacitance density, uF/cm^2.
    convention : {'modern', 'hh1952'}
        In ``'hh1952'`` V is the displacement from rest with depolarisation negative,
        and the injected current enters with a minus sign.
    v_rest_guess : float, optional
        Nominal resting potential, mV (default -65 modern, 0 in the 1952 convention).

    Examples
    --------
    >>> model = squid_model(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0,
    ...                     E_L=-54.387, C_m=1.0, kinetics="dayan_abbott")
    >>> y = model.resting_state()
    >>> bool(abs(y[0] + 65.0) < 0.1)
    True
    """

    channels: tuple[RefChannel, ...]
    C_m: float
    convention: Literal["modern", "hh1952"] = "modern"
    v_rest_guess: float | None = None
    _state_gates: tuple[tuple[RefChannel, RefGate], ...] = field(
        init=False, repr=False, compare=False
    )
    _row: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.convention not in ("modern", "hh1952"):
            raise ValueError(f"convention must be 'modern' or 'hh1952', not {self.convention!r}")
        if not self.C_m > 0:
            raise ValueError(f"C_m must be positive (uF/cm^2), got {self.C_m}")
        object.__setattr__(self, "channels", tuple(self.channels))
        pairs = tuple((ch, g) for ch in self.channels for g in ch.gates if g.is_state)
        object.__setattr__(self, "_state_gates", pairs)
        index = {g.name: 1 + k for k, (_, g) in enumerate(pairs)}
        object.__setattr__(self, "_row", index)

    # --- structure -----------------------------------------------------------------------

    @property
    def gate_names(self) -> tuple[str, ...]:
        """State gates in state-vector order (after V)."""
        return tuple(g.name for _, g in self._state_gates)

    @property
    def n_state(self) -> int:
        """Length of the state vector: 1 + number of state gates."""
        return 1 + len(self._state_gates)

    def channel(self, name: str) -> RefChannel:
        for ch in self.channels:
            if ch.name == name:
                return ch
        raise KeyError(name)

    # --- conventions ---------------------------------------------------------------------

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

    def to_modern(self, v: ArrayLike) -> FloatArray:
        v = np.asarray(v, dtype=np.float64)
        return v if self.convention == "modern" else -65.0 - v

    # --- gates ---------------------------------------------------------------------------

    def gate_ab(self, v: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``(a, b)`` of every state gate, ``dx/dt = a - b x``; shape ``(G, *v.shape)``, 1/ms."""
        v = np.asarray(v, dtype=np.float64)
        a = np.empty((len(self._state_gates), *v.shape))
        b = np.empty_like(a)
        for k, (ch, gate) in enumerate(self._state_gates):
            if gate.form == RATES:
                alpha, beta = gate.f1(v), gate.f2(v)
                a[k] = alpha
                b[k] = alpha + beta
            else:
                inf, tau = gate.f1(v), gate.f2(v)
                a[k] = inf / tau
                b[k] = 1.0 / tau
            if ch.phi != 1.0:
                a[k] *= ch.phi
                b[k] *= ch.phi
        return a, b

    def rates(self, v: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Temperature-scaled ``alpha``, ``beta`` of every state gate, shape ``(G, *v.shape)``.

        For an ``inf_tau`` gate these are the equivalent ``alpha = x_inf/tau`` and
        ``beta = (1 - x_inf)/tau``.
        """
        v = np.asarray(v, dtype=np.float64)
        alpha = np.empty((len(self._state_gates), *v.shape))
        beta = np.empty_like(alpha)
        for k, (ch, gate) in enumerate(self._state_gates):
            if gate.form == RATES:
                alpha[k], beta[k] = gate.f1(v), gate.f2(v)
            else:
                inf, tau = gate.f1(v), gate.f2(v)
                alpha[k], beta[k] = inf / tau, (1.0 - inf) / tau
            if ch.phi != 1.0:
                alpha[k] *= ch.phi
                beta[k] *= ch.phi
        return alpha, beta

    def gate_steady_state(self, v: ArrayLike) -> FloatArray:
        """Steady state of every state gate, shape ``(G, *v.shape)`` (phi cancels)."""
        v = np.asarray(v, dtype=np.float64)
        out = np.empty((len(self._state_gates), *v.shape))
        for k, (_, gate) in enumerate(self._state_gates):
            if gate.form == RATES:
                alpha = gate.f1(v)
                out[k] = alpha / (alpha + gate.f2(v))
            else:
                out[k] = gate.f1(v)
        return out

    def _conductances(self, y: FloatArray) -> list[FloatArray | float]:
        """Each channel's conductance density ``g prod(x^p)`` at state ``y``, mS/cm^2."""
        v = y[0]
        out: list[FloatArray | float] = []
        for ch in self.channels:
            if not ch.gates:
                out.append(ch.g)
                continue
            g: FloatArray | None = None
            for gate in ch.gates:
                x = y[self._row[gate.name]] if gate.is_state else gate.f1(v)
                factor = _power(x, gate.exponent)
                if g is None:
                    g = factor * ch.g  # a new array: the state rows are never modified
                else:
                    g *= factor
            out.append(g)
        return out

    def steady_state_current(self, v: ArrayLike) -> FloatArray:
        """Outward ionic current density with all gates at steady state, uA/cm^2."""
        v = np.asarray(v, dtype=np.float64)
        y = (
            np.concatenate([v[None], self.gate_steady_state(v)])
            if v.ndim
            else np.concatenate([[v], self.gate_steady_state(v)])
        )
        total = np.zeros(v.shape)
        for ch, g in zip(self.channels, self._conductances(y), strict=True):
            total = total + g * (v - ch.E)
        return total

    def resting_state(self, v_guess: float | None = None) -> FloatArray:
        """Resting state ``(V, gates...)`` with zero injected current.

        Every zero of :meth:`steady_state_current` over modern potentials from -120 to
        +60 mV is found (0.05 mV grid, then :func:`scipy.optimize.brentq`); the one
        nearest ``v_guess`` (mV, model's convention) is returned.
        """
        if v_guess is None:
            v_guess = self.v_rest_guess
        if v_guess is None:
            v_guess = -65.0 if self.convention == "modern" else 0.0
        modern = np.arange(REST_SEARCH_RANGE[0], REST_SEARCH_RANGE[1], REST_SEARCH_STEP)
        grid = modern if self.convention == "modern" else -65.0 - modern
        current = self.steady_state_current(grid)
        change = np.flatnonzero(np.signbit(current[:-1]) != np.signbit(current[1:]))
        if change.size == 0:
            raise ValueError("no equilibrium from -120 to +60 mV (modern)")
        k = change[np.argmin(np.abs(grid[change] - v_guess))]
        lo, hi = sorted((grid[k], grid[k + 1]))
        v_rest = brentq(lambda v: float(self.steady_state_current(v)), lo, hi, xtol=1e-13)
        return np.concatenate(([v_rest], self.gate_steady_state(v_rest)))

    # --- right-hand side -----------------------------------------------------------------

    def AB(self, t: float, y: FloatArray, i_inj: ArrayLike) -> tuple[FloatArray, FloatArray]:  # noqa: N802
        """``(A, B)`` of ``dy/dt = A - B y`` from the state ``y`` (rates evaluated once)."""
        del t
        y = np.asarray(y, dtype=np.float64)
        a = np.empty_like(y)
        b = np.empty_like(y)
        g_sum: FloatArray | float = 0.0
        ge_sum: FloatArray | float = 0.0
        for ch, g in zip(self.channels, self._conductances(y), strict=True):
            g_sum = g_sum + g
            ge_sum = ge_sum + g * ch.E
        i_inj, g_in, ge_in = _split_input(i_inj)
        a[0] = (ge_sum + ge_in + self.current_sign * np.asarray(i_inj, dtype=np.float64)) / self.C_m
        b[0] = (g_sum + g_in) / self.C_m
        a[1:], b[1:] = self.gate_ab(y[0])
        return a, b

    def A(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:  # noqa: N802
        """Source term of ``dy/dt = A - B y``: mV/ms for V, 1/ms for the gates."""
        return self.AB(t, y, i_inj)[0]

    def B(self, t: float, y: FloatArray, i_inj: ArrayLike) -> FloatArray:  # noqa: N802
        """Decay rate of ``dy/dt = A - B y``, 1/ms."""
        return self.AB(t, y, i_inj)[1]

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
            State ``(V, gates...)``, shape ``(1 + G,)`` or ``(1 + G, N)``.
        i_inj : array_like or SynapticInput
            Physical injected current density, uA/cm^2, scalar or shape ``(N,)``;
            positive depolarises in both conventions.  A ``(current, g, g_e)``
            triple adds input conductances ``g (E - V)`` (see ``_split_input``).
        """
        del t
        y = np.asarray(y, dtype=np.float64)
        v = y[0]
        out = np.empty_like(y)
        i_inj, g_in, ge_in = _split_input(i_inj)
        total: FloatArray | float = self.current_sign * np.asarray(i_inj, dtype=np.float64)
        for ch, g in zip(self.channels, self._conductances(y), strict=True):
            total = total + g * (ch.E - v)
        total = total + (ge_in - g_in * v)
        out[0] = total / self.C_m
        a, b = self.gate_ab(v)
        out[1:] = a - b * y[1:]
        return out


def _split_input(i_inj: ArrayLike) -> tuple[ArrayLike, ArrayLike | float, ArrayLike | float]:
    """``(current, g, g_e)`` of an input: a plain current has no input conductance.

    An input conductance ``g`` with reversal ``E`` (``g_e = g E``, both in the
    model's convention) enters like a channel: ``g (E - V)``.
    """
    if isinstance(i_inj, tuple) and len(i_inj) == 3:
        return i_inj[0], i_inj[1], i_inj[2]
    return i_inj, 0.0, 0.0


def _power(x: FloatArray | float, p: int) -> FloatArray | float:
    """``x**p`` for small integer p by multiplication (as the compiled code does)."""
    if p == 1:
        return x
    if p == 2:
        return x * x
    if p == 3:
        return x * x * x
    if p == 4:
        x2 = x * x
        return x2 * x2
    return x**p


def squid_model(
    *,
    g_Na: float,
    g_K: float,
    g_L: float,
    E_Na: float,
    E_K: float,
    E_L: float,
    C_m: float,
    convention: Literal["modern", "hh1952"] = "modern",
    kinetics: str | dict[str, tuple[RateFunction, RateFunction]] = "dayan_abbott",
    V_T: float = V_T_DEFAULT,
    celsius: float = 6.3,
    celsius_ref: float = 6.3,
    q10: float = 3.0,
) -> ReferenceModel:
    """The Hodgkin-Huxley structure (Na m^3 h, K n^4, leak) with built-in or given rates.

    ``kinetics`` names a rate set of :data:`hh_brian.engines.reference.rates.KINETICS` or
    maps gate -> ``(alpha(v), beta(v))``.  State order: ``(V, m, h, n)``.
    """
    table = gate_rates(kinetics, V_T)
    missing = set(GATES) - set(table)
    if missing:
        raise ValueError(f"kinetics lacks gates {sorted(missing)}")
    phi = float(q10 ** ((celsius - celsius_ref) / 10.0))

    def gate(name: str, p: int) -> RefGate:
        alpha, beta = table[name]
        return RefGate(name, p, RATES, alpha, beta)

    channels = (
        RefChannel("Na", g_Na, E_Na, (gate("m", 3), gate("h", 1)), phi),
        RefChannel("K", g_K, E_K, (gate("n", 4),), phi),
        RefChannel("L", g_L, E_L),
    )
    return ReferenceModel(channels=channels, C_m=C_m, convention=convention)


def state_index(model: ReferenceModel, names: Sequence[str]) -> list[int]:
    """Rows of the state vector holding *names* (``'V'`` or gate names)."""
    order = ("V", *model.gate_names)
    return [order.index(n) for n in names]
