"""The demo's summary (``summary.md``): what ``hh-brian demo`` measured, linking its figures.

The demo itself (folder, runs, figures) is the command :mod:`hh_brian.cli.commands.demo`.
"""

from __future__ import annotations

import numpy as np
from brian2 import ms, mV

from hh_brian.compare.squid_vs_lecture import BOOK_PULSE, CAPACITANCE_SENTENCE
from hh_brian.compare.step_cost import relative_cost_per_ms
from hh_brian.core.defaults import DEFAULT_DT_MS, DEFAULT_METHOD
from hh_brian.models.presets import display_value


def summary_text(side, accuracy, target, fi, *, elapsed: float) -> str:
    """Markdown summary linking the figures."""
    lecture = side.lecture
    book_v = np.asarray(side.book.v[0] / mV)
    pulse = BOOK_PULSE
    counts = {(r["method"], r["dt_ms"]): r for r in side.count_rows()[1:]}
    converged = counts[(side.converged.method, float(side.converged.dt / ms))]
    lines = [
        "# hh-brian demo",
        "",
        "## 1. A squid action potential, and lecture 7's protocol beside it",
        "",
        f"- **Left, the book's squid axon** (`{side.book.preset.name}`, Dayan & Abbott 2001 "
        f"section 5.6, c_m = 1 uF/cm^2), {pulse['width_ms']:g} ms pulses of "
        f"{pulse['amplitude_uA_cm2']:g} uA/cm^2 every {pulse['period_ms']:g} ms, with "
        f"hh-brian's default `{DEFAULT_METHOD}` at dt = {DEFAULT_DT_MS:g} ms: it rests at "
        f"{float(book_v[0]):.1f} mV and every action potential peaks at "
        f"{float(book_v.max()):.1f} mV.",
        f"- **Right, lecture 7's protocol reproduced** (`{lecture.preset.name}`: the "
        "lecture's `HodgkinHuxley` class defaults; its correlated input, seed "
        f"{lecture.stimulus.seed}; y0 = (-65 mV, 0.318, 0.053, 0.596); dt = "
        f"{float(lecture.dt / ms):g} ms; its integrators; {float(lecture.duration / ms):g} ms). "
        f"The dotted black line is the same protocol with `{DEFAULT_METHOD}` at dt = "
        f"{DEFAULT_DT_MS:g} ms (the input held at the lecture's samples): the converged "
        f"answer, {converged['spikes_at_visible']} events.",
        "",
        CAPACITANCE_SENTENCE,
        "",
        "Spikes are counted with the crossing rule (one spike per upward crossing, re-armed "
        "on the way back down) at a level a person would use, between the troughs and the "
        "event peaks of each panel's traces: the local minima and maxima of all of them are "
        "split into a low and a high group (Otsu's criterion) and the level is halfway "
        "between the groups' means; it is drawn dashed on the figure, with the minima and "
        f"maxima below. Left: {side.book_threshold.describe()}. Right: "
        f"{side.lecture_threshold.describe()}. The model's V_spike = -20 mV sits among the "
        "lecture's dampened peaks, so counts there depend on the method's small errors.",
        "",
        "| cell | method | dt (ms) | spikes at the counting level | spikes at -20 mV |",
        "|---|---|---|---|---|",
    ]
    for row in side.count_rows():
        lines.append(
            f"| {row['model']} | {row['method']} | {row['dt_ms']:g} | "
            f"{row['spikes_at_visible']} (at {row['visible_mV']:.1f} mV) | "
            f"{row['spikes_at_v_spike']} |"
        )
    off = [
        f"{method} {n['spikes_at_visible']}"
        for (method, dt_ms), n in counts.items()
        if n is not converged and n["spikes_at_visible"] != converged["spikes_at_visible"]
    ]
    lines += [
        "",
        f"At the lecture's dt = {float(lecture.dt / ms):g} ms the events counted are "
        + (
            f"off for {', '.join(off)} (converged: {converged['spikes_at_visible']})."
            if off
            else f"those of the converged run ({converged['spikes_at_visible']})."
        ),
        "",
        "![action potentials](action_potentials.png)",
        "",
        "The lecture's runs in both engines (Brian2 and the independent NumPy reference): "
        "identical schemes agree to round-off.",
        "",
        "| engine | method | max abs dV to the other engine (mV) |",
        "|---|---|---|",
    ]
    for row in lecture.table_rows():
        lines.append(
            f"| {row['engine']} | {row['method']} | {row['max_abs_dv_to_other_engine_mV']:.2g} |"
        )
    lines += ["", "![lecture protocol](lecture_protocol.png)", ""]
    lines += _accuracy_lines(accuracy, target)
    lines += [
        "## 3. Gating variables: squid axon vs cortical pyramidal cell",
        "",
        "![gating](gating.png) (data: gating.csv)",
        "",
        "## 4. f-I curve of the squid axon",
        "",
        fi.summary(),
        "",
        "Literature (Rinzel & Miller 1980): fold of limit cycles ~6.26 uA/cm^2 at ~50 Hz, "
        "subcritical Hopf ~9.78 uA/cm^2 (6.3 degC).",
        "",
        "![f-I](fi.png) (data: fi.csv)",
        "",
        f"Total time: {elapsed:.1f} s.",
    ]
    return "\n".join(lines) + "\n"


def _accuracy_lines(accuracy, target) -> list[str]:
    """The method-accuracy table: max spike-time error per method and dt, and cost."""
    lines = [
        "## 2. How accurate is each method, and at what cost?",
        "",
        f"`{accuracy.preset.name}` under {display_value(accuracy.current, 'cm')} for "
        f"{float(accuracy.duration / ms):g} ms, run by the NumPy engine (its schemes agree "
        "with Brian2's to round-off), against the gold solution (scipy DOP853, rtol = atol = "
        "1e-12). Cost of a simulated ms: "
        "the measured cost of one step relative to exponential Euler's, divided by dt "
        "(`hh_brian/compare/step_cost.py`).",
        "",
        "| method | dt (ms) | max spike-time error (ms) | cost of a simulated ms |",
        "|---|---|---|---|",
    ]
    for row in accuracy.rows:
        dt_ms = float(row.dt / ms)
        if row.blew_up:
            error = "blew up"
        elif not (row.spikes and row.spikes.complete):
            error = "missed or extra spikes"
        else:
            error = f"{float(row.spike_error_max / ms):.3g}"
        cost = relative_cost_per_ms(row.method, dt_ms)
        lines.append(f"| {row.method} | {dt_ms:g} | {error} | {cost:.0f} |")
    meeting = [
        r
        for r in accuracy.rows
        if not r.blew_up and r.spikes and r.spikes.complete and r.spike_error_max <= target
    ]
    if meeting:
        best = min(meeting, key=lambda r: relative_cost_per_ms(r.method, float(r.dt / ms)))
        cheapest = (
            f"{best.method} at dt = {float(best.dt / ms):g} ms "
            f"({float(best.spike_error_max / ms):.3g} ms)"
        )
    else:
        cheapest = "none of these runs"
    lines += [
        "",
        f"Cheapest run meeting {float(target / ms):g} ms here: {cheapest}. Over every built-in "
        "cell, and requiring a method that cannot blow up at any dt, the choice is "
        f"{DEFAULT_METHOD} at {DEFAULT_DT_MS:g} ms: hh-brian's default (README, 'Defaults').",
        "",
        "![method accuracy](method_accuracy.png) (data: method_accuracy.csv)",
        "",
    ]
    return lines


__all__ = ["summary_text"]
