"""The time grid of a fixed-step run: dt and duration checked together."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, get_dimensions, ms, second

from hh_brian.core.errors import HHBrianInputError


def _shown(value: Quantity) -> str:
    """A time in ms (or the value as given if it is not a time), for messages."""
    if get_dimensions(value) is get_dimensions(second):
        return f"{float(value / ms):g}*ms"
    return repr(value)


def check_time_step(dt: Quantity, duration: Quantity) -> int:
    """Validate *dt* and *duration* (both times, positive, finite); return n_steps."""
    for name, value, example in (("dt", dt, "'0.01*ms'"), ("duration", duration, "'100*ms'")):
        if get_dimensions(value) is not get_dimensions(second):
            raise HHBrianInputError(
                f"{name}: {_shown(value)} is not a time; give it with units, e.g. {example}"
            )
        magnitude = float(value / second)
        if not np.isfinite(magnitude) or magnitude <= 0:
            raise HHBrianInputError(f"{name}: must be positive and finite, got {_shown(value)}")
    if dt > duration:
        raise HHBrianInputError(
            f"dt: {_shown(dt)} is longer than the duration {_shown(duration)}; use a smaller dt"
        )
    ratio = float(duration / dt)
    n_steps = int(round(ratio))
    if abs(ratio - n_steps) > 1e-9 * max(ratio, 1.0):
        raise HHBrianInputError(
            f"dt: {_shown(dt)} does not divide the duration {_shown(duration)} "
            f"({ratio:.6g} steps); "
            f"use a dt such as {float(duration / second) / max(n_steps, 1) * 1e3:.6g}*ms "
            "or change the duration"
        )
    return n_steps
