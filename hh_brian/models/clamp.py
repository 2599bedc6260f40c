"""Voltage-clamp command protocols: holding potential, step, prepulse and tail families.

A protocol is a family of *sweeps* (one per command level) that share one time
grid.  Each sweep is a sequence of segments, each held at one voltage:

=============  ==================================================================
``steps``      hold (``onset``) -> V_k (``step_duration``) -> hold (to the end)
``prepulse``   hold (``onset``) -> V_k (``prepulse_duration``) -> ``test``
               (``step_duration``) -> hold (to the end; absent if nothing is left)
``tail``       hold (``onset``) -> ``test`` (``step_duration``, the activating
               step) -> V_k (to the end)
=============  ==================================================================

Voltages are in the model's own convention (the same ``v`` as in its equations:
for ``hh1952`` the displacement from rest, depolarisation negative).  The command
is piecewise constant, and every edge must fall on the time grid: an edge that
does not is refused with the edge and a dt that fits, never rounded.
:meth:`ClampProtocol.command` gives the command as a sweeps x samples array,
sample ``j`` holding the value over ``[j dt, (j + 1) dt)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, get_dimensions, ms, second, volt

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.timegrid import check_time_step
from hh_brian.models.clamp_inputs import (
    MAX_SWEEPS,
    check_duration,
    check_voltage,
    specific_series_resistance,
    voltage_range,
)
from hh_brian.models.drive import fitting_dt

#: Protocol kinds.
STEPS, PREPULSE, TAIL = "steps", "prepulse", "tail"
KINDS = (STEPS, PREPULSE, TAIL)
#: Edges are compared with the grid to this relative precision.
GRID_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Segment:
    """One constant-voltage piece of every sweep.

    Attributes
    ----------
    name : str
        What the segment is (``"hold"``, ``"step"``, ``"prepulse"``, ``"test"``, ``"tail"``).
    start, duration : Quantity
        Start time and length (second).
    voltage : Quantity
        Command per sweep, shape ``(n_sweeps,)`` (volt, model's convention).
    """

    name: str
    start: Quantity
    duration: Quantity
    voltage: Quantity

    @property
    def stop(self) -> Quantity:
        return self.start + self.duration


@dataclass(frozen=True)
class ClampProtocol:
    """A family of voltage-clamp sweeps on one time grid.

    Attributes
    ----------
    kind : {'steps', 'prepulse', 'tail'}
    levels : Quantity
        The swept command levels V_k, shape ``(n_sweeps,)`` (volt).
    segments : tuple of Segment
        In time order; together they cover ``[0, duration)``.
    duration, dt : Quantity
        Total time and the time step (second).
    hold : Quantity
        Holding potential (volt); the cell is taken to have been held there
        long enough for every gate to sit at its steady state at t = 0.
    window : str
        Name of the segment the analysis measures (``step``, ``test`` or ``tail``).
    """

    kind: str
    levels: Quantity
    segments: tuple[Segment, ...]
    duration: Quantity
    dt: Quantity
    hold: Quantity
    window: str

    @property
    def n_sweeps(self) -> int:
        return int(np.size(self.levels))

    @property
    def n_samples(self) -> int:
        return int(round(float(self.duration / self.dt)))

    def segment(self, name: str) -> Segment:
        """The segment called *name* (``KeyError`` if the protocol has none)."""
        for segment in self.segments:
            if segment.name == name:
                return segment
        raise KeyError(name)

    def window_slice(self) -> slice:
        """Sample indices of the measured segment, ``[start, stop)``."""
        segment = self.segment(self.window)
        return slice(_index(segment.start, self.dt), _index(segment.stop, self.dt))

    def command(self) -> Quantity:
        """The command, shape ``(n_sweeps, n_samples)`` (volt); sample j is held over
        ``[j dt, (j + 1) dt)``."""
        values = np.empty((self.n_sweeps, self.n_samples))
        for segment in self.segments:
            first, last = _index(segment.start, self.dt), _index(segment.stop, self.dt)
            values[:, first:last] = np.asarray(segment.voltage / volt)[:, None]
        return Quantity(values, dim=volt.dim)

    def times(self) -> Quantity:
        """Sample times ``j dt``, shape ``(n_samples,)`` (second)."""
        return np.arange(self.n_samples) * self.dt


def _index(time: Quantity, dt: Quantity) -> int:
    return int(round(float(time / dt)))


def _check_edges(segments: list[Segment], dt: Quantity) -> None:
    edges = [(seg.name, seg.start) for seg in segments[1:]]
    edges_ms = [float(t / ms) for _, t in edges] + [float(segments[-1].stop / ms)]
    for name, time in edges:
        ratio = float(time / dt)
        if abs(ratio - round(ratio)) > GRID_TOLERANCE * max(ratio, 1.0):
            suggestion = float(fitting_dt(np.array(edges_ms) * ms, dt) / ms)
            raise HHBrianInputError(
                f"dt: the start of the {name} segment at t = {float(time / ms):.9g} ms is not on "
                f"the time grid of dt = {float(dt / ms):g} ms (edges are never rounded); use "
                f"dt = {suggestion:.9g}*ms, or move the edge"
            )


# ---------------------------------------------------------------------------
# Building protocols
# ---------------------------------------------------------------------------


def build_protocol(
    kind: str,
    levels: Quantity,
    *,
    hold: Quantity,
    dt: Quantity,
    step_duration: Quantity,
    onset: Quantity = 1 * ms,
    prepulse_duration: Quantity | None = None,
    test: Quantity | None = None,
    duration: Quantity | None = None,
) -> ClampProtocol:
    """Build and validate one voltage-clamp protocol (see the module docstring).

    Parameters
    ----------
    kind : {'steps', 'prepulse', 'tail'}
    levels : Quantity
        The swept levels V_k (volt, model's convention), shape ``(n_sweeps,)``
        (:func:`voltage_range` makes them).
    hold : Quantity
        Holding potential (volt).
    dt : Quantity
        Time step (second); every edge must be a whole number of steps.
    step_duration : Quantity
        Length of the step (``steps``), of the test step (``prepulse``) or of the
        activating step (``tail``).
    onset : Quantity
        Time held at *hold* before the first change.
    prepulse_duration : Quantity, optional
        Required for ``prepulse``.
    test : Quantity, optional
        The fixed level: the test step of ``prepulse``, the activating step of
        ``tail`` (required for both).
    duration : Quantity, optional
        Total time; defaults to the protocol's segments plus *onset* (for
        ``tail``: the activating step plus 4 * ``step_duration`` of tail).

    Returns
    -------
    ClampProtocol

    Raises
    ------
    HHBrianInputError
        For a missing or unit-less voltage, a non-positive time, a protocol longer
        than *duration*, an unknown kind, or an edge off the time grid (the
        message names the edge and a dt that fits).
    """
    if kind not in KINDS:
        raise HHBrianInputError(f"kind: unknown protocol {kind!r}; use one of {', '.join(KINDS)}")
    hold = check_voltage(hold, "hold")
    levels = Quantity(levels)
    if get_dimensions(levels) is not get_dimensions(volt) or np.ndim(levels) != 1:
        raise HHBrianInputError(f"{kind}: levels must be a 1-D array of voltages, got {levels!r}")
    if not np.all(np.isfinite(np.asarray(levels))) or np.size(levels) == 0:
        raise HHBrianInputError(f"{kind}: levels must be finite and not empty")
    step_duration = check_duration(step_duration, "step_duration")
    onset = check_duration(onset, "onset")
    n = np.size(levels)
    held = np.ones(n) * hold
    if kind == STEPS:
        plan = [("hold", onset, held), ("step", step_duration, levels)]
        window = "step"
    else:
        if test is None:
            raise HHBrianInputError(f"test: the {kind} protocol needs a test level, e.g. '-10*mV'")
        fixed = np.ones(n) * check_voltage(test, "test")
        if kind == PREPULSE:
            if prepulse_duration is None:
                raise HHBrianInputError(
                    "prepulse_duration: the prepulse protocol needs it, e.g. '50*ms'"
                )
            pre = check_duration(prepulse_duration, "prepulse_duration")
            plan = [
                ("hold", onset, held),
                ("prepulse", pre, levels),
                ("test", step_duration, fixed),
            ]
            window = "test"
        else:
            plan = [("hold", onset, held), ("activating step", step_duration, fixed)]
            window = "tail"
    used = sum((length for _, length, _ in plan), 0 * second)
    if duration is None:
        duration = used + (4 * step_duration if kind == TAIL else onset)
    duration = check_duration(duration, "duration")
    check_time_step(dt, duration)
    remainder = duration - used
    if remainder < -GRID_TOLERANCE * duration:
        raise HHBrianInputError(
            f"duration: {float(duration / ms):g} ms is shorter than the protocol "
            f"({float(used / ms):g} ms); make it at least that long"
        )
    if kind == TAIL:
        if remainder <= GRID_TOLERANCE * duration:
            raise HHBrianInputError(
                f"duration: {float(duration / ms):g} ms leaves no time for the tail after "
                f"{float(used / ms):g} ms; make it longer"
            )
        plan.append(("tail", remainder, levels))
    elif remainder > GRID_TOLERANCE * duration:
        plan.append(("hold", remainder, held))
    segments, start = [], 0 * second
    for name, length, voltage in plan:
        segments.append(Segment(name, start, length, Quantity(voltage)))
        start = start + length
    _check_edges(segments, dt)
    return ClampProtocol(
        kind=kind,
        levels=levels,
        segments=tuple(segments),
        duration=duration,
        dt=dt,
        hold=hold,
        window=window,
    )


__all__ = [
    "KINDS",
    "MAX_SWEEPS",
    "PREPULSE",
    "STEPS",
    "TAIL",
    "ClampProtocol",
    "Segment",
    "build_protocol",
    "check_duration",
    "check_voltage",
    "specific_series_resistance",
    "voltage_range",
]
