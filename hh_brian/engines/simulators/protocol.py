"""A current-clamp protocol reduced to plain numbers for the external simulators.

hh-brian's engines integrate a :class:`~hh_brian.models.drive.Drive`; NEURON, NEST
and MOOSE get the same protocol in their own native form (IClamp, step-current
and AC generators, a compartment's ``inject``).  :func:`protocol_from_current`
turns anything an hh-brian engine accepts as ``current=`` (a constant Quantity, a
:class:`~hh_brian.models.stimulus_base.Stimulus`, a list of them, or a Drive) into
a :class:`Protocol` of plain floats:

- densities in µA/cm² (absolute currents divided by the model's area), times in ms;
- one :class:`HeldPart` per piecewise-constant stimulus (constant, step, pulses,
  sampled, and Lecture 7's noise, whose samples are held over each step), with its
  value on every step ``[k dt, (k+1) dt)``, ``k = 0..n_steps``;
- the smooth stimuli (ramp, sine, Ornstein-Uhlenbeck noise) as
  :class:`SmoothPart`, which each backend samples as its simulator needs.

Every edge of a held stimulus lies on the time grid (checked by
:func:`~hh_brian.models.drive.make_drive`), so each simulator can place it exactly.
One column only: per-neuron amplitudes are refused (one simulated cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, get_dimensions, ms, second, uA
from brian2.units import cm

from hh_brian.engines.simulators import SimulatorCannotExpress
from hh_brian.models.currents import current_density
from hh_brian.models.drive import Drive, make_drive
from hh_brian.models.stimulus_base import HELD, LECTURE, Stimulus

_DENSITY = uA / cm**2


@dataclass(frozen=True)
class HeldPart:
    """One piecewise-constant stimulus on the grid.

    Attributes
    ----------
    stimulus : Stimulus
    values : numpy.ndarray
        Shape ``(n_steps + 1,)``, µA/cm²: row ``k`` holds on ``[k dt, (k+1) dt)``.
    factor : float
        µA/cm² per SI unit of the stimulus's amplitudes (100 for A/m²; for A, 100 / area in m²).
    """

    stimulus: Stimulus
    values: np.ndarray
    factor: float

    def density(self, amplitude: Quantity) -> float:
        """One of the stimulus's amplitudes (a Quantity) in µA/cm²."""
        return float(np.asarray(amplitude, dtype=float)) * self.factor


@dataclass(frozen=True)
class SmoothPart:
    """One smooth stimulus (``stage`` timing) and its density factor.

    ``value(t_ms, t_step_ms)`` is the current in µA/cm² at time *t_ms* of the step
    starting at *t_step_ms* (the step's start decides the on/off window).
    """

    stimulus: Stimulus
    factor: float
    value: Callable[[float, float], float]

    def density(self, amplitude: Quantity) -> float:
        """One of the stimulus's amplitudes (a Quantity) in µA/cm²."""
        return float(np.asarray(amplitude, dtype=float)) * self.factor


@dataclass(frozen=True)
class Protocol:
    """The injected current of one single-cell run, plain floats (µA/cm², ms).

    Attributes
    ----------
    dt_ms : float
    n_steps : int
    held : tuple of HeldPart
    smooth : tuple of SmoothPart
    description : str
        The stimuli as hh-brian describes them (``Drive.describe``).
    from_quantity : bool
        True for a plain constant ``current=`` Quantity (the historic form).
    """

    dt_ms: float
    n_steps: int
    held: tuple[HeldPart, ...]
    smooth: tuple[SmoothPart, ...]
    description: str
    from_quantity: bool = False

    @property
    def duration_ms(self) -> float:
        return self.n_steps * self.dt_ms

    @property
    def held_total(self) -> np.ndarray:
        """Sum of the held parts, ``(n_steps + 1,)`` µA/cm²."""
        total = np.zeros(self.n_steps + 1)
        for part in self.held:
            total = total + part.values
        return total

    @property
    def constant(self) -> float | None:
        """The current (µA/cm²) if it never changes during the run, else None."""
        if self.smooth:
            return None
        total = self.held_total[: self.n_steps]
        return float(total[0]) if np.all(total == total[0]) else None

    def smooth_mid_values(self, kinds: tuple[str, ...] | None = None) -> np.ndarray:
        """Sum of the smooth parts (of *kinds*, or all) at each step's midpoint, µA/cm².

        Shape ``(n_steps + 1,)``; the window of each part is decided at the step's
        start, as hh-brian's engines decide it.
        """
        out = np.zeros(self.n_steps + 1)
        for part in self.smooth:
            if kinds is None or part.stimulus.kind in kinds:
                for k in range(self.n_steps + 1):
                    t = k * self.dt_ms
                    out[k] += part.value(t + 0.5 * self.dt_ms, t)
        return out


