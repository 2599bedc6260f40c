"""The kinetic scheme of channel states behind a Hodgkin-Huxley gated channel.

A channel ``g prod_x x**p_x`` built from independent, identical two-state subunits
(``p_x`` subunits of gate ``x``, each opening at ``alpha_x`` and closing at
``beta_x``) is a Markov chain whose state is the number ``k_x`` of open subunits of
each gate, ``0 <= k_x <= p_x``: ``prod_x (p_x + 1)`` states, 8 for squid Na+
(``m**3 h``) and 5 for K+ (``n**4``).  A state moves ``k_x -> k_x + 1`` at rate
``(p_x - k_x) alpha_x`` and ``k_x -> k_x - 1`` at ``k_x beta_x``; the channel conducts
only in the state with every subunit open (Hille 2001; Skaugen & Walloe 1979,
doi:10.1111/j.1748-1716.1979.tb06491.x; Chow & White 1996,
doi:10.1016/S0006-3495(96)79494-8).  An ``inf_tau`` gate has
``alpha = x_inf/tau``, ``beta = (1 - x_inf)/tau``.  Instantaneous gates have no such
scheme and are refused.

Exact statistics at a fixed voltage, used to validate every noise model:

* stationary state distribution: the product over gates of Binomial(p_x, x_inf)
  distributions, so the number of open channels out of N is
  Binomial(N, prod_x x_inf**p_x);
* normalised autocorrelation of the open count at lag ``s``:
  ``(q(s) - P_o)/(1 - P_o)`` with
  ``q(s) = prod_x (x_inf + (1 - x_inf) exp(-s/tau_x))**p_x``, the probability that an
  open channel is open again ``s`` later (subunits relax independently).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.channels import INSTANTANEOUS, Channel

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class KineticScheme:
    """States and transitions of one channel (see the module docstring).

    Attributes
    ----------
    channel : str
    gates : tuple of str
        Gate names, in the channel's order.
    exponents : tuple of int
        Subunits per gate.
    states : tuple of tuple of int
        Open-subunit counts ``(k_x, ...)`` of each state; the last state is open.
    source, target, gate, multiplicity : ndarray, shape (T,)
        Each transition's states, the gate it moves, and the number of subunits that
        can make it (the factor on ``alpha`` or ``beta``).
    opening : ndarray of bool, shape (T,)
        True where the transition opens a subunit (rate ``alpha``), else ``beta``.
    """

    channel: str
    gates: tuple[str, ...]
    exponents: tuple[int, ...]
    states: tuple[tuple[int, ...], ...]
    source: NDArray[np.intp]
    target: NDArray[np.intp]
    gate: NDArray[np.intp]
    multiplicity: NDArray[np.int64]
    opening: NDArray[np.bool_]

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def open_state(self) -> int:
        """Index of the conducting state (every subunit open)."""
        return self.n_states - 1

    def state_name(self, index: int) -> str:
        """``Na_m2h1``: the channel and each gate's number of open subunits."""
        parts = "".join(f"{g}{k}" for g, k in zip(self.gates, self.states[index], strict=True))
        return f"{self.channel}_{parts}"

    @property
    def edges(self) -> list[tuple[int, int]]:
        """Pairs ``(opening, closing)`` of transition indices between the same two states."""
        pairs = zip(self.source, self.target, strict=True)
        index = {(int(s), int(t)): k for k, (s, t) in enumerate(pairs)}
        return [(k, index[(int(t), int(s))]) for (s, t), k in index.items() if self.opening[k]]

    def transition_rates(self, alpha: ArrayLike, beta: ArrayLike) -> FloatArray:
        """Per-channel rate of each transition, shape ``(T, *V.shape)`` (1/ms).

        *alpha*, *beta*: the gates' rates, shape ``(G, *V.shape)``, in gate order.
        """
        alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
        picked = np.where(
            self.opening.reshape((-1,) + (1,) * (alpha.ndim - 1)),
            alpha[self.gate],
            beta[self.gate],
        )
        return picked * self.multiplicity.reshape((-1,) + (1,) * (alpha.ndim - 1))

    def stationary(self, alpha: ArrayLike, beta: ArrayLike) -> FloatArray:
        """Stationary probability of each state, shape ``(S, *V.shape)``."""
        alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
        x_inf = alpha / (alpha + beta)
        out = np.ones((self.n_states, *alpha.shape[1:]))
        for s, counts in enumerate(self.states):
            for g, (k, p) in enumerate(zip(counts, self.exponents, strict=True)):
                out[s] *= binom.pmf(k, p, x_inf[g])
        return out

    def open_probability(self, alpha: ArrayLike, beta: ArrayLike) -> FloatArray:
        """Stationary open probability ``prod_x x_inf**p_x``, shape ``V.shape``."""
        alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
        x_inf = alpha / (alpha + beta)
        return np.prod(x_inf ** np.reshape(self.exponents, (-1,) + (1,) * (x_inf.ndim - 1)), 0)

    def open_autocorrelation(
        self, alpha: ArrayLike, beta: ArrayLike, lags: ArrayLike
    ) -> FloatArray:
        """Normalised autocorrelation of the open count at *lags* (ms), shape ``lags.shape``.

        *alpha*, *beta*: shape ``(G,)`` (one voltage), 1/ms.
        """
        alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
        lags = np.asarray(lags, float)
        x_inf, rate = alpha / (alpha + beta), alpha + beta
        q = np.ones_like(lags)
        for g, p in enumerate(self.exponents):
            q = q * (x_inf[g] + (1 - x_inf[g]) * np.exp(-lags * rate[g])) ** p
        p_open = float(np.prod(x_inf ** np.asarray(self.exponents)))
        return (q - p_open) / (1 - p_open)


def scheme_for(channel: Channel) -> KineticScheme:
    """The kinetic scheme of *channel* (module docstring).

    Raises
    ------
    HHBrianInputError
        If the channel has no gates or an instantaneous gate.
    """
    if not channel.gates:
        raise HHBrianInputError(f"channel {channel.name} has no gates, so no channel states")
    for gate in channel.gates:
        if gate.form == INSTANTANEOUS:
            raise HHBrianInputError(
                f"channel {channel.name}: gate {gate.name} is instantaneous, which has no "
                "kinetic scheme of channel states; give it alpha/beta or inf/tau kinetics"
            )
    exponents = tuple(int(g.exponent) for g in channel.gates)
    states = tuple(itertools.product(*(range(p + 1) for p in exponents)))
    index = {s: k for k, s in enumerate(states)}
    rows = []
    for s, counts in enumerate(states):
        for g, (k, p) in enumerate(zip(counts, exponents, strict=True)):
            if k < p:
                up = counts[:g] + (k + 1,) + counts[g + 1 :]
                rows.append((s, index[up], g, p - k, True))
            if k > 0:
                down = counts[:g] + (k - 1,) + counts[g + 1 :]
                rows.append((s, index[down], g, k, False))
    source, target, gate, mult, opening = (np.array(c) for c in zip(*rows, strict=True))
    return KineticScheme(
        channel=channel.name,
        gates=tuple(g.name for g in channel.gates),
        exponents=exponents,
        states=states,
        source=source.astype(np.intp),
        target=target.astype(np.intp),
        gate=gate.astype(np.intp),
        multiplicity=mult.astype(np.int64),
        opening=opening.astype(bool),
    )


__all__ = ["KineticScheme", "scheme_for"]
