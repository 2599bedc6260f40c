"""The stimulus kinds: the :class:`Stimulus` base class and one class per kind.

Every stimulus is a physical current (positive depolarises, in either voltage
convention) given either as a density (``uA/cm**2``) or, for presets with an
``area``, as an absolute current (``nA``), sampled on the simulation grid (see
:mod:`hh_brian.models.stimuli`).  :data:`STIMULUS_KINDS` names the kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, TimedArray, amp, get_dimensions, meter, ms, second, uA
from brian2.units import cm
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import dimension_name, evaluate
from hh_brian.models.currents import check_time_step, coerce_current, current_quantity_unit
from hh_brian.models.lecture_noise import NOISE_MEAN, NOISE_SCALE, NOISE_SEED, lecture_noise
from hh_brian.models.presets import Preset

_DENSITY = get_dimensions(amp / meter**2)
_ABSOLUTE = get_dimensions(amp)
_EXAMPLE = "'10*uA/cm**2'"


def _current(value: object, what: str) -> Quantity:
    """Check *value* is a finite current density or current; return it as a Quantity."""
    if isinstance(value, str):
        value = evaluate(value, what=what, example=_EXAMPLE)
    quantity = Quantity(value)
    if get_dimensions(quantity) not in (_DENSITY, _ABSOLUTE):
        dims = get_dimensions(quantity)
        got = "has no units" if dims is DIMENSIONLESS else f"is {dimension_name(dims)}"
        raise HHBrianInputError(
            f"{what}: {value!r} {got}; expected a "
            f"current density such as {_EXAMPLE} (or a current such as '0.2*nA' for presets "
            "with an area)"
        )
    if not np.all(np.isfinite(np.asarray(quantity))):
        raise HHBrianInputError(f"{what}: {value!r} is not finite; e.g. {_EXAMPLE}")
    return quantity


def _time(value: object, what: str, *, positive: bool = False) -> Quantity:
    """Check *value* is a finite (non-negative, or positive) time."""
    if isinstance(value, str):
        value = evaluate(value, what=what, example="'10*ms'")
    if get_dimensions(value) is not get_dimensions(second) or np.ndim(value) != 0:
        raise HHBrianInputError(f"{what}: {value!r} is not a single time; e.g. '10*ms'")
    magnitude = float(value / second)
    if not np.isfinite(magnitude) or magnitude < 0 or (positive and magnitude == 0):
        kind = "positive" if positive else "non-negative"
        raise HHBrianInputError(f"{what}: must be {kind} and finite, got {value!r}")
    return Quantity(value)


@dataclass(frozen=True, eq=False)
class Stimulus:
    """Base class: a current sampled at ``t_k = k*dt``, ``k = 0..n_steps``.

    Subclasses implement :meth:`_shape`, the waveform in units of ``unit``
    (a current density or a current).
    """

    @property
    def kind(self) -> str:
        """Registry name of the stimulus (see :data:`STIMULUS_KINDS`)."""
        return _KIND_OF[type(self)]

    @property
    def unit(self) -> Quantity:
        """``amp/meter**2`` for densities, ``amp`` for absolute currents."""
        raise NotImplementedError

    def _shape(self, t: np.ndarray, dt: Quantity, n_steps: int) -> np.ndarray:
        raise NotImplementedError

    def samples(self, dt: Quantity, n_steps: int) -> Quantity:
        """The current at ``k*dt`` for ``k = 0..n_steps``.

        Returns
        -------
        Quantity
            Shape ``(n_steps + 1,)`` or ``(n_steps + 1, N)``; units of
            :attr:`unit` (A/m^2 or A).
        """
        t = np.arange(n_steps + 1) * float(dt / second)
        return Quantity(self._shape(t, dt, n_steps), dim=get_dimensions(self.unit))

    def timed_array(self, preset: Preset, dt: Quantity, duration: Quantity) -> TimedArray:
        """A Brian2 TimedArray (``dt`` = the simulation's) in the preset's current units."""
        n_steps = check_time_step(dt, duration)
        values = coerce_current(preset, self.samples(dt, n_steps), what=f"{self.kind} stimulus")
        unit = current_quantity_unit(preset)
        return TimedArray(np.asarray(values / unit) * unit, dt=dt)

    def values_uA_per_cm2(self, preset: Preset, dt: Quantity, n_steps: int) -> np.ndarray:
        """Plain floats in uA/cm^2 (a density) for :mod:`hh_brian.engines.reference`.

        Absolute currents are divided by the preset's area.
        """
        values = self.samples(dt, n_steps)
        if get_dimensions(values) is _ABSOLUTE:
            if not preset.has_area:
                coerce_current(preset, values, what=f"{self.kind} stimulus")  # raises
            values = values / preset.parameters["area"]
        return np.asarray(values / (uA / cm**2), dtype=np.float64)

    def describe(self) -> str:
        """One line for figure titles and file headers."""
        return self.kind


def _fmt(value: Quantity) -> str:
    """A current for titles: ``10 uA/cm^2`` or ``0.2 nA`` (arrays: their range)."""
    density = get_dimensions(value) is _DENSITY
    unit, label = (uA / cm**2, "uA/cm^2") if density else (amp * 1e-9, "nA")
    numbers = np.atleast_1d(np.asarray(value / unit, dtype=float))
    text = f"{numbers[0]:.4g}" if numbers.size == 1 else f"{numbers.min():.4g}..{numbers.max():.4g}"
    return f"{text} {label}"


def _unit_of(*currents: Quantity) -> Quantity:
    dims = {get_dimensions(c) for c in currents}
    if len(dims) > 1:
        raise HHBrianInputError(
            "stimulus: mixes current densities and absolute currents; give all values as "
            f"densities such as {_EXAMPLE}"
        )
    return amp / meter**2 if dims.pop() is _DENSITY else amp


def _si(value: Quantity) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Constant(Stimulus):
    """A constant current; an array of amplitudes gives one column per neuron."""

    amplitude: Quantity

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", _current(self.amplitude, "constant amplitude"))

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.amplitude)

    def _shape(self, t, dt, n_steps):
        amp_ = _si(self.amplitude)
        return np.broadcast_to(amp_, (t.size, *amp_.shape)).copy()

    def describe(self) -> str:
        return f"constant {_fmt(self.amplitude)}"


@dataclass(frozen=True, eq=False)
class Step(Stimulus):
    """``amplitude`` on ``[onset, offset)``, ``baseline`` elsewhere (offset None: never off)."""

    amplitude: Quantity
    onset: Quantity = field(default_factory=lambda: 0 * ms)
    offset: Quantity | None = None
    baseline: Quantity | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", _current(self.amplitude, "step amplitude"))
        base = 0 * self.amplitude if self.baseline is None else self.baseline
        object.__setattr__(self, "baseline", _current(base, "step baseline"))
        _unit_of(self.amplitude, self.baseline)
        object.__setattr__(self, "onset", _time(self.onset, "step onset"))
        if self.offset is not None:
            object.__setattr__(self, "offset", _time(self.offset, "step offset"))
            if self.offset <= self.onset:
                raise HHBrianInputError(
                    f"step: offset {self.offset!r} must come after onset {self.onset!r}"
                )

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.amplitude, self.baseline)

    def _shape(self, t, dt, n_steps):
        half = 0.5 * float(dt / second)  # compare on the grid, robust to round-off
        on = t + half >= float(self.onset / second)
        if self.offset is not None:
            on &= t + half < float(self.offset / second)
        amp_, base = _si(self.amplitude), _si(self.baseline)
        shape = np.broadcast(amp_, base).shape
        return np.where(on.reshape(-1, *([1] * len(shape))), amp_, base)

    def describe(self) -> str:
        stop = "" if self.offset is None else f" to {float(self.offset / ms):g} ms"
        return f"step {_fmt(self.amplitude)} from {float(self.onset / ms):g} ms{stop}"


@dataclass(frozen=True, eq=False)
class Ramp(Stimulus):
    """Linear from ``start`` (held before ``t_start``) to ``stop`` (held after ``t_stop``)."""

    start: Quantity
    stop: Quantity
    t_start: Quantity
    t_stop: Quantity

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _current(self.start, "ramp start"))
        object.__setattr__(self, "stop", _current(self.stop, "ramp stop"))
        _unit_of(self.start, self.stop)
        object.__setattr__(self, "t_start", _time(self.t_start, "ramp t_start"))
        object.__setattr__(self, "t_stop", _time(self.t_stop, "ramp t_stop"))
        if self.t_stop <= self.t_start:
            raise HHBrianInputError(
                f"ramp: t_stop {self.t_stop!r} must come after t_start {self.t_start!r}"
            )

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.start, self.stop)

    def _shape(self, t, dt, n_steps):
        t0, t1 = float(self.t_start / second), float(self.t_stop / second)
        frac = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        a, b = _si(self.start), _si(self.stop)
        frac = frac.reshape(-1, *([1] * np.broadcast(a, b).ndim))
        return a + (b - a) * frac

    def describe(self) -> str:
        return (
            f"ramp {_fmt(self.start)} -> {_fmt(self.stop)} over "
            f"[{float(self.t_start / ms):g}, {float(self.t_stop / ms):g}] ms"
        )


@dataclass(frozen=True, eq=False)
class PulseTrain(Stimulus):
    """Rectangular pulses of ``width`` every ``period`` from ``onset`` (``n_pulses`` or endless)."""

    amplitude: Quantity
    width: Quantity
    period: Quantity
    onset: Quantity = field(default_factory=lambda: 0 * ms)
    n_pulses: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", _current(self.amplitude, "pulse amplitude"))
        object.__setattr__(self, "width", _time(self.width, "pulse width", positive=True))
        object.__setattr__(self, "period", _time(self.period, "pulse period", positive=True))
        object.__setattr__(self, "onset", _time(self.onset, "pulse onset"))
        if self.width > self.period:
            raise HHBrianInputError(
                f"pulses: width {self.width!r} exceeds period {self.period!r}; shorten the width"
            )
        if self.n_pulses is not None and int(self.n_pulses) < 1:
            raise HHBrianInputError(f"pulses: n_pulses must be >= 1, got {self.n_pulses}")

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.amplitude)

    def _shape(self, t, dt, n_steps):
        half = 0.5 * float(dt / second)
        since = t + half - float(self.onset / second)
        period = float(self.period / second)
        index = np.floor(since / period)
        on = (since >= 0) & (since - index * period < float(self.width / second))
        if self.n_pulses is not None:
            on &= index < int(self.n_pulses)
        amp_ = _si(self.amplitude)
        return np.where(on.reshape(-1, *([1] * amp_.ndim)), amp_, 0.0) * np.ones_like(amp_)

    def describe(self) -> str:
        return (
            f"pulses {_fmt(self.amplitude)}, {float(self.width / ms):g} ms every "
            f"{float(self.period / ms):g} ms"
        )


@dataclass(frozen=True, eq=False)
class Sampled(Stimulus):
    """An arbitrary array sampled every ``dt`` (rows: time, optional columns: neurons).

    The array is resampled onto the simulation grid by sample-and-hold; beyond
    its end the last value holds.
    """

    values: Quantity
    dt: Quantity

    def __post_init__(self) -> None:
        values = _current(self.values, "sampled values")
        if values.ndim not in (1, 2) or values.shape[0] < 1:
            raise HHBrianInputError(
                f"sampled: values must be 1-D (time) or 2-D (time, neuron), got shape "
                f"{values.shape}"
            )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "dt", _time(self.dt, "sampled dt", positive=True))

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.values)

    def _shape(self, t, dt, n_steps):
        index = np.floor(t / float(self.dt / second) + 1e-6).astype(int)
        return _si(self.values)[np.clip(index, 0, self.values.shape[0] - 1)]

    def describe(self) -> str:
        return f"sampled array ({self.values.shape[0]} samples every {float(self.dt / ms):g} ms)"


@dataclass(frozen=True, eq=False)
class CorrelatedNoise(Stimulus):
    """Lecture 7's correlated random input, reproduced bit for bit.

    ``ii = convolve(convolve(normal(nt), w, 'same'), w, 'same')*scale + mean``
    with ``w = exp(-r**2/5)``, ``r = arange(-10, 10, dt)`` (ms), ``w /= sum(w)``,
    ``normal`` drawn from ``np.random.RandomState(seed)`` (identical to the
    lecture's ``np.random.seed(123); np.random.normal(size=nt)``), and the last
    value appended for Runge-Kutta.  Defaults are the lecture's: mean and scale
    0.3 uA/mm^2 (its class uses mS/mm^2 and mV), seed 123.  The sequence depends
    on ``dt`` and ``n_steps``, as in the lecture.
    """

    mean: Quantity = field(default_factory=lambda: NOISE_MEAN)
    scale: Quantity = field(default_factory=lambda: NOISE_SCALE)
    seed: int = NOISE_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _current(self.mean, "noise mean"))
        object.__setattr__(self, "scale", _current(self.scale, "noise scale"))
        if np.ndim(self.mean) or np.ndim(self.scale):
            raise HHBrianInputError("noise: mean and scale must be single values")
        if not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise HHBrianInputError(
                f"noise: seed must be a non-negative integer, got {self.seed!r}"
            )

    @property
    def unit(self) -> Quantity:
        return _unit_of(self.mean, self.scale)

    def _shape(self, t, dt, n_steps):
        return lecture_noise(float(dt / ms), n_steps, self.seed) * _si(self.scale) + _si(self.mean)

    def describe(self) -> str:
        return f"correlated noise {_fmt(self.scale)} * z + {_fmt(self.mean)} (seed {self.seed})"


#: Stimulus kinds by name.
STIMULUS_KINDS: dict[str, type[Stimulus]] = {
    "constant": Constant,
    "step": Step,
    "ramp": Ramp,
    "pulses": PulseTrain,
    "sampled": Sampled,
    "noise": CorrelatedNoise,
}
_KIND_OF = {cls: name for name, cls in STIMULUS_KINDS.items()}


__all__ = [
    "Constant",
    "CorrelatedNoise",
    "PulseTrain",
    "Ramp",
    "STIMULUS_KINDS",
    "Sampled",
    "Step",
    "Stimulus",
]
