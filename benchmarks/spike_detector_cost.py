"""Cost of hh-brian's spike detector in Brian2: the per-step ``v_before`` update.

The detector (:mod:`hh_brian.engines.brian2.spikes`) adds one ``run_regularly``
(``v_before = v``, every step) and records ``v`` and ``v_before`` with each spike.  This
runs the same NeuronGroup (Dayan & Abbott, exponential Euler, dt = 0.01 ms, runtime
cython with the fast path, neuron i at i/N x 20 uA/cm^2) twice in one process, warm:

* ``plain``: threshold ``v > V_spike``, refractory the same condition (the old rule);
* ``detector``: the crossing threshold, ``v_before`` and the recording SpikeMonitor.

and prints the wall time of ``Network.run`` per step, median of ``--repeats``, and the
ratio, as JSON.  Usage::

    python benchmarks/spike_detector_cost.py --neurons 1000 --duration-ms 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def run(kind: str, n: int, duration_ms: float) -> tuple[float, int]:
    import numpy as np
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms, uA
    from brian2.units import cm

    from hh_brian.engines.brian2 import fastpath
    from hh_brian.engines.brian2.settings import brian2_settings
    from hh_brian.engines.brian2.spikes import attach_detector, spike_monitor, with_detector
    from hh_brian.models.kinetics import resting_state
    from hh_brian.models.presets import get_preset
    from hh_brian.render.brian2 import render

    preset = get_preset("dayan_abbott")
    model = render(preset)
    with brian2_settings(target="cython"):
        if kind == "detector":
            equations, threshold = with_detector(model.equations), model.threshold
        else:
            equations, threshold = model.equations, model.refractory
        group = NeuronGroup(
            n,
            equations,
            threshold=threshold,
            refractory=model.refractory,
            method="exponential_euler",
            namespace=dict(model.namespace),
            dt=0.01 * ms,
            codeobj_class=fastpath.runtime_codeobj_class("cython"),
        )
        for name, value in resting_state(preset).items():
            setattr(group, name, value)
        group.I_inj = np.arange(n) / n * 20 * uA / cm**2
        if kind == "detector":
            attach_detector(group, model.refractory)
            monitor = spike_monitor(group)
        else:
            monitor = SpikeMonitor(group)
        net = Network(group, monitor)
        net.run(1 * ms)  # compile and warm up
        started = time.perf_counter()
        net.run(duration_ms * ms)
        return time.perf_counter() - started, int(monitor.num_spikes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--duration-ms", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    steps = int(round(args.duration_ms / 0.01))
    out: dict[str, object] = {
        "neurons": args.neurons,
        "steps": steps,
        "load_average": os.getloadavg()[0],
    }
    for kind in ("plain", "detector", "plain", "detector"):  # interleaved, twice
        times = [run(kind, args.neurons, args.duration_ms) for _ in range(args.repeats)]
        walls = [w for w, _ in times]
        out.setdefault(f"{kind}_us_per_step", []).append(statistics.median(walls) / steps * 1e6)
        out[f"{kind}_spikes"] = times[0][1]
    plain = statistics.median(out["plain_us_per_step"])
    detector = statistics.median(out["detector_us_per_step"])
    out["ratio_detector_over_plain"] = detector / plain
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
