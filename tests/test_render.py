"""Renderer: pure text + namespace, committed equation files, real NeuronGroups for all."""

import re
from pathlib import Path

import numpy as np
import pytest
from brian2 import NeuronGroup, get_dimensions, ms, mV, nA, uA
from brian2.units import cm

from hh_brian.engines.brian2.rush_larsen import register_methods
from hh_brian.engines.brian2.simulate import BRIAN2_METHODS, simulate
from hh_brian.engines.brian2.spikes import with_detector
from hh_brian.models.presets import PRESETS, get_preset
from hh_brian.render.brian2 import render
from hh_brian.render.equation_files import equation_file_name, expected_files

EQUATIONS = Path(__file__).resolve().parents[1] / "equations"
ALL = list(PRESETS)
#: Identifiers Brian2 rejects (unit names and reserved words; Brian2 docs, "Models and
#: neuron groups" and "Physical units").
RESERVED = {"cm", "ms", "mV", "mS", "uF", "nS", "um", "Hz", "t", "dt", "i", "N", "xi", "e", "pi"}


@pytest.mark.parametrize("name", ALL)
def test_committed_equation_file_matches_the_renderer(name):
    preset = get_preset(name)
    path = EQUATIONS / equation_file_name(preset)
    assert path.exists(), "regenerate with: hh-brian render --all --write equations/"
    assert path.read_text(encoding="utf-8") == render(preset).file_text(), (
        f"{path} is stale; regenerate with: hh-brian render --all --write equations/"
    )


def test_no_stray_equation_files():
    committed = {p.name for p in EQUATIONS.glob("*.eqs")}
    assert committed == set(expected_files())


@pytest.mark.parametrize("name", ALL)
def test_rendered_text_names_preset_and_citation(name):
    text = render(get_preset(name)).file_text()
    assert f"# hh-brian model: {name}" in text
    assert str(get_preset(name).citation) in text


@pytest.mark.parametrize("name", ALL)
def test_no_reserved_identifiers_and_exprel_for_linoids(name):
    model = render(get_preset(name))
    defined = {
        line.split("=")[0].strip().removeprefix("d").split("/")[0]
        for line in model.equations.splitlines()
    }
    assert not (defined | set(model.namespace)) & RESERVED
    # A removable singularity would appear as "1 - exp" or "exp(...) - 1" in a quotient.
    assert not re.search(r"1\s*-\s*exp|exp\([^)]*\)\s*-\s*1\b", model.equations)


@pytest.mark.parametrize("name", ALL)
def test_render_is_pure_and_deterministic(name):
    first, second = render(get_preset(name)), render(get_preset(name))
    assert first.equations == second.equations and first.file_text() == second.file_text()


def test_hh1952_current_enters_with_the_convention_sign():
    assert "- I_inj)/C_m" in render(get_preset("hh1952")).equations
    assert "+ I_inj)/C_m" in render(get_preset("dayan_abbott")).equations
    assert "I_inj/area" in render(get_preset("traub_miles")).equations


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("method", BRIAN2_METHODS)
def test_every_preset_passes_the_unit_check_and_runs_with_every_method(name, method):
    preset = get_preset(name)
    model = render(preset)
    register_methods()  # a NeuronGroup built by hand names hh-brian's methods after this
    group = NeuronGroup(
        1,
        with_detector(model.equations),
        threshold=model.threshold,
        refractory=model.refractory,
        method=method,
        namespace=model.namespace,
    )
    assert get_dimensions(group.v[:]) is get_dimensions(mV)
    current = (100 if name == "lecture07_class_defaults" else 20) * uA / cm**2
    result = simulate(preset, current=current, duration=20 * ms, dt=0.01 * ms, method=method)
    assert result.info["target"] == "cython"
    assert np.all(np.isfinite(result.v))
    assert len(result.spike_times) >= 1, "a suprathreshold current must elicit a spike"


#: Built-in models with no stable equilibrium at zero current (each says so in its notes).
NO_REST = ("traub_miles", "destexhe_tc")


@pytest.mark.parametrize("name", [n for n in ALL if n not in NO_REST])
def test_initial_state_is_rest_so_no_current_means_no_drift(name):
    preset = get_preset(name)
    result = simulate(preset, current=0 * uA / cm**2, duration=5 * ms, dt=0.01 * ms)
    drift = np.max(np.abs(result.v[0] - result.v[0][0]))
    assert drift < 1e-6 * mV


def test_spikes_are_detected_in_both_conventions_at_the_same_times():
    old = simulate(get_preset("hh1952"), current=10 * uA / cm**2, duration=50 * ms)
    new = simulate(
        get_preset("neuron_hh").with_parameters(E_L=-54.387 * mV),
        current=10 * uA / cm**2,
        duration=50 * ms,
    )
    assert len(old.spike_times) == len(new.spike_times) >= 3
    assert np.allclose(old.spike_times / ms, new.spike_times / ms, atol=0.011)


def test_absolute_current_for_a_preset_with_an_area():
    preset = get_preset("traub_miles")
    density = simulate(preset, current=1 * uA / cm**2, duration=10 * ms)
    absolute = simulate(preset, current=0.2 * nA, duration=10 * ms)  # 1 uA/cm2 * 20000 um2
    assert np.allclose(density.v / mV, absolute.v / mV, rtol=0, atol=1e-9)


def test_isolated_traub_miles_cell_leaves_e_l_as_documented():
    """Its window Na+ current is inward at E_L (see the preset's notes): v must rise."""
    result = simulate(get_preset("traub_miles"), current=0 * uA / cm**2, duration=5 * ms)
    assert result.v[0][-1] > result.v[0][0] + 0.01 * mV
