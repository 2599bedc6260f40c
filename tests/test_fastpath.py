"""The fast Brian2 path (engines.brian2.fastpath): same results, fast code, blow-ups caught.

The fast-vs-stock bound
-----------------------
Both builds evaluate the *same* generated expressions (the equations, SymPy's
treatment and the namespace are unchanged); they differ only in how the
compiler evaluates them: libmvec's vector ``exp``/``expm1`` (<= 4 ulp) instead
of glibc's scalar ones (< 1 ulp), and a different association/contraction
order under ``-ffast-math``.  So each step differs by local round-off of at
most ``KAPPA * eps * |y|`` (``KAPPA = 64`` roundings along one step's
dependency chain, as in :mod:`hh_brian.compare.crossval`), and the dynamics amplify a
perturbation by at most the *measured* factor ``G``
(:func:`hh_brian.compare.crossval.amplification_factor`, per preset and method).
Summing the local differences over the run gives::

    tol_V    = G * n_steps * KAPPA * eps * max|V|
    tol_gate = G * n_steps * KAPPA * eps

Spike counts must be equal and spike times equal to the step.
"""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from brian2 import (
    Network,
    NeuronGroup,
    StateMonitor,
    ms,
    mV,
    prefs,
    set_device,
    uA,
)
from brian2 import device as current_device
from brian2.units import cm

from hh_brian.compare.crossval import (
    amplification_factor,
    roundoff_tolerance,
    spike_time_tolerance,
)
from hh_brian.core.errors import SimulationBlowUpError
from hh_brian.engines.brian2 import fastpath
from hh_brian.engines.brian2.simulate import (
    BRIAN2_METHODS,
    SimulationResult,
    check_finite,
    simulate,
)
from hh_brian.engines.brian2.spikes import with_detector
from hh_brian.models.kinetics import resting_state
from hh_brian.models.presets import PRESETS, get_preset
from hh_brian.render.brian2 import render

#: The squid models' state (all built-in models share it).
GATES = ("m", "h", "n")
STATE_VARIABLES = ("v", *GATES)

DURATION, DT = 10 * ms, 0.01 * ms
CURRENT = 10 * uA / cm**2
#: The voltages (mV, each preset's own convention) where an exprel argument is 0.
SINGULAR_MV = {
    "dayan_abbott": (-40.0, -55.0),
    "dayan_abbott_thermodynamic_n": (-40.0,),
    "lecture07_class_defaults": (-40.0, -55.0),
    "neuron_hh": (-40.0, -55.0),
    "hh1952": (-10.0, -25.0),
    "pyramidal": (25.0, -35.0),
    "traub_miles": (-50.0, -48.0, -23.0),  # V_T + 13, 15, 40 with V_T = -63 mV
    "wang_buzsaki": (-35.0, -34.0),
    "connor_stevens": (-29.7, -45.7),
    "pospischil_rs": (-43.2, -41.2, -16.2),  # V_T + 13, 15, 40 with V_T = -56.2 mV
    "pospischil_fs": (-47.0, -45.0, -20.0),  # V_T = -60 mV
    "pospischil_lts": (-42.0, -40.0, -15.0),  # V_T = -55 mV
    "pospischil_ib": (-45.0, -43.0, -18.0, -27.0),  # V_T = -58 mV; the L-current's q at -27
    "destexhe_tc": (-12.0, -10.0, 15.0),  # V_T = -25 mV
}


def _exprel_calls(preset) -> int:
    return sum(text.count("exprel(") for text in preset.rates.values())


