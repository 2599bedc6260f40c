"""NeuroML2 import and export: round trip of every built-in model, schema validation,
hh-brian's own NeuroML example files and their published counterpart, bad input.

Round trip: model -> NeuroML -> model.  With hh-brian's recorded properties the same
model comes back (every parameter equal as a quantity, every rate text equal); from
the NeuroML elements alone (``use_annotations=False``, the network file giving the
temperature) every rate equals the original at 200 potentials from -100 to +50 mV to
1e-12 relative.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from brian2 import mV

from hh_brian.core.expressions import evaluate
from hh_brian.exchange.lems_simulation import read_lems_protocol, write_simulation
from hh_brian.exchange.neuroml_import import load_neuroml
from hh_brian.models.library import load_model, model_names
from hh_brian.models.stimulus_kinds import Step

DATA = Path(__file__).parent / "data"
NML = DATA / "neuroml"
EXTRA = [str(DATA / "m_current_cell.toml"), str(DATA / "instantaneous_na.toml")]
VOLTAGES = np.linspace(-100, 50, 200) * mV
PUBLISHED = "NML2_SingleCompHHCell.nml"


def rate_values(model, name: str) -> np.ndarray:
    text = model.rates[name]
    return np.asarray(evaluate(text, {**model.parameters, "v": VOLTAGES}, what=name))


def assert_same_rates(a, b, rtol=1e-12) -> None:
    assert set(a.rates) == set(b.rates)
    for name in a.rates:
        x, y = rate_values(a, name), rate_values(b, name)
        np.testing.assert_allclose(y, x, rtol=rtol, atol=0, err_msg=name)


def export(model, folder: Path):
    from brian2 import ms, uA
    from brian2.units import cm

    current = 1 * uA / cm**2 if model.area is None else 0.01 * model.area * uA / cm**2
    return write_simulation(
        model, folder, stimuli=[Step(current, onset=1 * ms)], duration=5 * ms, dt=0.01 * ms
    )


@pytest.mark.parametrize("name", [*model_names(), *EXTRA])
def test_round_trip(name, tmp_path):
    model = load_model(name)
    files = export(model, tmp_path)
    back = load_neuroml(files.cell)
    params, again = model.parameters, back.parameters
    assert list(params) == list(again)
    for key, value in params.items():
        assert value.dim == again[key].dim and float(value) == float(again[key]), key
    assert dict(back.rates) == dict(model.rates)
    assert back.convention == model.convention and back.v_rest_guess == model.v_rest_guess
    assert back.key() == model.key()
    # From the NeuroML elements alone (the network file carries the temperature).
    plain = load_neuroml(files.network, use_annotations=False)
    assert plain.celsius == model.celsius
    modern = model.convention
    for gate in model.gates:
        for rendered in gate.rendered_names().values():
            own = rate_values(model, rendered)
            text = plain.rates[rendered]
            v_modern = modern.to_modern(VOLTAGES)
            other = np.asarray(evaluate(text, {"v": v_modern}, what=rendered))
            np.testing.assert_allclose(other, own, rtol=1e-12, atol=0, err_msg=rendered)


def test_schema_valid_every_builtin(tmp_path):
    """libNeuroML's schema validation of every exported file of every built-in model."""
    from neuroml.utils import validate_neuroml2

    for name in [*model_names(), *EXTRA]:
        folder = tmp_path / Path(name).stem
        folder.mkdir()
        files = export(load_model(name), folder)
        for path in (files.cell, *files.channels, files.network):
            validate_neuroml2(str(path))


