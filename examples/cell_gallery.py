"""Every built-in cell's response to a standard step family, on one page.

Each cell gets four current steps from 50 to 350 ms: one hyperpolarising (for
rebound) and three depolarising ones near, above and well above its threshold,
as densities scaled to the cell (:data:`FAMILIES`; the Pospischil cells' from
their papers' protocols, 0.3 nA RS, 0.5 nA FS, 0.65 nA IB, -0.1 nA LTS, divided
by the cell area).  Each starts at the cell's computed rest (or, for a cell
without a stable rest, at its resting guess with the gates at steady state).  All
four steps of a cell run as one NeuronGroup (one neuron per step), with rk4 at
dt = 0.02 ms.  The page shows adaptation (RS),
regular fast spiking (FS), the TC cell's rebound burst after the hyperpolarising
step, anode-break spikes of the squid axon, the class-1 onset of Wang-Buzsaki and
Connor-Stevens at low rates.  From rest, the LTS cell's T-current is not
de-inactivated enough for a rebound: its rebound burst needs its paper's
depolarised hold, and is tested that way in ``tests/test_cell_library_a.py``;
the IB cell's initial burst likewise.

Run:  python examples/cell_gallery.py [--out cell_gallery.png]
"""

from __future__ import annotations

import argparse
import math
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from brian2 import ms, mV, uA  # noqa: E402
from brian2.units import cm  # noqa: E402

from hh_brian.engines.brian2.simulate import simulate  # noqa: E402
from hh_brian.models.library import get_model, model_names  # noqa: E402
from hh_brian.models.stimuli import Step  # noqa: E402

#: The step family per cell (uA/cm^2): hyperpolarising, near, above, well above threshold.
SQUID = (-5.0, 5.0, 10.0, 20.0)
FAMILIES = {
    "hh1952": SQUID,
    "dayan_abbott": SQUID,
    "dayan_abbott_thermodynamic_n": SQUID,
    "neuron_hh": SQUID,
    "lecture07_class_defaults": (-10.0, 20.0, 30.0, 60.0),  # c_m 10x the book's
    "pyramidal": (-1.0, 1.0, 2.0, 4.0),
    "traub_miles": (-1.0, 1.0, 3.0, 10.0),
    "wang_buzsaki": (-0.5, 0.2, 1.0, 3.0),
    "connor_stevens": (-5.0, 8.5, 15.0, 30.0),
    "pospischil_rs": (-1.0, 1.5, 2.5, 5.0),
    "pospischil_fs": (-1.0, 2.0, 3.5, 7.0),
    "pospischil_lts": (-0.35, 0.5, 1.0, 2.0),
    "pospischil_ib": (-0.5, 1.5, 2.25, 4.0),
    "destexhe_tc": (-0.5, 0.5, 1.0, 2.0),
}
DEFAULT_FAMILY = (-1.0, 1.0, 3.0, 10.0)
ONSET, OFFSET, DURATION = 50 * ms, 350 * ms, 550 * ms
DT, METHOD = 0.02 * ms, "rk4"
COLOURS = ("tab:blue", "tab:green", "tab:orange", "tab:red")


def responses(name: str):
    """Time (ms), modern-convention v (mV) per step, and spike counts, for one cell."""
    model = get_model(name)
    amplitudes = np.array(FAMILIES.get(name, DEFAULT_FAMILY))
    step = Step(amplitudes * uA / cm**2, onset=ONSET, offset=OFFSET)
    result = simulate(model, current=step, duration=DURATION, dt=DT, method=METHOD)
    v = np.asarray(model.convention.to_modern(result.traces["v"]) / mV)
    counts = [result.spikes_of(k).size for k in range(amplitudes.size)]
    return np.asarray(result.t / ms), v, counts, amplitudes


def gallery(path: str) -> None:
    names = model_names()
    columns = 4
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.6 * rows), sharex=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        t, v, counts, amplitudes = responses(name)
        for k in range(amplitudes.size):
            ax.plot(t, v[k], color=COLOURS[k], lw=0.7)
        ax.axvspan(float(ONSET / ms), float(OFFSET / ms), color="0.93", zorder=0)
        steps = ", ".join(f"{a:g}:{c}" for a, c in zip(amplitudes, counts, strict=True))
        ax.set_title(f"{name}\nuA/cm$^2$:spikes  {steps}", fontsize=8)
        ax.set_ylim(-110, 60)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("v (modern) [mV]")
    for ax in axes[-1]:
        ax.set_xlabel("time [ms]")
    labels = ("hyperpolarising", "near threshold", "above", "well above")
    handles = [plt.Line2D([], [], color=c, label=k) for k, c in zip(labels, COLOURS, strict=True)]
    figure.legend(handles=handles, loc="lower right", ncol=2, frameon=False, fontsize=10)
    figure.suptitle(
        "Built-in cells: four current steps from 50 to 350 ms (shaded), rk4, dt = 0.02 ms",
        fontsize=11,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="cell_gallery.png", help="figure file")
    args = parser.parse_args()
    started = time.perf_counter()
    gallery(args.out)
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
