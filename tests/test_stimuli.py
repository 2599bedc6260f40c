"""Stimuli: waveforms on the grid, units, TimedArray/reference agreement, lecture noise."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import amp, cm, get_dimensions, meter, mm, ms, mV, nA, uA

from hh_brian.core.errors import HHBrianInputError
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.presets import get_preset
from hh_brian.models.stimuli import (
    Constant,
    CorrelatedNoise,
    PulseTrain,
    Ramp,
    Sampled,
    Step,
    lecture_noise,
    make_stimulus,
    parse_stimulus,
)

DA = get_preset("dayan_abbott")  # per mm^2
TM = get_preset("traub_miles")  # has an area of 20000 um^2
DENSITY = uA / cm**2
DT = 0.5 * ms


@pytest.mark.parametrize(
    ("stimulus", "expected"),
    [
        (Constant(3 * DENSITY), [3] * 9),
        (Step(10 * DENSITY, onset=1 * ms, offset=2 * ms), [0, 0, 10, 10, 0, 0, 0, 0, 0]),
        (Ramp(0 * DENSITY, 8 * DENSITY, 1 * ms, 3 * ms), [0, 0, 0, 2, 4, 6, 0, 0, 0]),
        (PulseTrain(5 * DENSITY, 0.5 * ms, 1 * ms, count=2), [5, 0, 5, 0, 0, 0, 0, 0, 0]),
        (Sampled(np.arange(5) * DENSITY, 1 * ms), [0, 0, 1, 1, 2, 2, 3, 3, 4]),
    ],
    ids=["constant", "step", "ramp", "pulses", "sampled"],
)
def test_waveforms_on_the_grid(stimulus, expected):
    values = stimulus.values_uA_per_cm2(get_preset("hh1952"), DT, 8)
    np.testing.assert_allclose(values, expected, atol=1e-12)


def test_per_mm2_densities_convert_to_uA_per_cm2():
    values = Constant(0.1 * uA / mm**2).values_uA_per_cm2(DA, DT, 2)
    np.testing.assert_allclose(values, [10.0, 10.0, 10.0])  # 1 uA/mm^2 = 100 uA/cm^2


def test_absolute_current_is_divided_by_the_area():
    values = Constant(0.2 * nA).values_uA_per_cm2(TM, DT, 1)
    np.testing.assert_allclose(values, [1.0, 1.0])  # 0.2 nA / 20000 um^2 = 1 uA/cm^2


@pytest.mark.parametrize(("preset", "dim"), [(DA, amp / meter**2), (TM, amp)])
def test_timed_array_carries_the_presets_current_units(preset, dim):
    ta = Step(10 * DENSITY, onset=1 * ms).timed_array(preset, DT, 4 * ms)
    assert get_dimensions(ta.dim) is get_dimensions(dim)
    assert ta.values.shape == (9,)


def test_per_neuron_amplitudes_give_columns():
    ta = Constant(np.array([1.0, 2.0, 3.0]) * DENSITY).timed_array(DA, DT, 2 * ms)
    assert ta.values.shape == (5, 3)
    np.testing.assert_allclose(ta.values[0], [0.01, 0.02, 0.03])  # A/m^2


def test_lecture_noise_bit_for_bit():
    # The lecture's code, verbatim apart from names (Lecture 7, example protocol).
    T, dt = 1000, 0.1
    nt = int(T / dt)
    wr = np.arange(-10, 10, dt)
    ww = np.exp(-(wr**2) / 5)
    ww /= np.sum(ww)
    state = np.random.get_state()  # noqa: NPY002 - the lecture uses the legacy API
    np.random.seed(123)  # noqa: NPY002
    ii = np.convolve(np.random.normal(size=nt), ww, mode="same")  # noqa: NPY002
    np.random.set_state(state)  # noqa: NPY002
    ii = np.convolve(ii, ww, mode="same") * 0.3 + 0.3
    ii = np.append(ii, ii[-1])
    ours = CorrelatedNoise().samples(dt * ms, nt)
    assert np.array_equal(np.asarray(ours), ii)  # SI A/m^2, and 1 uA/mm^2 = 1 A/m^2
    np.testing.assert_allclose(
        CorrelatedNoise().values_uA_per_cm2(DA, dt * ms, nt), ii * 100, rtol=1e-14
    )


def test_noise_shorter_than_its_kernel_keeps_its_length():
    assert lecture_noise(0.1, 50).shape == (51,)


def test_two_dimensional_timed_array_drives_one_column_per_neuron():
    onset = [2.0, 6.0]
    amplitudes = np.array([20.0, 20.0]) * DENSITY
    stimuli = [Step(a, onset=o * ms) for a, o in zip(amplitudes, onset, strict=True)]
    samples = np.stack([s.samples(0.01 * ms, 1000) for s in stimuli], axis=1)
    stimulus = Sampled(samples * amp / meter**2, 0.01 * ms)
    result = simulate(
        get_preset("hh1952"),
        current=stimulus.timed_array(get_preset("hh1952"), 0.01 * ms, 10 * ms),
        duration=10 * ms,
        dt=0.01 * ms,
        method="exponential_euler",
    )
    first = [float(result.spikes_of(k)[0] / ms) for k in range(2)]
    assert onset[0] < first[0] < onset[0] + 3
    assert onset[1] < first[1] < onset[1] + 3
    assert float(np.max(-65 * mV - result.v[0] / mV * mV) / mV) > 0  # depolarised (1952: v < 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: make_stimulus("sinus", amplitude=DENSITY), "Valid kinds: constant, step"),
        (lambda: parse_stimulus("stepp:amplitude=1*uA/cm**2"), "Did you mean 'step'"),
        (lambda: Constant(5 * mV), "expected a current density"),
        (lambda: Constant(5.0), "has no units"),
        (lambda: Constant(np.nan * DENSITY), "not finite"),
        (lambda: Step(DENSITY, onset=5 * ms, offset=2 * ms), "must come after onset"),
        (lambda: Step(DENSITY, onset=-1 * ms), "non-negative"),
        (lambda: Ramp(0 * DENSITY, DENSITY, 3 * ms, 3 * ms), "must come after onset"),
        (lambda: PulseTrain(DENSITY, 2 * ms, 1 * ms), "exceeds period"),
        (lambda: Step(DENSITY, baseline=1 * nA), "mixes current densities"),
        (lambda: Sampled(np.ones((2, 2, 2)) * DENSITY, 1 * ms), "must be 1-D"),
        (lambda: CorrelatedNoise(seed=-1), "seed"),
        (lambda: make_stimulus("step", amplitud=DENSITY), "step stimulus"),
        (lambda: parse_stimulus("step:amplitude"), "expected KIND:NAME=EXPR"),
    ],
)
def test_bad_stimuli_raise_one_clear_error(build, message):
    with pytest.raises(HHBrianInputError, match=message):
        build()


def test_absolute_current_on_a_per_area_preset_is_refused():
    with pytest.raises(HHBrianInputError, match="absolute current"):
        Constant(1 * nA).timed_array(DA, DT, 1 * ms)
    with pytest.raises(HHBrianInputError, match="absolute current"):
        Constant(1 * nA).values_uA_per_cm2(DA, DT, 2)


def test_parse_stimulus_reads_units():
    stimulus = parse_stimulus("pulses:amplitude=5*uA/cm**2,width=1*ms,period=4*ms,count=2")
    assert isinstance(stimulus, PulseTrain)
    assert stimulus.count == 2
    np.testing.assert_allclose(
        stimulus.values_uA_per_cm2(DA, 1 * ms, 8)[[0, 1, 4, 8]], [5, 0, 5, 0]
    )


class _Result:
    """The part of a simulation result that plot_trace reads: 6 steps of 0.5 ms."""

    def __init__(self, preset):
        self.preset, self.method, self.dt = preset, "exponential_euler", DT
        self.t = np.arange(6) * DT
        self.traces = {"v": np.full((1, 6), -65.0) * mV, **{g: np.full((1, 6), 0.5) for g in "nmh"}}
        self.recorded = np.array([0])
        self.info = {}

    def spikes_of(self, neuron):
        return np.array([]) * ms


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Call plot_trace and return the figure it would have saved."""
    import hh_brian.report.plotting as plotting

    figures = []
    monkeypatch.setattr(plotting, "save_figure", lambda figure, path: figures.append(figure))

    def draw(result, **kwargs):
        plotting.plot_trace(result, tmp_path / "trace.png", **kwargs)
        return figures[-1]

    return draw


