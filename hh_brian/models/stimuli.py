"""Injected-current stimuli with units, for Brian2 and for the NumPy reference engine.

Every stimulus is a physical current (positive depolarises, in either voltage
convention) given either as a density (``uA/cm**2``) or, for presets with an
``area``, as an absolute current (``nA``).  A stimulus is *sampled on the
simulation grid*: sample ``k`` holds on ``[k*dt, (k+1)*dt)`` and there are
``n_steps + 1`` samples (the extra one serves RK4's last half step, as in the
lecture).  From the samples it builds

* a Brian2 :class:`~brian2.TimedArray` for
  ``hh_brian.engines.brian2.simulate.simulate(..., current=TimedArray)`` (2-D: one column per
  neuron), in the units the preset's equations take
  (:func:`hh_brian.models.currents.coerce_current`), and
* a plain float array in uA/cm^2 for :mod:`hh_brian.engines.reference`.

Kinds: ``constant``, ``step``, ``ramp``, ``pulses``, ``sampled`` and the
lecture's correlated ``noise`` (Lecture 7, "Results from some example
protocol").

The kinds are classes in :mod:`hh_brian.models.stimulus_kinds` and the lecture's
noise sequence is in :mod:`hh_brian.models.lecture_noise` (both re-exported here);
this module builds a stimulus from its kind name or from command-line text.
"""

from __future__ import annotations

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.models.lecture_noise import (
    NOISE_KERNEL_HALF_SPAN,
    NOISE_KERNEL_WIDTH2,
    NOISE_MEAN,
    NOISE_SCALE,
    NOISE_SEED,
    lecture_noise,
)
from hh_brian.models.stimulus_kinds import (
    STIMULUS_KINDS,
    Constant,
    CorrelatedNoise,
    PulseTrain,
    Ramp,
    Sampled,
    Step,
    Stimulus,
)


def make_stimulus(kind: str, **parameters: object) -> Stimulus:
    """Build a stimulus by kind name, e.g. ``make_stimulus('step', amplitude=10*uA/cm**2)``."""
    if kind not in STIMULUS_KINDS:
        from hh_brian.core.errors import closest_names

        raise HHBrianInputError(
            f"unknown stimulus kind {kind!r}.{closest_names(kind, STIMULUS_KINDS)} "
            f"Valid kinds: {', '.join(STIMULUS_KINDS)}"
        )
    try:
        return STIMULUS_KINDS[kind](**parameters)
    except TypeError as exc:
        raise HHBrianInputError(f"{kind} stimulus: {exc}") from None


def parse_stimulus(text: str) -> Stimulus:
    """Parse ``KIND:NAME=EXPR,NAME=EXPR`` from the command line.

    >>> parse_stimulus("step:amplitude=10*uA/cm**2,onset=5*ms").describe()
    'step 10 uA/cm^2 from 5 ms'
    """
    kind, _, rest = text.strip().partition(":")
    parameters: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise HHBrianInputError(
                f"stimulus {text!r}: expected KIND:NAME=EXPR,..., e.g. "
                "'step:amplitude=10*uA/cm**2,onset=5*ms'"
            )
        name = name.strip()
        parameters[name] = (
            int(value) if name in ("seed", "n_pulses") and value.strip().isdigit() else value
        )
    if kind not in STIMULUS_KINDS:
        make_stimulus(kind)  # raises with the list of kinds
    if kind == "sampled":
        raise HHBrianInputError("stimulus 'sampled' needs an array; build it with Sampled(...)")
    parsed = {
        k: (evaluate(v, what=f"stimulus {k}") if isinstance(v, str) else v)
        for k, v in parameters.items()
    }
    return make_stimulus(kind, **parsed)


__all__ = [
    "NOISE_KERNEL_HALF_SPAN",
    "NOISE_KERNEL_WIDTH2",
    "NOISE_MEAN",
    "NOISE_SCALE",
    "NOISE_SEED",
    "Constant",
    "CorrelatedNoise",
    "PulseTrain",
    "Ramp",
    "STIMULUS_KINDS",
    "Sampled",
    "Step",
    "Stimulus",
    "lecture_noise",
    "make_stimulus",
    "parse_stimulus",
]
