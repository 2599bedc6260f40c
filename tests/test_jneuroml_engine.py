"""The jneuroml engine: exported NeuroML2/LEMS run by jNeuroML against hh-brian.

jNeuroML integrates with forward Euler (order 1), so its spike-time error at step dt
is estimated from its own runs at dt and dt/2 (Richardson): e(dt) ~ |t(dt) - t(dt/2)|
* 2^p / (2^p - 1) with p = 1.  Each spike time at dt must lie within 1.5 times that
estimate (plus 1 us for the 8-digit output) of hh-brian's rk4 at dt/4 (whose error is
orders smaller).  Measured (30 ms, step 10-30 ms, 2026-11-30): neuron_hh first spike
jNeuroML 12.18 / 12.14 ms at dt 0.01 / 0.005 ms vs rk4 12.10 ms.
"""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
from brian2 import ms, nA, uA
from brian2.units import cm

from hh_brian.engines.registry import get_engine
from hh_brian.models.library import load_model, model_names
from hh_brian.models.stimulus_kinds import Step

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="needs Java (default-jre-headless)"),
]
DT = 0.01 * ms
CASES = {
    "neuron_hh": 8 * uA / cm**2,
    "tests/data/instantaneous_na.toml": 3 * uA / cm**2,
    "tests/data/m_current_cell.toml": 0.5 * nA,
}
#: Every built-in model runs in jNeuroML too (10 uA/cm^2 unless it needs another step
#: to fire within the 20 ms window).
CASES.update({name: 10 * uA / cm**2 for name in model_names() if name not in CASES})
CASES.update(
    {
        "lecture07_class_defaults": 30 * uA / cm**2,
        "pyramidal": 4 * uA / cm**2,
        "connor_stevens": 30 * uA / cm**2,
    }
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_spike_times_within_euler_bound(name):
    pytest.importorskip("pyneuroml")
    model = load_model(name)
    stimulus = [Step(CASES[name], onset=10 * ms, offset=30 * ms)]
    jnml = get_engine("jneuroml")
    coarse = jnml.run(model, current=stimulus, duration=30 * ms, dt=DT)
    fine = jnml.run(model, current=stimulus, duration=30 * ms, dt=DT / 2)
    ref = get_engine("brian2").run(
        model, current=stimulus, duration=30 * ms, dt=DT / 4, method="rk4"
    )
    t_c, t_f, t_r = (np.asarray(tr.spike_times / ms) for tr in (coarse, fine, ref))
    n = min(len(t_c), len(t_f), len(t_r))  # a spike near the end may fall either side
    assert n >= 1 and max(len(t_c), len(t_f), len(t_r)) - n <= 1
    t_c, t_f, t_r = t_c[:n], t_f[:n], t_r[:n]
    bound = 1.5 * 2 * np.abs(t_c - t_f) + 1e-3
    assert np.all(np.abs(t_c - t_r) <= bound), (t_c, t_r, bound)
    assert "pulseGenerator" in coarse.info["stimulus"]


def test_compare_simulators_reports_jneuroml(tmp_path, capsys):
    """jneuroml rows go through compare-simulators' table, report and figure (its n + 1
    samples are scored on the common grid like every other simulator's)."""
    pytest.importorskip("pyneuroml")
    from hh_brian.cli.main import main

    out, report, plot = tmp_path / "s.csv", tmp_path / "s.md", tmp_path / "s.png"
    code = main(
        ["compare-simulators", "neuron_hh", "--simulators", "reference,jneuroml"]
        + ["--duration", "10*ms", "--dt", "0.02*ms", "--fine-dt", "0.01*ms"]
        + ["--out", str(out), "--report", str(report), "--plot", str(plot)]
    )
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(out.open()))
    assert [row["simulator"] for row in rows] == ["reference", "reference"] + ["jneuroml"] * 2
    assert all(row["n_spikes"] == row["n_gold_spikes"] == "1" for row in rows)
    assert "**jneuroml**: jNeuroML" in report.read_text()
