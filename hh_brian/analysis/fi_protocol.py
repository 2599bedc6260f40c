"""The f-I protocol's constants and the checks of its inputs (hold, currents).

Rates are measured over the last :data:`MEASURE_FRACTION` of the hold from
:data:`SPIKES_FOR_A_RATE` or more upward crossings of the oscillation's midline;
:func:`check_measurement` refuses a hold too short to resolve ``min_rate``
(see :mod:`hh_brian.analysis.fi_curve`).
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, Quantity, get_dimensions, ms, second

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.brian2.simulate import coerce_current
from hh_brian.models.presets import Preset

#: Spikes fired at the priming current before a down-sweep neuron is switched.
PRIME_SPIKES = 3
#: Fraction of the hold over which the steady-state rate is measured.
MEASURE_FRACTION = 0.5
#: Midline crossings (one per cycle) needed in the window to give a rate.
SPIKES_FOR_A_RATE = 2
#: Slowest rate a measurement must resolve unless told otherwise: the window must span
#: SPIKES_FOR_A_RATE periods of it (100 ms, i.e. a hold of at least 200 ms).
MIN_RATE = 20 * Hz
POPULATIONS = ("up", "down", "step")
#: v is recorded in the measurement window at this step (rounded up to a multiple of dt):
#: >= 100 samples per period of the squid axon's fastest oscillation (~170 Hz), so a
#: peak-to-trough amplitude is read to ~0.05 % (cos(pi/100) ~ 1 - 5e-4).
RECORD_DT = 0.05 * ms
#: At most this many recorded samples in all (8 bytes each): a longer window or more
#: neurons coarsen the step instead.
MAX_RECORDED_SAMPLES = 20_000_000


def record_step(dt: Quantity, n_neurons: int, duration: Quantity) -> Quantity:
    """Step at which v is recorded over the measurement window of a *duration* hold.

    :data:`RECORD_DT`, or coarser when *n_neurons* times the window's samples would
    exceed :data:`MAX_RECORDED_SAMPLES`; always a whole multiple of *dt*.

    >>> record_step(0.01 * ms, 3, 500 * ms)
    50. * usecond
    >>> record_step(0.01 * ms, 30000, 500 * ms)
    0.38 * msecond
    """
    window = float(MEASURE_FRACTION * duration / second)
    wanted = max(float(RECORD_DT / second), window * n_neurons / MAX_RECORDED_SAMPLES)
    steps = max(1, int(np.ceil(wanted / float(dt / second) - 1e-9)))
    return steps * dt


def check_measurement(
    duration: Quantity, min_rate: Quantity = MIN_RATE, *, what: str = "duration"
) -> Quantity:
    """Refuse a hold whose window cannot hold ``SPIKES_FOR_A_RATE`` periods of *min_rate*.

    Returns the shortest acceptable hold.

    >>> check_measurement(500 * ms)
    200. * msecond
    """
    if get_dimensions(min_rate) is not get_dimensions(Hz) or not float(min_rate / Hz) > 0:
        raise HHBrianInputError(f"min_rate: must be a positive rate, got {min_rate!r}; e.g. 20*Hz")
    shortest = SPIKES_FOR_A_RATE / (MEASURE_FRACTION * min_rate)
    window = MEASURE_FRACTION * duration
    if float(duration / second) < float(shortest / second) * (1 - 1e-9):
        raise HHBrianInputError(
            f"{what}: {float(duration / ms):g} ms leaves a {float(window / ms):g} ms measurement "
            f"window (the last {MEASURE_FRACTION:.0%} of the hold); a rate needs "
            f"{SPIKES_FOR_A_RATE} spikes there, i.e. {SPIKES_FOR_A_RATE} periods of the slowest "
            f"rate to resolve ({float(min_rate / Hz):g} Hz); use {what} "
            f"{float(shortest / ms):g}*ms or longer"
        )
    return shortest


def check_currents(preset: Preset, currents: Quantity) -> Quantity:
    """Validate a 1-D, non-empty, finite, strictly increasing array of currents."""
    values = Quantity(currents)
    coerce_current(preset, values, what="currents")  # units only
    if values.ndim != 1 or values.size == 0:
        raise HHBrianInputError(
            f"currents: expected a non-empty 1-D array, got shape {values.shape}; "
            "e.g. np.arange(0, 20, 0.5)*uA/cm**2"
        )
    magnitudes = np.asarray(values)
    if not np.all(np.isfinite(magnitudes)):
        raise HHBrianInputError("currents: contain NaN or Inf; give finite values")
    if np.any(np.diff(magnitudes) <= 0):
        raise HHBrianInputError("currents: must be strictly increasing; sort them")
    return values


__all__ = [
    "MEASURE_FRACTION",
    "MIN_RATE",
    "POPULATIONS",
    "PRIME_SPIKES",
    "MAX_RECORDED_SAMPLES",
    "RECORD_DT",
    "SPIKES_FOR_A_RATE",
    "check_currents",
    "check_measurement",
    "record_step",
]
