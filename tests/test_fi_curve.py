"""f-I curves: hysteresis of the squid model at the literature values, CSV, the fi command."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, cm, ms, mV, uA

from hh_brian.analysis.fi_curve import check_currents, check_measurement, fi_curve
from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.presets import get_preset

DENSITY = uA / cm**2
#: Grid around the bistable range (fold 6.26, subcritical Hopf 9.78 uA/cm^2:
#: Rinzel & Miller 1980, Math Biosci 49:27-59; Hassard 1978, J Theor Biol 71:401-420).
GRID = np.arange(5.5, 10.51, 0.25)
SPACING = 0.25


@pytest.fixture(scope="module", params=["dayan_abbott", "hh1952"])
def squid_fi(request):
    # dt = 0.01 ms: the bifurcation values hold for the true model, not a coarse dt.
    # Hold 400 ms: at 10 uA/cm^2 (0.22 above the Hopf) the up sweep reaches steady
    # firing within ~150 ms of the 100-ms ramp (measured), so the last 200 ms are steady.
    return fi_curve(
        get_preset(request.param),
        GRID * DENSITY,
        duration=400 * ms,
        dt=0.01 * ms,
        method="exponential_euler",
    )


def _value(q):
    return float(q / DENSITY)


def test_down_sweep_fires_at_7_where_up_sweep_rests(squid_fi):
    k = int(np.argmin(abs(GRID - 7.0)))
    assert squid_fi.rate_down[k] > 40 * Hz
    assert squid_fi.rate_up[k] == 0 * Hz


def test_down_sweep_onset_at_the_fold(squid_fi):
    # Fold of limit cycles ~6.26: the first firing grid point lies within one spacing above
    # it (dayan_abbott's beta_m (0.0556 vs 1/18) moves it down by ~0.02: 6.25 may fire).
    assert 6.0 < _value(squid_fi.onset_down) <= 6.5
    assert _value(squid_fi.onset_down) - SPACING < 6.26 + 0.02


def test_up_sweep_onset_at_the_hopf(squid_fi):
    # Subcritical Hopf ~9.78: the first firing grid point of the up sweep is 10.0.
    assert 9.5 < _value(squid_fi.rheobase_repetitive) <= 10.0


def test_rate_at_onset_is_about_50_Hz(squid_fi):
    # ~50 Hz at the fold; just above it the curve rises ~20 Hz per uA/cm^2 (measured), so
    # a grid point up to 0.25 above the fold may read up to ~5 Hz more.
    assert 47 * Hz < squid_fi.onset_rate < 56 * Hz


def test_bistable_range_and_single_spike_rheobase(squid_fi):
    bistable = GRID[squid_fi.bistable]
    assert bistable.min() == _value(squid_fi.onset_down)
    assert bistable.max() == pytest.approx(9.75)
    assert _value(squid_fi.rheobase_single) <= 6.0  # a step from rest fires a spike earlier
    assert squid_fi.primed and squid_fi.protocol["primed"]


def test_thresholds_at_the_lowest_current_are_upper_bounds(squid_fi):
    # A step to 5.5 (the grid's start) already fires; the rheobase is ~2.3, far below.
    assert squid_fi.spikes_step[0] >= 1
    assert squid_fi.rheobase_single_is_upper_bound
    assert not squid_fi.rheobase_repetitive_is_upper_bound
    assert not squid_fi.onset_down_is_upper_bound
    summary = squid_fi.summary()
    assert (
        "single spike (step from rest): <= 5.5 uA/cm^2 (fires at the lowest current tested"
        in summary
    )
    assert "up sweep from rest): 10 uA/cm^2" in summary


def test_single_spike_rheobase_measured_when_the_sweep_starts_below_it():
    # Dayan & Abbott's squid axon: a step from rest first fires between 2.25 and 2.5
    # uA/cm^2 (measured at dt = 0.025 ms), not at whatever current the sweep starts at.
    fi = fi_curve(
        get_preset("dayan_abbott"),
        np.arange(0.0, 4.01, 0.25) * DENSITY,
        duration=200 * ms,
        dt=0.025 * ms,
        ramp=10 * ms,
        prime=10 * ms,
    )
    assert not fi.rheobase_single_is_upper_bound
    assert 2.0 < _value(fi.rheobase_single) <= 2.75
    number = f"{_value(fi.rheobase_single):.4g} uA/cm^2\n"  # a number, no "<="
    assert f"single spike (step from rest): {number}" in fi.summary()
    assert "repetitive (up sweep from rest): none in range" in fi.summary()


@pytest.mark.parametrize(
    ("duration", "min_rate", "shortest"), [(500, 20, 200), (200, 20, 200), (40, 100, 40)]
)
def test_measurement_window_holds_two_periods_of_the_slowest_rate(duration, min_rate, shortest):
    assert check_measurement(duration * ms, min_rate * Hz) == shortest * ms


def test_too_short_a_hold_is_refused_with_the_minimum():
    with pytest.raises(HHBrianInputError, match=r"5 ms measurement window.*use duration 200\*ms"):
        check_measurement(10 * ms)
    with pytest.raises(HHBrianInputError, match="measurement window"):
        fi_curve(get_preset("dayan_abbott"), np.array([1.0]) * DENSITY, duration=100 * ms)


def test_csv_header_names_units(squid_fi, tmp_path):
    path = tmp_path / "fi.csv"
    squid_fi.write_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == [
        "current_uA_per_cm2",
        "rate_up_Hz",
        "rate_down_Hz",
        "rate_step_Hz",
        "spikes_step_count",
        "bistable",
        "down_primed",
        "amplitude_mV",  # appended: existing columns keep their names and order
        "state",
        "excitability_class",
    ]
    assert {r["down_primed"] for r in rows} == {"1"}
    # the up sweep rests below the subcritical Hopf point and fires full spikes above it
    assert [r["state"] for r in rows] == ["firing" if c >= 10 else "rest" for c in GRID]
    amplitudes = [float(r["amplitude_mV"]) for r in rows]
    assert all(a > 90 for a, c in zip(amplitudes, GRID, strict=True) if c >= 10)
    assert [float(r["current_uA_per_cm2"]) for r in rows] == pytest.approx(GRID)


def test_absolute_currents_for_a_preset_with_area():
    fi = fi_curve(
        get_preset("traub_miles"),
        np.array([0.0, 2.0]) * uA / cm**2 * 20000e-8 * cm**2,
        duration=40 * ms,
        dt=0.025 * ms,
        method="exponential_euler",
        ramp=10 * ms,
        prime=10 * ms,
        min_rate=100 * Hz,  # a 20 ms window resolves 100 Hz and faster
    )
    assert fi.current_column[0] == "current_nA"
    assert fi.rate_down[1] > 0 * Hz


@pytest.mark.parametrize(
    ("currents", "message"),
    [
        (np.array([1.0, 2.0]) * mV, "expected a current density"),
        (np.array([]) * DENSITY, "non-empty"),
        (np.array([2.0, 1.0]) * DENSITY, "strictly increasing"),
        (np.array([1.0, np.nan]) * DENSITY, "NaN"),
    ],
)
def test_bad_currents(currents, message):
    with pytest.raises(HHBrianInputError, match=message):
        check_currents(get_preset("dayan_abbott"), currents)


def _cli(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured


def test_fi_command_writes_csv_and_figure(tmp_path, capsys):
    out, plot = tmp_path / "fi.csv", tmp_path / "fi.png"
    code, captured = _cli(
        [
            "fi",
            "hh1952",
            "--currents",
            "0*uA/cm**2:20*uA/cm**2:10*uA/cm**2",
            "--duration",
            "200*ms",
            "--ramp",
            "10*ms",
            "--dt",
            "0.025*ms",
            "--out",
            str(out),
            "--plot",
            str(plot),
        ],
        capsys,
    )
    assert code == 0, captured.err
    assert out.read_text().startswith("current_uA_per_cm2,rate_up_Hz,rate_down_Hz")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert "rheobase" in captured.out


@pytest.mark.parametrize(
    ("currents", "extra", "message"),
    [
        ("0:20:0.5", [], "no units"),
        ("0*mV:20*mV:1*mV", [], "expected a current density"),
        ("20*uA/cm**2:0*uA/cm**2:1*uA/cm**2", [], "reversed"),
        ("0*uA/cm**2:20*uA/cm**2:0*uA/cm**2", [], "STEP must be positive"),
        ("0*uA/cm**2:20*uA/cm**2", [], "START:STOP:STEP"),
        ("0*uA/cm**2::1*uA/cm**2", [], "START:STOP:STEP"),
        ("0*uA/cm**2:1*nA:1*uA/cm**2", [], "absolute current"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--plot", "fi.txt"], "should end in"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--plot", "missing/fi.png"], "does not exist"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--method", "heun"], "unknown method"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--dt", "0.01"], "--dt"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--set", "g_Na=1*mV"], "g_Na"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--duration", "10*ms"], "measurement window"),
        ("0*uA/cm**2:2*uA/cm**2:1*uA/cm**2", ["--duration", "10*ms"], "--duration 200*ms"),
    ],
)
def test_fi_command_bad_input_exits_2_and_keeps_files(tmp_path, capsys, currents, extra, message):
    out = tmp_path / "fi.csv"
    out.write_text("precious\n")
    extra = [str(tmp_path / e) if e.startswith(("fi.", "missing")) else e for e in extra]
    code, captured = _cli(
        ["fi", "dayan_abbott", "--currents", currents, "--out", str(out), "--force", *extra],
        capsys,
    )
    assert code == 2
    assert message in captured.err
    assert captured.err.count("\n") == 1  # one line
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fi.csv"]


def _lock(folder: Path, monkeypatch) -> None:
    """Make *folder* unwritable to the output checks (tests may run as root)."""
    import tempfile

    real_access, real_mkstemp = os.access, tempfile.mkstemp
    monkeypatch.setattr(
        "hh_brian.core.output.os.access",
        lambda path, mode: False if Path(path) == folder else real_access(path, mode),
    )

    def mkstemp(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        if dir is not None and Path(dir) == folder:
            raise PermissionError(13, "Permission denied", str(folder))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr("hh_brian.core.output.tempfile.mkstemp", mkstemp)


def test_fi_command_unwritable_folder(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    _lock(locked, monkeypatch)
    code, captured = _cli(
        [
            "fi",
            "dayan_abbott",
            "--currents",
            "0*uA/cm**2:1*uA/cm**2:1*uA/cm**2",
            "--out",
            str(tmp_path / "fi.csv"),
            "--plot",
            str(locked / "fi.png"),
        ],
        capsys,
    )
    assert code == 2 and ("not writable" in captured.err or "cannot write" in captured.err)
    assert not (tmp_path / "fi.csv").exists()
    assert not any(locked.iterdir())


FAST = ["--ramp", "10*ms", "--dt", "0.025*ms", "--duration", "200*ms"]


def test_fi_command_failing_figure_leaves_no_csv(tmp_path, capsys, monkeypatch):
    # The figure fails after the CSV was rendered: neither file may appear, and an
    # existing CSV survives untouched.
    out, plot = tmp_path / "fi.csv", tmp_path / "fi.png"
    out.write_text("precious\n")

    def failing_plot(fi, path):
        Path(path).write_bytes(b"half a figure")
        raise RuntimeError("figure failed")

    monkeypatch.setattr("hh_brian.report.plotting.plot_fi", failing_plot)
    args = ["fi", "dayan_abbott", "--currents", "0*uA/cm**2:10*uA/cm**2:10*uA/cm**2", *FAST]
    code = main([*args, "--out", str(out), "--plot", str(plot), "--force"])
    err = capsys.readouterr().err
    assert code == 70 and "internal error: RuntimeError: figure failed" in err  # one line
    assert err.count("\n") == 1
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fi.csv"]  # no temporaries


def test_fi_command_warns_when_the_down_sweep_is_not_primed(tmp_path, capsys):
    # 1 uA/cm^2 is below even the single-spike rheobase: the down sweep never fires first.
    out = tmp_path / "fi.csv"
    code, captured = _cli(
        [
            "fi",
            "dayan_abbott",
            "--currents",
            "0*uA/cm**2:10*uA/cm**2:10*uA/cm**2",
            "--prime-current",
            "1*uA/cm**2",
            *FAST,
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, captured.err
    assert captured.err.startswith("hh-brian: warning: down sweep not primed")
    assert "WARNING: down sweep not primed" in captured.out
    assert "not primed, so not a down sweep" in captured.out
    rows = list(csv.DictReader(out.open()))
    assert {r["down_primed"] for r in rows} == {"0"}


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    "script", ["presets_side_by_side.py", "custom_rate_function.py", "temperature_change.py"]
)
def test_examples_run_in_fast_mode(script, tmp_path):
    out = tmp_path / "figure.png"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--fast", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_squid_model_is_class_2(squid_fi):
    """A jump to ~50 Hz at the fold and bistability (Rinzel & Miller 1980): class 2."""
    result = squid_fi.excitability
    assert result.excitability_class == 2
    down = next(o for o in result.onsets if o.sweep == "down")
    assert down.continuous is False and down.predicted_rate > 40  # Hz, at the last silent current
    assert result.bistable[1] == pytest.approx(9.75)
    assert "excitability: class 2 (down sweep jumps to" in squid_fi.summary()
    assert {row.split(",")[-1] for row in squid_fi.csv_text().splitlines()[1:]} == {"2"}
