"""Stimuli summed on a time grid for one model: what the engines integrate.

:func:`make_drive` adds any number of stimuli (repeated ``--current`` options,
a protocol's ``[[current]]`` tables), checks that every edge lies on the time
grid, and converts everything to the model's current units.  A :class:`Drive`
then gives each engine the input in the form its integrator reads:

* the ``held`` part (piecewise constant kinds), one row per step, read at the
  step's start by every stage;
* the ``stage`` and ``lecture`` parts, as functions of the stage time (see
  :mod:`hh_brian.models.stimulus_base`).

An edge off the grid is refused rather than rounded: a 0.125 ms pulse on a
0.05 ms grid would silently deliver 0.10 ms and move a threshold by 12-25 %.
The error names the edge and the largest round time step that fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from brian2 import Quantity, TimedArray, get_dimensions, ms, second, uA
from brian2.units import cm

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.timegrid import check_time_step
from hh_brian.models.cell import CellModel
from hh_brian.models.currents import coerce_current, current_density, current_quantity_unit
from hh_brian.models.stimulus_base import HELD, Stimulus, edge_list
from hh_brian.models.stimulus_kinds import Constant

#: An edge is on the grid when ``edge/dt`` is within this (relative) of an integer.
GRID_TOLERANCE = 1e-9
#: Prefix of the namespace names a drive adds to Brian2 equations.
PREFIX = "stim"


def _on_grid(times_s: np.ndarray, dt_s: float) -> np.ndarray:
    ratio = np.asarray(times_s) / dt_s
    return np.abs(ratio - np.round(ratio)) <= GRID_TOLERANCE * np.maximum(1.0, np.abs(ratio))


def fitting_dt(times: Quantity, dt: Quantity) -> Quantity:
    """The largest round time step <= *dt* that puts every one of *times* on its grid.

    Round means 1, 2, 2.5 or 5 times a power of ten (in ms); failing that, the
    largest ``gcd / n`` <= *dt*.
    """
    times_ms = np.asarray(times / ms, dtype=float)
    dt_ms = float(dt / ms)
    for exponent in range(int(np.floor(np.log10(dt_ms))), -8, -1):
        for mantissa in (5, 2.5, 2, 1):
            candidate = mantissa * 10.0**exponent
            if candidate <= dt_ms * (1 + 1e-12) and np.all(_on_grid(times_ms, candidate)):
                return candidate * ms
    step = Fraction(0)
    for value in times_ms[times_ms > 0]:
        step = _gcd(step, Fraction(float(value)).limit_denominator(10**9))
    step = step or Fraction(dt_ms)
    return float(step) / max(1, int(np.ceil(float(step) / dt_ms))) * ms


def _gcd(a: Fraction, b: Fraction) -> Fraction:
    """Greatest common divisor of two non-negative rationals."""
    return Fraction(
        math.gcd(a.numerator * b.denominator, b.numerator * a.denominator),
        a.denominator * b.denominator,
    )


def check_edges(stimuli: Sequence[Stimulus], dt: Quantity, duration: Quantity) -> None:
    """Refuse any stimulus edge in ``(0, duration)`` that is not a multiple of *dt*.

    Raises
    ------
    HHBrianInputError
        Naming the stimulus, the edge and a time step that fits every edge.
    """
    dt_s = float(dt / second)
    every = np.concatenate(
        [s.edges(duration) for s in stimuli] + [np.array([float(duration / second)])]
    )
    for stimulus in stimuli:
        edges = stimulus.edges(duration)
        off = edges[~_on_grid(edges, dt_s)]
        if off.size:
            fit = fitting_dt(every * second, dt)
            raise HHBrianInputError(
                f"{stimulus.kind} stimulus: edge at {off[0] * 1e3:.9g} ms is not on the time "
                f"grid of dt = {dt_s * 1e3:g} ms (it would be rounded); use dt = "
                f"{float(fit / ms):.9g}*ms, which fits every edge, or move the edge"
            )


@dataclass(frozen=True, eq=False)
class Drive:
    """The summed injected current of a run, on its time grid, in a model's units.

    Attributes
    ----------
    model : CellModel
    stimuli : tuple of Stimulus
    dt : Quantity
    n_steps : int
    columns : int
        1 (the same input for every neuron) or one column per neuron.
    held : Quantity
        Shape ``(n_steps + 1, columns)``: the sum of the ``held`` stimuli, row
        ``k`` on ``[k*dt, (k+1)*dt)``, in the model's current units.
    """

    model: CellModel
    stimuli: tuple[Stimulus, ...]
    dt: Quantity
    n_steps: int
    columns: int
    held: Quantity

    @property
    def smooth(self) -> tuple[Stimulus, ...]:
        """The stimuli read at each stage's time (``stage`` and ``lecture`` timings)."""
        return tuple(s for s in self.stimuli if s.timing != HELD)

    @property
    def is_constant(self) -> bool:
        """True if the current never changes during the run."""
        values = np.asarray(self.held)
        return not self.smooth and bool(np.all(values == values[0]))

    def _scale(self, stimulus: Stimulus) -> Quantity:
        """Factor from the stimulus's units to the model's (the area, or 1)."""
        one = Quantity(1.0, dim=get_dimensions(stimulus.unit))
        return coerce_current(self.model, one, what=f"{stimulus.kind} stimulus") / one

    def samples(self) -> Quantity:
        """The total current at each grid time, ``(n_steps + 1, columns)``, model units."""
        total = np.array(self.held, dtype=float)
        for stimulus in self.smooth:
            values = stimulus.samples(self.dt, self.n_steps) * self._scale(stimulus)
            total = total + np.asarray(values, dtype=float).reshape(self.n_steps + 1, -1)
        return Quantity(total, dim=get_dimensions(current_quantity_unit(self.model)))

    def brian2(self) -> tuple[str, dict[str, object]]:
        """The right-hand side of ``I_inj = ... : unit`` and its namespace.

        The held part is a TimedArray read at ``t_in_timesteps*dt``, the step's
        start, which Brian2's state updaters do not shift to the stage times.
        """
        unit = current_quantity_unit(self.model)
        held = np.asarray(self.held / unit)
        terms: list[str] = []
        namespace: dict[str, object] = {}
        if np.any(held):
            index = ", i" if self.columns > 1 else ""
            table = held if self.columns > 1 else held[:, 0]
            namespace[f"{PREFIX}_held"] = TimedArray(table * unit, dt=self.dt)
            terms.append(f"{PREFIX}_held(t_in_timesteps*dt{index})")
        for j, stimulus in enumerate(self.smooth):
            prefix = f"{PREFIX}{j}_"
            text, names = stimulus.brian2_term(prefix, self.dt, self.n_steps)
            namespace.update(names)
            namespace[f"{prefix}scale"] = self._scale(stimulus)
            terms.append(f"{prefix}scale*({text})")
        return (" + ".join(terms) or f"0*{_unit_name(unit)}"), namespace

    def numpy(self) -> tuple[np.ndarray, Callable[[float, float], np.ndarray] | None]:
        """The held part as densities in uA/cm^2, ``(n_steps + 1, columns)``, and a
        function ``(t_ms, t_step_ms) -> uA/cm^2`` for the smooth part (None if none)."""
        held = np.asarray(current_density(self.model, self.held) / (uA / cm**2), dtype=float)
        functions = []
        dt_s = float(self.dt / second)
        for stimulus in self.smooth:
            one = Quantity(1.0, dim=get_dimensions(stimulus.unit))
            factor = float(current_density(self.model, one) / (uA / cm**2))
            functions.append((factor, stimulus.stage_function(dt_s, self.n_steps)))
        if not functions:
            return held, None

        def smooth(t_ms: float, t_step_ms: float) -> np.ndarray:
            t, t_step = t_ms * 1e-3, t_step_ms * 1e-3
            return sum(factor * np.asarray(f(t, t_step)) for factor, f in functions)

        return held, smooth

    def smooth_edges(self) -> np.ndarray:
        """Times (second) inside the run where a ``stage`` stimulus switches on or off.

        Every window boundary (``onset``, ``offset``) counts, also where the value is
        continuous there (a ramp from 0): whether a stimulus is on is decided at the
        start of each step or segment, so a segment must not straddle a boundary.
        """
        duration = self.n_steps * self.dt
        edges = [s.edges(duration) for s in self.smooth]
        bounds = [getattr(s, name, None) for s in self.smooth for name in ("onset", "offset")]
        edges.append(edge_list(*bounds, duration=duration))
        return np.unique(np.concatenate(edges))

    def describe(self) -> str:
        """The stimuli, joined by ``+``."""
        return " + ".join(s.describe() for s in self.stimuli)


