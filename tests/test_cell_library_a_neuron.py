"""NEURON parity for the Pospischil et al. 2008 cells and the Destexhe et al. 1996 TC cell.

Each cell's generated NMODL mechanism (compiled with every other built-in in the one
``nrnivmodl`` build of conftest's ``neuron_library``) runs in a single NEURON section
under the same step as hh-brian's Brian2 engine, both from hh-brian's initial state.
Spike times must agree within a bound derived from both schemes' orders (as in
tests/test_nmodl_generic.py): NEURON's Crank-Nicolson (order 2) is run at 0.02, 0.01 and
0.005 ms, its observed order must be 2 +- ORDER_MARGIN and its error at 0.005 ms is then
at most richardson_factor(2, 2) |t(0.01) - t(0.005)| / 3; Brian2's rk4 error at 0.005 ms
is at most |t(0.01) - t(0.005)| (any order >= 1 at ratio 2).  The triangle inequality
adds the two, with no other margin: a rate, unit, temperature factor or conductance
printed differently would leave an offset that does not shrink with dt.

Measured (NEURON 9.0.2, Brian2 2.9; max over spikes, ms):

==============  ======  ========  ============  ============  ================
cell            spikes  NEURON    NEURON bound  Brian2 bound  |NEURON - Brian2|
                        order     at 0.005      (rk4)         at 0.005
==============  ======  ========  ============  ============  ================
pospischil_rs   9       2.005     9.47e-3       2.0e-4        7.45e-3
pospischil_fs   7       1.990     1.71e-3       1.8e-4        1.38e-3
pospischil_lts  5       2.001     1.28e-2       1.6e-4        1.02e-2
pospischil_ib   6       1.994     3.24e-3       1.8e-4        2.59e-3
destexhe_tc     7       1.997     2.74e-3       8.9e-6        2.13e-3
==============  ======  ========  ============  ============  ================

The difference is NEURON's own O(dt^2) error (it equals the Richardson estimate,
bound / 1.269, to < 1 %).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import ms, nA

from hh_brian.compare.crossval import ORDER_MARGIN, richardson_factor
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.registry import get_engine
from hh_brian.models.library import get_model
from hh_brian.models.stimuli import Step

pytestmark = pytest.mark.neuron

#: NEURON steps (ms): three halvings give an observed order and a Richardson estimate.
NEURON_DTS = (0.02, 0.01, 0.005)
#: Brian2 rk4 steps (ms).
BRIAN2_DTS = (0.01, 0.005)
#: Per cell: step (nA) on [onset, offset) over a holding current, duration (ms).  Short
#: protocols with >= 5 spikes each (from hh-brian's initial state; see the model notes).
PROTOCOLS = {
    "pospischil_rs": dict(amp=0.3, hold=0.0, on=0.0, off=160.0, duration=160.0),
    "pospischil_fs": dict(amp=0.5, hold=0.0, on=0.0, off=100.0, duration=100.0),
    "pospischil_lts": dict(amp=0.2, hold=0.0, on=0.0, off=200.0, duration=200.0),
    "pospischil_ib": dict(amp=0.65, hold=0.0, on=0.0, off=120.0, duration=120.0),
    "destexhe_tc": dict(amp=-0.15, hold=0.05, on=20.0, off=220.0, duration=300.0),
}


def _step(name):
    p = PROTOCOLS[name]
    return Step(p["amp"] * nA, onset=p["on"] * ms, offset=p["off"] * ms, baseline=p["hold"] * nA)


def _max_diff(a, b):
    assert a.shape == b.shape and len(a) > 0, (a, b)
    return float(np.max(np.abs(a - b)))


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_neuron_agrees_with_brian2_within_the_bound_from_their_orders(name):
    model, duration = get_model(name), PROTOCOLS[name]["duration"] * ms
    engine = get_engine("neuron")
    assert engine.cannot_express(model) is None
    neuron = {
        dt: np.asarray(
            engine.run(
                model, current=_step(name), duration=duration, dt=dt * ms, secondorder=2
            ).spike_times
            / ms
        )
        for dt in NEURON_DTS
    }
    brian2 = {
        dt: np.asarray(
            simulate(
                model,
                current=_step(name),
                duration=duration,
                dt=dt * ms,
                method="rk4",
                record=False,
            ).spikes_of(0)
            / ms
        )
        for dt in BRIAN2_DTS
    }
    coarse, mid, fine = (neuron[dt] for dt in NEURON_DTS)
    d_coarse, d_fine = _max_diff(coarse, mid), _max_diff(mid, fine)
    observed = math.log2(d_coarse / d_fine)
    assert abs(observed - 2.0) <= ORDER_MARGIN, (d_coarse, d_fine, observed)
    neuron_bound = richardson_factor(2.0, 2.0, ORDER_MARGIN) * d_fine / (2.0**2 - 1)
    brian2_bound = _max_diff(brian2[BRIAN2_DTS[0]], brian2[BRIAN2_DTS[1]])
    difference = _max_diff(fine, brian2[BRIAN2_DTS[1]])
    assert len(fine) >= 5
    assert difference <= neuron_bound + brian2_bound, (difference, neuron_bound, brian2_bound)
