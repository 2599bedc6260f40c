"""Cross-validation of Brian2 runs against the independent NumPy reference.

Three checks, each measured rather than asserted:

1. **Identical schemes agree to round-off.**  Brian2's ``exponential_euler``,
   ``rk4`` and ``euler`` and the reference's integrator of the same scheme are
   run with the same preset, stimulus, initial state and ``dt``; every state
   variable is compared at every step.
2. **Observed order.**  Errors against a tight-tolerance scipy solution, over
   ``dt = 2**-k``, regress to a slope that matches each method's declared order.
3. **Spikes.**  Spike counts are equal; spike times against the gold solution's,
   at dt and dt/2, shrink at the declared order (:class:`SpikeTimingCheck`).

The round-off tolerance
-----------------------
Both engines perform the same arithmetic in a different order and unit system
(Brian2 in SI, the reference in ms/mV; rate formulas written independently),
so each step differs by a local round-off of at most ``KAPPA * eps * |y|``,
where ``eps = 2**-52`` and ``KAPPA = 64`` bounds the number of roundings
along one step's dependency chain (rates, powers, sums, ``exp``).  Local
differences are propagated by the dynamics: a perturbation of the state at any
time grows by at most the amplification ``G``, which we *measure* by
perturbing the initial state of the reference run (``G = max_t |dy(t)| /
|dy(0)|``).  Summing ``n_steps`` local differences gives the bound::

    tol_V    = G * n_steps * KAPPA * eps * range(V)
    tol_gate = G * n_steps * KAPPA * eps

This is a worst case (it adds the local errors linearly); observed differences
are typically 100x smaller.  For a 100 ms run at 0.01 ms with G ~ 10 the bound
is ~1e-7 mV, four orders of magnitude below anything physical.

The report (Markdown and its convergence figure) is written by
:mod:`hh_brian.report.validation_report`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, mV, uA
from brian2.units import cm

from hh_brian.engines.brian2.simulate import (
    BRIAN2_METHODS,
    check_time_step,
    coerce_current,
    simulate,
)
from hh_brian.engines.reference import INTEGRATORS, integrate, solve_gold
from hh_brian.engines.reference_bridge import (
    initial_vector,
    reference_current,
    reference_model,
    simulate_reference,
)
from hh_brian.models.cell import CellModel as Preset

EPS = float(np.finfo(float).eps)
#: Bound on the number of roundings in one step's dependency chain (see module doc).
KAPPA = 64
#: Relative size of the initial perturbation used to measure the amplification G.
PERTURBATION = 1e-7
#: Observed and declared order may differ by this much (asymptotic regime, finite dts).
ORDER_MARGIN = 0.25


def richardson_factor(order: float, ratio: float, margin: float = ORDER_MARGIN) -> float:
    """Largest e_fine / Richardson estimate of order p when the observed order is >= p - margin.

    With e_coarse = r^q e_fine (same sign), e_fine = |t_coarse - t_fine| / (r^q - 1); an
    observed order q >= p - margin bounds it by this factor times the order-p estimate
    |t_coarse - t_fine| / (r^p - 1): (r^p - 1) / (r^(p - margin) - 1), e.g. 1.455 for
    p = 2 at r = 4 and 1.269 for p = 2 at r = 2.

    >>> round(richardson_factor(2.0, 4.0), 3)
    1.455
    """
    return (ratio**order - 1) / (ratio ** (order - margin) - 1)


#: dt ranges (ms) where each method is in its asymptotic regime on the upstroke window.
ORDER_DTS_MS = {
    "euler": tuple(2.0**-k for k in range(7, 12)),
    "exponential_euler": tuple(2.0**-k for k in range(7, 12)),
    "exponential_euler_tau": tuple(2.0**-k for k in range(7, 12)),
    "rk4": tuple(2.0**-k for k in range(6, 10)),
}
#: The order-regression window runs from rest to this long after the gold solution's
#: first threshold crossing (past the spike's peak), in ms ...
ORDER_WINDOW_AFTER_SPIKE_MS = 1.0
#: ... rounded up to a multiple of this (ms), so every dt = 2**-k divides it ...
ORDER_WINDOW_GRID_MS = 0.5
#: ... and this window when no spike occurs within ORDER_WINDOW_SEARCH_MS.
ORDER_WINDOW_MS = 2.5
ORDER_WINDOW_SEARCH_MS = 50.0
#: Errors below this (mV) are within ~100x of the gold solution's own accuracy.
GOLD_FLOOR_MV = 1e-8


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

    Brian2 reports the start of the step in which v crossed ``V_spike``, so a reported
    time is the true crossing of the run plus a quantisation in ``[-h, 0]``; shifted by
    ``h/2`` it lies within ``h/2`` of it.  With ``E(h) = max_i |t_i + h/2 - t_gold,i|``
    the scheme's own error is at most ``E(h) + h/2`` and shrinks as ``h**p`` (declared
    order ``p``, less ``ORDER_MARGIN`` for the pre-asymptotic regime), so passing needs

    - the gold spike count at both ``h`` and ``h/2`` (a converged run fires the same
      spikes; a spike gained or lost at this dt fails the check and says so), and
    - ``E(h/2) <= h/4 + 2**-(p - ORDER_MARGIN) * (E(h) + h/2)``.
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
    #: E(h) = max |t + h/2 - t_gold| and E(h/2) = max |t + h/4 - t_gold| (ms).
    centred_error_ms: float = float("nan")
    centred_error_half_ms: float = float("nan")

    @property
    def error_bound_half_ms(self) -> float:
        """Largest E(h/2) (ms) consistent with E(h) and order p (see the class doc)."""
        h = self.dt_ms
        return h / 4 + 2.0 ** -(self.declared - ORDER_MARGIN) * (self.centred_error_ms + h / 2)

    @property
    def passed(self) -> bool:
        if not (self.n_spikes == self.n_spikes_half == self.n_gold):
            return False
        if self.n_gold == 0:
            return True
        return bool(self.centred_error_half_ms <= self.error_bound_half_ms)


@dataclass
class CrossValidation:
    """Everything :func:`cross_validate` measured, with a pass/fail verdict."""

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


def amplification_factor(
    preset: Preset, current: Quantity, duration: Quantity, dt: Quantity, method: str
) -> float:
    """Measured growth G of a small initial perturbation over the run (dimensionless).

    Each state variable is perturbed in turn by ``PERTURBATION`` times its scale
    (the voltage's range over the run, 1 for the gates); G is the largest
    resulting deviation, in the same scales, divided by ``PERTURBATION``.
    """
    n_steps = check_time_step(dt, duration)
    model = reference_model(preset)
    y0 = initial_vector(preset)
    i_inj = reference_current(preset, current, dt, n_steps)
    dt_ms = float(dt / ms)
    base = integrate(model, y0, dt_ms, n_steps, method=method, i_inj=i_inj).y[:, :, 0]
    v_range = max(float(np.ptp(base[:, 0])), 1.0)
    scale = np.array([v_range] + [1.0] * (model.n_state - 1))
    growth = 1.0
    for k in range(model.n_state):
        y = y0.copy()
        # Move gates towards the interior of [0, 1] so the perturbed state is valid.
        y[k] += PERTURBATION * scale[k] * (1 if k == 0 or y[k] < 0.5 else -1)
        run = integrate(model, y, dt_ms, n_steps, method=method, i_inj=i_inj).y[:, :, 0]
        deviation = float(np.max(np.abs(run - base) / scale))
        growth = max(growth, deviation / PERTURBATION)
    return growth


def roundoff_tolerance(
    amplification: float, n_steps: int, v_range: Quantity
) -> tuple[Quantity, float]:
    """``(tol_V, tol_gate)`` from the module's round-off bound."""
    per_step = KAPPA * EPS
    return amplification * n_steps * per_step * v_range, amplification * n_steps * per_step


def compare_method(
    preset: Preset,
    current: Quantity,
    duration: Quantity,
    dt: Quantity,
    method: str,
    amplification: float,
) -> MethodAgreement:
    """Run both engines with *method* and compare every state at every step."""
    started = time.perf_counter()
    ours = simulate(preset, current=current, duration=duration, dt=dt, method=method)
    brian2_wall = time.perf_counter() - started
    started = time.perf_counter()
    ref = simulate_reference(preset, current=current, duration=duration, dt=dt, method=method)
    reference_wall = time.perf_counter() - started
    max_dv = np.max(np.abs(ours.v - ref.v))
    max_dgate = max(
        float(np.max(np.abs(ours.traces[g] - ref.traces[g]))) for g in preset.gate_names
    )
    n_steps = check_time_step(dt, duration)
    v = ref.v[0]
    tol_v, tol_gate = roundoff_tolerance(amplification, n_steps, np.max(v) - np.min(v))
    same_times = ours.spike_times.shape == ref.spike_times.shape and bool(
        np.all(np.abs(ours.spike_times - ref.spike_times) < 0.5 * dt)
    )
    return MethodAgreement(
        method=method,
        dt=dt,
        max_dv=max_dv,
        max_dgate=max_dgate,
        tolerance_v=tol_v,
        tolerance_gate=tol_gate,
        spikes_brian2=len(ours.spike_times),
        spikes_reference=len(ref.spike_times),
        spike_times_equal=same_times,
        brian2_wall_s=brian2_wall,
        reference_wall_s=reference_wall,
        brian2_spikes_ms=tuple(np.asarray(ours.spikes_of(0) / ms).tolist()),
    )


def _gold(preset: Preset, current: Quantity, t_end_ms: float, t_eval: np.ndarray):
    model = reference_model(preset)
    i_inj = float(np.asarray(reference_current(preset, current, 1 * ms, 1)))
    return solve_gold(
        model,
        initial_vector(preset),
        t_end_ms,
        i_inj=i_inj,
        t_eval=t_eval,
        rtol=1e-12,
        atol=1e-12,
        threshold=float(preset.parameters["V_spike"] / mV),
    )


def _errors_against_gold(
    preset: Preset,
    method: str,
    engine: str,
    current: Quantity,
    window_ms: float,
    dts: tuple[float, ...],
) -> list[float]:
    """max |V - V_gold| (mV) on the coarsest dt's grid over the window, per dt."""
    coarsest = max(dts)
    t_eval = np.arange(0.0, window_ms + 1e-9, coarsest)
    gold = _gold(preset, current, window_ms, t_eval).V[:, 0]
    errors = []
    for dt_ms in dts:
        stride = int(round(coarsest / dt_ms))
        duration = (window_ms + coarsest) * ms
        runner = simulate if engine == "brian2" else simulate_reference
        run = runner(preset, current=current, duration=duration, dt=dt_ms * ms, method=method)
        v = np.asarray(run.v[0] / mV)[::stride][: t_eval.size]
        errors.append(float(np.max(np.abs(v - gold))))
    return errors


def observed_order(
    preset: Preset,
    method: str,
    *,
    engine: str = "brian2",
    current: Quantity | None = None,
    dts_ms: tuple[float, ...] | None = None,
    window_ms: float | None = None,
) -> OrderEstimate:
    """Slope of log(max|V - V_gold|) against log(dt) over *dts_ms* on the window.

    The window runs from rest to just past the first spike's peak
    (:func:`order_window_ms`), where the solution is smooth and errors are
    dominated by the scheme.  Errors within ``GOLD_FLOOR_MV`` of the gold
    solution's own accuracy carry no information about the scheme; if fewer
    than three of the default dts stay above it (slow, smooth presets with
    rk4), the dts are made four times coarser once.
    """
    current = default_current(preset) if current is None else current
    window_ms = order_window_ms(preset, current) if window_ms is None else window_ms
    dts = tuple(dts_ms or ORDER_DTS_MS[method])
    errors = _errors_against_gold(preset, method, engine, current, window_ms, dts)
    if dts_ms is None and sum(e > GOLD_FLOOR_MV for e in errors) < 3:
        dts = tuple(4 * d for d in dts)
        errors = _errors_against_gold(preset, method, engine, current, window_ms, dts)
    slope = float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
    return OrderEstimate(
        engine=engine,
        method=method,
        declared=INTEGRATORS[method].order,
        dts_ms=dts,
        errors_mV=tuple(errors),
        observed=slope,
    )


def order_window_ms(preset: Preset, current: Quantity) -> float:
    """Rest to just past the first spike's peak (ms), from the gold solution.

    The upstroke is where a scheme's error is largest and smooth in dt, so the
    regression sees the asymptotic error rather than the gold solver's floor
    (which a window of subthreshold drift alone would hit for slow presets).
    """
    gold = _gold(preset, current, ORDER_WINDOW_SEARCH_MS, np.array([0.0]))
    first = np.asarray(gold.spike_times[0])
    if first.size == 0:
        return ORDER_WINDOW_MS
    end = float(first[0]) + ORDER_WINDOW_AFTER_SPIKE_MS
    return float(np.ceil(end / ORDER_WINDOW_GRID_MS) * ORDER_WINDOW_GRID_MS)


def gold_spike_times_ms(preset: Preset, current: Quantity, duration: Quantity) -> np.ndarray:
    """Threshold crossings of the gold solution (ms), located with brentq."""
    return np.asarray(_gold(preset, current, float(duration / ms), None).spike_times[0])


def timing_against_gold(
    method: str, times_ms, gold_ms, dt_ms: float, half_dt_times_ms
) -> SpikeTimingCheck:
    """Compare Brian2 spike times at dt and dt/2 with the gold solution's, spike by spike."""
    gold = np.asarray(gold_ms, dtype=float)

    def errors(times, h):
        times = np.asarray(times, dtype=float)
        n = min(times.size, gold.size)
        raw = times[:n] - gold[:n] if n else np.array([np.nan])
        return times.size, np.abs(raw), float(np.max(np.abs(raw + h / 2)))

    n_spikes, error, centred = errors(times_ms, dt_ms)
    n_half, _, centred_half = errors(half_dt_times_ms, dt_ms / 2)
    return SpikeTimingCheck(
        method=method,
        engine="brian2",
        n_spikes=int(n_spikes),
        n_gold=int(gold.size),
        mean_error_ms=float(np.mean(error)),
        max_error_ms=float(np.max(error)),
        dt_ms=float(dt_ms),
        declared=INTEGRATORS[method].order,
        n_spikes_half=int(n_half),
        centred_error_ms=centred,
        centred_error_half_ms=centred_half,
    )


def _brian2_spikes_ms(preset, current, duration, dt, method) -> np.ndarray:
    run = simulate(preset, current=current, duration=duration, dt=dt, method=method)
    return np.asarray(run.spikes_of(0) / ms)


def spike_timing(
    preset: Preset, current: Quantity, duration: Quantity, dt: Quantity, method: str
) -> SpikeTimingCheck:
    """Brian2 spike times (start of the crossing step) at dt and dt/2 against gold."""
    return timing_against_gold(
        method,
        _brian2_spikes_ms(preset, current, duration, dt, method),
        gold_spike_times_ms(preset, current, duration),
        float(dt / ms),
        _brian2_spikes_ms(preset, current, duration, dt / 2, method),
    )


#: Currents (uA/cm^2) giving repetitive firing over 100 ms from rest, measured with the
#: reference engine (spikes in 100 ms at dt = 0.01 ms in brackets): the squid presets
#: 10 (7), traub_miles 10 (21); the Neuronal Dynamics pyramidal cell blocks above
#: ~3 uA/cm^2, so 2.5 (6); the lecture's 10x capacitance needs 30 (4).
VALIDATION_CURRENT_UA_PER_CM2 = {"pyramidal": 2.5, "lecture07_class_defaults": 30.0}


def default_current(preset: Preset) -> Quantity:
    """The cross-validation current of *preset*: repetitive firing over 100 ms."""
    density = VALIDATION_CURRENT_UA_PER_CM2.get(preset.name, 10.0) * uA / cm**2
    return coerce_current(preset, density)


def cross_validate(
    preset: Preset,
    *,
    current: Quantity | None = None,
    duration: Quantity = 100 * ms,
    dt: Quantity = 0.01 * ms,
    methods: tuple[str, ...] = BRIAN2_METHODS,
    orders: bool = True,
) -> CrossValidation:
    """Cross-validate *preset* (any preset, built-in or user-modified).

    Returns
    -------
    CrossValidation
        With ``passed`` True only if every check passed.
    """
    current = default_current(preset) if current is None else coerce_current(preset, current)
    result = CrossValidation(
        preset=preset,
        current=current,
        duration=duration,
        dt=dt,
        amplification=amplification_factor(preset, current, duration, dt, "exponential_euler"),
    )
    for method in methods:
        result.agreements.append(
            compare_method(preset, current, duration, dt, method, result.amplification)
        )
    # Building and running the NeuronGroups above is Brian2's unit check.
    result.unit_check = "passed (Brian2 NeuronGroup built and run with every method)"
    if orders:
        window_ms = order_window_ms(preset, current)  # one gold solve, shared by all methods
        for method in methods:
            result.orders.append(
                observed_order(preset, method, current=current, window_ms=window_ms)
            )
        gold_ms = gold_spike_times_ms(preset, current, duration)
        for agreement in result.agreements:
            half = _brian2_spikes_ms(preset, current, duration, dt / 2, agreement.method)
            result.spike_timing.append(
                timing_against_gold(
                    agreement.method, agreement.brian2_spikes_ms, gold_ms, float(dt / ms), half
                )
            )
    return result
