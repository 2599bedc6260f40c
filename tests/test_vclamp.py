"""Voltage clamp: protocols, the Brian2 run against closed forms, analysis, NEURON, CLI.

One step family per (model, method) is run once per module and shared (one compiled
NeuronGroup each): levels every 1 mV from -80 to +60 mV, so that subsets of it test
the reversal potential on and off the grid.

Error bounds (derived, not fitted):

* exponential Euler, ideal clamp: v is constant within each step, so each gate
  obeys ``x' = (x_inf - x)/tau`` with constant coefficients, which the scheme
  integrates exactly.  Only round-off remains: a few ulp per step, k steps:
  ``|dx| <= k * ROUNDOFF_ULPS * eps``.
* a one-step method with stability function R(z), ``z = -dt/tau``, gives
  ``x_k = x_inf - (x_inf - x0) R^k`` against the exact ``... exp(kz)``; by the
  mean value theorem ``|R^k - e^{kz}| <= k |R - e^z| max(|R|, e^z)^(k-1)``, and
  Taylor's remainder gives ``|R - e^z| <= |z|^(p+1)/(p+1)!`` (p = 4 for rk4,
  the (dt/tau)^5/120 local error; p = 1 for Euler).
* a conductance ``g prod x_i^p_i`` with every x in [0, 1] moves by at most
  ``g sum_i p_i |dx_i|``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, get_dimensions, kohm, meter, ms, mV, siemens, uA

from hh_brian.analysis.vclamp import analyse, boltzmann, fit_boltzmann, reversal_potential
from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.brian2.vclamp import run_vclamp
from hh_brian.models.clamp import build_protocol, voltage_range
from hh_brian.models.drive import fitting_dt
from hh_brian.models.kinetics import steady_state, time_constant
from hh_brian.models.library import get_model

MODELS = ("dayan_abbott", "traub_miles")
METHODS = ("exponential_euler", "rk4")
DT = 0.025 * ms
HOLD = -70 * mV
#: Round-off per step of the fast path (libmvec exp/expm1 within 4 ulp, plus the update).
ROUNDOFF_ULPS = 16
EPS = np.finfo(float).eps
ORDER = {"exponential_euler": None, "rk4": 4, "euler": 1}


def stability(method: str, z: np.ndarray) -> np.ndarray:
    if method == "rk4":
        return 1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24
    return 1 + z


def step_family(model_name: str, method: str):
    model = get_model(model_name)
    protocol = build_protocol(
        "steps",
        voltage_range(-80 * mV, 60 * mV, 1 * mV, "steps"),
        hold=HOLD,
        dt=DT,
        step_duration=10 * ms,
    )
    return run_vclamp(model, protocol, method=method)


_RUNS: dict = {}


@pytest.fixture(scope="module")
def family():
    def get(model_name: str, method: str = "exponential_euler"):
        key = (model_name, method)
        if key not in _RUNS:
            _RUNS[key] = step_family(model_name, method)
        return _RUNS[key]

    return get


def g_density(model, ch) -> float:
    """Maximal conductance density (S/m^2); an absolute g is divided by the area."""
    g = ch.g / model.area if get_dimensions(ch.g) is get_dimensions(siemens) else ch.g
    return float(g / (siemens / meter**2))


def closed_form(trace, method: str) -> tuple[dict, dict]:
    """Exact conductance per channel in the step window (S/m^2), and the bound on
    *method*'s error there (see the module docstring)."""
    model, protocol = trace.model, trace.protocol
    window = protocol.window_slice()
    k = np.arange(window.stop - window.start)[None, :]
    levels = protocol.levels
    exact, bound = {}, {}
    for ch in model.channels:
        g = np.full((protocol.n_sweeps, k.shape[1]), g_density(model, ch))
        err = np.zeros_like(g)
        for gate in ch.gates:
            x0 = float(steady_state(model, gate.name, HOLD))
            x_inf = np.asarray(steady_state(model, gate.name, levels))[:, None]
            z = -np.asarray(DT / time_constant(model, gate.name, levels))[:, None]
            g = g * (x_inf - (x_inf - x0) * np.exp(k * z)) ** gate.exponent
            dx = k * ROUNDOFF_ULPS * EPS
            if ORDER[method] is not None:
                p = ORDER[method]
                local = np.abs(z) ** (p + 1) / math.factorial(p + 1)
                grow = np.maximum(np.abs(stability(method, z)), np.exp(z)) ** np.maximum(k - 1, 0)
                dx = dx + np.abs(x_inf - x0) * k * local * grow
            err = err + gate.exponent * dx
        exact[ch.name] = g
        bound[ch.name] = g_density(model, ch) * err
    return exact, bound


