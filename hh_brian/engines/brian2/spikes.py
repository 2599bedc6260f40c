"""Spike detection in a Brian2 NeuronGroup: the crossing rule of :mod:`hh_brian.core.crossings`.

Brian2's thresholder sees the state at the end of a step only, and its SpikeMonitor
stamps a spike with the step's start ``t_k``.  hh-brian therefore

1. keeps ``v_before``, the potential at the start of every step, with a
   ``run_regularly('v_before = v', when='before_groups')`` ordered before every other
   operation of that slot (nothing that changes ``v`` runs before it);
2. uses the threshold ``v > V_spike and v_before <= V_spike`` (the mirror image in the
   1952 convention) with the refractory condition ``v > V_spike``: one spike per
   upward crossing, re-armed when ``v`` is back at or below the threshold
   (:func:`hh_brian.render.brian2.spike_conditions`);
3. arms only the neurons that start at or below threshold (``not_refractory``), and
   sets ``v_before = v`` at the start, so a run that starts above threshold (e.g. a
   continuation from mid-spike) does not count that spike;
4. records ``v`` and ``v_before`` with each spike and interpolates, vectorised:
   ``t_spike = t_k + dt (V_spike - v_before) / (v - v_before)``
   (:func:`interpolated_times`).

A change of ``v`` made after the thresholder of a step (e.g. a synapse writing ``v`` in
``on_pre``) is part of the next step's start value; hh-brian's synapses change
conductances, not ``v``.
"""

from __future__ import annotations

import numpy as np
from brian2 import NeuronGroup, Quantity, SpikeMonitor, second, volt

from hh_brian.core.crossings import crossing_fraction
from hh_brian.render.brian2 import V_BEFORE_EQUATION, V_BEFORE_UPDATE

#: Slot and order of the ``v_before`` update: first of all ``before_groups`` operations.
SAVE_WHEN = "before_groups"
SAVE_ORDER = -1000
#: Variables every hh-brian SpikeMonitor records for the interpolation.
RECORDED = ("v", "v_before")

__all__ = [
    "RECORDED",
    "SAVE_ORDER",
    "SAVE_WHEN",
    "attach_detector",
    "interpolated_times",
    "recorded_spikes",
    "spike_monitor",
    "with_detector",
]


def with_detector(equations: str) -> str:
    """*equations* plus the ``v_before`` variable the threshold reads."""
    return f"{equations}\n{V_BEFORE_EQUATION}"


def attach_detector(group: NeuronGroup, refractory: str | Quantity | None) -> None:
    """Save ``v`` before every step and arm only neurons at or below threshold.

    Call after the initial state is set.

    Parameters
    ----------
    group : NeuronGroup
        Built from :func:`with_detector` equations and a threshold from
        :func:`hh_brian.render.brian2.spike_conditions`.
    refractory : str, Quantity or None
        The group's refractoriness.  For the boolean condition ("above threshold"),
        ``not_refractory`` starts as its negation; a dead time (Quantity) keeps Brian2's
        default (armed), which the crossing threshold makes safe.
    """
    group.run_regularly(V_BEFORE_UPDATE, when=SAVE_WHEN, order=SAVE_ORDER)
    group.v_before = "v"
    if isinstance(refractory, str):
        group.not_refractory = f"not ({refractory})"


def spike_monitor(group: NeuronGroup, **options: object) -> SpikeMonitor:
    """A SpikeMonitor of *group* that also records :data:`RECORDED`."""
    return SpikeMonitor(group, variables=list(RECORDED), **options)


def interpolated_times(monitor: SpikeMonitor, dt: Quantity, threshold: Quantity) -> Quantity:
    """Interpolated crossing times of every spike *monitor* recorded (second).

    ``t_spike = t_k + dt (threshold - v_before) / (v - v_before)``, where ``t_k`` is the
    step start Brian2 stamps, and ``v_before``/``v`` the potentials at the step's start
    and end; the result lies in ``(t_k, t_k + dt]``.  Same order as ``monitor.t``.

    Parameters
    ----------
    monitor : SpikeMonitor
        From :func:`spike_monitor`.
    dt : Quantity
        The group's time step.
    threshold : Quantity
        ``V_spike`` in the model's convention (volt).
    """
    start = np.asarray(monitor.t[:] / second, dtype=float)
    theta = float(threshold / volt)
    before = np.asarray(monitor.v_before[:] / volt, dtype=float) - theta
    after = np.asarray(monitor.v[:] / volt, dtype=float) - theta
    return (start + float(dt / second) * crossing_fraction(before, after)) * second


def recorded_spikes(
    monitor: SpikeMonitor, dt: Quantity, threshold: Quantity
) -> tuple[np.ndarray, Quantity, Quantity]:
    """Neuron indices, interpolated times and the step's change of ``v`` of every spike.

    Sorted by time (ties by neuron), as the NumPy engine sorts its spikes.

    Returns
    -------
    indices : ndarray of int
    times : Quantity
        :func:`interpolated_times` (second).
    step_dv : Quantity
        ``v - v_before`` over each spike's crossing step (volt): an interpolated time
        moves by ``dt * delta / step_dv`` when either sample moves by ``delta``.
    """
    times = interpolated_times(monitor, dt, threshold)
    order = np.argsort(np.asarray(times / second), kind="stable")
    indices = np.asarray(monitor.i[:], dtype=int)[order]
    step_dv = (monitor.v[:] - monitor.v_before[:])[order]
    return indices, times[order], step_dv
