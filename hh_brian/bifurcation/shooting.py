"""Periodic orbits by multiple shooting, with the monodromy matrix and Floquet multipliers.

A periodic orbit of period ``T`` at parameter ``p`` is found by multiple shooting
(Seydel, Practical Bifurcation and Stability Analysis, 3rd ed., Springer 2010,
doi:10.1007/978-1-4419-1740-9, section 6.2 and 7.3): ``K`` points ``x_k`` on the orbit
with ``phi(T/K; x_k, p) = x_{k+1}`` (indices mod K).  Splitting the period tames the
growth of errors along an unstable orbit that single shooting suffers from.  All
segments are integrated at once, and one integration gives the flow and its
derivatives: each segment start is integrated together
with ``2n + 2`` copies perturbed in ``x0`` and ``p`` (central differences) as one system,
so that every copy takes the same adaptive steps and the differences are those of
one smooth discrete map ("internal numerical differentiation", Bock 1981, in
Numerical Treatment of Inverse Problems, Birkhaeuser).  Their differences give the
segment's Jacobian ``d phi / d x_k`` (their product is the monodromy matrix, whose
eigenvalues are the Floquet multipliers) and ``d phi / d p``.  The integrator is
SciPy's DOP853 (an explicit Runge-Kutta method of order 8; Hairer, Norsett & Wanner,
Solving Ordinary Differential Equations I, Springer 1993).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from hh_brian.bifurcation.field import VectorField

#: Tolerances of the shooting integration.
RTOL = 1e-9
ATOL = 1e-10
#: Perturbations of x0 (v in mV, gates) and the relative one of p.
PERTURB_V = 1e-6
PERTURB_GATE = 1e-8


@dataclass(frozen=True)
class Flow:
    """One multiple-shooting integration: ``K`` segments of ``tau`` ms each, at ``p``.

    Attributes
    ----------
    ends : ndarray
        ``phi(tau; x_k, p)``, shape ``(n, K)``.
    monodromies : ndarray
        ``d phi(tau; x_k) / d x_k``, shape ``(K, n, n)``.
    d_parameter : ndarray
        ``d phi(tau; x_k) / d p``, shape ``(n, K)``.
    times : ndarray
        The integrator's steps within a segment, ms, shape ``(S,)``.
    paths : ndarray
        Each segment at those steps, shape ``(n, K, S)``.
    """

    ends: np.ndarray
    monodromies: np.ndarray
    d_parameter: np.ndarray
    times: np.ndarray
    paths: np.ndarray

    @property
    def monodromy(self) -> np.ndarray:
        """The monodromy matrix of the whole orbit, ``M_{K-1} ... M_1 M_0``, ``(n, n)``."""
        product = self.monodromies[0]
        for matrix in self.monodromies[1:]:
            product = matrix @ product
        return product

    @property
    def orbit(self) -> tuple[np.ndarray, np.ndarray]:
        """``(t, y)``: the segments joined into one orbit from ``x_0``, shapes ``(K S,)``
        and ``(n, K S)``."""
        n, k, s = self.paths.shape
        tau = self.times[-1]
        # each segment without its last sample (the next segment's first)
        t = (np.arange(k)[:, None] * tau + self.times[None, :-1]).ravel()
        return t, self.paths[:, :, :-1].reshape(n, k * (s - 1))


def flow(field: VectorField, starts: np.ndarray, tau: float, p: float) -> Flow:
    """Integrate every segment start (columns of *starts*, ``(n, K)``) for *tau* ms at
    *p*, with the derivatives of the end points, in one ``solve_ivp`` call.

    Raises
    ------
    ArithmeticError
        If the integration fails (the step size underflows or the state overflows).
    """
    n, k = starts.shape
    steps = np.array([PERTURB_V] + [PERTURB_GATE] * (n - 1))
    h_p = field.parameter_step(p)
    width = 2 * n + 3
    # per segment: base, +steps (n), -steps (n), p + h_p, p - h_p (central differences)
    block = np.diag(steps)
    offsets = np.concatenate([np.zeros((n, 1)), block, -block, np.zeros((n, 2))], axis=1)
    columns = (np.asarray(starts, dtype=float)[:, :, None] + offsets[:, None, :]).reshape(n, -1)
    shifts = np.zeros(width)
    shifts[-2:] = h_p, -h_p
    parameters = np.tile(float(p) + shifts, k)

    def rhs(_t: float, z: np.ndarray) -> np.ndarray:
        return field.f_columns(z.reshape(n, k * width), parameters).ravel()

    with np.errstate(over="ignore", invalid="ignore"):
        solution = solve_ivp(
            rhs, (0.0, float(tau)), columns.ravel(), method="DOP853", rtol=RTOL, atol=ATOL
        )
    if not solution.success or not np.all(np.isfinite(solution.y[:, -1])):
        raise ArithmeticError(f"integration failed: {solution.message}")
    end = solution.y[:, -1].reshape(n, k, width)
    plus, minus = end[:, :, 1 : n + 1], end[:, :, n + 1 : 2 * n + 1]
    return Flow(
        ends=end[:, :, 0],
        monodromies=np.transpose((plus - minus) / (2 * steps[None, None, :]), (1, 0, 2)),
        d_parameter=(end[:, :, -2] - end[:, :, -1]) / (2 * h_p),
        times=solution.t,
        paths=solution.y.reshape(n, k, width, -1)[:, :, 0, :],
    )


def extremum(times: np.ndarray, values: np.ndarray, largest: bool) -> float:
    """Maximum (or minimum) of a sampled smooth periodic signal, refined by a parabola
    through the best sample and its neighbours."""
    signed = values if largest else -values
    k = int(np.argmax(signed))
    if 0 < k < values.size - 1:
        t0, t1, t2 = times[k - 1 : k + 2]
        y0, y1, y2 = signed[k - 1 : k + 2]
        denominator = (t0 - t1) * (t0 - t2) * (t1 - t2)
        a = (t2 * (y1 - y0) + t1 * (y0 - y2) + t0 * (y2 - y1)) / denominator
        b = (t2**2 * (y0 - y1) + t1**2 * (y2 - y0) + t0**2 * (y1 - y2)) / denominator
        if a < 0:
            t_peak = -b / (2 * a)
            if t0 <= t_peak <= t2:
                c = y1 - a * t1**2 - b * t1
                best = a * t_peak**2 + b * t_peak + c
                return float(best if largest else -best)
    return float(values[k])


def multipliers(monodromy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floquet multipliers sorted by modulus (largest first), and the nontrivial ones
    (all but the one nearest 1, which belongs to the flow direction)."""
    values = np.linalg.eigvals(monodromy)
    values = values[np.argsort(-np.abs(values))]
    trivial = int(np.argmin(np.abs(values - 1.0)))
    return values, np.delete(values, trivial)


__all__ = ["ATOL", "RTOL", "Flow", "extremum", "flow", "multipliers"]
