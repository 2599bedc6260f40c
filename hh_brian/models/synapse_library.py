"""The built-in synapse presets (AMPA, NMDA, GABA_A, GABA_B, COBAHH), with their sources.

References
----------
Destexhe A, Mainen ZF, Sejnowski TJ (1998). Kinetic models of synaptic
transmission. In: Koch C, Segev I (eds), Methods in Neuronal Modeling, 2nd ed.,
MIT Press, pp. 1-25.
Jahr CE, Stevens CF (1990). Voltage dependence of NMDA-activated macroscopic
conductances predicted by single-channel kinetics. J Neurosci 10:3178-3182.
doi:10.1523/JNEUROSCI.10-09-03178.1990
Brette R et al. (2007). Simulation of networks of spiking neurons: a review of
tools and strategies. J Comput Neurosci 23:349-398 (benchmark 3).
"""

from __future__ import annotations

from types import MappingProxyType

from brian2 import mM, ms, mV, nS

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.models.presets import Citation
from hh_brian.models.synapse_preset import BIEXPONENTIAL, EXPONENTIAL, SynapsePreset

DESTEXHE_1998 = Citation(
    authors="Destexhe A, Mainen ZF, Sejnowski TJ",
    year=1998,
    title="Kinetic models of synaptic transmission",
    source="In: Koch C, Segev I (eds), Methods in Neuronal Modeling, 2nd ed., MIT Press, "
    "Cambridge MA, pp. 1-25",
)
JAHR_STEVENS_1990 = Citation(
    authors="Jahr CE, Stevens CF",
    year=1990,
    title="Voltage dependence of NMDA-activated macroscopic conductances predicted by "
    "single-channel kinetics",
    source="J Neurosci 10:3178-3182",
    doi="10.1523/JNEUROSCI.10-09-03178.1990",
)
BRETTE_2007 = Citation(
    authors="Brette R, Rudolph M, Carnevale T, et al.",
    year=2007,
    title="Simulation of networks of spiking neurons: a review of tools and strategies "
    "(benchmark 3, COBAHH)",
    source="J Comput Neurosci 23:349-398",
    doi="10.1007/s10827-007-0038-6",
)

_TWO_STATE = (
    "Bi-exponential from the two-state kinetic model of Destexhe et al. (1998), "
    "dr/dt = alpha*T*(1 - r) - beta*r with a transmitter pulse T_max = 1 mM: tau_rise = "
    "1/(alpha*T_max + beta) (rising phase during the pulse), tau_decay = 1/beta.  Not a fit: "
    "the kinetic model peaks at the end of its 1-ms pulse, the bi-exponential at peak_time."
)
_NOMINAL_WEIGHT = "weight is a nominal 1 nS; connections give their own."

AMPA = SynapsePreset(
    name="ampa",
    label="ampa",
    title="AMPA receptor, fast glutamatergic (excitatory)",
    kinetics=BIEXPONENTIAL,
    E_rev=0 * mV,
    tau_rise=1 / (1.1 + 0.19) * ms,
    tau_decay=1 / 0.19 * ms,
    weight=1 * nS,
    citation=DESTEXHE_1998,
    notes=(f"alpha = 1.1/(ms mM), beta = 0.19/ms. {_TWO_STATE}", _NOMINAL_WEIGHT),
)

NMDA = SynapsePreset(
    name="nmda",
    label="nmda",
    title="NMDA receptor, slow glutamatergic with Mg2+ block (Jahr & Stevens 1990)",
    kinetics=BIEXPONENTIAL,
    E_rev=0 * mV,
    tau_rise=1 / (0.072 + 0.0066) * ms,
    tau_decay=1 / 0.0066 * ms,
    weight=1 * nS,
    citation=DESTEXHE_1998,
    mg_block=True,
    mg=1 * mM,
    notes=(
        f"alpha = 0.072/(ms mM), beta = 0.0066/ms. {_TWO_STATE}",
        "Block B(V) = 1/(1 + [Mg]_o/3.57 mM * exp(-0.062/mV * V)), V the modern membrane "
        f"potential: {JAHR_STEVENS_1990}",
        _NOMINAL_WEIGHT,
    ),
)

