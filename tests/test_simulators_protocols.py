"""Current-clamp protocols in NEURON, NEST and MOOSE, each in the simulator's own form.

The simulators get a step and two pulses as IClamps / ``Vector.play`` (NEURON),
``I_e`` plus a ``step_current_generator`` (NEST) and ``inject`` set between
``moose.start`` segments (MOOSE); a sine as a continuous ``Vector.play`` (NEURON)
or an ``ac_generator`` (NEST).  Spike times are compared with hh-brian's Brian2
rk4 at dt = 0.0025 ms, whose own error (order 4, ~1e-8 ms here) is far below
every difference measured.  The model is ``neuron_hh`` (NEURON's built-in ``hh``
with tables off, which NEST's ``hh_psc_alpha`` also expresses exactly).

The tolerance comes from each simulator's scheme, measured over dt = 0.02 and
0.01 ms (r = 2), never from one run:

- NEURON's fixed step is backward Euler (``secondorder=0``, order 1) or
  Crank-Nicolson (``secondorder=2``, order 2).  The observed order of the spike-time
  difference must be within ±0.25 of it, and the fine-dt difference within the
  Richardson estimate times the factor that ±0.25 allows.  A clamp edge off by
  half a step would shift the spikes by O(dt) and make CN first order.
- MOOSE's staggered exponential Euler converges at order 2 here (as in
  ``tests/test_simulators.py``), checked the same way.
- NEST's RKF45 is adaptive within each step (absolute tolerance 1e-3 on every
  state), so with the current delivered exactly its difference falls faster than
  any fixed order; an uncompensated generator delay (one step, measured below)
  would instead leave a difference of about dt, order 1.  Checked: observed order
  >= 2, and at dt = 0.01 ms the difference within 1e-3 mV over the upstroke slope
  at -20 mV (>= 20 mV/ms): 5e-5 ms.

Measured (2026-12, NEURON 9.0.2, NEST 3.10.0, pymoose 5.0.0), max |Δt_spike| in ms
at dt = 0.02 / 0.01 ms.
Each cell: coarse / fine difference (observed orders: CN 2.00, BE 1.02-1.10,
NEST 2.2-4.2, MOOSE 2.00).

================  ===============  ===============  ===============  ===============
simulator         step             two pulses       sine             ramp
================  ===============  ===============  ===============  ===============
neuron CN (so=2)  4.48e-3/1.12e-3  6.36e-4/1.59e-4  2.81e-3/7.03e-4  1.75e-3/4.39e-4
neuron BE (so=0)  1.64e-1/7.65e-2  1.00e-2/4.86e-3  1.05e-1/5.10e-2  5.91e-2/2.92e-2
nest RKF45        5.0e-7/6.5e-8    1.2e-6/6.8e-8    9.7e-6/2.2e-6    4.1e-6/7.3e-7
moose stagg. EE   8.45e-3/2.12e-3  6.86e-4/1.72e-4  (refused)        (refused)
================  ===============  ===============  ===============  ===============

Regenerate with ``python -m pytest tests/test_simulators_protocols.py -q -rA``
(each test prints its differences).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from brian2 import Hz, ms, mV, uA
from brian2.units import cm

from hh_brian.cli.main import main
from hh_brian.compare.crossval import ORDER_MARGIN, richardson_factor
from hh_brian.engines.registry import get_engine
from hh_brian.engines.simulators import SimulatorCannotExpress
from hh_brian.engines.simulators.common import spike_times
from hh_brian.models.presets import get_preset
from hh_brian.models.stimuli import (
    Constant,
    CorrelatedNoise,
    OUNoise,
    PulseTrain,
    Ramp,
    Sampled,
    Sine,
    Step,
)

DENSITY = uA / cm**2
DURATION = 20 * ms
DTS = (0.02 * ms, 0.01 * ms)
RATIO = 2.0
REFERENCE_DT = 0.0025 * ms
THRESHOLD_MV = -20.0
#: NEST's GSL RKF45: absolute error per step on every state, mV for V.
NEST_ABS_TOLERANCE_MV = 1e-3
#: The smallest upstroke slope at -20 mV in these runs is above this (mV/ms).
UPSTROKE_SLOPE_MV_MS = 20.0

PROTOCOLS = {
    # Onset at 0.02 ms: the first step of the coarse grid (NEST: through I_e).
    "step": (Step(10 * DENSITY, onset=0.02 * ms, offset=16 * ms),),
    "pulses": (PulseTrain(40 * DENSITY, width=0.5 * ms, period=8 * ms, onset=2 * ms, count=2),),
    "sine": (
        Sine(5 * DENSITY, frequency=100 * Hz, bias=6 * DENSITY, onset=2 * ms, offset=18 * ms),
    ),
    # From 0 (continuous at onset), a jump back to 0 at offset.
    "ramp": (Ramp(0 * DENSITY, 30 * DENSITY, onset=2 * ms, offset=18 * ms),),
}
#: (simulator, options, order of the scheme or None for NEST's adaptive one, protocols)
SCHEMES = [
    ("neuron", {"secondorder": 2}, 2, ("step", "pulses", "sine", "ramp")),
    ("neuron", {"secondorder": 0}, 1, ("step", "pulses", "sine", "ramp")),
    ("nest", {}, None, ("step", "pulses", "sine", "ramp")),
    ("moose", {}, 2, ("step", "pulses")),
]
CASES = [
    pytest.param(name, options, order, protocol, id=f"{name}-{options}-{protocol}")
    for name, options, order, protocols in SCHEMES
    for protocol in protocols
]


def _spikes(trace) -> np.ndarray:
    return spike_times(np.asarray(trace.t / ms), np.asarray(trace.v[0] / mV), THRESHOLD_MV)


@pytest.fixture(scope="module")
def reference():
    """Brian2 rk4 spike times at REFERENCE_DT, per protocol (computed once)."""
    cache: dict[str, np.ndarray] = {}

    def get(protocol: str) -> np.ndarray:
        if protocol not in cache:
            trace = get_engine("brian2").run(
                get_preset("neuron_hh"),
                current=list(PROTOCOLS[protocol]),
                duration=DURATION,
                dt=REFERENCE_DT,
                method="rk4",
            )
            cache[protocol] = _spikes(trace)
        return cache[protocol]

    return get


def _run(name: str, protocol, dt, **options):
    return get_engine(name).run(
        get_preset("neuron_hh"), current=list(protocol), duration=DURATION, dt=dt, **options
    )


@pytest.mark.parametrize(("name", "options", "order", "protocol"), CASES)
def test_spike_times_converge_to_brian2_rk4_at_the_scheme_order(
    name, options, order, protocol, reference
):
    pytest.importorskip(name)
    ref = reference(protocol)
    assert ref.size >= 1
    differences, times = [], []
    for dt in DTS:
        trace = _run(name, PROTOCOLS[protocol], dt, **options)
        found = _spikes(trace)
        assert found.shape == ref.shape, (dt, found, ref)
        differences.append(float(np.max(np.abs(found - ref))))
        times.append(found)
    observed = math.log(differences[0] / differences[1]) / math.log(RATIO)
    print(name, options, protocol, differences, f"order {observed:.2f}", trace.info["stimulus"])
    if order is None:  # NEST: adaptive RKF45, the current delivered exactly
        assert observed >= 2.0, differences
        bound = NEST_ABS_TOLERANCE_MV / UPSTROKE_SLOPE_MV_MS
        assert differences[1] <= bound, (differences, bound)
        return
    assert abs(observed - order) <= ORDER_MARGIN, (differences, observed)
    richardson = float(np.max(np.abs(times[0] - times[1]))) / (RATIO**order - 1)
    factor = richardson_factor(order, RATIO, ORDER_MARGIN)
    assert differences[1] <= factor * richardson, (differences, richardson, factor)


# --------------------------------------------------------------------------- forms


def test_neuron_play_of_a_sampled_waveform_equals_one_iclamp_per_pulse():
    """Vector.play (continuous=0) at the change times and IClamps give the same current."""
    pytest.importorskip("neuron")
    pulses = PROTOCOLS["pulses"]
    sampled = Sampled(
        np.array([0.0, 40.0, 0.0, 40.0, 0.0]) * DENSITY,
        times=np.array([0.0, 2.0, 2.5, 10.0, 10.5]) * ms,
    )
    clamps = _run("neuron", pulses, DTS[1])
    played = _run("neuron", (sampled,), DTS[1])
    assert "2 pulse(s)" in clamps.info["stimulus"]
    assert "Vector.play" in played.info["stimulus"]
    assert float(np.max(np.abs((clamps.v[0] - played.v[0]) / mV))) < 1e-9


def test_neuron_long_pulse_train_falls_back_to_play(monkeypatch):
    pytest.importorskip("neuron")
    from hh_brian.engines.simulators import neuron_stimulus

    clamps = _run("neuron", PROTOCOLS["pulses"], DTS[1])
    monkeypatch.setattr(neuron_stimulus, "MAX_PULSE_CLAMPS", 1)
    played = _run("neuron", PROTOCOLS["pulses"], DTS[1])
    assert played.info["stimulus"].startswith("IClamp x1:")
    assert float(np.max(np.abs((clamps.v[0] - played.v[0]) / mV))) < 1e-9


def test_nest_generator_current_arrives_one_step_late():
    """The fact the NEST adapter compensates: a step_current_generator change at t acts on
    the step starting at t + dt (delay = dt), measured on a pure integrator
    (iaf_psc_alpha with C_m = 1 pF and no leak: V grows by I*dt per step)."""
    nest = pytest.importorskip("nest")
    dt = 0.1
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": dt, "min_delay": dt, "max_delay": dt})
    nest.SetDefaults("static_synapse", {"delay": dt})
    cell = nest.Create(
        "iaf_psc_alpha",
        params={"V_th": 1e9, "C_m": 1.0, "tau_m": 1e9, "E_L": 0.0, "V_m": 0.0, "t_ref": 0.0},
    )
    generator = nest.Create(
        "step_current_generator", params={"amplitude_times": [0.3], "amplitude_values": [1.0]}
    )
    nest.Connect(generator, cell, syn_spec={"delay": dt})
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
    nest.Connect(meter, cell)
    nest.Simulate(1.0)
    times, v = np.asarray(meter.events["times"]), np.asarray(meter.events["V_m"])
    nest.ResetKernel()
    first = times[np.flatnonzero(v > 0)[0]]  # end of the first step with current
    assert abs((first - dt) - (0.3 + dt)) < 1e-9  # that step starts at 0.4 = 0.3 + dt


@pytest.mark.parametrize("name", ["neuron", "nest", "moose"])
def test_trace_says_how_the_stimulus_was_expressed(name):
    pytest.importorskip(name)
    trace = _run(name, PROTOCOLS["pulses"], DTS[0])
    expected = {"neuron": "IClamp", "nest": "step_current_generator", "moose": "inject"}
    assert expected[name] in trace.info["stimulus"]
    constant = get_engine(name).run(
        get_preset("neuron_hh"), current=10 * DENSITY, duration=2 * ms, dt=DTS[0]
    )
    assert constant.info["stimulus"]


# --------------------------------------------------------------------------- refusals

REFUSALS = [
    ("nest", (OUNoise(2 * DENSITY, 1 * DENSITY, tau=2 * ms),), "'noise'"),
    ("nest", (CorrelatedNoise(),), "'lecture_noise'"),
    ("moose", PROTOCOLS["sine"], "'sine'"),
    ("moose", (Ramp(0 * DENSITY, 10 * DENSITY, onset=1 * ms, offset=5 * ms),), "'ramp'"),
    ("neuron", (Constant(np.array([1.0, 2.0]) * DENSITY),), "one cell"),
    ("nest", (Constant(np.array([1.0, 2.0]) * DENSITY),), "one cell"),
]


@pytest.mark.parametrize(("name", "protocol", "message"), REFUSALS)
def test_refusal_is_one_line_naming_the_kind(name, protocol, message):
    pytest.importorskip(name)
    with pytest.raises(SimulatorCannotExpress) as info:
        _run(name, protocol, DTS[0])
    text = str(info.value)
    assert message in text and "\n" not in text


@pytest.mark.parametrize(("name", "protocol", "message"), REFUSALS[:4])
def test_refusal_is_known_before_any_run(name, protocol, message):
    """``cannot_express_current`` needs no simulator run (compare-simulators asks first)."""
    why = get_engine(name).cannot_express_current(
        get_preset("neuron_hh"), list(protocol), dt=DTS[0], duration=DURATION
    )
    assert why is not None and message in why


# --------------------------------------------------------------------------- command line


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


CLI_REFUSALS = [
    ("nest", "noise:mean=2*uA/cm**2,std=1*uA/cm**2,tau=2*ms,seed=1", r"--current: NEST .*'noise'"),
    ("moose", "sine:amplitude=5*uA/cm**2,frequency=100*Hz", r"--current: MOOSE .*'sine'"),
]


@pytest.mark.parametrize(("name", "text", "message"), CLI_REFUSALS)
def test_cli_refusal_exits_2_without_output(tmp_path, capsys, name, text, message):
    pytest.importorskip(name)
    out = tmp_path / "s.csv"
    code, _, err = _cli(
        capsys,
        "compare-simulators",
        "neuron_hh",
        "--simulators",
        f"brian2,{name}",
        "--current",
        text,
        "--duration",
        "5*ms",
        "--out",
        str(out),
    )
    assert code == 2 and err.count("\n") == 1 and re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


CLI_BAD = [
    (["--current", "step:amplitude=10"], r"--current 'step:amplitude=10': .*no units"),
    (["--current", "step:amplitude=10*uA/cm**2,onset=0.013*ms"], r"--current: .*0\.013 ms"),
    (["--current", "pulses:amplitude=1*uA/cm**2,width=2*ms,period=1*ms"], "exceeds period"),
    (["--current", "blip:amplitude=1*uA/cm**2"], "unknown stimulus kind 'blip'"),
]


@pytest.mark.parametrize(("extra", "message"), CLI_BAD)
def test_cli_bad_stimulus_exits_2_without_output(tmp_path, capsys, extra, message):
    out = tmp_path / "s.csv"
    code, _, err = _cli(
        capsys,
        "compare-simulators",
        "dayan_abbott",
        "--simulators",
        "brian2,reference",
        *extra,
        "--out",
        str(out),
    )
    assert code == 2 and err.count("\n") == 1 and re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


def test_cli_repeated_currents_add_and_report_says_how(tmp_path, capsys):
    pytest.importorskip("neuron")
    from hh_brian.compare.simulators import CSV_COLUMNS

    out, report = tmp_path / "s.csv", tmp_path / "s.md"
    code, stdout, _ = _cli(
        capsys,
        "compare-simulators",
        "neuron_hh",
        "--simulators",
        "reference,neuron",
        "--current",
        "pulses:amplitude=40*uA/cm**2,width=0.5*ms,period=8*ms,onset=2*ms,count=2",
        "--current",
        "3*uA/cm**2",
        "--duration",
        "12*ms",
        "--dt",
        "0.02*ms",
        "--fine-dt",
        "0.01*ms",
        "--out",
        str(out),
        "--report",
        str(report),
    )
    assert code == 0 and "neuron" in stdout
    lines = out.read_text().splitlines()
    assert tuple(lines[0].split(",")) == CSV_COLUMNS and CSV_COLUMNS[-1] == "stimulus"
    neuron_rows = [line for line in lines if line.startswith("neuron,ok")]
    assert len(neuron_rows) == 2 and all("IClamp x3" in line for line in neuron_rows)
    text = report.read_text()
    assert "## How each simulator got the stimulus" in text
    assert "pulses 40 uA/cm^2" in text and "constant 3 uA/cm^2" in text
