"""Channel counts and the Markov model against exact statistics (NumPy engine only).

Statistical tests use fixed seeds and state their significance: each goodness-of-fit
test rejects at alpha = 0.01 and checks its power on a wrong hypothesis; moment
comparisons allow 4 standard errors (two-sided alpha ~ 6e-5 each).
"""

import numpy as np
import pytest
from brian2 import ms, mV, nA, psiemens, umetre
from scipy import stats

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.reference_bridge import reference_model, simulate_reference
from hh_brian.models.library import get_model
from hh_brian.models.modelfile import model_from_toml, model_to_toml
from hh_brian.noise.binomial import binomial_step, subunit_propagator
from hh_brian.noise.counts import channel_counts, check_noise_model
from hh_brian.noise.markov import simulate_markov
from hh_brian.noise.markov_clamp import gillespie_clamp, stationary_counts
from hh_brian.noise.scheme import scheme_for

ALPHA = 0.01
SQUID = get_model("dayan_abbott")


def rates_at(model, channel, v_mv):
    """The channel's gate rates (G, len(v)) at voltages (mV), temperature included."""
    ref = reference_model(model)
    alpha, beta = ref.rates(np.atleast_1d(np.asarray(v_mv, float)))
    rows = [ref.gate_names.index(g.name) for g in model.channel(channel).gates]
    return alpha[rows], beta[rows]


def binomial_gof(counts, n, p):
    """Chi-square p-value of counts against Binomial(n, p), bins pooled to expect >= 5."""
    k = np.arange(n + 1)
    expected = stats.binom.pmf(k, n, p) * counts.size
    observed = np.bincount(counts, minlength=n + 1).astype(float)
    edges, acc = [], 0.0
    for j, e in enumerate(expected):  # pool adjacent bins until each expects >= 5
        acc += e
        if acc >= 5:
            edges.append(j + 1)
            acc = 0.0
    edges[-1] = n + 1
    bounds = [0, *edges]
    obs = np.array([observed[a:b].sum() for a, b in zip(bounds, bounds[1:], strict=False)])
    exp = np.array([expected[a:b].sum() for a, b in zip(bounds, bounds[1:], strict=False)])
    exp *= obs.sum() / exp.sum()
    return stats.chisquare(obs, exp).pvalue


def test_counts_from_area_density_and_gamma():
    # 120 and 36 mS/cm**2 at 20 pS: 60 Na+ and 18 K+ channels per um**2 (Chow & White 1996)
    assert dict(channel_counts(SQUID.with_area(10 * umetre**2))) == {"Na": 600, "K": 180}
    [na] = [ch for ch in get_model("hh1952").channels if ch.name == "Na"]
    assert na.gamma == 20 * psiemens


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        (SQUID, "has no membrane area"),
        (SQUID.with_area(0.001 * umetre**2), "below 1"),
        (get_model("wang_buzsaki").with_area(100 * umetre**2), "instantaneous"),
        (get_model("traub_miles"), "no single-channel conductance"),
    ],
)
def test_models_that_cannot_carry_noise_are_refused(model, fragment):
    with pytest.raises(HHBrianInputError, match=fragment):
        check_noise_model(model)


def test_gamma_needs_conductance_units_and_round_trips():
    text = model_to_toml(SQUID)
    assert model_from_toml(text).channel("Na").gamma == 20 * psiemens
    with pytest.raises(HHBrianInputError, match=r"channels\.Na\.gamma"):
        model_from_toml(text.replace('gamma = "0.019999999999999997*nS"', 'gamma = "20*mV"', 1))


def test_schemes_have_the_hh_state_counts():
    na, k = scheme_for(SQUID.channel("Na")), scheme_for(SQUID.channel("K"))
    assert (na.n_states, k.n_states) == (8, 5)
    assert (len(na.edges), len(k.edges)) == (10, 4)
    a, b = rates_at(SQUID, "Na", [-40.0])
    assert na.stationary(a, b).sum() == pytest.approx(1.0)
    x = a / (a + b)
    assert na.open_probability(a, b)[0] == pytest.approx(x[0, 0] ** 3 * x[1, 0])


