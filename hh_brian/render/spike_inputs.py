"""Brian2 text for synaptic input from given spike times onto a single cell.

Each :class:`~hh_brian.models.protocol.SpikeInput` ``j`` becomes a conductance
``g_in{j}`` with its preset's kinetics, a current ``I_in{j}`` and a term of
``I_syn``, in the model's units (conductances per area unless the model has an
area).  Timing: a spike arriving at ``t_a`` (spike time + delay) raises the
conductance *at* ``t_a``: the generator fires at ``t_a - dt`` and Brian2 applies
``on_pre`` at the end of that step (an arrival at 0 sets the initial
conductance).  Arrivals must lie on the time grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, get_dimensions, meter, second, siemens

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel
from hh_brian.models.drive import fitting_dt
from hh_brian.models.protocol import SpikeInput
from hh_brian.models.synapse_equations import modern_v
from hh_brian.models.synapse_preset import EXPONENTIAL, MG_HALF, MG_SLOPE

_DENSITY = get_dimensions(siemens / meter**2)


@dataclass(frozen=True, eq=False)
class RenderedSpikeInputs:
    """Equations, namespace and generator schedule for a cell's spike inputs.

    Attributes
    ----------
    equations : str
        Lines that define ``I_syn`` (the model's current units).
    namespace : dict
    on_pre : tuple of str
        One ``on_pre`` statement per input.
    weights : tuple of Quantity
        Each input's weight in the model's conductance units.
    schedule : tuple of (indices, times)
        Per input: generator indices and firing times (Quantity), arrival - dt.
    initial : dict
        Conductance variables raised by arrivals at t = 0.
    """

    equations: str
    namespace: dict[str, object]
    on_pre: tuple[str, ...]
    weights: tuple[Quantity, ...]
    schedule: tuple[tuple[np.ndarray, Quantity], ...]
    initial: dict[str, Quantity]


def model_weight(model: CellModel, spikes: SpikeInput) -> Quantity:
    """The weight in the model's conductance units (siemens with an area, else per area).

    Raises
    ------
    HHBrianInputError
        For an absolute weight (siemens) on a model without an area.
    """
    density = get_dimensions(spikes.weight) is _DENSITY
    if model.has_area:
        return spikes.weight * model.area if density else spikes.weight
    if not density:
        raise HHBrianInputError(
            f"synapse {spikes.preset.name} weight: {spikes.weight!r} is an absolute "
            f"conductance but model {model.name!r} is per area; give a density such as "
            "'0.1*mS/cm**2', or give the model an area"
        )
    return spikes.weight


def check_arrivals(spikes: SpikeInput, dt: Quantity) -> None:
    """Refuse arrival times that are not multiples of *dt* (they would be rounded)."""
    arrivals = spikes.arrivals
    ratio = arrivals / float(dt / second)
    off = np.abs(ratio - np.round(ratio)) > 1e-9 * np.maximum(1.0, ratio)
    if off.any():
        fit = fitting_dt(arrivals * second, dt)
        raise HHBrianInputError(
            f"synapse {spikes.preset.name}: spike arrival at {arrivals[off][0] * 1e3:.9g} ms is "
            f"not on the time grid of dt = {float(dt / second) * 1e3:g} ms; use dt = "
            f"{float(fit / second) * 1e3:.9g}*ms or move the spike"
        )


def _schedule(spikes: SpikeInput, dt: Quantity, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Generator (indices, step numbers) firing one step before each arrival.

    Arrivals in the same step go to different generator neurons (Brian2 allows
    one spike per neuron and step); arrivals at 0 and after the run are left out.
    """
    steps = np.round(spikes.arrivals / float(dt / second)).astype(np.int64)
    steps = steps[(steps >= 1) & (steps <= n_steps)] - 1
    _, first, counts = np.unique(steps, return_index=True, return_counts=True)
    rank = np.arange(steps.size) - np.repeat(first, counts)
    return rank, steps


def render_spike_inputs(
    model: CellModel, inputs: Sequence[SpikeInput], dt: Quantity, n_steps: int
) -> RenderedSpikeInputs:
    """Brian2 lines for the conductances of *inputs* and their sum ``I_syn``.

    Raises
    ------
    HHBrianInputError
        For arrivals off the grid or weights the model cannot take.
    """
    unit = "siemens" if model.has_area else "siemens/meter**2"
    current_unit = "amp" if model.has_area else "amp/meter**2"
    sign = "" if model.convention.sign > 0 else "-"
    lines, on_pre, weights, schedule = [], [], [], []
    namespace: dict[str, object] = {}
    initial: dict[str, Quantity] = {}
    for j, spikes in enumerate(inputs):
        check_arrivals(spikes, dt)
        preset = spikes.preset.in_convention(model.convention)
        x = f"in{j}"
        weight = model_weight(model, spikes)
        weights.append(weight)
        namespace[f"E_{x}"] = preset.E_rev
        namespace[f"tau_decay_{x}"] = preset.tau_decay
        at_zero = int(np.sum(np.round(spikes.arrivals / float(dt / second)) == 0))
        if preset.kinetics == EXPONENTIAL:
            lines.append(f"dg_{x}/dt = -g_{x}/tau_decay_{x} : {unit}")
            on_pre.append(f"g_{x}_post += w_{x}")
            initial[f"g_{x}"] = at_zero * weight
        else:
            namespace[f"tau_rise_{x}"] = preset.tau_rise
            lines += [
                f"dg_{x}_decay/dt = -g_{x}_decay/tau_decay_{x} : {unit}",
                f"dg_{x}_rise/dt = -g_{x}_rise/tau_rise_{x} : {unit}",
                f"g_{x} = g_{x}_decay - g_{x}_rise : {unit}",
            ]
            k = preset.peak_factor
            on_pre.append(f"g_{x}_decay_post += {k!r}*w_{x}\ng_{x}_rise_post += {k!r}*w_{x}")
            initial[f"g_{x}_decay"] = initial[f"g_{x}_rise"] = at_zero * k * weight
        block = ""
        if preset.mg_block:
            namespace.update({f"Mg_{x}": preset.mg, "Mg_half": MG_HALF, "Mg_slope": MG_SLOPE})
            v_modern = modern_v(model.convention)
            lines.append(f"B_{x} = 1/(1 + Mg_{x}/Mg_half*exp(-Mg_slope*{v_modern})) : 1")
            block = f"*B_{x}"
        lines.append(f"I_{x} = {sign}g_{x}{block}*(E_{x} - v) : {current_unit}")
        schedule.append(_schedule(spikes, dt, n_steps))
    total = " + ".join(f"I_in{j}" for j in range(len(inputs))) or f"0*{current_unit}"
    lines.append(f"I_syn = {total} : {current_unit}")
    return RenderedSpikeInputs(
        "\n".join(lines), namespace, tuple(on_pre), tuple(weights), tuple(schedule), initial
    )
