"""The piecewise-constant (``held``) stimulus kinds: constant, step, pulses, sampled.

Each is held at its value at the start of every time step, and each jump (an
*edge*) must fall on the time grid; see :mod:`hh_brian.models.stimulus_base`.
The smooth kinds are in :mod:`hh_brian.models.stimulus_smooth`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, second

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.stimulus_base import (
    Stimulus,
    as_current,
    as_time,
    edge_list,
    fmt_current,
    fmt_time,
    si,
    unit_of,
    window,
)


def _columns(*values: Quantity) -> int:
    shape = np.broadcast(*(np.asarray(v) for v in values)).shape
    return int(shape[0]) if shape else 1


@dataclass(frozen=True, eq=False)
class Constant(Stimulus):
    """A constant current; an array of amplitudes gives one column per neuron."""

    kind_name = "constant"

    amplitude: Quantity

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", as_current(self.amplitude, "constant amplitude"))

    @property
    def unit(self) -> Quantity:
        return unit_of(self.amplitude)

    @property
    def columns(self) -> int:
        return _columns(self.amplitude)

    def _shape(self, t, dt, n_steps):
        amp_ = si(self.amplitude)
        return np.broadcast_to(amp_, (t.size, *amp_.shape)).copy()

    def describe(self) -> str:
        return f"constant {fmt_current(self.amplitude)}"


@dataclass(frozen=True, eq=False)
class Step(Stimulus):
    """``amplitude`` on ``[onset, offset)``, ``baseline`` elsewhere (offset None: never off)."""

    kind_name = "step"

    amplitude: Quantity
    onset: Quantity = field(default_factory=lambda: 0 * ms)
    offset: Quantity | None = None
    baseline: Quantity | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", as_current(self.amplitude, "step amplitude"))
        base = 0 * self.amplitude if self.baseline is None else self.baseline
        object.__setattr__(self, "baseline", as_current(base, "step baseline"))
        unit_of(self.amplitude, self.baseline)
        object.__setattr__(self, "onset", as_time(self.onset, "step onset"))
        if self.offset is not None:
            object.__setattr__(self, "offset", as_time(self.offset, "step offset"))
            if self.offset <= self.onset:
                raise HHBrianInputError(
                    f"step: offset {self.offset!r} must come after onset {self.onset!r}; "
                    "give a later offset"
                )

    @property
    def unit(self) -> Quantity:
        return unit_of(self.amplitude, self.baseline)

    @property
    def columns(self) -> int:
        return _columns(self.amplitude, self.baseline)

    def edges(self, duration):
        return edge_list(self.onset, self.offset, duration=duration)

    def _shape(self, t, dt, n_steps):
        on = window(t, float(dt / second), self.onset, self.offset)
        amp_, base = si(self.amplitude), si(self.baseline)
        shape = np.broadcast(amp_, base).shape
        return np.where(on.reshape(-1, *([1] * len(shape))), amp_, base)

    def describe(self) -> str:
        stop = "" if self.offset is None else f" to {fmt_time(self.offset)}"
        return f"step {fmt_current(self.amplitude)} from {fmt_time(self.onset)}{stop}"


@dataclass(frozen=True, eq=False)
class PulseTrain(Stimulus):
    """Rectangular pulses of ``width`` every ``period`` from ``onset``.

    ``count`` pulses, or endless when None.  A pulse wider than its period is
    refused (the pulses would overlap).
    """

    kind_name = "pulses"

    amplitude: Quantity
    width: Quantity
    period: Quantity
    onset: Quantity = field(default_factory=lambda: 0 * ms)
    count: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", as_current(self.amplitude, "pulse amplitude"))
        object.__setattr__(self, "width", as_time(self.width, "pulse width", positive=True))
        object.__setattr__(self, "period", as_time(self.period, "pulse period", positive=True))
        object.__setattr__(self, "onset", as_time(self.onset, "pulse onset"))
        if self.width > self.period:
            raise HHBrianInputError(
                f"pulses: width {self.width!r} exceeds period {self.period!r}; shorten the "
                "width or lengthen the period"
            )
        if self.count is not None:
            if isinstance(self.count, bool) or not isinstance(self.count, int | np.integer):
                raise HHBrianInputError(f"pulses: count must be an integer, got {self.count!r}")
            if int(self.count) < 1:
                raise HHBrianInputError(f"pulses: count must be >= 1, got {self.count}")

    @property
    def unit(self) -> Quantity:
        return unit_of(self.amplitude)

    @property
    def columns(self) -> int:
        return _columns(self.amplitude)

    def edges(self, duration):
        span = float((duration - self.onset) / self.period)
        n = int(np.ceil(span)) + 1 if self.count is None else int(self.count)
        starts = float(self.onset / second) + np.arange(max(n, 0)) * float(self.period / second)
        times = np.concatenate((starts, starts + float(self.width / second)))
        times = times[(times > 0) & (times < float(duration / second))]
        return np.unique(times)

    def _shape(self, t, dt, n_steps):
        half = 0.5 * float(dt / second)
        since = t + half - float(self.onset / second)
        period = float(self.period / second)
        index = np.floor(since / period)
        on = (since >= 0) & (since - index * period < float(self.width / second))
        if self.count is not None:
            on &= index < int(self.count)
        amp_ = si(self.amplitude)
        return np.where(on.reshape(-1, *([1] * amp_.ndim)), amp_, 0.0) * np.ones_like(amp_)

    def describe(self) -> str:
        count = "" if self.count is None else f" x{int(self.count)}"
        return (
            f"pulses {fmt_current(self.amplitude)}, {fmt_time(self.width)} every "
            f"{fmt_time(self.period)} from {fmt_time(self.onset)}{count}"
        )


@dataclass(frozen=True, eq=False)
class Sampled(Stimulus):
    """A sampled waveform, held from each sample time to the next.

    Give either ``dt`` (samples every ``dt`` from 0) or ``times`` (strictly
    increasing, seconds as a Quantity).  Sample ``j`` holds on
    ``[times[j], times[j+1])``; the last holds to the end of the run and the
    current is 0 before the first.  Rows are time; optional columns are neurons.
    """

    kind_name = "sampled"

    values: Quantity
    dt: Quantity | None = None
    times: Quantity | None = None

    def __post_init__(self) -> None:
        values = as_current(self.values, "sampled values")
        if values.ndim not in (1, 2) or values.shape[0] < 1:
            raise HHBrianInputError(
                f"sampled: values must be 1-D (time) or 2-D (time, neuron), got shape "
                f"{values.shape}"
            )
        object.__setattr__(self, "values", values)
        if (self.dt is None) == (self.times is None):
            raise HHBrianInputError("sampled: give exactly one of dt and times")
        if self.dt is not None:
            step = as_time(self.dt, "sampled dt", positive=True)
            object.__setattr__(self, "dt", step)
            times = np.arange(values.shape[0]) * float(step / second)
        else:
            times = np.asarray(self.times / second, dtype=float).ravel()
            if times.size != values.shape[0]:
                raise HHBrianInputError(
                    f"sampled: {times.size} times but {values.shape[0]} values; give one time "
                    "per sample"
                )
            if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
                raise HHBrianInputError(
                    "sampled: times must be finite, non-negative and strictly increasing"
                )
        object.__setattr__(self, "times", times * second)

    @property
    def unit(self) -> Quantity:
        return unit_of(self.values)

    @property
    def columns(self) -> int:
        return 1 if self.values.ndim == 1 else int(self.values.shape[1])

    def _index(self, t: np.ndarray, dt: float) -> np.ndarray:
        return np.searchsorted(np.asarray(self.times), t + 0.5 * dt, side="right") - 1

    def edges(self, duration):
        times = np.asarray(self.times)
        values = si(self.values).reshape(times.size, -1)
        change = np.r_[np.any(values[0] != 0), np.any(values[1:] != values[:-1], axis=1)]
        chosen = times[change]
        return chosen[(chosen > 0) & (chosen < float(duration / second))]

    def _shape(self, t, dt, n_steps):
        index = self._index(t, float(dt / second))
        values = si(self.values)
        held = values[np.clip(index, 0, values.shape[0] - 1)]
        before = (index < 0).reshape(-1, *([1] * (values.ndim - 1)))
        return np.where(before, 0.0, held)

    def describe(self) -> str:
        return f"sampled waveform ({self.values.shape[0]} samples)"


__all__ = ["Constant", "PulseTrain", "Sampled", "Step"]
