"""Langevin and subunit channel noise in Brian2 against the Markov model's exact statistics.

Moment comparisons allow 4 standard errors (two-sided alpha ~ 6e-5 each); every run is
seeded.  One compiled clamp model per noise kind and one current-clamp model per kind
serve every test (channel counts are per-neuron constants).
"""

import numpy as np
import pytest
from brian2 import ms, mV, nA, umetre

from hh_brian.engines.reference_bridge import reference_model, simulate_reference
from hh_brian.models.library import get_model
from hh_brian.noise.binomial import binomial_step
from hh_brian.noise.brian2_clamp import clamp_open_fractions
from hh_brian.noise.brian2_run import simulate_sde
from hh_brian.noise.markov import simulate_markov
from hh_brian.noise.run import ChannelNoiseWarning, simulate_noisy
from hh_brian.noise.scheme import scheme_for
from hh_brian.noise.spec import ChannelNoise

pytestmark = pytest.mark.slow  # Brian2 runs of many cells

SQUID = get_model("dayan_abbott").with_area(100 * umetre**2)
VOLTAGES = np.array([-50.0, -30.0, -10.0])


def _moments(x):
    """Mean, variance and their standard errors of samples along the last axis."""
    n = x.shape[-1]
    mean, var = x.mean(-1), x.var(-1, ddof=1)
    fourth = ((x - mean[..., None]) ** 4).mean(-1)
    return mean, var, np.sqrt(var / n), np.sqrt(np.maximum(fourth - var**2, 0) / n)


def _markov_open_fractions(channel, n_channels, cells):
    """Exact Markov samples at each voltage: the binomial step is exact at a clamped
    voltage (tests/test_noise_markov.py), from all closed over 40 ms."""
    scheme = scheme_for(SQUID.channel(channel))
    ref = reference_model(SQUID)
    alpha, beta = ref.rates(np.repeat(VOLTAGES, cells))
    rows = [ref.gate_names.index(g) for g in scheme.gates]
    counts = np.zeros((scheme.n_states, VOLTAGES.size * cells), dtype=np.int64)
    counts[0] = n_channels
    rng = np.random.default_rng(11)
    for _ in range(80):
        counts = binomial_step(scheme, counts, alpha[rows], beta[rows], 0.5, rng)
    return (counts[scheme.open_state] / n_channels).reshape(VOLTAGES.size, cells)


def test_langevin_matches_markov_mean_and_variance_of_open_channels():
    """At -50, -30 and -10 mV, 400 patches each, after 30 ms from the stationary mean."""
    counts = {"Na": 2000, "K": 400}
    cells = 400
    langevin = clamp_open_fractions(
        SQUID, "langevin", np.repeat(VOLTAGES, cells) * mV, [30] * ms, counts=counts, seed=3
    )
    for channel, n in counts.items():
        lm, lv, lm_se, lv_se = _moments(langevin[channel][0].reshape(VOLTAGES.size, cells))
        mm, mv, mm_se, mv_se = _moments(_markov_open_fractions(channel, n, 3 * cells))
        assert np.all(np.abs(lm - mm) < 4 * np.hypot(lm_se, mm_se)), (channel, lm, mm)
        assert np.all(np.abs(lv - mv) < 4 * np.hypot(lv_se, mv_se)), (channel, lv, mv)
        assert np.all(mv > 10 * mv_se)  # the variances are resolved


