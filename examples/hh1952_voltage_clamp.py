"""HH 1952 in silico: the voltage-clamp conductance families of g_K and g_Na.

Run:  python examples/hh1952_voltage_clamp.py [--out hh1952_vclamp.png] [--dt 0.01]

The ``hh1952`` model (the paper's own convention: v is the displacement from rest,
depolarisation negative) is clamped from rest (v = 0) to depolarisations of 6 to
109 mV (v = -6 ... -109 mV), every step in one NeuronGroup, with exponential Euler.
The figure puts side by side:

* left, the simulated g_K(t) and g_Na(t) families (solid) and the families that
  Hodgkin & Huxley's *per-record* fitted rate constants give (dashed; their Tables
  1 and 2, as transcribed in ``examples/data/hh1952_rate_constants.csv``, see its
  header for the source), both with the model's g_K = 36, g_Na = 120 mS/cm^2 and
  resting gates;
* right, tau_n, n_inf, tau_m, tau_h and m_inf against depolarisation: the model's
  rate equations (HH's smooth fits, eqs. 12-13 and 20-23; lines) and the
  per-record values (points).

The simulated families equal the model's closed form to round-off (printed);
the per-record values scatter about the smooth fits, as in the paper's Figs. 4,
5, 7, 9 and 10.  The printed table gives the deviations.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from brian2 import cm, mS, ms, mV
from matplotlib.figure import Figure

from hh_brian.analysis.clamp_closed_form import conductance_family, load_rate_table
from hh_brian.engines.brian2.vclamp import run_vclamp
from hh_brian.models.clamp import build_protocol
from hh_brian.models.kinetics import steady_state, time_constant
from hh_brian.models.library import get_model
from hh_brian.report.plotting import save_figure

TABLE = Path(__file__).with_name("data") / "hh1952_rate_constants.csv"
DEPOLARISATIONS = np.array([6, 10, 19, 26, 32, 38, 51, 63, 76, 88, 100, 109], dtype=float)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="hh1952_vclamp.png", help=".png, .svg or .pdf")
parser.add_argument("--dt", type=float, default=0.01, help="time step in ms (0.01)")
args = parser.parse_args()

model = get_model("hh1952")
tables = load_rate_table(TABLE)
hold = 0 * mV
protocol = build_protocol(
    "steps",
    -DEPOLARISATIONS * mV,  # depolarisation is negative in the 1952 convention
    hold=hold,
    dt=args.dt * ms,
    step_duration=12 * ms,
    onset=1 * ms,
)
trace = run_vclamp(model, protocol)
window = protocol.window_slice()
t = trace.t[window] - trace.t[window.start]
unit = mS / cm**2

# The simulation against the model's own closed form.
for channel in ("K", "Na"):
    exact = conductance_family(model, channel, protocol.levels, t, hold)
    simulated = trace.conductances[channel][:, window]
    worst = float(np.max(np.abs(np.asarray((simulated - exact) / unit))))
    print(
        f"g_{channel}: simulated vs closed form of the model's rates: "
        f"max |diff| {worst:.2e} mS/cm^2"
    )

# The per-record fits of the paper, on the same time axis.
published = {}
for channel, gates in (("K", ("n",)), ("Na", ("m", "h"))):
    depols = tables[gates[0]].depolarisation
    levels = -depols * mV
    published[channel] = (
        depols,
        conductance_family(model, channel, levels, t, hold, {g: tables[g] for g in gates}),
    )

figure = Figure(figsize=(12, 8))
axes = figure.subplots(2, 3)
t_ms = np.asarray(t / ms)
for row, channel in enumerate(("K", "Na")):
    ax = axes[row, 0]
    depols, table_family = published[channel]
    for k, depol in enumerate(DEPOLARISATIONS):
        line = ax.plot(t_ms, np.asarray(trace.conductances[channel][k, window] / unit), lw=1)
        match = np.flatnonzero(depols == depol)
        if match.size:
            ax.plot(
                t_ms,
                np.asarray(table_family[match[0]] / unit),
                "--",
                lw=1,
                color=line[0].get_color(),
            )
        ax.annotate(
            f"{depol:g}",
            (t_ms[-1], float(trace.conductances[channel][k, window][-1] / unit)),
            fontsize=6,
        )
    ax.set_xlabel("time after the step [ms]")
    ax.set_ylabel(f"g_{channel} [mS/cm$^2$]")
    ax.set_title(f"g_{channel}: simulated (solid), per-record fits (dashed)")

fine = np.linspace(1, 115, 300)
levels = -fine * mV


def model_curves(gate: str) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.asarray(time_constant(model, gate, levels) / ms),
        np.asarray(steady_state(model, gate, levels)),
    )


for row, gates in enumerate((("n",), ("m", "h"))):
    ax_tau, ax_inf = axes[row, 1], axes[row, 2]
    for gate in gates:
        tau, inf = model_curves(gate)
        table = tables[gate]
        line = ax_tau.plot(fine, tau, label=f"tau_{gate} (model)")
        ax_tau.plot(
            table.depolarisation,
            table.tau_ms,
            "o",
            color=line[0].get_color(),
            ms=4,
            label=f"tau_{gate} (HH per record)",
        )
        if gate != "h":
            line = ax_inf.plot(fine, inf, label=f"{gate}_inf (model)")
            ax_inf.plot(
                table.depolarisation,
                table.x_inf,
                "o",
                color=line[0].get_color(),
                ms=4,
                label=f"{gate}_inf (HH per record)",
            )
    ax_tau.set_ylabel("time constant [ms]")
    ax_inf.set_ylabel("steady state [1]")
    for ax in (ax_tau, ax_inf):
        ax.set_xlabel("depolarisation -V [mV]")
        ax.legend(fontsize=7)
figure.suptitle(
    "Hodgkin & Huxley 1952 voltage clamp in silico (hh1952 model, exponential Euler, "
    f"dt = {args.dt:g} ms) vs the paper's per-record rate constants"
)
figure.tight_layout()
print(save_figure(figure, args.out))

print("\ndepol  tau_n model/HH [ms]   n_inf model/HH   tau_m model/HH [ms]   tau_h model/HH [ms]")
for depol in DEPOLARISATIONS:
    v = -depol * mV
    cells = []
    for gate, show_inf in (("n", True), ("m", False), ("h", False)):
        table = tables[gate]
        k = np.flatnonzero(table.depolarisation == depol)
        tau = float(time_constant(model, gate, v) / ms)
        text = f"{tau:6.3f}/" + (f"{table.tau_ms[k[0]]:<6.3f}" if k.size else "  -   ")
        if show_inf:
            inf = float(steady_state(model, gate, v))
            text += f"   {inf:5.3f}/" + (f"{table.x_inf[k[0]]:5.3f}" if k.size else "  -  ")
        cells.append(text)
    print(f"{depol:5g}  " + "      ".join(cells))
