"""Spike detection (both conventions), rates, ISIs and CV."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, cm, ms, mV, second, uA

from hh_brian.analysis.spikes import (
    coefficient_of_variation,
    detect_spikes,
    firing_rate,
    interspike_intervals,
)
from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.presets import get_preset

MODERN = get_preset("dayan_abbott")
HH1952 = get_preset("hh1952")
# Two neurons, modern convention: crossings of -20 mV at 1.5, 5 + 45/55 ms (row 0) and 4.5 ms.
TRACE = [
    [-65, -35, -5, 20, -30, -65, -10, -65],
    [-65, -65, -65, -65, -30, -10, -20.0, -70],
] * mV
T = np.arange(8) * ms


def test_crossings_peaks_and_neurons_modern():
    spikes = detect_spikes(T, TRACE, MODERN)
    np.testing.assert_array_equal(spikes.neuron, [0, 0, 1])
    np.testing.assert_allclose(spikes.times / ms, [1.5, 5.0 + 45 / 55, 4.0 + 10 / 20], rtol=1e-12)
    np.testing.assert_allclose(spikes.peak_times / ms, [3, 6, 5])
    np.testing.assert_allclose(spikes.peak_v / mV, [20, -10, -10])
    np.testing.assert_array_equal(spikes.counts, [2, 1])


def test_the_1952_convention_detects_downward_crossings():
    mirrored = -65 * mV - TRACE  # same physiology, v_HH = -65 mV - V
    ours = detect_spikes(T, mirrored, HH1952)  # V_spike = -45 mV (modern -20 mV)
    reference = detect_spikes(T, TRACE, MODERN)
    np.testing.assert_allclose(ours.times / ms, reference.times / ms, rtol=1e-12)
    np.testing.assert_allclose(ours.peak_v / mV, (-65 * mV - reference.peak_v) / mV)


def test_dead_time_drops_the_second_crossing():
    spikes = detect_spikes(T, TRACE, MODERN, refractory=4.5 * ms)
    np.testing.assert_allclose(spikes.times / ms, [1.5, 4.5])


def test_explicit_threshold():
    spikes = detect_spikes(T, TRACE[0], MODERN, threshold=0 * mV)
    np.testing.assert_allclose(spikes.times / ms, [2.2])


@pytest.mark.parametrize("name", ["hh1952", "dayan_abbott", "pyramidal"])
def test_trace_detection_agrees_with_brian2s_threshold(name):
    preset = get_preset(name)
    current = np.array([0.0, 15.0, 40.0]) * uA / cm**2
    result = simulate(
        preset, current=current, duration=30 * ms, dt=0.01 * ms, method="exponential_euler"
    )
    spikes = detect_spikes(result.t, result.v, preset)
    for k in range(3):
        ours = np.asarray(spikes.of(k) / ms)
        brian = np.asarray(result.spikes_of(k) / ms)
        assert ours.size == brian.size
        # One rule, one interpolation, the same samples: the same times to round-off.
        np.testing.assert_allclose(ours, brian, rtol=0, atol=1e-9)
    assert spikes.counts[0] == 0 and spikes.counts[2] >= 1
    # Peaks are depolarised beyond the threshold in the preset's own sense.
    assert np.all(preset.convention.sign * (spikes.peak_v - preset.parameters["V_spike"]) > 0)


def test_firing_rate_estimators():
    neuron = np.array([0, 0, 0, 0, 1, 2, 2])
    times = np.array([0.10, 0.20, 0.30, 0.55, 0.2, 0.1, 0.9]) * second
    isi = firing_rate(neuron, times, 4, 0 * second, 0.5 * second)
    np.testing.assert_allclose(isi / Hz, [10.0, 0.0, 0.0, 0.0])
    count = firing_rate(neuron, times, 4, 0 * second, 1 * second, estimator="count")
    np.testing.assert_allclose(count / Hz, [4.0, 1.0, 2.0, 0.0])


def test_isi_and_cv():
    times = np.array([0.0, 10.0, 20.0, 30.0]) * ms
    np.testing.assert_allclose(interspike_intervals(times) / ms, [10, 10, 10])
    assert coefficient_of_variation(interspike_intervals(times)) == pytest.approx(0, abs=1e-12)
    irregular = interspike_intervals(np.array([0.0, 10.0, 30.0]) * ms)
    assert coefficient_of_variation(irregular) == pytest.approx(5 / 15)
    assert np.isnan(coefficient_of_variation(interspike_intervals(np.array([1.0]) * ms)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: detect_spikes(T, TRACE / mV, MODERN), "expected potentials"),
        (lambda: detect_spikes(T[:3], TRACE, MODERN), "3 times for 8 samples"),
        (lambda: detect_spikes(T, TRACE, MODERN, threshold=1 * ms), "not a potential"),
        (lambda: firing_rate([0], [1.0] * ms, 1, 2 * ms, 1 * ms), "must exceed t_start"),
        (lambda: firing_rate([0], [1.0] * ms, 1, 0 * mV, 1 * ms), "not a time"),
        (lambda: firing_rate([0], [1.0] * ms, 1, 0 * ms, 1 * ms, estimator="x"), "estimator"),
        (lambda: interspike_intervals(np.ones(3) * mV), "not times"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(HHBrianInputError, match=message):
        call()
