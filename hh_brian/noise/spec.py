"""Which channel noise, with which seed and integration scheme; the checks of both.

Noise models (one citation each):

``markov``
    the full kinetic scheme of channel states, sampled in the NumPy engine
    (:mod:`hh_brian.noise.markov`; Chow & White 1996, Biophys J 71:3013,
    doi:10.1016/S0006-3495(96)79494-8);
``langevin``
    the channel-state Langevin equations with the exact diffusion matrix, in Brian2
    (:mod:`hh_brian.noise.langevin`; Orio & Soudry 2012, doi:10.1371/journal.pone.0036670;
    Goldwyn & Shea-Brown 2011, doi:10.1371/journal.pcbi.1002247);
``subunit``
    noise on the gates (Fox & Lu 1994, doi:10.1103/PhysRevE.49.3421), with
    :data:`SUBUNIT_WARNING`;
``none``
    the deterministic model.
"""

from __future__ import annotations

from dataclasses import dataclass

from hh_brian.core.errors import HHBrianInputError

MARKOV, LANGEVIN, SUBUNIT, NONE = "markov", "langevin", "subunit", "none"
NOISE_MODELS = (MARKOV, LANGEVIN, SUBUNIT, NONE)
#: Brian2 scheme of the stochastic models (Stratonovich heun with the Ito drift correction).
SDE_METHOD = "heun"
#: Name of the Markov model's fixed-step scheme (recorded as the run's method).
MARKOV_METHOD = "markov_binomial"

SUBUNIT_WARNING = (
    "subunit (gate) noise misrepresents the statistics of the channel conductance: the "
    "gates of a channel are not independent across the population, so the open fraction "
    "fluctuates too little and on the wrong time scales (Goldwyn & Shea-Brown 2011, "
    "doi:10.1371/journal.pcbi.1002247); use markov or langevin for quantitative work"
)


@dataclass(frozen=True)
class ChannelNoise:
    """A noise model and its seed (the run is reproducible from the seed)."""

    kind: str
    seed: int = 0

    @property
    def is_noisy(self) -> bool:
        return self.kind != NONE

    def describe(self) -> dict[str, object]:
        """For a run's metadata."""
        return {"model": self.kind, "seed": self.seed, "method": noise_method(self.kind)}


def parse_seed(value: object) -> int:
    """A seed as a non-negative integer (int or decimal text).

    >>> parse_seed("7")
    7
    """
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise HHBrianInputError(
            f"seed: {value!r} is not a non-negative integer; give one such as 0 or 12345"
        )
    return int(text)


def parse_noise(kind: str, seed: object = 0) -> ChannelNoise:
    """Check the noise model's name and the seed."""
    if kind not in NOISE_MODELS:
        raise HHBrianInputError(
            f"channel noise: unknown model {kind!r}; use one of {', '.join(NOISE_MODELS)}"
        )
    return ChannelNoise(kind, parse_seed(seed))


def noise_method(kind: str) -> str | None:
    """The integration scheme a noise model runs with (None without noise)."""
    return {MARKOV: MARKOV_METHOD, LANGEVIN: SDE_METHOD, SUBUNIT: SDE_METHOD}.get(kind)


def check_noise_method(kind: str, method: str | None) -> str | None:
    """The scheme to use for *kind*; refuse a deterministic method asked for with noise.

    Raises
    ------
    HHBrianInputError
        For any method but the noise model's own (``exponential_euler`` and
        ``rush_larsen2`` do not integrate noise terms at all).
    """
    own = noise_method(kind)
    if own is None or method is None or method == own:
        return own
    why = (
        "it has no noise term (Brian2 integrates xi only with stochastic schemes)"
        if method in ("exponential_euler", "rush_larsen2")
        else "it is not the noise model's scheme"
    )
    raise HHBrianInputError(
        f"method {method!r} cannot integrate {kind} channel noise: {why}; leave the method "
        f"unset, or give {own!r}"
    )


__all__ = [
    "ChannelNoise",
    "LANGEVIN",
    "MARKOV",
    "NOISE_MODELS",
    "NONE",
    "SUBUNIT",
    "SUBUNIT_WARNING",
    "check_noise_method",
    "noise_method",
    "parse_noise",
    "parse_seed",
]
