"""External drive of a Brian2 network: Poisson inputs drawn by Brian2, or a plan's trains.

Without a plan, an exponential receptor gets a ``PoissonInput`` and a bi-exponential one a
``PoissonGroup`` with one ``Synapses`` onto it, as before.  With a
:class:`~hh_brian.network.plan.NetworkPlan`, every drive replays the drawn events through a
``SpikeGeneratorGroup`` (event at step k: the ``on_pre`` increment after step k's update),
spread over layers so that no generator index fires twice in a step
(:func:`~hh_brian.network.plan.generator_layout`).
"""

from __future__ import annotations

import numpy as np
from brian2 import PoissonGroup, PoissonInput, SpikeGeneratorGroup, Synapses

from hh_brian.models.synapse_equations import render_synapses
from hh_brian.models.synapse_preset import EXPONENTIAL
from hh_brian.network.plan import NetworkPlan, generator_layout
from hh_brian.network.spec import NetworkSpec, Population, _receptor


def drive_objects(
    spec: NetworkSpec, pops: dict[str, Population], groups: dict, plan: NetworkPlan | None
) -> list:
    """Brian2 objects delivering every drive of *spec* onto *groups*."""
    objects: list = []
    for n, d in enumerate(spec.drives):
        receptor = _receptor(pops[d.target], d.receptor, "drive")
        group = groups[d.target]
        rendered = render_synapses((receptor,), pops[d.target].preset.convention)
        namespace = {**rendered.namespace, "w": d.weight}
        if plan is not None:
            neurons, steps = plan.drive_events[n]
            index, step, size = generator_layout(neurons, steps, group.N)
            source = SpikeGeneratorGroup(
                size, index, step * spec.dt, dt=spec.dt, name=f"drive{n}", sorted=False
            )
            syn = Synapses(
                source, group, on_pre=rendered.on_pre[receptor.label], namespace=namespace,
                dt=spec.dt, name=f"drive{n}_syn",
            )  # fmt: skip
            syn.connect(i=np.arange(size), j=np.arange(size) % group.N)
            objects += [source, syn]
            continue
        if receptor.kinetics == EXPONENTIAL:
            objects.append(
                PoissonInput(group, f"g_{receptor.label}", d.n_inputs, d.rate, weight=d.weight)
            )
            continue
        source = PoissonGroup(group.N, d.n_inputs * d.rate, dt=spec.dt, name=f"drive{n}")
        syn = Synapses(
            source, group, on_pre=rendered.on_pre[receptor.label], namespace=namespace,
            dt=spec.dt, name=f"drive{n}_syn",
        )  # fmt: skip
        syn.connect(j="i")
        objects += [source, syn]
    return objects


__all__ = ["drive_objects"]
