"""The demo's headline: the book's squid axon beside the lecture's class defaults.

* **The book's squid axon** (``dayan_abbott``: Dayan & Abbott 2001 section 5.6, c_m =
  1 uF/cm^2) under brief pulses from rest, with hh-brian's default method and dt
  (:mod:`hh_brian.core.defaults`): rest at -65 mV, action potentials peaking at +40 mV.
* **Lecture 7's protocol, faithfully reproduced** (:mod:`hh_brian.compare.lecture`:
  ``lecture07_class_defaults``, the lecture's ``c_m = 0.1 uF/mm^2``, its correlated
  input of seed 123, dt = 0.1 ms, its integrators, in Brian2 and in the NumPy
  reference), and beside it the same protocol with hh-brian's default method and dt
  (the input sampled every 0.1 ms and held, as the lecture's ``ie(t) = ii[int(t/dt)]``
  defines it): the converged answer the lecture's runs should be measured against.

Spikes are counted twice with the crossing rule of :mod:`hh_brian.core.crossings`: at
the model's ``V_spike`` (-20 mV), and at the level a person would use, between the
troughs and the peaks of each panel's traces (:mod:`hh_brian.analysis.event_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, uA
from brian2.units import cm

from hh_brian.analysis.event_threshold import EventThreshold, visible_threshold
from hh_brian.analysis.spikes import detect_spikes
from hh_brian.compare.lecture import DT, INITIAL_STATE, LectureRun, run_lecture_protocol
from hh_brian.core.defaults import DEFAULT_DT_MS, DEFAULT_METHOD
from hh_brian.engines.brian2.simulate import SimulationResult, simulate
from hh_brian.models.presets import get_preset
from hh_brian.models.stimulus_kinds import PulseTrain, Sampled

__all__ = [
    "BOOK_MODEL",
    "BOOK_PULSE",
    "CAPACITANCE_SENTENCE",
    "SideBySide",
    "count",
    "run_side_by_side",
]

BOOK_MODEL = "dayan_abbott"
#: The one sentence on why the two panels differ.
CAPACITANCE_SENTENCE = (
    "The lecture's class default c_m = 0.1 uF/mm^2 is ten times the book's 0.01 uF/mm^2 "
    "(= 1 uF/cm^2), so its membrane charges ten times more slowly than the sodium gates "
    "open and inactivate: the same channels give slow events peaking near -20 mV instead "
    "of action potentials from -65 to +40 mV."
)
#: The book panel's protocol: brief pulses, each eliciting one action potential from rest.
BOOK_PULSE = {"amplitude_uA_cm2": 20.0, "width_ms": 1.0, "period_ms": 50.0, "onset_ms": 10.0}


@dataclass
class SideBySide:
    """The book's run, the lecture's runs (and its converged run), and each panel's level."""

    book: SimulationResult
    lecture: LectureRun
    converged: SimulationResult
    book_threshold: EventThreshold
    lecture_threshold: EventThreshold

    def lecture_runs(self) -> list[SimulationResult]:
        """The lecture panel's Brian2 runs: the lecture's methods, then the converged one."""
        runs = [run for (engine, _), run in self.lecture.runs.items() if engine == "brian2"]
        return [*runs, self.converged]

    def count_rows(self) -> list[dict[str, object]]:
        """Per run: cell, method, dt, spikes at V_spike and at the panel's level."""
        rows = []
        panels = (
            (f"{BOOK_MODEL} (book)", [self.book], self.book_threshold),
            (f"{self.lecture.preset.name} (lecture)", self.lecture_runs(), self.lecture_threshold),
        )
        for label, runs, threshold in panels:
            for run in runs:
                rows.append(
                    {
                        "model": label,
                        "method": run.method,
                        "dt_ms": float(run.dt / ms),
                        "spikes_at_v_spike": count(run),
                        "visible_mV": threshold.level_mV,
                        "spikes_at_visible": count(run, threshold),
                    }
                )
        return rows


def count(run: SimulationResult, threshold: EventThreshold | None = None) -> int:
    """Spikes of neuron 0 by the crossing rule at *threshold* (default: ``V_spike``)."""
    if threshold is not None and threshold.level_mV is None:
        return 0
    level = None if threshold is None else threshold.level_mV * mV
    spikes = detect_spikes(run.t, run.v[0], run.preset, threshold=level)
    return int(spikes.times.size)


def run_side_by_side(
    *,
    duration: Quantity = 1000 * ms,
    lecture_methods: tuple[str, ...] = ("exponential_euler", "rk4"),
    progress=None,
) -> SideBySide:
    """Run both panels (the lecture's methods in Brian2 and the NumPy reference)."""
    default_dt = DEFAULT_DT_MS * ms
    lecture = run_lecture_protocol(
        brian2_methods=lecture_methods,
        reference_methods=lecture_methods,
        duration=duration,
        progress=progress,
    )
    n_steps = int(round(float(duration / DT)))
    held = Sampled(values=lecture.stimulus.samples(DT, n_steps), dt=DT)
    if progress:
        progress(f"brian2 {DEFAULT_METHOD}, dt = {DEFAULT_DT_MS:g} ms: the lecture's cell")
    converged = simulate(
        lecture.preset,
        current=held,
        duration=duration,
        dt=default_dt,
        method=DEFAULT_METHOD,
        initial_state=INITIAL_STATE,
    )
    if progress:
        progress(f"brian2 {DEFAULT_METHOD}, dt = {DEFAULT_DT_MS:g} ms: the book's {BOOK_MODEL}")
    pulses = PulseTrain(
        BOOK_PULSE["amplitude_uA_cm2"] * uA / cm**2,
        BOOK_PULSE["width_ms"] * ms,
        BOOK_PULSE["period_ms"] * ms,
        onset=BOOK_PULSE["onset_ms"] * ms,
    )
    # As long as the lecture's converged run: the two models render the same equations and
    # the held input the same table size, so Brian2 compiles one state updater for both.
    book = simulate(
        get_preset(BOOK_MODEL),
        current=[pulses],
        duration=duration,
        dt=default_dt,
        method=DEFAULT_METHOD,
    )
    side = SideBySide(
        book=book,
        lecture=lecture,
        converged=converged,
        book_threshold=visible_threshold([np.asarray(book.v[0] / mV)]),
        lecture_threshold=EventThreshold(None, np.nan, np.nan, 0, 0),
    )
    side.lecture_threshold = visible_threshold(
        [np.asarray(run.v[0] / mV) for run in side.lecture_runs()]
    )
    return side
