"""Exact stochastic simulation of channel states at a clamped voltage (Gillespie).

At a fixed voltage every transition rate is constant, so Gillespie's direct method
(Gillespie 1977, J Phys Chem 81:2340, doi:10.1021/j100540a008) samples the Markov
chain of :mod:`hh_brian.noise.scheme` exactly: the time to the next transition of a
patch of N channels is exponential with rate ``a0 = sum_t r_t n_source(t)`` and the
transition is ``t`` with probability ``r_t n_source(t) / a0``.  All cells advance
together, one event per cell per loop iteration (the loop runs over events, never
over cells); a cell whose clock has passed the last sample waits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hh_brian.noise.scheme import KineticScheme


def stationary_counts(
    scheme: KineticScheme,
    alpha: ArrayLike,
    beta: ArrayLike,
    n_channels: int,
    n_cells: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Channel counts per state drawn from the stationary distribution at one voltage.

    *alpha*, *beta*: shape ``(G,)`` (1/ms).  Returns shape ``(S, n_cells)``.
    """
    p = scheme.stationary(np.asarray(alpha)[:, None], np.asarray(beta)[:, None])[:, 0]
    return rng.multinomial(int(n_channels), p / p.sum(), size=int(n_cells)).T.astype(np.int64)


def gillespie_clamp(
    scheme: KineticScheme,
    alpha: ArrayLike,
    beta: ArrayLike,
    counts: NDArray[np.int64],
    sample_times: ArrayLike,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Open-channel counts of many patches clamped at one voltage, sampled exactly.

    Parameters
    ----------
    scheme : KineticScheme
    alpha, beta : array_like, shape (G,) or (G, M)
        The gates' rates at the clamped voltage (1/ms, temperature factor included),
        the same for every patch or one column per patch.
    counts : ndarray of int, shape (S, M)
        Initial channels per state of each of M patches (modified in place).
    sample_times : array_like, shape (K,)
        Increasing times (ms) at which the open count is recorded.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int, shape (K, M)
        Number of channels in the open state at each sample time.
    """
    alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
    if alpha.ndim == 1:
        alpha, beta = alpha[:, None], beta[:, None]
    rates = scheme.transition_rates(alpha, beta)  # (T, 1) or (T, M)
    times = np.asarray(sample_times, dtype=float)
    n_samples, n_cells = times.size, counts.shape[1]
    out = np.empty((n_samples, n_cells), dtype=np.int64)
    t = np.zeros(n_cells)
    next_sample = np.zeros(n_cells, dtype=np.intp)
    cells = np.arange(n_cells)
    source, target = scheme.source, scheme.target
    while True:
        propensity = rates * counts[source]  # (T, M)
        total = propensity.sum(axis=0)
        with np.errstate(divide="ignore"):
            t_next = t + rng.exponential(size=n_cells) / total
        while True:  # record the samples that fall before each cell's next event
            due = next_sample < n_samples
            due[due] = times[next_sample[due]] < t_next[due]
            if not due.any():
                break
            out[next_sample[due], cells[due]] = counts[scheme.open_state, due]
            next_sample[due] += 1
        active = next_sample < n_samples
        if not active.any():
            return out
        u = rng.random(n_cells) * total
        chosen = np.minimum((np.cumsum(propensity, axis=0) < u).sum(axis=0), rates.shape[0] - 1)
        chosen, moving = chosen[active], cells[active]
        counts[source[chosen], moving] -= 1  # one event per cell: no repeated indices
        counts[target[chosen], moving] += 1
        t = t_next


__all__ = ["gillespie_clamp", "stationary_counts"]
