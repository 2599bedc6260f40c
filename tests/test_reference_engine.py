"""Tests of the independent NumPy reference engine (hh_brian.engines.reference).

All tests are deterministic. Units: ms, mV, mS/cm^2, uF/cm^2, uA/cm^2.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from hh_brian.engines.reference import (
    INTEGRATORS,
    KINETICS,
    ExponentialEulerAB,
    ExponentialEulerTau,
    IntegrationError,
    as_current,
    count_spikes,
    gate_rates,
    get_integrator,
    integrate,
    sample_index,
    solve_gold,
    squid_model,
)

# Squid axon with Dayan & Abbott kinetics, per cm^2 (Dayan & Abbott 2001, section 5.6).
SQUID = dict(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.387, C_m=1.0)
# The same axon in the 1952 convention: E_HH = -65 - E_modern (Hodgkin & Huxley 1952,
# J Physiol 117:500, doi:10.1113/jphysiol.1952.sp004764; rest at -65 mV as in Dayan &
# Abbott 2001, section 5.6).
SQUID_1952 = dict(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=-115.0, E_K=12.0, E_L=-10.613, C_m=1.0)
PYRAMIDAL = dict(g_Na=40.0, g_K=35.0, g_L=0.3, E_Na=55.0, E_K=-77.0, E_L=-65.0, C_m=1.0)
TRAUB = dict(g_Na=100.0, g_K=30.0, g_L=0.05, E_Na=50.0, E_K=-90.0, E_L=-60.0, C_m=1.0)

MODELS = {
    "dayan_abbott": squid_model(**SQUID, kinetics="dayan_abbott"),
    "dayan_abbott_thermodynamic_n": squid_model(**SQUID, kinetics="dayan_abbott_thermodynamic_n"),
    "neuron_hh": squid_model(**SQUID, kinetics="neuron_hh"),
    "hh1952": squid_model(**SQUID_1952, convention="hh1952", kinetics="hh1952"),
    "pyramidal": squid_model(**PYRAMIDAL, kinetics="pyramidal"),
    "traub_miles": squid_model(**TRAUB, kinetics="traub_miles"),
}

# Removable singularities (mV) of each kinetics' x / (exp(x) - 1) rates.
SINGULAR = {
    "dayan_abbott": [-55.0, -40.0],
    "dayan_abbott_thermodynamic_n": [-40.0],
    "neuron_hh": [-55.0, -40.0],
    "hh1952": [-10.0, -25.0],
    "pyramidal": [25.0, -35.0],
    "traub_miles": [-63.0 + 13.0, -63.0 + 40.0, -63.0 + 15.0],
}
SINGULAR_CASES = [(name, v) for name, vs in SINGULAR.items() for v in vs]
RATE_CASES = [(name, g, w) for name in KINETICS for g in "nmh" for w in (0, 1)]


def test_registry_covers_all_kinetics():
    assert set(KINETICS) == set(MODELS) == set(SINGULAR)


# --- rates ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "v"), SINGULAR_CASES)
def test_rates_finite_and_continuous_at_singularities(name, v):
    rates = gate_rates(name)
    eps = 1e-6
    for gate, pair in rates.items():
        for which, fn in zip(("alpha", "beta"), pair, strict=True):
            at, lo, hi = (float(fn(np.float64(x))) for x in (v, v - eps, v + eps))
            assert np.isfinite(at), f"{name} {which}_{gate}({v}) = {at}"
            # Smooth: the value at the point is the midpoint of its neighbours.
            assert at == pytest.approx(0.5 * (lo + hi), rel=1e-10, abs=1e-14)
            assert abs(hi - lo) <= 1e-5 * max(abs(at), 1e-12)


@pytest.mark.parametrize(("name", "gate", "which"), RATE_CASES)
def test_rates_positive_and_finite_on_grid(name, gate, which):
    v = np.linspace(-150.0, 100.0, 25001)
    if name == "hh1952":
        v = -65.0 - v
    r = gate_rates(name)[gate][which](v)
    assert r.shape == v.shape
    assert np.all(np.isfinite(r)) and np.all(r > 0)


@pytest.mark.parametrize("name", sorted(KINETICS))
def test_steady_state_is_alpha_over_sum_in_unit_interval(name):
    model = MODELS[name]
    v = np.linspace(-120.0, 60.0, 3601)
    x_inf = model.gate_steady_state(v)
    alpha, beta = model.rates(v)
    np.testing.assert_allclose(x_inf, alpha / (alpha + beta), rtol=1e-15)
    assert np.all((x_inf >= 0.0) & (x_inf <= 1.0))


def test_dayan_abbott_steady_state_at_minus_65():
    # Dayan & Abbott 2001, chapter 5, exercise 8: m 0.0529, h 0.5961, n 0.3177.
    m, h, n = MODELS["dayan_abbott"].gate_steady_state(-65.0)
    assert (round(float(m), 4), round(float(h), 4), round(float(n), 4)) == (
        0.0529,
        0.5961,
        0.3177,
    )


def test_hh1952_equals_neuron_hh_under_voltage_map():
    v_hh = np.linspace(-120.0, 40.0, 16001)  # includes the singular -10 and -25 mV
    v = -65.0 - v_hh
    old, new = gate_rates("hh1952"), gate_rates("neuron_hh")
    for gate in "nmh":
        for which in (0, 1):
            np.testing.assert_allclose(old[gate][which](v_hh), new[gate][which](v), rtol=1e-12)


def test_dayan_abbott_differs_from_neuron_hh_only_in_beta_m():
    v = np.linspace(-100.0, 50.0, 15001)
    da, nrn = gate_rates("dayan_abbott"), gate_rates("neuron_hh")
    for gate in "nmh":
        for which in (0, 1):
            if (gate, which) == ("m", 1):
                continue
            np.testing.assert_allclose(da[gate][which](v), nrn[gate][which](v), rtol=1e-12)
    rel = np.abs(da["m"][1](v) / nrn["m"][1](v) - 1.0)
    # beta_m ratio = exp((1/18 - 0.0556)(V + 65)); largest at V = 50 mV, |V + 65| = 115 mV:
    expected = np.expm1((1.0 / 18.0 - 0.0556) * 115.0)
    assert rel.max() == pytest.approx(abs(expected), rel=1e-9)
    assert 5.0e-3 < rel.max() < 5.2e-3  # about 0.51 %


def test_temperature_factor_scales_both_rates():
    cold = MODELS["neuron_hh"]
    warm = squid_model(**SQUID, kinetics="neuron_hh", celsius=16.3)
    v = np.linspace(-90.0, 30.0, 7)
    for r_cold, r_warm in zip(cold.rates(v), warm.rates(v), strict=True):
        np.testing.assert_allclose(r_warm, 3.0 * r_cold, rtol=1e-14)


def test_user_kinetics_mapping_matches_registry():
    custom = squid_model(**SQUID, kinetics=dict(KINETICS["dayan_abbott"]))
    y = MODELS["dayan_abbott"].resting_state()[:, None]
    np.testing.assert_array_equal(custom.f(0.0, y, 1.0), MODELS["dayan_abbott"].f(0.0, y, 1.0))


def test_traub_rates_shift_with_v_t():
    shifted = gate_rates("traub_miles", v_t=-50.0)
    default = gate_rates("traub_miles")
    v = np.linspace(-90.0, 30.0, 13)
    for gate in "nmh":
        np.testing.assert_allclose(shifted[gate][0](v + 13.0), default[gate][0](v), rtol=1e-13)


# --- model ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_resting_state_has_zero_derivative(name):
    model = MODELS[name]
    y = model.resting_state()
    assert y.shape == (4,)
    np.testing.assert_allclose(model.f(0.0, y[:, None], 0.0)[:, 0], 0.0, atol=1e-10)


def test_ab_and_tau_forms_are_consistent_with_f():
    model = MODELS["dayan_abbott"]
    rng = np.random.default_rng(0)
    y = np.vstack([rng.uniform(-80, 40, 50), rng.uniform(0, 1, (3, 50))])
    i = rng.uniform(-5, 20, 50)
    a, b = model.A(0.0, y, i), model.B(0.0, y, i)
    np.testing.assert_allclose(a - b * y, model.f(0.0, y, i), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(
        (model.y_inf(0.0, y, i) - y) / model.tau(0.0, y, i), model.f(0.0, y, i), atol=1e-9
    )


def test_conventions_give_mirrored_trajectories():
    # Same axon, same physical current: V_modern(t) = -65 - V_HH(t) (sign convention of
    # Hodgkin & Huxley 1952, rest at -65 mV as in Dayan & Abbott 2001, section 5.6).
    modern, old = MODELS["neuron_hh"], MODELS["hh1952"]
    y_mod = modern.resting_state()
    y_old = old.resting_state()
    assert y_mod[0] == pytest.approx(-65.0 - y_old[0], abs=1e-9)
    r_mod = integrate(modern, y_mod, 0.01, 2000, "rk4", 10.0)
    r_old = integrate(old, y_old, 0.01, 2000, "rk4", 10.0)
    np.testing.assert_allclose(r_mod.V, -65.0 - r_old.V, atol=1e-8)
    assert old.spike_direction == -1 and modern.spike_direction == 1
    assert r_mod.spike_counts[0] >= 1
    np.testing.assert_allclose(r_old.spike_times[0], r_mod.spike_times[0], atol=1e-9)


# --- integrators ------------------------------------------------------------------------

# Observed order. Window: 0-2.5 ms from rest at 10 uA/cm^2, which contains the upstroke
# of the first spike (threshold crossing at ~1.82 ms, V = +28 mV at 2.0 ms). The error is
# the max |V - V_gold| on a 0.25 ms grid. The dt ranges were chosen from a scan of
# 2^-1..2^-11 ms: above them the first-order methods mistime the upstroke by a sizeable
# fraction of its width and RK4 is unstable or pre-asymptotic (local slopes 0.7-1.1 and
# 4.8); inside them consecutive slopes are 1.00-1.05 and 4.04-4.08. The gold error
# (rtol = atol = 1e-12) is far below the smallest RK4 error (~1e-6 mV at 2^-8 ms).
ORDER_T_END = 2.5
ORDER_DTS = {
    "euler": [2.0**-k for k in range(7, 12)],
    "exponential_euler": [2.0**-k for k in range(7, 12)],
    "exponential_euler_tau": [2.0**-k for k in range(7, 12)],
    "rk4": [2.0**-k for k in range(5, 9)],
}


@pytest.fixture(scope="module")
def gold_window():
    model = MODELS["dayan_abbott"]
    y0 = model.resting_state()
    t_eval = np.linspace(0.0, ORDER_T_END, 11)
    gold = solve_gold(model, y0, ORDER_T_END, 10.0, rtol=1e-12, atol=1e-12, t_eval=t_eval)
    return model, y0, gold.V[:, 0]


@pytest.mark.parametrize("method", sorted(ORDER_DTS))
def test_observed_order_matches_declared(method, gold_window):
    model, y0, v_gold = gold_window
    errors = []
    for dt in ORDER_DTS[method]:
        n_steps = round(ORDER_T_END / dt)
        r = integrate(model, y0, dt, n_steps, method, 10.0)
        errors.append(np.max(np.abs(r.V[:: n_steps // 10, 0] - v_gold)))
    slope = np.polyfit(np.log(ORDER_DTS[method]), np.log(errors), 1)[0]
    declared = get_integrator(method).order
    assert abs(slope - declared) <= 0.25, f"{method}: observed {slope:.3f}, declared {declared}"


def test_declared_orders():
    orders = {name: cls.order for name, cls in INTEGRATORS.items()}
    assert orders["euler"] == orders["exponential_euler"] == 1
    assert orders["exponential_euler_tau"] == 1 and orders["rk4"] == 4


def test_exponential_euler_forms_agree_to_roundoff():
    model = MODELS["dayan_abbott"]
    y0 = model.resting_state()
    current = as_current(10.0, 1)
    y = y0[:, None]
    one_ab = ExponentialEulerAB().step(model, 0.0, y, current, 0.05)
    one_tau = ExponentialEulerTau().step(model, 0.0, y, current, 0.05)
    np.testing.assert_allclose(one_ab, one_tau, rtol=1e-14, atol=1e-14)
    r_ab = integrate(model, y0, 0.01, 2000, "exponential_euler", 10.0)
    r_tau = integrate(model, y0, 0.01, 2000, "exponential_euler_tau", 10.0)
    np.testing.assert_allclose(r_ab.V, r_tau.V, rtol=0, atol=1e-9)
    np.testing.assert_allclose(r_ab.spike_times[0], r_tau.spike_times[0], atol=1e-10)


def test_brian2_form_of_exponential_euler():
    # x <- (x + b/a) exp(a dt) - b/a with a = -B, b = A (Brian2), bit for bit.
    model = MODELS["dayan_abbott"]
    y = np.array([[-60.0, -20.0, 30.0], [0.3, 0.5, 0.7], [0.1, 0.6, 0.9], [0.6, 0.3, 0.1]])
    i = np.array([0.0, 5.0, -3.0])
    a_coef, b_coef = -model.B(0.0, y, i), model.A(0.0, y, i)
    expected = (y + b_coef / a_coef) * np.exp(a_coef * 0.02) - b_coef / a_coef
    got = ExponentialEulerAB().step(model, 0.0, y, as_current(i, 3), 0.02)
    np.testing.assert_array_equal(got, expected)
    inplace = y.copy()
    ExponentialEulerAB.step_inplace(model, inplace, i, 0.02, np.empty((3, 4, 3)))
    np.testing.assert_array_equal(inplace, expected)


def test_forward_euler_blow_up_raises():
    model = MODELS["dayan_abbott"]
    with pytest.raises(IntegrationError) as info:
        integrate(model, model.resting_state(), 0.2, 500, "euler", 50.0)
    message = str(info.value)
    assert "'euler'" in message and "dt=0.2 ms" in message and "t=1.2 ms" in message
    assert "smaller dt" in message and "rush_larsen2" in message
    # the method named is stable for this very case
    r = integrate(model, model.resting_state(), 0.2, 500, "rush_larsen2", 50.0)
    assert np.all(np.isfinite(r.V)) and r.spike_counts[0] > 5
    assert isinstance(info.value, ValueError)
    with pytest.raises(IntegrationError):
        count_spikes(model, model.resting_state(), 0.2, 500, "euler", 50.0)


def test_exponential_euler_survives_where_forward_euler_blows_up():
    model = MODELS["dayan_abbott"]
    r = integrate(model, model.resting_state(), 0.2, 500, "exponential_euler", 50.0)
    assert np.all(np.isfinite(r.V)) and r.spike_counts[0] > 5


@pytest.mark.parametrize("method", ["euler", "rk4", "exponential_euler", "exponential_euler_tau"])
def test_vectorised_equals_single_neuron_runs(method):
    model = MODELS["dayan_abbott"]
    y0 = model.resting_state()
    currents = np.array([0.0, 5.0, 8.0, 12.0, 30.0])
    together = integrate(model, y0, 0.01, 1500, method, currents)
    for j, i_j in enumerate(currents):
        alone = integrate(model, y0, 0.01, 1500, method, i_j)
        np.testing.assert_allclose(together.V[:, j], alone.V[:, 0], rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(together.h[:, j], alone.h[:, 0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(together.spike_times[j], alone.spike_times[0], atol=1e-12)


@pytest.mark.parametrize("method", ["rk4", "exponential_euler"])
def test_count_spikes_matches_integrate(method):
    model = MODELS["dayan_abbott"]
    currents = np.linspace(0.0, 20.0, 41)
    r = integrate(model, model.resting_state(), 0.01, 3000, method, currents, record=[0, 40])
    counts = count_spikes(model, model.resting_state(), 0.01, 3000, method, currents)
    np.testing.assert_array_equal(counts, r.spike_counts)
    assert r.V.shape == (3001, 2) and counts.max() > 1 and counts.min() == 0


# --- inputs -----------------------------------------------------------------------------


def test_sample_index_robust_to_rounding():
    dt = 0.1
    naive_fails = [k for k in range(1, 2000) if int(k * dt / dt) < k]
    assert naive_fails[:3] == [43, 81, 86]  # k * dt / dt rounds below k
    for k in range(2000):
        assert sample_index(k * dt, dt) == k
        assert sample_index(k * dt + 0.5 * dt, dt) == k


def test_sampled_current_uses_sample_k_at_step_k():
    # Forward Euler from rest: the V increment of step k is dt * i[k] / C_m plus the
    # (tiny, current-independent) ionic part, so each step must see its own sample.
    model = MODELS["dayan_abbott"]
    dt, n_steps = 0.1, 100
    i = np.zeros(n_steps + 1)
    i[43] = 1.0  # the first k where k * dt / dt < k
    current = as_current(i, 1, dt, n_steps)
    assert current.at(43 * dt)[0] == 1.0 and current.at(43 * dt + dt / 2)[0] == 1.0
    assert current.at(44 * dt)[0] == 0.0
    base = integrate(model, model.resting_state(), dt, n_steps, "euler", 0.0)
    kicked = integrate(model, model.resting_state(), dt, n_steps, "euler", i)
    diff = kicked.V[:, 0] - base.V[:, 0]
    assert np.all(diff[:44] == 0.0)
    assert diff[44] == pytest.approx(dt * 1.0 / model.C_m, rel=1e-9)


def test_sampled_2d_and_callable_inputs_agree():
    model = MODELS["dayan_abbott"]
    dt, n_steps = 0.02, 1000
    t = np.arange(n_steps + 1) * dt
    steps = np.where(t[:, None] >= 5.0, np.array([[4.0, 10.0]]), 0.0)
    sampled = integrate(model, model.resting_state(), dt, n_steps, "rk4", steps)

    def callable_current(time):
        return np.where(sample_index(time, dt) * dt >= 5.0 - 1e-9, [4.0, 10.0], 0.0)

    called = integrate(model, model.resting_state(), dt, n_steps, "rk4", callable_current)
    np.testing.assert_array_equal(sampled.V, called.V)


def test_ambiguous_current_shape_rejected():
    with pytest.raises(ValueError, match="ambiguous"):
        as_current(np.zeros(11), 11, 0.1, 10)


# --- gold solver ------------------------------------------------------------------------


def test_gold_piecewise_current_matches_callable_and_rk4():
    model = MODELS["dayan_abbott"]
    dt, n_steps = 0.01, 2000
    i = np.where(np.arange(n_steps + 1) * dt >= 3.0, 10.0, 0.0)
    gold = solve_gold(model, model.resting_state(), n_steps * dt, i, dt=dt)
    assert gold.t.shape == (n_steps + 1,) and gold.dt is None

    def step_current(t):
        return 10.0 if t >= 3.0 else 0.0

    adaptive = solve_gold(model, model.resting_state(), n_steps * dt, step_current, t_eval=gold.t)
    np.testing.assert_allclose(gold.V, adaptive.V, atol=1e-5)
    np.testing.assert_allclose(gold.spike_times[0], adaptive.spike_times[0], atol=1e-7)
    # RK4 on sampled input uses sample k+1 in its last stage (lecture 7's convention), so
    # on the step before the jump it already sees 1/6 of the new current: the onset moves
    # earlier by about dt/6 and so do the spikes.
    fine = integrate(model, model.resting_state(), dt, n_steps, "rk4", i)
    assert gold.spike_counts[0] == fine.spike_counts[0] >= 1
    shift = gold.spike_times[0] - fine.spike_times[0]
    np.testing.assert_allclose(shift, dt / 6, rtol=0.1)


def test_gold_radau_agrees_with_dop853():
    model = MODELS["dayan_abbott"]
    y0 = model.resting_state()
    dop = solve_gold(model, y0, 10.0, 10.0, t_eval=np.linspace(0, 10, 21))
    rad = solve_gold(model, y0, 10.0, 10.0, t_eval=np.linspace(0, 10, 21), method="Radau")
    np.testing.assert_allclose(dop.V, rad.V, atol=1e-6)
    np.testing.assert_allclose(dop.spike_times[0], rad.spike_times[0], atol=1e-8)


# --- independence -----------------------------------------------------------------------


def test_reference_does_not_import_brian2():
    code = "import sys, hh_brian.engines.reference; sys.exit('brian2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("module", ["rates", "model"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"hh_brian.engines.reference.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
