"""Stimulus semantics inside a time step, edges on the grid, sampled files (issue 12).

Piecewise-constant stimuli are held at the step's start by every stage and smooth
ones are read at each stage's time; then each method keeps its order on pulse
and sine protocols.  The reference solution is integrated segment by segment
between the stimulus edges (DOP853, rtol = atol = 1e-12).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from brian2 import Hz, TimedArray, ms, mV, nA, uA
from brian2.units import cm

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference_bridge import reference_solution, simulate_reference
from hh_brian.models.drive import check_edges, fitting_dt, make_drive
from hh_brian.models.library import get_model
from hh_brian.models.stimuli import (
    Constant,
    CorrelatedNoise,
    OUNoise,
    PulseTrain,
    Ramp,
    Sine,
    Step,
    load_waveform,
    parse_stimulus,
)

D = uA / cm**2
DA = get_model("dayan_abbott")
PROTOCOLS = {
    # two pulses of different amplitude, and a hyperpolarising step between them
    "pulses": (
        PulseTrain(20 * D, 0.5 * ms, 4 * ms, onset=1 * ms, count=1),
        Step(30 * D, onset=5 * ms, offset=5.25 * ms),
        Step(-3 * D, onset=2 * ms, offset=4 * ms),
    ),
    "sine": (Sine(8 * D, 200 * Hz, bias=2 * D),),
}
#: Steps of the convergence study (ms); each halves the last.
DTS = (0.025, 0.0125, 0.00625, 0.003125)
DURATION = 10 * ms
ORDER = {"rk4": 4, "exponential_euler": 1, "rush_larsen2": 2}


@cache
def _gold_v(name: str) -> np.ndarray:
    gold = reference_solution(DA, current=PROTOCOLS[name], duration=DURATION, dt=DTS[-1] * ms)
    return np.asarray(gold.traces["v"][0] / mV)


@pytest.fixture(params=sorted(PROTOCOLS))
def protocol(request):
    return request.param, PROTOCOLS[request.param], _gold_v(request.param)


def _errors(stimuli, gold_v, method, dts):
    errors = []
    for dt in dts:
        run = simulate(DA, current=list(stimuli), duration=DURATION, dt=dt * ms, method=method)
        stride = int(round(dt / DTS[-1]))
        v = np.asarray(run.traces["v"][0] / mV)
        errors.append(float(np.max(np.abs(v - gold_v[::stride][: v.size]))))
    return np.array(errors)


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, marks=pytest.mark.slow) if m == "rush_larsen2" else m for m in sorted(ORDER)],
)
def test_each_method_keeps_its_order_on_pulses_and_sines(protocol, method):
    name, stimuli, gold_v = protocol
    errors = _errors(stimuli, gold_v, method, DTS[:-1])
    orders = np.log2(errors[:-1] / errors[1:])
    # Asymptotically the error ratio per halving is 2**p (1 + O(dt)): the observed order
    # approaches p from the coarse side; the finest pair must be within 0.2 of it.
    assert abs(orders[-1] - ORDER[method]) < 0.2, (name, method, errors, orders)


def test_a_timed_array_read_at_stage_times_costs_rk4_its_order():
    """The fault the held timing fixes: rk4's last stage reads the next sample."""
    stimuli, gold_v = PROTOCOLS["pulses"], _gold_v("pulses")
    drive_errors = []
    for dt in DTS[1:3]:
        drive = make_drive(DA, list(stimuli), dt * ms, DURATION)
        table = TimedArray(drive.samples()[:, 0], dt=dt * ms)
        run = simulate(DA, current=table, duration=DURATION, dt=dt * ms, method="rk4")
        v = np.asarray(run.traces["v"][0] / mV)
        stride = int(round(dt / DTS[-1]))
        drive_errors.append(float(np.max(np.abs(v - gold_v[::stride][: v.size]))))
    assert np.log2(drive_errors[0] / drive_errors[1]) < 1.5


@pytest.mark.parametrize("method", ["rk4", "exponential_euler", "euler", "rush_larsen2"])
def test_brian2_and_numpy_engine_read_every_kind_alike(method):
    stimuli = [
        PulseTrain(15 * D, 0.3 * ms, 3 * ms, onset=0.5 * ms, count=2),
        Ramp(0 * D, 5 * D, 1 * ms, 6 * ms),
        Sine(2 * D, 150 * Hz, bias=1 * D, onset=2 * ms, offset=7 * ms),
        OUNoise(0 * D, 2 * D, 1 * ms, seed=3),
        CorrelatedNoise(seed=5),
    ]
    a = simulate(DA, current=stimuli, duration=8 * ms, dt=0.01 * ms, method=method)
    b = simulate_reference(DA, current=stimuli, duration=8 * ms, dt=0.01 * ms, method=method)
    # identical schemes on identical input: round-off, amplified through a spike (~1e-10 mV)
    assert float(np.max(np.abs(a.traces["v"] - b.traces["v"])) / mV) < 1e-9


def test_stimuli_add():
    first, second = Step(3 * D, onset=1 * ms, offset=3 * ms), Step(4 * D, onset=2 * ms)
    drive = make_drive(DA, [first, second], 0.5 * ms, 4 * ms)
    np.testing.assert_allclose(
        np.asarray(drive.samples()[:, 0] / D), [0, 0, 3, 3, 7, 7, 4, 4, 4], atol=1e-12
    )