@pytest.mark.parametrize(("channel", "n", "v"), [("K", 40, -40.0), ("Na", 60, -20.0)])
def test_gillespie_open_count_is_binomial_at_a_clamped_voltage(channel, n, v):
    """All channels start closed; after 10 of the slowest time constants the open
    count of 3000 independent patches is Binomial(N, P_open(V))."""
    scheme = scheme_for(SQUID.channel(channel))
    a, b = rates_at(SQUID, channel, [v])
    rng = np.random.default_rng(1)
    counts = np.zeros((scheme.n_states, 3000), dtype=np.int64)
    counts[0] = n
    settle = 10 / float(np.min(a + b))
    opened = gillespie_clamp(scheme, a[:, 0], b[:, 0], counts, [settle], rng)[0]
    p_open = float(scheme.open_probability(a, b)[0])
    assert binomial_gof(opened, n, p_open) > ALPHA
    assert binomial_gof(opened, n, 1.15 * p_open) < ALPHA  # the test has power


def test_gillespie_autocorrelation_decays_as_the_scheme_predicts():
    """Ensemble correlation of the K+ open count between 0 and s, against
    (q(s) - P_o)/(1 - P_o); Fisher z with Bonferroni over the lags at alpha."""
    scheme = scheme_for(SQUID.channel("K"))
    a, b = rates_at(SQUID, "K", [-45.0])
    rng = np.random.default_rng(2)
    cells = 4000
    counts = stationary_counts(scheme, a[:, 0], b[:, 0], 30, cells, rng)
    lags = np.array([0.5, 2.0, 5.0, 10.0])
    opened = gillespie_clamp(scheme, a[:, 0], b[:, 0], counts, [0.0, *lags], rng)
    predicted = scheme.open_autocorrelation(a[:, 0], b[:, 0], lags)
    measured = np.array([np.corrcoef(opened[0], opened[j + 1])[0, 1] for j in range(lags.size)])
    z = (np.arctanh(measured) - np.arctanh(predicted)) * np.sqrt(cells - 3)
    assert np.all(np.abs(z) < stats.norm.isf(ALPHA / (2 * lags.size))), (measured, predicted)
    assert predicted[0] > 0.5 > predicted[-1]  # the lags span the decay


def test_binomial_step_is_exact_at_a_clamped_voltage_for_a_coarse_step():
    """The fixed-step scheme samples the frozen-voltage chain exactly: 0.5 ms steps keep
    the stationary Binomial law of the Na+ open count, and propagators are stochastic."""
    scheme = scheme_for(SQUID.channel("Na"))
    a, b = rates_at(SQUID, "Na", [-30.0])
    cells, n = 3000, 80
    rng = np.random.default_rng(3)
    counts = np.zeros((scheme.n_states, cells), dtype=np.int64)
    counts[0] = n
    alpha, beta = np.repeat(a, cells, axis=1), np.repeat(b, cells, axis=1)
    for _ in range(60):  # 30 ms, 15 of the slowest time constants
        counts = binomial_step(scheme, counts, alpha, beta, 0.5, rng)
    assert (counts.sum(axis=0) == n).all()
    p_open = float(scheme.open_probability(a, b)[0])
    assert binomial_gof(counts[scheme.open_state], n, p_open) > ALPHA
    propagator = subunit_propagator(3, a[0], b[0], 0.5)
    assert np.allclose(propagator.sum(axis=1), 1.0, atol=1e-14)


def _rms_deviation(area_um2, reference):
    model = SQUID.with_area(area_um2 * umetre**2)
    current = 1e-4 * area_um2 * nA  # 10 uA/cm**2: a spike at 1.9 ms
    noisy = simulate_markov(model, current=current, duration=12 * ms, n_neurons=20, seed=4)
    return float(np.sqrt(np.mean(((noisy.v - reference) / mV) ** 2)))


