"""The demo's headline panels: a normal squid action potential, the lecture's protocol
beside it, and spike counts at a level between the troughs and the peaks."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms, mV

from hh_brian.analysis.event_threshold import MIN_SWING_MV, extrema, visible_threshold
from hh_brian.compare.squid_vs_lecture import count, run_side_by_side


def _spikes(rest, peak, n, ripple=0.5):
    """n spikes from *rest* to *peak*, each followed by an undershoot and ripples."""
    beat = [rest, rest + ripple, rest, peak, rest - 10, rest + ripple, rest - ripple]
    return np.array(beat * n + [rest])


def test_extrema_count_plateaus_once():
    high, low = extrema([0.0, 1.0, 1.0, 0.0, -1.0, -1.0, 0.0])
    assert high.tolist() == [1.0] and low.tolist() == [-1.0]


@pytest.mark.parametrize(("rest", "peak"), [(-65.0, 40.0), (-63.0, -20.0), (-60.0, -45.0)])
def test_the_level_lies_between_ripples_and_peaks_whatever_their_height(rest, peak):
    threshold = visible_threshold([_spikes(rest, peak, 5)])
    assert rest + 1 < threshold.level_mV < peak
    assert threshold.n_high == 5


def test_the_1952_convention_is_mirrored():
    modern = visible_threshold([_spikes(-65.0, 40.0, 4)])
    old = visible_threshold([-65.0 - _spikes(-65.0, 40.0, 4)], sign=-1)
    assert old.level_mV == pytest.approx(-65.0 - modern.level_mV)


def test_a_resting_trace_has_no_events():
    v = -65 + 0.3 * np.sin(np.linspace(0, 20, 500))
    threshold = visible_threshold([v])
    assert threshold.level_mV is None
    assert threshold.high_mean_mV - threshold.low_mean_mV < MIN_SWING_MV


@pytest.fixture(scope="module")
def side():
    return run_side_by_side(duration=300 * ms)


@pytest.mark.slow
def test_the_book_panel_shows_a_normal_squid_action_potential(side):
    v = np.asarray(side.book.v[0] / mV)
    assert abs(v[0] - -65.0) < 0.1  # rest
    assert 38 < v.max() < 45  # the overshoot to about +40 mV
    assert count(side.book) == count(side.book, side.book_threshold) == 6  # one per pulse


@pytest.mark.slow
def test_the_lecture_panel_counts_what_the_converged_run_shows(side):
    """At the level between troughs and peaks rk4 at the lecture's dt counts the events
    of the converged run; at -20 mV, among the dampened peaks, the counts drop."""
    threshold = side.lecture_threshold
    assert -50 < threshold.level_mV < -35
    rk4 = side.lecture.runs[("brian2", "rk4")]
    converged = count(side.converged, threshold)
    assert count(rk4, threshold) == converged
    assert count(side.converged) < converged
