"""Conductance-based synapses: presets with units and citations, rendered to Brian2.

A :class:`SynapsePreset` describes one receptor type: its conductance kinetics
(exponential or normalised bi-exponential), reversal potential, optional
Mg²⁺ block, a nominal weight, the voltage convention its reversal potential is
written in, and its source.  :func:`render_synapses` turns a tuple of presets
into Brian2 equation lines to append to a neuron's equations, and the
``on_pre`` statements a Brian2 ``Synapses`` object executes for a spike.

Conventions
-----------
* Conductances live in the *postsynaptic* NeuronGroup (one set of state
  variables per neuron and receptor, as in Brian2's ``examples/COBAHH.py``);
  a presynaptic spike increments them by the connection's weight (siemens).
* The synaptic current is physical (positive depolarises) and absolute (amp):
  ``I_X = sign*g_X*(E_X - v)`` with ``sign`` the preset's convention sign, so
  that it can be passed to :func:`hh_brian.render.brian2.render` as an
  ``extra_currents`` entry.  Per-area neuron presets need an area first
  (:meth:`hh_brian.models.presets.Preset.with_area`).
* Bi-exponential kinetics are two independent decays,
  ``g_X = g_X_decay - g_X_rise``, both incremented by ``K_X*w``; ``K_X``
  normalises the peak of a single event to ``w``:
  ``g(t) = w*K*(exp(-t/tau_decay) - exp(-t/tau_rise))``.
* Every equation is linear in its own variable, so Brian2's
  ``exponential_euler`` integrates the conductances exactly.

Exponential Euler and the NMDA Mg²⁺ block
-----------------------------------------
``I_NMDA = g*B(v)*(E - v)`` is not linear in ``v``.  Brian2 2.9 does not refuse
it: ``get_conditionally_linear_system`` expands ``dv/dt``, collects the terms
proportional to ``v`` and accepts the split ``dv/dt = A(v)*v + B(v)`` without
checking that ``A`` and ``B`` are free of ``v`` (``exp(-0.062*v/mV)`` is not a
power of ``v``, so the check passes).  The update
``v <- (v + B/A)*exp(A*dt) - B/A`` is then evaluated with ``A`` and ``B`` at the
start of the step, i.e. with the block frozen over one step, exactly as the
gating rates are.  The scheme stays first-order consistent (it is no longer
exact for the frozen system's v-dependence); ``tests/test_synapses.py`` measures
its observed order against an rk4 reference.

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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from brian2 import Quantity, get_dimensions, mM, ms, mV, nS, second, siemens, volt
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.conventions import MODERN, VoltageConvention
from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import check_dimensions
from hh_brian.models.presets import Citation

EXPONENTIAL = "exponential"
BIEXPONENTIAL = "biexponential"
KINETICS = (EXPONENTIAL, BIEXPONENTIAL)

#: Jahr & Stevens (1990): B(V) = 1/(1 + [Mg]_o/MG_HALF * exp(-MG_SLOPE*V)), V modern.
MG_HALF = 3.57 * mM
MG_SLOPE = 0.062 / mV

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


def _check(value: object, unit: Quantity, what: str, example: str, *, positive: bool) -> Quantity:
    if not isinstance(value, Quantity | int | float | np.number) or np.ndim(value) != 0:
        raise HHBrianInputError(f"{what}: expected one quantity such as {example}, got {value!r}")
    check_dimensions(value, unit, what=what, example=example)
    magnitude = float(np.asarray(value))
    if not math.isfinite(magnitude) or (positive and magnitude <= 0):
        need = "positive and finite" if positive else "finite"
        raise HHBrianInputError(f"{what}: must be {need}, got {value!r}; e.g. {example}")
    return Quantity(value)


@dataclass(frozen=True, eq=False)
class SynapsePreset:
    """An immutable receptor model with units and a citation.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"ampa"``.
    label : str
        Suffix of the Brian2 variables (``g_<label>``, ``E_<label>``, ``I_<label>``).
    title : str
    kinetics : {'exponential', 'biexponential'}
    E_rev : Quantity
        Reversal potential (volt) in :attr:`convention`.
    tau_decay : Quantity
    tau_rise : Quantity or None
        Required for bi-exponential kinetics, ``tau_rise < tau_decay``.
    weight : Quantity
        Nominal peak conductance of one event (siemens); connections override it.
    mg_block : bool
        Multiply the conductance by the Jahr & Stevens (1990) block ``B(V)``.
    mg : Quantity
        Extracellular [Mg²⁺] (molar), used only with ``mg_block``.
    convention : VoltageConvention
    citation : Citation
    notes : tuple of str
        Derivations and departures from the source.
    """

    name: str
    label: str
    title: str
    kinetics: str
    E_rev: Quantity
    tau_decay: Quantity
    tau_rise: Quantity | None
    weight: Quantity
    citation: Citation
    mg_block: bool = False
    mg: Quantity = field(default_factory=lambda: 1 * mM)
    convention: VoltageConvention = MODERN
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        what = f"synapse {self.name!r}"
        if self.kinetics not in KINETICS:
            raise HHBrianInputError(f"{what}: kinetics {self.kinetics!r}; use one of {KINETICS}")
        if not self.label.isidentifier():
            raise HHBrianInputError(
                f"{what}: label {self.label!r} is not an identifier; use e.g. 'ampa'"
            )
        _check(self.E_rev, volt, f"{what} E_rev", "'0*mV'", positive=False)
        _check(self.tau_decay, second, f"{what} tau_decay", "'5*ms'", positive=True)
        _check(self.weight, siemens, f"{what} weight", "'6*nS'", positive=False)
        if float(self.weight) < 0:
            raise HHBrianInputError(
                f"{what} weight: {self.weight!r} is negative; conductances are >= 0, and "
                "inhibition comes from the reversal potential (e.g. E_rev = -80*mV)"
            )
        _check(self.mg, mM, f"{what} mg", "'1*mM'", positive=False)
        if float(self.mg) < 0:
            raise HHBrianInputError(f"{what} mg: must be >= 0, got {self.mg!r}; e.g. '1*mM'")
        if self.kinetics == BIEXPONENTIAL:
            if self.tau_rise is None:
                raise HHBrianInputError(f"{what}: bi-exponential kinetics need tau_rise, e.g. 1*ms")
            _check(self.tau_rise, second, f"{what} tau_rise", "'1*ms'", positive=True)
            if not self.tau_rise < self.tau_decay:
                raise HHBrianInputError(
                    f"{what}: tau_rise {self.tau_rise!r} must be shorter than tau_decay "
                    f"{self.tau_decay!r}"
                )
        elif self.tau_rise is not None:
            raise HHBrianInputError(f"{what}: exponential kinetics take no tau_rise; pass None")

    # -- derived quantities ---------------------------------------------------
    @property
    def peak_time(self) -> Quantity:
        """Time from a spike to the conductance peak (0 for exponential kinetics).

        For the bi-exponential, ``t_peak = tau_r*tau_d/(tau_d - tau_r)*ln(tau_d/tau_r)``.
        """
        if self.kinetics == EXPONENTIAL:
            return 0 * ms
        td, tr = self.tau_decay, self.tau_rise
        return tr * td / (td - tr) * math.log(float(td / tr))

    @property
    def peak_factor(self) -> float:
        """``K`` with ``K*(exp(-t_p/tau_d) - exp(-t_p/tau_r)) = 1`` (1 if exponential)."""
        if self.kinetics == EXPONENTIAL:
            return 1.0
        tp = self.peak_time
        return 1.0 / float(np.exp(-tp / self.tau_decay) - np.exp(-tp / self.tau_rise))

    def conductance(self, t: Quantity, weight: Quantity | None = None) -> Quantity:
        """Analytic conductance ``t`` after one presynaptic spike (0 for t < 0).

        >>> from brian2 import ms
        >>> float(COBAHH_EXC.conductance(5 * ms) / COBAHH_EXC.weight)  # exp(-1)
        0.36787944117144233
        """
        w = self.weight if weight is None else weight
        t_s = np.asarray(t / second, dtype=float)
        after = t_s >= 0
        t_pos = np.where(after, t_s, 0.0)
        shape = np.exp(-t_pos / float(self.tau_decay / second))
        if self.kinetics == BIEXPONENTIAL:
            shape = self.peak_factor * (shape - np.exp(-t_pos / float(self.tau_rise / second)))
        return w * np.where(after, shape, 0.0)

    def block(self, v: Quantity) -> np.ndarray:
        """Jahr & Stevens (1990) unblocked fraction at *v* (this preset's convention)."""
        if not self.mg_block:
            return np.ones(np.shape(v))
        v_modern = self.convention.to_modern(v)
        return 1.0 / (1.0 + float(self.mg / MG_HALF) * np.exp(-np.asarray(MG_SLOPE * v_modern)))

    # -- variants -------------------------------------------------------------
    def with_parameters(self, **overrides: object) -> SynapsePreset:
        """A copy with some of E_rev, tau_decay, tau_rise, weight, mg replaced (checked)."""
        allowed = ("E_rev", "tau_decay", "tau_rise", "weight", "mg", "label")
        for name in overrides:
            if name not in allowed:
                raise HHBrianInputError(
                    f"synapse {self.name!r} has no parameter {name!r}."
                    f"{closest_names(name, allowed)} Known: {', '.join(allowed)}"
                )
        return replace(self, **overrides)

    def in_convention(self, convention: VoltageConvention) -> SynapsePreset:
        """The same receptor with E_rev expressed in another voltage convention."""
        if convention == self.convention:
            return self
        e_modern = self.convention.to_modern(self.E_rev)
        return replace(self, E_rev=convention.from_modern(e_modern), convention=convention)


# ---------------------------------------------------------------------------
# Built-in presets
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RenderedSynapses:
    """Equation lines and namespace for a neuron's synaptic conductances.

    Attributes
    ----------
    equations : str
        Lines to append to the neuron's equations; define ``I_syn`` (amp).
    namespace : dict
        ``E_<label>``, ``tau_decay_<label>``, ... with units.
    on_pre : dict
        label -> statement for a Brian2 ``Synapses`` ``on_pre``, with the
        weight named ``w``.
    conductances : dict
        label -> name of the total conductance variable (``g_<label>``).
    """

    presets: tuple[SynapsePreset, ...]
    equations: str
    namespace: dict[str, object]
    on_pre: dict[str, str]
    conductances: dict[str, str]


def check_conventions(presets: Sequence[SynapsePreset], convention: VoltageConvention) -> None:
    """Reject presets whose voltage convention differs from the neuron's (or each other's)."""
    for p in presets:
        if p.convention != convention:
            raise HHBrianInputError(
                f"synapse {p.name!r} is written in the {p.convention.name} convention but the "
                f"neuron uses {convention.name}; convert it with "
                f"preset.in_convention(<the neuron preset>.convention)"
            )


def _modern_v(convention: VoltageConvention) -> str:
    if convention.sign > 0 and float(convention.offset) == 0:
        return "v"
    sign = "+" if convention.sign > 0 else "-"
    return f"({float(convention.offset / mV):g}*mV {sign} v)"


def render_synapses(
    presets: Sequence[SynapsePreset], convention: VoltageConvention = MODERN
) -> RenderedSynapses:
    """Brian2 lines for the conductances and the physical current ``I_syn`` (amp).

    Parameters
    ----------
    presets : sequence of SynapsePreset
        Distinct labels; each must use *convention*.
    convention : VoltageConvention
        The neuron's voltage convention.

    Returns
    -------
    RenderedSynapses
    """
    presets = tuple(presets)
    if not presets:
        raise HHBrianInputError("render_synapses: give at least one synapse preset, e.g. (AMPA,)")
    labels = [p.label for p in presets]
    if len(set(labels)) != len(labels):
        raise HHBrianInputError(
            f"synapse labels must be distinct, got {labels}; use preset.with_parameters(label=...)"
        )
    check_conventions(presets, convention)
    sign = "" if convention.sign > 0 else "-"
    lines: list[str] = []
    namespace: dict[str, object] = {}
    on_pre: dict[str, str] = {}
    conductances: dict[str, str] = {}
    for p in presets:
        x = p.label
        namespace[f"E_{x}"] = p.E_rev
        namespace[f"tau_decay_{x}"] = p.tau_decay
        if p.kinetics == EXPONENTIAL:
            lines.append(f"dg_{x}/dt = -g_{x}/tau_decay_{x} : siemens")
            on_pre[x] = f"g_{x}_post += w"
        else:
            namespace[f"tau_rise_{x}"] = p.tau_rise
            namespace[f"K_{x}"] = p.peak_factor
            lines += [
                f"dg_{x}_decay/dt = -g_{x}_decay/tau_decay_{x} : siemens",
                f"dg_{x}_rise/dt = -g_{x}_rise/tau_rise_{x} : siemens",
                f"g_{x} = g_{x}_decay - g_{x}_rise : siemens",
            ]
            on_pre[x] = f"g_{x}_decay_post += K_{x}*w\ng_{x}_rise_post += K_{x}*w"
        conductances[x] = f"g_{x}"
        if p.mg_block:
            namespace[f"Mg_{x}"] = p.mg
            namespace["Mg_half"] = MG_HALF
            namespace["Mg_slope"] = MG_SLOPE
            v_modern = _modern_v(convention)
            lines.append(f"B_{x} = 1/(1 + Mg_{x}/Mg_half*exp(-Mg_slope*{v_modern})) : 1")
            lines.append(f"I_{x} = {sign}g_{x}*B_{x}*(E_{x} - v) : amp")
        else:
            lines.append(f"I_{x} = {sign}g_{x}*(E_{x} - v) : amp")
    lines.append(f"I_syn = {' + '.join(f'I_{x}' for x in labels)} : amp")
    return RenderedSynapses(presets, "\n".join(lines), namespace, on_pre, conductances)


def state_variables(preset: SynapsePreset) -> tuple[str, ...]:
    """The differential variables a preset adds (all start at 0 siemens)."""
    x = preset.label
    return (f"g_{x}",) if preset.kinetics == EXPONENTIAL else (f"g_{x}_decay", f"g_{x}_rise")


def _display(value: object) -> str:
    if not isinstance(value, Quantity) or get_dimensions(value) is DIMENSIONLESS:
        return f"{float(value):.12g}"
    for unit, text in ((mV, "mV"), (ms, "ms"), (mM, "mM"), (1 / mV, "1/mV"), (nS, "nS")):
        if get_dimensions(unit) is get_dimensions(value):
            magnitude = float(value / unit)
            return f"{magnitude:.12g}/mV" if text == "1/mV" else f"{magnitude:.12g}*{text}"
    return repr(value)


def synapse_file_text(preset: SynapsePreset) -> str:
    """A preset's rendered equations with a commented header (``equations/synapses/``)."""
    rendered = render_synapses((preset,), preset.convention)
    head = [
        f"# hh-brian synapse preset: {preset.name}",
        f"# {preset.title}",
        f"# Source: {preset.citation}",
        f"# Convention: {preset.convention.name}; I_syn is physical (positive depolarises), amp",
        "# Regenerate: hh-brian render --all --write equations/ (or: hh-brian network synapses "
        "--write equations/synapses/)",
        "#",
        "# Namespace:",
    ]
    for name, value in rendered.namespace.items():
        head.append(f"#   {name} = {_display(value)}")
    head.append(f"# on_pre (w = connection weight, siemens): {rendered.on_pre[preset.label]!r}")
    head.append(f"# Peak {preset.peak_factor:.12g}*w at {float(preset.peak_time / ms):.9g} ms")
    head += [f"# Note: {note}" for note in preset.notes]
    head.append("#")
    return "\n".join(head) + "\n" + rendered.equations + "\n"


def expected_synapse_files() -> dict[str, str]:
    """File name -> text for every built-in synapse preset."""
    return {f"{p.name}.eqs": synapse_file_text(p) for p in SYNAPSE_PRESETS.values()}


def write_synapse_files(folder: str) -> list:
    """(Re)write ``equations/synapses/*.eqs`` atomically; returns the paths."""
    from pathlib import Path

    from hh_brian.core.output import write_text_atomic

    target = Path(folder)
    if not target.is_dir():
        raise HHBrianInputError(f"folder: {folder!r} does not exist; create it (mkdir -p {folder})")
    return [write_text_atomic(target / n, text) for n, text in expected_synapse_files().items()]


__all__ = [
    "AMPA",
    "COBAHH_EXC",
    "COBAHH_INH",
    "GABA_A",
    "GABA_B",
    "NMDA",
    "RenderedSynapses",
    "SYNAPSE_PRESETS",
    "SynapsePreset",
    "get_synapse",
    "render_synapses",
    "write_synapse_files",
]
