"""One periodic-orbit continuation: multiple shooting with a pseudo-arclength corrector.

The unknowns are ``z = (X / s, ln T, p / p_scale)``: the ``K`` segment starts
``x_k`` (``s``: 10 mV for ``v``, 0.1 for the gates), the log of the period and the
parameter.  The equations are the matching conditions
``phi(T/K; x_k, p) = x_{k+1}`` (:mod:`hh_brian.bifurcation.shooting`), a phase
condition keeping ``v(x_0)`` at the previous orbit's value, and the pseudo-arclength
condition ``tangent . (z - z_predicted) = 0`` (Keller 1977; Seydel 2010,
doi:10.1007/978-1-4419-1740-9, sections 4.5, 6.2 and 7.3).  Newton's method uses the
segment Jacobians and ``d phi / d p``; the tangent is the null vector of the Jacobian
of the matching and phase equations.  ``ln T`` keeps the steps sensible when the
period diverges.  Used by :mod:`hh_brian.bifurcation.cycles`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from hh_brian.bifurcation.equilibria import EquilibriumPoint
from hh_brian.bifurcation.field import VectorField
from hh_brian.bifurcation.shooting import ATOL, RTOL, Flow, flow

#: Amplitude (mV) of the first cycle along the critical eigenvector at a Hopf point.
START_AMPLITUDE_MV = 0.5
#: Shooting segments per orbit (multiple shooting).
SEGMENTS = 8
#: Re-anchor the phase condition when |dv/dt| at x_0 is below this fraction of its
#: fastest speed on the orbit.
REANCHOR_SPEED = 0.5
#: Scales of v (mV) and of the gates in the continuation variables.
V_SCALE_MV = 10.0
GATE_SCALE = 0.1
#: The Newton corrector's limits.
NEWTON_ITERATIONS = 7
RESIDUAL_TOLERANCE = 1e-6
STEP_TOLERANCE = 1e-7
#: A step is refused when the tangent turns by more than arccos of this.
MIN_TANGENT_COSINE = 0.95
#: Simulation that seeds a branch with no Hopf point in range: duration (ms), the kick
#: from rest (mV, depolarising), the smallest oscillation (mV) and relative period spread.
SEED_DURATION_MS = 1000.0
SEED_KICK_MV = 30.0
SEED_AMPLITUDE_MV = 2.0
SEED_PERIOD_SPREAD = 0.02


class ContinuationFailure(ArithmeticError):
    """The corrector did not converge even with the smallest step (message: where, why)."""


@dataclass
class _Orbit:
    z: np.ndarray
    flow: Flow
    tangent: np.ndarray


class _Continuation:
    """Multiple shooting with ``K`` segments; ``z = (X / s (K n), ln T, p / p_scale)``."""

    def __init__(self, field: VectorField, start: float, stop: float, iterations: int = 0) -> None:
        self.field = field
        self.iterations = iterations or NEWTON_ITERATIONS
        self.n, self.k = field.n, SEGMENTS
        self.size = self.n * self.k
        self.range = (start, stop)
        self.p_scale = 0.1 * (stop - start)
        self.x_scale = np.array([V_SCALE_MV] + [GATE_SCALE] * (self.n - 1))

    def unpack(self, z: np.ndarray) -> tuple[np.ndarray, float, float]:
        """``(X (n, K), T, p)``."""
        starts = z[: self.size].reshape(self.k, self.n).T * self.x_scale[:, None]
        return starts, float(np.exp(z[self.size])), float(z[-1] * self.p_scale)

    def pack(self, starts: np.ndarray, period: float, p: float) -> np.ndarray:
        scaled = (starts / self.x_scale[:, None]).T.ravel()
        return np.concatenate([scaled, [np.log(period), p / self.p_scale]])

    def system(self, z: np.ndarray, anchor: np.ndarray, normal: np.ndarray):
        """Residual and Jacobian of matching and phase (``K n + 1`` rows) at ``z``."""
        n, k, size = self.n, self.k, self.size
        starts, period, p = self.unpack(z)
        tau = period / k
        result = flow(self.field, starts, tau, p)
        following = np.roll(starts, -1, axis=1)
        mismatch = (result.ends - following) / self.x_scale[:, None]
        residual = np.concatenate([mismatch.T.ravel(), [normal @ (starts[:, 0] - anchor)]])
        jac = np.zeros((size + 1, size + 2))
        scale = self.x_scale
        velocity = self.field.f(result.ends, p) * tau / scale[:, None]
        sensitivity = result.d_parameter * self.p_scale / scale[:, None]
        for j in range(k):
            rows = slice(j * n, (j + 1) * n)
            jac[rows, j * n : (j + 1) * n] = result.monodromies[j] * scale[None, :] / scale[:, None]
            nxt = (j + 1) % k
            jac[rows, nxt * n : (nxt + 1) * n] -= np.eye(n)
            jac[rows, size] = velocity[:, j]
            jac[rows, size + 1] = sensitivity[:, j]
        jac[size, :n] = normal * scale
        return residual, jac, result

    def correct(self, guess, anchor, normal, row, target, reach=1.0):
        """Newton on the ``K n + 1`` equations plus ``row . z = target``; None on failure
        (also when an iterate strays farther than *reach* from the guess)."""
        z = guess.copy()
        for iteration in range(1, self.iterations + 1):
            try:
                residual, jac, result = self.system(z, anchor, normal)
            except ArithmeticError:
                return None
            full = np.concatenate([residual, [row @ z - target]])
            try:
                dz = np.linalg.solve(np.vstack([jac, row]), full)
            except np.linalg.LinAlgError:
                return None
            # Converged: the residual is negligible, or z is within STEP_TOLERANCE of the
            # solution (the residual of an unstable orbit magnifies tiny errors of x0).
            if np.max(np.abs(full)) < RESIDUAL_TOLERANCE or np.max(np.abs(dz)) < STEP_TOLERANCE:
                return z, jac, result, iteration
            z = z - dz
            if not np.all(np.isfinite(z)) or np.linalg.norm(z - guess) > reach:
                return None
        return None

    @staticmethod
    def tangent(jac: np.ndarray, previous: np.ndarray) -> np.ndarray:
        t = np.linalg.svd(jac)[2][-1]
        return t if t @ previous >= 0 else -t

    def first(self, hopf: EquilibriumPoint) -> _Orbit:
        """The first small cycle at a Hopf point, and the tangent pointing away from it."""
        from hh_brian.bifurcation.lyapunov import hopf_vectors

        omega, q, _ = hopf_vectors(self.field.jacobian(hopf.state, hopf.p))
        q = q / q[0]  # v component 1 (mV)
        # x(t) = x_H + eps Re(q e^{i (pi/2 + w t)}): x_0 is where v crosses its mean
        # (fastest), so the phase plane (normal to the flow there, along Re q) is transversal.
        phases = np.pi / 2 + 2 * np.pi * np.arange(self.k) / self.k
        shape = np.real(q[:, None] * np.exp(1j * phases)[None, :])
        starts = hopf.state[:, None] + START_AMPLITUDE_MV * shape
        normal = q.real / np.linalg.norm(q.real)
        z0 = self.pack(starts, 2 * np.pi / omega, hopf.p)
        away = np.zeros(self.size + 2)
        away[: self.size] = (shape / self.x_scale[:, None]).T.ravel()
        away /= np.linalg.norm(away)
        solved = self.correct(z0, starts[:, 0], normal, away, away @ z0)
        if solved is None:
            raise ContinuationFailure(
                f"no small cycle converged next to the Hopf point at p = {hopf.p:.6g}"
            )
        z, jac, result, _ = solved
        return _Orbit(z, result, self.tangent(jac, away))

    def from_simulation(self, p: float) -> _Orbit | None:
        """A periodic orbit at *p* found by simulation, or None if the cell does not fire.

        The cell starts at its most hyperpolarised equilibrium, kicked by
        :data:`SEED_KICK_MV` towards depolarisation, and is integrated for
        :data:`SEED_DURATION_MS`; if the second half holds a settled oscillation (three
        or more periods agreeing to :data:`SEED_PERIOD_SPREAD`), its last period seeds
        Newton's method at fixed ``p``.  The tangent points towards smaller ``p``.
        """
        from hh_brian.bifurcation.equilibria import equilibrium_potentials

        field, sign = self.field, self.field.sign
        potentials = equilibrium_potentials(field, p)
        v_rest = min(potentials, key=lambda v: float(field.to_modern(v))) if potentials else None
        if v_rest is None:
            v_rest = float(field.base.v_rest_guess or -65.0)
        state = field.equilibrium_state(v_rest, p)
        state[0] += sign * SEED_KICK_MV
        with np.errstate(over="ignore", invalid="ignore"):
            solution = solve_ivp(
                lambda _t, y: field.f(y, p),
                (0.0, SEED_DURATION_MS),
                state,
                method="LSODA",
                rtol=1e-8,
                atol=1e-10,
                dense_output=True,
            )
        if not solution.success:
            return None
        t = np.linspace(SEED_DURATION_MS / 2, SEED_DURATION_MS, 40001)
        v = sign * solution.sol(t)[0]  # depolarisation up
        if np.ptp(v) < SEED_AMPLITUDE_MV:
            return None
        level = 0.5 * (v.max() + v.min())
        k = np.flatnonzero((v[:-1] < level) & (v[1:] >= level))
        crossings = t[k] + (level - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])
        periods = np.diff(crossings)
        if periods.size < 3 or np.ptp(periods[-3:]) > SEED_PERIOD_SPREAD * periods[-1]:
            return None
        period = float(periods[-1])
        starts = solution.sol(crossings[-2] + period * np.arange(self.k) / self.k)
        z0 = self.pack(starts, period, p)
        row = np.zeros(self.size + 2)
        row[-1] = 1.0
        solved = self.correct(z0, starts[:, 0], self.phase_normal, row, z0[-1])
        if solved is None:
            return None
        z, jac, result, _ = solved
        down = np.zeros(self.size + 2)
        down[-1] = -1.0
        return _Orbit(z, result, self.tangent(jac, down))

    def step(self, orbit: _Orbit, ds: float):
        starts, _, _ = self.unpack(orbit.z)
        x_ref = starts[:, 0]
        normal = self.phase_normal
        guess = orbit.z + ds * orbit.tangent
        reach = max(ds, 0.05)  # farther: Newton is heading for another solution
        solved = self.correct(guess, x_ref, normal, orbit.tangent, orbit.tangent @ guess, reach)
        if solved is None:
            return None
        z, jac, result, iterations = solved
        tangent = self.tangent(jac, orbit.tangent)
        if tangent @ orbit.tangent < MIN_TANGENT_COSINE:
            return None  # the branch turns too sharply for this step (or Newton switched)
        return _Orbit(z, result, tangent), iterations

    @property
    def phase_normal(self) -> np.ndarray:
        """The phase condition keeps ``v`` of ``x_0`` at the previous orbit's value."""
        normal = np.zeros(self.n)
        normal[0] = 1.0
        return normal

    def reanchor(self, orbit: _Orbit) -> _Orbit:
        """Move ``x_0`` to where ``v`` changes fastest when it sits where ``v`` is slow.

        The phase condition fixes ``v`` at ``x_0`` (a plane ``v = const``); near an
        extremum of ``v`` that plane is nearly tangent to the orbit and the branch of
        solutions folds back on itself.  The segments are resampled from ``x_0``'s new
        place and the tangent recomputed there, oriented by its ``(ln T, p)`` part
        (which does not depend on the phase).
        """
        starts, period, p = self.unpack(orbit.z)
        t, path = orbit.flow.orbit
        speed = np.abs(self.field.f(path, p)[0])
        best = int(np.argmax(speed))
        if speed[0] >= REANCHOR_SPEED * speed[best]:
            return orbit
        # Each new start from its own segment (integrating the whole orbit from x_0 would
        # amplify errors by the orbit's largest multiplier).
        n, k = self.n, self.k
        tau = period / k
        times = (t[best] + tau * np.arange(k)) % period
        segment = np.minimum((times // tau).astype(int), k - 1)
        solution = solve_ivp(
            lambda _t, y: self.field.f(y.reshape(n, k), p).ravel(),
            (0.0, tau),
            starts.ravel(),
            method="DOP853",
            rtol=RTOL,
            atol=ATOL,
            dense_output=True,
        )
        if not solution.success:
            return orbit
        moved = np.stack(
            [
                solution.sol(times[j] - segment[j] * tau).reshape(n, k)[:, segment[j]]
                for j in range(k)
            ],
            axis=1,
        )
        z = self.pack(moved, period, p)
        try:
            residual, jac, result = self.system(z, moved[:, 0], self.phase_normal)
        except ArithmeticError:
            return orbit
        if np.max(np.abs(residual)) > 100 * RESIDUAL_TOLERANCE:
            return orbit
        tangent = np.linalg.svd(jac)[2][-1]
        if tangent[self.size :] @ orbit.tangent[self.size :] < 0:
            tangent = -tangent
        return _Orbit(z, result, tangent)


__all__ = ["ContinuationFailure", "NEWTON_ITERATIONS", "SEGMENTS"]
