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

from hh_brian.cli import main
from hh_brian.errors import HHBrianInputError
from hh_brian.fi_curve import check_currents, fi_curve
from hh_brian.presets import get_preset

DENSITY = uA / cm**2
#: Grid around the bistable range (FACTS.md: fold 6.26, subcritical Hopf 9.78 uA/cm^2).
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
    assert squid_fi.protocol["primed"]


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
    ]
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
            "40*ms",
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
    ],
)
def test_fi_command_bad_input_exits_2_and_keeps_files(tmp_path, capsys, currents, extra, message):
    out = tmp_path / "fi.csv"
    out.write_text("precious\n")
    extra = [str(tmp_path / e) if e.startswith(("fi.", "missing")) else e for e in extra]
    code, captured = _cli(
        ["fi", "dayan_abbott", "--currents", currents, "--out", str(out), *extra], capsys
    )
    assert code == 2
    assert message in captured.err
    assert captured.err.count("\n") == 1  # one line
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fi.csv"]


def test_fi_command_unwritable_folder(tmp_path, capsys, monkeypatch):
    # Tests may run as root, who can write anywhere: make the folder read-only to os.access.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        "hh_brian.output.os.access",
        lambda path, mode: False if Path(path) == locked else real_access(path, mode),
    )
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
    assert code == 2 and "not writable" in captured.err
    assert not (tmp_path / "fi.csv").exists()
    assert not any(locked.iterdir())


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
