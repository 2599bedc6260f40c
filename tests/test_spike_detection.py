"""One spike rule everywhere: interpolated upward crossings, one spike per action potential.

The rule (:mod:`hh_brian.core.crossings`) is checked on analytic traces (the linear
interpolation's error bound), then in every place that applies it: the trace detector,
Brian2 (``v_before``), the independent NumPy engine, its fast counter and its gold
solver.  A run that starts above threshold has no spike at t = 0, and a run continued
from a mid-spike state counts that spike once.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, ms, mV, uA, volt
from brian2.units import cm

from hh_brian.analysis.spikes import detect_spikes
from hh_brian.compare.crossval import spike_time_tolerance
from hh_brian.core.crossings import crossing_fraction, crossing_steps, upward_crossings
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.brian2.spikes import SAVE_ORDER, SAVE_WHEN, attach_detector, with_detector
from hh_brian.engines.reference import count_spikes, integrate, solve_gold
from hh_brian.engines.reference_bridge import reference_model, simulate_reference
from hh_brian.models.presets import get_preset
from hh_brian.render.brian2 import render, spike_conditions

SQUID = ("dayan_abbott", "hh1952")
ENGINES = {"brian2": simulate, "numpy": simulate_reference}
DT = 0.01 * ms
CURRENT = 10 * uA / cm**2


# ----------------------------------------------------------------- the rule itself
def test_ramp_crossings_are_exact():
    t = np.arange(0.0, 2.0, 0.1)
    rows, steps, times = upward_crossings(t, [3.0 * t - 1.0, 3.0 * t - 1.0 + 1e-3])
    np.testing.assert_array_equal(rows, [0, 1])
    np.testing.assert_allclose(times, [1 / 3, (1 - 1e-3) / 3], rtol=1e-13)
    np.testing.assert_array_equal(steps, [3, 3])


@pytest.mark.parametrize("dt", [0.02, 0.01, 0.005])
def test_sine_crossings_are_within_the_interpolation_bound(dt):
    # v = A sin(w t): upward crossings of theta at asin(theta/A)/w + k 2 pi/w.  The linear
    # interpolant misplaces a crossing by frac (1 - frac) dt**2 |v''| / (2 |v'|), at most
    # dt**2 |v''| / (8 |v'|): second order.  Forty crossings at scattered phases of the
    # step come close to the bound at every dt.
    amplitude, omega, theta = 50.0, 2 * np.pi / 9.87654321, 20.0  # mV, rad/ms, mV
    t = np.arange(0.0, 400.0, dt)
    _, _, times = upward_crossings(t, [amplitude * np.sin(omega * t) - theta])
    first = np.arcsin(theta / amplitude) / omega
    exact = first + np.arange(times.size) * 2 * np.pi / omega
    slope = amplitude * omega * np.cos(omega * first)
    curvature = amplitude * omega**2 * theta / amplitude  # |v''| = w**2 |v| at the crossing
    bound = dt**2 * curvature / (8 * slope)
    assert times.size == 41
    error = np.max(np.abs(times - exact))
    assert 0.9 * bound <= error <= bound * (1 + 1e-6)


@pytest.mark.parametrize(
    ("x", "steps"),
    [
        ([1.0, 2.0, -1.0, 1.0], [2]),  # starts above: no spike until it has come back
        ([-1.0, 0.0, 1.0, 0.0, 1.0], [1, 3]),  # "at" the threshold counts as below (re-armed)
        ([-1.0, 1.0, 2.0, 0.5, 3.0], [0]),  # one action potential, one spike
        ([0.5, 0.5, 0.5], []),
    ],
)
def test_crossing_rule(x, steps):
    np.testing.assert_array_equal(crossing_steps([x])[1], steps)


def test_crossing_fraction_is_the_same_in_both_conventions():
    theta, v0, v1 = -20.0, -30.0, 10.0  # modern: rising through -20 mV
    modern = crossing_fraction(v0 - theta, v1 - theta)
    mirrored = crossing_fraction(-((-65 - v0) - (-45)), -((-65 - v1) - (-45)))
    assert modern == pytest.approx(0.25) and mirrored == pytest.approx(0.25)


# ----------------------------------------------------------------- trace detector
@pytest.mark.parametrize("name", SQUID)
def test_trace_starting_above_threshold_has_no_spike_at_its_first_sample(name):
    preset = get_preset(name)
    modern = np.array([10.0, 0.0, -30.0, -65.0, -10.0, -65.0]) * mV
    v = preset.convention.from_modern(modern)
    spikes = detect_spikes(np.arange(6) * ms, v, preset)
    np.testing.assert_allclose(spikes.times / ms, [3 + 45 / 55])


# ----------------------------------------------------------------- engines
@cache
def uninterrupted(engine: str, name: str, method: str, duration_ms: float = 60.0):
    return ENGINES[engine](
        get_preset(name), current=CURRENT, duration=duration_ms * ms, dt=DT, method=method
    )


def mid_spike(engine: str, name: str, method: str) -> int:
    """Index of the sample at the peak of the second spike (v above threshold)."""
    run = uninterrupted(engine, name, method)
    preset = get_preset(name)
    second = float(run.spikes_of(0)[1] / ms)
    window = (run.t / ms > second) & (run.t / ms < second + 1.0)
    x = preset.convention.sign * np.asarray(run.v[0] / mV)
    k = int(np.flatnonzero(window)[np.argmax(x[window])])
    assert x[k] > preset.convention.sign * float(preset.V_spike / mV)
    return k


def state_at(run, k: int) -> dict:
    return {"v": run.v[0, k], **{g: float(run.traces[g][0, k]) for g in run.preset.gate_names}}


@pytest.mark.parametrize("method", ["exponential_euler", "rk4"])
@pytest.mark.parametrize("name", SQUID)
@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_continued_run_counts_each_spike_once(engine, name, method):
    whole = uninterrupted(engine, name, method)
    k = mid_spike(engine, name, method)
    t_k = k * DT
    rest = ENGINES[engine](
        get_preset(name),
        current=CURRENT,
        duration=60 * ms - t_k,
        dt=DT,
        method=method,
        initial_state=state_at(whole, k),
    )
    before = whole.spikes_of(0)[whole.spikes_of(0) <= t_k]
    joined = np.concatenate([np.asarray(before / ms), np.asarray((rest.spikes_of(0) + t_k) / ms)])
    assert before.size == 2  # the spike in progress at t_k belongs to the first part
    assert joined.size == whole.spikes_of(0).size >= 4
    np.testing.assert_allclose(joined, whole.spikes_of(0) / ms, rtol=0, atol=1e-9)
    assert float(rest.spikes_of(0)[0] / ms) > 5.0  # no spike at t = 0


@pytest.mark.parametrize("name", SQUID)
def test_brian2_and_numpy_agree_on_every_spike_from_a_mixed_start(name):
    # Five currents, each neuron started mid-spike (above threshold): the engines agree on
    # every spike time to what their (round-off) state differences explain, and neither
    # counts a spike at t = 0.
    preset = get_preset(name)
    k = mid_spike("numpy", name, "exponential_euler")
    start = state_at(uninterrupted("numpy", name, "exponential_euler"), k)
    currents = np.array([0.0, 5.0, 10.0, 20.0, 50.0]) * uA / cm**2
    runs = [
        engine(
            preset,
            current=currents,
            duration=40 * ms,
            dt=DT,
            method="exponential_euler",
            initial_state=start,
        )
        for engine in ENGINES.values()
    ]
    ours, ref = runs
    np.testing.assert_array_equal(ours.spike_indices, ref.spike_indices)
    assert np.all(ours.spike_times > 1 * ms)
    dv = np.max(np.abs(ours.v - ref.v))
    assert dv < 1e-6 * mV
    tol = spike_time_tolerance(DT, 2 * dv, ours.info["spike_step_dv"], 40 * ms)
    assert np.max(np.abs(ours.spike_times - ref.spike_times)) <= tol


@pytest.mark.parametrize("name", SQUID)
def test_numpy_counter_and_gold_solver_apply_the_same_rule(name):
    preset = get_preset(name)
    model = reference_model(preset)
    run = uninterrupted("numpy", name, "exponential_euler")
    k = mid_spike("numpy", name, "exponential_euler")
    y0 = np.array([float(run.v[0, k] / mV), *(run.traces[g][0, k] for g in preset.gate_names)])
    y0 = np.repeat(y0[:, None], 2, axis=1)  # two neurons: 10 uA/cm^2 and none
    current = np.array([10.0, 0.0])
    threshold = float(preset.V_spike / mV)
    # rk4 at 0.01 ms: spike times within ~1e-4 ms of the gold solution's
    options = {"i_inj": current, "threshold": threshold, "method": "rk4"}
    full = integrate(model, y0, 0.01, 3000, record=False, **options)
    counts = count_spikes(model, y0, 0.01, 3000, **options)
    np.testing.assert_array_equal(counts, full.spike_counts)
    assert counts[1] == 0  # repolarises and rests: the spike in progress is not counted
    gold = solve_gold(model, y0[:, :1], 30.0, i_inj=10.0, threshold=threshold)
    assert gold.spike_counts[0] == counts[0] >= 1
    assert gold.spike_times[0][0] > 5.0
    np.testing.assert_allclose(full.spike_times[0], gold.spike_times[0], rtol=0, atol=1e-3)


# ----------------------------------------------------------------- Brian2 internals
def test_threshold_and_refractory_conditions_in_both_conventions():
    assert spike_conditions(get_preset("dayan_abbott")) == (
        "v > V_spike and v_before <= V_spike",
        "v > V_spike",
    )
    assert render(get_preset("hh1952")).threshold == "v < V_spike and v_before >= V_spike"


@pytest.mark.parametrize("name", SQUID)
def test_a_neuron_starting_above_threshold_is_not_armed(name):
    preset = get_preset(name)
    model = render(preset)
    group = NeuronGroup(
        2,
        with_detector(model.equations),
        threshold=model.threshold,
        refractory=model.refractory,
        method="exponential_euler",
        namespace=dict(model.namespace),
    )
    group.v = preset.convention.from_modern(np.array([-65.0, 10.0]) * mV)
    attach_detector(group, model.refractory)
    np.testing.assert_array_equal(group.not_refractory[:], [True, False])
    np.testing.assert_allclose(group.v_before[:] / volt, group.v[:] / volt)
    objects = group.contained_objects
    saver = [o for o in objects if "v_before = v" in getattr(o, "abstract_code", "")]
    assert len(saver) == 1 and saver[0].when == SAVE_WHEN and saver[0].order == SAVE_ORDER
    others = [o.order for o in objects if o.when == SAVE_WHEN and o not in saver]
    assert all(SAVE_ORDER < order for order in others)
    Network(group).run(0.1 * ms, namespace={})  # builds and runs
