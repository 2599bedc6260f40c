"""``simulate --check-accuracy``: the Richardson estimate against the true error, the
verdict, the warnings outside the asymptotic regime, and the command line.

The estimate of a run at dt from dt and dt/2 is off by the next term of the error
expansion, relatively O(dt); on these runs that term is a few per cent (measured
against the gold solution below), so the estimate must be within ``RICHARDSON_SLACK``
of the true error.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from brian2 import ms, mV, uA
from brian2.units import cm

from hh_brian.cli.main import main
from hh_brian.cli.runner import read_meta
from hh_brian.compare.accuracy import MEETS, MISSES, UNCERTAIN, estimate_accuracy
from hh_brian.compare.crossval_gold import gold_spike_times_ms
from hh_brian.compare.validation_current import default_current
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.presets import get_preset

#: Largest relative difference of the Richardson estimate and the true max spike-time
#: error at dt = 0.01 ms (the O(dt) next term; measured 0.01-2 % with exponential Euler
#: and rush_larsen2 on dayan_abbott, traub_miles and pyramidal).
RICHARDSON_SLACK = 0.1
DURATION = 100 * ms


@pytest.mark.slow
@pytest.mark.parametrize("method", ["exponential_euler", "rush_larsen2"])
def test_the_estimate_matches_the_true_spike_time_error(method):
    model = get_preset("dayan_abbott")
    current = default_current(model)
    runs = [
        simulate(model, current=current, duration=DURATION, dt=dt, method=method)
        for dt in (0.01 * ms, 0.005 * ms)
    ]
    estimate = estimate_accuracy(*runs, target=0.1 * ms)
    gold = gold_spike_times_ms(model, current, DURATION)
    true = np.max(np.abs(np.asarray(runs[0].spikes_of(0) / ms) - gold))
    assert estimate.n_spikes == estimate.n_spikes_half == gold.size == 7
    assert abs(float(estimate.spike_error / ms) / true - 1) < RICHARDSON_SLACK
    assert estimate.verdict == (MEETS if method == "rush_larsen2" else MISSES)
    assert not estimate.spike_warnings


@pytest.mark.slow
def test_a_changed_spike_count_is_outside_the_asymptotic_regime():
    """Traub-Miles at dt = 0.1 ms with exponential Euler: halving dt adds spikes."""
    model = get_preset("traub_miles")
    current = default_current(model)
    runs = [
        simulate(model, current=current, duration=50 * ms, dt=dt, method="exponential_euler")
        for dt in (0.1 * ms, 0.05 * ms)
    ]
    estimate = estimate_accuracy(*runs, target=0.1 * ms)
    assert estimate.n_spikes != estimate.n_spikes_half
    assert estimate.verdict == MISSES and estimate.spike_error is None
    assert "asymptotic regime" in estimate.spike_warnings[0]
    assert "smaller dt" in estimate.advice()


def test_no_spikes_gives_no_verdict_on_spike_times():
    model = get_preset("dayan_abbott")
    runs = [
        simulate(model, current=1 * uA / cm**2, duration=20 * ms, dt=dt, method="rush_larsen2")
        for dt in (0.02 * ms, 0.01 * ms)
    ]
    estimate = estimate_accuracy(*runs, target=0.1 * ms)
    assert estimate.spike_error is None and estimate.verdict == UNCERTAIN
    # a subthreshold response, second order: the estimate is small and not flagged
    assert estimate.voltage_error < 1e-3 * mV and not estimate.warnings


def _simulate(args, capsys):
    code = main(["simulate", "dayan_abbott", *args])
    return code, capsys.readouterr()


def test_the_command_prints_the_report_and_stores_it(tmp_path, capsys):
    out = tmp_path / "run.npz"
    code, printed = _simulate(
        ["--method", "rush_larsen2", "--check-accuracy", "--duration", "30*ms", "--out", str(out)],
        capsys,
    )
    assert code == 0
    assert "estimated spike-time error" in printed.out and "meets the target" in printed.out
    accuracy = read_meta(out)["accuracy"]
    assert accuracy["verdict"] == MEETS and accuracy["rerun_dt_ms"] == 0.005
    assert 0 < accuracy["spike_time_error_ms"] < 0.1
    json.dumps(accuracy)  # plain numbers


@pytest.mark.slow
def test_a_tighter_target_is_missed_with_a_dt_to_use(tmp_path, capsys):
    out = tmp_path / "run.npz"
    code, printed = _simulate(
        [
            "--method",
            "rush_larsen2",
            "--check-accuracy",
            "--target",
            "0.001*ms",
            "--duration",
            "30*ms",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    accuracy = read_meta(out)["accuracy"]
    assert accuracy["verdict"] == MISSES
    # error ~ dt^2: the advised dt brings the estimate to the target
    advised = float(accuracy["advice"].split("dt <= ")[1].split(" ms")[0])
    predicted = accuracy["spike_time_error_ms"] * (advised / 0.01) ** 2
    assert predicted == pytest.approx(0.001, rel=0.02)  # dt printed to 3 digits


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--current", "noise:mean=5*uA/cm**2,std=1*uA/cm**2,tau=1*ms,seed=1"], "noise"),
        (["--target", "-1*ms"], "--target"),
        (["--target", "3*mV"], "--target"),
    ],
)
def test_what_a_rerun_cannot_check_is_refused_before_any_run(tmp_path, capsys, args, message):
    out = tmp_path / "run.npz"
    code, printed = _simulate(["--check-accuracy", *args, "--out", str(out)], capsys)
    assert code == 2 and message in printed.err
    assert not out.exists()
