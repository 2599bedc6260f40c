"""Markov channel noise against NEURON's single-channel KSChan on the same cell.

NEURON ships NEURON's hh channels as KSChan point processes in single-channel mode
(``share/nrn/demo/singhhchan.hoc``: 8-state Na+, 5-state K+, the ``hh`` rates at
6.3 degC); each patch gets ``Nsingle`` = g area / 20 pS channels and ``gmax`` = the total
conductance / Nsingle, exactly hh-brian's counts for ``neuron_hh``.  At zero current
20 um**2 patches fire spontaneously; the rates of the two simulators agree within 4
standard errors (Poisson) and the ISI CVs within 4 standard errors (~CV/sqrt(2 n)).
"""

import os

import numpy as np
import pytest
from brian2 import ms, nA, umetre

from hh_brian.models.library import get_model
from hh_brian.noise.counts import channel_counts
from hh_brian.noise.markov import simulate_markov

pytestmark = [pytest.mark.neuron, pytest.mark.slow]

AREA_UM2, CELLS, DURATION_MS = 20.0, 30, 400.0


def _neuron_kschan_spikes(counts):
    """Spike times (ms) of CELLS patches with single-channel KSChan Na+ and K+."""
    neuron = pytest.importorskip("neuron")
    from neuron import h

    if not hasattr(h, "nahh0"):
        demo = os.path.join(os.path.dirname(neuron.__file__), ".data/share/nrn/demo")
        h.load_file("stdrun.hoc")
        h.load_file(os.path.join(demo, "singhhchan.hoc"))
    keep, vectors = [], []
    for i in range(CELLS):
        soma = h.Section(name=f"noise_patch{i}")
        soma.diam, soma.L, soma.cm = 10, AREA_UM2 / (np.pi * 10), 1
        soma.insert("leak")
        na, k = h.nahh0(soma(0.5)), h.khh0(soma(0.5))
        soma.ena, soma.ek = 50, -77
        for channel, g_density, n in ((na, 0.12, counts["Na"]), (k, 0.036, counts["K"])):
            channel.Nsingle = n
            channel.gmax = g_density * AREA_UM2 * 1e-8 * 1e6 / n  # uS per channel
        detector = h.APCount(soma(0.5))
        detector.thresh = -20
        times = h.Vector()
        detector.record(times)
        keep.append((soma, na, k, detector))
        vectors.append(times)
    h.celsius, h.dt = 6.3, 0.01
    h.finitialize(-65)
    h.continuerun(DURATION_MS)
    return [np.array(v) for v in vectors]


def _rate_and_cv(trains):
    count = sum(t.size for t in trains)
    isi = np.concatenate([np.diff(t) for t in trains])
    seconds = CELLS * DURATION_MS * 1e-3
    return count / seconds, np.sqrt(count) / seconds, isi.std(ddof=1) / isi.mean(), isi.size


def test_markov_firing_matches_neuron_single_channel_kschan():
    model = get_model("neuron_hh").with_area(AREA_UM2 * umetre**2)
    counts = channel_counts(model)
    assert dict(counts) == {"Na": 1200, "K": 360}
    neuron_stats = _rate_and_cv(_neuron_kschan_spikes(counts))
    run = simulate_markov(
        model, current=0 * nA, duration=DURATION_MS * ms, n_neurons=CELLS, record=[], seed=1
    )
    trains = [np.asarray(run.spike_times[run.spike_indices == i] / ms) for i in range(CELLS)]
    ours = _rate_and_cv(trains)
    print("rate, se, cv, n_isi: NEURON", neuron_stats, "hh-brian", ours)
    assert ours[0] > 10  # the patches do fire spontaneously
    assert abs(ours[0] - neuron_stats[0]) < 4 * np.hypot(ours[1], neuron_stats[1])
    cv_se = np.hypot(ours[2] / np.sqrt(2 * ours[3]), neuron_stats[2] / np.sqrt(2 * neuron_stats[3]))
    assert abs(ours[2] - neuron_stats[2]) < 4 * cv_se