def test_markov_converges_to_the_deterministic_trajectory_at_large_area():
    """The binomial scheme's mean is the NumPy engine's exponential Euler (gates exact at
    the step's voltage), so the deviation from it shrinks like 1/sqrt(N): 100x the area,
    ~10x less (accepted 5-20x); at 6e8 Na+ channels it is under a tenth of the scheme's
    own dt error (against rk4 at dt/4)."""
    model = SQUID.with_area(1e4 * umetre**2)
    det = simulate_reference(model, current=1 * nA, duration=12 * ms, method="exponential_euler")
    fine = simulate_reference(model, current=1 * nA, duration=12 * ms, dt=0.0025 * ms, method="rk4")
    dt_error = float(np.sqrt(np.mean(((det.v[0] - fine.v[0][::4]) / mV) ** 2)))
    small, large = _rms_deviation(1e5, det.v[0]), _rms_deviation(1e7, det.v[0])
    print(f"rms deviation from the deterministic run: {small:.4g} mV, {large:.4g} mV")
    assert 5 < small / large < 20, (small, large)
    assert large < 0.1 * dt_error, (large, dt_error)


@pytest.mark.slow
def test_markov_step_error_against_a_four_times_finer_step():
    """Spontaneous firing of 40 um**2 patches: the rate at dt = 0.04 ms agrees with
    dt = 0.01 ms (the default) within 4 standard errors (Poisson counts): the O(dt)
    error of holding V over a step is below the statistical resolution of 12
    cell-seconds (~300 spikes) even at 4x the default step."""
    model = SQUID.with_area(40 * umetre**2)
    counts = []
    for dt in (0.04 * ms, 0.01 * ms):
        run = simulate_markov(
            model, current=0 * nA, duration=20 * ms, dt=dt, n_neurons=600, record=[], seed=5
        )
        counts.append(run.spike_times.size)
    print("spikes at dt = 0.04 and 0.01 ms:", counts)
    assert counts[0] > 50 and counts[1] > 50
    assert abs(counts[0] - counts[1]) < 4 * np.sqrt(counts[0] + counts[1]), counts


def test_markov_runs_are_reproducible_from_the_seed():
    model = SQUID.with_area(30 * umetre**2)
    runs = [
        simulate_markov(model, current=0 * nA, duration=5 * ms, n_neurons=3, seed=s)
        for s in (7, 7, 8)
    ]
    assert np.array_equal(runs[0].v, runs[1].v) and not np.array_equal(runs[0].v, runs[2].v)
    assert runs[0].info["seed"] == 7


@pytest.mark.parametrize("module", ["hh_brian.noise.counts", "hh_brian.noise.spec"])
def test_doctests_including_the_lectures_acetylcholine_channel(module):
    """47 pS at -140 mV: 6.6 pA, 4.1e7 charges/s (lecture 7); 60 Na+ and 18 K+ per um**2."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted >= 1 and result.failed == 0


def _with_gammas(path):
    """A test model file with gamma = 20 pS on every channel."""
    import re
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    return model_from_toml(
        re.sub(r"(\[channels\.\w+\]\n)", lambda m: m.group(1) + 'gamma = "20*psiemens"\n', text)
    )


@pytest.mark.parametrize(
    ("model", "density_uA_cm2"),
    [
        (_with_gammas("tests/data/m_current_cell.toml"), 3.4),  # inf/tau M-current gate
        (get_model("hh1952"), 10.0),  # 1952 convention: depolarisation is negative
    ],
    ids=["inf_tau_gates", "hh1952_convention"],
)
def test_markov_is_generic_over_gate_forms_and_conventions(model, density_uA_cm2):
    """Any alpha/beta or inf/tau channel gets its scheme; at large area the deviation
    from the deterministic run shrinks like 1/sqrt(N) (1e7 to 1e9 um**2: 5-20x less)."""

    def deviation(area_um2):
        patch = model.with_area(area_um2 * umetre**2)
        current = density_uA_cm2 * 1e-5 * area_um2 * nA
        det = simulate_reference(
            patch, current=current, duration=15 * ms, method="exponential_euler"
        )
        noisy = simulate_markov(patch, current=current, duration=15 * ms, n_neurons=20, seed=9)
        assert det.spike_times.size >= 1
        return float(np.sqrt(np.mean(((noisy.v - det.v[0]) / mV) ** 2)))

    small, large = deviation(1e7), deviation(1e9)
    assert 5 < small / large < 20, (small, large)
