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

The result types are in :mod:`hh_brian.compare.crossval_results`, the gold
solution in :mod:`hh_brian.compare.crossval_gold`, the order regression in
:mod:`hh_brian.compare.observed_order`, the spike-timing check in
:mod:`hh_brian.compare.spike_timing` and the default current in
:mod:`hh_brian.compare.validation_current`; this module runs the engines side by
side, derives the round-off bound and puts the checks together (and re-exports
the rest).  The report (Markdown and its convergence figure) is written by
:mod:`hh_brian.report.validation_report`.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import Quantity, ms

from hh_brian.compare.crossval_gold import (
    ORDER_WINDOW_AFTER_SPIKE_MS,
    ORDER_WINDOW_GRID_MS,
    ORDER_WINDOW_MS,
    ORDER_WINDOW_SEARCH_MS,
    gold_spike_times_ms,
    order_window_ms,
)
from hh_brian.compare.crossval_results import (
    ORDER_MARGIN,
    CrossValidation,
    MethodAgreement,
    OrderEstimate,
    SpikeTimingCheck,
)
from hh_brian.compare.observed_order import GOLD_FLOOR_MV, ORDER_DTS_MS, observed_order
from hh_brian.compare.spike_timing import (
    brian2_run,
    interpolation_bound_ms,
    spike_timing,
    timing_against_gold,
)
from hh_brian.compare.validation_current import VALIDATION_CURRENT_UA_PER_CM2, default_current
from hh_brian.core.progress import Progress, report
from hh_brian.engines.brian2.simulate import (
    BRIAN2_METHODS,
    check_time_step,
    coerce_current,
    simulate,
)
from hh_brian.engines.reference import integrate
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
    # One perturbed copy per state variable, all integrated together as neurons of one
    # run (the neurons are independent; the reference engine is vectorised over them).
    perturbed = np.repeat(y0[:, None], model.n_state, axis=1)
    for k in range(model.n_state):
        # Move gates towards the interior of [0, 1] so the perturbed state is valid.
        perturbed[k, k] += PERTURBATION * scale[k] * (1 if k == 0 or y0[k] < 0.5 else -1)
    if np.ndim(i_inj) == 0:
        runs = integrate(model, perturbed, dt_ms, n_steps, method=method, i_inj=i_inj).y
    else:  # a sampled current: one run per perturbation
        runs = np.stack(
            [
                integrate(model, perturbed[:, k], dt_ms, n_steps, method=method, i_inj=i_inj).y[
                    :, :, 0
                ]
                for k in range(model.n_state)
            ],
            axis=2,
        )
    deviation = np.max(np.abs(runs - base[:, :, None]) / scale[None, :, None])
    return max(1.0, float(deviation) / PERTURBATION)


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
    tol_t = spike_time_tolerance(dt, tol_v, ours.info["spike_step_dv"], duration)
    same_count = ours.spike_times.shape == ref.spike_times.shape
    dt_spike = (
        np.max(np.abs(ours.spike_times - ref.spike_times))
        if same_count and ours.spike_times.size
        else 0 * ms
    )
    same_times = same_count and bool(dt_spike <= tol_t)
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
        brian2_interpolation_bound_ms=interpolation_bound_ms(ours),
        max_dt_spike=dt_spike,
        tolerance_spike_time=tol_t,
    )


def spike_time_tolerance(
    dt: Quantity, tol_v: Quantity, step_dv: Quantity, duration: Quantity
) -> Quantity:
    """Largest difference of two engines' interpolated spike times that round-off explains.

    Both engines time a spike ``t_k + dt (theta - v_k)/(v_{k+1} - v_k)``.  If each
    sample differs by at most ``tol_v`` between them, the fraction differs by at most
    ``tol_v / |v_{k+1} - v_k|`` (first order: the two partial derivatives add up to
    ``1/|v_{k+1} - v_k|``), so the times differ by at most
    ``dt tol_v / min |step_dv|``, plus the round-off of the time arithmetic itself
    (``8 eps duration``).

    Parameters
    ----------
    dt, duration : Quantity
    tol_v : Quantity
        Round-off bound on the potentials (:func:`roundoff_tolerance`).
    step_dv : Quantity
        ``v_{k+1} - v_k`` over each spike's crossing step (volt); empty: no spikes.
    """
    time_roundoff = 8 * EPS * duration
    if np.size(step_dv) == 0:
        return time_roundoff
    return dt * tol_v / np.min(np.abs(step_dv)) + time_roundoff


def cross_validate(
    preset: Preset,
    *,
    current: Quantity | None = None,
    duration: Quantity = 100 * ms,
    dt: Quantity = 0.01 * ms,
    methods: tuple[str, ...] = BRIAN2_METHODS,
    orders: bool = True,
    progress: Progress = None,
) -> CrossValidation:
    """Cross-validate *preset* (any preset, built-in or user-modified).

    *progress* receives a :class:`~hh_brian.core.progress.Step` before each check.

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
    total = len(methods) * (3 if orders else 1) + (2 if orders else 0)
    step = iter(range(total))

    def note(text: str) -> None:
        report(progress, "validating", next(step), total, note=text)

    for method in methods:
        note(f"{method}: Brian2 vs NumPy")
        result.agreements.append(
            compare_method(preset, current, duration, dt, method, result.amplification)
        )
    # Building and running the NeuronGroups above is Brian2's unit check.
    result.unit_check = "passed (Brian2 NeuronGroup built and run with every method)"
    if orders:
        note("order window (gold solution)")
        window_ms = order_window_ms(preset, current)  # one gold solve, shared by all methods
        for method in methods:
            note(f"{method}: observed order")
            result.orders.append(
                observed_order(preset, method, current=current, window_ms=window_ms)
            )
        note("gold spike times")
        gold_ms = gold_spike_times_ms(preset, current, duration)
        for agreement in result.agreements:
            note(f"{agreement.method}: spike timing at dt/2")
            half = brian2_run(preset, current, duration, dt / 2, agreement.method)
            result.spike_timing.append(
                timing_against_gold(
                    agreement.method,
                    agreement.brian2_spikes_ms,
                    gold_ms,
                    float(dt / ms),
                    np.asarray(half.spikes_of(0) / ms),
                    agreement.brian2_interpolation_bound_ms,
                    interpolation_bound_ms(half),
                )
            )
    report(progress, "validating", total, total, finished=True)
    return result


__all__ = [
    "EPS",
    "GOLD_FLOOR_MV",
    "KAPPA",
    "ORDER_DTS_MS",
    "ORDER_MARGIN",
    "richardson_factor",
    "ORDER_WINDOW_AFTER_SPIKE_MS",
    "ORDER_WINDOW_GRID_MS",
    "ORDER_WINDOW_MS",
    "ORDER_WINDOW_SEARCH_MS",
    "PERTURBATION",
    "VALIDATION_CURRENT_UA_PER_CM2",
    "CrossValidation",
    "MethodAgreement",
    "OrderEstimate",
    "SpikeTimingCheck",
    "amplification_factor",
    "compare_method",
    "cross_validate",
    "default_current",
    "gold_spike_times_ms",
    "observed_order",
    "order_window_ms",
    "roundoff_tolerance",
    "spike_time_tolerance",
    "spike_timing",
    "timing_against_gold",
]
