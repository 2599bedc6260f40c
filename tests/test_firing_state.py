"""Rest, firing or block: synthetic windows with known answers, then the squid axon's f-I.

The squid axon (Rinzel & Miller 1980, Math Biosci 49:27-59): rest below the subcritical
Hopf point (~9.78 uA/cm^2), firing above it, with peaks below -20 mV from about 100 up
to the supercritical Hopf point (~154.5), then a stable depolarised equilibrium:
depolarisation block.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms, mV, uA
from brian2.units import cm

from hh_brian.analysis.fi_curve import fi_curve
from hh_brian.analysis.firing_state import (
    AMPLITUDE_FLOOR,
    BLOCK,
    FIRING,
    REST,
    classify,
    is_block,
    unstable_equilibria_mV,
)
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.presets import get_preset

SQUID = ("dayan_abbott", "hh1952")
DENSITY = uA / cm**2
T = np.arange(0.0, 200.0, 0.05) * ms  # a 200 ms window sampled at 0.05 ms


def window(name: str, modern_mV: np.ndarray):
    preset = get_preset(name)
    return classify(T, preset.convention.from_modern(np.atleast_2d(modern_mV) * mV), preset)


def sine(level: float, amplitude: float, f_hz: float, growth_per_s: float = 0.0) -> np.ndarray:
    t = np.asarray(T / ms) / 1000
    return level + amplitude * np.exp(growth_per_s * t) * np.sin(2 * np.pi * f_hz * t + 0.1)


def test_the_squid_axons_equilibrium_is_unstable_between_its_hopf_points():
    # Modern potentials of the equilibria at ~9.78 and ~154.5 uA/cm^2 (measured: the
    # steady-state current is 8.87 at -60 mV, 11.60 at -59, 137.9 at -44, 155.5 at -43).
    unstable = unstable_equilibria_mV(get_preset("dayan_abbott"))
    assert -60.0 < unstable.min() < -59.0
    assert -44.0 < unstable.max() < -43.0
    assert np.all(np.diff(unstable) < 0.1 + 1e-9)  # one contiguous stretch


@pytest.mark.parametrize("name", SQUID)
def test_a_steady_small_oscillation_is_firing_with_its_rate_and_amplitude(name):
    state = window(name, sine(-44.0, 10.0, 155.0))
    assert state.state[0] == FIRING
    assert float(state.rate[0] / Hz) == pytest.approx(155.0, rel=1e-3)
    assert float(state.amplitude[0] / mV) == pytest.approx(20.0, rel=1e-3)
    peak = get_preset(name).convention.to_modern(state.peak[0])
    assert float(peak / mV) == pytest.approx(-34.0, abs=0.01)


@pytest.mark.parametrize("name", SQUID)
@pytest.mark.parametrize(
    ("level", "growth", "expected"),
    [
        (-42.5, -20.0, BLOCK),  # decaying onto the depolarised branch: block
        (-64.0, -20.0, REST),  # decaying onto rest
        (-59.9, 1.0, REST),  # growing slowly away from rest: not settled, not firing
        (-42.5, -0.02, FIRING),  # decays by 0.4 % over the window: steady to 1 %
    ],
)
def test_decaying_and_growing_small_oscillations(name, level, growth, expected):
    assert window(name, sine(level, 2.0, 170.0, growth)).state[0] == expected


@pytest.mark.parametrize("name", SQUID)
def test_quiet_windows_are_rest_or_block_by_their_place_on_the_equilibrium_curve(name):
    flat = np.vstack([np.full(T.size, -65.0), np.full(T.size, -40.0), np.full(T.size, -70.0)])
    state = window(name, flat)
    assert list(state.state) == [REST, BLOCK, REST]
    assert np.all(state.rate == 0 * Hz) and np.all(state.amplitude == 0 * mV)
    tiny = window(name, sine(-42.0, float(AMPLITUDE_FLOOR / mV) / 4, 170.0))
    assert tiny.state[0] == BLOCK  # below the amplitude floor: an equilibrium's residue


def test_action_potentials_with_jittery_peaks_are_firing():
    # A 60 Hz train of narrow spikes whose peaks vary by 1.5 % (coarse sampling).
    t = np.asarray(T / ms)
    phase = (t % (1000 / 60)) / (1000 / 60)
    jitter = 1 + 0.015 * np.cos(2 * np.pi * t / 37.0)
    v = -65 + 105 * jitter * np.exp(-(((phase - 0.5) / 0.03) ** 2))
    state = window("dayan_abbott", v)
    assert state.state[0] == FIRING
    assert float(state.rate[0] / Hz) == pytest.approx(60.0, rel=1e-3)


def test_is_block_needs_an_unstable_stretch_between_rest_and_the_state():
    preset = get_preset("dayan_abbott")
    np.testing.assert_array_equal(
        is_block(preset, np.array([-70.0, -65.0, -61.0, -42.0, 0.0]) * mV),
        [False, False, False, True, True],
    )


@pytest.mark.parametrize(
    ("t", "v", "message"),
    [
        (T[:2], np.zeros((1, 2)) * mV, ">= 3 sample times"),
        (T, np.zeros((1, 5)) * mV, "matching v's samples"),
    ],
)
def test_bad_windows_are_refused(t, v, message):
    with pytest.raises(HHBrianInputError, match=message):
        classify(t, v, get_preset("dayan_abbott"))


# ----------------------------------------------------------------- the squid axon's f-I
@pytest.fixture(scope="module", params=SQUID)
def three_states(request):
    # One vectorised sweep; a 200 ms hold leaves a 100 ms window, enough at these currents
    # (the depolarised equilibrium at 160 uA/cm^2 damps at ~24/s).
    return fi_curve(
        get_preset(request.param),
        np.array([0.0, 20.0, 120.0, 160.0]) * DENSITY,
        duration=200 * ms,
        dt=0.01 * ms,
        ramp=50 * ms,
        prime=50 * ms,
        prime_current=20 * DENSITY,
    )


def test_fi_tells_rest_firing_and_block_apart(three_states):
    for population in ("up", "down", "step"):
        assert list(three_states.states[population].state) == [REST, FIRING, FIRING, BLOCK]
    assert list(three_states.state) == [REST, FIRING, FIRING, BLOCK]
    assert three_states.block_onset == 160 * DENSITY
    assert not three_states.block_onset_is_upper_bound


def test_small_oscillation_at_120_is_firing_below_minus_20_mV(three_states):
    preset = three_states.preset
    up = three_states.states["up"]
    assert 100 * Hz < three_states.rate_up[2] < 200 * Hz
    assert float(three_states.rate_down[2] / three_states.rate_up[2]) == pytest.approx(1, rel=1e-3)
    assert 10 * mV < up.amplitude[2] < 100 * mV
    assert preset.convention.to_modern(up.peak[2]) < -20 * mV
    assert three_states.spikes_step[2] <= 2  # the spike counter sees only the onset
    assert three_states.rate_up[0] == three_states.rate_up[3] == 0 * Hz
    assert 80 * Hz < three_states.rate_up[1] < 95 * Hz  # full spikes at 20 uA/cm^2
    assert three_states.amplitude[1] > 90 * mV


def test_fi_csv_and_summary_report_the_states(three_states):
    rows = three_states.csv_text().splitlines()
    assert ",down_primed,amplitude_mV,state" in rows[0]  # columns are only ever appended
    column = rows[0].split(",").index("state")
    assert [r.split(",")[column] for r in rows[1:]] == [REST, FIRING, FIRING, BLOCK]
    summary = three_states.summary()
    assert "depolarisation block (up sweep): from 160 uA/cm^2" in summary
    assert "firing with peaks below V_spike (up sweep): 120 uA/cm^2 to 120 uA/cm^2" in summary


def test_no_block_in_range_and_block_at_the_lowest_current():
    preset = get_preset("dayan_abbott")
    low = fi_curve(preset, np.array([0.0, 30.0]) * DENSITY, duration=200 * ms, ramp=20 * ms)
    assert low.block_onset is None
    assert "depolarisation block (up sweep): none in range" in low.summary()
    high = fi_curve(preset, np.array([170.0, 200.0]) * DENSITY, duration=200 * ms, ramp=20 * ms)
    assert high.block_onset == 170 * DENSITY and high.block_onset_is_upper_bound
    assert "<= 170 uA/cm^2 (in block at the lowest current tested)" in high.summary()


@pytest.mark.slow
def test_block_onset_is_at_the_supercritical_hopf_point():
    # ~154.5 uA/cm^2.  A 500 ms hold resolves amplitude changes down to ~0.04/s; the
    # slow approach to the small limit cycle just below the Hopf point, and the slow decay
    # just above it, put the first block current within 1-2 uA/cm^2 of it (the
    # firing_state docstring).  Measured: 153 with rush_larsen2 at dt = 0.01 and 0.005 ms
    # and with rk4 at 0.01 ms, so it is the model and the classifier, not the scheme;
    # exponential Euler's O(dt) error at 0.01 ms moved it to 154.
    fi = fi_curve(
        get_preset("hh1952"),
        np.arange(150.0, 158.1, 1.0) * DENSITY,
        duration=500 * ms,
        prime_current=20 * DENSITY,
    )
    onset = float(fi.block_onset / DENSITY)
    assert 154.5 - 2 < onset <= 156.0
    assert all(s == FIRING for s in fi.state[fi.currents < fi.block_onset])  # 150 up to it
    assert all(s == BLOCK for s in fi.state[fi.currents >= fi.block_onset])