def test_heun_with_the_stratonovich_correction_integrates_the_ito_equation():
    """Subunit noise on n with N = 5 at -70 mV: the Ito equation has the stationary
    mean n_inf exactly (its drift is linear); heun without the correction
    (alpha - beta)/(4N) would converge to the Stratonovich equation, whose mean is off
    by (beta - alpha)/(4 N (alpha + beta)), here more than 8 standard errors."""
    cells, n = 6000, 5
    out = clamp_open_fractions(
        SQUID, "subunit", np.full(cells, -70.0) * mV, [30] * ms, counts={"Na": 5, "K": n}, seed=4
    )
    alpha, beta = reference_model(SQUID).rates(np.array([-70.0]))
    k = reference_model(SQUID).gate_names.index("n")
    n_inf = float(alpha[k, 0] / (alpha[k, 0] + beta[k, 0]))
    mean, _, se, _ = _moments(out["gate:n"][0])
    uncorrected_bias = float((beta[k, 0] - alpha[k, 0]) / (4 * n * (alpha[k, 0] + beta[k, 0])))
    assert abs(mean - n_inf) < 4 * se, (mean, n_inf, se)
    assert abs(uncorrected_bias) > 8 * se


def _rms(a, b):
    return float(np.sqrt(np.mean(((a - b) / mV) ** 2)))


@pytest.mark.parametrize("kind", ["langevin", "subunit"])
def test_sde_noise_converges_to_the_deterministic_trajectory_at_large_area(kind):
    """10 uA/cm**2 (a spike at 1.9 ms).  The deviation from the same equations at 1e12
    um**2 (noise ~1e-7 of the signal) shrinks like 1/sqrt(N): 100x the area, ~10x
    less (accepted 5-20x).  That noise-free limit is heun's drift, forward Euler, on the
    channel states; it differs from the deterministic gate model under forward Euler
    (NumPy engine) by no more than forward Euler's own error (against rk4 at dt/4)."""

    def run(area):
        return simulate_sde(
            SQUID.with_area(area * umetre**2),
            kind=kind,
            current=1e-4 * area * nA,
            duration=12 * ms,
            n_neurons=20,
            seed=5,
        ).v

    limit = run(1e12)
    deviation = [_rms(run(area), limit[0]) for area in (1e5, 1e7)]
    assert 5 < deviation[0] / deviation[1] < 20, deviation
    model = SQUID.with_area(1e4 * umetre**2)
    euler = simulate_reference(model, current=1 * nA, duration=12 * ms, method="euler").v[0]
    fine = simulate_reference(model, current=1 * nA, duration=12 * ms, dt=0.0025 * ms, method="rk4")
    assert _rms(limit[0], euler) <= _rms(euler, fine.v[0][::4])


def test_states_leaving_the_unit_interval_do_not_abort_a_noisy_run():
    """1 um**2 (60 Na+, 18 K+ channels): Langevin states step below 0 and the run
    completes, reproducibly from its seed."""
    model = SQUID.with_area(1 * umetre**2)
    runs = [
        simulate_sde(
            model,
            kind="langevin",
            current=0 * nA,
            duration=20 * ms,
            n_neurons=20,
            seed=6,
            variables=["Na_m3h1", "K_n0"],
        )
        for _ in range(2)
    ]
    assert min(runs[0].traces["Na_m3h1"].min(), runs[0].traces["K_n0"].min()) < 0
    assert np.array_equal(runs[0].v, runs[1].v)
    assert runs[0].info["seed"] == 6


def test_spontaneous_rate_rises_as_the_area_shrinks():
    """Chow & White 1996: at zero current small patches fire spontaneously, more the
    smaller they are; Markov and Langevin alike (Poisson counts, 3 standard errors)."""
    for simulate in (simulate_markov, simulate_sde):
        options = {} if simulate is simulate_markov else {"kind": "langevin"}
        spikes = [
            simulate(
                SQUID.with_area(area * umetre**2),
                current=0 * nA,
                duration=30 * ms,
                n_neurons=150,
                record=[],
                seed=7,
                **options,
            ).spike_times.size
            for area in (20, 200)
        ]
        assert spikes[0] - spikes[1] > 3 * np.sqrt(spikes[0] + spikes[1]), spikes


def test_subunit_noise_warns_that_it_misrepresents_the_statistics():
    with pytest.warns(ChannelNoiseWarning, match="misrepresents the statistics"):
        simulate_noisy(SQUID, ChannelNoise("subunit", 1), current=0 * nA, duration=1 * ms)
