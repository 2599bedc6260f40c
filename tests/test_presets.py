"""Presets: immutable data with units, citations, computed resting states, safe variants."""

import math

import numpy as np
import pytest
from brian2 import Hz, get_dimensions, ms, msiemens, mV, siemens, uA, uF, umetre
from brian2.units import cm

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.reference_bridge import twin_gates
from hh_brian.models.kinetics import rate, resting_state, steady_state, steady_state_current
from hh_brian.models.presets import PRESETS, get_preset

CORE_PARAMETERS = ("g_Na", "g_K", "g_L", "E_Na", "E_K", "E_L", "C_m", "V_spike", "celsius")
RATE_NAMES = tuple(f"{k}_{g}" for g in ("n", "m", "h") for k in ("alpha", "beta"))

ALL = list(PRESETS)
#: The squid-axon models (Na+, K+, leak with m, h, n); the others are channel-library cells.
SQUID = [n for n in ALL if get_preset(n).numpy_twin is not None]
#: Built-in models with no stable equilibrium at zero current (each says so in its notes).
NO_REST = ("traub_miles", "destexhe_tc")


@pytest.mark.parametrize("name", ALL)
def test_preset_has_every_parameter_with_units_and_a_citation(name):
    preset = get_preset(name)
    for channel in preset.channels:
        unit = siemens if preset.has_area and channel.g.dim == siemens.dim else siemens / cm**2
        assert get_dimensions(preset.parameter(f"g_{channel.name}")) is get_dimensions(unit)
        assert get_dimensions(preset.parameter(f"E_{channel.name}")) is get_dimensions(mV)
    assert preset.citation.authors and preset.citation.year > 1900
    assert preset.citation.doi or preset.citation.url
    assert str(preset.citation).count("(") >= 1
    if name in SQUID:
        assert set(CORE_PARAMETERS) <= set(preset.parameters)
    if preset.numpy_twin:  # the squid structure its hand-written NumPy twin implements
        assert set(preset.rates) == set(RATE_NAMES)
    else:  # a library cell: its channels come with a DOI
        assert preset.citation.doi


@pytest.mark.parametrize("name", ALL)
def test_preset_is_immutable(name):
    preset = get_preset(name)
    with pytest.raises(TypeError):
        preset.parameters["g_Na"] = 1 * msiemens / cm**2
    with pytest.raises(ValueError):
        preset.parameters["g_Na"][()] = 0
    with pytest.raises(AttributeError):
        preset.name = "other"


def test_dayan_abbott_steady_state_matches_the_book():
    """Dayan & Abbott ch. 5 ex. 8: V = -65 mV, m = 0.0529, h = 0.5961, n = 0.3177."""
    preset = get_preset("dayan_abbott")
    assert abs(float(resting_state(preset)["v"] / mV) + 65) < 0.01
    book = {"m": 0.0529, "h": 0.5961, "n": 0.3177}
    for gate, value in book.items():
        assert round(float(steady_state(preset, gate, -65 * mV)), 4) == value


def test_book_and_lecture_capacitance_differ_tenfold():
    book = get_preset("dayan_abbott").parameter("C_m")
    lecture = get_preset("lecture07_class_defaults").parameter("C_m")
    assert math.isclose(float(lecture / book), 10.0, rel_tol=1e-12)
    assert math.isclose(float(book / (uF / cm**2)), 1.0, rel_tol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_resting_state_is_computed_equilibrium(name):
    preset = get_preset(name)
    state = resting_state(preset)
    for gate in preset.gate_names:
        assert float(state[gate]) == pytest.approx(float(steady_state(preset, gate, state["v"])))
    if name not in NO_REST:  # no equilibrium: documented in their notes
        assert abs(float(steady_state_current(preset, state["v"]) / (uA / cm**2))) < 1e-9


def test_hh1952_rest_maps_to_the_modern_rest():
    old = resting_state(get_preset("hh1952"))["v"]
    new = resting_state(get_preset("dayan_abbott"))["v"]
    modern = get_preset("hh1952").convention.to_modern(old)
    # Same leak, same rates except beta_m's 1/18 vs 0.0556: rests agree to ~0.01 mV.
    assert abs(float((modern - new) / mV)) < 0.01


def _every_rate() -> list[tuple[str, str]]:
    return [(name, rate_name) for name in ALL for rate_name in get_preset(name).rates]


@pytest.mark.parametrize(("name", "rate_name"), _every_rate())
def test_rates_are_finite_positive_rates_over_the_physiological_range(name, rate_name):
    """Rates finite and > 0 (Hz), time constants > 0 (s), steady states in [0, 1]."""
    preset = get_preset(name)
    v = preset.convention.from_modern(np.linspace(-120, 60, 1801) * mV)
    values = rate(preset, rate_name, v)
    if rate_name.startswith(("alpha_", "beta_")):
        assert get_dimensions(values) is get_dimensions(Hz)
        assert np.all(np.isfinite(values)) and np.all(values > 0 * Hz)
    elif rate_name.startswith("tau_"):
        assert get_dimensions(values) is get_dimensions(ms)
        assert np.all(np.isfinite(values)) and np.all(values > 0 * ms)
    else:
        values = np.asarray(values, dtype=float)
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))


