"""Wall time of the full bifurcation diagram of the squid axon (issue 17: under 60 s).

Computes ``bifurcation_diagram(model, "I_inj", 0, 200 uA/cm^2)`` (equilibria, Hopf
points, the cycle branch between them with its folds) ``--repeats`` times in this
process and prints JSON: each wall time, the median, the special points found, the
number of orbits, and the load average (a shared machine: compare within one run).
Usage::

    PYTHONPATH=. python benchmarks/bifurcation.py --models hh1952,dayan_abbott --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def measure(name: str, stop: float) -> dict:
    from brian2 import cm, uA

    from hh_brian.bifurcation import bifurcation_diagram
    from hh_brian.models.library import get_model

    model = get_model(name)
    started = time.perf_counter()
    diagram = bifurcation_diagram(model, "I_inj", 0 * uA / cm**2, stop * uA / cm**2)
    wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 3),
        "points": [(p.kind, round(p.p, 5)) for p in diagram.points],
        "orbits": [len(c.p) for c in diagram.cycles],
        "failure": diagram.failure,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="hh1952,dayan_abbott")
    parser.add_argument("--stop", type=float, default=200.0, help="uA/cm^2 (200)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the result here")
    args = parser.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    result = {"stop_uA_per_cm2": args.stop, "load_average": os.getloadavg(), "models": {}}
    for name in args.models.split(","):
        runs = [measure(name, args.stop) for _ in range(args.repeats)]
        result["models"][name] = {
            "median_wall_s": statistics.median(r["wall_s"] for r in runs),
            "wall_s": [r["wall_s"] for r in runs],
            "points": runs[0]["points"],
            "orbits": runs[0]["orbits"],
            "failure": runs[0]["failure"],
        }
    result["load_average_after"] = os.getloadavg()
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
