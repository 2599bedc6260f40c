"""The benchmark protocol's Brian2 model (Dayan & Abbott HH).

:func:`equations` uses the package's renderer (``hh_brian.render.brian2``) when it is
importable and falls back to the hand-written text below otherwise.

Protocol (FACTS.md, "Performance anchors"): dt = 0.01 ms; neuron i gets the
constant current i/N * 0.2 uA/mm^2; V = -65 mV and the gates at x_inf(-65 mV);
threshold and refractoriness ``v > -20*mV`` (counts upward crossings).
"""

from __future__ import annotations

import math

# Rates in the lecture's modern table (Dayan & Abbott 2001, section 5.6), with
# every x/(1 - exp(-x/k)) written through exprel so that it is finite at 0.
# The numbers are written exactly as in the C reference loop
# (benchmarks/c_reference/hh_expeuler.c), so that both evaluate the same terms.
DA_EQUATIONS = """
dv/dt = (g_L*(E_L - v) + g_K*n**4*(E_K - v) + g_Na*m**3*h*(E_Na - v) + I)/C_m : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
alpha_m = 1.0/exprel(-0.1*(v + 40*mV)/mV)/ms : Hz
beta_m = 4*exp(-0.0556*(v + 65*mV)/mV)/ms : Hz
alpha_h = 0.07*exp(-0.05*(v + 65*mV)/mV)/ms : Hz
beta_h = 1/(1 + exp(-0.1*(v + 35*mV)/mV))/ms : Hz
alpha_n = 0.1/exprel(-0.1*(v + 55*mV)/mV)/ms : Hz
beta_n = 0.125*exp(-0.0125*(v + 65*mV)/mV)/ms : Hz
I : amp/meter**2 (constant)
"""

THRESHOLD_MV = -20.0
THRESHOLD = "v > -20*mV"
REFRACTORY = "v > -20*mV"
DT_MS = 0.01
I_MAX_UA_PER_MM2 = 0.2


def _rates_mv(v: float) -> dict[str, float]:
    """The six rates (1/ms) at v (mV), in plain floats, for the initial state."""

    def exprel(x: float) -> float:
        return 1.0 if x == 0 else math.expm1(x) / x

    return {
        "m": (1.0 / exprel(-0.1 * (v + 40)), 4 * math.exp(-0.0556 * (v + 65))),
        "h": (0.07 * math.exp(-0.05 * (v + 65)), 1 / (1 + math.exp(-0.1 * (v + 35)))),
        "n": (0.1 / exprel(-0.1 * (v + 55)), 0.125 * math.exp(-0.0125 * (v + 65))),
    }


def initial_gates(v_mv: float = -65.0) -> dict[str, float]:
    """x_inf(v) = alpha/(alpha+beta) for m, h, n."""
    return {x: a / (a + b) for x, (a, b) in _rates_mv(v_mv).items()}


def namespace() -> dict:
    """Parameter values with units (requires brian2)."""
    from brian2 import mm, msiemens, mV, nF

    return {
        "g_Na": 1.2 * msiemens / mm**2,
        "g_K": 0.36 * msiemens / mm**2,
        "g_L": 0.003 * msiemens / mm**2,
        "E_Na": 50 * mV,
        "E_K": -77 * mV,
        "E_L": -54.387 * mV,
        "C_m": 10 * nF / mm**2,
    }


def equations(use_render: bool = True) -> tuple[str, dict, str]:
    """Return (equation text, namespace, source) for the Dayan & Abbott model.

    With ``use_render`` the package renderer (``hh_brian.render.brian2``) is used when
    importable; ``source`` says which text was used: ``"hh_brian.render.brian2"`` or
    ``"benchmarks/brian_model.py"``. Either way the current is called ``I``,
    and threshold/refractory are :data:`THRESHOLD`/:data:`REFRACTORY`.
    """
    if use_render:
        try:
            from hh_brian.models.presets import get_preset
            from hh_brian.render.brian2 import render
        except ImportError:
            pass
        else:
            rendered = render(get_preset("dayan_abbott"))
            text = rendered.equations.replace("I_inj", "I")
            if "I : amp/meter**2" in text:
                text = text.replace("I : amp/meter**2", "I : amp/meter**2 (constant)")
            return text, dict(rendered.namespace), "hh_brian.render.brian2"
    return DA_EQUATIONS, namespace(), "benchmarks/brian_model.py"


def build_group(
    n_neurons: int,
    method: str,
    equations_text: str | None = None,
    ns=None,
    codeobj_class=None,
):
    """NeuronGroup + SpikeMonitor(record=False) for the benchmark protocol.

    ``codeobj_class`` is passed to the NeuronGroup (e.g. hh-brian's fast code
    objects from :mod:`hh_brian.engines.brian2.fastpath`); None is Brian2's default.
    """
    import numpy as np
    from brian2 import NeuronGroup, SpikeMonitor, mm, mV, uA

    if equations_text is None:
        equations_text, ns, _ = equations()
    group = NeuronGroup(
        n_neurons,
        equations_text,
        threshold=THRESHOLD,
        refractory=REFRACTORY,
        method=method,
        namespace=ns,
        name="hh",
        codeobj_class=codeobj_class,
    )
    group.v = -65 * mV
    for gate, value in initial_gates().items():
        setattr(group, gate, value)
    group.I = np.arange(n_neurons) / n_neurons * I_MAX_UA_PER_MM2 * uA / mm**2
    monitor = SpikeMonitor(group, record=False, name="spikes")
    return group, monitor
