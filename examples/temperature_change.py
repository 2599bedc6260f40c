"""Firing rate against temperature (``Preset.with_temperature``).

Run:  python examples/temperature_change.py [--fast] [--out temperature.png]

Every gating rate of a preset is multiplied by phi = q10**((celsius -
celsius_ref)/10) with q10 = 3 (Hodgkin & Huxley 1952).  Warming the squid
axon makes the gates faster: it fires faster, until the sodium current can
no longer build a spike before K+ and inactivation catch up and firing fails
(with dt = 0.01 ms: between 21 and 27 degC, first at the weakest current).
Each temperature is its own model (phi is a model
constant), so we loop over temperatures, not over neurons; all currents of one
temperature run in one vectorised NeuronGroup.  ``--fast`` (or HH_BRIAN_FAST=1)
uses three temperatures and a short run.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from brian2 import Hz, cm, ms, uA
from matplotlib.figure import Figure

from hh_brian.analysis.spikes import firing_rate
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.presets import get_preset
from hh_brian.report.plotting import save_figure

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true")
parser.add_argument("--out", default="temperature.png", help=".png, .svg or .pdf")
args = parser.parse_args()
fast = args.fast or os.environ.get("HH_BRIAN_FAST") == "1"

base = get_preset("hh1952")
temperatures = [6.3, 12.0, 18.0] if fast else [6.3, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 27.0, 30.0]
currents = np.array([10.0, 20.0, 40.0]) * uA / cm**2  # one neuron per current
duration, dt = (60 * ms, 0.02 * ms) if fast else (300 * ms, 0.01 * ms)

rates = []
print(
    "celsius   phi     " + "  ".join(f"{float(c / (uA / cm**2)):g} uA/cm2 [Hz]" for c in currents)
)
for celsius in temperatures:
    preset = base.with_temperature(celsius)
    result = simulate(
        preset, current=currents, duration=duration, dt=dt, method="exponential_euler", record=False
    )
    rate = firing_rate(
        result.spike_indices, result.spike_times, currents.size, duration / 2, duration
    )
    rates.append(np.asarray(rate / Hz))
    print(f"{celsius:7.1f}  {preset.phi('Na'):6.3f}  " + "  ".join(f"{r:20.1f}" for r in rates[-1]))

rates = np.array(rates)
figure = Figure(figsize=(7, 4.5))
ax = figure.subplots()
for k, current in enumerate(currents):
    ax.plot(
        temperatures, rates[:, k], "o-", label=f"I = {float(current / (uA / cm**2)):g} uA/cm$^2$"
    )
ax.set_xlabel("temperature [degC]")
ax.set_ylabel("steady-state firing rate [Hz] (ISI, 2nd half)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
ax.set_title(f"hh1952, q10 = 3 - exponential_euler, dt = {float(dt / ms):g} ms, {duration} per run")
figure.tight_layout()
print(save_figure(figure, args.out))
