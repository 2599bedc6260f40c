"""Branches of equilibria, their stability, saddle-node and Hopf points.

Every gate relaxes linearly to ``x_inf(v)``, so the equilibria of the full system
are the zeros of the scalar current balance ``G(v, p)``
(:meth:`~hh_brian.bifurcation.field.VectorField.balance`): a curve in the
``(v, p)`` plane.  It is followed by pseudo-arclength continuation (Keller 1977,
"Numerical solution of bifurcation and nonlinear eigenvalue problems", in
Applications of Bifurcation Theory, Academic Press, pp. 359-384; Kuznetsov 2004,
doi:10.1007/978-1-4757-3978-7, section 10.2), which passes folds.  Branches
start at every zero of ``G`` on a 0.05 mV grid at both ends of the parameter
range, so every branch crossing the range is followed.

Stability is read from the eigenvalues of the full system's Jacobian.  A
saddle-node is where ``dG/dv = 0`` on the curve (a real eigenvalue crosses zero);
a Hopf point is where the real part of the rightmost complex pair changes sign.
Both are refined with Brent's method along the branch.  Each Hopf point gets its
first Lyapunov coefficient (:mod:`hh_brian.bifurcation.lyapunov`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from hh_brian.bifurcation.field import VectorField
from hh_brian.bifurcation.lyapunov import first_lyapunov_coefficient, hopf_vectors

#: Continuation scales: a step of 1 in the scaled plane is 10 mV, or a tenth of the range.
V_SCALE_MV = 10.0
P_SCALE_FRACTION = 0.1
#: Largest and smallest arclength steps in the scaled plane, and the first one.
STEP_MAX = 0.05
STEP_MIN = 1e-7
#: Newton corrector: tolerance on |G| (uA/cm^2) and iterations.
BALANCE_TOLERANCE = 1e-10
NEWTON_ITERATIONS = 12
#: Points per branch, at most.
MAX_POINTS = 20000
#: Imaginary parts below this (1/ms) count as real eigenvalues.
IMAG_TOLERANCE = 1e-7


@dataclass(frozen=True)
class EquilibriumBranch:
    """One branch of equilibria, ordered along the curve.

    Attributes
    ----------
    p : ndarray
        Parameter values, shape ``(K,)`` (the parameter's display unit).
    v : ndarray
        Potentials, mV, model's convention, shape ``(K,)``.
    states : ndarray
        Full states ``(v, gates...)``, shape ``(n, K)``.
    eigenvalues : ndarray
        Of the Jacobian, 1/ms, complex, shape ``(K, n)``.
    stable : ndarray of bool
        All eigenvalues have negative real parts, shape ``(K,)``.
    """

    p: np.ndarray
    v: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray


@dataclass(frozen=True)
class EquilibriumPoint:
    """A saddle-node or Hopf point on an equilibrium branch.

    Attributes
    ----------
    kind : str
        ``saddle_node``, ``hopf_subcritical``, ``hopf_supercritical`` or ``hopf``
        (criticality undecided: ``l1`` zero to within its error).
    p : float
    v : float
        mV, model's convention.
    state : ndarray
        Shape ``(n,)``.
    omega : float
        Angular frequency of the critical pair, rad/ms (0 for a saddle-node).
    l1 : float
        First Lyapunov coefficient (NaN for a saddle-node).
    branch : int
        Index of the equilibrium branch.
    """

    kind: str
    p: float
    v: float
    state: np.ndarray
    omega: float
    l1: float
    branch: int

    @property
    def frequency_hz(self) -> float:
        """``omega / 2 pi`` in Hz (NaN for a saddle-node)."""
        return self.omega / (2 * np.pi) * 1e3 if self.omega > 0 else float("nan")


class _Plane:
    """The curve ``G(v, p) = 0`` in scaled coordinates ``w = (v / 10 mV, p / (range/10))``."""

    def __init__(self, field: VectorField, start: float, stop: float) -> None:
        self.field = field
        self.start, self.stop = start, stop
        self.p_scale = P_SCALE_FRACTION * (stop - start)

    def point(self, w: np.ndarray) -> tuple[float, float]:
        return float(w[0] * V_SCALE_MV), float(w[1] * self.p_scale)

    def scaled(self, v: float, p: float) -> np.ndarray:
        return np.array([v / V_SCALE_MV, p / self.p_scale])

    def g(self, w: np.ndarray) -> float:
        v, p = self.point(w)
        return float(self.field.balance(v, p))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        v, p = self.point(w)
        hv, hp = 1e-6, self.field.parameter_step(p)
        dv = (self.field.balance(v + hv, p) - self.field.balance(v - hv, p)) / (2 * hv)
        dp = (self.field.balance(v, p + hp) - self.field.balance(v, p - hp)) / (2 * hp)
        return np.array([float(dv) * V_SCALE_MV, float(dp) * self.p_scale])

    def tangent(self, w: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        g = self.gradient(w)
        t = np.array([-g[1], g[0]]) / np.hypot(*g)
        if previous is not None and np.dot(t, previous) < 0:
            t = -t
        return t

    def correct(self, guess: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, int] | None:
        """Newton on ``G = 0`` and ``direction . (w - guess) = 0``; None if it fails."""
        w = guess.copy()
        for iteration in range(1, NEWTON_ITERATIONS + 1):
            residual = self.g(w)
            if abs(residual) < BALANCE_TOLERANCE and iteration > 1:
                return w, iteration
            matrix = np.array([self.gradient(w), direction])
            rhs = -np.array([residual, np.dot(direction, w - guess)])
            try:
                w = w + np.linalg.solve(matrix, rhs)
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(w)):
                return None
        return (w, NEWTON_ITERATIONS) if abs(self.g(w)) < BALANCE_TOLERANCE * 1e3 else None


def _seeds(field: VectorField, p: float) -> list[float]:
    """Every equilibrium potential at parameter *p* (grid scan, then Brent)."""
    grid = field.v_search_grid()
    values = field.balance(grid, p)
    found = [float(grid[k]) for k in np.flatnonzero(values == 0)]
    for k in np.flatnonzero(np.signbit(values[:-1]) != np.signbit(values[1:])):
        if values[k] == 0 or values[k + 1] == 0:
            continue
        found.append(brentq(lambda v: float(field.balance(v, p)), grid[k], grid[k + 1], xtol=1e-13))
    return sorted(found)


def equilibrium_potentials(field: VectorField, p: float) -> list[float]:
    """Every equilibrium potential (mV, model's convention) at parameter value *p*."""
    return _seeds(field, p)


def _trace(plane: _Plane, v0: float, p0: float, direction: float) -> np.ndarray:
    """Points ``(v, p)`` of one branch from a seed, until it leaves the range."""
    v_lo, v_hi = plane.field.v_search_grid()[[0, -1]]
    w = plane.scaled(v0, p0)
    t = plane.tangent(w, None)
    if t[1] * direction < 0 or (t[1] == 0 and direction < 0):
        t = -t
    points = [plane.point(w)]
    step = STEP_MAX / 4
    while len(points) < MAX_POINTS:
        result = plane.correct(w + step * t, t)
        if result is None:
            step /= 2
            if step < STEP_MIN:
                break  # the caller reports a branch that stopped inside the range
            continue
        w_new, iterations = result
        v, p = plane.point(w_new)
        points.append((v, p))
        if not (plane.start <= p <= plane.stop) or not (v_lo <= v <= v_hi):
            break
        t = plane.tangent(w_new, t)
        w = w_new
        step = min(STEP_MAX, step * (1.5 if iterations <= 3 else 0.7))
    return _clip(plane, np.array(points))


def _clip(plane: _Plane, points: np.ndarray) -> np.ndarray:
    """Replace a last point beyond the range by the branch's point at the range's end."""
    if len(points) < 2:
        return points
    v, p = points[-1]
    end = plane.stop if p > plane.stop else plane.start if p < plane.start else None
    if end is None:
        return points
    (v_prev, p_prev) = points[-2]
    guess = v_prev + (v - v_prev) * (end - p_prev) / (p - p_prev)
    lo, hi = sorted((v_prev, v))
    try:
        v_end = brentq(lambda x: float(plane.field.balance(x, end)), lo, hi, xtol=1e-13)
    except ValueError:
        v_end = guess
    points[-1] = (v_end, end)
    return points


def _branch(field: VectorField, points: np.ndarray) -> EquilibriumBranch:
    v, p = points[:, 0], points[:, 1]
    states = np.stack([field.equilibrium_state(v[k], p[k]) for k in range(len(v))], axis=1)
    jac = field.jacobians(states, p)
    eig = np.linalg.eigvals(jac)
    scale = np.maximum(1.0, np.max(np.abs(eig), axis=1))
    stable = np.all(eig.real < -1e-9 * scale[:, None], axis=1)
    return EquilibriumBranch(p=p, v=v, states=states, eigenvalues=eig, stable=stable)


def equilibrium_branches(field: VectorField, start: float, stop: float) -> list[EquilibriumBranch]:
    """Every branch of equilibria crossing ``start <= p <= stop``, with stability.

    Parameters
    ----------
    field : VectorField
    start, stop : float
        The parameter range (display unit), ``start < stop``.

    Returns
    -------
    list of EquilibriumBranch
        Each traced from a seed at ``start`` towards larger ``p`` (or from a seed at
        ``stop`` not on any of those, towards smaller ``p``).
    """
    plane = _Plane(field, start, stop)
    traced: list[np.ndarray] = []
    for p0, direction in ((start, 1.0), (stop, -1.0)):
        for v0 in _seeds(field, p0):
            if any(_on(points, v0, p0) for points in traced):
                continue
            points = _trace(plane, v0, p0, direction)
            traced.append(points if direction > 0 else points[::-1])
    return [_branch(field, points) for points in traced]


def _on(points: np.ndarray, v: float, p: float) -> bool:
    ends = points[[0, -1]]
    return bool(np.any((np.abs(ends[:, 0] - v) < 1e-6) & (np.abs(ends[:, 1] - p) < 1e-9)))


def _rightmost_complex(eigenvalues: np.ndarray) -> float:
    complex_ = eigenvalues[np.abs(eigenvalues.imag) > IMAG_TOLERANCE]
    return float(np.max(complex_.real)) if complex_.size else float("nan")


def special_points(
    field: VectorField, branches: list[EquilibriumBranch], start: float, stop: float
) -> list[EquilibriumPoint]:
    """Saddle-node and Hopf points on every branch, refined, sorted by ``p``."""
    plane = _Plane(field, start, stop)
    found: list[EquilibriumPoint] = []
    for index, branch in enumerate(branches):
        ws = [plane.scaled(v, p) for v, p in zip(branch.v, branch.p, strict=True)]

        def between(k: int, theta: float, ws=ws) -> np.ndarray:
            chord = ws[k + 1] - ws[k]
            guess = ws[k] + theta * chord
            result = plane.correct(guess, chord / np.linalg.norm(chord))
            return guess if result is None else result[0]

        slope = np.array([plane.gradient(w)[0] for w in ws])
        for k in np.flatnonzero(np.signbit(slope[:-1]) != np.signbit(slope[1:])):
            theta = brentq(lambda s, k=k: plane.gradient(between(k, s))[0], 0.0, 1.0, xtol=1e-12)
            v, p = plane.point(between(k, theta))
            state = field.equilibrium_state(v, p)
            found.append(EquilibriumPoint("saddle_node", p, v, state, 0.0, float("nan"), index))
        real = np.array([_rightmost_complex(e) for e in branch.eigenvalues])
        for k in np.flatnonzero(np.isfinite(real[:-1]) & np.isfinite(real[1:])):
            if np.signbit(real[k]) == np.signbit(real[k + 1]):
                continue

            def test(s: float, k: int = k) -> float:
                v, p = plane.point(between(k, s))
                state = field.equilibrium_state(v, p)
                return _rightmost_complex(np.linalg.eigvals(field.jacobian(state, p)))

            theta = brentq(test, 0.0, 1.0, xtol=1e-12)
            v, p = plane.point(between(k, theta))
            found.append(_hopf(field, v, p, index))
    return sorted(found, key=lambda point: point.p)


def _hopf(field: VectorField, v: float, p: float, branch: int) -> EquilibriumPoint:
    state = field.equilibrium_state(v, p)
    jacobian = field.jacobian(state, p)
    omega = hopf_vectors(jacobian)[0]
    l1 = first_lyapunov_coefficient(lambda y: field.f(y, p), state, jacobian)
    kind = "hopf_subcritical" if l1 > 0 else "hopf_supercritical" if l1 < 0 else "hopf"
    return EquilibriumPoint(kind, p, v, state, omega, l1, branch)


__all__ = [
    "EquilibriumBranch",
    "EquilibriumPoint",
    "equilibrium_branches",
    "equilibrium_potentials",
    "special_points",
]
