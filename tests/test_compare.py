"""Method comparison (hh_brian.compare.methods, ``hh-brian compare``): numbers, orders, bad input.

Orders are measured from the comparison table itself on the window from rest
through the first upstroke of dayan_abbott at 10 uA/cm^2 (runs of 2.5 ms, so
the window 0..3 ms of crossval.order_window_ms is capped at 2.5 ms; the gold
spike is at 1.82 ms), where every method is in its asymptotic regime for the
dts used (crossval.ORDER_DTS_MS): first-order methods 2^-7..2^-11 ms, rk4
2^-6..2^-9 ms.  Measured (2026-11, this machine): exponential Euler 0.99,
forward Euler 1.00, rk4 4.21 on both engines.

The README's protocol (50 ms, dt = 0.05, 0.025, 0.0125 ms) is outside the
asymptotic regime for the first-order methods' voltage error: over the whole
run it saturates at the spike height (slope 0.31 for exponential Euler), and
on the window it is 13-43 mV (slope 0.84), so the V fit is flagged; the spike
times converge at order 1.00 (exponential Euler) and 0.96 (Euler).  Measured
(2026-11): V on 0..3 ms exponential Euler 0.84, Euler 0.92, rk4 4.46 (local
slopes 4.62, 4.30); spike times 1.00, 0.96, 1.93 (rk4: the O(dt^2) of the
linear crossing interpolation, flagged).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from brian2 import cm, get_device, ms, mV, uA

import hh_brian.compare.methods
import hh_brian.compare.runs
from hh_brian.cli.main import main
from hh_brian.compare.crossval import (
    ORDER_DTS_MS,
    ORDER_MARGIN,
    amplification_factor,
    roundoff_tolerance,
)
from hh_brian.compare.methods import (
    CSV_COLUMNS,
    LOCAL_SLOPE_SPREAD,
    WALL_INCLUDES_CODEGEN,
    check_dts,
    compare_methods,
    crossing_times,
    fit_order,
    match_spikes,
    nice_divisor,
    run_engine,
)
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.presets import get_preset

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
    assert fit.window == WINDOW
    assert fit.asymptotic and abs(fit.observed - 1) <= ORDER_MARGIN, fit.describe()


@pytest.mark.parametrize("engine", ["brian2", "reference"])
def test_rk4_observed_order_from_the_table(fourth_order, engine):
    (fit,) = [f for f in fourth_order.orders() if f.engine == engine]
    assert fit.asymptotic and abs(fit.observed - 4) <= ORDER_MARGIN, fit.describe()


#: The README's protocol: repetitive firing over 50 ms at coarse dts.
README_DTS = [0.05 * ms, 0.025 * ms, 0.0125 * ms]
#: With three coarse dts an asymptotic fit may still be this far from the declared order
#: (rk4: 4.46, local slopes 4.62 and 4.30).
COARSE_ORDER_MARGIN = 0.5


@pytest.fixture(scope="module")
def readme_protocol():
    return compare_methods(
        PRESET,
        methods=["exponential_euler", "rk4", "euler"],
        dts=README_DTS,
        current=CURRENT,
        duration=50 * ms,
        engines=["reference"],
    )


def _fit(fits, method):
    (fit,) = [f for f in fits if f.method == method]
    return fit


def test_whole_run_voltage_error_saturates_so_orders_use_the_window(readme_protocol):
    """Over 50 ms of firing, max|dV| saturates (slope ~0.3 for exponential Euler); the
    fit uses rest to 1 ms past the first gold spike instead (crossval.order_window_ms)."""
    rows = [r for r in readme_protocol.rows if r.method == "exponential_euler"]
    whole = np.polyfit(
        np.log([float(r.dt / ms) for r in rows]),
        np.log([float(r.max_abs_dv / mV) for r in rows]),
        1,
    )[0]
    assert whole < 0.5
    assert readme_protocol.order_window == 3 * ms
    fit = _fit(readme_protocol.orders(), "exponential_euler")
    assert fit.errors == pytest.approx([float(r.window_max_abs_dv / mV) for r in rows])
    assert fit.observed > whole + 0.3


@pytest.mark.parametrize("method", ["exponential_euler", "rk4", "euler"])
def test_a_fit_is_an_order_or_is_flagged(readme_protocol, method):
    """The invariant the whole-run fit broke: a slope far from the declared order is never
    presented as an order."""
    for fit in (
        _fit(readme_protocol.orders(), method),
        _fit(readme_protocol.spike_time_orders(), method),
    ):
        if fit.asymptotic:
            assert abs(fit.observed - fit.declared) <= COARSE_ORDER_MARGIN, fit.describe()
            assert "NOT AN ORDER" not in fit.describe()
        else:
            assert fit.problems and "NOT AN ORDER" in fit.describe()


def test_readme_protocol_flags_saturated_voltage_and_measures_spike_time_orders(
    readme_protocol,
):
    for method in ("exponential_euler", "euler"):
        voltage = _fit(readme_protocol.orders(), method)
        assert not voltage.asymptotic and "not asymptotic" in voltage.problems[0]
        spikes = _fit(readme_protocol.spike_time_orders(), method)
        assert spikes.asymptotic and abs(spikes.observed - 1) <= ORDER_MARGIN, spikes.describe()
    assert _fit(readme_protocol.orders(), "rk4").asymptotic
    rk4_spikes = _fit(readme_protocol.spike_time_orders(), "rk4")
    assert not rk4_spikes.asymptotic and "O(dt^2)" in rk4_spikes.problems[0]


FIT_CASES = {
    "clean order 2": ([4.0, 1.0, 0.25], None),
    "local slopes disagree": ([1.0, 0.5, 0.03], "local slopes 1.00..4.06"),
    "above the saturation": ([50.0, 25.0, 12.5], "error up to 50 mV > 10 mV"),
    "two dts only": ([4.0, 1.0], "only 2 dts"),
}


@pytest.mark.parametrize(("errors", "problem"), FIT_CASES.values(), ids=FIT_CASES)
def test_fit_order_flags_fits_outside_the_asymptotic_regime(errors, problem):
    dts = [0.4, 0.2, 0.1][: len(errors)]
    observed, _, _, local, problems, _ = fit_order(
        dts, errors, floor=1e-8, saturation=10.0, scale="s", unit="mV"
    )
    if problem is None:
        assert observed == pytest.approx(2) and not problems
        assert max(local) - min(local) <= LOCAL_SLOPE_SPREAD
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_fit_order_leaves_out_errors_at_the_gold_floor():
    observed, dts, _, _, problems, notes = fit_order(
        [0.4, 0.2, 0.1, 0.05], [1e-6, 1e-7, 1e-9, 1e-10], floor=1e-8, saturation=1.0, scale="s"
    )
    assert dts.tolist() == [0.4, 0.2] and observed == pytest.approx(np.log2(10))
    assert "2 dt(s) at the gold floor" in notes[0] and "only 2 dts" in problems[0]


# --------------------------------------------------------------------------- wall time


def test_brian2_wall_time_is_the_loop_not_code_generation():
    """Each runtime run regenerates its code (~0.1-0.3 s); 100 rk4 steps take milliseconds."""
    started = time.perf_counter()
    run = run_engine(PRESET, "brian2", "rk4", dt=0.05 * ms, current=CURRENT, duration=5 * ms)
    total = time.perf_counter() - started
    assert run.wall_note == ""
    assert 0 < run.wall_s < 0.5 * total


def test_a_loop_time_left_by_an_earlier_run_is_not_reused(monkeypatch):
    """If Brian2 records no loop time, the row says what wall_s includes instead."""
    monkeypatch.setattr(get_device(), "_last_run_time", 1234.0, raising=False)
    fake = SimpleNamespace(t=np.arange(3) * 0.1 * ms, v=np.zeros((1, 3)) * mV, wall_time=0.5)
    monkeypatch.setattr(hh_brian.compare.runs, "simulate", lambda *args, **kwargs: fake)
    run = run_engine(PRESET, "brian2", "rk4", dt=0.1 * ms, current=CURRENT, duration=0.2 * ms)
    assert run.wall_s == 0.5 and run.wall_note == WALL_INCLUDES_CODEGEN


# --------------------------------------------------------------------------- API


PUBLIC_NAMES = [
    "CSV_COLUMNS",
    "ENGINES",
    "ENGINE_METHODS",
    "ALL_METHODS",
    "GoldSolution",
    "MethodComparison",
    "MethodRow",
    "OrderFit",
    "SpikeMatch",
    "check_dts",
    "check_methods",
    "check_target",
    "compare_methods",
    "crossing_times",
    "gold_solution",
    "match_spikes",
    "nice_divisor",
    "run_engine",
    "score_run",
    "time_grid_ms",
]


#: Output of a comparison: formatted, drawn and written by report/, not by compare/.
REPORT_NAMES = ["CSV_COLUMNS", "csv_text", "markdown_report", "orders_table", "plot_comparison"]


def test_the_split_keeps_the_public_names_of_hh_brian_compare():
    import hh_brian.report.compare_report

    missing = [name for name in PUBLIC_NAMES if not hasattr(hh_brian.compare.methods, name)]
    assert not missing
    assert set(PUBLIC_NAMES) <= set(hh_brian.compare.methods.__all__)
    assert set(REPORT_NAMES) <= set(hh_brian.report.compare_report.__all__)
    assert "plot_comparison" not in hh_brian.compare.methods.__all__


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
        assert not fit.asymptotic  # fewer than 3 dts: the regime cannot be checked


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


def test_check_dts_sorts_and_rejects_non_divisors():
    assert check_dts([0.01 * ms, 0.1 * ms], 100 * ms) == [0.1 * ms, 0.01 * ms]
    with pytest.raises(HHBrianInputError, match=r"0\.03 ms does not divide.*0\.025\*ms"):
        check_dts([0.03 * ms], 100 * ms)


@pytest.mark.parametrize("second", [0.01 * ms, 10 * 1e-3 * ms])
def test_check_dts_rejects_a_repeated_dt(second):
    with pytest.raises(HHBrianInputError, match=r"0\.01 ms is given more than once"):
        check_dts([0.01 * ms, 0.1 * ms, second], 100 * ms)


def test_compare_methods_rejects_a_repeated_method():
    with pytest.raises(HHBrianInputError, match="'rk4' is given more than once"):
        compare_methods(
            PRESET, methods=["rk4", "rk4"], dts=[0.01 * ms], current=CURRENT, duration=WINDOW
        )


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
    assert re.search(r"brian2 +rk4 +4 ", stdout)  # the orders table
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
    assert "## Observed orders" in text and "spike times" in text
    assert "brian2 has no method 'exponential_euler_tau'" in text
    assert plot.read_bytes()[:4] == b"\x89PNG" and plot.stat().st_size > 20_000


BAD_INPUT = [
    (["--methods", "rk5"], "unknown method 'rk5'.*Valid: rush_larsen2,exponential_euler,rk4,euler"),
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
    (
        ["--methods", "rk4,rk4", "--dts", "0.01*ms,0.01*ms"],
        "--methods: 'rk4' is given more than once",
    ),
    (["--dts", "0.01*ms,0.01*ms"], r"--dts: 0\.01 ms is given more than once"),
    (["--dts", "0.01*ms,10*us"], r"--dts: 0\.01 ms is given more than once"),
    (["--engines", "brian2,brian2"], "--engines: 'brian2' is given more than once"),
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


@pytest.mark.slow  # the example end to end (~7 s)
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
