"""Checked inputs of a voltage clamp: clamp voltages, times, level ranges, the series
resistance, and a time step that puts every edge on the grid.

Every check raises :class:`~hh_brian.core.errors.HHBrianInputError` naming the
parameter (``hold``, ``series_resistance``, ...); the command line shows its flag.
"""

from __future__ import annotations

import math

import numpy as np
from brian2 import Quantity, get_dimensions, metre, mV, ohm, second, volt

from hh_brian.core.errors import HHBrianInputError

#: At most this many sweeps (one neuron each).
MAX_SWEEPS = 2000
_RANGE_EXAMPLE = "'-80*mV:40*mV:10*mV'"


def check_voltage(value: object, what: str) -> Quantity:
    """A single finite voltage, or :class:`HHBrianInputError` naming *what*."""
    if get_dimensions(value) is not get_dimensions(volt):
        if get_dimensions(value) is get_dimensions(1) and np.ndim(value) == 0:
            shown = f"{float(np.asarray(value)):g} has no units"
        else:
            shown = f"{value!r} is not a voltage"
        raise HHBrianInputError(f"{what}: {shown}; give a clamp voltage with units, e.g. '-65*mV'")
    if np.ndim(value) != 0 or not math.isfinite(float(np.asarray(value))):
        raise HHBrianInputError(f"{what}: expected one finite voltage, got {value!r}")
    return Quantity(value)


def check_duration(value: object, what: str) -> Quantity:
    """A single positive finite time, or :class:`HHBrianInputError` naming *what*."""
    if get_dimensions(value) is not get_dimensions(second):
        raise HHBrianInputError(
            f"{what}: {value!r} is not a time; give it with units, e.g. '10*ms'"
        )
    magnitude = float(np.asarray(value)) if np.ndim(value) == 0 else float("nan")
    if not math.isfinite(magnitude) or magnitude <= 0:
        raise HHBrianInputError(f"{what}: expected one positive finite time, got {value!r}")
    return Quantity(value)


def voltage_range(start: object, stop: object, step: object, what: str = "levels") -> Quantity:
    """``start, start + step, ..., stop`` (stop included when it lies on the grid) (volt).

    *what* names the range in error messages (the command line passes its flag).

    >>> voltage_range(-80 * mV, -60 * mV, 10 * mV)
    array([-80., -70., -60.]) * mvolt

    Each value is ``start + k*step`` computed in mV and converted once, so a level
    that is a whole number of mV is exact (e.g. 50 mV equals ``50*mV`` bit for bit).

    Raises
    ------
    HHBrianInputError
        If a value has no voltage units, STEP is not positive, STOP is below START,
        or the range holds more than :data:`MAX_SWEEPS` levels.
    """
    a, b, s = (
        float(check_voltage(v, f"{what} {name}") / mV)
        for v, name in ((start, "START"), (stop, "STOP"), (step, "STEP"))
    )
    if s <= 0:
        raise HHBrianInputError(
            f"{what}: STEP must be positive, got {s:g} mV; e.g. {_RANGE_EXAMPLE}"
        )
    if b < a:
        raise HHBrianInputError(
            f"{what}: STOP {b:g} mV is below START {a:g} mV (reversed range); swap them"
        )
    count = int(math.floor((b - a) / s + 1e-9)) + 1
    if count > MAX_SWEEPS:
        raise HHBrianInputError(
            f"{what}: {count} levels is more than {MAX_SWEEPS}; use a larger STEP"
        )
    return (a + s * np.arange(count)) * mV


def specific_series_resistance(model, resistance: object) -> Quantity:
    """The series resistance as a specific resistance (ohm*metre**2), checked.

    A model with an ``area`` takes a resistance (ohm, e.g. ``10*Mohm``) or a
    specific resistance; a density model takes only a specific resistance
    (``ohm*cm**2``, e.g. ``1*kohm*cm**2``), since a resistance needs an area.

    Raises
    ------
    HHBrianInputError
        For other units, a value that is not one finite number, or R_s <= 0.
    """
    dims = get_dimensions(resistance)
    if dims is get_dimensions(ohm) and model.has_area:
        specific = Quantity(resistance) * model.area
    elif dims is get_dimensions(ohm * metre**2):
        specific = Quantity(resistance)
    else:
        if dims is get_dimensions(ohm):
            expected = (
                f"model {model.name!r} has no area, so give a specific resistance such as "
                "'1*kohm*cm**2' (or give the model an area)"
            )
        elif model.has_area:
            expected = (
                "expected a resistance such as '10*Mohm' or a specific one such as '1*kohm*cm**2'"
            )
        else:
            expected = "expected a specific resistance such as '1*kohm*cm**2'"
        raise HHBrianInputError(
            f"series_resistance: {resistance!r} has the wrong units; {expected}"
        )
    value = float(np.asarray(specific)) if np.ndim(specific) == 0 else float("nan")
    if not math.isfinite(value) or value <= 0:
        raise HHBrianInputError(
            f"series_resistance: must be positive and finite, got {resistance!r}; an ideal "
            "clamp has no series resistance (leave it out)"
        )
    return specific


__all__ = [
    "MAX_SWEEPS",
    "check_duration",
    "check_voltage",
    "specific_series_resistance",
    "voltage_range",
]