@pytest.mark.slow
def test_pynml_validation_every_builtin(tmp_path):
    """pyNeuroML's (jNeuroML's) schema validation, one Java run for all files."""
    if shutil.which("java") is None:
        pytest.skip("needs Java (apt-get install default-jre-headless)")
    from pyneuroml.pynml import run_jneuroml

    paths, mixed = [], []
    for name in [*model_names(), *EXTRA]:
        folder = tmp_path / Path(name).stem
        folder.mkdir()
        model = load_model(name)
        files = export(model, folder)
        for ch, path in zip(model.channels, files.channels, strict=True):
            forms = {g.form for g in ch.gates}
            (mixed if "instantaneous" in forms and len(forms) > 1 else paths).append(path)
        paths += [files.cell, files.network]
    ok = run_jneuroml("-validate", " ".join(str(p) for p in paths), "", exit_on_fail=False)
    assert ok
    # Known limit: jNeuroML 0.14's XSD refuses a channel that mixes gateHHInstantaneous with
    # another gate kind (libNeuroML's XSD, above, accepts it, and jNeuroML runs it).
    assert sorted(p.name for p in mixed) == [
        "destexhe_tc_CaT.channel.nml",
        "pospischil_lts_CaT.channel.nml",
        "wang_buzsaki_Na.channel.nml",
        "wb_like_Na.channel.nml",
    ]
    assert not run_jneuroml("-validate", str(mixed[0]), "", exit_on_fail=False)


def test_own_squid_file_is_neuron_hh():
    """hh-brian's own classic HH cell (a cylinder of 1000 um^2) equals neuron_hh."""
    model = load_neuroml(NML / "hh_squid_cell.nml")
    reference = load_model("neuron_hh")
    assert_same_rates(reference, model)
    for name in ("C_m", "g_Na", "g_K", "g_L", "E_Na", "E_K", "E_L", "celsius", "q10_Na"):
        assert float(model.parameter(name)) == pytest.approx(float(reference.parameter(name)))
    assert float(model.area / (1e-12 * mV / mV)) == pytest.approx(1000.0 * 1e-12 / 1e-12)


def test_published_counterpart_matches_own_file():
    """NeuroML2's NML2_SingleCompHHCell.nml (as MOOSE's wheel ships it) imports to the same
    kinetics, conductances and area as hh-brian's own file, and so to neuron_hh."""
    moose = pytest.importorskip("moose")
    published = Path(moose.__file__).parent / "neuroml2" / "test_files" / PUBLISHED
    if not published.is_file():
        pytest.skip(f"{PUBLISHED} is not shipped here")
    theirs, ours = load_neuroml(published), load_neuroml(NML / "hh_squid_cell.nml")
    assert_same_rates(ours, theirs)
    assert float(theirs.area) == pytest.approx(float(ours.area), rel=1e-6)
    for ch in ("Na", "K", "L"):
        g = {"Na": "naChans", "K": "kChans", "L": "leak"}[ch]
        assert float(theirs.channel(g).g) == pytest.approx(float(ours.channel(ch).g))
        assert float(theirs.channel(g).E) == pytest.approx(float(ours.channel(ch).E))


def test_every_gate_kind_imports():
    model = load_neuroml(NML / "gates_cell.nml")
    forms = {g.name: g.form for g in model.gates}
    assert forms == {"h": "inf_tau", "m": "instantaneous", "n": "inf_tau", "p": "inf_tau"}
    assert model.celsius == 32.0 and model.channel("Na").q10 == 3.0
    assert model.channel("Kdr").q10 is None  # q10Fixed is folded into the rates
    tau_n = rate_values(model, "tau_n")
    np.testing.assert_allclose(np.asarray(tau_n) * 1e3, 2.0)  # 4 ms / fixed q10 of 2
    tau_p = np.asarray(rate_values(model, "tau_p")) * 1e3
    a = (np.asarray(VOLTAGES / mV) + 30) / 12
    expected = 2 + 40 / (np.expm1(a) / np.where(a == 0, 1, a) + np.exp(-a))
    np.testing.assert_allclose(tau_p, expected, rtol=1e-12)


def test_point_cell_imports():
    model = load_neuroml(NML / "point_cell.nml")
    assert float(model.area * 1e12) == pytest.approx(1000.0)
    assert float(model.channel("Na").g * model.area) == pytest.approx(120e-9)
    assert_same_rates(load_model("neuron_hh"), model)


