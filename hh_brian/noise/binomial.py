"""One fixed step of the channel-state Markov chain for many patches (binomial scheme).

Within a step of length dt the rates are frozen at the voltage of the step's start.
At a frozen voltage the subunits of a channel are independent two-state chains, so
over dt a closed subunit is open with probability ``P01 = x_inf (1 - e)`` and an open
one stays open with ``P11 = x_inf + (1 - x_inf) e``, ``e = exp(-(alpha + beta) dt)``,
exactly, however many transitions happen within the step.  A channel with ``k`` of
its ``p`` subunits of gate x open therefore has ``k' = Binomial(k, P11) +
Binomial(p - k, P01)`` open afterwards, and the gates move independently.  The step
applies this gate by gate: the ``n_s`` channels of each state are split among the
``p + 1`` new values of ``k`` by a multinomial draw (successive conditional binomials,
for every state and cell at once, staying first: the later draws are mostly of zero
channels, which cost NumPy almost nothing).
The step is therefore exact for a clamped voltage at any dt, and in current clamp its
only error is holding the voltage over the step (O(dt)), which is measured against a
four times finer step in ``tests/test_noise_markov.py``.  (Fixed-step and event-driven
Markov algorithms are compared by Goldwyn & Shea-Brown 2011, PLoS Comput Biol
7:e1002247, doi:10.1371/journal.pcbi.1002247.)
"""

from __future__ import annotations

from functools import cache
from math import comb

import numpy as np
from numpy.typing import NDArray

from hh_brian.noise.scheme import KineticScheme


def gate_layout(scheme: KineticScheme) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Per gate: each state's open-subunit count ``k`` (S,) and the state reached when that
    gate's count becomes ``k'`` (S, p + 1)."""
    index = {s: k for k, s in enumerate(scheme.states)}
    out = []
    for g, p in enumerate(scheme.exponents):
        k = np.array([s[g] for s in scheme.states], dtype=np.intp)
        dest = np.array(
            [[index[s[:g] + (kk,) + s[g + 1 :]] for kk in range(p + 1)] for s in scheme.states],
            dtype=np.intp,
        )
        out.append((k, dest))
    return out


@cache
def _propagator_terms(p: int) -> tuple[NDArray, ...]:
    """Index tables of the sum defining :func:`subunit_propagator` (one row per term
    ``(k, j, i)``: j of k open subunits stay open, i of p - k closed ones open)."""
    rows = [(k, j, i) for k in range(p + 1) for j in range(k + 1) for i in range(p - k + 1)]
    k, j, i = (np.array(c, dtype=np.intp) for c in zip(*rows, strict=True))
    weight = np.array([comb(a, b) * comb(p - a, c) for a, b, c in rows], float)
    return k, j, i, weight[:, None], k * (p + 1) + j + i  # flat index of (k, k' = j + i)


def subunit_propagator(p: int, alpha: NDArray, beta: NDArray, dt: float) -> NDArray:
    """``P[k, k']``: probability that k of p open subunits become k' over dt, shape
    ``(p + 1, p + 1, M)`` (rates frozen; *alpha*, *beta* shape (M,), 1/ms)."""
    x_inf = alpha / (alpha + beta)
    decay = np.exp(-(alpha + beta) * dt)
    p11, p01 = x_inf + (1 - x_inf) * decay, x_inf * (1 - decay)
    powers = np.arange(p + 1)[:, None]
    stay, leave = p11**powers, (1 - p11) ** powers  # (p + 1, M)
    opens, shut = p01**powers, (1 - p01) ** powers
    k, j, i, weight, target = _propagator_terms(p)
    terms = weight * stay[j] * leave[k - j] * opens[i] * shut[p - k - i]
    out = np.zeros(((p + 1) ** 2, alpha.size))
    np.add.at(out, target, terms)  # no BLAS: its threads only contend on small arrays
    return out.reshape(p + 1, p + 1, -1)


def binomial_step(
    scheme: KineticScheme,
    counts: NDArray[np.int64],
    alpha: NDArray[np.float64],
    beta: NDArray[np.float64],
    dt: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Advance channel counts by one step (module docstring).

    The states form a grid with one axis per gate (:func:`itertools.product` order in
    :func:`hh_brian.noise.scheme.scheme_for`), so each gate's update is a multinomial
    split along its axis, drawn for every state and cell at once.

    Parameters
    ----------
    scheme : KineticScheme
    counts : ndarray of int, shape (S, M)
        Channels per state in each of M patches (not modified).
    alpha, beta : ndarray, shape (G, M)
        The gates' rates at the step's start (1/ms), in the scheme's gate order.
    dt : float
        Step, ms.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int, shape (S, M)
        The new counts; the total per patch is conserved exactly.
    """
    shape = tuple(p + 1 for p in scheme.exponents)
    n_cells = counts.shape[1]
    grid = counts.reshape(*shape, n_cells)
    for g, p in enumerate(scheme.exponents):
        prop = subunit_propagator(p, alpha[g], beta[g], dt)  # (k, k', M)
        moved = np.moveaxis(grid, g, 0)  # (k, ..., M)
        rest = moved.shape[1:-1]
        remaining = moved.reshape(p + 1, -1, n_cells)
        mass = np.ones((p + 1, 1, n_cells))
        new = np.zeros_like(remaining)
        rows = np.arange(p + 1)
        for shift in range(p):  # k' = k first (most channels stay), then k + 1, ... mod p + 1
            row = prop[rows, (rows + shift) % (p + 1)][:, None, :]
            with np.errstate(invalid="ignore", divide="ignore"):
                q = np.clip(np.where(mass > 0, row / mass, 0.0), 0.0, 1.0)
            drawn = rng.binomial(remaining, np.broadcast_to(q, remaining.shape))
            new += np.roll(drawn, shift, axis=0)  # row k lands on k + shift
            remaining = remaining - drawn
            mass = mass - row
        new += np.roll(remaining, p, axis=0)
        grid = np.moveaxis(new.reshape(p + 1, *rest, n_cells), 0, g)
    return np.ascontiguousarray(grid.reshape(counts.shape))


__all__ = ["binomial_step", "gate_layout", "subunit_propagator"]
