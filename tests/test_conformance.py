"""Conformance (hh_brian.compare.conformance, ``hh-brian conformance``).

The fast tests use the NumPy engine only (no compilation, no external simulator):
the bound holds for a scheme of the declared order, and breaks for a wrongly
declared order and for a model that differs from the gold one by 1 % in one
conductance.  The slow tests run every registered engine.

Measured (2026-11-30, ``hh-brian conformance neuron_hh``: 10 uA/cm^2, 30 ms, dt 0.01 ms,
fine dt 0.0025 ms; NEURON 9.0.2, NEST 3.10.0, pymoose 5.0.0, jNeuroML 0.14.0), error
at fine dt / its bound:

=============================  ================  ==================
variant                        spike time (ms)   max|dV| (mV)
=============================  ================  ==================
brian2/exponential_euler       2.60e-2 / 4.26e-2  6.08 / 9.55
brian2/rk4                     3.37e-6 / 5.83e-6  4.1e-7 / 6.7e-7
brian2/euler                   3.68e-3 / 6.02e-3  1.32 / 2.14
reference/exponential_euler    2.60e-2 / 4.26e-2  6.08 / 9.55
neuron/crank_nicolson          3.28e-5 / 6.13e-5  8.3e-3 / 1.2e-2
neuron/backward_euler          8.16e-3 / 1.36e-2  1.96 / 3.21
nest/rkf45                     3.37e-6 / 5.83e-6  3.2e-9 / 2.7e-8
moose/exp. Euler staggered     6.93e-5 / 9.91e-5  1.7e-2 / 2.1e-2
jneuroml/forward_euler         5.42e-2 / 8.61e-2  12.6 / 17.8
=============================  ================  ==================
"""

from __future__ import annotations

import csv
import dataclasses
import re

import numpy as np
import pytest
from brian2 import cm, ms, uA

from hh_brian.cli.main import main
from hh_brian.compare.conformance import FAIL, PASS, conformance, run_variant
from hh_brian.compare.conformance_variants import Variant, conformance_variants
from hh_brian.compare.simulators import score_trace
from hh_brian.engines.simulators import is_installed
from hh_brian.models.presets import get_preset
from hh_brian.report.conformance_report import CSV_COLUMNS

CURRENT = 10 * uA / cm**2


@pytest.fixture(scope="module")
def reference_only():
    """neuron_hh in the NumPy engine, 20 ms (two spikes), dt 0.02 ms and 0.005 ms."""
    return conformance(
        get_preset("neuron_hh"),
        current=CURRENT,
        dt=0.02 * ms,
        fine_dt=0.005 * ms,
        duration=20 * ms,
        engines=["reference"],
    )


def test_declared_order_passes(reference_only):
    (row,) = reference_only.rows
    assert row.status == PASS and reference_only.passed, row.reasons
    assert row.fine.match.n_gold == 2
    assert row.dv_mV[1] <= row.dv_bound_mV and row.spike_error_ms[1] <= row.spike_bound_ms
    assert reference_only.verdict.startswith("PASS: 1/1 variants over 1 engines")


def test_a_wrongly_declared_order_fails(reference_only):
    """Exponential Euler declared second order: its first-order errors break the bound."""
    variant = Variant("reference", "exponential_euler", 2, "wrong on purpose")
    row = run_variant(reference_only.comparison, variant)
    assert row.status == FAIL
    assert any("above its bound" in reason for reason in row.reasons)


def test_a_model_that_differs_fails(reference_only):
    """g_L 1 % off the gold model's: rk4's own error is far below that offset's effect, which
    does not shrink with dt and breaks the bound (rk4 with the gold model passes: brian2/rk4
    in test_cli_neuron_hh_one_table_over_every_engine, the same scheme to round-off)."""
    rk4 = Variant("reference", "rk4", 4, "classic Runge-Kutta")
    preset = reference_only.comparison.preset
    comparison = dataclasses.replace(
        reference_only.comparison, preset=preset.derive({"g_L": 1.01 * preset.parameters["g_L"]})
    )
    row = run_variant(comparison, rk4)
    assert row.status == FAIL, (row.dv_mV, row.dv_bound_mV)
    assert row.dv_mV[1] > 10 * row.dv_bound_mV


def test_a_spike_falling_off_the_end_is_neither_missed_nor_extra(monkeypatch):
    """The second gold spike (16.70 ms) lies 0.06 ms before the end; exponential Euler's
    comes 0.2 ms late at dt 0.02 ms, after the end: within END_GUARD_MS, not counted."""
    from hh_brian.engines.registry import get_engine

    # the NumPy engine's variant is its default scheme: make it exponential Euler here
    monkeypatch.setattr(get_engine("reference"), "methods", ("exponential_euler",))
    result = conformance(
        get_preset("neuron_hh"),
        current=CURRENT,
        dt=0.02 * ms,
        fine_dt=0.005 * ms,
        duration=16.76 * ms,
        engines=["reference"],
    )
    (row,) = result.rows
    assert row.coarse.match.n_missed == 1 and row.coarse.match.n_gold == 2
    assert not any("missed" in reason for reason in row.reasons), row.reasons
    assert np.isfinite(row.spike_bound_ms)