@pytest.mark.parametrize(
    ("name", "rate_name", "v_singular"),
    [
        ("dayan_abbott", "alpha_n", -55),
        ("dayan_abbott", "alpha_m", -40),
        ("hh1952", "alpha_n", -10),
        ("hh1952", "alpha_m", -25),
        ("pyramidal", "alpha_n", 25),
        ("pyramidal", "beta_n", 25),
        ("pyramidal", "alpha_m", -35),
        ("pyramidal", "beta_m", -35),
        ("traub_miles", "alpha_m", -50),
        ("traub_miles", "beta_m", -23),
        ("traub_miles", "alpha_n", -48),
        ("neuron_hh", "alpha_n", -55),
    ],
)
def test_removable_singularities_are_finite_and_continuous(name, rate_name, v_singular):
    preset = get_preset(name)
    at = rate(preset, rate_name, v_singular * mV)
    near = rate(preset, rate_name, (v_singular + np.array([-1e-6, 1e-6])) * mV)
    assert np.isfinite(at)
    assert np.allclose(near / Hz, at / Hz, rtol=1e-6)


def test_with_parameters_checks_units_and_returns_a_new_preset():
    base = get_preset("dayan_abbott")
    variant = base.with_parameters(E_L=-60 * mV, g_Na=1.0 * msiemens / (cm / 10) ** 2)
    assert variant.parameter("E_L") == -60 * mV and base.parameter("E_L") == -54.387 * mV
    assert variant is not base and variant.name == base.name


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"g_Na": 1.2}, "no units"),
        ({"g_Na": 1.2 * mV}, "conductance density"),
        ({"g_Na": -1 * msiemens / cm**2}, "positive or zero"),
        ({"q10_K": 0}, "positive"),
        ({"C_m": 0 * uA * ms / mV / cm**2}, "positive"),
        ({"E_L": float("nan") * mV}, "not finite"),
        ({"g_na": 1 * msiemens / cm**2}, "Did you mean 'g_Na'"),
        ({"celsius": 10 * mV}, "dimensionless"),
    ],
)
def test_bad_parameter_values_are_rejected_clearly(settings, fragment):
    with pytest.raises(HHBrianInputError, match=fragment):
        get_preset("dayan_abbott").with_parameters(**settings)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("0.1/ms/exprel(-(v + 55*mV)/(10*mV)", "cannot parse"),
        ("0.1*exp(v)", "inconsistent units"),
        ("0.1/mV*(v + 55*mV)", "rate"),
        ("__import__('os')", "not allowed|unknown function"),
        ("0.1/ms*foo(v)", "unknown function"),
        ("0.1/ms*w", "unknown name 'w'"),
    ],
)
def test_malformed_rate_expressions_are_rejected(expression, fragment):
    with pytest.raises(HHBrianInputError, match=fragment):
        get_preset("dayan_abbott").with_rates(alpha_n=expression)


def test_unknown_rate_and_preset_names_get_suggestions():
    with pytest.raises(HHBrianInputError, match="alpha_n"):
        get_preset("dayan_abbott").with_rates(alpha_nn="1/ms")
    with pytest.raises(HHBrianInputError, match="dayan_abbott"):
        get_preset("dayan_abot")


def test_with_rates_drops_the_numpy_twin_of_that_gate_only():
    variant = get_preset("dayan_abbott").with_rates(beta_m="4/ms*exp(-(v + 65*mV)/(18*mV))")
    assert twin_gates(get_preset("dayan_abbott")) == {"m", "h", "n"}
    assert twin_gates(variant) == {"h", "n"}
    assert variant.rates["beta_m"].startswith("4/ms")


def test_a_zero_conductance_blocks_the_channel():
    """g = 0 is a legitimate block (e.g. TTX on Na+): the cell then cannot fire."""
    blocked = get_preset("dayan_abbott").with_parameters(g_Na=0 * msiemens / cm**2)
    assert float(blocked.parameter("g_Na") / (msiemens / cm**2)) == 0.0


def test_temperature_scales_every_rate_by_q10():
    base = get_preset("neuron_hh")
    warm = base.with_temperature(16.3)
    assert warm.phi("Na") == pytest.approx(3.0) and warm.phi("K") == pytest.approx(3.0)
    assert float(rate(warm, "alpha_m", -50 * mV) / rate(base, "alpha_m", -50 * mV)) == (
        pytest.approx(3.0)
    )


def test_with_area_allows_absolute_currents():
    preset = get_preset("dayan_abbott").with_area(100 * umetre**2)
    assert preset.has_area and not get_preset("dayan_abbott").has_area
    with pytest.raises(HHBrianInputError, match="area"):
        get_preset("dayan_abbott").with_area(-1 * umetre**2)
