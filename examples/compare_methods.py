"""Which integration method and time step for the Dayan & Abbott neuron?

Run:  python examples/compare_methods.py [--fast] [--out DIR]

Integrates the squid axon of Dayan & Abbott (2001, section 5.6) under a
constant 10 uA/cm^2 with Brian2's exponential_euler, rk4 and euler and with
the NumPy reference engine, at several time steps, and scores each run
against a tight-tolerance gold solution (scipy DOP853, rtol = atol = 1e-12):
voltage error, spike-time error (crossings interpolated from the recorded
voltage, not Brian2's step-quantised spike times), wall time.  It prints the
table, the observed orders (voltage error from rest to just past the first
spike, and spike times; flagged where the dts are outside the asymptotic
regime) and the cheapest run whose spike times are within
0.1 ms of the gold ones, and writes DIR/compare_methods.csv and .png.

The same as ``hh-brian compare dayan_abbott --out table.csv --plot fig.png``.
``--fast`` uses fewer time steps and a 20 ms run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from brian2 import cm, ms, uA

from hh_brian.compare.methods import compare_methods
from hh_brian.core.output import write_text_atomic
from hh_brian.models.presets import get_preset
from hh_brian.report.compare_report import csv_text, orders_table, plot_comparison, text_table

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="3 time steps, 20 ms")
parser.add_argument("--out", default=".", help="folder for compare_methods.csv and .png")
args = parser.parse_args()

if args.fast:
    dts, duration = [0.05 * ms, 0.025 * ms, 0.01 * ms], 20 * ms
else:
    dts, duration = [0.1 * ms, 0.05 * ms, 0.025 * ms, 0.01 * ms, 0.005 * ms], 100 * ms
target = 0.1 * ms

comparison = compare_methods(
    get_preset("dayan_abbott"),
    methods=["exponential_euler", "rk4", "euler"],
    dts=dts,
    current=10 * uA / cm**2,
    duration=duration,
    engines=["brian2", "reference"],
)
print(text_table(comparison.rows))
print(orders_table(comparison))
print(f"recommendation (max spike-time error <= {target}):", comparison.recommend(target).reason)

folder = Path(args.out)
write_text_atomic(folder / "compare_methods.csv", csv_text(comparison.rows))
plot_comparison(comparison, folder / "compare_methods.png", target)
print(f"wrote {folder / 'compare_methods.csv'} and {folder / 'compare_methods.png'}")