def test_lems_pulse_generators_become_a_protocol():
    lems = read_lems_protocol(NML / "LEMS_hh_squid.xml")
    (step,) = lems.stimuli
    assert float(step.amplitude) == pytest.approx(0.08e-9)
    assert float(step.onset) == pytest.approx(0.010) and float(step.offset) == pytest.approx(0.040)
    assert float(lems.duration) == pytest.approx(0.05) and float(lems.dt) == pytest.approx(1e-5)


BAD = {
    "malformed": ("<neuroml><cell id='x'>", "not well-formed XML"),
    "not_neuroml": ("<Lems><Target component='x'/></Lems>", "not a NeuroML2 file"),
    "two_segments": (None, "2 segments"),
    "unknown_rate": (None, "unknown type 'HHMadeUpRate'"),
    "gate_without_rates": (None, "forward_rate: missing"),
    "wrong_unit": (None, "has a time unit"),
    "missing_erev": (None, "no reversal potential"),
}


def bad_file(kind: str, folder: Path) -> Path:
    text, _ = BAD[kind]
    if text is None:
        text = (NML / "hh_squid_cell.nml").read_text()
        if kind == "two_segments":
            text = text.replace(
                "</segment>",
                '</segment><segment id="1" name="dend"><parent segment="0"/>'
                '<distal x="40" y="0" z="0" diameter="2"/></segment>',
                1,
            )
        elif kind == "unknown_rate":
            text = text.replace('type="HHSigmoidRate"', 'type="HHMadeUpRate"')
        elif kind == "gate_without_rates":
            text = text.replace(
                '<forwardRate type="HHExpLinearRate" rate="1per_ms" midpoint="-40mV" '
                'scale="10mV"/>',
                "",
            )
        elif kind == "wrong_unit":
            text = text.replace('erev="50mV"', 'erev="50ms"')
        elif kind == "missing_erev":
            text = text.replace(' erev="-77mV"', "")
    path = folder / f"{kind}.nml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_exit_2_no_file(kind, tmp_path, capsys):
    from hh_brian.cli.main import main

    path, out = bad_file(kind, tmp_path), tmp_path / "model.toml"
    assert main(["import", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert BAD[kind][1] in err and err.count("\n") == 1
    assert not out.exists()


def test_import_writes_a_model_file_that_reads_back(tmp_path):
    from hh_brian.cli.main import main
    from hh_brian.models.modelfile import load_model_file

    out = tmp_path / "squid.toml"
    assert main(["import", str(NML / "hh_squid_cell.nml"), "--out", str(out)]) == 0
    again = load_model_file(out)
    assert "hh_squid_cell.nml" in str(again.citation)
    assert_same_rates(load_neuroml(NML / "hh_squid_cell.nml"), again)
    assert main(["import", str(NML / "hh_squid_cell.nml"), "--out", str(out)]) == 2


@pytest.mark.parametrize("fmt", ["neuroml", "nmodl", "brian2", "latex"])
def test_export_command_refuses_existing_folder(fmt, tmp_path):
    from hh_brian.cli.main import main

    out = tmp_path / fmt
    args = ["export", "neuron_hh", "--format", fmt, "--out", str(out), "--duration", "5*ms"]
    assert main(args) == 0 and any(out.iterdir())
    stamp = sorted(p.stat().st_mtime_ns for p in out.iterdir())
    assert main(args) == 2
    assert sorted(p.stat().st_mtime_ns for p in out.iterdir()) == stamp
    assert main([*args, "--force"]) == 0


def test_export_refuses_noise_without_output(tmp_path):
    from hh_brian.cli.main import main

    out = tmp_path / "nml"
    args = ["export", "neuron_hh", "--format", "neuroml", "--out", str(out)]
    assert main([*args, "--current", "noise:mean=1*uA/cm**2,std=1*uA/cm**2,tau=1*ms"]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_latex_compiles(tmp_path):
    from hh_brian.exchange.latex import latex_document

    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("needs pdflatex (apt-get install texlive-latex-base)")
    import subprocess

    for name in ["hh1952", "traub_miles", *EXTRA]:
        tex = tmp_path / f"{Path(name).stem}.tex"
        tex.write_text(latex_document(load_model(name)))
        proc = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