GABA_A = SynapsePreset(
    name="gaba_a",
    label="gaba_a",
    title="GABA_A receptor, fast ionotropic Cl- (inhibitory)",
    kinetics=BIEXPONENTIAL,
    E_rev=-80 * mV,
    tau_rise=1 / (5.0 + 0.18) * ms,
    tau_decay=1 / 0.18 * ms,
    weight=1 * nS,
    citation=DESTEXHE_1998,
    notes=(f"alpha = 5/(ms mM), beta = 0.18/ms. {_TWO_STATE}", _NOMINAL_WEIGHT),
)

GABA_B = SynapsePreset(
    name="gaba_b",
    label="gaba_b",
    title="GABA_B receptor, slow metabotropic K+ (inhibitory), bi-exponential approximation",
    kinetics=BIEXPONENTIAL,
    E_rev=-95 * mV,
    tau_rise=1 / 0.033 * ms,
    tau_decay=1 / 0.0013 * ms,
    weight=1 * nS,
    citation=DESTEXHE_1998,
    notes=(
        "Approximation of Destexhe et al.'s (1998) G-protein model dR/dt = K1*T*(1 - R) - "
        "K2*R, dG/dt = K3*R - K4*G, g ~ G^n/(G^n + K_D), with K2 = 0.0013/ms and K4 = "
        "0.033/ms (n = 4, K_D = 100; the authors' gabab.mod).  After a brief pulse, G(t) is "
        "exactly the difference of exponentials with tau_rise = 1/K4 (30.3 ms) and tau_decay "
        "= 1/K2 (769 ms); this preset keeps that and drops the cooperative G^4 binding.  It "
        "peaks at ~102 ms like the full model but decays more slowly (the full model falls "
        "to half at ~266 ms) and lacks its nonlinear summation during bursts.",
        _NOMINAL_WEIGHT,
    ),
)

COBAHH_EXC = SynapsePreset(
    name="cobahh_exc",
    label="exc",
    title="COBAHH excitatory synapse: exponential conductance (Brette et al. 2007)",
    kinetics=EXPONENTIAL,
    E_rev=0 * mV,
    tau_decay=5 * ms,
    tau_rise=None,
    weight=6 * nS,
    citation=BRETTE_2007,
    notes=("Instantaneous rise; as in Brian2's examples/COBAHH.py (ge += we).",),
)

COBAHH_INH = SynapsePreset(
    name="cobahh_inh",
    label="inh",
    title="COBAHH inhibitory synapse: exponential conductance (Brette et al. 2007)",
    kinetics=EXPONENTIAL,
    E_rev=-80 * mV,
    tau_decay=10 * ms,
    tau_rise=None,
    weight=67 * nS,
    citation=BRETTE_2007,
    notes=("Instantaneous rise; as in Brian2's examples/COBAHH.py (gi += wi).",),
)

SYNAPSE_PRESETS = MappingProxyType(
    {p.name: p for p in (AMPA, NMDA, GABA_A, GABA_B, COBAHH_EXC, COBAHH_INH)}
)


def get_synapse(name: str) -> SynapsePreset:
    """Look up a built-in synapse preset by name."""
    try:
        return SYNAPSE_PRESETS[name]
    except KeyError:
        raise HHBrianInputError(
            f"unknown synapse {name!r}.{closest_names(name, SYNAPSE_PRESETS)} "
            f"Available: {', '.join(SYNAPSE_PRESETS)}"
        ) from None


__all__ = [
    "AMPA",
    "BRETTE_2007",
    "COBAHH_EXC",
    "COBAHH_INH",
    "DESTEXHE_1998",
    "GABA_A",
    "GABA_B",
    "JAHR_STEVENS_1990",
    "NMDA",
    "SYNAPSE_PRESETS",
    "get_synapse",
]