# ---------------------------------------------------------------------------
# The ideal clamp against closed forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "method"),
    [(m, method) for m in MODELS for method in METHODS] + [("dayan_abbott", "euler")],
)
def test_recorded_conductances_equal_the_closed_form(family, model_name, method):
    trace = family(model_name, method)
    window = trace.protocol.window_slice()
    exact, bound = closed_form(trace, method)
    for name, expected in exact.items():
        recorded = np.asarray(trace.conductances[name][:, window] / (siemens / meter**2))
        error = np.abs(recorded - expected)
        assert np.all(
            error <= bound[name] + 4 * EPS * g_density(trace.model, trace.model.channel(name))
        ), (
            name,
            float(error.max()),
        )
    if method == "exponential_euler":  # exact scheme: round-off only, far below 1e-12 relative
        for name, expected in exact.items():
            scale = g_density(trace.model, trace.model.channel(name))
            recorded = np.asarray(trace.conductances[name][:, window] / (siemens / meter**2))
            assert np.max(np.abs(recorded - expected)) <= 1e-12 * scale


@pytest.mark.parametrize("model_name", MODELS)
def test_the_membrane_equals_the_command_in_an_ideal_clamp(family, model_name):
    trace = family(model_name)
    assert np.array_equal(np.asarray(trace.v), np.asarray(trace.v_command))
    assert trace.ideal and trace.clamp_current is None


def test_rk4_holds_the_command_within_each_step(family):
    """A TimedArray read at rk4's stage time t + dt would see the step's new level during
    the last step at the holding level.  The clamp sets v at the start of each step, so
    the gates arrive at the edge exactly at their holding steady state."""
    trace = family("dayan_abbott", "rk4")
    edge = trace.protocol.window_slice().start  # first sample at the step level
    for gate in trace.model.gate_names:
        x0 = float(steady_state(trace.model, gate, HOLD))
        assert np.allclose(trace.gates[gate][:, edge], x0, rtol=0, atol=1e-14)
        assert np.ptp(trace.gates[gate][:, edge + 1]) > 0  # and they move after it


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", MODELS)
def test_the_reversal_of_INa_is_E_Na_on_the_grid(family, model_name):
    analysis = analyse(family(model_name))
    e_na = trace_e(analysis.trace, "Na")
    assert float(analysis.reversal["Na"] / mV) == float(e_na / mV)  # exact: I = g (E - E) = 0


@pytest.mark.parametrize("model_name", MODELS)
def test_the_reversal_off_the_grid_is_within_the_interpolation_bound(family, model_name):
    """Levels 10 mV apart that miss E_Na: linear interpolation errs by at most
    dV^2/8 * max|I''| / min|I'| over the bracket (derivatives from the 1 mV family)."""
    analysis = analyse(family(model_name))
    v = np.asarray(analysis.levels / mV)
    current = np.asarray(analysis.i_peak["Na"] / (uA / cm**2))
    coarse = (np.round(v) % 10) == 5  # ..., 45, 55, ...: E_Na = 50 mV is not a level
    estimate = float(
        reversal_potential(analysis.levels[coarse], analysis.i_peak["Na"][coarse]) / mV
    )
    e_na = float(trace_e(analysis.trace, "Na") / mV)
    bracket = (v >= e_na - 5) & (v <= e_na + 5)
    slope = np.gradient(current, v)[bracket]
    curvature = np.gradient(np.gradient(current, v), v)[bracket]
    bound = 10.0**2 / 8 * np.max(np.abs(curvature)) / np.min(np.abs(slope))
    assert abs(estimate - e_na) <= bound, (estimate, e_na, bound)
    assert bound < 1.0  # the bound itself is informative


def trace_e(trace, channel: str):
    return trace.model.channel(channel).E


