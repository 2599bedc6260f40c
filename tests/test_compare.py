"""Method comparison (hh_brian.compare, ``hh-brian compare``): numbers, orders, bad input.

Orders are measured from the comparison table itself on the window from rest
through the first upstroke of dayan_abbott at 10 uA/cm^2 (0..2.5 ms; the
gold spike is at 1.82 ms), where every method is in its asymptotic regime for
the dts used (crossval.ORDER_DTS_MS): first-order methods 2^-7..2^-11 ms, rk4
2^-5..2^-8 ms.  Measured (2026-11, this machine): exponential Euler 0.99,
forward Euler 1.00, rk4 4.21 on both engines.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, mV, uA

from hh_brian.cli import main
from hh_brian.compare import (
    CSV_COLUMNS,
    check_dts,
    compare_methods,
    crossing_times,
    match_spikes,
    nice_divisor,
)
from hh_brian.crossval import ORDER_DTS_MS, ORDER_MARGIN, amplification_factor, roundoff_tolerance
from hh_brian.errors import HHBrianInputError
from hh_brian.presets import get_preset

PRESET = get_preset("dayan_abbott")
CURRENT = 10 * uA / cm**2
WINDOW = 2.5 * ms
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def first_order():
    return compare_methods(
        PRESET,
        methods=["exponential_euler", "euler", "exponential_euler_tau"],
        dts=[dt * ms for dt in ORDER_DTS_MS["euler"]],
        current=CURRENT,
        duration=WINDOW,
    )


@pytest.fixture(scope="module")
def fourth_order():
    return compare_methods(
        PRESET,
        methods=["rk4"],
        dts=[dt * ms for dt in ORDER_DTS_MS["rk4"]],
        current=CURRENT,
        duration=WINDOW,
    )


@pytest.fixture(scope="module")
def with_blow_up():
    """euler and rk4 blow up at 0.1 ms on dayan_abbott (measured: t = 3.3 and 2.5 ms)."""
    return compare_methods(
        PRESET,
        methods=["euler", "rk4", "exponential_euler"],
        dts=[0.1 * ms, 0.05 * ms],
        current=CURRENT,
        duration=20 * ms,
    )


# --------------------------------------------------------------------------- spikes


def test_crossing_times_interpolate_linearly_in_both_conventions():
    t = np.array([0.0, 0.1, 0.2, 0.3])
    v = np.array([-40.0, -30.0, -10.0, 20.0])
    assert crossing_times(t, v, -20.0) == pytest.approx([0.15])
    assert crossing_times(t, -v, 20.0, direction=-1) == pytest.approx([0.15])
    assert crossing_times(t, v[::-1], -20.0).size == 0  # falling: no spike


def test_match_spikes_pairs_within_half_an_isi_and_reports_unmatched():
    gold = np.array([10.0, 20.0, 30.0])
    # Half an ISI is 5 ms: 14.9 pairs with 10; 20 has nothing within 5 ms (14.9 is 5.1 away,
    # 26 is 6 away); 30.2 pairs with 30; 26 and 31 are extra.
    result = match_spikes(np.array([14.9, 26.0, 30.2, 31.0]), gold)
    assert np.allclose(result.errors / ms, [4.9, np.nan, 0.2], equal_nan=True)
    assert (result.n_matched, result.n_missed, result.n_extra) == (2, 1, 2)
    assert float(result.max_error / ms) == pytest.approx(4.9)
    assert not result.complete


def test_match_spikes_without_spikes_gives_nan_errors():
    result = match_spikes(np.array([]), np.array([5.0]))
    assert result.n_missed == 1 and np.isnan(float(result.max_error / ms))


# --------------------------------------------------------------------------- orders


@pytest.mark.parametrize(
    ("engine", "method"),
    [
        ("brian2", "exponential_euler"),
        ("brian2", "euler"),
        ("reference", "exponential_euler"),
        ("reference", "euler"),
        ("reference", "exponential_euler_tau"),
    ],
)
def test_first_order_methods_observed_order_from_the_table(first_order, engine, method):
    (fit,) = [f for f in first_order.orders() if (f.engine, f.method) == (engine, method)]
    assert fit.declared == 1 and len(fit.dts) == 5
    assert abs(fit.observed - 1) <= ORDER_MARGIN, fit.describe()


@pytest.mark.parametrize("engine", ["brian2", "reference"])
def test_rk4_observed_order_from_the_table(fourth_order, engine):
    (fit,) = [f for f in fourth_order.orders() if f.engine == engine]
    assert abs(fit.observed - 4) <= ORDER_MARGIN, fit.describe()


def test_engines_agree_to_round_off_for_the_same_scheme(first_order):
    """Brian2 and the reference run the same scheme: errors agree within crossval's bound."""
    dt = ORDER_DTS_MS["euler"][0] * ms
    growth = amplification_factor(PRESET, CURRENT, WINDOW, dt, "exponential_euler")
    tol_v, _ = roundoff_tolerance(growth, int(round(float(WINDOW / dt))), 120 * mV)
    rows = {
        (r.engine, r.method): r
        for r in first_order.rows
        if r.dt == dt and r.method == "exponential_euler"
    }
    difference = abs(
        rows["brian2", "exponential_euler"].max_abs_dv
        - rows["reference", "exponential_euler"].max_abs_dv
    )
    assert difference <= tol_v


