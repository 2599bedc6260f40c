"""Branches of periodic orbits from Hopf points, their folds, SNIC and homoclinic ends.

A branch starts at a Hopf point on a cycle of 0.5 mV amplitude along the critical
eigenvector (Kuznetsov 2004, doi:10.1007/978-1-4757-3978-7, section 10.3.1) and is
followed by :mod:`hh_brian.bifurcation.continuation` (multiple shooting,
pseudo-arclength) until it leaves the parameter range, shrinks into another Hopf
point, or its period passes :data:`PERIOD_LIMIT_MS` (a SNIC if it ends on a
saddle-node of equilibria, else a homoclinic orbit).  A fold of cycles is where
``dp/ds`` changes sign; it is refined by the secant method on the arclength.
Stability comes from the Floquet multipliers (the eigenvalues of the monodromy
matrix): stable when every one but the trivial multiplier 1 lies inside the unit
circle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hh_brian.bifurcation.continuation import (
    NEWTON_ITERATIONS,
    START_AMPLITUDE_MV,
    ContinuationFailure,
    _Continuation,
    _Orbit,
)
from hh_brian.bifurcation.equilibria import EquilibriumPoint
from hh_brian.bifurcation.field import VectorField
from hh_brian.bifurcation.shooting import extremum, multipliers

#: Arclength steps (scaled units).
STEP_FIRST, STEP_MAX, STEP_MIN = 0.01, 0.4, 1e-5
#: A branch ends when its period exceeds this (ms) or after this many orbits.
PERIOD_LIMIT_MS = 200.0
MAX_ORBITS = 400
#: Step-size factor after a corrector that took this many Newton iterations.
_STEP_FACTOR = {1: 2.0, 2: 1.6, 3: 1.3, 4: 1.0, 5: 0.7}


@dataclass(frozen=True)
class CycleBranch:
    """One branch of periodic orbits.

    Attributes
    ----------
    p, period, v_min, v_max : ndarray
        Per orbit: parameter, period (ms), extrema of v (mV, model's convention).
    multipliers : ndarray
        Floquet multipliers, shape ``(K, n)``, largest modulus first.
    stable : ndarray of bool
        Every nontrivial multiplier inside the unit circle.
    d_p : ndarray
        ``dp/ds`` along the branch (its sign changes at folds).
    start : str
        Where it starts, e.g. ``"hopf at 9.7754"``.
    end : str
        ``"hopf"``, ``"range"``, ``"period"``, ``"max_orbits"`` or ``"failed"``.
    message : str
        One line on how the branch ended.
    """

    p: np.ndarray
    period: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    multipliers: np.ndarray
    stable: np.ndarray
    d_p: np.ndarray
    start: str
    end: str
    message: str


def _summary(cont: _Continuation, orbit: _Orbit) -> tuple:
    _, period, p = cont.unpack(orbit.z)
    t, path = orbit.flow.orbit
    v = path[0]
    all_mu, nontrivial = multipliers(orbit.flow.monodromy)
    stable = bool(np.all(np.abs(nontrivial) < 1.0))
    return (
        p,
        period,
        extremum(t, v, False),
        extremum(t, v, True),
        all_mu,
        stable,
        orbit.tangent[-1],
    )


def follow_cycles(
    field: VectorField,
    hopf: EquilibriumPoint,
    hopf_points: list[EquilibriumPoint],
    start: float,
    stop: float,
    *,
    newton_iterations: int = NEWTON_ITERATIONS,
    max_orbits: int = MAX_ORBITS,
) -> tuple[CycleBranch, list[tuple[float, _Orbit, _Orbit]], _Continuation]:
    """Continue the branch of cycles born at *hopf* until it ends.

    Parameters
    ----------
    field : VectorField
    hopf : EquilibriumPoint
        The Hopf point the branch starts at.
    hopf_points : list of EquilibriumPoint
        Every Hopf point (the branch may shrink into one of them).
    start, stop : float
        The parameter range.
    newton_iterations, max_orbits : int
        Newton iterations per step; orbits on the branch, at most.

    Returns
    -------
    branch : CycleBranch
    folds : list
        ``(p, before, after)`` brackets of each sign change of ``dp/ds`` (refined by
        :func:`refine_fold`).
    continuation : object
        The continuation's state, for :func:`refine_fold`.

    Raises
    ------
    ContinuationFailure
        If no small cycle converges next to *hopf*.
    """
    cont = _Continuation(field, start, stop, newton_iterations)
    orbit = cont.first(hopf)
    first = _summary(cont, orbit)
    others = [h for h in hopf_points if h is not hopf]
    rows, orbits, end, message = _walk(
        cont, orbit, others, max_orbits, amplitude=first[3] - first[2]
    )
    origin = f"the Hopf point at {hopf.p:.6g}"
    if end == "failed":
        message = f"continuation of the cycles from {origin} failed {message}"
    branch = _branch([first, *rows], f"hopf at {hopf.p:.6g}", end, message)
    return branch, _folds(branch, [orbit, *orbits]), cont


def follow_cycles_from_simulation(
    field: VectorField,
    p: float,
    hopf_points: list[EquilibriumPoint],
    start: float,
    stop: float,
    *,
    newton_iterations: int = NEWTON_ITERATIONS,
    max_orbits: int = MAX_ORBITS,
):
    """The branch through a cycle found by simulation at *p* (no Hopf point needed),
    continued both ways; ordered so that it ends on its smaller-``p`` end (the onset).

    Returns ``None`` if the cell does not fire at *p*, else as :func:`follow_cycles`.
    """
    cont = _Continuation(field, start, stop, newton_iterations)
    seed = cont.from_simulation(p)
    if seed is None:
        return None
    first = _summary(cont, seed)
    up_seed = _Orbit(seed.z, seed.flow, -seed.tangent)
    tiny = 2 * START_AMPLITUDE_MV  # a cycle this small has shrunk into a Hopf point
    up_rows, up_orbits, _, _ = _walk(cont, up_seed, hopf_points, max_orbits // 2, tiny)
    rows, orbits, end, message = _walk(cont, seed, hopf_points, max_orbits // 2, tiny)
    if end == "failed":
        message = f"continuation of the cycles simulated at {p:.6g} failed {message}"
    # the up part, reversed, walks towards smaller p too: flip its tangents and dp/ds
    up_rows = [(*row[:6], -row[6]) for row in reversed(up_rows)]
    up_orbits = [_Orbit(o.z, o.flow, -o.tangent) for o in reversed(up_orbits)]
    branch = _branch([*up_rows, first, *rows], f"simulation at {p:.6g}", end, message)
    return branch, _folds(branch, [*up_orbits, seed, *orbits]), cont


def _walk(cont: _Continuation, orbit: _Orbit, hopf_points, max_orbits: int, amplitude: float):
    """Steps from *orbit* along its tangent until the branch ends: ``(rows, orbits, end,
    message)``; *amplitude* > 0: end in a Hopf point when the cycle shrinks below it."""
    start, stop = cont.range
    rows, orbits = [], []
    ds, end, message = STEP_FIRST, "max_orbits", f"stopped after {max_orbits} orbits"
    while len(rows) < max_orbits:
        attempt = cont.step(orbit, ds)
        if attempt is None:
            ds /= 2
            if ds < STEP_MIN:
                _, period_last, p_last = cont.unpack(orbit.z)
                end = "failed"
                message = (
                    f"at p = {p_last:.6g} (period {period_last:.4g} ms): Newton's method did "
                    f"not converge even with an arclength step of {STEP_MIN:g}"
                )
                break
            continue
        orbit, iterations = attempt
        row = _summary(cont, orbit)
        orbit = cont.reanchor(orbit)
        rows.append(row)
        orbits.append(orbit)
        ds = min(STEP_MAX, ds * _STEP_FACTOR.get(iterations, 0.5))
        p, period, v_min, v_max = row[:4]
        if not start <= p <= stop:
            end, message = "range", f"left the range at p = {p:.6g}"
            break
        if period > PERIOD_LIMIT_MS:
            end, message = "period", f"period {period:.4g} ms at p = {p:.6g}: diverging"
            break
        if amplitude > 0 and len(rows) > 3 and v_max - v_min < amplitude and hopf_points:
            nearest = min(hopf_points, key=lambda h: abs(h.p - p))
            end, message = "hopf", f"shrinks into the Hopf point at {nearest.p:.6g}"
            break
    return rows, orbits, end, message


def _branch(rows: list, start: str, end: str, message: str) -> CycleBranch:
    arrays = list(zip(*rows, strict=True))
    return CycleBranch(
        p=np.array(arrays[0]),
        period=np.array(arrays[1]),
        v_min=np.array(arrays[2]),
        v_max=np.array(arrays[3]),
        multipliers=np.array(arrays[4]),
        stable=np.array(arrays[5]),
        d_p=np.array(arrays[6]),
        start=start,
        end=end,
        message=message,
    )


def _folds(branch: CycleBranch, orbits: list[_Orbit]) -> list[tuple[float, _Orbit, _Orbit]]:
    return [
        (branch.p[k], orbits[k], orbits[k + 1])
        for k in range(len(orbits) - 1)
        if np.signbit(branch.d_p[k]) != np.signbit(branch.d_p[k + 1])
    ]


def refine_fold(cont: _Continuation, before: _Orbit, after: _Orbit) -> tuple:
    """The fold of cycles between two orbits: secant iterations on the arclength ``s``
    for ``dp/ds = 0``.  Returns the summary row of the orbit there."""
    total = float(np.linalg.norm(after.z - before.z))
    s0, s1 = 0.0, total
    d0, d1 = before.tangent[-1], after.tangent[-1]
    best = after
    for _ in range(8):
        if d1 == d0:
            break
        s = s1 - d1 * (s1 - s0) / (d1 - d0)
        s = min(max(s, 0.02 * total), 0.98 * total)
        attempt = cont.step(before, s)
        if attempt is None:
            break
        best = attempt[0]
        s0, d0, s1, d1 = s1, d1, s, best.tangent[-1]
        if abs(d1) < 1e-9:
            break
    return _summary(cont, best)


__all__ = [
    "CycleBranch",
    "ContinuationFailure",
    "follow_cycles",
    "follow_cycles_from_simulation",
    "refine_fold",
]