def test_an_engine_that_cannot_run_here_is_listed_not_judged(monkeypatch):
    """jNeuroML without Java: its row says what to install; the verdict has nothing to judge."""
    pytest.importorskip("pyneuroml")
    monkeypatch.setattr("shutil.which", lambda name: None)
    result = conformance(
        get_preset("neuron_hh"), current=CURRENT, duration=5 * ms, engines=["jneuroml"]
    )
    (row,) = result.rows
    assert row.status == "not installed" and "default-jre-headless" in row.reasons[0]
    assert not result.passed and result.verdict == "FAIL: no engine ran"


def test_scoring_aligns_n_and_n_plus_one_samples(reference_only):
    """A trace ending at T (n + 1 samples, NEURON, jNeuroML) or at T - dt (n, Brian2) scores
    the same on the samples both cover, and so does the same trace on a finer grid."""
    row = reference_only.rows[0].coarse
    kwargs = dict(status="ok", scheme="s", dt=row.dt, wall_s=0.0, notes=())
    full = score_trace(
        reference_only.comparison, simulator="a", t_ms=row.t_ms, v_mV=row.v_mV, **kwargs
    )
    short = score_trace(
        reference_only.comparison, simulator="b", t_ms=row.t_ms[:-1], v_mV=row.v_mV[:-1], **kwargs
    )
    fine_t = np.linspace(0, row.t_ms[-1], 2 * row.t_ms.size - 1)
    finer = score_trace(
        reference_only.comparison,
        simulator="c",
        t_ms=fine_t,
        v_mV=np.interp(fine_t, row.t_ms, row.v_mV),
        **kwargs,
    )
    assert full.max_abs_dv == short.max_abs_dv == finer.max_abs_dv
    assert np.array_equal(full.spikes_ms, short.spikes_ms)


def test_every_registered_engine_has_variants():
    """Each registered engine contributes a variant with a declared order."""
    variants = conformance_variants()
    assert {v.engine for v in variants if v.order} == {
        "brian2",
        "reference",
        "neuron",
        "nest",
        "moose",
        "jneuroml",
    }
    assert [v.method for v in variants if v.engine == "brian2"] == [
        "rush_larsen2",
        "exponential_euler",
        "rk4",
        "euler",
    ]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


BAD_INPUT = [
    (["--engines", "brain2"], r"--engines: unknown engine 'brain2'"),
    (["--engines", "reference,numpy"], "more than once"),
    (["--fine-dt", "0.003*ms"], "--fine-dt: .*divide it"),
    (["--dt", "0.03*ms", "--duration", "10*ms"], r"--dt: 0\.03 ms does not divide"),
    (["--current", "1*nA"], "--current"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT)
def test_bad_input_exits_2_without_output(tmp_path, capsys, extra, message):
    out = tmp_path / "c.csv"
    code, _, err = _run(capsys, "conformance", "neuron_hh", *extra, "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


def test_a_failing_variant_exits_1_and_writes_its_table(tmp_path, capsys):
    """traub_miles fires every 5 ms: exponential Euler at 0.02 ms is not yet asymptotic."""
    out = tmp_path / "c.csv"
    code, stdout, _ = _run(
        capsys,
        "conformance",
        "traub_miles",
        "--engines",
        "brian2",
        "--duration",
        "20*ms",
        "--dt",
        "0.02*ms",
        "--out",
        str(out),
    )
    assert code == 1 and "verdict: FAIL" in stdout
    rows = {(r["engine"], r["method"]): r for r in csv.DictReader(out.open())}
    row = rows["brian2", "exponential_euler"]
    assert row["status"] == FAIL and row["reasons"]


@pytest.mark.slow
def test_cli_neuron_hh_one_table_over_every_engine(tmp_path, capsys):
    """``hh-brian conformance neuron_hh``: one table over >= 5 engines, every one within."""
    out, plot, report = tmp_path / "c.csv", tmp_path / "c.png", tmp_path / "c.md"
    code, stdout, _ = _run(
        capsys,
        "conformance",
        "neuron_hh",
        "--out",
        str(out),
        "--plot",
        str(plot),
        "--report",
        str(report),
    )
    rows = list(csv.DictReader(out.open()))
    assert tuple(rows[0]) == CSV_COLUMNS
    ran = {row["engine"] for row in rows if row["status"] in (PASS, FAIL)}
    installed = {n for n in ("neuron", "nest", "moose", "jneuroml") if is_installed(n)}
    assert ran == {"brian2", "reference", *installed}
    assert code == 0, stdout
    if len(installed) >= 3:
        assert "variants over" in stdout and len(ran) >= 5
    assert all(
        row["n_spikes"] == row["n_gold_spikes"] == "2" for row in rows if row["engine"] in ran
    )
    assert "## The bounds" in report.read_text() and "PASS" in report.read_text()
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
@pytest.mark.skipif(not is_installed("moose"), reason="needs MOOSE")
def test_moose_with_coarse_tables_fails_its_bound():
    """MOOSE with 16 table divisions over -110..50 mV: the tables' error does not shrink
    with dt, so the second-order bound breaks."""
    result = conformance(
        get_preset("neuron_hh"),
        current=CURRENT,
        dt=0.01 * ms,
        fine_dt=0.0025 * ms,
        duration=20 * ms,
        engines=["reference"],
    )
    variant = Variant("moose", "coarse_tables", 2, "on purpose", (("table_divs", 16),))
    row = run_variant(result.comparison, variant)
    assert row.status == FAIL, (row.dv_mV, row.dv_bound_mV, row.spike_error_ms)
