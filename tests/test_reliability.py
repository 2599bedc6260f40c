"""Interruptions, resource guards, internal errors and the overwrite policy (issue 19)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from hh_brian.cli.main import main


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_writes_nothing_and_exits_128_plus_signal(tmp_path, sig, status):
    out, plot = tmp_path / "trace.npz", tmp_path / "trace.png"
    argv = [sys.executable, "-m", "hh_brian.cli.main", "simulate", "dayan_abbott"]
    argv += ["--duration", "60000*ms", "--out", str(out), "--plot", str(plot)]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    time.sleep(6.0)  # start-up and compilation (cached) are over; the run is under way
    assert process.poll() is None, "the run ended before the signal"
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "interrupted" in err and "no output was written" in err
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []  # no output, no temporary


def test_a_huge_run_is_refused_at_once_with_the_estimate(tmp_path, capsys):
    out = tmp_path / "big.npz"
    started = time.perf_counter()
    code, err = _cli(
        capsys, "simulate", "dayan_abbott", "--duration", "1e6*second", "--out", str(out)
    )
    assert time.perf_counter() - started < 5
    assert code == 2 and "GiB" in err and "--record-dt" in err and "--memory-limit" in err
    assert not out.exists()


def test_record_dt_and_record_downsample_and_select(tmp_path, capsys):
    out = tmp_path / "small.npz"
    argv = ["simulate", "dayan_abbott", "--duration", "10*ms", "--record-dt", "0.1*ms"]
    code, err = _cli(capsys, *argv, "--record", "v,n", "--out", str(out))
    assert code == 0, err
    with np.load(out) as data:
        assert {"v_mV", "n"} <= set(data.files) and "m" not in data.files
        assert data["t_ms"].size == data["I_inj_uA_per_cm2"].size == 100
        np.testing.assert_allclose(np.diff(data["t_ms"]), 0.1)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--record-dt", "0.015*ms"], "whole multiple of dt"),
        (["--record", "v,q"], "unknown variable"),
        (["--memory-limit", "0"], "must be positive"),
        (["--memory-limit", "0.001"], "would record"),
        (["--engine", "reference", "--record-dt", "0.1*ms"], "use --engine brian2"),
    ],
)
def test_bad_recording_options_exit_2(tmp_path, capsys, extra, fragment):
    out = tmp_path / "x.npz"
    code, err = _cli(
        capsys, "simulate", "dayan_abbott", "--duration", "10*ms", *extra, "--out", str(out)
    )
    assert code == 2 and fragment in err and err.count("\n") == 1, err
    assert not out.exists()


def test_an_internal_error_is_one_line_with_a_saved_report(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("something internal")

    monkeypatch.setattr("hh_brian.cli.runner.run_single", broken)
    code, err = _cli(capsys, "simulate", "dayan_abbott", "--out", str(tmp_path / "x.npz"))
    assert code == 70 and err.count("\n") == 1
    assert "internal error: ZeroDivisionError: something internal" in err
    report = err.split("details: ")[1].split(")")[0]
    assert "ZeroDivisionError" in open(report, encoding="utf-8").read()
    os.unlink(report)


@pytest.mark.parametrize("n_neurons", [5, 10, 20])
def test_small_networks_run(tmp_path, capsys, n_neurons):
    out = tmp_path / "net.npz"
    argv = ["network", "cobahh", "--n-neurons", str(n_neurons), "--duration", "20*ms"]
    code, err = _cli(capsys, *argv, "--out", str(out))
    assert code == 0, err
    assert out.exists()


def test_a_network_that_blows_up_is_caught(capsys):
    from dataclasses import replace

    from brian2 import ms

    from hh_brian.core.errors import SimulationBlowUpError
    from hh_brian.network.build import run_network
    from hh_brian.network.cobahh import cobahh_spec

    spec = replace(cobahh_spec(20, seed=1), method="euler", dt=0.1 * ms)
    with pytest.raises(SimulationBlowUpError, match=r"network run: euler with dt = 0\.1 ms"):
        run_network(spec, 100 * ms)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--current", "100*mA/cm**2"], "has no steady state between -150 and +100 mV"),
        (["--current", "1*amp/cm**2"], "mixed area units"),
        (["--dt", "0.5*ms", "--duration", "5*ms"], "fastest gate time constant"),
    ],
)
def test_implausible_input_warns_and_runs(tmp_path, capsys, extra, fragment):
    out = tmp_path / "w.npz"
    argv = ["simulate", "dayan_abbott", "--duration", "2*ms", *extra, "--out", str(out)]
    code = main(argv)
    err = capsys.readouterr().err
    assert fragment in err and "hh-brian: warning:" in err
    assert code in (0, 1)  # a warning, not a refusal (an absurd current may still blow up)


def test_plausible_input_draws_no_warning(tmp_path, capsys):
    out = tmp_path / "w.npz"
    code, err = _cli(capsys, "simulate", "dayan_abbott", "--duration", "2*ms", "--out", str(out))
    assert code == 0 and "warning" not in err


def test_a_huge_voltage_clamp_family_is_refused_with_the_estimate(tmp_path, capsys):
    out = tmp_path / "v.csv"
    argv = ["vclamp", "dayan_abbott", "--steps=-80*mV:60*mV:0.1*mV", "--step-duration", "1000*ms"]
    code, err = _cli(capsys, *argv, "--out", str(out))
    assert code == 2 and "GiB" in err and "--memory-limit" in err and not out.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["fi", "dayan_abbott", "--currents", "0*uA/cm**2:20*uA/cm**2:1*uA/cm**2",
         "--memory-limit", "1"],
        ["compare", "dayan_abbott", "--dts", "0.001*ms", "--duration", "100000*ms"],
        ["compare-simulators", "neuron_hh", "--duration", "100000*ms"],
        ["conformance", "neuron_hh", "--duration", "100000*ms"],
    ],
)  # fmt: skip
def test_every_recording_command_refuses_past_its_memory_limit(tmp_path, capsys, argv):
    out = tmp_path / "out.csv"
    code, err = _cli(capsys, *argv, "--out", str(out))
    assert code == 2 and "would record" in err and "--memory-limit" in err
    assert not out.exists()
