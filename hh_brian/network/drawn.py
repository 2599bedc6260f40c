"""Draw a :class:`~hh_brian.network.plan.NetworkPlan` from a spec (see that module)."""

from __future__ import annotations

import numpy as np
from brian2 import Quantity

from hh_brian.network.plan import NetworkPlan, draw_connections, draw_drive, state_names
from hh_brian.network.spec import NetworkSpec, Population, validate


def _initial(spec: NetworkSpec, pops: dict[str, Population]) -> dict[str, dict[str, Quantity]]:
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    from hh_brian.engines.brian2.settings import brian2_settings
    from hh_brian.network.build import build_group

    out = {}
    with brian2_settings(target="numpy", seed=spec.seed):
        for name, pop in pops.items():
            group = build_group(pop, spec, NumpyCodeObject)
            out[name] = {v: Quantity(getattr(group, v)[:], copy=True) for v in state_names(pop)}
            # Built only to evaluate the initial values: never run, so no Brian2 warning
            # about an object "never included in a network".
            group._network = "hh-brian plan"
    return out


def draw_plan(spec: NetworkSpec, duration: Quantity) -> NetworkPlan:
    """Draw the initial state, edges and external trains of *spec* for *duration*.

    The spec is checked first (:func:`hh_brian.network.spec.validate`).
    """

    pops = validate(spec)
    n_steps = int(round(float(duration / spec.dt)))
    rng = np.random.default_rng(spec.seed)
    edges = tuple(
        draw_connections(c, pops[c.source].size, pops[c.target].size, rng) for c in spec.connections
    )
    drive_rng = np.random.default_rng([spec.seed, 1])
    drives = tuple(
        draw_drive(pops[d.target].size, float(d.n_inputs * d.rate * duration), n_steps, drive_rng)
        for d in spec.drives
    )
    return NetworkPlan(_initial(spec, pops), edges, drives, n_steps)


__all__ = ["draw_plan"]
