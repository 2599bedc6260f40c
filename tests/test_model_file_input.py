"""Model-file input: Nernst reversal potentials, and bad files refused by the CLI.

Nernst hand values: E = R T / (z F) ln(c_out / c_in) with R = 8.314462618 J/(mol K),
F = 96485.33212 C/mol (2019 SI, exact) and T = celsius + 273.15 K.  For K+ with
c_in = 140 mM, c_out = 5 mM, ln(5/140) = -3.33220451:

* 6.3 degC:  R T / F = 8.314462618 * 279.45 / 96485.33212 = 24.0811 mV -> -80.243 mV
* 36 degC:   R T / F = 8.314462618 * 309.15 / 96485.33212 = 26.6405 mV -> -88.772 mV
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from brian2 import mM, mV

from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.modelfile import load_model_file, model_from_toml, model_to_toml
from hh_brian.models.nernst import nernst_potential

M_CELL = Path(__file__).with_name("data") / "m_current_cell.toml"
DIRECT = 'g = "6*mS/cm**2"\nE = "-90*mV"'
NERNST = 'g = "6*mS/cm**2"\nE = { ion = "k", c_in = "140*mM", c_out = "5*mM" }'


def _hand_nernst(z: int, c_in: float, c_out: float, celsius: float) -> float:
    """mV, from the constants typed here (not hh-brian's)."""
    r, f = 8.314462618, 96485.33212
    return 1e3 * r * (celsius + 273.15) / (z * f) * math.log(c_out / c_in)


def _nernst_cell(tmp_path: Path, celsius: float = 36) -> Path:
    text = M_CELL.read_text()
    assert DIRECT in text and "celsius = 36" in text
    path = tmp_path / "nernst_cell.toml"
    path.write_text(text.replace(DIRECT, NERNST).replace("celsius = 36", f"celsius = {celsius}"))
    return path


@pytest.mark.parametrize(("celsius", "hand"), [(6.3, -80.243), (36.0, -88.772)])
def test_nernst_potential_of_k_matches_the_hand_value(tmp_path, celsius, hand):
    model = load_model_file(_nernst_cell(tmp_path, celsius))
    e_k = float(model.channel("kd").E / mV)
    assert e_k == pytest.approx(hand, abs=5e-4)
    assert e_k == pytest.approx(_hand_nernst(1, 140, 5, celsius), rel=1e-9)


@pytest.mark.parametrize(
    ("ion", "z", "c_in", "c_out"), [("na", 1, 12, 145), ("ca", 2, 1e-4, 2), ("cl", -1, 10, 120)]
)
def test_valences_of_the_other_ions(ion, z, c_in, c_out):
    got = float(nernst_potential(z, c_in * mM, c_out * mM, 20.0) / mV)
    assert got == pytest.approx(_hand_nernst(z, c_in, c_out, 20.0), rel=1e-9)
    # The valence comes from the ion's name in a model file.
    text = M_CELL.read_text().replace(
        DIRECT,
        f'g = "6*mS/cm**2"\nE = {{ ion = "{ion}", c_in = "{c_in}*mM", c_out = "{c_out}*mM" }}',
    )
    model = model_from_toml(text.replace("celsius = 36", "celsius = 20"))
    assert float(model.channel("kd").E / mV) == pytest.approx(got, rel=1e-12)


def test_set_celsius_recomputes_the_nernst_potential_and_set_e_replaces_it(tmp_path, capsys):
    path = _nernst_cell(tmp_path)
    assert main(["render", str(path), "--set", "celsius=6.3"]) == 0
    out = capsys.readouterr().out
    assert "E_kd = -80.24327" in out and "Nernst potential of k" in out
    assert main(["render", str(path)]) == 0
    assert "E_kd = -88.77154" in capsys.readouterr().out
    model = load_model_file(path)
    fixed = model.with_parameters(E_kd=-90 * mV)
    assert fixed.channel("kd").nernst is None
    assert float(fixed.with_temperature(6.3).channel("kd").E / mV) == -90.0


def test_nernst_reversal_round_trips_through_model_file_text(tmp_path):
    model = load_model_file(_nernst_cell(tmp_path))
    text = model_to_toml(model)
    assert 'E = { ion = "k", c_in = "140*mM", c_out = "5*mM" }' in text
    again = model_from_toml(text)
    assert again.channel("kd").nernst == model.channel("kd").nernst
    assert float(again.channel("kd").E / mV) == float(model.channel("kd").E / mV)


# ------------------------------------------------------------------ bad files via the CLI
GATES_NA = "gates = { m = 3, h = 1 }"
BETA_H = 'beta  = "4/ms / (1 + exp(-(v - V_T - 40*mV)/(5*mV)))"'
BAD_INPUT = {
    "exponent_fraction": (GATES_NA, "gates = { m = 2.5, h = 1 }", "channels.na.gates.m"),
    "exponent_zero": (GATES_NA, "gates = { m = 0, h = 1 }", "channels.na.gates.m"),
    "exponent_text": (GATES_NA, 'gates = { m = "3", h = 1 }', "channels.na.gates.m"),
    "rates_and_inf_tau": (
        BETA_H,
        BETA_H + '\ninf = "0.5"\ntau = "1*ms"',
        "channels.na.h: gives alpha, beta, inf, tau; give alpha and beta OR inf and tau",
    ),
    "instantaneous_with_tau": (
        'tau = "608*ms',
        'instantaneous = true\ntau = "608*ms',
        "channels.m_current.p: an instantaneous gate takes only inf, not tau",
    ),
    "unknown_parameter": (
        'alpha = "0.16/ms / exprel(-(v - V_T - 15*mV)/(5*mV))"',
        'alpha = "0.16/ms / exprel(-(v - V_X - 15*mV)/(5*mV))"',
        "channels.kd.n.alpha: unknown name 'V_X'",
    ),
    "gate_name_twice": (
        "gates = { p = 1 }\n[channels.m_current.p]",
        "gates = { n = 1 }\n[channels.m_current.n]",
        "channels.m_current.gates.n (a gate of channel 'm_current') defines 'n', which "
        "channels.kd.gates.n",
    ),
    "nernst_unknown_ion": (DIRECT, NERNST.replace('"k"', '"kk"'), "channels.kd.E.ion"),
    "nernst_units": (DIRECT, NERNST.replace("140*mM", "140*mV"), "channels.kd.E.c_in"),
    "nernst_missing": (DIRECT, NERNST.replace(', c_out = "5*mM"', ""), "channels.kd.E.c_out"),
    "nernst_negative": (DIRECT, NERNST.replace("140*mM", "-140*mM"), "channels.kd.E.c_in"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_model_file_exits_2_with_one_line_naming_file_and_key(case, tmp_path, capsys):
    old, new, fragment = BAD_INPUT[case]
    text = M_CELL.read_text()
    assert old in text
    path = tmp_path / f"{case}.toml"
    path.write_text(text.replace(old, new, 1))
    code = main(["render", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"hh-brian: error: {path}: ") and fragment in err, err
    with pytest.raises(HHBrianInputError, match="^" + str(path)):
        load_model_file(path)
