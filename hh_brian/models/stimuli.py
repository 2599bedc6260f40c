"""Injected-current stimuli by name, from Python, from command-line text and from files.

Kinds (:data:`STIMULUS_KINDS`) and their parameters, the same names on the command
line (``KIND:NAME=EXPR,...``) and in protocol files:

=================  ==========================================================
``constant``       ``amplitude``
``step``           ``amplitude, onset, offset`` (``baseline``)
``pulses``         ``amplitude, width, period, onset, count``
``ramp``           ``start, stop, onset, offset``
``sine``           ``amplitude, frequency, bias, onset, offset`` (``phase``)
``noise``          ``mean, std, tau, seed`` (Ornstein-Uhlenbeck)
``lecture_noise``  ``seed`` (``mean, scale``): Lecture 7's smoothed noise
``file``           ``path, unit``: a CSV (``t_ms`` + current) or NPZ (``t_ms``, ``I``)
``sampled``        Python only: ``values`` with ``dt`` or ``times``
=================  ==========================================================

How each kind is read inside a time step, and why its edges must lie on the time
grid, is described in :mod:`hh_brian.models.stimulus_base`; several stimuli add
(:mod:`hh_brian.models.drive`).
"""

from __future__ import annotations

import numpy as np
from brian2 import get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import evaluate
from hh_brian.models.lecture_noise import (
    NOISE_KERNEL_HALF_SPAN,
    NOISE_KERNEL_WIDTH2,
    NOISE_MEAN,
    NOISE_SCALE,
    NOISE_SEED,
    lecture_noise,
)
from hh_brian.models.stimulus_base import Stimulus
from hh_brian.models.stimulus_file import load_waveform
from hh_brian.models.stimulus_kinds import Constant, PulseTrain, Sampled, Step
from hh_brian.models.stimulus_smooth import CorrelatedNoise, OUNoise, Ramp, Sine

#: Stimulus kinds by name.
STIMULUS_KINDS: dict[str, type[Stimulus]] = {
    "constant": Constant,
    "step": Step,
    "pulses": PulseTrain,
    "ramp": Ramp,
    "sine": Sine,
    "noise": OUNoise,
    "lecture_noise": CorrelatedNoise,
    "sampled": Sampled,
}
#: Kinds built by a function rather than a class (name -> parameters).
FILE_KIND = "file"
_INTEGERS = frozenset({"seed", "count"})
_NUMBERS = frozenset({"phase"})
_TEXT = frozenset({"path", "unit"})
_EXAMPLE = "'step:amplitude=10*uA/cm**2,onset=5*ms,offset=6*ms'"


def kind_of(stimulus: Stimulus) -> str:
    """The registry name of *stimulus*'s kind."""
    return stimulus.kind


def _known() -> list[str]:
    return [*STIMULUS_KINDS, FILE_KIND]


def make_stimulus(kind: str, **parameters: object) -> Stimulus:
    """Build a stimulus by kind name, e.g. ``make_stimulus('step', amplitude=10*uA/cm**2)``.

    Raises
    ------
    HHBrianInputError
        For an unknown kind (with the closest names) or unknown, missing or
        invalid parameters.
    """
    if kind == FILE_KIND:
        unknown = set(parameters) - {"path", "unit"}
        if unknown or "path" not in parameters:
            raise HHBrianInputError(
                f"file stimulus: takes path= and unit=, got {sorted(parameters)}; e.g. "
                "'file:path=input.csv,unit=uA/cm**2'"
            )
        return load_waveform(str(parameters["path"]), parameters.get("unit"))  # type: ignore[arg-type]
    if kind not in STIMULUS_KINDS:
        raise HHBrianInputError(
            f"unknown stimulus kind {kind!r}.{closest_names(kind, _known())} "
            f"Valid kinds: {', '.join(_known())}"
        )
    try:
        return STIMULUS_KINDS[kind](**parameters)
    except TypeError as exc:
        raise HHBrianInputError(f"{kind} stimulus: {exc}; e.g. {_EXAMPLE}") from None


def _value(kind: str, name: str, value: object) -> object:
    """Evaluate one parameter given as text (expressions with units; integers; paths)."""
    if not isinstance(value, str) or name in _TEXT:
        return value
    number = evaluate(value, what=f"{kind} stimulus {name}", example="'10*ms'")
    if name in _INTEGERS or name in _NUMBERS:
        if get_dimensions(number) is not DIMENSIONLESS or np.ndim(number):
            raise HHBrianInputError(
                f"{kind} stimulus {name}: expected a plain number, got {value!r}"
            )
        magnitude = float(number)
        if name in _INTEGERS:
            if not magnitude.is_integer():
                raise HHBrianInputError(
                    f"{kind} stimulus {name}: expected an integer, got {value!r}"
                )
            return int(magnitude)
        return magnitude
    return number


def stimulus_from_mapping(kind: str, parameters: dict[str, object]) -> Stimulus:
    """Build a stimulus from parameter text or values (protocol files, the CLI)."""
    return make_stimulus(kind, **{k: _value(kind, k, v) for k, v in parameters.items()})


def parse_stimulus(text: str) -> Stimulus:
    """Parse ``KIND:NAME=EXPR,NAME=EXPR`` (command-line text).

    >>> parse_stimulus("step:amplitude=10*uA/cm**2,onset=5*ms").describe()
    'step 10 uA/cm^2 from 5 ms'

    Raises
    ------
    HHBrianInputError
        For malformed text, an unknown kind or an invalid parameter.
    """
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip()
    parameters: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise HHBrianInputError(
                f"stimulus {text!r}: expected KIND:NAME=EXPR,..., e.g. {_EXAMPLE}"
            )
        if name.strip() in parameters:
            raise HHBrianInputError(f"stimulus {text!r}: {name.strip()} given twice")
        parameters[name.strip()] = value.strip()
    if kind not in _known():
        make_stimulus(kind)  # raises with the list of kinds
    if kind == "sampled":
        raise HHBrianInputError(
            "stimulus 'sampled' needs an array; on the command line use "
            "'file:path=FILE.csv,unit=uA/cm**2'"
        )
    return stimulus_from_mapping(kind, parameters)


__all__ = [
    "FILE_KIND",
    "NOISE_KERNEL_HALF_SPAN",
    "NOISE_KERNEL_WIDTH2",
    "NOISE_MEAN",
    "NOISE_SCALE",
    "NOISE_SEED",
    "STIMULUS_KINDS",
    "Constant",
    "CorrelatedNoise",
    "OUNoise",
    "PulseTrain",
    "Ramp",
    "Sampled",
    "Sine",
    "Step",
    "Stimulus",
    "kind_of",
    "lecture_noise",
    "load_waveform",
    "make_stimulus",
    "parse_stimulus",
    "stimulus_from_mapping",
]
