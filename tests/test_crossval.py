"""Brian2 against the independent NumPy reference: round-off agreement, orders, spikes.

Tolerances are not tuned: the round-off bound is derived in ``hh_brian.compare.crossval``
(G x n_steps x KAPPA x eps with the amplification G measured per preset), the
order margin is the asymptotic-regime allowance ORDER_MARGIN.
"""

from functools import cache

import numpy as np
import pytest
from brian2 import ms, msiemens, mV
from brian2.units import mm

from hh_brian.compare.crossval import (
    ORDER_MARGIN,
    CrossValidation,
    amplification_factor,
    compare_method,
    cross_validate,
    default_current,
    observed_order,
    spike_timing,
    timing_against_gold,
)
from hh_brian.engines.brian2.simulate import BRIAN2_METHODS
from hh_brian.models.presets import PRESETS, get_preset

ALL = list(PRESETS)
DURATION, DT = 100 * ms, 0.01 * ms


@cache
def amplification(name: str) -> float:
    preset = get_preset(name)
    return amplification_factor(preset, default_current(preset), DURATION, DT, "exponential_euler")


#: rush_larsen2's cases run with the slow ones; its quick twin check is in test_rush_larsen.py.
METHODS_QUICK = [
    pytest.param(m, marks=pytest.mark.slow) if m == "rush_larsen2" else m for m in BRIAN2_METHODS
]


@pytest.mark.parametrize("method", METHODS_QUICK)
@pytest.mark.parametrize("name", ALL)
def test_identical_schemes_agree_to_round_off_at_every_step(name, method):
    preset = get_preset(name)
    result = compare_method(
        preset, default_current(preset), DURATION, DT, method, amplification(name)
    )
    assert result.spikes_brian2 == result.spikes_reference >= 3, "need several spikes"
    assert result.spike_times_equal
    assert result.max_dv <= result.tolerance_v, (result.max_dv, result.tolerance_v)
    assert result.max_dgate <= result.tolerance_gate
    # The derived bound itself must be far below anything physical (1 uV).
    assert result.tolerance_v < 1e-3 * mV


ORDER_CASES = [
    (name, method)
    for name in ("dayan_abbott", "hh1952", "traub_miles")
    for method in BRIAN2_METHODS
]
# Slow, smooth presets where rk4's error would otherwise sit on the gold solver's floor.
ORDER_CASES += [("lecture07_class_defaults", "rk4"), ("pyramidal", "rk4")]


@pytest.mark.parametrize(("name", "method"), ORDER_CASES)
def test_observed_order_matches_declared_order(name, method):
    estimate = observed_order(get_preset(name), method)
    assert abs(estimate.observed - estimate.declared) <= ORDER_MARGIN, estimate
    assert np.all(np.diff(estimate.errors_mV) < 0), "errors must fall as dt falls"


@pytest.mark.parametrize("method", METHODS_QUICK)
def test_spike_counts_match_gold_and_times_converge_at_the_declared_order(method):
    preset = get_preset("dayan_abbott")
    check = spike_timing(preset, default_current(preset), DURATION, DT, method)
    assert check.n_spikes == check.n_spikes_half == check.n_gold == 7
    assert check.passed, check
    if method == "rk4":
        # Interpolated crossings: rk4's own O(dt^4) error is negligible here, so the error
        # is the linear interpolation's, within its bound (~1e-4 ms at dt = 0.01 ms; it
        # was up to one dt while Brian2 reported the step's start).
        assert check.max_error_ms <= check.interpolation_bound_ms <= 2e-4


def _timing(times, gold, half_times, method="exponential_euler", dt_ms=0.01):
    return timing_against_gold(method, times, gold, dt_ms, half_times)


def test_spike_timing_fails_on_a_missing_or_extra_spike():
    gold = [10.0, 20.0, 30.0]
    assert _timing([9.995, 19.995, 29.995], gold, [9.9975, 19.9975, 29.9975]).passed
    assert not _timing([9.995, 19.995], gold, [9.9975, 19.9975, 29.9975]).passed
    assert not _timing([9.995, 19.995, 29.995], gold, [9.9975, 19.9975, 29.9975, 35.0]).passed
    assert not _timing([], gold, []).passed


def test_spike_timing_fails_when_the_error_does_not_shrink_with_dt():
    gold = np.array([10.0, 20.0, 30.0])
    # A first-order error of 0.4 ms that halves at dt/2 passes ...
    assert _timing(gold + 0.4, gold, gold + 0.2).passed
    # ... an error that stays put (a wrong model, not a scheme error) fails ...
    assert not _timing(gold + 0.4, gold, gold + 0.4).passed
    # ... and so does a first-order error where rk4 declares order 4.
    assert not _timing(gold + 0.4, gold, gold + 0.2, method="rk4").passed


def test_a_failed_spike_timing_fails_the_cross_validation():
    preset = get_preset("dayan_abbott")
    gold = np.array([10.0, 20.0])
    result = CrossValidation(preset, default_current(preset), DURATION, DT, amplification=1.0)
    result.spike_timing.append(_timing(gold + 0.4, gold, gold + 0.2))
    assert result.passed
    result.spike_timing.append(_timing(gold[:1], gold, gold))
    assert not result.passed
    from hh_brian.report.validation_report import report_lines

    assert any("| FAIL |" in line for line in report_lines(result))


def test_cross_validate_runs_for_a_user_modified_preset():
    variant = (
        get_preset("dayan_abbott")
        .with_rates(beta_m="4/ms*exp(-(v + 65*mV)/(18*mV))")
        .with_parameters(g_K=0.4 * msiemens / mm**2)
    )
    result = cross_validate(variant, duration=50 * ms, methods=("exponential_euler",), orders=False)
    assert result.passed, result.agreements


def test_the_bound_catches_a_1e_8_change_in_one_rate_constant():
    """The check has teeth: beta_h's 1/ms made 1.00000001/ms in the reference only.

    Over 100 ms this moves V by ~1.4e-5 mV, about 28x the derived bound (~5e-7 mV), while
    the engines' own round-off differences stay ~1e-11 mV.
    """
    from hh_brian.compare.crossval import roundoff_tolerance
    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.engines.reference_bridge import simulate_reference

    base = get_preset("dayan_abbott")
    tweaked = base.with_rates(beta_h="1.00000001/ms / (1 + exp(-0.1/mV*(v + 35*mV)))")
    current = default_current(base)
    ours = simulate(base, current=current, duration=DURATION, dt=DT)
    ref = simulate_reference(tweaked, current=current, duration=DURATION, dt=DT)
    v = ref.v[0]
    tol, _ = roundoff_tolerance(amplification("dayan_abbott"), 10_000, np.max(v) - np.min(v))
    assert np.max(np.abs(ours.v - ref.v)) > 10 * tol
