"""Lecture 7's example protocol, reproduced by the lecture's integrators and by Brian2.

T = 1000 ms, dt = 0.1 ms, the lecture's correlated input (seed 123), its initial
condition y0 = (-65, .318, .053, .596) and the HodgkinHuxley class defaults
(c_m = 0.1 uF/mm^2, ten times Dayan & Abbott's value: see the preset's notes).

Run:  python examples/lecture_protocol.py [--fast] [--plot lecture.png]
"""

import argparse

from brian2 import ms, mV

from hh_brian.compare.lecture import LECTURE_INTEGRATORS, run_lecture_protocol
from hh_brian.report.lecture import plot_lecture

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="200 ms instead of 1000 ms")
parser.add_argument("--plot", default="lecture_protocol.png")
args = parser.parse_args()

# The lecture's integrators (euler_step, runge_kutta, euler_step_ABi, euler_step_exp)
# are the reference engine's euler, rk4, exponential_euler and exponential_euler_tau.
print("lecture integrator -> reference scheme:", LECTURE_INTEGRATORS)


def show(step):
    """Print one line per run (progress steps: hh_brian.core.progress)."""
    if step.task == "lecture protocol" and not step.finished:
        print(step.note)


run = run_lecture_protocol(duration=(200 if args.fast else 1000) * ms, progress=show)

for row in run.table_rows():
    print(
        f"{row['engine']:>9} {row['method']:<22} {row['spikes']:3d} spikes   "
        f"max |dV| to the other engine: {row['max_abs_dv_to_other_engine_mV']:.2g} mV"
    )
for method in ("exponential_euler", "rk4", "euler"):
    print(f"Brian2 vs lecture integrator, {method}: {float(run.agreement(method) / mV):.2g} mV")
plot_lecture(run, args.plot)
print(f"figure: {args.plot}")