def _stimulus_line(figure):
    (line,) = figure.axes[2].get_lines()[:1]
    return figure.axes[2], np.asarray(line.get_ydata(), dtype=float)


@pytest.mark.parametrize(
    ("preset", "current", "label", "shown"),
    [
        (get_preset("hh1952"), 10 * DENSITY, "uA/cm", [10.0] * 6),
        (DA, 10 * DENSITY, "uA/mm", [0.1] * 6),  # DA's length unit is mm
        (TM, 0.2 * nA, "nA", [0.2] * 6),
        (
            get_preset("hh1952"),
            np.array([0, 0, 5, 5, 0, 0, 0.0]) * DENSITY,
            "uA/cm",
            [0, 0, 5, 5, 0, 0],
        ),
    ],
    ids=["constant", "per-mm2", "absolute", "samples"],
)
def test_plot_trace_draws_the_current_panel(drawn, preset, current, label, shown):
    figure = drawn(_Result(preset), current=current)
    assert len(figure.axes) == 3
    axis, values = _stimulus_line(figure)
    assert axis.get_ylabel().startswith("I_inj") and label in axis.get_ylabel()
    np.testing.assert_allclose(values, shown, rtol=1e-12)
    low, high = axis.get_ylim()
    assert low <= 0 <= high  # zero on the axis: a constant shows its size


def test_plot_trace_without_a_current_keeps_two_panels(drawn):
    assert len(drawn(_Result(DA), current_label="10*uA/cm**2").axes) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"current": np.ones(3) * DENSITY}, "per-step samples of shape \\(6,\\)"),
        ({"current": 5 * mV}, "expected a current density"),
        ({"current": DENSITY, "stimulus": Constant(DENSITY)}, "not both"),
    ],
)
def test_plot_trace_bad_current(drawn, kwargs, message):
    with pytest.raises(HHBrianInputError, match=message):
        drawn(_Result(DA), **kwargs)
