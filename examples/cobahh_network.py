"""COBAHH (Brette et al. 2007, benchmark 3) with hh-brian: statistics and a figure.

    python examples/cobahh_network.py [--n-neurons 4000] [--duration-ms 1000] [--plot cobahh.png]

Same as ``hh-brian network cobahh --out net.npz --plot cobahh.png``, written as a
script to show the API: :func:`hh_brian.network.cobahh.cobahh_spec` gives the network as
data, :func:`hh_brian.network.build.run_network` runs it.
"""

from __future__ import annotations

import argparse

from brian2 import ms

from hh_brian.network.build import run_network
from hh_brian.network.cobahh import cobahh_spec, statistics
from hh_brian.report.network import plot_network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=4000)
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--device", default="runtime")
    parser.add_argument("--plot", default="cobahh.png")
    args = parser.parse_args()
    spec = cobahh_spec(args.n_neurons, seed=1, record=3)
    result = run_network(spec, args.duration_ms * ms, device=args.device)
    for key, value in statistics(result).as_dict().items():
        print(f"{key:>14}: {value:.3f}")
    print("figure:", plot_network(result, args.plot))


if __name__ == "__main__":
    main()
