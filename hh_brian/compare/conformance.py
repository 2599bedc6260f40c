"""Conformance: one model and protocol in every engine and scheme, each against its own bound.

Every variant of :mod:`hh_brian.compare.conformance_variants` (Brian2 with each
method, the NumPy engine, NEURON through the generated NMODL mechanism, NEST where
it has the model, MOOSE, jNeuroML through the exported NeuroML2/LEMS) integrates the
model from rest under the protocol at ``dt`` and at ``fine_dt = dt / r``.  Both runs
are scored by :func:`hh_brian.compare.simulators.score_trace` against the gold
solution (scipy DOP853, rtol = atol = 1e-12, on hh-brian's NumPy model), which aligns
every trace on time (traces of n or n + 1 samples score alike).

The bound
---------
A scheme of declared order ``p`` has error ``e(h) ~ C h**q`` with the observed order
``q >= p - m`` (``m = ORDER_MARGIN``, the pre-asymptotic slack).  Then the error at the
fine step is at most the Richardson estimate of order ``p`` from the engine's own two
runs, times ``F = (r**p - 1) / (r**(p - m) - 1)``
(:func:`hh_brian.compare.crossval.richardson_factor`)::

    |V_fine - V_gold| <= F max_t |V_dt(t) - V_fine(t)| / (r**p - 1) + floor_V
    |t_fine - t_gold| <= F (max_i |t_dt,i - t_fine,i| + B_dt + B_fine) / (r**p - 1)
                         + B_fine + floor_t

``V`` is compared at the points of the ``dt`` grid, which every run samples; spike
times are the threshold crossings interpolated linearly between samples, for every
engine alike, and ``B_h = h**2 max|v''| / (8 |v'|)`` bounds what that interpolation
adds (:func:`hh_brian.compare.spike_timing.sampled_interpolation_bound_ms`).  The
floors are the gold solution's own error (``GOLD_FLOOR_MV``, ``GOLD_FLOOR_MS``) and
an engine's output rounding (jNeuroML's 8 digits).  A model or rate that differed
between an engine and hh-brian leaves an error that does not shrink with dt and
breaks the bound; so does a scheme slower than declared.  A variant passes when both
runs fire exactly the gold spikes (none missed, none extra, except within
``END_GUARD_MS`` of the end, where a spike may fall either side of it; the spike
errors are over the gold spikes paired in both runs) and both errors at the fine step
are within their bounds; the verdict passes when every variant that ran
passes.  Variants that cannot run (engine not installed, model or stimulus not
expressible) are listed with the reason and do not enter the verdict.

Messages name the parameters (``dt``, ``fine_dt``, ``engines``); the command line
adds its flags.  The table, report and figure are written by
:mod:`hh_brian.report.conformance_report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.compare.conformance_results import (
    END_GUARD_MS,
    FAIL,
    PASS,
    Conformance,
    ConformanceRow,
)
from hh_brian.compare.conformance_variants import Variant, conformance_variants
from hh_brian.compare.crossval import richardson_factor
from hh_brian.compare.crossval_results import GOLD_FLOOR_MS, ORDER_MARGIN
from hh_brian.compare.observed_order import GOLD_FLOOR_MV
from hh_brian.compare.runs import run_engine
from hh_brian.compare.scoring import GRID_TOLERANCE_MS, time_grid_ms
from hh_brian.compare.simulator_rows import OWN_STIMULUS, SimulatorRow, empty_row
from hh_brian.compare.simulators import (
    SimulatorComparison,
    check_current,
    check_steps,
    gold_for,
    modern_mV,
    score_trace,
)
from hh_brian.compare.spike_timing import sampled_interpolation_bound_ms
from hh_brian.core.errors import SimulationBlowUpError
from hh_brian.engines.registry import get_engine, is_available
from hh_brian.models.presets import Preset
from hh_brian.models.stimulus_base import Stimulus

# --------------------------------------------------------------------------- runs


def _skip_reason(comparison: SimulatorComparison, variant: Variant) -> tuple[str, str] | None:
    """(status, reason) when *variant* cannot run here, else None."""
    if variant.order is None:
        return "no declared order", variant.why_order
    engine = get_engine(variant.engine)
    if variant.own:
        return None
    if not is_available(variant.engine):
        return "not installed", f"{variant.engine} is not installed: {engine.install_hint}"
    why = engine.cannot_express(comparison.preset)
    if why is None and not isinstance(comparison.current, Quantity):
        why = engine.cannot_express_current(
            comparison.preset,
            list(comparison.current),
            dt=comparison.fine_dt,
            duration=comparison.duration,
        )
    return ("cannot express", why) if why else None


def _run(comparison: SimulatorComparison, variant: Variant, dt: Quantity) -> SimulatorRow:
    """One run of *variant* at *dt*, scored (status ``blew up``/``failed`` without a trace)."""
    from hh_brian.engines.simulators import SimulatorCannotExpress, SimulatorNotInstalled

    preset = comparison.preset
    try:
        if variant.own:
            run = run_engine(
                preset,
                variant.engine,
                variant.method,
                dt=dt,
                current=comparison.current,
                duration=comparison.duration,
            )
            t_ms, v, wall, notes, stimulus = run.t_ms, run.v_mV, run.wall_s, (), OWN_STIMULUS
        else:
            trace = get_engine(variant.engine).run(
                preset,
                current=comparison.current,
                duration=comparison.duration,
                dt=dt,
                **dict(variant.options),
            )
            t_ms, v = np.asarray(trace.t / ms), np.asarray(trace.v[0] / mV)
            wall, notes = trace.wall_time, tuple(trace.info["notes"])
            stimulus = str(trace.info.get("stimulus", ""))
    except SimulationBlowUpError as exc:
        return empty_row(variant.engine, "blew up", variant.method, dt, (str(exc),))
    except SimulatorCannotExpress as exc:
        return empty_row(variant.engine, "cannot express", variant.method, dt, (str(exc),))
    except SimulatorNotInstalled as exc:  # e.g. jNeuroML without a Java runtime
        return empty_row(variant.engine, "not installed", variant.method, dt, (str(exc),))
    except RuntimeError as exc:  # an external simulator refused the exported model
        return empty_row(variant.engine, "failed", variant.method, dt, (str(exc),))
    return score_trace(
        comparison,
        simulator=variant.engine,
        status="ok",
        scheme=variant.method,
        dt=dt,
        t_ms=t_ms,
        v_mV=modern_mV(preset, v),
        wall_s=wall,
        notes=notes,
        stimulus=stimulus,
    )


# --------------------------------------------------------------------------- bounds


def _max_difference_mV(comparison: SimulatorComparison, a: SimulatorRow, b: SimulatorRow) -> float:
    """max |V_a - V_b| at the points of the dt grid both runs cover."""
    grid = time_grid_ms(comparison.dt, comparison.duration)
    grid = grid[grid <= min(a.t_ms[-1], b.t_ms[-1]) + GRID_TOLERANCE_MS]
    return float(np.max(np.abs(np.interp(grid, a.t_ms, a.v_mV) - np.interp(grid, b.t_ms, b.v_mV))))


def _interpolation_ms(row: SimulatorRow) -> float:
    return sampled_interpolation_bound_ms(row.v_mV, float(row.dt / ms), row.spikes_ms)


def _order_hint(coarse: float, fine: float, ratio: float, order: int) -> str:
    """Why an error may exceed its bound: the order it shrank at, against the declared one."""
    if not (coarse > 0 and fine > 0):
        return ""
    observed = math.log(coarse / fine) / math.log(ratio)
    return (
        f" (it shrank at order {observed:.2f}, declared {order}: not yet in the asymptotic "
        "regime, e.g. a spike-sized V error, so try a smaller dt; or an error that does not "
        "shrink with dt)"
    )


def _unpaired(comparison: SimulatorComparison, row: SimulatorRow, limit_ms: float):
    """(gold spikes without a partner, spikes of *row* without one), both up to *limit_ms*."""
    gold = comparison.gold.spikes_ms[comparison.gold.spikes_ms <= row.t_ms[-1]]
    errors = np.asarray(row.match.errors / ms)
    paired = np.isfinite(errors)
    missed = int(np.sum(~paired & (gold <= limit_ms)))
    partners = gold[paired] + errors[paired]
    own = row.spikes_ms[row.spikes_ms <= limit_ms]
    extra = int(sum(not np.any(np.abs(partners - t) < 1e-9) for t in own))
    return missed, extra


def judge(
    comparison: SimulatorComparison, variant: Variant, coarse: SimulatorRow, fine: SimulatorRow
) -> ConformanceRow:
    """The bounds of *variant* from its runs at dt and fine dt, and its status.

    See the module docstring for the bounds.  Fails with reasons for a spike missed
    or extra at either step, or an error at the fine step above its bound.
    """
    ratio = float(comparison.dt / comparison.fine_dt)
    factor = richardson_factor(variant.order, ratio, ORDER_MARGIN)
    denominator = ratio**variant.order - 1
    floor_v = GOLD_FLOOR_MV + variant.rounding_mV
    dv_bound = factor * _max_difference_mV(comparison, coarse, fine) / denominator + floor_v
    reasons = []
    dv_fine = float(fine.max_abs_dv / mV)
    if not dv_fine <= dv_bound:
        coarse_dv = float(coarse.max_abs_dv / mV)
        reasons.append(
            f"max|dV| {dv_fine:.3g} mV above its bound {dv_bound:.3g} mV"
            + _order_hint(coarse_dv, dv_fine, ratio, variant.order)
        )
    spike_bound, interpolation = math.nan, _interpolation_ms(fine)
    limit = float(comparison.duration / ms) - END_GUARD_MS
    unpaired = {
        step: _unpaired(comparison, row, limit) for step, row in (("dt", coarse), ("fine dt", fine))
    }
    for step, (missed, extra) in unpaired.items():
        if missed or extra:
            reasons.append(
                f"at {step} {missed} gold spikes missed and {extra} extra (not in the "
                "asymptotic regime: use a smaller dt)"
            )
    if not any(missed or extra for missed, extra in unpaired.values()):
        e_coarse = np.asarray(coarse.match.errors / ms)
        e_fine = np.asarray(fine.match.errors / ms)
        both = np.isfinite(e_coarse[: e_fine.size]) & np.isfinite(e_fine[: e_coarse.size])
        e_coarse, e_fine = e_coarse[: both.size][both], e_fine[: both.size][both]
        spread = float(np.max(np.abs(e_coarse - e_fine), initial=0.0))
        spike_bound = (
            factor * (spread + _interpolation_ms(coarse) + interpolation) / denominator
            + interpolation
            + GOLD_FLOOR_MS
        )
        error = float(np.max(np.abs(e_fine), initial=0.0))
        if not error <= spike_bound:
            error_coarse = float(np.max(np.abs(e_coarse), initial=0.0))
            reasons.append(
                f"spike error {error:.3g} ms above its bound {spike_bound:.3g} ms"
                + _order_hint(error_coarse, error, ratio, variant.order)
            )
    return ConformanceRow(
        variant=variant,
        status=FAIL if reasons else PASS,
        coarse=coarse,
        fine=fine,
        dv_bound_mV=dv_bound,
        spike_bound_ms=spike_bound,
        interpolation_ms=interpolation,
        reasons=tuple(reasons),
    )


def run_variant(comparison: SimulatorComparison, variant: Variant) -> ConformanceRow:
    """Run *variant* at dt and fine dt and judge it (or say why it cannot run)."""
    skip = _skip_reason(comparison, variant)
    if skip:
        return ConformanceRow(variant=variant, status=skip[0], reasons=(skip[1],))
    runs = []
    for dt in (comparison.dt, comparison.fine_dt):
        row = _run(comparison, variant, dt)
        if row.status in ("cannot express", "not installed"):
            return ConformanceRow(variant=variant, status=row.status, reasons=row.notes)
        if not row.has_run:
            why = f"{row.status} at dt = {float(dt / ms):g} ms: {'; '.join(row.notes)}"
            return ConformanceRow(variant=variant, status=FAIL, reasons=(why,))
        runs.append(row)
    return judge(comparison, variant, *runs)


def conformance(
    preset: Preset,
    *,
    current: Quantity | Stimulus | Sequence[Stimulus],
    dt: Quantity = 0.01 * ms,
    fine_dt: Quantity = 0.0025 * ms,
    duration: Quantity = 30 * ms,
    engines: Sequence[str] | None = None,
) -> Conformance:
    """Run *preset* under *current* in every engine and scheme; judge each against its bound.

    Parameters
    ----------
    preset : Preset
    current : Quantity, Stimulus or sequence of Stimulus
        A constant current from t = 0, or stimuli that add.
    dt, fine_dt : Quantity
        The two steps of every variant (*fine_dt* smaller, dividing *dt*); errors are
        judged at *fine_dt*.
    duration : Quantity
    engines : sequence of str, optional
        Registry names to include (default: every registered engine).

    Returns
    -------
    Conformance

    Raises
    ------
    HHBrianInputError
        For bad steps, engines or stimuli (off the grid, wrong units), before any run.
    """
    check_steps(dt, fine_dt, duration)
    variants = conformance_variants(engines)
    if isinstance(current, Stimulus):
        current = (current,)
    elif not isinstance(current, Quantity):
        current = tuple(current)
    check_current(preset, current, simulators=(), dt=dt, duration=duration)
    gold = gold_for(preset, current, duration, dt, fine_dt)
    comparison = SimulatorComparison(
        preset=preset,
        current=current,
        duration=duration,
        dt=dt,
        fine_dt=fine_dt,
        gold=gold,
        gold_v_mV=modern_mV(preset, gold.v_mV),
    )
    result = Conformance(comparison=comparison)
    for variant in variants:
        result.rows.append(run_variant(comparison, variant))
    return result


__all__ = [
    "END_GUARD_MS",
    "FAIL",
    "PASS",
    "Conformance",
    "ConformanceRow",
    "conformance",
    "judge",
    "run_variant",
]