@pytest.mark.parametrize("model_name", MODELS)
def test_fitted_time_constants_recover_the_models_tau(family, model_name):
    trace = family(model_name)
    analysis = analyse(trace)
    window = trace.protocol.window_slice()
    for gate, fitted in analysis.tau.items():
        tau = np.asarray(time_constant(trace.model, gate, trace.protocol.levels) / ms)
        moved = np.ptp(trace.gates[gate][:, window], axis=1) > 1e-3
        length = (window.stop - window.start) * float(DT / ms)
        settled = tau < length / 3  # a fit needs the relaxation to show its curvature
        use = moved & settled
        assert use.sum() > 10, gate
        relative = np.abs(np.asarray(fitted / ms)[use] / tau[use] - 1)
        assert relative.max() < 1e-6, (gate, relative.max())


def test_boltzmann_fit_recovers_its_parameters():
    v = np.arange(-100.0, 20.0, 5.0) * mV
    for v_half, k in ((-40.0, 7.0), (-62.0, -6.5)):
        fit = fit_boltzmann(v, boltzmann(np.asarray(v / mV), v_half, k))
        assert fit is not None
        assert abs(float(fit.v_half / mV) - v_half) < 1e-6
        assert abs(float(fit.k / mV) - k) < 1e-6
    assert fit_boltzmann(v, np.full(v.shape, 0.5)) is None  # flat: nothing to fit


def test_activation_and_inactivation_fits_point_the_right_way():
    model = get_model("dayan_abbott")
    protocol = build_protocol(
        "prepulse",
        voltage_range(-110 * mV, -30 * mV, 5 * mV, "prepulse"),
        hold=HOLD,
        dt=DT,
        step_duration=5 * ms,
        prepulse_duration=40 * ms,
        test=-10 * mV,
    )
    trace = run_vclamp(model, protocol)
    analysis = analyse(trace)
    fit = analysis.inactivation["Na"]
    assert fit is not None and float(fit.k / mV) < 0  # inactivation: decreasing
    assert analysis.activation == {}
    # at the end of the prepulse h sits at h_inf(V_pre), up to |h0 - h_inf| exp(-T/tau_h)
    end = trace.protocol.window_slice().start - 1
    h_inf = np.asarray(steady_state(model, "h", protocol.levels))
    h0 = float(steady_state(model, "h", HOLD))
    tau_h = np.asarray(time_constant(model, "h", protocol.levels) / ms)
    elapsed = (end - round(float(protocol.segment("prepulse").start / DT))) * float(DT / ms)
    bound = np.abs(h0 - h_inf) * np.exp(-elapsed / tau_h) + 1e-12
    assert np.all(np.abs(trace.gates["h"][:, end] - h_inf) <= bound)


def test_tail_family_fits_the_deactivation_time_constant():
    """After an activating step to 0 mV, n relaxes at each tail level with tau_n(V_tail)."""
    model = get_model("dayan_abbott")
    protocol = build_protocol(
        "tail",
        voltage_range(-100 * mV, -40 * mV, 10 * mV, "tail"),
        hold=HOLD,
        dt=DT,
        step_duration=5 * ms,
        test=0 * mV,
        duration=30 * ms,
    )
    analysis = analyse(run_vclamp(model, protocol))
    assert [s.name for s in protocol.segments] == ["hold", "activating step", "tail"]
    tau = np.asarray(time_constant(model, "n", protocol.levels) / ms)
    assert np.allclose(np.asarray(analysis.tau["n"] / ms), tau, rtol=1e-6)
    # the peak tail current is the instantaneous g(t_tail) (V - E_K), linear in V, so the
    # interpolated reversal is E_K to round-off although -77 mV is not a level
    assert abs(float(analysis.reversal["K"] / mV) + 77.0) < 1e-9
    assert analysis.activation == {} and analysis.inactivation == {}


# ---------------------------------------------------------------------------
# Series resistance
# ---------------------------------------------------------------------------


