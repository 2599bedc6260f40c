"""NEST backend: ``hh_psc_alpha`` and ``hh_cond_exp_traub``, absolute units.

NEST neurons are point neurons in absolute units, so densities are multiplied
by the area A (preset's area or 100 µm²; A [cm²] = A [µm²]·1e-8):
C_m [pF] = C [µF/cm²]·A·1e6, g [nS] = g [mS/cm²]·A·1e6, I [pA] = J [µA/cm²]·A·1e6.

What NEST 3.10 implements (``models/hh_psc_alpha.cpp``, ``hh_cond_exp_traub.cpp``):

- ``hh_psc_alpha``: the 1952 rates in the modern map, written without a
  guard (alpha_n = 0.01(V+55)/(1-exp(-(V+55)/10)), beta_m = 4 exp(-(V+65)/18),
  beta_n = 0.125 exp(-(V+65)/80), ...), **no temperature factor** (6.3 °C);
  defaults g_Na 12000 nS, g_K 3600 nS, g_L 30 nS, C_m 100 pF (i.e. the squid
  densities on 10⁴ µm²), E_Na 50, E_K -77 and **E_L = -54.402 mV** (neither
  Dayan & Abbott's -54.387 nor NEURON's -54.3).  It therefore expresses
  ``neuron_hh`` and ``hh1952`` exactly (phi = 1), but not ``dayan_abbott``
  (beta_m with 0.0556/mV instead of 1/18).
- ``hh_cond_exp_traub``: the Traub-Miles rates in V - V_T, V_T settable;
  defaults g_Na 20000 nS, g_K 6000 nS, g_L 10 nS, C_m 200 pF, E_L -60 mV
  (the COBAHH densities on 20000 µm²).  No temperature factor either.
- Both integrate with GSL's adaptive RKF45 (``gsl_odeiv_control_y_new(1e-3, 0)``:
  absolute tolerance 1e-3 on every state, mV and gates alike, no relative
  tolerance) within each step of the resolution; "dt" here is the resolution.
- Their own spike rule is "V >= 0 mV (V_T + 30 for Traub) and falling", i.e.
  the sample after the peak, plus a 2 ms dead time; we detect spikes on the
  recorded V instead.
- Initial gates are set explicitly: NEST only equilibrates them at its own
  default V_m, not when V_m is changed.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np

from hh_brian.engines.simulators import SimulatorCannotExpress, SimulatorTrace, require
from hh_brian.engines.simulators.cell import CellModel, cell_model_from_preset
from hh_brian.engines.simulators.common import spike_times
from hh_brian.engines.simulators.nest_stimulus import connect, plan
from hh_brian.engines.simulators.nest_stimulus import refusal as stimulus_refusal
from hh_brian.engines.simulators.protocol import Protocol, constant_protocol

#: The rates hh_psc_alpha hard-codes, as plain (mV, 1/ms) text (NEST 3.10 source).
HH_PSC_ALPHA_RATES = {
    "alpha_n": "0.01 * (v + 55.0) / (1.0 - exp(-(v + 55.0) / 10.0))",
    "beta_n": "0.125 * exp(-(v + 65.0) / 80.0)",
    "alpha_m": "0.1 * (v + 40.0) / (1.0 - exp(-(v + 40.0) / 10.0))",
    "beta_m": "4.0 * exp(-(v + 65.0) / 18.0)",
    "alpha_h": "0.07 * exp(-(v + 65.0) / 20.0)",
    "beta_h": "1.0 / (1.0 + exp(-(v + 35.0) / 10.0))",
}

#: Kinetics each NEST model reproduces exactly.
EXPRESSIBLE = {
    "neuron_hh": "hh_psc_alpha",
    "hh1952": "hh_psc_alpha",
    "traub_miles": "hh_cond_exp_traub",
}
#: Closest NEST model for the rest, with what differs.
CLOSEST = {
    "dayan_abbott": ("hh_psc_alpha", "beta_m uses 1/18 per mV, not 0.0556"),
    "lecture07": ("hh_psc_alpha", "beta_m uses 1/18 per mV, not 0.0556"),
    "pyramidal": ("hh_psc_alpha", "squid rates, not the pyramidal-cell rates"),
    "dayan_abbott_thermodynamic_n": ("hh_psc_alpha", "HH's n-gate rates, not exponential ones"),
}
SCHEME = (
    "GSL RKF45, adaptive (abs. tol. 1e-3 on all states, rel. tol. 0) within each resolution step"
)


def implemented_model(preset, *, approximate: bool = False) -> tuple[str, CellModel, list[str]]:
    """(NEST model name, the CellModel NEST integrates, notes) for *preset*.

    Raises :class:`SimulatorCannotExpress` unless NEST has this preset's
    kinetics at phi = 1, or ``approximate=True`` (then the closest model runs
    with the preset's parameters, and the notes say what differs).
    """
    model = cell_model_from_preset(preset)
    notes = []
    kinetics = model.kinetics
    if kinetics in EXPRESSIBLE and abs(model.phi - 1.0) < 1e-12:
        nest_model = EXPRESSIBLE[kinetics]
    else:
        if kinetics in EXPRESSIBLE:
            nest_model, why = (
                EXPRESSIBLE[kinetics],
                (f"NEST's models have no temperature factor (phi = {model.phi:.6g} here)"),
            )
        else:
            nest_model, why = CLOSEST.get(kinetics, ("hh_psc_alpha", "user-defined rates"))
        if not approximate:
            raise SimulatorCannotExpress(
                f"NEST cannot express preset {model.name!r} (kinetics {kinetics!r}): its closest "
                f"model is {nest_model!r}, where {why}. NEST expresses exactly: "
                f"{', '.join(sorted(EXPRESSIBLE))} at phi = 1. Pass approximate=True to run "
                f"{nest_model!r} with the preset's parameters anyway, or use NEURON or MOOSE."
            )
        notes.append(f"APPROXIMATE: {nest_model} used for {model.name!r}; {why}.")
    if nest_model == "hh_psc_alpha":
        model = replace(
            model, rate_text=dict(HH_PSC_ALPHA_RATES), q10=1.0, celsius=model.celsius_ref
        )
    elif abs(model.phi - 1.0) > 1e-12:
        model = replace(model, q10=1.0, celsius=model.celsius_ref)
    if model.convention == "hh1952":
        notes.append("hh1952 preset run in the modern map V = -65 mV - V_HH inside NEST.")
    return nest_model, model, notes


def _nest():
    os.environ.setdefault("PYNEST_QUIET", "1")
    return require("nest", "nest-simulator==3.10.0", "nest")


def run(
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    stimulus: str = "I_e",
    approximate: bool = False,
    protocol: Protocol | None = None,
) -> SimulatorTrace:
    """Run *preset* in NEST at resolution *dt_ms*.

    *protocol* (:mod:`.protocol`), when given, replaces the constant
    *current_density_uA_cm2*.  A protocol whose current never changes is a
    constant current (``I_e`` or the dc_generator, as below); any other is
    expressed by :mod:`.nest_stimulus` (step-current and AC generators).

    ``stimulus="I_e"`` (default) sets the neuron's constant current, active from
    t = 0.  ``"dc_generator"`` drives it through a dc_generator connected with
    delay = resolution: the current then reaches the neuron's equations two
    steps late (one step of connection delay, one because NEST reads the
    buffered current at the end of a step), a trap documented in the notes.
    """
    if stimulus not in ("I_e", "dc_generator"):
        raise ValueError(f"stimulus must be 'I_e' or 'dc_generator', got {stimulus!r}")
    nest = _nest()
    nest_model, model, notes = implemented_model(preset, approximate=approximate)
    area = model.area_cm2
    if protocol is None:
        protocol = constant_protocol(current_density_uA_cm2, duration_ms, dt_ms)
    constant = protocol.constant
    nest_plan = None if constant is not None else plan(protocol, area * 1e6)
    if nest_plan is not None and stimulus != "I_e":
        raise ValueError(f"stimulus={stimulus!r} is for a constant current only")
    state = model.resting_state()
    nest.ResetKernel()
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    tics = max(1000, int(round(10.0 / dt_ms)) * 100)
    nest.SetKernelStatus({"tics_per_ms": tics, "resolution": dt_ms, "local_num_threads": 1})
    # The multimeter hands data over once per min_delay slice; with the default
    # 1 ms the last slice of the run is lost unless min_delay = resolution.
    nest.SetKernelStatus({"min_delay": dt_ms, "max_delay": dt_ms})
    nest.SetDefaults("static_synapse", {"delay": dt_ms})
    params = {
        "C_m": model.C_m * area * 1e6,
        "g_Na": model.g_Na * area * 1e6,
        "g_K": model.g_K * area * 1e6,
        "g_L": model.g_L * area * 1e6,
        "E_Na": model.E_Na,
        "E_K": model.E_K,
        "E_L": model.E_L,
        "V_m": state["v"],
        "Act_m": state["m"],
        "Inact_h": state["h"],
        "Act_n": state["n"],
    }
    if nest_model == "hh_cond_exp_traub":
        params["V_T"] = model.extra["V_T"]
    neuron = nest.Create(nest_model, params=params)
    if nest_plan is not None:
        connect(nest, neuron, nest_plan, dt_ms)
        expressed = nest_plan.description
        notes += nest_plan.notes
    elif stimulus == "I_e":
        neuron.I_e = constant * area * 1e6
        expressed = f"I_e = {constant * area * 1e6:.6g} pA from t = 0"
    else:
        dc = nest.Create("dc_generator", params={"amplitude": constant * area * 1e6})
        nest.Connect(dc, neuron, syn_spec={"delay": dt_ms})
        notes.append("dc_generator: current reaches the neuron 2 resolution steps after t = 0.")
        expressed = f"dc_generator {constant * area * 1e6:.6g} pA (2 steps late)"
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt_ms})
    nest.Connect(meter, neuron)
    start = time.perf_counter()
    first = nest_plan.first_I_e if nest_plan is not None else []
    for value in first:
        neuron.I_e = value
        nest.Simulate(dt_ms)
    if nest_plan is not None:
        neuron.I_e = 0.0  # the generators carry the current from the third step on
    # The multimeter delivers a step's sample one step late: run one more step.
    nest.Simulate(duration_ms - len(first) * dt_ms + dt_ms)
    wall = time.perf_counter() - start
    events = meter.events
    keep = np.asarray(events["times"]) <= duration_ms + dt_ms / 2
    t = np.concatenate([[0.0], np.asarray(events["times"], dtype=float)[keep]])
    v = np.concatenate([[state["v"]], np.asarray(events["V_m"], dtype=float)[keep]])
    nest.ResetKernel()
    notes.append(f"NEST model {nest_model}; area {model.area_um2:g} um^2 for absolute units.")
    return SimulatorTrace(
        simulator="nest",
        preset=model.name,
        dt_ms=dt_ms,
        t_ms=t,
        v_mV=v,
        spikes_ms=spike_times(t, v, v_threshold_mV),
        wall_s=wall,
        scheme=SCHEME,
        notes=tuple(notes),
        stimulus=expressed,
    )


__all__ = ["EXPRESSIBLE", "implemented_model", "run", "stimulus_refusal"]
