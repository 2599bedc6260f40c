"""One run of a method comparison: input checks, an engine run, and its scored row.

:mod:`hh_brian.compare.methods` compares many of these against the gold solution (its
module docstring describes the measures); :mod:`hh_brian.compare.simulators` reuses the
checks and the runs of hh-brian's own engines.  Messages name the parameters
(``methods``, ``dts``); the command line adds its flags.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, get_device, ms, mV, second

from hh_brian.compare.scoring import (
    GRID_TOLERANCE_MS,
    GoldSolution,
    SpikeMatch,
    crossing_times,
    match_spikes,
)
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError, closest_names
from hh_brian.core.text import format_number
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference import INTEGRATORS, IntegrationError, integrate
from hh_brian.engines.reference_bridge import (
    drive_input,
    initial_vector,
    reference_current,
    reference_model,
)
from hh_brian.engines.registry import engine_names, get_engine
from hh_brian.models.drive import make_drive
from hh_brian.models.presets import Preset
from hh_brian.models.stimulus_base import Stimulus

#: Columns of the comparison table (CSV); :meth:`MethodRow.csv_values` gives their values.
CSV_COLUMNS = (
    "engine",
    "method",
    "order_declared",
    "dt_ms",
    "n_steps",
    "blew_up",
    "max_abs_dv_mV",
    "rms_dv_mV",
    "window_max_abs_dv_mV",
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

#: hh-brian's own engines (from the registry) and the methods each offers; the external
#: simulators have fixed schemes and are compared by ``compare-simulators``.
ENGINE_METHODS: dict[str, tuple[str, ...]] = {
    name: get_engine(name).methods for name in engine_names() if get_engine(name).package is None
}
ENGINES = tuple(ENGINE_METHODS)
ALL_METHODS = tuple(dict.fromkeys(m for ms_ in ENGINE_METHODS.values() for m in ms_))
#: Relative slack when checking that a dt divides the duration (round-off of decimal dts).
DIVIDES_RTOL = 1e-9
#: Two dts whose values in ms agree to this many decimals are the same dt.
DT_DECIMALS = 12


# --------------------------------------------------------------------------- input checks


def check_methods(methods: Sequence[str], engines: Sequence[str]) -> None:
    """Raise :class:`HHBrianInputError` for empty lists, unknown or repeated names."""
    if not engines:
        raise HHBrianInputError(f"engines: empty list; give some of {','.join(ENGINES)}")
    for engine in engines:
        if engine not in ENGINE_METHODS:
            raise HHBrianInputError(
                f"engines: unknown engine {engine!r}.{closest_names(engine, ENGINES)} "
                f"Valid: {','.join(ENGINES)}"
            )
    _check_unique(engines, "engines")
    if not methods:
        raise HHBrianInputError(
            f"methods: empty list; give some of {','.join(ALL_METHODS)}, e.g. exponential_euler,rk4"
        )
    offered = tuple(dict.fromkeys(m for e in engines for m in ENGINE_METHODS[e]))
    for method in methods:
        if method not in offered:
            raise HHBrianInputError(
                f"methods: unknown method {method!r} for engines {','.join(engines)}."
                f"{closest_names(method, offered)} Valid: {','.join(offered)}"
            )
    _check_unique(methods, "methods")


def _check_unique(names: Sequence[str], what: str) -> None:
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise HHBrianInputError(
            f"{what}: {repeated[0]!r} is given more than once; give each name once"
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


def check_dts(dts: Sequence[Quantity], duration: Quantity, what: str = "dts") -> list[Quantity]:
    """Validate time steps (times, positive, distinct, dividing *duration*); largest first."""
    if not dts:
        raise HHBrianInputError(f"{what}: empty list; give time steps such as '0.1*ms,0.01*ms'")
    _check_time(duration, "duration", "'100*ms'")
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
        key = round(float(dt / ms), DT_DECIMALS)
        if key in checked:
            raise HHBrianInputError(
                f"{what}: {float(dt / ms):g} ms is given more than once; give each time step once"
            )
        checked[key] = dt
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
    _check_time(target, "target", "'0.1*ms'")
    return target


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class EngineRun:
    """One recorded run: samples (ms, mV in the preset's convention) and loop wall time (s).

    ``wall_note`` says when ``wall_s`` is not the integration loop alone.
    """

    t_ms: np.ndarray
    v_mV: np.ndarray
    wall_s: float
    n_steps: int
    wall_note: str = ""


#: Note of a Brian2 row whose loop time Brian2 did not record.
WALL_INCLUDES_CODEGEN = (
    "wall_s includes code generation: Brian2 recorded no loop time (device._last_run_time)"
)


def run_engine(
    preset: Preset,
    engine: str,
    method: str,
    *,
    dt: Quantity,
    current: Quantity | Stimulus | Sequence[Stimulus],
    duration: Quantity,
) -> EngineRun:
    """Integrate one neuron with *engine*'s *method*; raise SimulationBlowUpError on blow-up.

    *current* is a constant Quantity or any stimuli (:mod:`hh_brian.models.stimuli`).

    ``wall_s`` is the integration loop only (see the module docstring).
    """
    n_steps = int(round(float(duration / dt)))
    if engine == "brian2":
        device = get_device()
        # Brian2's Network.run sets device._last_run_time to the duration of its
        # time-step loop, after code generation and compilation.  Clear it first, so
        # that a value left by an earlier run is never read as this run's.  Private, but
        # Brian2 2.9 has no public record of the loop time (Network.run records it
        # nowhere else, and profiling=True would time every code object instead).
        if hasattr(device, "_last_run_time"):
            del device._last_run_time
        with _without_invalid_value_warnings():
            result = simulate(preset, current=current, duration=duration, dt=dt, method=method)
        loop = getattr(device, "_last_run_time", None)
        return EngineRun(
            t_ms=np.asarray(result.t / ms),
            v_mV=np.asarray(result.v[0] / mV),
            wall_s=float(result.wall_time if loop is None else loop),
            n_steps=n_steps,
            wall_note=WALL_INCLUDES_CODEGEN if loop is None else "",
        )
    model = reference_model(preset)
    y0 = initial_vector(preset)
    if isinstance(current, Quantity):
        i_inj = reference_current(preset, current, dt, n_steps)
    else:  # stimuli: held part at each step's start, smooth part at each stage's time
        i_inj = drive_input(make_drive(preset, current, dt, duration), 1)
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


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class MethodRow:
    """One (engine, method, dt) scored against the gold solution.

    ``max_abs_dv``/``rms_dv`` are over the whole run, ``window_max_abs_dv``
    over the order window (:attr:`MethodComparison.window`).
    """

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
    window_max_abs_dv: Quantity = field(default_factory=lambda: np.nan * mV)

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
            "dt_ms": format_number(self.dt / ms, 12),
            "n_steps": self.n_steps,
            "blew_up": self.blew_up,
            "max_abs_dv_mV": format_number(self.max_abs_dv / mV),
            "rms_dv_mV": format_number(self.rms_dv / mV),
            "window_max_abs_dv_mV": format_number(self.window_max_abs_dv / mV),
            "n_spikes": s.n_spikes if s else "",
            "n_gold_spikes": s.n_gold if s else "",
            "n_matched": s.n_matched if s else "",
            "n_missed": s.n_missed if s else "",
            "n_extra": s.n_extra if s else "",
            "spike_err_mean_ms": format_number(self.spike_error_mean / ms),
            "spike_err_max_ms": format_number(self.spike_error_max / ms),
            "wall_s": format_number(self.wall_time / second),
            "neuron_steps_per_s": format_number(self.neuron_steps_per_s),
            "note": self.note,
        }


def score_run(
    preset: Preset,
    engine: str,
    method: str,
    dt: Quantity,
    run: EngineRun,
    gold: GoldSolution,
    window: Quantity | None = None,
) -> MethodRow:
    """Errors of *run* against *gold* on the run's own samples (*window*: default all)."""
    dv = run.v_mV - gold.at(run.t_ms)
    in_window = (
        run.t_ms <= float(window / ms) + GRID_TOLERANCE_MS
        if window is not None
        else np.ones(run.t_ms.size, dtype=bool)
    )
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
        window_max_abs_dv=float(np.max(np.abs(dv[in_window]))) * mV,
        spikes=match_spikes(spikes, gold_spikes),
        wall_time=run.wall_s * second,
        note=run.wall_note,
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