def test_series_resistance_clamp_is_the_same_cell_in_both_conventions():
    """hh1952 (depolarisation negative) and neuron_hh with E_L = -54.387 mV are the same
    cell under V_modern = -65 mV - v: clamped through the same R_s, their membranes
    must agree after the map, so the clamp current enters with the right sign."""
    rs = 0.5 * kohm * cm**2
    modern = get_model("neuron_hh").with_parameters(E_L=-54.387 * mV)
    original = get_model("hh1952")
    levels = np.array([-40.0, -20.0, 0.0, 20.0]) * mV
    kwargs = dict(dt=DT, step_duration=5 * ms)
    runs = {}
    for model, conv_levels, hold in (
        (modern, levels, -65 * mV),
        (original, -(levels + 65 * mV), 0 * mV),
    ):
        protocol = build_protocol("steps", conv_levels, hold=hold, **kwargs)
        runs[model.name] = run_vclamp(model, protocol, series_resistance=rs)
    mapped = -65 - np.asarray(runs["hh1952"].v / mV)
    assert np.max(np.abs(mapped - np.asarray(runs["neuron_hh"].v / mV))) < 1e-6
    # the clamp current is the membrane current in the model's convention: opposite signs
    assert np.allclose(
        np.asarray(runs["hh1952"].clamp_current),
        -np.asarray(runs["neuron_hh"].clamp_current),
        rtol=1e-6,
        atol=1e-9,
    )
    # and the membrane lags the command by I_clamp * R_s, the defining relation
    trace = runs["neuron_hh"]
    lag = np.asarray((trace.v_command - trace.v) / mV)
    assert np.allclose(lag, np.asarray(trace.clamp_current * rs / mV), rtol=1e-9, atol=1e-9)


def test_series_resistance_units():
    from hh_brian.models.clamp_inputs import specific_series_resistance

    traub, squid = get_model("traub_miles"), get_model("dayan_abbott")
    from brian2 import Mohm, ohm

    assert np.isclose(float(specific_series_resistance(traub, 10 * Mohm) / (ohm * cm**2)), 2000)
    assert np.isclose(
        float(specific_series_resistance(squid, 1 * kohm * cm**2) / (ohm * cm**2)), 1000
    )
    with pytest.raises(HHBrianInputError, match="no area"):
        specific_series_resistance(squid, 10 * Mohm)
    for bad in (0 * kohm * cm**2, -1 * kohm * cm**2):
        with pytest.raises(HHBrianInputError, match="positive"):
            specific_series_resistance(squid, bad)


# ---------------------------------------------------------------------------
# NEURON's SEClamp on the same cells
# ---------------------------------------------------------------------------


@pytest.mark.neuron
def test_neuron_seclamp_agrees_on_peak_INa():
    """Same cell, same steps, NEURON SEClamp with rs = 1 kOhm.  Bound per step level:
    NEURON's fixed step may apply an edge up to one step later (|dI| of one step, the
    largest in the Brian2 trace), and its membrane misses the command by
    |v - V_cmd| (measured inside the window), which moves I_peak by |dI_peak/dV| times it."""
    pytest.importorskip("neuron")
    from hh_brian.engines.simulators.neuron import load_mechanisms
    from hh_brian.engines.simulators.neuron_vclamp import run_seclamp

    models = [get_model(name) for name in MODELS]
    load_mechanisms(models)  # one nrnivmodl build for both (cached)
    for model in models:
        protocol = build_protocol(
            "steps",
            voltage_range(-50 * mV, 30 * mV, 20 * mV, "steps"),
            hold=HOLD,
            dt=DT,
            step_duration=5 * ms,
        )
        ours, theirs = analyse(run_vclamp(model, protocol)), analyse(run_seclamp(model, protocol))
        unit = uA / cm**2
        a = np.asarray(ours.i_peak["Na"] / unit)
        b = np.asarray(theirs.i_peak["Na"] / unit)
        current = np.asarray(ours.trace.currents["Na"] / unit)
        shift = np.max(np.abs(np.diff(current, axis=1)), axis=1)
        window = protocol.window_slice()
        miss = np.max(
            np.abs(
                np.asarray((theirs.trace.v - theirs.trace.v_command)[:, window.start + 1 :] / mV)
            ),
            axis=1,
        )
        slope = np.max(np.abs(np.gradient(a, np.asarray(protocol.levels / mV))))
        bound = shift + slope * miss
        assert np.all(np.abs(a - b) <= bound), (model.name, a - b, bound)
        assert np.all(np.abs(a - b) <= 0.05 * np.abs(a).max())  # and the bound is not vacuous


