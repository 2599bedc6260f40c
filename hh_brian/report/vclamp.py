"""Voltage-clamp outputs: the per-sweep CSV, the fits CSV, the traces NPZ and the figure.

Every CSV header carries its unit (``v_step_mV``, ``I_peak_Na_uA_per_cm2``,
``g_peak_K_mS_per_cm2``, ``tau_n_ms``; ``g_norm_Na_1`` is dimensionless).
Currents are in the model's convention (outward positive; for ``hh1952`` inward
positive, as in the paper).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from brian2 import ms, mV

from hh_brian.analysis.vclamp import (
    CONDUCTANCE_TAG,
    CONDUCTANCE_UNIT,
    CURRENT_TAG,
    CURRENT_UNIT,
    ClampAnalysis,
    boltzmann,
)
from hh_brian.engines.clamp_trace import ClampTrace
from hh_brian.report.figure import ReportFigure, save_figure

#: CSV name of the swept level, by protocol kind.
LEVEL_COLUMN = {"steps": "v_step_mV", "prepulse": "v_prepulse_mV", "tail": "v_tail_mV"}


def _columns(analysis: ClampAnalysis) -> dict[str, np.ndarray]:
    kind = analysis.trace.protocol.kind
    columns = {
        "sweep": np.arange(np.size(analysis.levels)),
        LEVEL_COLUMN[kind]: np.asarray(analysis.levels / mV),
    }
    for name in analysis.i_peak:
        columns[f"I_peak_{name}_{CURRENT_TAG}"] = np.asarray(analysis.i_peak[name] / CURRENT_UNIT)
        columns[f"I_ss_{name}_{CURRENT_TAG}"] = np.asarray(analysis.i_ss[name] / CURRENT_UNIT)
    for name in analysis.g_peak:
        columns[f"g_peak_{name}_{CONDUCTANCE_TAG}"] = np.asarray(
            analysis.g_peak[name] / CONDUCTANCE_UNIT
        )
        columns[f"g_ss_{name}_{CONDUCTANCE_TAG}"] = np.asarray(
            analysis.g_ss[name] / CONDUCTANCE_UNIT
        )
        columns[f"g_norm_{name}_1"] = analysis.normalised(name)
    for gate, values in analysis.tau.items():
        columns[f"tau_{gate}_ms"] = np.asarray(values / ms)
    return columns


def csv_text(analysis: ClampAnalysis) -> str:
    """One row per sweep, a unit in every header (see the module docstring)."""
    columns = _columns(analysis)
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for row in zip(*columns.values(), strict=True):
        out.write(",".join(_cell(v) for v in row) + "\n")
    return out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return "" if not np.isfinite(value) else repr(value)


def fits(analysis: ClampAnalysis) -> list[tuple[str, str, float, str]]:
    """``(quantity, channel, value, unit)`` for every reversal and Boltzmann fit."""
    rows = []
    for name, value in analysis.reversal.items():
        rows.append(("reversal_peak_IV", name, float(value / mV), "mV"))
    for label, results in (
        ("activation", analysis.activation),
        ("inactivation", analysis.inactivation),
    ):
        for name, fit in results.items():
            if fit is None:
                continue
            rows += [
                (f"{label}_V_half", name, float(fit.v_half / mV), "mV"),
                (f"{label}_V_half_sd", name, float(fit.v_half_sd / mV), "mV"),
                (f"{label}_k", name, float(fit.k / mV), "mV"),
                (f"{label}_k_sd", name, float(fit.k_sd / mV), "mV"),
                (f"{label}_rms", name, fit.rms, "1"),
            ]
    return rows


def fits_csv_text(analysis: ClampAnalysis) -> str:
    """The fits as ``quantity,channel,value,unit`` rows."""
    lines = ["quantity,channel,value,unit"]
    lines += [f"{q},{c},{_cell(v)},{u}" for q, c, v, u in fits(analysis)]
    return "\n".join(lines) + "\n"


def summary_lines(analysis: ClampAnalysis) -> list[str]:
    """Human-readable lines: reversals and Boltzmann fits."""
    trace = analysis.trace
    lines = [
        f"{trace.model.name}: {trace.protocol.kind} family of {trace.protocol.n_sweeps} sweeps, "
        f"{trace.method}, dt = {float(trace.protocol.dt / ms):g} ms, "
        + ("ideal clamp" if trace.ideal else "series-resistance clamp")
        + f" ({trace.wall_time:.2f} s)"
    ]
    for name, value in analysis.reversal.items():
        if np.isfinite(float(value / mV)):
            lines.append(f"  reversal of peak I_{name}: {float(value / mV):.4f} mV")
    for label, results in (
        ("activation", analysis.activation),
        ("inactivation", analysis.inactivation),
    ):
        for name, fit in results.items():
            if fit is not None:
                lines.append(f"  {label} of {name}: {fit.text()}")
    return lines


def traces_arrays(trace: ClampTrace) -> dict[str, np.ndarray]:
    """The NPZ layout: ``t_ms`` (1-D), ``v_command_mV``, ``v_mV``, each gate by name,
    ``I_<ch>_uA_per_cm2`` and ``g_<ch>_mS_per_cm2`` (and ``I_clamp_uA_per_cm2`` with
    a series resistance), each sweeps x samples."""
    arrays = {
        "t_ms": np.asarray(trace.t / ms),
        "v_command_mV": np.asarray(trace.v_command / mV),
        "v_mV": np.asarray(trace.v / mV),
        **{name: np.asarray(values) for name, values in trace.gates.items()},
    }
    for name, values in trace.currents.items():
        arrays[f"I_{name}_{CURRENT_TAG}"] = np.asarray(values / CURRENT_UNIT)
    for name, values in trace.conductances.items():
        arrays[f"g_{name}_{CONDUCTANCE_TAG}"] = np.asarray(values / CONDUCTANCE_UNIT)
    if trace.clamp_current is not None:
        arrays[f"I_clamp_{CURRENT_TAG}"] = np.asarray(trace.clamp_current / CURRENT_UNIT)
    return arrays


def plot_vclamp(analysis: ClampAnalysis, path: str | Path | None = None) -> Path | ReportFigure:
    """Command and currents over time, the I-V curves, and the normalised curves with
    their Boltzmann fits (or the time constants, for tail families)."""
    trace = analysis.trace
    protocol = trace.protocol
    t_ms = np.asarray(trace.t / ms)
    levels = np.asarray(analysis.levels / mV)
    figure = ReportFigure(figsize=(11, 8))
    (ax_cmd, ax_i), (ax_iv, ax_fit) = figure.subplots(2, 2)
    cmap = _colours(protocol.n_sweeps)
    total = np.asarray(trace.total_current() / CURRENT_UNIT)
    for k in range(protocol.n_sweeps):
        ax_cmd.plot(t_ms, np.asarray(trace.v_command[k] / mV), color=cmap[k], lw=0.8)
        if not trace.ideal:
            ax_cmd.plot(t_ms, np.asarray(trace.v[k] / mV), color=cmap[k], lw=0.6, ls=":")
        ax_i.plot(t_ms, total[k], color=cmap[k], lw=0.8)
    ax_cmd.set_ylabel(f"command ({trace.model.convention.name}) [mV]")
    ax_cmd.set_title("command" + ("" if trace.ideal else " (dotted: membrane)"))
    ax_i.set_ylabel(r"total ionic current [$\mu$A/cm$^2$]")
    ax_i.set_title("currents")
    for ax in (ax_cmd, ax_i):
        ax.set_xlabel("time [ms]")
    for name in analysis.i_peak:
        line = ax_iv.plot(levels, np.asarray(analysis.i_peak[name] / CURRENT_UNIT), "o-", ms=3)
        ax_iv.plot(
            levels,
            np.asarray(analysis.i_ss[name] / CURRENT_UNIT),
            "s--",
            ms=3,
            color=line[0].get_color(),
            label=f"{name} (peak o, steady --)",
        )
    ax_iv.axhline(0, color="grey", lw=0.5)
    ax_iv.set_xlabel(f"{protocol.kind} level [mV]")
    ax_iv.set_ylabel(r"current [$\mu$A/cm$^2$]")
    ax_iv.set_title("I-V")
    ax_iv.legend(fontsize=7)
    _fit_panel(ax_fit, analysis, levels)
    figure.suptitle(
        f"{trace.model.name} - voltage clamp ({protocol.kind}), {trace.method}, "
        f"dt = {float(protocol.dt / ms):g} ms"
    )
    figure.tight_layout()
    return save_figure(figure, path)


def _fit_panel(ax, analysis: ClampAnalysis, levels: np.ndarray) -> None:
    results = (
        analysis.inactivation if analysis.trace.protocol.kind == "prepulse" else analysis.activation
    )
    if not results:
        for gate, values in analysis.tau.items():
            ax.plot(levels, np.asarray(values / ms), "o-", ms=3, label=f"tau_{gate}")
        ax.set_ylabel("fitted time constant [ms]")
        ax.set_title("time constants")
    else:
        fine = np.linspace(levels.min(), levels.max(), 200)
        for name, fit in results.items():
            points = ax.plot(levels, analysis.normalised(name), "o", ms=3, label=name)
            if fit is not None:
                ax.plot(
                    fine,
                    boltzmann(fine, float(fit.v_half / mV), float(fit.k / mV)),
                    color=points[0].get_color(),
                    lw=1,
                    label=f"{name}: {fit.text()}",
                )
        kind = "inactivation |I|/max" if analysis.inactivation else "activation g/g_max"
        ax.set_ylabel(f"{kind} [1]")
        ax.set_title("Boltzmann fits")
    ax.set_xlabel("level [mV]")
    ax.legend(fontsize=7)


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(k / max(n - 1, 1)) for k in range(n)]


__all__ = [
    "LEVEL_COLUMN",
    "csv_text",
    "fits",
    "fits_csv_text",
    "plot_vclamp",
    "summary_lines",
    "traces_arrays",
]
