"""The :class:`Stimulus` base class and the checks every stimulus kind shares.

A stimulus is a physical injected current (positive depolarises, in either
voltage convention), a density (``uA/cm**2``) or, for models with an ``area``,
an absolute current (``nA``).  How an integrator reads it inside a time step is
part of its definition, its :attr:`~Stimulus.timing`:

``held``
    Piecewise constant (constant, step, pulses, sampled waveforms).  Every stage
    of a step reads the value at the step's start, ``t_k = k*dt``.  Each edge
    must fall on the time grid (:func:`hh_brian.models.drive.check_edges`), so a
    step of any method integrates a segment on which the input is constant and
    the method keeps its order.
``stage``
    Smooth in time (ramp, sine, Ornstein-Uhlenbeck noise).  Every stage reads the
    value at its own time, ``t_k + c*dt``, so rk4 keeps order 4; the window in
    which the stimulus is on is decided at the step's start, so an onset or
    offset on the grid is an exact segment boundary as well.
``lecture``
    Lecture 7's sampled noise, read as the lecture's ``ie(t) = ii[int(t/dt)]``
    at each stage's time (the last rk4 stage reads the next sample).  Kept
    exactly so, for the bit-identical lecture protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from brian2 import Quantity, TimedArray, amp, get_dimensions, meter, ms, second, uA
from brian2.units import cm
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import dimension_name, evaluate
from hh_brian.core.timegrid import check_time_step
from hh_brian.models.cell import CellModel
from hh_brian.models.currents import coerce_current, current_quantity_unit

DENSITY = get_dimensions(amp / meter**2)
ABSOLUTE = get_dimensions(amp)
EXAMPLE = "'10*uA/cm**2'"

#: The three timings (see the module docstring).
HELD, STAGE, LECTURE = "held", "stage", "lecture"


def as_current(value: object, what: str, *, scalar: bool = False) -> Quantity:
    """Check *value* is a finite current density or current; return it as a Quantity.

    Raises
    ------
    HHBrianInputError
        Naming *what*, for text that does not parse, a value without the units
        of a current (density), a non-finite value, or an array where *scalar*
        asks for one value.
    """
    if isinstance(value, str):
        value = evaluate(value, what=what, example=EXAMPLE)
    quantity = Quantity(value)
    if get_dimensions(quantity) not in (DENSITY, ABSOLUTE):
        dims = get_dimensions(quantity)
        got = "has no units" if dims is DIMENSIONLESS else f"is {dimension_name(dims)}"
        raise HHBrianInputError(
            f"{what}: {value!r} {got}; expected a current density such as {EXAMPLE} "
            "(or a current such as '0.2*nA' for models with an area)"
        )
    if not np.all(np.isfinite(np.asarray(quantity))):
        raise HHBrianInputError(f"{what}: {value!r} is not finite; e.g. {EXAMPLE}")
    if scalar and np.ndim(quantity) != 0:
        raise HHBrianInputError(f"{what}: expected one value, got an array {value!r}")
    return quantity


def as_time(value: object, what: str, *, positive: bool = False) -> Quantity:
    """Check *value* is one finite, non-negative (or positive) time.

    Raises
    ------
    HHBrianInputError
        Naming *what*, for anything else.
    """
    if isinstance(value, str):
        value = evaluate(value, what=what, example="'10*ms'")
    if get_dimensions(value) is not get_dimensions(second) or np.ndim(value) != 0:
        raise HHBrianInputError(f"{what}: {value!r} is not a single time; e.g. '10*ms'")
    magnitude = float(value / second)
    if not np.isfinite(magnitude) or magnitude < 0 or (positive and magnitude == 0):
        kind = "positive" if positive else "non-negative"
        raise HHBrianInputError(f"{what}: must be {kind} and finite, got {value!r}")
    return Quantity(value)


def unit_of(*currents: Quantity) -> Quantity:
    """``amp/meter**2`` if all *currents* are densities, ``amp`` if all are absolute.

    Raises
    ------
    HHBrianInputError
        If densities and absolute currents are mixed.
    """
    dims = {get_dimensions(c) for c in currents}
    if len(dims) > 1:
        raise HHBrianInputError(
            "stimulus: mixes current densities and absolute currents; give all values as "
            f"densities such as {EXAMPLE}"
        )
    return amp / meter**2 if dims.pop() is DENSITY else amp


def fmt_current(value: Quantity) -> str:
    """A current for titles: ``10 uA/cm^2`` or ``0.2 nA`` (arrays: their range)."""
    density = get_dimensions(value) is DENSITY
    unit, label = (uA / cm**2, "uA/cm^2") if density else (amp * 1e-9, "nA")
    numbers = np.atleast_1d(np.asarray(value / unit, dtype=float))
    text = f"{numbers[0]:.4g}" if numbers.size == 1 else f"{numbers.min():.4g}..{numbers.max():.4g}"
    return f"{text} {label}"


def fmt_time(value: Quantity) -> str:
    """A time for titles, in ms."""
    return f"{float(value / ms):g} ms"


def si(value: Quantity) -> np.ndarray:
    """The SI magnitude of *value* as float64."""
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Stimulus:
    """Base class of the stimulus kinds.

    Subclasses set :attr:`timing` and implement :meth:`_shape` (the value at the
    grid times, in SI units of :attr:`unit`) and :meth:`edges`; ``stage`` kinds
    also implement :meth:`stage_values` and :meth:`brian2_term`.
    """

    timing: ClassVar[str] = HELD
    kind_name: ClassVar[str] = "stimulus"

    @property
    def kind(self) -> str:
        """Registry name of the stimulus (see :data:`hh_brian.models.stimuli.STIMULUS_KINDS`)."""
        return self.kind_name

    @property
    def unit(self) -> Quantity:
        """``amp/meter**2`` for densities, ``amp`` for absolute currents."""
        raise NotImplementedError

    @property
    def columns(self) -> int:
        """1, or the number of neurons for per-neuron amplitudes."""
        return 1

    def edges(self, duration: Quantity) -> np.ndarray:
        """Times (second) in ``(0, duration)`` where the stimulus jumps."""
        return np.empty(0)

    def _shape(self, t: np.ndarray, dt: Quantity, n_steps: int) -> np.ndarray:
        raise NotImplementedError

    def samples(self, dt: Quantity, n_steps: int) -> Quantity:
        """The current at ``k*dt`` for ``k = 0..n_steps``.

        For ``held`` kinds, sample ``k`` is the value on ``[k*dt, (k+1)*dt)``.

        Returns
        -------
        Quantity
            Shape ``(n_steps + 1,)`` or ``(n_steps + 1, N)``; units of :attr:`unit`.
        """
        t = np.arange(n_steps + 1) * float(dt / second)
        return Quantity(self._shape(t, dt, n_steps), dim=get_dimensions(self.unit))

    def stage_function(self, dt: float, n_steps: int) -> Callable[[float, float], np.ndarray]:
        """``f(t, t_step)``: the SI value at stage time *t* of the step from *t_step* (s).

        Only for ``stage`` and ``lecture`` kinds; the window is decided at *t_step*.
        Anything the function needs (a noise path) is computed once, here.
        """
        raise NotImplementedError

    def brian2_term(self, prefix: str, dt: Quantity, n_steps: int) -> tuple[str, dict]:
        """Brian2 expression (SI units of :attr:`unit`) and its namespace.

        ``t`` is the stage time; ``t_in_timesteps*dt``, which Brian2's state
        updaters leave alone, is the step's start.  Names are prefixed *prefix*.
        """
        raise NotImplementedError

    def timed_array(self, preset: CellModel, dt: Quantity, duration: Quantity) -> TimedArray:
        """A Brian2 TimedArray of :meth:`samples` in the model's current units.

        Brian2 reads a TimedArray at each stage's time: this is the ``lecture``
        timing.  :func:`hh_brian.engines.brian2.simulate.simulate` takes the
        stimulus itself and applies its own timing.
        """
        n_steps = check_time_step(dt, duration)
        values = coerce_current(preset, self.samples(dt, n_steps), what=f"{self.kind} stimulus")
        unit = current_quantity_unit(preset)
        return TimedArray(np.asarray(values / unit) * unit, dt=dt)

    def values_uA_per_cm2(self, preset: CellModel, dt: Quantity, n_steps: int) -> np.ndarray:
        """:meth:`samples` as plain floats in uA/cm^2 (absolute currents / the area)."""
        values = self.samples(dt, n_steps)
        if get_dimensions(values) is ABSOLUTE:
            if not preset.has_area:
                coerce_current(preset, values, what=f"{self.kind} stimulus")  # raises
            values = values / preset.parameters["area"]
        return np.asarray(values / (uA / cm**2), dtype=np.float64)

    def describe(self) -> str:
        """One line for figure titles and file headers."""
        return self.kind


def window(t: np.ndarray, dt: float, onset: Quantity, offset: Quantity | None) -> np.ndarray:
    """``onset <= t < offset`` on grid times *t* (seconds), robust to round-off."""
    half = 0.5 * dt
    on = t + half >= float(onset / second)
    if offset is not None:
        on &= t + half < float(offset / second)
    return on


def window_code(prefix: str, onset: Quantity, offset: Quantity | None) -> tuple[str, dict]:
    """Brian2 text of :func:`window` at the step's start, with its namespace."""
    start = "(t_in_timesteps*dt + 0.5*dt)"
    text = f"int({start} >= {prefix}onset)"
    namespace: dict[str, object] = {f"{prefix}onset": onset}
    if offset is not None:
        text += f"*int({start} < {prefix}offset)"
        namespace[f"{prefix}offset"] = offset
    return text, namespace


def edge_list(*times: Quantity | None, duration: Quantity) -> np.ndarray:
    """The given times (second) that lie strictly inside ``(0, duration)``."""
    values = np.array([float(t / second) for t in times if t is not None])
    return values[(values > 0) & (values < float(duration / second))]