# ---------------------------------------------------------------------------
# Protocols
# ---------------------------------------------------------------------------


def test_the_command_is_piecewise_constant_on_the_grid():
    protocol = build_protocol(
        "prepulse",
        np.array([-100.0, -80.0]) * mV,
        hold=HOLD,
        dt=0.05 * ms,
        onset=1 * ms,
        prepulse_duration=2 * ms,
        step_duration=1 * ms,
        test=0 * mV,
        duration=5 * ms,
    )
    command = np.asarray(protocol.command() / mV)
    assert command.shape == (2, 100)
    assert np.all(command[:, :20] == -70) and np.all(command[:, 60:80] == 0)
    assert np.all(command[0, 20:60] == -100) and np.all(command[1, 20:60] == -80)
    assert np.all(command[:, 80:] == -70)
    assert [s.name for s in protocol.segments] == ["hold", "prepulse", "test", "hold"]


def test_an_edge_off_the_grid_is_refused_with_a_dt_that_fits():
    import re

    kwargs = dict(hold=HOLD, step_duration=10 * ms, onset=1.125 * ms, duration=12.5 * ms)
    with pytest.raises(HHBrianInputError, match=r"step segment at t = 1\.125 ms") as info:
        build_protocol("steps", np.array([0.0]) * mV, dt=0.05 * ms, **kwargs)
    suggested = float(re.search(r"use dt = ([0-9.e-]+)\*ms", str(info.value)).group(1))
    assert suggested == 0.025
    build_protocol("steps", np.array([0.0]) * mV, dt=suggested * ms, **kwargs)  # it fits
    assert abs(float(fitting_dt(np.array([1.0, 1.125]) * ms, 0.05 * ms) / ms) - 0.025) < 1e-15


