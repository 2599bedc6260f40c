"""Lecture 7's example protocol, run by the lecture's integrators and by Brian2.

The protocol (lecture 7, "Results from some example protocol"): ``T = 1000`` ms,
``dt = 0.1`` ms, the correlated random input built from seed 123
(:class:`hh_brian.models.stimulus_kinds.CorrelatedNoise`), the initial condition
``y0 = (-65 mV, 0.318, 0.053, 0.596)`` and the ``HodgkinHuxley`` class defaults
(built-in model ``lecture07_class_defaults``: Dayan & Abbott with
``c_m = 0.1 uF/mm^2``, ten times the book's value).

The lecture's integrators map onto the reference engine's: ``euler_step`` ->
``euler``, ``runge_kutta`` -> ``rk4``, ``euler_step_ABi`` (A-B form) ->
``exponential_euler`` and ``euler_step_exp`` (y_inf/tau form) ->
``exponential_euler_tau``.  Brian2 runs ``exponential_euler``, ``rk4`` and
``euler``; each is compared with the reference's identical scheme.  The figure is
drawn by :func:`hh_brian.report.lecture.plot_lecture`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.core.progress import report
from hh_brian.engines.brian2.simulate import SimulationResult, simulate
from hh_brian.engines.reference_bridge import simulate_reference
from hh_brian.models.presets import Preset, get_preset
from hh_brian.models.stimulus_smooth import CorrelatedNoise

DURATION = 1000 * ms
DT = 0.1 * ms
SEED = 123
#: The lecture's initial condition (V, n, m, h), copied as the lecture states it.
INITIAL_STATE = {"v": -65 * mV, "n": 0.318, "m": 0.053, "h": 0.596}
#: The lecture's integrator -> the reference engine's identical scheme.
LECTURE_INTEGRATORS = {
    "euler_step": "euler",
    "runge_kutta": "rk4",
    "euler_step_ABi": "exponential_euler",
    "euler_step_exp": "exponential_euler_tau",
}
BRIAN2_METHODS = ("exponential_euler", "rk4", "euler")


@dataclass
class LectureRun:
    """Traces of the lecture protocol per (engine, method), and their agreement."""

    preset: Preset
    stimulus: CorrelatedNoise
    duration: Quantity
    dt: Quantity
    runs: dict[tuple[str, str], SimulationResult] = field(default_factory=dict)

    def agreement(self, method: str) -> Quantity:
        """max |V_brian2 - V_reference| for one scheme (volt)."""
        brian2_run = self.runs[("brian2", method)]
        reference_run = self.runs[("reference", method)]
        return np.max(np.abs(brian2_run.v - reference_run.v))

    def table_rows(self) -> list[dict[str, object]]:
        """One row per run: engine, method, spikes, max |dV| to the other engine (mV)."""
        rows = []
        for (engine, method), run in self.runs.items():
            other = ("reference" if engine == "brian2" else "brian2", method)
            dv = (
                float(np.max(np.abs(run.v - self.runs[other].v)) / mV)
                if other in self.runs
                else float("nan")
            )
            rows.append(
                {
                    "engine": engine,
                    "method": method,
                    "spikes": len(run.spike_times),
                    "max_abs_dv_to_other_engine_mV": dv,
                }
            )
        return rows


def run_lecture_protocol(
    *,
    brian2_methods: tuple[str, ...] = BRIAN2_METHODS,
    reference_methods: tuple[str, ...] = tuple(LECTURE_INTEGRATORS.values()),
    duration: Quantity = DURATION,
    dt: Quantity = DT,
    seed: int = SEED,
    progress=None,
) -> LectureRun:
    """Run the lecture's protocol with Brian2 and the reference integrators.

    Parameters
    ----------
    brian2_methods, reference_methods : tuple of str
    duration, dt : Quantity
        The lecture's 1000 ms and 0.1 ms by default.
    seed : int
        Seed of the correlated input (123 in the lecture).
    progress : callable, optional
        Receives a :class:`~hh_brian.core.progress.Step` before each run (and each
        Brian2 run's own progress).
    """
    preset = get_preset("lecture07_class_defaults")
    stimulus = CorrelatedNoise(seed=seed)
    result = LectureRun(preset=preset, stimulus=stimulus, duration=duration, dt=dt)
    timed = stimulus.timed_array(preset, dt, duration)
    engines = (
        ("brian2", simulate, brian2_methods),
        ("reference", simulate_reference, reference_methods),
    )
    runs = [(engine, run, method) for engine, run, methods in engines for method in methods]
    for k, (engine, run, method) in enumerate(runs):
        report(progress, "lecture protocol", k, len(runs), note=f"{engine} {method}")
        options = {"progress": progress} if engine == "brian2" else {}
        result.runs[(engine, method)] = run(
            preset,
            current=timed,
            duration=duration,
            dt=dt,
            method=method,
            initial_state=INITIAL_STATE,
            **options,
        )
    report(progress, "lecture protocol", len(runs), len(runs), finished=True)
    return result