def _unit_name(unit: Quantity) -> str:
    return "amp" if get_dimensions(unit) is get_dimensions(uA) else "amp/meter**2"


def make_drive(
    model: CellModel,
    stimuli: Stimulus | Sequence[Stimulus],
    dt: Quantity,
    duration: Quantity,
) -> Drive:
    """Sum *stimuli* on the grid of *dt* over *duration* for *model*.

    Parameters
    ----------
    model : CellModel
    stimuli : Stimulus or sequence of Stimulus
        Added together; per-neuron columns must agree (or be 1).
    dt, duration : Quantity

    Returns
    -------
    Drive

    Raises
    ------
    HHBrianInputError
        For a bad grid, an edge off the grid, a current the model cannot take
        (an absolute current for a model without an area), or column counts
        that do not agree.
    """
    if isinstance(stimuli, Stimulus):
        stimuli = (stimuli,)
    stimuli = tuple(stimuli) or (Constant(0 * uA / cm**2),)
    n_steps = check_time_step(dt, duration)
    check_edges(stimuli, dt, duration)
    columns = {s.columns for s in stimuli} - {1}
    if len(columns) > 1:
        raise HHBrianInputError(
            f"stimuli: per-neuron columns disagree ({sorted(columns)}); give one value per "
            "neuron in each, or a single value"
        )
    n_columns = columns.pop() if columns else 1
    unit = current_quantity_unit(model)
    held = np.zeros((n_steps + 1, n_columns))
    for stimulus in stimuli:
        if stimulus.timing != HELD:
            coerce_current(
                model,
                Quantity(1.0, dim=get_dimensions(stimulus.unit)),
                what=f"{stimulus.kind} stimulus",
            )
            continue
        values = coerce_current(
            model, stimulus.samples(dt, n_steps), what=f"{stimulus.kind} stimulus"
        )
        held = held + np.asarray(values / unit, dtype=float).reshape(n_steps + 1, -1)
    return Drive(model, stimuli, dt, n_steps, n_columns, held * unit)