def test_levels_include_stop_and_whole_mV_levels_are_exact():
    levels = voltage_range(-80 * mV, 50 * mV, 10 * mV, "steps")
    assert len(levels) == 14 and float(levels[-1] / mV) == 50.0
    assert levels[-1] == 50 * mV


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def cli(capsys, *argv):
    code = main(["vclamp", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_writes_every_output(tmp_path, capsys):
    out, fits, plot, traces = (tmp_path / n for n in ("iv.csv", "fits.csv", "iv.png", "t.npz"))
    code, stdout, _ = cli(
        capsys,
        "dayan_abbott",
        "--hold=-70*mV",
        "--steps=-80*mV:60*mV:10*mV",
        "--dt=0.025*ms",
        "--step-duration=5*ms",
        "--out",
        str(out),
        "--fits",
        str(fits),
        "--plot",
        str(plot),
        "--traces",
        str(traces),
    )
    assert code == 0, stdout
    assert "reversal of peak I_Na: 50.0000 mV" in stdout
    header = out.read_text().splitlines()[0].split(",")
    assert header[:3] == ["sweep", "v_step_mV", "I_peak_Na_uA_per_cm2"]
    assert all(h == "sweep" or h.rsplit("_", 1)[-1] in ("mV", "cm2", "ms", "1") for h in header)
    assert "reversal_peak_IV,Na,50.0,mV" in fits.read_text()
    assert plot.stat().st_size > 10_000
    with np.load(traces) as data:
        n, samples = 15, round(7 / 0.025)
        assert data["t_ms"].shape == (samples,)
        for key in ("v_command_mV", "v_mV", "m", "h", "n", "I_Na_uA_per_cm2", "g_K_mS_per_cm2"):
            assert data[key].shape == (n, samples), key


BAD_INPUT = {
    "hold without unit": (["--hold=-65", "--steps=-80*mV:0*mV:10*mV"], "--hold: -65 has no units"),
    "step without unit": (["--steps=-80:0*mV:10*mV"], "--steps START: -80 has no units"),
    "R_s zero": (["--steps=-80*mV:0*mV:10*mV", "--series-resistance=0*ohm*cm**2"], "positive"),
    "R_s negative": (
        ["--steps=-80*mV:0*mV:10*mV", "--series-resistance=-1*kohm*cm**2"],
        "positive",
    ),
    "R_s needs an area": (["--steps=-80*mV:0*mV:10*mV", "--series-resistance=1*Mohm"], "no area"),
    "reversed range": (["--steps=0*mV:-80*mV:10*mV"], "reversed range"),
    "malformed range": (["--steps=-80*mV:0*mV"], "START:STOP:STEP"),
    "zero step": (["--steps=-80*mV:0*mV:0*mV"], "STEP must be positive"),
    "edge off grid": (["--steps=-80*mV:0*mV:10*mV", "--onset=1.005*ms"], "not on the time grid"),
    "prepulse needs test": (["--prepulse=-80*mV:0*mV:10*mV"], "--test"),
    "wrong method": (["--steps=-80*mV:0*mV:10*mV", "--method=rk45"], "unknown method"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, capsys, case):
    extra, fragment = BAD_INPUT[case]
    out = tmp_path / "iv.csv"
    code, _, err = cli(capsys, "dayan_abbott", *extra, "--out", str(out))
    assert code == 2
    assert fragment in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_model_exits_2(tmp_path, capsys):
    code, _, err = cli(
        capsys, "dayan_abot", "--steps=-80*mV:0*mV:10*mV", "--out", str(tmp_path / "x.csv")
    )
    assert code == 2 and "Did you mean 'dayan_abbott'" in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# HH 1952 in silico (examples/hh1952_voltage_clamp.py)
# ---------------------------------------------------------------------------

HH_TABLE = Path(__file__).resolve().parents[1] / "examples" / "data" / "hh1952_rate_constants.csv"
HH_DEPOLARISATIONS = np.array([6, 10, 19, 26, 32, 38, 51, 63, 76, 88, 100, 109], dtype=float)


def test_hh1952_families_equal_the_closed_form_in_the_papers_convention():
    """Depolarisations of 6-109 mV are v = -6 ... -109 mV in the 1952 convention; the
    simulated g_K and g_Na families equal HH's eqs. (7) and (14) with the model's rates."""
    from hh_brian.analysis.clamp_closed_form import conductance_family

    model = get_model("hh1952")
    protocol = build_protocol(
        "steps", -HH_DEPOLARISATIONS * mV, hold=0 * mV, dt=DT, step_duration=8 * ms
    )
    trace = run_vclamp(model, protocol)
    window = protocol.window_slice()
    t = trace.t[window] - trace.t[window.start]
    for channel in ("K", "Na"):
        exact = np.asarray(conductance_family(model, channel, protocol.levels, t, 0 * mV))
        simulated = np.asarray(trace.conductances[channel][:, window])
        scale = g_density(model, model.channel(channel))
        assert np.max(np.abs(simulated - exact)) <= 1e-12 * scale
    # depolarisation opens K: the late conductance grows with the depolarisation
    assert np.all(np.diff(np.asarray(trace.conductances["K"][:, window.stop - 1])) > 0)


def test_hh1952_published_rate_constants_and_the_model():
    """The per-record rate constants (Tables 1 and 2 as transcribed; provenance in the
    file's header) against the model's rate equations, which are HH's smooth fits to
    records like these.  A tolerance from the table's precision (2-3 digits, so ~1 %
    on tau) cannot hold pointwise: a smooth fit across records does not interpolate
    any one of them (the paper's Figs. 4-10 show the scatter).  What must hold is the
    shape: tau_n falls and n_inf rises with depolarisation in both, and m_inf rises."""
    from hh_brian.analysis.clamp_closed_form import load_rate_table

    tables = load_rate_table(HH_TABLE)
    assert len(tables["n"].depolarisation) == 11 and len(tables["m"].depolarisation) == 12
    assert tables["m"].depolarisation.min() == 6 and tables["n"].depolarisation.max() == 109
    model = get_model("hh1952")
    n = tables["n"]
    model_tau = np.asarray(time_constant(model, "n", -n.depolarisation * mV) / ms)
    model_inf = steady_state(model, "n", -n.depolarisation * mV)
    for values in (n.tau_ms, model_tau):
        assert np.all(np.diff(values) < 0)
    for values in (n.x_inf, model_inf, tables["m"].x_inf[:7]):
        assert np.all(np.diff(values) > 0)
