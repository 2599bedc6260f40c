"""Langevin and subunit channel noise at clamped voltages in Brian2 (for validation).

Each neuron of one NeuronGroup holds its own constant ``v``; every gated channel's noisy
states (:mod:`hh_brian.noise.langevin`) start at their stationary mean there and are
integrated with stochastic heun.  The open fraction of each channel is sampled at
given times, for comparison with the exact statistics of the Markov model
(:mod:`hh_brian.noise.scheme`, :mod:`hh_brian.noise.markov_clamp`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from brian2 import Network, NeuronGroup, Quantity, ms, mV
from brian2 import seed as brian2_seed

from hh_brian.engines.brian2.fastpath import runtime_codeobj_class
from hh_brian.engines.brian2.settings import brian2_settings
from hh_brian.engines.reference_bridge import reference_model
from hh_brian.models.cell import CellModel
from hh_brian.noise.brian2_run import initial_noise_state
from hh_brian.noise.counts import channel_counts, gated_channels
from hh_brian.noise.heun_cache import CachedHeun
from hh_brian.noise.langevin import channel_noise_lines, rate_updates
from hh_brian.noise.scheme import scheme_for
from hh_brian.noise.spec import SUBUNIT
from hh_brian.render.brian2 import namespace_of


def clamp_open_fractions(
    model: CellModel,
    kind: str,
    v: Quantity,
    sample_times: Quantity,
    *,
    dt: Quantity = 0.01 * ms,
    seed: int = 0,
    counts: Mapping[str, int] | None = None,
    target: str = "cython",
) -> dict[str, np.ndarray]:
    """Open fraction of each gated channel at clamped voltages, sampled at given times.

    Parameters
    ----------
    model : CellModel
        With an area and gammas (unless *counts* is given).
    kind : {'langevin', 'subunit'}
    v : Quantity, shape (M,)
        One clamped voltage per neuron (model's convention).
    sample_times : Quantity, shape (K,)
        On the dt grid, increasing, after 0.
    dt : Quantity
    seed : int
    counts : mapping, optional
        Channel counts overriding ``g * area / gamma``.
    target : {'cython', 'numpy'}

    Returns
    -------
    dict
        Channel name -> open fraction, shape ``(K, M)``; for ``subunit`` the product
        ``prod x**p`` of the noisy gates.  Also ``"gate:<x>"`` -> each gate's
        open-subunit fraction, shape ``(K, M)``.
    """
    counts = dict(counts) if counts is not None else dict(channel_counts(model))
    channels = gated_channels(model)
    lines = ["v : volt (constant)"]
    for ch in channels:
        lines += channel_noise_lines(model, ch, kind)
    namespace = namespace_of(model)
    v = np.atleast_1d(np.asarray(v / mV, dtype=float))
    steady = reference_model(model).gate_steady_state(v)
    gates = dict(zip(reference_model(model).gate_names, steady, strict=True))
    times_ms = np.asarray(sample_times / ms, dtype=float)
    brian2_seed(int(seed))
    with brian2_settings(target=target):
        group = NeuronGroup(
            v.size,
            "\n".join(lines),
            method=CachedHeun(),
            namespace=namespace,
            dt=dt,
            name="noise_clamp",
            codeobj_class=runtime_codeobj_class(target, None),
        )
        group.run_regularly(rate_updates(model), when="before_groups", order=-1)
        for name, count in counts.items():
            setattr(group, f"N_{name}", count)
        group.v = v * mV
        for name, value in initial_noise_state(model, kind, gates).items():
            setattr(group, name, value)
        opened = {}
        for ch in channels:
            if kind != SUBUNIT:
                opened[ch.name] = scheme_for(ch).state_name(scheme_for(ch).open_state)
        variables = list(opened.values()) + list(model.gate_names)
        network = Network(group)
        samples = {name: [] for name in variables}
        for stop in times_ms:  # run to each sample time and read the state there
            network.run(stop * ms - network.t, namespace=namespace)
            for name in variables:
                samples[name].append(np.array(getattr(group, name)[:]))
        out = {f"gate:{g}": np.array(samples[g]) for g in model.gate_names}
        for ch in channels:
            if kind == SUBUNIT:
                value = np.ones_like(out[f"gate:{ch.gates[0].name}"])
                for g in ch.gates:
                    value = value * out[f"gate:{g.name}"] ** g.exponent
                out[ch.name] = value
            else:
                out[ch.name] = np.array(samples[opened[ch.name]])
        return out


__all__ = ["clamp_open_fractions"]
