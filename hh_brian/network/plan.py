"""Everything random in a network, drawn once by hh-brian and given to every engine.

:func:`draw_plan` draws, from the spec's seed,

* the initial state of every neuron (each population's ``initial`` values, Brian2
  expressions such as ``'E_L + (randn()*5 - 5)*mV'`` included, evaluated by Brian2's
  NumPy target under ``brian2.seed(seed)``; unspecified variables at the computed rest
  and conductances at 0, as :func:`hh_brian.network.build.run_network` sets them);
* the edge list of every connection (:func:`hh_brian.network.build.draw_connections`
  with ``numpy.random.default_rng(seed)``, in the spec's order: the synapses a plain
  Brian2 run draws too);
* the external Poisson trains: for each drive and neuron, a Poisson number of events
  with mean ``n_inputs*rate*duration`` at uniformly drawn steps (several may share a
  step; their weights add), from ``default_rng([seed, 1])``.  Brian2's ``PoissonInput``
  draws a binomial count per step, the same process sampled on the step grid.

:func:`hh_brian.network.build.run_network` (``plan=``) and
:mod:`hh_brian.network.neuron_build` both take a plan, so the two engines run the same
network, drive and initial state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity

from hh_brian.models.synapse_equations import state_variables
from hh_brian.network.spec import Connection, Population


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """The drawn parts of a network.

    Attributes
    ----------
    initial : dict
        population -> {variable: Quantity of shape (size,)}: ``v`` (the preset's
        convention), every state gate, every synaptic state (siemens).
    edges : tuple of (ndarray, ndarray)
        Per connection of the spec, presynaptic and postsynaptic indices (int32).
    drive_events : tuple of (ndarray, ndarray)
        Per drive of the spec, the target neuron and the step index of each event,
        sorted by step then neuron.
    n_steps : int
        Steps of the run the trains were drawn for.
    """

    initial: dict[str, dict[str, Quantity]]
    edges: tuple[tuple[np.ndarray, np.ndarray], ...]
    drive_events: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_steps: int


def state_names(pop: Population) -> tuple[str, ...]:
    """Every integrated variable of a population's neurons: v, gates, conductances."""
    return (*pop.preset.state_variables, *(v for s in pop.synapses for v in state_variables(s)))


def draw_connections(
    connection: Connection, n_source: int, n_target: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Presynaptic and postsynaptic indices of one connection (vectorised per chunk)."""
    if connection.in_degree is not None:
        k = int(connection.in_degree)
        sources = np.empty((n_target, k), dtype=np.int32)
        for j in range(n_target):
            sources[j] = rng.choice(n_source, size=k, replace=False)
        return sources.ravel(), np.repeat(np.arange(n_target, dtype=np.int32), k)
    pre, post = [], []
    chunk = max(1, (1 << 22) // max(n_source, 1))
    for start in range(0, n_target, chunk):
        stop = min(n_target, start + chunk)
        j, i = np.nonzero(rng.random((stop - start, n_source)) < connection.p)
        pre.append(i.astype(np.int32))
        post.append((j + start).astype(np.int32))
    return np.concatenate(pre), np.concatenate(post)


def draw_drive(n_neurons: int, mean_events: float, n_steps: int, rng: np.random.Generator):
    """(neuron, step) of Poisson events: a Poisson count per neuron, uniform steps."""
    counts = rng.poisson(mean_events, size=n_neurons)
    neurons = np.repeat(np.arange(n_neurons, dtype=np.int32), counts)
    steps = rng.integers(0, n_steps, size=neurons.size)
    order = np.lexsort((neurons, steps))
    return neurons[order], steps[order].astype(np.int64)


def generator_layout(
    neurons: np.ndarray, steps: np.ndarray, n_neurons: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Spread events over ``layers*n_neurons`` generator indices so that no index fires
    twice in one step (Brian2's SpikeGeneratorGroup refuses that): the r-th event of a
    neuron within one step goes to index ``neuron + r*n_neurons``.

    Returns (generator indices, steps, generator size).
    """
    if neurons.size == 0:
        return neurons.astype(np.int64), steps, n_neurons
    order = np.lexsort((steps, neurons))
    key = neurons[order].astype(np.int64) * (int(steps.max()) + 1) + steps[order]
    first = np.r_[0, np.nonzero(np.diff(key))[0] + 1]
    starts = np.repeat(first, np.diff(np.r_[first, key.size]))
    layer = np.arange(key.size) - starts
    index = neurons[order].astype(np.int64) + layer * n_neurons
    return index, steps[order], int(n_neurons * (layer.max() + 1))


__all__ = [
    "NetworkPlan",
    "draw_connections",
    "draw_drive",
    "generator_layout",
    "state_names",
]
