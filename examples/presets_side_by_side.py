"""Every built-in preset under the same step current, side by side on the modern axis.

Run:  python examples/presets_side_by_side.py [--fast] [--out presets.png]

Each preset is one Brian2 NeuronGroup (exponential Euler, dt = 0.01 ms), driven
by a 10 uA/cm^2 step from 5 ms on (for Traub-Miles, which has an area, the same
density is turned into a current by ``coerce_current``).  The 1952 preset's ``v``
is mapped to the modern potential with ``preset.convention.to_modern`` so all
panels share one axis.  ``--fast`` (or HH_BRIAN_FAST=1) runs three presets for
20 ms at dt = 0.025 ms.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from brian2 import cm, ms, mV, uA
from matplotlib.figure import Figure

from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.presets import PRESETS
from hh_brian.models.stimuli import Step
from hh_brian.report.plotting import save_figure

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="a few seconds instead of a minute")
parser.add_argument("--out", default="presets_side_by_side.png", help=".png, .svg or .pdf")
args = parser.parse_args()
fast = args.fast or os.environ.get("HH_BRIAN_FAST") == "1"

names = ["hh1952", "dayan_abbott", "pyramidal"] if fast else list(PRESETS)
duration, dt = (20 * ms, 0.025 * ms) if fast else (60 * ms, 0.01 * ms)
stimulus = Step(10 * uA / cm**2, onset=5 * ms)

figure = Figure(figsize=(8, 1.6 * len(names) + 1))
axes = figure.subplots(len(names), 1, sharex=True)
for ax, name in zip(np.atleast_1d(axes), names, strict=True):
    preset = PRESETS[name]
    result = simulate(
        preset,
        current=stimulus.timed_array(preset, dt, duration),
        duration=duration,
        dt=dt,
        method="exponential_euler",
    )
    v_modern = preset.convention.to_modern(result.v[0])  # same axis for every convention
    n_spikes = result.spikes_of(0).size
    ax.plot(result.t / ms, v_modern / mV, color="black", lw=1)
    ax.set_ylabel("V [mV]")
    ax.set_title(f"{name} ({preset.convention.name} convention): {n_spikes} spikes", fontsize=9)
    print(f"{name:<30} {n_spikes:3d} spikes")
np.atleast_1d(axes)[-1].set_xlabel("time [ms]")
figure.suptitle(
    f"{stimulus.describe()} - exponential_euler, dt = {float(dt / ms):g} ms, modern axis"
)
figure.tight_layout()
print(save_figure(figure, args.out))
