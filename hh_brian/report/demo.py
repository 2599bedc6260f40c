"""The demo's summary (``summary.md``): what ``hh-brian demo`` measured, linking its figures.

The demo itself (folder, runs, figures) is the command :mod:`hh_brian.cli.commands.demo`.
"""

from __future__ import annotations

from brian2 import ms


def summary_text(lecture, fi, *, elapsed: float) -> str:
    """Markdown summary linking the figures."""
    lines = [
        "# hh-brian demo",
        "",
        "## 1. Lecture 7's example protocol",
        "",
        f"Preset `{lecture.preset.name}` (Dayan & Abbott with the lecture's c_m = 0.1 uF/mm^2,"
        " ten times the book's value), the lecture's correlated input (seed "
        f"{lecture.stimulus.seed}), y0 = (-65 mV, 0.318, 0.053, 0.596), dt = "
        f"{float(lecture.dt / ms):g} ms, {float(lecture.duration / ms):g} ms.",
        "",
        "| engine | method | spikes | max abs dV to the other engine (mV) |",
        "|---|---|---|---|",
    ]
    for row in lecture.table_rows():
        lines.append(
            f"| {row['engine']} | {row['method']} | {row['spikes']} | "
            f"{row['max_abs_dv_to_other_engine_mV']:.2g} |"
        )
    lines += [
        "",
        "Identical schemes agree to round-off; different schemes differ in spike count at the "
        "lecture's dt = 0.1 ms, which is why `hh-brian compare` exists.",
        "",
        "![lecture protocol](lecture_protocol.png)",
        "",
        "## 2. Gating variables: squid axon vs cortical pyramidal cell",
        "",
        "![gating](gating.png) (data: gating.csv)",
        "",
        "## 3. f-I curve of the squid axon",
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


__all__ = ["summary_text"]