def test_an_edge_off_the_grid_is_refused_with_a_dt_that_fits():
    pulse = PulseTrain(20 * D, 0.125 * ms, 10 * ms, onset=1 * ms, count=1)
    with pytest.raises(HHBrianInputError, match=r"edge at 1\.125 ms .* use dt = 0\.025\*ms"):
        check_edges([pulse], 0.05 * ms, 20 * ms)
    check_edges([pulse], 0.025 * ms, 20 * ms)  # fits: no error
    with pytest.raises(HHBrianInputError, match="not on the time grid"):
        simulate(DA, current=pulse, duration=20 * ms, dt=0.05 * ms)


def test_fitting_dt_falls_back_to_a_divisor():
    assert abs(float(fitting_dt(np.array([1 / 3]) * ms, 0.05 * ms) / ms) - 1 / 21) < 1e-12


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("step:amplitude=10*uA/cm**2,onset=5*ms,offset=6*ms", "step"),
        ("pulses:amplitude=5*uA/cm**2,width=1*ms,period=4*ms,onset=1*ms,count=3", "pulses"),
        ("ramp:start=0*uA/cm**2,stop=10*uA/cm**2,onset=0*ms,offset=100*ms", "ramp"),
        ("sine:amplitude=1*uA/cm**2,frequency=10*Hz,bias=2*uA/cm**2,onset=0*ms", "sine"),
        ("noise:mean=1*uA/cm**2,std=0.5*uA/cm**2,tau=5*ms,seed=7", "noise"),
        ("lecture_noise:seed=123", "lecture_noise"),
    ],
)
def test_every_kind_parses_from_the_command_line(text, kind):
    assert parse_stimulus(text).kind == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("step:amplitude=10*mV", "expected a current density"),
        ("pulses:amplitude=1*uA/cm**2,width=5*ms,period=2*ms", "exceeds period"),
        ("step:amplitude=1*uA/cm**2,onset=-1*ms", "non-negative"),
        ("noise:mean=1*uA/cm**2,std=1*uA/cm**2,tau=1*ms,seed=1.5", "integer"),
        ("pulses:amplitude=1*uA/cm**2,width=1*ms,period=2*ms,count=0", ">= 1"),
        ("sine:amplitude=1*uA/cm**2,frequency=10*ms", "frequency"),
        ("step:amplitude=1*uA/cm**2,amplitude=2*uA/cm**2", "given twice"),
        ("file:path=x.csv", "no unit"),
        ("sampled:values=1", "file:path"),
        ("stepp:amplitude=1*uA/cm**2", "Did you mean 'step'"),
    ],
)
def test_bad_stimulus_text_names_the_culprit(text, message):
    with pytest.raises(HHBrianInputError, match=message):
        parse_stimulus(text)


def test_a_sampled_csv_and_npz_give_the_same_held_current(tmp_path):
    t_ms = np.array([0.0, 1.0, 1.5, 3.0])
    values = np.array([0.0, 5.0, 0.0, 2.0])
    csv = tmp_path / "wave.csv"
    csv.write_text("t_ms,I\n" + "".join(f"{t},{v}\n" for t, v in zip(t_ms, values, strict=True)))
    npz = tmp_path / "wave.npz"
    np.savez(npz, t_ms=t_ms, I=values)
    for path in (csv, npz):
        stimulus = parse_stimulus(f"file:path={path},unit=uA/cm**2")
        drive = make_drive(DA, stimulus, 0.5 * ms, 4 * ms)
        np.testing.assert_allclose(
            np.asarray(drive.samples()[:, 0] / D), [0, 0, 5, 0, 0, 0, 2, 2, 2], atol=1e-12
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("t_ms,I\n0,1\n1,x\n", "not numeric"),
        ("time,I\n0,1\n", "no 't_ms' column"),
        ("t_ms,I,J\n0,1,2\n", "expected 2 columns"),
        ("t_ms,I\n0,1\n0,2\n", "strictly increasing"),
        ("t_ms,I\n0,nan\n", "NaN"),
    ],
)
def test_a_malformed_csv_names_the_file(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(HHBrianInputError, match=message):
        load_waveform(path, "uA/cm**2")


def test_an_npz_with_the_wrong_number_of_samples_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, t_ms=np.arange(3.0), I=np.ones(4))
    with pytest.raises(HHBrianInputError, match="3 times but 4 current samples"):
        load_waveform(path, "uA/cm**2")
    with pytest.raises(HHBrianInputError, match="no unit"):
        load_waveform(path, None)
    with pytest.raises(HHBrianInputError, match="not found"):
        load_waveform(tmp_path / "missing.npz", "nA")


def test_an_absolute_current_needs_a_model_with_an_area():
    with pytest.raises(HHBrianInputError, match="absolute current"):
        make_drive(DA, Sine(1 * nA, 10 * Hz), 0.1 * ms, 1 * ms)
    tm = get_model("traub_miles")
    drive = make_drive(tm, [Sine(1 * nA, 10 * Hz), Constant(1 * D)], 0.1 * ms, 1 * ms)
    assert drive.smooth and not drive.is_constant
