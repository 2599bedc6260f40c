"""The lecture's example protocol in both engines, and the README's demo."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, mV

from hh_brian.cli.main import main
from hh_brian.compare.crossval import EPS, KAPPA
from hh_brian.compare.lecture import INITIAL_STATE, run_lecture_protocol
from hh_brian.models.stimuli import CorrelatedNoise

ROOT = Path(__file__).resolve().parents[1]


def lecture_input(dt=0.1, nt=10000, seed=123):
    """The lecture's input, written out as the lecture writes it (independent check)."""
    wr = np.arange(-10, 10, dt)
    ww = np.exp(-(wr**2) / 5)
    ww /= np.sum(ww)
    rng = np.random.RandomState(seed)
    ii = np.convolve(rng.normal(size=nt), ww, mode="same")
    ii = np.convolve(ii, ww, mode="same") * 0.3 + 0.3
    return np.append(ii, ii[-1])


def test_the_stimulus_is_the_lectures_bit_for_bit():
    from brian2 import uA
    from brian2.units import mm

    samples = CorrelatedNoise(seed=123).samples(0.1 * ms, 10000)
    assert np.array_equal(np.asarray(samples / (uA / mm**2)), lecture_input())


@pytest.fixture(scope="module")
def lecture_run():
    return run_lecture_protocol()


@pytest.mark.parametrize("method", ["exponential_euler", "rk4", "euler"])
def test_lecture_protocol_engines_agree_to_round_off(lecture_run, method):
    """1000 ms, 10 000 steps: bound G * n * KAPPA * eps * 100 mV with G <= 1e3 (measured
    ~30 on constant input; the noisy input has no larger sensitivity here)."""
    bound = 1e3 * 10_000 * KAPPA * EPS * 100 * mV
    assert lecture_run.agreement(method) < bound
    b, r = lecture_run.runs[("brian2", method)], lecture_run.runs[("reference", method)]
    assert len(b.spike_times) == len(r.spike_times) >= 10


def test_lecture_protocol_starts_from_the_lectures_initial_condition(lecture_run):
    run = lecture_run.runs[("brian2", "rk4")]
    assert run.v[0][0] == INITIAL_STATE["v"]
    assert run.t[-1] == 999.9 * ms
    assert float(run.traces["n"][0][0]) == 0.318


def test_exponential_euler_forms_agree(lecture_run):
    ab = lecture_run.runs[("reference", "exponential_euler")].v
    tau = lecture_run.runs[("reference", "exponential_euler_tau")].v
    assert np.max(np.abs(ab - tau)) < 1e-8 * mV


@pytest.mark.slow  # the whole demo, quick mode
def test_demo_writes_a_fresh_folder_with_figures_and_summary(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--fast", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    figures = ("action_potentials.png", "lecture_protocol.png", "method_accuracy.png")
    figures += ("gating.png", "fi.png")
    assert {*figures, "summary.md", "fi.csv", "gating.csv", "method_accuracy.csv"} <= names
    summary = (out / "summary.md").read_text()
    for figure in figures:
        assert f"]({figure})" in summary
    assert "ten times the book's" in summary  # the c_m sentence
    # stages show on a terminal only (progress); the run ends with the summary line
    assert f"hh-brian demo: wrote {out}/" in capsys.readouterr().err


def test_demo_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("precious")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_lecture_example_script_runs(tmp_path):
    plot = tmp_path / "lecture.png"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "lecture_protocol.py"),
            "--fast",
            "--plot",
            str(plot),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Brian2 vs lecture integrator, rk4" in done.stdout and plot.exists()
