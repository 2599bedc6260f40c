"""The smooth (``stage``) stimulus kinds: ramp, sine, Ornstein-Uhlenbeck noise; and
Lecture 7's sampled noise (``lecture`` timing).

Each stage of an integration step reads a smooth stimulus at its own time, so
rk4 keeps order 4 on it; whether the stimulus is on is decided at the step's
start (see :mod:`hh_brian.models.stimulus_base`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Quantity, TimedArray, get_dimensions, ms, second

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.lecture_noise import NOISE_MEAN, NOISE_SCALE, NOISE_SEED, lecture_noise
from hh_brian.models.stimulus_base import (
    LECTURE,
    STAGE,
    Stimulus,
    as_current,
    as_time,
    edge_list,
    fmt_current,
    fmt_time,
    si,
    unit_of,
    window,
    window_code,
)


def _seed(seed: object, what: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise HHBrianInputError(f"{what}: seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _on(t_step: float, dt: float, onset: Quantity, offset: Quantity | None) -> np.ndarray:
    return window(np.asarray(t_step, dtype=float), dt, onset, offset)


@dataclass(frozen=True, eq=False)
class Ramp(Stimulus):
    """Linear from ``start`` at ``onset`` to ``stop`` at ``offset``; 0 outside the window."""

    kind_name = "ramp"

    timing = STAGE
    start: Quantity
    stop: Quantity
    onset: Quantity
    offset: Quantity

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_current(self.start, "ramp start", scalar=True))
        object.__setattr__(self, "stop", as_current(self.stop, "ramp stop", scalar=True))
        unit_of(self.start, self.stop)
        object.__setattr__(self, "onset", as_time(self.onset, "ramp onset"))
        object.__setattr__(self, "offset", as_time(self.offset, "ramp offset"))
        if self.offset <= self.onset:
            raise HHBrianInputError(
                f"ramp: offset {self.offset!r} must come after onset {self.onset!r}"
            )

    @property
    def unit(self) -> Quantity:
        return unit_of(self.start, self.stop)

    def edges(self, duration):
        jumps = [self.onset if float(si(self.start)) != 0 else None]
        jumps.append(self.offset if float(si(self.stop)) != 0 else None)
        return edge_list(*jumps, duration=duration)

    def _value(self, t: np.ndarray) -> np.ndarray:
        t0, t1 = float(self.onset / second), float(self.offset / second)
        a, b = float(si(self.start)), float(si(self.stop))
        return a + (b - a) * (t - t0) / (t1 - t0)

    def _shape(self, t, dt, n_steps):
        return np.where(window(t, float(dt / second), self.onset, self.offset), self._value(t), 0.0)

    def stage_function(self, dt, n_steps):
        def function(t, t_step):
            return np.where(_on(t_step, dt, self.onset, self.offset), self._value(t), 0.0)

        return function

    def brian2_term(self, prefix, dt, n_steps):
        on, namespace = window_code(prefix, self.onset, self.offset)
        namespace.update({f"{prefix}start": self.start, f"{prefix}slope": self._slope()})
        return f"{on}*({prefix}start + {prefix}slope*(t - {prefix}onset))", namespace

    def _slope(self) -> Quantity:
        return (self.stop - self.start) / (self.offset - self.onset)

    def describe(self) -> str:
        return (
            f"ramp {fmt_current(self.start)} -> {fmt_current(self.stop)} over "
            f"[{fmt_time(self.onset)}, {fmt_time(self.offset)})"
        )


@dataclass(frozen=True, eq=False)
class Sine(Stimulus):
    """``bias + amplitude*sin(2*pi*frequency*(t - onset) + phase)`` on ``[onset, offset)``.

    0 outside the window (offset None: never off); ``phase`` in radians.
    """

    kind_name = "sine"

    timing = STAGE
    amplitude: Quantity
    frequency: Quantity
    bias: Quantity | None = None
    onset: Quantity = field(default_factory=lambda: 0 * ms)
    offset: Quantity | None = None
    phase: float = 0.0

    def __post_init__(self) -> None:
        amplitude = as_current(self.amplitude, "sine amplitude", scalar=True)
        object.__setattr__(self, "amplitude", amplitude)
        bias = 0 * amplitude if self.bias is None else self.bias
        object.__setattr__(self, "bias", as_current(bias, "sine bias", scalar=True))
        unit_of(self.amplitude, self.bias)
        frequency = self.frequency
        if get_dimensions(frequency) is not get_dimensions(Hz) or np.ndim(frequency) != 0:
            raise HHBrianInputError(
                f"sine frequency: {frequency!r} is not a single frequency; e.g. '10*Hz'"
            )
        if not np.isfinite(float(frequency / Hz)) or float(frequency / Hz) <= 0:
            raise HHBrianInputError(f"sine frequency: must be positive, got {frequency!r}")
        object.__setattr__(self, "onset", as_time(self.onset, "sine onset"))
        if self.offset is not None:
            object.__setattr__(self, "offset", as_time(self.offset, "sine offset"))
            if self.offset <= self.onset:
                raise HHBrianInputError(
                    f"sine: offset {self.offset!r} must come after onset {self.onset!r}"
                )
        if not np.isfinite(float(self.phase)):
            raise HHBrianInputError(f"sine: phase must be finite, got {self.phase!r}")

    @property
    def unit(self) -> Quantity:
        return unit_of(self.amplitude, self.bias)

    def edges(self, duration):
        start = self.bias != 0 * self.bias or np.sin(float(self.phase)) != 0
        end = self.offset is not None
        return edge_list(
            self.onset if start else None, self.offset if end else None, duration=duration
        )

    def _value(self, t: np.ndarray) -> np.ndarray:
        omega = 2 * np.pi * float(self.frequency / Hz)
        phase = omega * (t - float(self.onset / second)) + float(self.phase)
        return float(si(self.bias)) + float(si(self.amplitude)) * np.sin(phase)

    def _shape(self, t, dt, n_steps):
        return np.where(window(t, float(dt / second), self.onset, self.offset), self._value(t), 0.0)

    def stage_function(self, dt, n_steps):
        def function(t, t_step):
            return np.where(_on(t_step, dt, self.onset, self.offset), self._value(t), 0.0)

        return function

    def brian2_term(self, prefix, dt, n_steps):
        on, namespace = window_code(prefix, self.onset, self.offset)
        namespace.update(
            {
                f"{prefix}bias": self.bias,
                f"{prefix}amplitude": self.amplitude,
                f"{prefix}omega": 2 * np.pi * self.frequency,
                f"{prefix}phase": float(self.phase),
            }
        )
        p = prefix
        return (
            f"{on}*({p}bias + {p}amplitude*sin({p}omega*(t - {p}onset) + {p}phase))",
            namespace,
        )

    def describe(self) -> str:
        return (
            f"sine {fmt_current(self.amplitude)} at {float(self.frequency / Hz):g} Hz "
            f"+ {fmt_current(self.bias)} from {fmt_time(self.onset)}"
        )


@dataclass(frozen=True, eq=False)
class OUNoise(Stimulus):
    """Ornstein-Uhlenbeck current: stationary ``mean`` and ``std``, correlation time ``tau``.

    Sampled exactly on the grid, ``x[k+1] = mean + (x[k] - mean) e^{-dt/tau} +
    std sqrt(1 - e^{-2 dt/tau}) z[k]`` with ``x[0] ~ N(mean, std^2)`` and
    ``z`` from ``numpy.random.default_rng(seed)``, and linearly interpolated
    in between, so each stage reads the path at its own time.  The path depends
    on ``dt``; the same neuron input for every neuron.  Gillespie 1996,
    Phys Rev E 54:2084, doi:10.1103/PhysRevE.54.2084.
    """

    kind_name = "noise"

    timing = STAGE
    mean: Quantity
    std: Quantity
    tau: Quantity
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", as_current(self.mean, "noise mean", scalar=True))
        object.__setattr__(self, "std", as_current(self.std, "noise std", scalar=True))
        unit_of(self.mean, self.std)
        if float(si(self.std)) < 0:
            raise HHBrianInputError(f"noise std: must be >= 0, got {self.std!r}")
        object.__setattr__(self, "tau", as_time(self.tau, "noise tau", positive=True))
        object.__setattr__(self, "seed", _seed(self.seed, "noise"))

    @property
    def unit(self) -> Quantity:
        return unit_of(self.mean, self.std)

    def path(self, dt: float, n_steps: int) -> np.ndarray:
        """The SI values at ``k*dt``, ``k = 0..n_steps`` (*dt* in seconds)."""
        rng = np.random.default_rng(self.seed)
        z = rng.standard_normal(n_steps + 1)
        decay = np.exp(-dt / float(self.tau / second))
        kick = float(si(self.std)) * np.sqrt(-np.expm1(-2 * dt / float(self.tau / second)))
        kicks = kick * z
        kicks[0] = float(si(self.std)) * z[0]
        from scipy.signal import lfilter  # here: scipy.signal takes ~0.4 s to import

        x = lfilter([1.0], [1.0, -decay], kicks)  # x[k] = decay*x[k-1] + kicks[k]
        return x + float(si(self.mean))

    def _shape(self, t, dt, n_steps):
        return self.path(float(dt / second), n_steps)

    def _slopes(self, x: np.ndarray, dt: float) -> np.ndarray:
        return np.append(np.diff(x) / dt, 0.0)

    def stage_function(self, dt, n_steps):
        x = self.path(dt, n_steps)
        slopes = self._slopes(x, dt)

        def function(t, t_step):
            k = min(int(np.floor(t_step / dt + 0.5)), n_steps)
            return x[k] + (t - k * dt) * slopes[k]

        return function

    def brian2_term(self, prefix, dt, n_steps):
        step = float(dt / second)
        x = self.path(step, n_steps)
        unit = self.unit
        namespace = {
            f"{prefix}x": TimedArray(x * unit, dt=dt),
            f"{prefix}slope": TimedArray(self._slopes(x, step) * unit / second, dt=dt),
        }
        start = "(t_in_timesteps*dt)"
        return f"({prefix}x({start}) + (t - {start})*{prefix}slope({start}))", namespace

    def describe(self) -> str:
        return (
            f"OU noise {fmt_current(self.mean)} +- {fmt_current(self.std)}, "
            f"tau {fmt_time(self.tau)} (seed {self.seed})"
        )


@dataclass(frozen=True, eq=False)
class CorrelatedNoise(Stimulus):
    """Lecture 7's correlated random input, reproduced bit for bit (kind ``lecture_noise``).

    ``ii = convolve(convolve(normal(nt), w, 'same'), w, 'same')*scale + mean``
    with ``w = exp(-r**2/5)``, ``r = arange(-10, 10, dt)`` (ms), ``w /= sum(w)``,
    ``normal`` drawn from ``np.random.RandomState(seed)`` (identical to the
    lecture's ``np.random.seed(123); np.random.normal(size=nt)``), and the last
    value appended for Runge-Kutta.  Defaults are the lecture's: mean and scale
    0.3 uA/mm^2, seed 123.  The sequence depends on ``dt``.  Read as the
    lecture reads it, ``ii[int(t/dt)]`` at each stage's time.
    """

    kind_name = "lecture_noise"

    timing = LECTURE
    mean: Quantity = field(default_factory=lambda: NOISE_MEAN)
    scale: Quantity = field(default_factory=lambda: NOISE_SCALE)
    seed: int = NOISE_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", as_current(self.mean, "noise mean", scalar=True))
        object.__setattr__(self, "scale", as_current(self.scale, "noise scale", scalar=True))
        object.__setattr__(self, "seed", _seed(self.seed, "lecture_noise"))

    @property
    def unit(self) -> Quantity:
        return unit_of(self.mean, self.scale)

    def _shape(self, t, dt, n_steps):
        return lecture_noise(float(dt / ms), n_steps, self.seed) * si(self.scale) + si(self.mean)

    def stage_function(self, dt, n_steps):
        values = self._shape(None, dt * second, n_steps)

        def function(t, t_step):
            return values[min(int(np.floor(t / dt + 1e-6)), n_steps)]

        return function

    def brian2_term(self, prefix, dt, n_steps):
        values = self.samples(dt, n_steps)
        return f"{prefix}ii(t)", {f"{prefix}ii": TimedArray(values, dt=dt)}

    def describe(self) -> str:
        scale, mean = fmt_current(self.scale), fmt_current(self.mean)
        return f"correlated noise {scale} * z + {mean} (seed {self.seed})"


__all__ = ["CorrelatedNoise", "OUNoise", "Ramp", "Sine"]
