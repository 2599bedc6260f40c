"""The result types of the cross-validation checks, each with its own pass/fail verdict.

:class:`MethodAgreement` (identical schemes agree to round-off),
:class:`OrderEstimate` (observed against declared order), :class:`SpikeTimingCheck`
(spike times against the gold solution's) and :class:`CrossValidation`, which
holds them all; see :mod:`hh_brian.compare.crossval`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity

from hh_brian.models.cell import CellModel as Preset

#: Observed and declared order may differ by this much (asymptotic regime, finite dts).
ORDER_MARGIN = 0.25
#: Spike-time error of the gold solution (rtol = atol = 1e-12, crossings refined to
#: 1e-13 ms): differences below this are not a scheme's (ms).
GOLD_FLOOR_MS = 1e-9


@dataclass(frozen=True)
class MethodAgreement:
    """Brian2 vs reference for one method at one dt."""

    method: str
    dt: Quantity
    max_dv: Quantity
    max_dgate: float
    tolerance_v: Quantity
    tolerance_gate: float
    spikes_brian2: int
    spikes_reference: int
    spike_times_equal: bool
    brian2_wall_s: float
    reference_wall_s: float
    #: Brian2's spike times of neuron 0 (ms), kept for the timing check against gold.
    brian2_spikes_ms: tuple[float, ...] = ()
    #: The interpolation's error bound on those times (ms; see :class:`SpikeTimingCheck`).
    brian2_interpolation_bound_ms: float = 0.0
    #: Largest difference of the two engines' interpolated spike times, and the bound
    #: round-off allows (:func:`hh_brian.compare.crossval.spike_time_tolerance`).
    max_dt_spike: Quantity | None = None
    tolerance_spike_time: Quantity | None = None

    @property
    def passed(self) -> bool:
        return bool(
            self.max_dv <= self.tolerance_v
            and self.max_dgate <= self.tolerance_gate
            and self.spikes_brian2 == self.spikes_reference
            and self.spike_times_equal
        )


@dataclass(frozen=True)
class OrderEstimate:
    """Observed convergence order of one method on one engine."""

    engine: str
    method: str
    declared: int
    dts_ms: tuple[float, ...]
    errors_mV: tuple[float, ...]
    observed: float

    @property
    def passed(self) -> bool:
        return abs(self.observed - self.declared) <= ORDER_MARGIN


@dataclass(frozen=True)
class SpikeTimingCheck:
    """Spike times of one method at the working dt ``h`` and at ``h/2`` against gold.

    Spike times are interpolated crossings of ``V_spike`` (:mod:`hh_brian.core.crossings`):
    a reported time is the run's own crossing plus the interpolation's error, at most
    ``B(h) = h**2 max|v''| / (8 |v'|)`` (estimated from the samples:
    :func:`hh_brian.compare.spike_timing.interpolation_bound_ms`).  With
    ``E(h) = max_i |t_i - t_gold,i|`` the scheme's own error is at most ``E(h) + B(h)``
    and shrinks as ``h**p`` (declared order ``p``, less ``ORDER_MARGIN`` for the
    pre-asymptotic regime), so passing needs

    - the gold spike count at both ``h`` and ``h/2`` (a converged run fires the same
      spikes; a spike gained or lost at this dt fails the check and says so), and
    - ``E(h/2) <= B(h/2) + 2**-(p - ORDER_MARGIN) (E(h) + B(h)) + GOLD_FLOOR_MS``
      (the floor: the gold solution's own error).
    """

    method: str
    engine: str
    n_spikes: int
    n_gold: int
    mean_error_ms: float
    max_error_ms: float
    #: Working dt h (ms) and the method's declared order p.
    dt_ms: float = float("nan")
    declared: int = 1
    #: Spike count of the run at h/2.
    n_spikes_half: int = -1
    #: E(h) = max |t - t_gold| and E(h/2) (ms).  (Historical names: these were centred
    #: on the step's middle while Brian2 reported the step's start.)
    centred_error_ms: float = float("nan")
    centred_error_half_ms: float = float("nan")
    #: The interpolation's error bounds B(h) and B(h/2) (ms).
    interpolation_bound_ms: float = 0.0
    interpolation_bound_half_ms: float = 0.0

    @property
    def error_bound_half_ms(self) -> float:
        """Largest E(h/2) (ms) consistent with E(h) and order p (see the class doc)."""
        shrink = 2.0 ** -(self.declared - ORDER_MARGIN)
        scheme = shrink * (self.centred_error_ms + self.interpolation_bound_ms)
        return self.interpolation_bound_half_ms + scheme + GOLD_FLOOR_MS

    @property
    def passed(self) -> bool:
        if not (self.n_spikes == self.n_spikes_half == self.n_gold):
            return False
        if self.n_gold == 0:
            return True
        return bool(self.centred_error_half_ms <= self.error_bound_half_ms)


@dataclass
class CrossValidation:
    """Everything :func:`~hh_brian.compare.crossval.cross_validate` measured, with a verdict."""

    preset: Preset
    current: Quantity
    duration: Quantity
    dt: Quantity
    amplification: float
    agreements: list[MethodAgreement] = field(default_factory=list)
    orders: list[OrderEstimate] = field(default_factory=list)
    spike_timing: list[SpikeTimingCheck] = field(default_factory=list)
    unit_check: str = ""

    @property
    def passed(self) -> bool:
        checks = [*self.agreements, *self.orders, *self.spike_timing]
        return bool(checks) and all(c.passed for c in checks)


__all__ = [
    "ORDER_MARGIN",
    "CrossValidation",
    "MethodAgreement",
    "OrderEstimate",
    "SpikeTimingCheck",
]
