"""Gating curves on the modern axis, the CSV, the figure and the gating command."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, mV

from hh_brian.analysis.gating import CSV_HEADER, compare, gating_curves, write_csv
from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.kinetics import rate
from hh_brian.models.presets import PRESETS, get_preset

AXIS = np.linspace(-100, 50, 61) * mV


@pytest.mark.parametrize("name", list(PRESETS))
def test_x_inf_is_alpha_over_alpha_plus_beta_and_bounded(name):
    """Every gate: x_inf in [0, 1]; alpha/beta gates x_inf = alpha/(alpha + beta) and
    tau = 1/(alpha + beta); inf/tau gates their own x_inf and tau; instantaneous gates
    tau = 0 (rates and time constants with the temperature factor, as ``rate`` gives them)."""
    preset = get_preset(name)
    curves = gating_curves(preset, AXIS)
    v_own = preset.convention.from_modern(AXIS)
    for gate in preset.gates:
        x = gate.name
        assert np.all((curves.x_inf[x] >= 0) & (curves.x_inf[x] <= 1))
        if gate.form == "rates":
            alpha = rate(preset, f"alpha_{x}", v_own)
            beta = rate(preset, f"beta_{x}", v_own)
            np.testing.assert_allclose(curves.x_inf[x], alpha / (alpha + beta), rtol=1e-12)
            np.testing.assert_allclose(curves.tau[x] / ms, 1 / (alpha + beta) / ms, rtol=1e-12)
        elif gate.form == "inf_tau":
            np.testing.assert_allclose(curves.x_inf[x], rate(preset, f"{x}_inf", v_own), rtol=1e-12)
            expected = rate(preset, f"tau_{x}", v_own) / ms
            np.testing.assert_allclose(curves.tau[x] / ms, expected, rtol=1e-12)
        else:
            assert np.all(curves.tau[x] == 0 * ms)
        if gate.is_state:
            assert np.all(curves.tau[x] > 0 * ms)


def test_1952_convention_lines_up_with_neurons_hh_on_the_modern_axis():
    # Same 1952 rates (beta_m with 1/18) in two conventions: identical on the modern axis.
    old, modern = compare([get_preset("hh1952"), get_preset("neuron_hh")], AXIS)
    for gate in "nmh":
        np.testing.assert_allclose(old.x_inf[gate], modern.x_inf[gate], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(old.tau[gate] / ms, modern.tau[gate] / ms, rtol=1e-9)
    # Activation rises with depolarisation in both (a sign error would flip it).
    assert old.x_inf["m"][-1] > 0.99 and old.x_inf["m"][0] < 0.01


def test_pyramidal_n_half_activation_matches_the_table():
    # Neuronal Dynamics Table 2.1: alpha_n/beta_n = 10 exp((V - 25)/9) -> 1 at 25 - 9 ln 10 mV.
    v = np.array([25 - 9 * np.log(10)]) * mV
    assert gating_curves(get_preset("pyramidal"), v).x_inf["n"][0] == pytest.approx(0.5, abs=1e-9)


def test_temperature_scales_tau_by_one_over_phi():
    base = get_preset("dayan_abbott")
    warm = base.with_temperature(16.3)  # phi = 3
    ratio = gating_curves(base, AXIS).tau["h"] / gating_curves(warm, AXIS).tau["h"]
    np.testing.assert_allclose(ratio, 3.0, rtol=1e-12)


def test_csv_is_tidy_with_units(tmp_path):
    path = tmp_path / "gating.csv"
    write_csv(compare([get_preset("dayan_abbott"), get_preset("pyramidal")], AXIS), path)
    rows = list(csv.DictReader(path.open()))
    assert ",".join(rows[0]) == CSV_HEADER
    assert len(rows) == 2 * 3 * AXIS.size
    row = next(r for r in rows if r["preset"] == "pyramidal" and r["gate"] == "m")
    assert float(row["v_modern_mV"]) == -100 and 0 <= float(row["x_inf_1"]) <= 1


def test_bad_axis():
    with pytest.raises(HHBrianInputError, match="1-D array of potentials"):
        gating_curves(get_preset("hh1952"), np.linspace(0, 1, 3) * ms)
    with pytest.raises(HHBrianInputError, match="at least one preset"):
        compare([])


def _cli(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_gating_command_writes_figure_and_table(tmp_path, capsys, suffix):
    plot, out = tmp_path / f"gating{suffix}", tmp_path / "gating.csv"
    code, captured = _cli(
        ["gating", "dayan_abbott", "pyramidal", "hh1952", "--plot", str(plot), "--out", str(out)],
        capsys,
    )
    assert code == 0, captured.err
    if suffix == ".svg":
        _check_svg_gating_figure(plot, ["dayan_abbott", "pyramidal", "hh1952"])
    else:
        assert plot.read_bytes().startswith({".png": b"\x89PNG", ".pdf": b"%PDF-"}[suffix])
    assert out.read_text().splitlines()[0] == CSV_HEADER


def _check_svg_gating_figure(path, presets):
    """The SVG parses and holds both panels, every curve and every label."""
    import re
    import xml.etree.ElementTree as ET

    svg = "{http://www.w3.org/2000/svg}"
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(path, parser).getroot()  # raises if the file is not well-formed XML
    assert root.tag == f"{svg}svg"
    ids = [g.get("id") or "" for g in root.iter(f"{svg}g")]
    assert sorted(i for i in ids if i.startswith("axes_")) == ["axes_1", "axes_2"]
    # Data curves are the only line2d paths with more than 3 vertices (grid lines, ticks
    # and legend handles have 2 or 3): one per preset, gate and panel.
    curves = [
        g
        for g in root.iter(f"{svg}g")
        if (g.get("id") or "").startswith("line2d_")
        and any(len(re.findall("[ML]", p.get("d", ""))) > 3 for p in g.iter(f"{svg}path"))
    ]
    assert len(curves) == len(presets) * 3 * 2
    # Matplotlib writes each text's string as an XML comment before its glyphs.
    texts = {c.text.strip() for c in root.iter(ET.Comment)}
    assert {"n", "m", "h", "steady state x_inf [1]"} <= texts
    assert "time constant tau_x [ms] (log scale)" in texts
    for name in presets:
        assert any(t.startswith(f"{name} (") for t in texts), name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["squid", "--plot", "g.png"], "unknown model 'squid'"),
        (["hh1952", "--plot", "g.jpg"], "should end in .png or .svg or .pdf"),
        (["hh1952", "--plot", "g.png", "--out", "g.txt"], "should end in .csv"),
        (["hh1952", "--plot", "nowhere/g.png"], "does not exist"),
        (["hh1952"], "--plot"),
    ],
)
def test_gating_command_bad_input(tmp_path, capsys, args, message):
    existing = tmp_path / "g.png"
    existing.write_bytes(b"keep")
    args = [str(tmp_path / a) if a.startswith(("g.", "nowhere")) else a for a in args]
    code, captured = _cli(["gating", *args, "--force"], capsys)
    assert code == 2
    assert message in captured.err
    assert existing.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]


def test_gating_command_failing_figure_leaves_no_table(tmp_path, monkeypatch, capsys):
    # Both files go through temporaries renamed only when both succeeded.
    plot, out = tmp_path / "g.png", tmp_path / "g.csv"

    def failing_plot(curves, path):
        Path(path).write_bytes(b"half a figure")
        raise RuntimeError("figure failed")

    monkeypatch.setattr("hh_brian.report.plotting.plot_gating", failing_plot)
    code = main(["gating", "hh1952", "--plot", str(plot), "--out", str(out)])
    assert code == 70 and "figure failed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
