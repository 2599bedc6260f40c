"""One entry point for a noisy current-clamp run, and an engine-like runner for the CLI.

``markov`` runs in the NumPy engine (:mod:`hh_brian.noise.markov`), ``langevin`` and
``subunit`` in Brian2 (:mod:`hh_brian.noise.brian2_run`), ``none`` is refused here
(use the deterministic engines).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from brian2 import Quantity, ms

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.trace import SimulationResult
from hh_brian.models.cell import CellModel
from hh_brian.noise.counts import check_noise_model
from hh_brian.noise.spec import (
    MARKOV,
    SUBUNIT,
    SUBUNIT_WARNING,
    ChannelNoise,
    check_noise_method,
    noise_method,
)


class ChannelNoiseWarning(UserWarning):
    """A noise model used outside its validity (subunit noise)."""


def simulate_noisy(
    preset: CellModel,
    noise: ChannelNoise,
    *,
    current: object,
    duration: Quantity,
    dt: Quantity = 0.01 * ms,
    n_neurons: int | None = None,
    record: bool | list[int] = True,
    initial_state: dict[str, Quantity] | None = None,
) -> SimulationResult:
    """Run *preset* with channel noise *noise* (see the module docstring).

    Raises
    ------
    HHBrianInputError
        Without noise, or for a model that cannot carry it
        (:func:`hh_brian.noise.counts.check_noise_model`).
    """
    if not noise.is_noisy:
        raise HHBrianInputError("channel noise 'none' runs on the deterministic engines")
    check_noise_model(preset)
    options = dict(
        current=current,
        duration=duration,
        dt=dt,
        seed=noise.seed,
        n_neurons=n_neurons,
        record=record,
        initial_state=initial_state,
    )
    if noise.kind == MARKOV:
        from hh_brian.noise.markov import simulate_markov

        return simulate_markov(preset, **options)
    if noise.kind == SUBUNIT:
        warnings.warn(SUBUNIT_WARNING, ChannelNoiseWarning, stacklevel=2)
    from hh_brian.noise.brian2_run import simulate_sde

    return simulate_sde(preset, kind=noise.kind, **options)


@dataclass(frozen=True)
class NoiseRunner:
    """The engine interface of :mod:`hh_brian.engines.registry` for a noisy run."""

    noise: ChannelNoise
    package: None = None
    install_hint: str = ""

    @property
    def name(self) -> str:
        return "reference" if self.noise.kind == MARKOV else "brian2"

    @property
    def methods(self) -> tuple[str, ...]:
        return (noise_method(self.noise.kind),)

    def cannot_express(self, model: CellModel) -> str | None:
        try:
            check_noise_model(model)
        except HHBrianInputError as exc:
            return str(exc)
        return None

    def run(self, model, *, current, duration, dt, method=None, **options):
        check_noise_method(self.noise.kind, method)
        ignored = ("initial_state", "progress")
        unsupported = sorted(k for k, v in options.items() if v and k not in ignored)
        if unsupported:
            raise HHBrianInputError(
                f"channel noise runs do not support {', '.join(unsupported)} yet; "
                "drop them or run without noise"
            )
        return simulate_noisy(
            model,
            self.noise,
            current=current,
            duration=duration,
            dt=dt,
            initial_state=options.get("initial_state"),
        )


__all__ = ["ChannelNoiseWarning", "NoiseRunner", "simulate_noisy"]
