"""Synapse presets: analytic kinetics, Jahr & Stevens block, rendered files, bad input.

Kinetics are checked by driving one postsynaptic conductance set with a single
presynaptic spike in Brian2 (exponential Euler, dt = 0.01 ms) and comparing
the recorded g(t) with w*exp(-t/tau) or the normalised bi-exponential: the
decays are linear, so exponential Euler is exact up to round-off.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import (
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    StateMonitor,
    Synapses,
    mM,
    ms,
    mV,
    nS,
    prefs,
    umetre,
)

from hh_brian.core.conventions import HH1952, MODERN
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.synapses import (
    AMPA,
    COBAHH_EXC,
    GABA_A,
    NMDA,
    SYNAPSE_PRESETS,
    SynapsePreset,
    expected_synapse_files,
    get_synapse,
    render_synapses,
)

DT = 0.01 * ms
SPIKE_AT = 1.0 * ms
EQUATIONS_DIR = __import__("pathlib").Path(__file__).parents[1] / "equations" / "synapses"


def _response(preset: SynapsePreset, duration, weight=2 * nS):
    """Recorded g(t) after one presynaptic spike at SPIKE_AT (v clamped at -65 mV)."""
    prefs.codegen.target = "cython"
    rendered = render_synapses((preset,))
    group = NeuronGroup(
        1,
        rendered.equations + "\nv : volt",
        method="exponential_euler",
        namespace=rendered.namespace,
        dt=DT,
    )
    group.v = -65 * mV
    source = SpikeGeneratorGroup(1, [0], [SPIKE_AT], dt=DT)
    syn = Synapses(
        source,
        group,
        on_pre=rendered.on_pre[preset.label],
        namespace={**rendered.namespace, "w": weight},
        dt=DT,
    )
    syn.connect()
    mon = StateMonitor(group, f"g_{preset.label}", record=0, dt=DT)
    Network(group, source, syn, mon).run(duration)
    return mon.t[:], getattr(mon, f"g_{preset.label}")[0]


@pytest.mark.parametrize("name", list(SYNAPSE_PRESETS))
def test_single_spike_matches_analytic_form(name):
    preset = get_synapse(name)
    duration = min(float(5 * preset.tau_decay / ms), 600.0) * ms
    weight = 2 * nS
    t, g = _response(preset, duration, weight)
    # The spike is delivered in the synapses slot of the step at SPIKE_AT, after that
    # step's StateMonitor sample (slot 'start'): the first sample holding it is one dt later.
    onset = SPIKE_AT + DT
    expected = preset.conductance(t - onset, weight)
    assert np.max(np.abs(g - expected)) / weight < 1e-9
    peak = np.argmax(np.asarray(g))
    assert abs(float((t[peak] - onset - preset.peak_time) / ms)) <= float(DT / ms)
    assert float(np.max(g) / weight) == pytest.approx(1.0, abs=2e-6)


def test_biexponential_peak_time_formula():
    tr, td = AMPA.tau_rise, AMPA.tau_decay
    t = np.linspace(0, 20, 200001) * ms
    g = AMPA.conductance(t)
    assert float(t[np.argmax(g)] / ms) == pytest.approx(float(AMPA.peak_time / ms), abs=1e-4)
    assert float(AMPA.peak_time / ms) == pytest.approx(
        float(tr * td / (td - tr) / ms) * np.log(float(td / tr)), rel=1e-12
    )


@pytest.mark.parametrize(
    ("v_mV", "mg_mM", "expected"),
    [
        # 1/(1 + Mg/3.57 * exp(-0.062 V)), computed by hand from Jahr & Stevens (1990)
        (-60.0, 1.0, 1 / (1 + np.exp(3.72) / 3.57)),
        (0.0, 1.0, 1 / (1 + 1 / 3.57)),
        (-80.0, 2.0, 1 / (1 + 2 * np.exp(4.96) / 3.57)),
        (-60.0, 0.0, 1.0),
    ],
)
def test_nmda_block_jahr_stevens(v_mV, mg_mM, expected):
    preset = NMDA.with_parameters(mg=mg_mM * mM)
    assert float(preset.block(v_mV * mV)) == pytest.approx(expected, rel=1e-12)
    # Brian2 evaluates the rendered block to the same value.
    rendered = render_synapses((preset,))
    group = NeuronGroup(
        1,
        rendered.equations + "\nv : volt",
        method="exponential_euler",
        namespace=rendered.namespace,
    )
    group.v = v_mV * mV
    assert float(group.B_nmda[0]) == pytest.approx(expected, rel=1e-9)


def test_nmda_block_value_at_minus_60():
    # Independent number: exp(3.72) = 41.264; 1/(1 + 41.264/3.57) = 0.07963.
    assert float(NMDA.block(-60 * mV)) == pytest.approx(0.07963, abs=1e-5)


def test_block_uses_modern_potential_in_1952_convention():
    converted = NMDA.in_convention(HH1952)
    assert float(converted.E_rev / mV) == pytest.approx(-65.0)
    # v_1952 = 5 mV is V_modern = -70 mV.
    assert float(converted.block(5 * mV)) == pytest.approx(float(NMDA.block(-70 * mV)), rel=1e-12)
    text = render_synapses((converted,), HH1952).equations
    assert "exp(-Mg_slope*(-65*mV - v))" in text
    assert "I_nmda = -g_nmda*B_nmda*(E_nmda - v)" in text


def test_rendered_files_match_renderer():
    expected = expected_synapse_files()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in EQUATIONS_DIR.glob("*.eqs")}
    assert on_disk == expected, (
        "equations/synapses/ is stale: run `hh-brian network synapses --write equations/synapses/`"
    )


def test_current_is_physical_and_sums():
    rendered = render_synapses((AMPA, GABA_A))
    assert "I_ampa = g_ampa*(E_ampa - v) : amp" in rendered.equations
    assert rendered.equations.endswith("I_syn = I_ampa + I_gaba_a : amp")


# -- bad input ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"weight": 6 * mV}, "weight"),
        ({"weight": -1 * nS}, "negative"),
        ({"E_rev": 5 * nS}, "E_rev"),
        ({"E_rev": 0.0}, "E_rev"),
        ({"tau_decay": -5 * ms}, "tau_decay"),
        ({"tau_decay": 5 * mV}, "tau_decay"),
        ({"tau_rise": 10 * ms}, "shorter"),
        ({"mg": 1 * mV}, "mg"),
        ({"label": "not an id"}, "identifier"),
        ({"gmax": 1 * nS}, "no parameter"),
    ],
)
def test_bad_parameters_rejected(overrides, fragment):
    with pytest.raises(HHBrianInputError, match=fragment):
        AMPA.with_parameters(**overrides)


def test_exponential_rejects_tau_rise_and_biexp_needs_it():
    with pytest.raises(HHBrianInputError, match="no tau_rise"):
        COBAHH_EXC.with_parameters(tau_rise=1 * ms)
    with pytest.raises(HHBrianInputError, match="need tau_rise"):
        AMPA.with_parameters(tau_rise=None)


def test_mixing_conventions_rejected():
    with pytest.raises(HHBrianInputError, match="convention"):
        render_synapses((AMPA, NMDA.in_convention(HH1952)), MODERN)


def test_duplicate_labels_and_empty_rejected():
    with pytest.raises(HHBrianInputError, match="distinct"):
        render_synapses((AMPA, AMPA))
    with pytest.raises(HHBrianInputError, match="at least one"):
        render_synapses(())


def test_unknown_synapse_suggests():
    with pytest.raises(HHBrianInputError, match="Did you mean 'nmda'"):
        get_synapse("nmdaa")


def test_nmda_exponential_euler_is_first_order():
    """Brian2 accepts the Mg-blocked NMDA current under exponential_euler (block
    frozen over a step); its error against an rk4 reference falls ~linearly in dt."""
    from hh_brian.models.presets import get_preset
    from hh_brian.render.brian2 import render

    preset = get_preset("dayan_abbott").with_area(20000 * umetre**2)
    model = render(preset, extra_currents=("I_syn",))
    syn = render_synapses((NMDA,))
    prefs.codegen.target = "cython"

    def peak_v(method, dt):
        group = NeuronGroup(
            1,
            model.equations + "\n" + syn.equations,
            method=method,
            namespace={**model.namespace, **syn.namespace},
            dt=dt,
        )
        group.v = -65 * mV
        group.n, group.m, group.h = 0.3177, 0.0529, 0.5961
        group.g_nmda_decay = 40 * nS * NMDA.peak_factor  # a spike at t = 0, subthreshold EPSP
        group.g_nmda_rise = 40 * nS * NMDA.peak_factor
        mon = StateMonitor(group, "v", record=0, dt=0.1 * ms)
        Network(group, mon).run(60 * ms)
        return np.asarray(mon.v[0] / mV)

    reference = peak_v("rk4", 0.001 * ms)
    assert reference.max() - reference[0] > 0.5  # a visible EPSP, below threshold
    assert reference.max() < -40
    errors = [
        np.max(np.abs(peak_v("exponential_euler", dt * ms) - reference))
        for dt in (0.1, 0.05, 0.025)
    ]
    orders = np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))
    assert np.all((orders > 0.8) & (orders < 1.3)), (errors, orders)
