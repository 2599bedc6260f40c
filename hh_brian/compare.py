"""Compare integration methods and time steps against a tight-tolerance gold solution.

For every (engine, method, dt) the preset is integrated under a constant
current, and the run is scored against :func:`hh_brian.reference.solve_gold`
(scipy DOP853, ``rtol = atol = 1e-12``) evaluated at the run's own sample times:

- ``max_abs_dv_mV``, ``rms_dv_mV``: max and RMS of |V - V_gold| over the run;
- spike counts and spike-time errors of matched spikes (see :func:`match_spikes`);
- ``wall_s``: wall time of the integration loop only (Brian2: the time
  ``Network.run`` spends after code generation, as recorded by Brian2 in
  ``device._last_run_time``; reference: the call of
  :func:`hh_brian.reference.integrate`), monitors included, and the resulting
  neuron-steps per second;
- ``blew_up``: the run produced NaN/Inf or a gate left [0, 1]
  (:class:`~hh_brian.errors.SimulationBlowUpError`); the row is kept.

Spike times
-----------
Brian2 reports a spike at the *start* of the step in which the threshold was
crossed, i.e. quantised to dt.  Comparing those times would compare methods on
the quantisation rather than on their dynamics, so here every run's spike
times are the threshold crossings of its recorded voltage, interpolated
linearly between the samples before and after (:func:`crossing_times`), for
both engines alike.  The linear interpolation adds an error of order dt^2
(curvature of the upstroke); it is below the integration error of the
first-order methods at every dt used here, but can dominate rk4's spike-time
error at small dt.  The gold crossings are located by root finding on the
solver's dense output.

Observed order
--------------
Per (engine, method), the slope of log(max|dV|) against log(dt) over the dts
that did not blow up (Dayan & Abbott 2001, section 5.6 and lecture 7 for the
schemes; diffrax's test-suite practice for measuring it).  It is meaningful
only in the asymptotic regime: over long, repetitively firing runs the voltage
error saturates at the spike height once spike times shift, so use a short
window (rest to first upstroke) and small dts to measure orders.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, get_device, ms, mV, second

from hh_brian.bridge import REFERENCE_METHODS, initial_vector, reference_current, reference_model
from hh_brian.errors import HHBrianInputError, SimulationBlowUpError, closest_names
from hh_brian.presets import Preset
from hh_brian.reference import INTEGRATORS, IntegrationError, integrate, solve_gold
from hh_brian.simulate import BRIAN2_METHODS, simulate

#: Engines and the methods each offers.
ENGINE_METHODS: dict[str, tuple[str, ...]] = {
    "brian2": BRIAN2_METHODS,
    "reference": REFERENCE_METHODS,
}
ENGINES = tuple(ENGINE_METHODS)
ALL_METHODS = tuple(dict.fromkeys(m for ms_ in ENGINE_METHODS.values() for m in ms_))
#: Tolerances of the gold solution (scipy DOP853); far below any fixed-step error here.
GOLD_RTOL = 1e-12
GOLD_ATOL = 1e-12
#: Relative slack when checking that a dt divides the duration (round-off of decimal dts).
DIVIDES_RTOL = 1e-9
#: Sample times within this distance (ms) are the same grid point (k*dt in floating point).
GRID_TOLERANCE_MS = 1e-9

CSV_COLUMNS = (
    "engine",
    "method",
    "order_declared",
    "dt_ms",
    "n_steps",
    "blew_up",
    "max_abs_dv_mV",
    "rms_dv_mV",
    "n_spikes",
    "n_gold_spikes",
    "n_matched",
    "n_missed",
    "n_extra",
    "spike_err_mean_ms",
    "spike_err_max_ms",
    "wall_s",
    "neuron_steps_per_s",
    "note",
)


# --------------------------------------------------------------------------- spikes


def crossing_times(
    t: np.ndarray, v: np.ndarray, threshold: float, direction: int = 1
) -> np.ndarray:
    """Threshold crossings of a sampled trace, interpolated linearly within the step.

    Parameters
    ----------
    t, v : ndarray
        Sample times and voltages (any consistent units, e.g. ms and mV).
    threshold : float
        Spike threshold in the units of *v*.
    direction : {1, -1}
        ``1`` for upward crossings (modern convention), ``-1`` for downward
        ones (Hodgkin & Huxley 1952, depolarisation negative).

    Returns
    -------
    ndarray
        ``t_k + dt * (threshold - v_k) / (v_{k+1} - v_k)`` for every step
        ``k`` with ``v_k`` below and ``v_{k+1}`` at or above the threshold.

    Examples
    --------
    >>> crossing_times(np.array([0.0, 1.0, 2.0]), np.array([-30.0, -10.0, 5.0]), -20.0)
    array([0.5])
    """
    t = np.asarray(t, dtype=float)
    s = direction * (np.asarray(v, dtype=float) - threshold)
    k = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))
    return t[k] + (t[k + 1] - t[k]) * s[k] / (s[k] - s[k + 1])


@dataclass(frozen=True)
class SpikeMatch:
    """Spikes of one run paired with the gold spikes.

    Each gold spike is paired with the nearest spike of the run if that lies
    closer than half the gold inter-spike interval on either side (the smaller
    of the two; a lone gold spike accepts any distance).  Windows of
    neighbouring gold spikes cannot overlap, so the pairing is one-to-one.

    Attributes
    ----------
    errors : Quantity
        Signed error ``t_run - t_gold`` of every gold spike, NaN where unmatched.
    n_spikes, n_gold, n_matched : int
    n_missed : int
        Gold spikes without a partner.
    n_extra : int
        Spikes of the run without a gold partner.
    """

    errors: Quantity
    n_spikes: int
    n_gold: int
    n_matched: int
    n_missed: int
    n_extra: int

    @property
    def mean_error(self) -> Quantity:
        """Mean |t_run - t_gold| over matched spikes (NaN if none matched)."""
        return _nan_stat(np.nanmean, self.errors)

    @property
    def max_error(self) -> Quantity:
        """Max |t_run - t_gold| over matched spikes (NaN if none matched)."""
        return _nan_stat(np.nanmax, self.errors)

    @property
    def complete(self) -> bool:
        """Every gold spike matched and no extra spike."""
        return self.n_missed == 0 and self.n_extra == 0


def _nan_stat(function, errors: Quantity) -> Quantity:
    values = np.abs(np.asarray(errors / ms))
    if not np.isfinite(values).any():
        return np.nan * ms
    return float(function(values)) * ms


def match_spikes(times_ms: np.ndarray, gold_ms: np.ndarray) -> SpikeMatch:
    """Pair spike times (ms) with gold spike times (ms); see :class:`SpikeMatch`.

    >>> m = match_spikes(np.array([1.1, 5.0, 9.2]), np.array([1.0, 9.0]))
    >>> (m.n_matched, m.n_missed, m.n_extra), np.round(m.errors / ms, 3).tolist()
    ((2, 0, 1), [0.1, 0.2])
    """
    times = np.sort(np.asarray(times_ms, dtype=float))
    gold = np.sort(np.asarray(gold_ms, dtype=float))
    errors = np.full(gold.size, np.nan)
    if times.size and gold.size:
        gaps = np.diff(gold)
        radius = 0.5 * np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
        right = np.clip(np.searchsorted(times, gold), 0, times.size - 1)
        left = np.clip(right - 1, 0, times.size - 1)
        use_left = np.abs(times[left] - gold) <= np.abs(times[right] - gold)
        nearest = np.where(use_left, left, right)
        difference = times[nearest] - gold
        matched = np.abs(difference) < radius
        errors[matched] = difference[matched]
    n_matched = int(np.isfinite(errors).sum())
    return SpikeMatch(
        errors=errors * ms,
        n_spikes=int(times.size),
        n_gold=int(gold.size),
        n_matched=n_matched,
        n_missed=int(gold.size) - n_matched,
        n_extra=int(times.size) - n_matched,
    )


# --------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class GoldSolution:
    """The gold solution on a grid: ``t_ms``, ``v_mV`` (preset's convention), spikes (ms)."""

    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    solver: str

    def at(self, t_ms: np.ndarray) -> np.ndarray:
        """Gold voltage (mV) at sample times that lie on the grid (nearest point, checked)."""
        t_ms = np.asarray(t_ms, dtype=float)
        right = np.clip(np.searchsorted(self.t_ms, t_ms), 1, self.t_ms.size - 1)
        left = right - 1
        nearest = np.where(
            np.abs(self.t_ms[left] - t_ms) <= np.abs(self.t_ms[right] - t_ms), left, right
        )
        if np.max(np.abs(self.t_ms[nearest] - t_ms), initial=0.0) > GRID_TOLERANCE_MS:
            raise ValueError("sample times are not on the gold grid")
        return self.v_mV[nearest]


def time_grid_ms(dt: Quantity, duration: Quantity) -> np.ndarray:
    """Sample times 0, dt, ..., duration in ms."""
    n_steps = int(round(float(duration / dt)))
    return np.arange(n_steps + 1) * float(dt / ms)


def merged_grid_ms(dts: Sequence[Quantity], duration: Quantity) -> np.ndarray:
    """The union of the dts' grids (ms); points closer than the grid tolerance count once."""
    times = np.sort(np.concatenate([time_grid_ms(dt, duration) for dt in dts]))
    keep = np.r_[True, np.diff(times) > GRID_TOLERANCE_MS]
    return times[keep]


def gold_solution(
    preset: Preset, current: Quantity, duration: Quantity, dts: Sequence[Quantity]
) -> GoldSolution:
    """Solve *preset* to tight tolerance and evaluate it on the union of the dts' grids.

    Uses the independent NumPy reference model (:mod:`hh_brian.reference`)
    with :func:`~hh_brian.reference.solve_gold` (DOP853, ``rtol = atol = 1e-12``);
    spike times are refined by root finding on the dense output.
    """
    grid = merged_grid_ms(dts, duration)
    model = reference_model(preset)
    i_inj = float(np.asarray(reference_current(preset, current, 1 * ms, 1)))
    solution = solve_gold(
        model,
        initial_vector(preset),
        float(duration / ms),
        i_inj=i_inj,
        t_eval=grid,
        rtol=GOLD_RTOL,
        atol=GOLD_ATOL,
        threshold=float(preset.parameters["V_spike"] / mV),
    )
    return GoldSolution(
        t_ms=grid,
        v_mV=solution.V[:, 0],
        spikes_ms=np.asarray(solution.spike_times[0]),
        solver=f"scipy solve_ivp DOP853, rtol={GOLD_RTOL:g}, atol={GOLD_ATOL:g}",
    )


# --------------------------------------------------------------------------- input checks


def check_methods(methods: Sequence[str], engines: Sequence[str]) -> None:
    """Raise :class:`HHBrianInputError` for empty lists, unknown engines or methods."""
    if not engines:
        raise HHBrianInputError(f"--engines: empty list; give some of {','.join(ENGINES)}")
    for engine in engines:
        if engine not in ENGINE_METHODS:
            raise HHBrianInputError(
                f"--engines: unknown engine {engine!r}.{closest_names(engine, ENGINES)} "
                f"Valid: {','.join(ENGINES)}"
            )
    if not methods:
        raise HHBrianInputError(
            f"--methods: empty list; give some of {','.join(ALL_METHODS)}, "
            "e.g. --methods exponential_euler,rk4"
        )
    offered = tuple(dict.fromkeys(m for e in engines for m in ENGINE_METHODS[e]))
    for method in methods:
        if method not in offered:
            raise HHBrianInputError(
                f"--methods: unknown method {method!r} for engines {','.join(engines)}."
                f"{closest_names(method, offered)} Valid: {','.join(offered)}"
            )


def nice_divisor(dt: Quantity, duration: Quantity) -> Quantity:
    """The largest round step (1, 2, 2.5, 5 x 10^k ms or 2^-k ms) <= *dt* dividing *duration*.

    >>> nice_divisor(0.03 * ms, 100 * ms)
    25. * usecond
    """
    total = float(duration / ms)
    candidates = [m * 10.0**k for m in (1.0, 2.0, 2.5, 5.0) for k in range(-6, 4)]
    candidates += [2.0**-k for k in range(0, 21)]
    fitting = [
        c for c in candidates if c <= float(dt / ms) * (1 + DIVIDES_RTOL) and _divides(c, total)
    ]
    if fitting:
        return max(fitting) * ms
    return duration / math.ceil(total / float(dt / ms))


def _divides(step: float, total: float) -> bool:
    ratio = total / step
    return abs(ratio - round(ratio)) <= DIVIDES_RTOL * max(ratio, 1.0)


def check_dts(dts: Sequence[Quantity], duration: Quantity, what: str = "--dts") -> list[Quantity]:
    """Validate time steps (times, positive, dividing *duration*); return them largest first."""
    if not dts:
        raise HHBrianInputError(f"{what}: empty list; give time steps such as '0.1*ms,0.01*ms'")
    _check_time(duration, "--duration", "'100*ms'")
    checked: dict[float, Quantity] = {}
    for dt in dts:
        _check_time(dt, what, "'0.01*ms'")
        if dt > duration:
            raise HHBrianInputError(
                f"{what}: {dt!r} is longer than the duration {duration!r}; use a smaller dt"
            )
        if not _divides(float(dt / ms), float(duration / ms)):
            raise HHBrianInputError(
                f"{what}: {float(dt / ms):g} ms does not divide the duration "
                f"{float(duration / ms):g} ms into whole steps; use e.g. "
                f"{float(nice_divisor(dt, duration) / ms):g}*ms"
            )
        checked.setdefault(round(float(dt / ms), 12), dt)
    return [checked[key] for key in sorted(checked, reverse=True)]


def _check_time(value: Quantity, what: str, example: str) -> None:
    from brian2 import get_dimensions

    if get_dimensions(value) is not get_dimensions(second):
        raise HHBrianInputError(f"{what}: {value!r} is not a time; give units, e.g. {example}")
    magnitude = float(value / second)
    if not (math.isfinite(magnitude) and magnitude > 0):
        raise HHBrianInputError(f"{what}: must be positive and finite, got {value!r}")


def check_target(target: Quantity) -> Quantity:
    """Validate a spike-time error target (a positive time)."""
    _check_time(target, "--target", "'0.1*ms'")
    return target


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class EngineRun:
    """One recorded run: samples (ms, mV in the preset's convention) and loop wall time (s)."""

    t_ms: np.ndarray
    v_mV: np.ndarray
    wall_s: float
    n_steps: int


def run_engine(
    preset: Preset,
    engine: str,
    method: str,
    *,
    dt: Quantity,
    current: Quantity,
    duration: Quantity,
) -> EngineRun:
    """Integrate one neuron with *engine*'s *method*; raise SimulationBlowUpError on blow-up."""
    n_steps = int(round(float(duration / dt)))
    if engine == "brian2":
        with _without_invalid_value_warnings():
            result = simulate(preset, current=current, duration=duration, dt=dt, method=method)
        wall = getattr(get_device(), "_last_run_time", None) or result.wall_time
        return EngineRun(
            t_ms=np.asarray(result.t / ms),
            v_mV=np.asarray(result.v[0] / mV),
            wall_s=float(wall),
            n_steps=n_steps,
        )
    model = reference_model(preset)
    y0 = initial_vector(preset)
    i_inj = reference_current(preset, current, dt, n_steps)
    started = time.perf_counter()
    try:
        run = integrate(model, y0, float(dt / ms), n_steps, method=method, i_inj=i_inj)
    except IntegrationError as exc:
        raise SimulationBlowUpError(f"reference engine: {exc}") from None
    wall = time.perf_counter() - started
    return EngineRun(t_ms=run.t, v_mV=run.V[:, 0], wall_s=wall, n_steps=n_steps)


@contextmanager
def _without_invalid_value_warnings():
    """Silence Brian2's NaN warning during one run: a blow-up is reported as a table row."""
    from brian2.utils.logger import BrianLogger

    handler = BrianLogger.console_handler

    def keep(record) -> bool:
        return not record.name.endswith("invalid_values")

    if handler is not None:
        handler.addFilter(keep)
    try:
        yield
    finally:
        if handler is not None:
            handler.removeFilter(keep)


@dataclass(frozen=True)
class MethodRow:
    """One (engine, method, dt) scored against the gold solution."""

    engine: str
    method: str
    dt: Quantity
    n_steps: int
    blew_up: bool
    max_abs_dv: Quantity
    rms_dv: Quantity
    spikes: SpikeMatch | None
    wall_time: Quantity
    note: str = ""

    @property
    def order_declared(self) -> int:
        return INTEGRATORS[self.method].order

    @property
    def neuron_steps_per_s(self) -> float:
        wall = float(self.wall_time / second)
        return self.n_steps / wall if wall > 0 and not self.blew_up else math.nan

    @property
    def spike_error_max(self) -> Quantity:
        return self.spikes.max_error if self.spikes else np.nan * ms

    @property
    def spike_error_mean(self) -> Quantity:
        return self.spikes.mean_error if self.spikes else np.nan * ms

    def csv_values(self) -> dict[str, object]:
        """Values for :data:`CSV_COLUMNS` (plain numbers in the units the names state)."""
        s = self.spikes
        return {
            "engine": self.engine,
            "method": self.method,
            "order_declared": self.order_declared,
            "dt_ms": _num(self.dt / ms, 12),
            "n_steps": self.n_steps,
            "blew_up": self.blew_up,
            "max_abs_dv_mV": _num(self.max_abs_dv / mV),
            "rms_dv_mV": _num(self.rms_dv / mV),
            "n_spikes": s.n_spikes if s else "",
            "n_gold_spikes": s.n_gold if s else "",
            "n_matched": s.n_matched if s else "",
            "n_missed": s.n_missed if s else "",
            "n_extra": s.n_extra if s else "",
            "spike_err_mean_ms": _num(self.spike_error_mean / ms),
            "spike_err_max_ms": _num(self.spike_error_max / ms),
            "wall_s": _num(self.wall_time / second),
            "neuron_steps_per_s": _num(self.neuron_steps_per_s),
            "note": self.note,
        }


def _num(value: object, digits: int = 6) -> str:
    number = float(np.asarray(value))
    return "" if math.isnan(number) else f"{number:.{digits}g}"


def score_run(
    preset: Preset, engine: str, method: str, dt: Quantity, run: EngineRun, gold: GoldSolution
) -> MethodRow:
    """Errors of *run* against *gold* on the run's own samples."""
    dv = run.v_mV - gold.at(run.t_ms)
    sign = preset.convention.sign
    threshold = float(preset.parameters["V_spike"] / mV)
    spikes = crossing_times(run.t_ms, run.v_mV, threshold, sign)
    gold_spikes = gold.spikes_ms[gold.spikes_ms <= run.t_ms[-1]]
    return MethodRow(
        engine=engine,
        method=method,
        dt=dt,
        n_steps=run.n_steps,
        blew_up=False,
        max_abs_dv=float(np.max(np.abs(dv))) * mV,
        rms_dv=float(np.sqrt(np.mean(dv**2))) * mV,
        spikes=match_spikes(spikes, gold_spikes),
        wall_time=run.wall_s * second,
    )


def blown_up_row(engine: str, method: str, dt: Quantity, n_steps: int, why: str) -> MethodRow:
    """The row of a run that blew up: no errors, the reason as note."""
    return MethodRow(
        engine=engine,
        method=method,
        dt=dt,
        n_steps=n_steps,
        blew_up=True,
        max_abs_dv=np.nan * mV,
        rms_dv=np.nan * mV,
        spikes=None,
        wall_time=np.nan * second,
        note=why,
    )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class OrderFit:
    """Observed order of one (engine, method): slope of log max|dV| vs log dt."""

    engine: str
    method: str
    declared: int
    observed: float
    dts: Quantity
    window: Quantity

    def describe(self) -> str:
        if len(self.dts) < 2:
            return f"{self.engine}/{self.method}: fewer than 2 usable dts, no order"
        dts = np.asarray(self.dts / ms)
        return (
            f"{self.engine}/{self.method}: observed {self.observed:.2f} (declared "
            f"{self.declared}) over dt = {dts.min():g}..{dts.max():g} ms ({dts.size} dts), "
            f"window 0..{float(self.window / ms):g} ms"
        )


@dataclass(frozen=True)
class Recommendation:
    """The cheapest row meeting the spike-time target, or why there is none."""

    target: Quantity
    row: MethodRow | None
    reason: str


@dataclass
class MethodComparison:
    """Result of :func:`compare_methods`."""

    preset: Preset
    current: Quantity
    duration: Quantity
    gold: GoldSolution
    rows: list[MethodRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def orders(self) -> list[OrderFit]:
        """Observed order per (engine, method) over the dts that did not blow up."""
        fits = []
        for engine, method in dict.fromkeys((r.engine, r.method) for r in self.rows):
            usable = [
                r
                for r in self.rows
                if (r.engine, r.method) == (engine, method)
                and not r.blew_up
                and float(r.max_abs_dv / mV) > 0
            ]
            dts = np.array([float(r.dt / ms) for r in usable])
            errors = np.array([float(r.max_abs_dv / mV) for r in usable])
            slope = (
                float(np.polyfit(np.log(dts), np.log(errors), 1)[0]) if dts.size >= 2 else math.nan
            )
            fits.append(
                OrderFit(engine, method, INTEGRATORS[method].order, slope, dts * ms, self.duration)
            )
        return fits

    def recommend(self, target: Quantity) -> Recommendation:
        """Cheapest (least wall time) row whose max spike-time error is <= *target*.

        A row qualifies only if it did not blow up and matched every gold
        spike without extra spikes.
        """
        check_target(target)
        if self.gold.spikes_ms.size == 0:
            return Recommendation(target, None, "the gold solution fires no spike")
        complete = [r for r in self.rows if not r.blew_up and r.spikes and r.spikes.complete]
        meeting = [r for r in complete if r.spike_error_max <= target]
        if meeting:
            best = min(meeting, key=lambda r: float(r.wall_time / second))
            return Recommendation(
                target,
                best,
                f"{best.engine}/{best.method} at dt = {float(best.dt / ms):g} ms: max spike-time "
                f"error {float(best.spike_error_max / ms):.3g} ms <= "
                f"{float(target / ms):g} ms in {float(best.wall_time / second):.3g} s",
            )
        if not complete:
            return Recommendation(target, None, "no run matched every gold spike")
        closest = min(complete, key=lambda r: float(r.spike_error_max / ms))
        return Recommendation(
            target,
            None,
            f"no run met {float(target / ms):g} ms; the most accurate was "
            f"{closest.engine}/{closest.method} at dt = {float(closest.dt / ms):g} ms "
            f"({float(closest.spike_error_max / ms):.3g} ms): add smaller dts",
        )


def compare_methods(
    preset: Preset,
    *,
    methods: Sequence[str],
    dts: Sequence[Quantity],
    current: Quantity,
    duration: Quantity,
    engines: Sequence[str] = ENGINES,
) -> MethodComparison:
    """Run every (engine, method, dt) and score it against the gold solution.

    Parameters
    ----------
    preset : Preset
    methods : sequence of str
        Method names; a method an engine does not offer (e.g.
        ``exponential_euler_tau`` on Brian2) is skipped for that engine and
        listed in ``skipped``.
    dts : sequence of Quantity
        Time steps; each must divide *duration*.
    current : Quantity
        Constant injected current (density, or current for presets with an area).
    duration : Quantity
    engines : sequence of str
        ``"brian2"`` and/or ``"reference"``.

    Returns
    -------
    MethodComparison
    """
    check_methods(methods, engines)
    dts = check_dts(dts, duration)
    comparison = MethodComparison(
        preset=preset,
        current=current,
        duration=duration,
        gold=gold_solution(preset, current, duration, dts),
    )
    for engine in engines:
        for method in methods:
            if method not in ENGINE_METHODS[engine]:
                comparison.skipped.append(f"{engine} has no method {method!r}")
                continue
            for dt in dts:
                try:
                    run = run_engine(
                        preset, engine, method, dt=dt, current=current, duration=duration
                    )
                except SimulationBlowUpError as exc:
                    n_steps = int(round(float(duration / dt)))
                    comparison.rows.append(blown_up_row(engine, method, dt, n_steps, str(exc)))
                    continue
                comparison.rows.append(score_run(preset, engine, method, dt, run, comparison.gold))
    return comparison


# --------------------------------------------------------------------------- output


def csv_text(rows: Sequence[MethodRow]) -> str:
    """The comparison table as CSV (header names the units)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.csv_values())
    return buffer.getvalue()


def text_table(rows: Sequence[MethodRow]) -> str:
    """A fixed-width summary of the table for the terminal."""
    header = (
        f"{'engine':<9} {'method':<21} {'dt_ms':>8} {'max|dV|_mV':>11} {'spikes':>7} "
        f"{'err_max_ms':>10} {'wall_s':>8}"
    )
    lines = [header]
    for r in rows:
        v = r.csv_values()
        spikes = f"{v['n_spikes']}/{v['n_gold_spikes']}" if r.spikes else "-"
        lines.append(
            f"{r.engine:<9} {r.method:<21} {v['dt_ms']:>8} "
            f"{v['max_abs_dv_mV'] or 'blew up':>11} {spikes:>7} "
            f"{v['spike_err_max_ms'] or '-':>10} {v['wall_s'] or '-':>8}"
        )
    return "\n".join(lines)


def current_label(current: Quantity) -> str:
    """A current for titles: uA/cm^2 for densities, nA for absolute currents.

    >>> from brian2 import uA, cm
    >>> current_label(0.1 * uA / cm**2)
    '0.1 uA/cm^2'
    """
    from brian2 import amp, cm, get_dimensions, nA, uA

    if get_dimensions(current) is get_dimensions(amp):
        return f"{float(current / nA):g} nA"
    return f"{float(current / (uA / cm**2)):g} uA/cm^2"


def _title(comparison: MethodComparison) -> str:
    return (
        f"{comparison.preset.name}, {float(comparison.duration / ms):g} ms at "
        f"{current_label(comparison.current)}"
    )


def markdown_report(comparison: MethodComparison, target: Quantity) -> str:
    """A Markdown report: settings, table, observed orders, recommendation, caveats."""
    rec = comparison.recommend(target)
    columns = [c for c in CSV_COLUMNS if c != "note"]
    lines = [
        f"# Method comparison: {_title(comparison)}",
        "",
        f"- preset: `{comparison.preset.name}` ({comparison.preset.citation})",
        f"- convention: {comparison.preset.convention.description}",
        f"- gold solution: {comparison.gold.solver}; {comparison.gold.spikes_ms.size} spikes",
        "- errors: |V - V_gold| at every recorded sample of each run; spike times are "
        "threshold crossings of the recorded voltage, interpolated linearly between the "
        "samples before and after (not Brian2's step-start times); gold spikes are paired "
        "with the nearest spike within half an inter-spike interval",
        "- wall_s: integration loop only (Brian2: Network.run after code generation, "
        "monitors included; reference: the NumPy loop); machine-dependent. With one neuron "
        "both engines spend most of each step on per-step overhead common to all methods, "
        "so rk4 costs about as much per step as Euler here; with many neurons per group the "
        "arithmetic dominates (FACTS.md: rk4 about 1.6-2x exponential Euler per "
        "neuron-step) and the recommendation may change",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in comparison.rows:
        values = row.csv_values()
        lines.append("| " + " | ".join(str(values[c]) for c in columns) + " |")
    lines += ["", "## Observed orders", ""]
    lines += [f"- {fit.describe()}" for fit in comparison.orders()]
    lines += [
        "",
        "Orders are meaningful only in the asymptotic regime: once spike times shift, "
        "the voltage error saturates at the spike height. Measure them on a short window "
        "(rest to first upstroke) with small dts.",
        "",
        f"## Recommendation (max spike-time error <= {float(target / ms):g} ms)",
        "",
        rec.reason,
    ]
    blown = [r for r in comparison.rows if r.blew_up]
    if blown:
        lines += ["", "## Blow-ups", ""]
        lines += [f"- {r.engine}/{r.method} dt = {float(r.dt / ms):g} ms: {r.note}" for r in blown]
    if comparison.skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- {text}" for text in comparison.skipped]
    return "\n".join(lines) + "\n"


def plot_comparison(
    comparison: MethodComparison, path: str | Path, target: Quantity | None = None
) -> Path:
    """Error vs dt and error vs wall time (accuracy/cost frontier), log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hh_brian.output import write_atomic

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    colours = dict(
        zip(ALL_METHODS, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False)
    )
    # Engines running the same scheme agree to round-off: hollow, smaller reference
    # markers keep both visible where the lines coincide.
    styles = {
        "brian2": dict(ls="-", marker="o", markersize=8),
        "reference": dict(ls="--", marker="s", markersize=5, markerfacecolor="none"),
    }
    for engine, method in dict.fromkeys((r.engine, r.method) for r in comparison.rows):
        rows = [
            r for r in comparison.rows if (r.engine, r.method) == (engine, method) and not r.blew_up
        ]
        if not rows:
            continue
        style = dict(color=colours[method], label=f"{engine}/{method}", **styles[engine])
        dt = [float(r.dt / ms) for r in rows]
        dv = [float(r.max_abs_dv / mV) for r in rows]
        err = [float(r.spike_error_max / ms) for r in rows]
        wall = [float(r.wall_time / second) for r in rows]
        axes[0].plot(dt, dv, **style)
        axes[1].plot(dt, err, **style)
        axes[2].plot(wall, err, **style)
    blown = [r for r in comparison.rows if r.blew_up]
    for ax in axes[:2]:
        top = ax.get_xaxis_transform()  # x in data, y in axes fraction
        for r in blown:
            ax.plot(
                float(r.dt / ms),
                0.96,
                "x",
                color=colours[r.method],
                ms=9,
                mew=2,
                transform=top,
                clip_on=False,
            )
    if target is not None:
        for ax in axes[1:]:
            ax.axhline(float(target / ms), color="k", ls=":", lw=1)
            ax.annotate(
                f"target {float(target / ms):g} ms",
                (0.02, float(target / ms)),
                xycoords=("axes fraction", "data"),
                va="bottom",
                fontsize=8,
            )
    labels = [
        ("time step dt (ms)", "max |V - V_gold| (mV)"),
        ("time step dt (ms)", "max spike-time error (ms)"),
        ("wall time of the integration loop (s)", "max spike-time error (ms)"),
    ]
    for ax, (xlabel, ylabel) in zip(axes, labels, strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    note = " (x: blew up)" if blown else ""
    axes[0].set_title("voltage error vs dt" + note)
    axes[1].set_title("spike-time error vs dt" + note)
    axes[2].set_title("accuracy / cost frontier (lower left is better)")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
    figure.suptitle(f"Method comparison against the gold solution - {_title(comparison)}")

    def writer(temporary: Path) -> None:
        figure.savefig(temporary, dpi=120, format=Path(path).suffix.lstrip(".").lower())

    try:
        return write_atomic(path, writer)
    finally:
        plt.close(figure)
