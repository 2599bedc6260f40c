"""The generic NMODL printer (hh_brian.render.nmodl.nmodl_mechanism) and NEURON for any model.

Every built-in model and both model files under tests/data print to a density
mechanism that compiles (all in one ``nrnivmodl`` build, cached by the texts'
hashes) and loads.  For the two non-squid cells (an M-current inf/tau gate; an
instantaneous Na+ m-gate) NEURON and Brian2 agree on spike times within a bound
derived from both schemes' orders.

Measured (NEURON 9.0.2, Brian2 2.9 rk4; NEURON Crank-Nicolson at dt = 0.02, 0.01,
0.005 ms, Brian2 rk4 at 0.01 and 0.005 ms; max over spikes):

=================================  =====================  =====================
                                   rs_cell (10 uA/cm2)    wb_like (3 uA/cm2)
=================================  =====================  =====================
spikes in 40 ms                    8                      5
NEURON observed order              1.99                   2.04
NEURON Richardson error at 0.005   1.032e-3 ms            2.834e-3 ms
Brian2 |t(0.01) - t(0.005)|        2.4e-6 ms              1.0e-5 ms
|t_NEURON(0.005) - t_Brian2|       1.034e-3 ms            2.800e-3 ms
=================================  =====================  =====================

The NEURON-Brian2 difference is NEURON's own O(dt^2) error: it matches the
Richardson estimate to 0.1-1 %, so the models are the same to far better than that.

The channel library's cells (same schemes and steps; measured 2026-12):

==========================  ================  ================  ====================
                            wang_buzsaki      connor_stevens    nap_h_cell (NaP, H)
==========================  ================  ================  ====================
protocol                    3 uA/cm2, 40 ms   30 uA/cm2, 40 ms  2 uA/cm2, 200 ms
spikes                      5                 7                 25
NEURON observed order       2.04              1.99              2.00
NEURON Richardson at 0.005  2.834e-3 ms       1.300e-3 ms       8.60e-4 ms
Brian2 |t(0.01)-t(0.005)|   1.05e-5 ms        2.3e-6 ms         5.1e-8 ms
|t_NEURON - t_Brian2|       2.800e-3 ms       1.302e-3 ms       7.24e-4 ms
==========================  ================  ================  ====================
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, uA

from hh_brian.compare.crossval import ORDER_MARGIN, richardson_factor
from hh_brian.engines.registry import get_engine
from hh_brian.engines.simulators import run_simulator
from hh_brian.engines.simulators.common import spike_times
from hh_brian.models.kinetics import resting_state, steady_state
from hh_brian.models.library import get_model, load_model
from hh_brian.render.nmodl import conductance_S_cm2, nmodl_mechanism
from hh_brian.render.nmodl_build import compile_mechanisms

pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

DATA = Path(__file__).with_name("data")
M_CELL = DATA / "m_current_cell.toml"
INSTANT_NA = DATA / "instantaneous_na.toml"
#: Butera et al. 1999 model 1 (NaP) with an added Huguenard-McCormick H-current.
NAP_H = DATA / "nap_h_cell.toml"

#: NEURON steps (ms): three halvings give an observed order and a Richardson estimate.
NEURON_DTS = (0.02, 0.01, 0.005)
#: Brian2 rk4 steps (ms).
BRIAN2_DTS = (0.01, 0.005)
DURATION_MS = 40.0
#: Protocol per model (file or built-in name): constant current density (uA/cm2) from rest.
PROTOCOL = {M_CELL: 10.0, INSTANT_NA: 3.0}
#: Library cells: current (uA/cm2) and duration (ms) giving 5 or more spikes.
LIBRARY_PROTOCOL = {
    "wang_buzsaki": (3.0, DURATION_MS),
    "connor_stevens": (30.0, DURATION_MS),
    # 200 ms, so that the slow gates (H: tau ~0.4 s; NaP inactivation: up to 10 s) move.
    NAP_H: (2.0, 200.0),
}


@pytest.fixture(scope="module")
def models(neuron_library):
    """Every built-in model and both files (conftest's one shared NEURON library)."""
    return neuron_library


@pytest.fixture(scope="module")
def loaded(models):
    """Every mechanism loaded into NEURON from the one shared build (so a test run on its
    own does not build a library of its own)."""
    from hh_brian.engines.simulators.neuron import load_mechanisms

    return load_mechanisms(models)


def test_every_model_compiles_in_one_nrnivmodl_build(models):
    suffixes, directory = compile_mechanisms(models)
    assert len(set(suffixes)) == len(models)
    assert sorted(p.stem for p in directory.glob("*.mod")) == sorted(suffixes)
    libraries = list(directory.glob("*/libnrnmech.so"))
    assert len(libraries) == 1  # one library built by one nrnivmodl run
    for suffix in suffixes:  # nocmodl translated every mechanism into it
        assert any(directory.glob(f"*/{suffix}.cpp")), suffix


def test_every_mechanism_loads_and_starts_at_hh_brians_rest(models):
    from hh_brian.engines.simulators.neuron import (
        initial_gates,
        initial_v_mV,
        load_mechanisms,
        mechanism_names,
    )

    suffixes = load_mechanisms(models)
    assert set(suffixes) <= mechanism_names()
    for model in models:
        rest = resting_state(model)
        got = initial_gates(model, mechanism="generated")
        assert got["v"] == pytest.approx(initial_v_mV(model), abs=1e-12)
        for gate in model.gates:
            # resting_state holds the state gates; an instantaneous one is x_inf(V_rest)
            want = rest.get(gate.name, steady_state(model, gate.name, rest["v"]))
            assert got[gate.name] == pytest.approx(float(want), abs=1e-12), gate


def test_text_structure_of_the_non_squid_cells():
    suffix, text = nmodl_mechanism(load_model(str(M_CELL)))
    assert f"SUFFIX {suffix}" in text and suffix.startswith("hhb_")
    assert "NONSPECIFIC_CURRENT I_na, I_kd, I_m_current, I_leak" in text
    assert "STATE { m h n p }" in text and "SOLVE states METHOD cnexp" in text
    assert "p' = (p_inf(v) - p)/tau_p(v)" in text  # no q10: phi = 1
    assert "phi_na = q10_na^((celsius - celsius_ref_na)/10)" in text
    assert "g_m_current = 7.5e-05 (S/cm2)" in text
    _, text = nmodl_mechanism(load_model(str(INSTANT_NA)))
    assert "STATE { h n }" in text and "    m (1)" in text  # m is ASSIGNED, not a STATE
    assert text.index("instantaneous(v)") < text.index("I_Na = g_Na*m*m*m*h*(v - E_Na)")
    _, text = nmodl_mechanism(get_model("hh1952"))
    assert "alpha_m((-65.0 - v))" in text and "E_Na = 50.0 (mV)" in text


def test_same_model_same_suffix_and_any_change_a_new_one():
    model = load_model(str(M_CELL))
    assert nmodl_mechanism(model) == nmodl_mechanism(load_model(str(M_CELL)))
    warmer = model.with_temperature(37.0)
    assert nmodl_mechanism(warmer)[0] != nmodl_mechanism(model)[0]


def test_absolute_conductance_is_divided_by_the_area():
    from dataclasses import replace

    from brian2 import siemens, um

    model = load_model(str(M_CELL))
    na = model.channel("na")
    absolute = replace(na, g=56e-3 * siemens / cm**2 * 11843 * um**2)
    assert conductance_S_cm2(model, absolute) == pytest.approx(0.056, rel=1e-12)


def _neuron_spikes(model, current: float, duration: float = DURATION_MS) -> dict:
    return {
        dt: run_simulator(
            "neuron",
            model,
            current_density_uA_cm2=current,
            duration_ms=duration,
            dt_ms=dt,
            secondorder=2,
        ).spikes_ms
        for dt in NEURON_DTS
    }


def _brian2_spikes(model, current: float, duration: float = DURATION_MS) -> dict:
    from hh_brian.engines.brian2.simulate import simulate

    out = {}
    for dt in BRIAN2_DTS:
        result = simulate(
            model, current=current * uA / cm**2, duration=duration * ms, dt=dt * ms, method="rk4"
        )
        v_modern = model.convention.to_modern(result.v[0])
        threshold = float(model.convention.to_modern(model.V_spike) / mV)
        out[dt] = spike_times(np.asarray(result.t / ms), np.asarray(v_modern / mV), threshold)
    return out


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape and len(a) > 0, (a, b)
    return float(np.max(np.abs(a - b)))


@pytest.mark.parametrize("path", [M_CELL, INSTANT_NA], ids=["m_current", "instantaneous_na"])
def test_neuron_agrees_with_brian2_within_the_bound_from_their_orders(path):
    """|t_NEURON(dt) - t_Brian2| <= NEURON's error bound + Brian2's, both from step halving.

    NEURON (Crank-Nicolson, order 2): the observed order from dt = 0.02, 0.01, 0.005 ms
    must be 2 +- ORDER_MARGIN; its error at 0.005 ms is then at most
    richardson_factor(2, 2) * |t(0.01) - t(0.005)| / 3.  Brian2 (rk4, order 4): any order
    >= 1 at r = 2 gives e(0.005) <= |t(0.01) - t(0.005)|, used whole (no order
    assumed).  The triangle inequality adds the two; no other margin.  A parameter, rate,
    unit or convention mapped differently would leave an offset that does not shrink
    with dt and break the bound.
    """
    model = load_model(str(path))
    _check_parity(model, PROTOCOL[path], DURATION_MS)


@pytest.mark.parametrize(
    "spec",
    # slow like every non-representative built-in model (tests/conftest.py); ~7 s warm.
    [pytest.param(s, marks=pytest.mark.slow) for s in LIBRARY_PROTOCOL],
    ids=lambda s: Path(s).stem,
)
def test_library_cell_agrees_with_neuron_within_the_bound_from_their_orders(spec, loaded):
    """The channel library's cells (Wang & Buzsaki's instantaneous m; Connor-Stevens'
    A-current; NaP with instantaneous activation and the H-current) in NEURON and Brian2,
    with the bound of the test above.  All mechanisms come from the one shared build."""
    current, duration = LIBRARY_PROTOCOL[spec]
    _check_parity(load_model(str(spec)), current, duration)


def _check_parity(model, current: float, duration: float) -> None:
    neuron = _neuron_spikes(model, current, duration)
    brian2 = _brian2_spikes(model, current, duration)
    coarse, mid, fine = (neuron[dt] for dt in NEURON_DTS)
    d_coarse, d_fine = _max_diff(coarse, mid), _max_diff(mid, fine)
    observed = math.log2(d_coarse / d_fine)
    assert abs(observed - 2.0) <= ORDER_MARGIN, (d_coarse, d_fine, observed)
    neuron_bound = richardson_factor(2.0, 2.0, ORDER_MARGIN) * d_fine / (2.0**2 - 1)
    brian2_bound = _max_diff(brian2[BRIAN2_DTS[0]], brian2[BRIAN2_DTS[1]])
    difference = _max_diff(fine, brian2[BRIAN2_DTS[1]])
    assert len(fine) >= 5
    assert difference <= neuron_bound + brian2_bound, (difference, neuron_bound, brian2_bound)


def test_registered_neuron_engine_runs_the_m_current_cell_with_an_absolute_current():
    """Through the registry (as the CLI runs it): absolute current on the model's area."""
    model = load_model(str(M_CELL))
    engine = get_engine("neuron")
    assert engine.cannot_express(model) is None
    trace = engine.run(model, current=1.1843 * nA, duration=20 * ms, dt=0.01 * ms)
    direct = run_simulator(
        "neuron", model, current_density_uA_cm2=10.0, duration_ms=20.0, dt_ms=0.01
    )
    np.testing.assert_allclose(np.asarray(trace.spike_times / ms), direct.spikes_ms, atol=1e-9)
    assert len(direct.spikes_ms) >= 3