# ----------------------------------------------------------------- switches
@pytest.mark.parametrize(
    ("env", "expected"), [(None, True), ("1", True), ("0", False), ("off", False), ("no", False)]
)
def test_fast_path_is_on_by_default_and_the_environment_turns_it_off(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv(fastpath.FAST_ENV, raising=False)
    else:
        monkeypatch.setenv(fastpath.FAST_ENV, env)
    assert fastpath.fast_enabled() is expected
    assert fastpath.fast_enabled(True) is True
    assert fastpath.fast_enabled(False) is False
    expected_class = fastpath.FastCythonCodeObject if expected else None
    assert fastpath.runtime_codeobj_class("cython") is expected_class
    assert fastpath.runtime_codeobj_class("numpy") is None


def test_registering_the_fast_path_leaves_stock_targets_alone():
    from brian2.codegen.runtime.cython_rt import CythonCodeObject
    from brian2.core.functions import DEFAULT_FUNCTIONS

    fastpath.register_fast_exprel()
    fastpath.register_fast_exprel()  # idempotent
    impls = DEFAULT_FUNCTIONS["exprel"].implementations
    assert impls[CythonCodeObject].name == "_exprel"
    assert impls[fastpath.FastCythonCodeObject].name == fastpath.FAST_EXPREL_NAME
    assert impls[fastpath.FastStandaloneCodeObject].name == fastpath.FAST_EXPREL_NAME
    assert "-fno-finite-math-only" not in fastpath.FAST_GCC_ARGS
    assert all(" " not in flag for flag in fastpath.FAST_GCC_ARGS), "one token per flag"


def test_fast_compiler_prefs_are_restored():
    before = list(prefs["codegen.cpp.extra_compile_args_gcc"])
    with fastpath.fast_compiler_prefs(True) as enabled:
        assert enabled
        assert prefs["codegen.cpp.extra_compile_args_gcc"] == list(fastpath.FAST_GCC_ARGS)
    assert prefs["codegen.cpp.extra_compile_args_gcc"] == before


@pytest.mark.parametrize("x", [0.0, 1e-17, -1e-17, 1e-16, 1e-8, -3.0, 0.5, 700.0, 720.0, -800.0])
def test_exprel_reference_matches_brian2s_exprel(x):
    from brian2.units.unitsafefunctions import exprel

    ours, theirs = float(fastpath.exprel_reference(x)), float(exprel(x))
    assert ours == pytest.approx(theirs, rel=4 * np.finfo(float).eps) or ours == theirs


# --------------------------------------------------- fast vs stock agreement
@cache
def _amplification(name: str, method: str) -> float:
    preset = get_preset(name)
    return amplification_factor(preset, CURRENT, DURATION, DT, method)


@cache
def _run(name: str, method: str, fast: bool):
    return simulate(
        get_preset(name), current=CURRENT, duration=DURATION, dt=DT, method=method, fast=fast
    )


@pytest.mark.parametrize("method", BRIAN2_METHODS)
@pytest.mark.parametrize("name", list(PRESETS))
def test_fast_and_stock_agree_to_round_off(name, method):
    stock, fast = _run(name, method, False), _run(name, method, True)
    assert stock.info["fast"] is False and fast.info["fast"] is True
    n_steps = int(round(float(DURATION / DT)))
    v_max = np.max(np.abs(stock.v))
    tol_v, tol_gate = roundoff_tolerance(_amplification(name, method), n_steps, v_max)
    assert np.max(np.abs(fast.v - stock.v)) <= tol_v
    for gate in get_preset(name).gate_names:  # the state gates (not instantaneous ones)
        assert np.max(np.abs(fast.traces[gate] - stock.traces[gate])) <= tol_gate
    assert np.array_equal(fast.spike_indices, stock.spike_indices)
    # interpolated times move with the round-off of the two samples they are read from
    tol_t = spike_time_tolerance(DT, tol_v, stock.info["spike_step_dv"], DURATION)
    assert np.max(np.abs(fast.spike_times - stock.spike_times), initial=0 * ms) <= tol_t
    # the bound itself is far below anything physical
    assert tol_v < 1e-3 * mV


# ------------------------------------------------- generated code: exprel kept
def _state_updater_source(network_or_group) -> str:
    group = network_or_group
    return group.state_updater.codeobj.code.run


@pytest.mark.parametrize("method", BRIAN2_METHODS)
@pytest.mark.parametrize("name", list(PRESETS))
def test_generated_cython_uses_the_fast_exprel_and_vectorisable_forms(name, method):
    preset = get_preset(name)
    model = render(preset)
    group = NeuronGroup(
        1,
        with_detector(model.equations),
        threshold=model.threshold,
        refractory=model.refractory,
        method=method,
        namespace=dict(model.namespace),
        dt=DT,
        codeobj_class=fastpath.runtime_codeobj_class("cython", fast=True),
        name="hh_code",
    )
    Network(group).run(DT, namespace={})
    code = _state_updater_source(group)
    expected = _exprel_calls(preset)
    assert code.count(f"{fastpath.FAST_EXPREL_NAME}(") >= expected + 1  # + the definition
    assert not re.search(r"\b_exprel\(", code), "Brian2's branchy _exprel is not used"
    assert "#cython: cdivision=True" in code
    assert "cdef char not_refractory" in code
    assert " or (not (" not in code
    # -march=native builds are keyed on this CPU, so a shared cache never loads them elsewhere.
    assert f"cpu={fastpath._CPU_TAG}" in code


@pytest.mark.parametrize("name", list(PRESETS))
def test_rates_are_finite_at_the_exprel_singularities(name):
    """Brian2 keeps exprel (no 0/0 partial fractions): one step from exactly -40 mV etc."""
    preset = get_preset(name)
    singular = np.array(SINGULAR_MV[name])
    rest = resting_state(preset)
    state = {"v": singular * mV, **{g: rest[g] for g in preset.gate_names}}
    runs = {
        fast: simulate(
            preset,
            current=0 * uA / cm**2,
            duration=2 * DT,
            dt=DT,
            n_neurons=singular.size,
            initial_state=state,
            fast=fast,
        )
        for fast in (False, True)
    }
    for name_ in preset.state_variables:
        after = np.asarray(runs[True].traces[name_][:, 1])
        assert np.all(np.isfinite(after))
        stock = np.asarray(runs[False].traces[name_][:, 1])
        scale = np.max(np.abs(stock)) if name_ == "v" else 1.0
        assert np.allclose(after, stock, rtol=0, atol=64 * np.finfo(float).eps * scale)
    # the step moved the state by a finite, physical amount
    assert np.all(np.abs(np.asarray((runs[True].v[:, 1] - runs[True].v[:, 0]) / mV)) < 5)


# ------------------------------------------------------------- blow-ups
def test_blow_up_is_reported_on_the_fast_cython_path():
    with pytest.raises(SimulationBlowUpError, match=r"euler with dt = 0\.5 ms blew up at t = "):
        simulate(
            get_preset("dayan_abbott"),
            current=100 * uA / cm**2,
            duration=50 * ms,
            dt=0.5 * ms,
            method="euler",
            fast=True,
        )


def test_blow_up_is_reported_on_the_fast_cpp_standalone_path():
    preset = get_preset("dayan_abbott")
    dt, duration = 0.5 * ms, 50 * ms
    result, final, folder = _standalone_run(preset, "euler", dt, duration, 100 * uA / cm**2)
    # Brian2 suffixes a code object's name (``_1``, ...) while an older one of the same
    # name is still alive in the process, so look the file up by pattern.
    (source_file,) = (Path(folder) / "code_objects").glob("hh_stateupdater_codeobject*.cpp")
    source = source_file.read_text()
    makefile = (Path(folder) / "makefile").read_text()
    assert "-ffast-math" in makefile and "-fno-finite-math-only" not in makefile
    assert fastpath.FAST_EXPREL_NAME in source
    assert not np.all(np.isfinite(np.asarray(result.v))), "the run must actually blow up"
    with pytest.raises(SimulationBlowUpError, match=r"euler with dt = 0\.5 ms blew up at t = "):
        check_finite(result, final)


def _standalone_run(preset, method, dt, duration, current):
    """A fast cpp_standalone run of the rendered model, as hh-brian's SimulationResult."""
    folder = tempfile.mkdtemp(prefix="hh_fast_standalone_")
    set_device("cpp_standalone", directory=folder, build_on_run=False)
    try:
        model = render(preset)
        group = NeuronGroup(
            1,
            with_detector(model.equations),
            threshold=model.threshold,
            refractory=model.refractory,
            method=method,
            namespace=dict(model.namespace),
            dt=dt,
            name="hh",
            codeobj_class=fastpath.standalone_codeobj_class(True),
        )
        for name, value in resting_state(preset).items():
            setattr(group, name, value)
        group.I_inj = current
        monitor = StateMonitor(group, list(STATE_VARIABLES), record=[0], dt=dt)
        net = Network(group, monitor)
        net.run(duration, namespace={})
        with fastpath.fast_compiler_prefs(True):
            current_device.build(directory=folder, compile=True, run=True)
        traces = {name: getattr(monitor, name)[:] for name in STATE_VARIABLES}
        final = {name: np.asarray(getattr(group, name)[:]) for name in STATE_VARIABLES}
        result = SimulationResult(
            preset=preset,
            method=method,
            dt=dt,
            t=monitor.t[:],
            traces=traces,
            recorded=np.array([0]),
            spike_indices=np.array([], dtype=int),
            spike_times=np.array([]) * ms,
            n_neurons=1,
            wall_time=0.0,
        )
        return result, final, folder
    finally:
        current_device.reinit()
        set_device("runtime")


def test_the_process_floating_point_mode_is_unchanged():
    """The fast module is not linked with -ffast-math (no crtfastmath: no flush-to-zero)."""
    _run("dayan_abbott", "exponential_euler", True)
    tiny = np.finfo(float).tiny
    assert np.float64(tiny) / 2 > 0
    assert np.float64(5e-324) != 0


# ------------------------------------------------------------- caching
def test_repeated_simulate_calls_compile_once(monkeypatch):
    """Same model, new simulate() call: Brian2's Cython cache is hit, nothing is built."""
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    preset = get_preset("dayan_abbott")

    def run(current):
        simulate(preset, current=current, duration=1 * ms, dt=DT, fast=True)

    run(CURRENT)
    builds = []
    original = cython_extension_manager._get_build_extension

    def counting(*args, **kwargs):
        builds.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(cython_extension_manager, "_get_build_extension", counting)
    run(CURRENT)
    run(2 * CURRENT)  # another stimulus value is data, not code
    assert builds == [], "a repeated run compiled again"
