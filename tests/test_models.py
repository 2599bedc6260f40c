"""Channels, model files, the global resting state and the engine registry.

The model file ``tests/data/m_current_cell.toml`` is the example of the project's
model-file contract verbatim: an M-current cell written only as a file runs in both
engines, which agree within the cross-validation module's derived round-off bound.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from brian2 import get_dimensions, ms, mV, nA, uA
from brian2.units import cm

from hh_brian.compare.crossval import amplification_factor, compare_method
from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.registry import (
    available_engines,
    canonical_name,
    engine_names,
    get_engine,
    is_available,
)
from hh_brian.models.kinetics import rest_report, steady_state_current
from hh_brian.models.library import get_model, load_model, model_names
from hh_brian.models.modelfile import model_from_toml, model_to_toml
from hh_brian.render.brian2 import render

DATA = Path(__file__).parent / "data"
M_CELL = DATA / "m_current_cell.toml"
INSTANTANEOUS = DATA / "instantaneous_na.toml"
#: NaP (instantaneous activation, slow inactivation) and H channels: Butera et al. 1999
#: model 1 plus a Huguenard-McCormick H-current.
NAP_H = DATA / "nap_h_cell.toml"


def test_model_file_builds_channels_gates_and_forms():
    model = load_model(str(M_CELL))
    assert [ch.name for ch in model.channels] == ["na", "kd", "m_current", "leak"]
    assert model.state_variables == ("v", "m", "h", "n", "p")
    assert model.channel("m_current").gates[0].form == "inf_tau"
    assert model.channel("leak").gates == ()
    assert model.phi("na") == 1.0 and model.phi("kd") == 1.0  # kd has no q10
    assert model.citation.doi == "10.1007/s00422-008-0263-8"
    text = render(model).equations
    assert "dp/dt = (p_inf - p)/tau_p : 1" in text
    assert "I_m_current = g_m_current*p*(v - E_m_current) : amp/meter**2" in text
    assert "dv/dt = (-(I_na + I_kd + I_m_current + I_leak) + I_inj/area)/C_m : volt" in text


@pytest.mark.parametrize(
    "path",
    [M_CELL, INSTANTANEOUS, pytest.param(NAP_H, marks=pytest.mark.slow)],
    ids=["m_current", "instantaneous", "nap_h"],
)
@pytest.mark.parametrize(
    "method", ["exponential_euler", pytest.param("rk4", marks=pytest.mark.slow), "euler"]
)
def test_model_file_cells_agree_between_engines_to_roundoff(path, method):
    """Brian2 and the NumPy engine, same scheme, within G * n_steps * kappa * eps * range(V)."""
    model = load_model(str(path))
    current = 0.4 * nA if model.has_area else 1 * uA / cm**2
    duration, dt = 60 * ms, 0.01 * ms
    growth = amplification_factor(model, current, duration, dt, method)
    agreement = compare_method(model, current, duration, dt, method, growth)
    assert agreement.passed, agreement
    assert agreement.spikes_brian2 > 0


def test_instantaneous_gate_is_not_state_and_frozen_for_exponential_euler():
    model = load_model(str(INSTANTANEOUS))
    assert model.gate_names == ("h", "n") and model.state_variables == ("v", "h", "n")
    frozen = render(model, instantaneous="frozen")
    assert "m : 1" in frozen.equations.splitlines()
    assert dict(frozen.updates) == {"m": "m = m_inf"}
    assert "m = m_inf : 1" in render(model).equations.splitlines()


@pytest.mark.parametrize("name", model_names())
def test_builtin_models_round_trip_through_model_file_text(name):
    """Every parameter equal with its unit to 1e-15 relative (17 significant digits are
    written), every expression equal as text, and the same structure and citation."""
    model = get_model(name)
    again = model_from_toml(model_to_toml(model))
    assert list(again.parameters) == list(model.parameters)
    for key, value in model.parameters.items():
        other = again.parameters[key]
        assert get_dimensions(other) is get_dimensions(value), key
        assert float(np.asarray(other)) == pytest.approx(float(np.asarray(value)), rel=1e-15)
    assert dict(again.rates) == dict(model.rates)
    assert [(g.name, g.exponent, g.form) for g in again.gates] == [
        (g.name, g.exponent, g.form) for g in model.gates
    ]
    assert again.citation == model.citation and again.notes == model.notes


def test_resting_state_is_global_and_stable():
    """neuron_hh with g_L = 3 mS/cm^2 rests near -58.8 mV, outside the old +-5 mV window."""
    model = get_model("neuron_hh").with_parameters(g_L="3*mS/cm**2")
    report = rest_report(model)
    assert report.chosen is not None and report.chosen.stable
    v = float(report.state["v"] / mV)
    assert -59.5 < v < -58.0
    assert abs(float(steady_state_current(model, report.state["v"]) / (uA / cm**2))) < 1e-9
    trace = get_engine("brian2").run(model, current=0 * uA / cm**2, duration=50 * ms, dt=0.025 * ms)
    assert trace.spike_times.size == 0
    assert float(np.ptp(np.asarray(trace.v / mV))) < 1e-6


def test_rest_report_names_several_equilibria_and_the_unstable_case():
    assert "3 equilibria" in rest_report(get_model("pyramidal")).message
    traub = rest_report(get_model("traub_miles"))
    assert traub.chosen is None and "no stable equilibrium" in traub.message
    assert all(not eq.stable for eq in traub.equilibria)


BAD_FILES = {
    "exponent": ("gates = { m = 3, h = 1 }", "gates = { m = 2.5, h = 1 }", "positive integer"),
    "both_forms": (
        'beta  = "1.4/ms / exprel((v - V_T - 40*mV)/(5*mV))"',
        'beta  = "1.4/ms / exprel((v - V_T - 40*mV)/(5*mV))"\ninf = "0.5"\ntau = "1*ms"',
        "not both",
    ),
    "unknown_parameter": ('V_T = "-56.2*mV"', 'V_X = "-56.2*mV"', "unknown name 'V_T'"),
    "units": ('g = "6*mS/cm**2"', 'g = "6*mV"', "expected units of a conductance"),
    "missing_E": ('E = "-70.3*mV"', "", "channels.leak.E: missing"),
    "unknown_key": ("[membrane]", "[membrane]\nfoo = 1", "membrane.foo: unknown key"),
    "bad_toml": ("[membrane]", "[membrane", "not valid TOML"),
    "duplicate_gate": (
        "gates = { p = 1 }\n[channels.m_current.p]",
        "gates = { n = 1 }\n[channels.m_current.n]",
        "already",
    ),
    "gate_without_table": ("gates = { p = 1 }", "gates = { p = 1, q = 2 }", "missing kinetics"),
    "instantaneous_tau": (
        'tau = "608*ms',
        'instantaneous = true\ntau = "608*ms',
        "instantaneous gate takes only inf",
    ),
    "reserved_current": ("[channels.leak]", "[channels.inj]", "reserved"),
    "function_gate": (
        "gates = { p = 1 }\n[channels.m_current.p]",
        "gates = { rand = 1 }\n[channels.m_current.rand]",
        "reserved",
    ),
    "noise_gate": (
        "gates = { p = 1 }\n[channels.m_current.p]",
        "gates = { xi_1 = 1 }\n[channels.m_current.xi_1]",
        "reserved",
    ),
    "q10_nan": ("[channels.kd]\n", "[channels.kd]\nq10 = nan\ncelsius_ref = 30\n", "q10_kd"),
    "q10_overflow": (
        "[channels.kd]\n",
        "[channels.kd]\nq10 = 1e300\ncelsius_ref = 6\n",
        "temperature factor",
    ),
    "hot": ("celsius = 36", "celsius = 1e5", "temperature factor"),
    "convention_type": ('convention = "modern"', 'convention = ["modern"]', "model.convention"),
    "parameters_type": ('[parameters]\nV_T = "-56.2*mV"', "parameters = 5\n[x]", "parameters"),
    "citation_keys": ("citation = ", 'citation = { author = "X" }\nnotes = ', "citation.author"),
    "notes_type": ("citation = ", "notes = 5\ncitation = ", "model.notes"),
    "length_unit": ('convention = "modern"', 'convention = "modern"\nlength_unit = "inch"', "cm"),
    "g_syntax": ('g = "6*mS/cm**2"', 'g = "6*mS/cm**"', "channels.kd.g: cannot parse"),
    "gate_not_table": ("[channels.m_current.p]", "p = 5\n[channels.zz]", "not a table"),
    "parameter_meaning_key": (
        'V_T = "-56.2*mV"',
        'V_T = { value = "-56.2*mV", meening = "x" }',
        "parameters.V_T.meening: unknown key",
    ),
    "q10_name_taken": ('V_T = "-56.2*mV"', 'V_T = "-56.2*mV"\nq10_na = 7', "q10_na"),
    "negative_rate": (
        'beta  = "0.5/ms * exp(-(v - V_T - 10*mV)/(40*mV))"',
        'beta  = "-0.5/ms * exp(-(v - V_T - 10*mV)/(40*mV))"',
        "negative or not finite",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_model_files_are_refused_naming_file_and_key(case, tmp_path):
    old, new, fragment = BAD_FILES[case]
    text = M_CELL.read_text()
    assert old in text
    path = tmp_path / f"{case}.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(HHBrianInputError) as info:
        load_model(str(path))
    message = str(info.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_unknown_model_names_and_missing_files():
    with pytest.raises(HHBrianInputError, match="Did you mean 'dayan_abbott'"):
        load_model("dayan_abot")
    with pytest.raises(HHBrianInputError, match="cannot read the model file"):
        load_model("no/such/model.toml")


def test_engine_registry():
    assert engine_names()[:2] == ("brian2", "reference")
    assert canonical_name("numpy") == "reference"
    with pytest.raises(HHBrianInputError, match="Did you mean 'brian2'"):
        canonical_name("brain2")
    assert {"brian2", "reference"} <= set(available_engines())
    for name in engine_names():
        engine = get_engine(name)
        assert engine.name == name and engine.methods
    m_cell = load_model(str(M_CELL))
    for name in ("neuron", "nest", "moose"):
        assert get_engine(name).cannot_express(get_model("neuron_hh")) is None
        installed = importlib.util.find_spec(get_engine(name).package) is not None
        assert is_available(name) is installed
    for name in ("nest", "moose"):
        assert "squid structure" in get_engine(name).cannot_express(m_cell)
    # NEURON runs any channels through the generated NMODL mechanism.
    assert get_engine("neuron").cannot_express(m_cell) is None


@pytest.mark.parametrize("name", ["brian2", "reference"])
def test_every_own_engine_returns_the_trace_layout(name):
    model = load_model(str(M_CELL))
    trace = get_engine(name).run(model, current=0.4 * nA, duration=20 * ms, dt=0.025 * ms)
    assert set(trace.traces) == set(model.state_variables)
    assert trace.t.shape == (800,) and trace.traces["v"].shape == (1, 800)
    currents = trace.currents()
    assert set(currents) == {"na", "kd", "m_current", "leak"}
    assert currents["leak"].shape == (1, 800)
    assert trace.engine == name


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        # A linoid 0/0 off any probe grid: found as the zero of the denominator.
        ("0.01/ms/mV*(v+54.537*mV)/(1-exp(-(v+54.537*mV)/(10*mV)))", "0/0 at v = -54.537 mV"),
        ("1/ms*mV**2/(v + 30.0137*mV)**2", "pole"),
    ],
)
def test_singular_rates_are_refused_naming_the_voltage(expression, fragment):
    with pytest.raises(HHBrianInputError, match=fragment):
        get_model("dayan_abbott").with_rates(alpha_n=expression)


def test_exprel_form_of_the_same_rate_is_accepted():
    model = get_model("dayan_abbott").with_rates(alpha_n="0.1/ms/exprel(-(v + 54.537*mV)/(10*mV))")
    assert "54.537" in model.rates["alpha_n"]


def _cli(capsys, *argv):
    from hh_brian.cli.main import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.slow  # every command once (~10 s)
def test_every_model_command_takes_a_model_file(capsys, tmp_path):
    """render, simulate, gating, fi, compare and compare-simulators accept a .toml path."""
    path = str(M_CELL)
    code, out, _ = _cli(capsys, "render", path)
    assert code == 0 and "# hh-brian model: rs_cell" in out and "dp/dt" in out
    for engine in ("brian2", "numpy"):
        npz = tmp_path / f"{engine}.npz"
        args = ("--current", "0.4*nA", "--duration", "20*ms", "--engine", engine)
        code, _, _ = _cli(capsys, "simulate", path, *args, "--out", npz)
        assert code == 0
        with np.load(npz) as data:
            assert {"t_ms", "v_mV", "m", "h", "n", "p", "spikes_ms", "meta"} <= set(data)
    code, _, _ = _cli(
        capsys,
        "gating",
        path,
        "dayan_abbott",
        "--plot",
        tmp_path / "g.png",
        "--out",
        tmp_path / "g.csv",
    )
    assert code == 0 and "\nrs_cell,modern,36,p," in (tmp_path / "g.csv").read_text()
    code, _, _ = _cli(
        capsys,
        "fi",
        path,
        "--currents",
        "0*nA:0.4*nA:0.2*nA",
        "--duration",
        "200*ms",
        "--ramp",
        "20*ms",
        "--out",
        tmp_path / "fi.csv",
    )
    assert code == 0 and (tmp_path / "fi.csv").exists()
    code, _, _ = _cli(
        capsys,
        "compare",
        path,
        "--methods",
        "exponential_euler",
        "--dts",
        "0.02*ms,0.01*ms",
        "--duration",
        "20*ms",
        "--current",
        "0.4*nA",
        "--out",
        tmp_path / "c.csv",
    )
    assert code == 0 and "exponential_euler" in (tmp_path / "c.csv").read_text()
    code, _, err = _cli(
        capsys,
        "compare-simulators",
        path,
        "--simulators",
        "brian2,reference",
        "--duration",
        "20*ms",
        "--current",
        "0.4*nA",
        "--out",
        tmp_path / "s.csv",
    )
    assert code == 0, err


def test_simulate_refuses_an_engine_that_cannot_express_the_model(capsys, tmp_path):
    pytest.importorskip("nest")
    out = tmp_path / "n.npz"
    code, _, err = _cli(
        capsys, "simulate", str(M_CELL), "--engine", "nest", "--current", "0.4*nA", "--out", out
    )
    assert code == 2 and "squid structure" in err and not out.exists()


def test_simulate_refuses_a_model_nest_cannot_express_in_one_line(capsys, tmp_path):
    """NEST has no model with Dayan & Abbott's beta_m: exit 2, one line, no file."""
    pytest.importorskip("nest")
    out = tmp_path / "n.npz"
    code, _, err = _cli(
        capsys, "simulate", "dayan_abbott", "--engine", "nest", "--duration", "5*ms", "--out", out
    )
    assert code == 2 and err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["simulate"], ["render", "no_such_model"], ["fi", "no/such.toml"]],
    ids=["help", "usage-error", "unknown-model", "missing-file"],
)
def test_the_cli_answers_before_loading_brian2(argv):
    """Help, usage errors and unknown models are answered without importing Brian2."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hh_brian.cli.main import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exit_:\n"
        "    status = exit_.code\n"
        "print('STATUS', status, 'brian2' in sys.modules, 'sympy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    expected = "0" if argv == ["--help"] else "2"
    assert f"STATUS {expected} False False" in out, out


def test_rest_cache_key_sees_every_parameter_at_full_precision(tmp_path):
    """A gate may use any parameter (V_spike here); the key holds each value exactly."""
    text = M_CELL.read_text().replace(
        'inf = "1/(1 + exp(-(v + 35*mV)/(10*mV)))"',
        'inf = "1/(1 + exp(-(v - V_spike - 15*mV)/(10*mV)))"',
    )
    path = tmp_path / "v_spike_gate.toml"
    path.write_text(text)
    model = load_model(str(path))
    moved = model.with_parameters(V_spike=-50 * mV)
    assert moved.key() != model.key()
    rest = float(rest_report(model).state["v"] / mV)
    rest_moved = float(rest_report(moved).state["v"] / mV)
    assert abs(rest - rest_moved) > 1.0
    tiny = model.with_parameters(g_leak="0.0205000001*mS/cm**2")
    assert tiny.key() != model.key()


def test_brian2_resolves_every_name_validation_accepts(tmp_path):
    """celsius, q10_<ch> and unit names such as mS are in the rendered namespace."""
    text = M_CELL.read_text().replace(
        'tau = "608*ms',
        'tau = "(celsius/36)*(g_kd/(6*mS/cm**2))*(q10_na/3)*608*ms',
    )
    path = tmp_path / "names.toml"
    path.write_text(text)
    model = load_model(str(path))
    current, duration, dt = 0.4 * nA, 20 * ms, 0.025 * ms
    growth = amplification_factor(model, current, duration, dt, "exponential_euler")
    agreement = compare_method(model, current, duration, dt, "exponential_euler", growth)
    assert agreement.passed, agreement