def change_points(values: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(step indices, values) where a per-step array changes, the first always included.

    Only steps ``0 .. n_steps - 1`` are run; the last row is ignored.
    """
    run = np.asarray(values[:n_steps], dtype=float)
    index = np.r_[0, np.flatnonzero(run[1:] != run[:-1]) + 1]
    return index, run[index]


def _factor(model, stimulus: Stimulus) -> float:
    one = Quantity(1.0, dim=get_dimensions(stimulus.unit))
    return float(np.asarray(current_density(model, one) / _DENSITY))


def _smooth_function(stimulus: Stimulus, factor: float, dt: Quantity, n_steps: int):
    function = stimulus.stage_function(float(dt / second), n_steps)

    def value(t_ms: float, t_step_ms: float) -> float:
        return factor * float(np.asarray(function(t_ms * 1e-3, t_step_ms * 1e-3)))

    return value


def protocol_from_current(
    model,
    current: Quantity | Stimulus | list[Stimulus] | tuple[Stimulus, ...] | Drive,
    *,
    dt: Quantity,
    duration: Quantity,
) -> Protocol:
    """The protocol of *current* for one cell of *model* on the grid of *dt*.

    Parameters
    ----------
    model : hh_brian.models.cell.CellModel
    current : Quantity, Stimulus, sequence of Stimulus or Drive
        A constant Quantity is a constant current from t = 0 (a density, or a
        current for models with an area).
    dt, duration : Quantity

    Returns
    -------
    Protocol

    Raises
    ------
    HHBrianInputError
        From :func:`~hh_brian.models.drive.make_drive` (an edge off the grid, a
        current the model cannot take, ...).
    SimulatorCannotExpress
        For per-neuron columns (the simulators run one cell).
    """
    from_quantity = not isinstance(current, Stimulus | Drive | list | tuple)
    if from_quantity:
        from hh_brian.models.stimulus_kinds import Constant

        if np.ndim(current) != 0:
            raise SimulatorCannotExpress(
                "current: one value per neuron, but the external simulators run one cell; "
                "give a single value"
            )
        current = Constant(current)
    drive = current if isinstance(current, Drive) else make_drive(model, current, dt, duration)
    if drive.columns != 1:
        raise SimulatorCannotExpress(
            f"current: {drive.columns} columns (one per neuron), but the external simulators "
            "run one cell; give single amplitudes"
        )
    n_steps, held, smooth = drive.n_steps, [], []
    for stimulus in drive.stimuli:
        factor = _factor(model, stimulus)
        if stimulus.timing in (HELD, LECTURE):
            values = np.asarray(stimulus.samples(drive.dt, n_steps), dtype=float)
            held.append(HeldPart(stimulus, values.reshape(n_steps + 1) * factor, factor))
        else:
            function = _smooth_function(stimulus, factor, drive.dt, n_steps)
            smooth.append(SmoothPart(stimulus, factor, function))
    return Protocol(
        dt_ms=float(drive.dt / ms),
        n_steps=n_steps,
        held=tuple(held),
        smooth=tuple(smooth),
        description=drive.describe(),
        from_quantity=from_quantity,
    )


def constant_protocol(current_density_uA_cm2: float, duration_ms: float, dt_ms: float) -> Protocol:
    """A constant density from t = 0 (what ``current_density_uA_cm2=`` has always meant)."""
    from hh_brian.models.stimulus_kinds import Constant

    n_steps = int(round(duration_ms / dt_ms))
    stimulus = Constant(current_density_uA_cm2 * _DENSITY)
    values = np.full(n_steps + 1, float(current_density_uA_cm2))
    return Protocol(
        dt_ms=dt_ms,
        n_steps=n_steps,
        held=(HeldPart(stimulus, values, 100.0),),
        smooth=(),
        description=stimulus.describe(),
        from_quantity=True,
    )


__all__ = [
    "HeldPart",
    "Protocol",
    "SmoothPart",
    "change_points",
    "constant_protocol",
    "protocol_from_current",
]
