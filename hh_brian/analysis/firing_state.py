"""Rest, firing or depolarisation block: what a neuron settles into under a constant current.

:func:`classify` reads a window of recorded ``v`` (after the transients) and tells three
states apart:

``firing``
    a sustained oscillation, whatever its amplitude: full action potentials, and the
    squid axon's small oscillation between ~100 and ~154.5 uA/cm^2 whose peaks stay
    below ``V_spike`` (-20 mV).  Its rate counts upward crossings of the oscillation's
    *midline* ``(max + min)/2`` in the window (interpolated, the rule of
    :mod:`hh_brian.core.crossings`), so it is defined even when no peak reaches
    ``V_spike``; its amplitude is peak-to-trough (mV).
``rest`` and ``block``
    a stable equilibrium (no sustained oscillation).  Both are equilibria of the same
    curve ``v -> (v, x_inf(v))``; they differ by where they sit on it.  **Block** is an
    equilibrium more depolarised than the model's resting potential *with an unstable
    stretch of that curve between them*: the current has carried the equilibrium
    through the range where it is unstable (where the cell fires; for the squid axon,
    between the Hopf points ~9.78 and ~154.5 uA/cm^2) onto the depolarised branch,
    where it is stable again.  **Rest** is any other stable state: the resting
    branch, e.g. below rheobase or, in a bistable range, the quiet state.  Stability
    comes from the eigenvalues of the full system's Jacobian along the curve
    (:func:`hh_brian.models.kinetics.jacobians`), on a :data:`GRID_STEP_MV` grid; it
    does not depend on the current, which only shifts ``dv/dt``.

**Sustained, damped or growing.**  Near a Hopf point an oscillation decays (or grows)
slowly.  The window's complete cycles (between successive midline crossings) each give
a peak-to-trough amplitude ``a``; with ``r = a_last / a_first``:

* an oscillation whose peaks stay below ``V_spike`` is sustained when its amplitude is
  steady to :data:`SUSTAINED_RATIO` (``0.99 <= r <= 1/0.99``) and exceeds
  :data:`AMPLITUDE_FLOOR`.  Such oscillations are smooth and sampled to ~1e-4 of their
  amplitude, and they are where slow change happens.  A decaying one is settling onto
  a stable equilibrium; a growing one is leaving an unstable equilibrium (past a
  subcritical Hopf point, towards action potentials) and has not settled in the window.
  Neither is firing: both are classified by their equilibrium, rest or block.
* a train of action potentials (peaks above ``V_spike``) is firing when
  ``r >= SUSTAINED_RATIO_SPIKING`` (0.9): a 1-ms spike peak sampled at the recording
  step varies by up to ~2 % from cycle to cycle, and a transient train decays much
  faster than that.

A decay rate ``sigma`` (1/s) gives ``r = exp(-sigma T)`` over the span ``T`` between the
first and last cycles, so the test resolves ``|sigma| > -ln(0.99)/T``: 0.04/s in a
250 ms window.  Measured for the squid axon (Dayan & Abbott, step from rest,
dt = 0.01 ms, hold 500 ms): ``r`` is 1.000 at 150 uA/cm^2, 0.996 at 153, 0.966 at 154,
0.80 at 155 and 0.015 at 160 (hold 400 ms: 0.989 at 153), so the reported block onset
lies within about 1-2 uA/cm^2 of the Hopf point (~154.5), closer for longer holds.  At
the subcritical Hopf point (~9.78) the up sweep's ringing after the ramp grows or
decays by 10-50 % over a 200 ms window and reads as rest until action potentials
appear.  A window with a single complete cycle (slow firing) cannot show any change and
counts as firing if its amplitude exceeds the floor; one with none is not firing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, mV, second, volt

from hh_brian.core.crossings import upward_crossings
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel
from hh_brian.models.kinetics import jacobians, rest_report, steady_state

#: The three states, in the order of increasing depolarisation.
REST, FIRING, BLOCK = "rest", "firing", "block"
STATES = (REST, FIRING, BLOCK)
#: An oscillation smaller than this (peak to trough) is an equilibrium's residue, not
#: firing: far above round-off and integration noise (< 1e-6 mV at rest), far below the
#: squid axon's limit cycle except within ~0.01 uA/cm^2 of the Hopf point.
AMPLITUDE_FLOOR = 0.1 * mV
#: A small oscillation's last complete cycle must be within this factor of the first's
#: amplitude (see the module docstring for the rates of change it resolves) ...
SUSTAINED_RATIO = 0.99
#: ... and a train of action potentials (peaks above V_spike) keep this fraction of it.
SUSTAINED_RATIO_SPIKING = 0.9
#: Modern potentials (mV) over which the equilibrium curve's stability is tabulated.
GRID_MV = (-120.0, 60.0)
GRID_STEP_MV = 0.1

__all__ = [
    "AMPLITUDE_FLOOR",
    "BLOCK",
    "FIRING",
    "FIRING_STATE_FIELDS",
    "REST",
    "STATES",
    "SUSTAINED_RATIO",
    "SUSTAINED_RATIO_SPIKING",
    "FiringState",
    "classify",
    "is_block",
    "unstable_equilibria_mV",
]


@dataclass(frozen=True, eq=False)
class FiringState:
    """What each neuron does in the analysis window.

    Attributes
    ----------
    state : ndarray of str
        ``'rest'``, ``'firing'`` or ``'block'``, shape ``(n,)``.
    rate : Quantity
        Midline-crossing rate (Hz) of firing neurons, ``(n_crossings - 1)`` over the span
        from the first to the last crossing in the window; 0 Hz otherwise.
    amplitude : Quantity
        Peak-to-trough amplitude (volt) of the last complete cycle; 0 when the window
        holds no complete cycle.
    sustained : ndarray of float
        Last over first complete cycle's amplitude, ``r`` (NaN with fewer than two
        cycles).
    level : Quantity
        Mean ``v`` over the last complete cycle, or the last sample without one: the
        settled potential of a neuron at an equilibrium (volt, model's convention).
    peak : Quantity
        Most depolarised ``v`` in the window (volt, model's convention).
    """

    state: np.ndarray
    rate: Quantity
    amplitude: Quantity
    sustained: np.ndarray
    level: Quantity
    peak: Quantity


#: The per-neuron fields of :class:`FiringState` (to slice one by neurons).
FIRING_STATE_FIELDS = ("state", "rate", "amplitude", "sustained", "level", "peak")


def classify(t: Quantity, v: Quantity, model: CellModel) -> FiringState:
    """Classify each neuron's recorded window as rest, firing or block.

    Parameters
    ----------
    t : Quantity
        Sample times of the window (second), shape ``(n_samples,)``, at least 3.
    v : Quantity
        Potentials in the model's convention (volt), shape ``(n, n_samples)``.
    model : CellModel
        Supplies the convention and the equilibrium curve (rest vs block).

    Returns
    -------
    FiringState

    Raises
    ------
    HHBrianInputError
        If the shapes disagree or the window has fewer than 3 samples.
    """
    t_s = np.asarray(t / second, dtype=float)
    sign = model.convention.sign
    x = sign * np.atleast_2d(np.asarray(v / volt, dtype=float))  # depolarised is larger
    if t_s.ndim != 1 or t_s.size < 3 or x.shape[1] != t_s.size:
        raise HHBrianInputError(
            f"firing state: need >= 3 sample times matching v's samples, got {t_s.size} "
            f"times for v of shape {np.shape(v)}"
        )
    top, bottom = x.max(axis=1), x.min(axis=1)
    midline = (top + bottom) / 2
    rows, steps, times = upward_crossings(t_s, x - midline[:, None])
    n = x.shape[0]
    amplitude = np.zeros(n)
    sustained = np.full(n, np.nan)
    level = x[:, -1].copy()
    rate = np.zeros(n)
    for row in range(n):
        mine = rows == row
        edges = steps[mine] + 1  # first sample after each crossing
        if edges.size >= 2:
            cycles = _cycle_amplitudes(x[row], edges)
            amplitude[row] = cycles[-1]
            level[row] = x[row, edges[-2] : edges[-1]].mean()
            if cycles.size >= 2 and cycles[0] > 0:
                sustained[row] = cycles[-1] / cycles[0]
            crossing_times = times[mine]
            rate[row] = (crossing_times.size - 1) / (crossing_times[-1] - crossing_times[0])
    floor = float(AMPLITUDE_FLOOR / volt)
    spiking = top > sign * float(model.V_spike / volt)
    ratio = np.nan_to_num(sustained, nan=1.0)
    steady = (ratio >= SUSTAINED_RATIO) & (ratio <= 1 / SUSTAINED_RATIO)
    firing = (amplitude >= floor) & np.where(spiking, ratio >= SUSTAINED_RATIO_SPIKING, steady)
    state = np.where(firing, FIRING, REST).astype(object)
    quiet = np.flatnonzero(~firing)
    state[quiet[is_block(model, sign * level[quiet] * volt)]] = BLOCK
    return FiringState(
        state=state.astype(str),
        rate=np.where(firing, rate, 0.0) * Hz,
        amplitude=amplitude * volt,
        sustained=sustained,
        level=sign * level * volt,
        peak=sign * top * volt,
    )


def _cycle_amplitudes(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Peak-to-trough of each complete cycle ``[edges[j], edges[j + 1])``."""
    highs = np.maximum.reduceat(x, edges[:-1])
    lows = np.minimum.reduceat(x, edges[:-1])
    # reduceat's last segment runs to the end of x: recompute it over its own cycle
    highs[-1] = x[edges[-2] : edges[-1]].max()
    lows[-1] = x[edges[-2] : edges[-1]].min()
    return highs - lows


def is_block(model: CellModel, v: Quantity) -> np.ndarray:
    """Whether equilibria at *v* are depolarisation block (see the module docstring).

    Parameters
    ----------
    model : CellModel
    v : Quantity
        Settled potentials in the model's convention (volt), shape ``(n,)``.

    Returns
    -------
    ndarray of bool
        True where an unstable equilibrium of the model lies between its resting
        potential and *v*, with *v* the more depolarised.
    """
    v_modern = np.atleast_1d(np.asarray(model.convention.to_modern(v) / mV, dtype=float))
    unstable = unstable_equilibria_mV(model)
    rest = rest_report(model).state["v"]
    rest_modern = float(model.convention.to_modern(rest) / mV)
    above_rest = unstable[unstable > rest_modern]
    if above_rest.size == 0:
        return np.zeros(v_modern.shape, dtype=bool)
    return v_modern > above_rest.min()


def unstable_equilibria_mV(model: CellModel) -> np.ndarray:
    """Modern potentials (mV) on the :data:`GRID_STEP_MV` grid where the equilibrium
    ``(v, x_inf(v))`` is unstable (cached per model)."""
    key = model.key()
    if key not in _UNSTABLE:
        if len(_UNSTABLE) >= 64:
            _UNSTABLE.clear()
        _UNSTABLE[key] = _unstable(model)
    return _UNSTABLE[key]


#: unstable_equilibria_mV by CellModel.key() (bounded: cleared when it grows past 64).
_UNSTABLE: dict[str, np.ndarray] = {}


def _unstable(model: CellModel) -> np.ndarray:
    grid = np.arange(GRID_MV[0], GRID_MV[1] + GRID_STEP_MV / 2, GRID_STEP_MV)
    v = np.asarray(model.convention.from_modern(grid * mV) / volt, dtype=float)
    gates = [np.asarray(steady_state(model, g, v * volt), dtype=float) for g in model.gate_names]
    states = np.vstack([v, *gates])
    eig = np.linalg.eigvals(jacobians(model, states))
    scale = np.maximum(1.0, np.abs(eig).max(axis=1))
    stable = np.all(eig.real < -1e-9 * scale[:, None], axis=1)
    return grid[~stable]