def test_spike_times_are_interpolated_not_quantised(fourth_order):
    """Brian2's own spike times are quantised to dt; the table's errors are far below dt."""
    for row in fourth_order.rows:
        assert row.spikes.complete
        assert row.spike_error_max < 0.1 * row.dt


# --------------------------------------------------------------------------- blow-ups, target


def test_blow_ups_become_rows_and_are_left_out_of_orders(with_blow_up):
    blown = {(r.engine, r.method) for r in with_blow_up.rows if r.blew_up}
    assert blown == {(e, m) for e in ("brian2", "reference") for m in ("euler", "rk4")}
    for row in with_blow_up.rows:
        if row.blew_up:
            assert row.dt == 0.1 * ms and "0.1" in row.note
            assert np.isnan(float(row.max_abs_dv / mV))
    for fit in with_blow_up.orders():
        expected = 1 if fit.method in ("euler", "rk4") else 2
        assert len(fit.dts) == expected


def test_recommendation_is_the_cheapest_run_meeting_the_target(with_blow_up):
    target = 0.1 * ms
    rec = with_blow_up.recommend(target)
    meeting = [
        r
        for r in with_blow_up.rows
        if not r.blew_up and r.spikes.complete and r.spike_error_max <= target
    ]
    assert rec.row is not None and rec.row.spike_error_max <= target
    assert rec.row.wall_time == min(r.wall_time for r in meeting)


def test_unreachable_target_says_so(with_blow_up):
    rec = with_blow_up.recommend(1e-9 * ms)
    assert rec.row is None and "no run met" in rec.reason


def test_target_without_time_units_is_rejected(with_blow_up):
    with pytest.raises(HHBrianInputError, match="target"):
        with_blow_up.recommend(0.1 * mV)


# --------------------------------------------------------------------------- dts


def test_nice_divisor_suggests_a_round_step():
    assert nice_divisor(0.03 * ms, 100 * ms) == 0.025 * ms
    assert nice_divisor(0.007 * ms, 1 * ms) == 0.005 * ms


def test_check_dts_sorts_deduplicates_and_rejects_non_divisors():
    assert check_dts([0.01 * ms, 0.1 * ms, 0.01 * ms], 100 * ms) == [0.1 * ms, 0.01 * ms]
    with pytest.raises(HHBrianInputError, match=r"0\.03 ms does not divide.*0\.025\*ms"):
        check_dts([0.03 * ms], 100 * ms)


# --------------------------------------------------------------------------- command line


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_writes_table_report_and_figure(tmp_path, capsys):
    out, plot, report = tmp_path / "t.csv", tmp_path / "t.png", tmp_path / "t.md"
    code, stdout, _ = _run(
        capsys,
        "compare",
        "dayan_abbott",
        "--methods",
        "rk4,exponential_euler_tau",
        "--dts",
        "0.05*ms,0.025*ms",
        "--duration",
        "20*ms",
        "--out",
        str(out),
        "--plot",
        str(plot),
        "--report",
        str(report),
    )
    assert code == 0 and "recommendation" in stdout
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    # rk4 on both engines, exponential_euler_tau on the reference only; 2 dts each
    assert [(r["engine"], r["method"]) for r in rows[::2]] == [
        ("brian2", "rk4"),
        ("reference", "rk4"),
        ("reference", "exponential_euler_tau"),
    ]
    assert all(r["n_missed"] == r["n_extra"] == "0" for r in rows)
    text = report.read_text()
    assert "## Observed orders" in text and "brian2 has no method 'exponential_euler_tau'" in text
    assert plot.read_bytes()[:4] == b"\x89PNG" and plot.stat().st_size > 20_000


BAD_INPUT = [
    (["--methods", "rk5"], "unknown method 'rk5'.*Valid: exponential_euler,rk4,euler"),
    (["--methods", ""], "--methods: empty list"),
    (["--methods", "rk4,,euler"], "empty item"),
    (["--engines", ""], "--engines: empty list"),
    (["--engines", "nest"], "unknown engine 'nest'.*Valid: brian2,reference"),
    (["--dts", ""], "--dts: empty list"),
    (["--dts", "0.03*ms"], r"0\.03 ms does not divide the duration 100 ms.*0\.025\*ms"),
    (["--dts", "0.01"], "--dts: .*no units"),
    (["--dts", "200*ms"], "longer than the duration"),
    (["--target", "0.1"], "--target: .*no units.*time"),
    (["--target", "0*ms"], "--target: must be positive"),
    (["--duration", "100"], "--duration: .*no units"),
    (["--current", "10*mV"], "--current"),
    (["--set", "g_Na=120"], "g_Na"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT)
def test_bad_input_exits_2_without_output(tmp_path, capsys, extra, message):
    out = tmp_path / "t.csv"
    code, _, err = _run(capsys, "compare", "dayan_abbott", *extra, "--out", str(out))
    assert code == 2
    assert err.count("\n") == 1 and re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


def test_bad_output_suffix_is_rejected_before_running(tmp_path, capsys):
    code, _, err = _run(capsys, "compare", "dayan_abbott", "--out", str(tmp_path / "t.txt"))
    assert code == 2 and ".csv" in err and list(tmp_path.iterdir()) == []


def test_example_runs_in_fast_mode(tmp_path):
    script = ROOT / "examples" / "compare_methods.py"
    done = subprocess.run(
        [sys.executable, str(script), "--fast", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "recommendation" in done.stdout
    assert (tmp_path / "compare_methods.csv").stat().st_size > 0
    assert (tmp_path / "compare_methods.png").read_bytes()[:4] == b"\x89PNG"
