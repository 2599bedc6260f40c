"""Inputs for the NumPy reference engine from hh-brian's currents, stimuli and spike inputs.

Converts to the reference engine's units (uA/cm^2, mS/cm^2, mV, ms) and to its
:class:`~hh_brian.engines.reference.inputs.CurrentInput`, keeping each input's
timing: held stimuli at the step's start, smooth ones at each stage's time,
synaptic conductances from the spikes that arrived by the step's start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from brian2 import Quantity, TimedArray, cm, ms, msiemens, mV, uA

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.reference.inputs import CurrentInput, as_current
from hh_brian.models.cell import CellModel
from hh_brian.models.currents import coerce_current
from hh_brian.models.drive import Drive
from hh_brian.models.protocol import SpikeInput
from hh_brian.models.stimulus_base import Stimulus
from hh_brian.render.spike_inputs import check_arrivals, model_weight

_CONDUCTANCE = msiemens / cm**2
_DENSITY = uA / cm**2


def current_density_uA_cm2(preset: CellModel, current: Quantity) -> np.ndarray:
    """Physical injected current as a density in uA/cm^2 (absolute currents / area)."""
    current = coerce_current(preset, current)
    if preset.has_area:
        current = current / preset.parameters["area"]
    return np.asarray(current / _DENSITY, dtype=float)


def drive_input(drive: Drive, n_neurons: int) -> CurrentInput:
    """A :class:`Drive` as the reference engine's input: the held part read at each
    step's start, the smooth part at each stage's time, in uA/cm^2 and ms."""
    held, smooth = drive.numpy()
    values = np.ascontiguousarray(np.broadcast_to(held, (held.shape[0], n_neurons)))
    return CurrentInput(
        "sampled",
        n_neurons,
        values=values,
        dt=float(drive.dt / ms),
        hold=True,
        smooth=smooth,
        edges=drive.smooth_edges() * 1e3,
    )


def reference_current(
    preset: CellModel, current: Quantity | TimedArray, dt: Quantity, n_steps: int
):
    """Constant (scalar or per neuron) or per-step sampled current for the reference."""
    if not isinstance(current, TimedArray):
        return current_density_uA_cm2(preset, Quantity(current))
    if abs(float(current.dt) - float(dt)) > 1e-12 * float(dt):
        raise HHBrianInputError(
            f"stimulus sampled every {float(current.dt) * 1e3:g} ms but dt = "
            f"{float(dt / ms):g} ms; resample the stimulus at dt"
        )
    values = Quantity(current.values, dim=current.dim)
    samples = current_density_uA_cm2(preset, values)
    # Brian2 clips TimedArray indices to the last value; the reference samples k and k+1.
    needed = n_steps + 1
    if samples.shape[0] < needed:
        pad = np.repeat(samples[-1:], needed - samples.shape[0], axis=0)
        samples = np.concatenate([samples, pad], axis=0)
    return samples[:needed]


def is_stimuli(current: object) -> bool:
    return isinstance(current, list | tuple) and all(isinstance(s, Stimulus) for s in current)


def conductance_input(
    preset: CellModel, synapses: Sequence[SpikeInput], dt: Quantity
) -> tuple[Callable[[float, float], tuple[float, float]], np.ndarray]:
    """The reference engine's input conductances for spike inputs, and their edges (ms).

    Each spike arriving at ``t_a`` adds its preset's analytic conductance
    (:meth:`SynapsePreset.conductance`) from ``t_a`` on; a stage of the step
    from ``t_step`` counts the arrivals up to ``t_step`` (the Brian2 engine
    raises the conductance at the arrival time, see
    :mod:`hh_brian.render.spike_inputs`).  Densities in mS/cm^2, E in the
    model's convention (mV).

    Raises
    ------
    HHBrianInputError
        For a preset with a Mg2+ block (non-linear in V; the NumPy engine takes
        conductances linear in V), arrivals off the grid, or bad weights.
    """
    half = 0.5 * float(dt / ms)
    parts = []
    for spikes in synapses:
        check_arrivals(spikes, dt)
        preset_syn = spikes.preset.in_convention(preset.convention)
        if preset_syn.mg_block:
            raise HHBrianInputError(
                f"synapse {preset_syn.name}: the NumPy engine takes conductances linear in v; "
                "a Mg2+ block is not; run it with the Brian2 engine"
            )
        weight = model_weight(preset, spikes)
        if preset.has_area:
            weight = weight / preset.area
        w = float(weight / _CONDUCTANCE)
        k = preset_syn.peak_factor
        tau_d = float(preset_syn.tau_decay / ms)
        tau_r = None if preset_syn.tau_rise is None else float(preset_syn.tau_rise / ms)
        parts.append(
            (np.sort(spikes.arrivals * 1e3), w, k, tau_d, tau_r, float(preset_syn.E_rev / mV))
        )

    def conductance(t: float, t_step: float) -> tuple[float, float]:
        g_total = g_e = 0.0
        for arrivals, w, k, tau_d, tau_r, e_rev in parts:
            since = t - arrivals[: np.searchsorted(arrivals, t_step + half, side="right")]
            shape = np.exp(-since / tau_d)
            if tau_r is not None:
                shape = k * (shape - np.exp(-since / tau_r))
            g = w * float(np.sum(shape))
            g_total += g
            g_e += g * e_rev
        return g_total, g_e

    edges = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    return conductance, edges


def with_synapses(
    preset: CellModel,
    i_inj: object,
    synapses: Sequence[SpikeInput],
    dt: Quantity,
    n_steps: int,
    n_neurons: int,
) -> CurrentInput:
    """*i_inj* (any reference input) with the input conductances of *synapses* added."""
    base = as_current(i_inj, n_neurons, float(dt / ms), n_steps)
    conductance, edges = conductance_input(preset, synapses, dt)
    return replace(base, conductance=conductance, edges=np.concatenate((base.edges, edges)))
