"""The receptor model :class:`SynapsePreset`: conductance kinetics, reversal, Mg²⁺ block.

A :class:`SynapsePreset` describes one receptor type: its conductance kinetics
(exponential or normalised bi-exponential), reversal potential, optional
Mg²⁺ block, a nominal weight, the voltage convention its reversal potential is
written in, and its source.  The built-in presets are in
:mod:`hh_brian.models.synapse_library`, their Brian2 rendering in
:mod:`hh_brian.models.synapse_equations`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Quantity, mM, ms, mV, second, siemens, volt

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
        >>> from hh_brian.models.synapse_library import COBAHH_EXC
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


__all__ = ["BIEXPONENTIAL", "EXPONENTIAL", "KINETICS", "MG_HALF", "MG_SLOPE", "SynapsePreset"]
