"""The channel library's cells against their sources: class-1 excitability of Wang &
Buzsaki 1996 and of the Connor-Stevens model (the squid axon's class 2 is tested on the
squid f-I fixture in test_fi_curve.py).

Every expected value comes from a source or from a reference solution of the source's
equations, typed below in NumPy from the papers (not hh-brian's code) and solved with
SciPy at tight tolerance:

* Wang & Buzsaki 1996 (J Neurosci 16:6402, doi:10.1523/JNEUROSCI.16-20-06402.1996),
  Materials and Methods: C = 1 uF/cm^2; g_Na 35, g_K 9, g_L 0.1 mS/cm^2; E_Na 55,
  E_K -90, E_L -65 mV; m = m_inf; phi = 5.
* Connor-Stevens as printed by Dayan & Abbott (2001), section 6.2 (per mm^2: c_m
  10 nF/mm^2; g_Na 1.2, g_K 0.2, g_A 0.477, g_L 0.003 mS/mm^2; E_Na 55, E_K -72,
  E_A -75, E_L -17 mV), with the model file's documented cap a_inf^3 <= 1.

Both are class 1: firing starts at a saddle-node on an invariant circle, where the
resting branch of the steady-state I-V curve I_ss(V) folds.  The onset current is
therefore max I_ss on the resting branch, found here with SciPy (bounded scalar
minimisation to 1e-10 mV):

=================  ===================  ===============================================
cell               fold (reference)     source
=================  ===================  ===============================================
wang_buzsaki       0.16009 uA/cm^2      the paper's onset, ~0.16 uA/cm^2 (FACTS.md)
connor_stevens     8.1141 uA/cm^2       D&A 6.2: the f-I curve starts at 0 Hz
=================  ===================  ===============================================

Measured (Brian2 2.9, rk4, dt = 0.01 ms, 1 s hold, 4 Hz rate floor): WB fires first at
0.18 uA/cm^2 (5.8 Hz), CS at 8.2 uA/cm^2 (3.4 Hz); the square-root law through the
onset reaches 0 Hz at 0.164 and 8.155 uA/cm^2.  Periods at one current against
LSODA (rtol = atol = 1e-10), 4th interspike interval from rest: WB at 1 uA/cm^2
16.750001 ms (Brian2 rk4: 16.749999 at dt = 0.01, 16.750001 at 0.005 ms), CS at
20 uA/cm^2 7.558562 ms (7.558520, 7.558575).
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, cm, ms, mV, uA
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from hh_brian.analysis.excitability import classify_excitability, sweep_onset
from hh_brian.analysis.fi_curve import fi_curve
from hh_brian.engines.registry import get_engine
from hh_brian.models.kinetics import steady_state_current
from hh_brian.models.library import get_model

DENSITY = uA / cm**2


# ------------------------------------------------ reference equations, typed from the sources
def _linoid(a: float, v0: float, v: np.ndarray) -> np.ndarray:
    """a (V + v0) / (1 - exp(-(V + v0)/10)), per ms (both sources' linoid form)."""
    x = v + v0
    return a * x / (1 - np.exp(-0.1 * x))


def wb_gates(v):
    """Wang & Buzsaki 1996: steady states and rates (1/ms) of m, h, n at V (mV)."""
    am, bm = _linoid(0.1, 35, v), 4 * np.exp(-(v + 60) / 18)
    ah, bh = 0.07 * np.exp(-(v + 58) / 20), 1 / (np.exp(-0.1 * (v + 28)) + 1)
    an, bn = _linoid(0.01, 34, v), 0.125 * np.exp(-(v + 44) / 80)
    return am / (am + bm), (ah, bh), (an, bn)


def wb_ionic(v, h, n):
    """uA/cm^2, outward positive."""
    m = wb_gates(v)[0]
    return 35 * m**3 * h * (v - 55) + 9 * n**4 * (v + 90) + 0.1 * (v + 65)


def wb_rhs(t, y, current):
    v, h, n = y
    _, (ah, bh), (an, bn) = wb_gates(v)
    phi = 5.0
    return [
        current - wb_ionic(v, h, n),
        phi * (ah * (1 - h) - bh * h),
        phi * (an * (1 - n) - bn * n),
    ]


def wb_steady(v):
    _, (ah, bh), (an, bn) = wb_gates(v)
    return [v, ah / (ah + bh), an / (an + bn)]


def cs_gates(v):
    """Dayan & Abbott 6.2: rates (1/ms) of m, h, n; (inf, tau) of a, b, at V (mV)."""
    rates = (
        (_linoid(0.38, 29.7, v), 15.2 * np.exp(-0.0556 * (v + 54.7))),
        (0.266 * np.exp(-0.05 * (v + 48)), 3.8 / (1 + np.exp(-0.1 * (v + 18)))),
        (_linoid(0.02, 45.7, v), 0.25 * np.exp(-0.0125 * (v + 55.7))),
    )
    a3 = 0.0761 * np.exp(0.0314 * (v + 94.22)) / (1 + np.exp(0.0346 * (v + 1.17)))
    a_inf = np.minimum(a3, 1.0) ** (1 / 3)  # the model file's documented cap
    tau_a = 0.3632 + 1.158 / (1 + np.exp(0.0497 * (v + 55.96)))
    b_inf = (1 / (1 + np.exp(0.0688 * (v + 53.3)))) ** 4
    tau_b = 1.24 + 2.678 / (1 + np.exp(0.0624 * (v + 50)))
    return rates, ((a_inf, tau_a), (b_inf, tau_b))


def cs_ionic(v, m, h, n, a, b):
    """uA/mm^2, outward positive."""
    return (
        1.2 * m**3 * h * (v - 55)
        + 0.2 * n**4 * (v + 72)
        + 0.477 * a**3 * b * (v + 75)
        + 0.003 * (v + 17)
    )


def cs_rhs(t, y, current):
    """current in uA/mm^2; c_m = 10 nF/mm^2 = 0.01 uF/mm^2, so dV/dt in mV/ms."""
    v, m, h, n, a, b = y
    rates, ((a_inf, tau_a), (b_inf, tau_b)) = cs_gates(v)
    gates = [al * (1 - x) - be * x for (al, be), x in zip(rates, (m, h, n), strict=True)]
    return [
        (current - cs_ionic(v, m, h, n, a, b)) / 0.01,
        *gates,
        (a_inf - a) / tau_a,
        (b_inf - b) / tau_b,
    ]


def cs_steady(v):
    rates, ((a_inf, _), (b_inf, _)) = cs_gates(v)
    return [v, *(al / (al + be) for al, be in rates), a_inf, b_inf]


#: name -> (steady state at V, ionic current of a state, RHS, uA/cm^2 per unit of the
#: reference's current, bracket of the resting branch's fold (mV))
REFERENCE = {
    "wang_buzsaki": (wb_steady, wb_ionic, wb_rhs, 1.0, (-64.0, -57.0)),
    "connor_stevens": (cs_steady, cs_ionic, cs_rhs, 100.0, (-62.0, -54.0)),
}


def reference_fold(name: str) -> tuple[float, float]:
    """(V, I) of the resting branch's saddle-node: max of I_ss(V), I in uA/cm^2."""
    steady, ionic, _, scale, bracket = REFERENCE[name]
    found = minimize_scalar(
        lambda v: -ionic(*steady(v)), bounds=bracket, method="bounded", options={"xatol": 1e-10}
    )
    return float(found.x), float(ionic(*steady(found.x))) * scale


def reference_period(name: str, current_uA_cm2: float, duration: float, spikes: int = 5) -> float:
    """Interval between the *spikes*-th and the one before it, upward crossings of -20 mV
    from rest (ms), LSODA at rtol = atol = 1e-10 over *duration* ms."""
    steady, ionic, rhs, scale, bracket = REFERENCE[name]
    rest = brentq(lambda v: ionic(*steady(v)), bracket[0] - 20.0, bracket[0])

    def crossing(t, y, current):
        return y[0] + 20.0

    crossing.direction = 1
    solution = solve_ivp(
        rhs,
        (0.0, duration),
        steady(rest),
        args=(current_uA_cm2 / scale,),
        method="LSODA",
        rtol=1e-10,
        atol=1e-10,
        events=crossing,
    )
    times = solution.t_events[0]
    assert times.size >= spikes, times
    return float(times[spikes - 1] - times[spikes - 2])


# ------------------------------------------------------------------------- the onset
@pytest.mark.parametrize(("name", "paper"), [("wang_buzsaki", 0.16), ("connor_stevens", None)])
def test_reference_fold_is_the_papers_onset_and_hh_brians_rest_branch_ends_there(name, paper):
    """The typed equations fold at the paper's onset; hh-brian's steady-state current (from
    the model file) equals the reference at the fold to 1e-9 uA/cm^2."""
    v_fold, i_fold = reference_fold(name)
    if paper is not None:
        assert i_fold == pytest.approx(paper, abs=0.005)
    hh_brian = steady_state_current(get_model(name), v_fold * mV)  # ionic, outward positive
    assert float(hh_brian / DENSITY) == pytest.approx(i_fold, abs=1e-9)


#: name -> (currents uA/cm^2, priming current uA/cm^2)
ONSET_GRID = {
    "wang_buzsaki": (np.arange(0.10, 0.305, 0.02), 1.0),
    "connor_stevens": (np.arange(7.8, 8.85, 0.1), 12.0),
}


@pytest.fixture(scope="module", params=sorted(ONSET_GRID))
def onset_fi(request):
    name = request.param
    currents, prime = ONSET_GRID[name]
    result = fi_curve(
        get_model(name),
        currents * DENSITY,
        duration=1000 * ms,
        dt=0.01 * ms,
        method="rk4",
        prime_current=prime * DENSITY,
        min_rate=4 * Hz,
    )
    return name, currents, result


def test_f_I_curve_is_class_1_from_the_reference_fold(onset_fi):
    """Silent below the reference fold, firing slowly just above it (no jump, no
    hysteresis), classified class 1; the square-root law's zero lies between the fold
    and the first firing current."""
    name, currents, fi = onset_fi
    _, i_fold = reference_fold(name)
    step = currents[1] - currents[0]
    up, down = np.asarray(fi.rate_up / Hz), np.asarray(fi.rate_down / Hz)
    assert fi.primed
    assert np.all(up[currents < i_fold] == 0) and np.all(down[currents < i_fold] == 0)
    assert np.array_equal(up > 0, down > 0) and not fi.bistable.any()
    first = currents[np.argmax(up > 0)]
    assert i_fold < first <= i_fold + 2 * step
    assert up[np.argmax(up > 0)] < 10.0  # Hz: arbitrarily low near the onset, not ~50
    result = fi.excitability
    assert result.excitability_class == 1, result.reason
    for onset in result.onsets:
        assert i_fold - 1e-9 <= onset.onset_fit <= onset.first_firing
    assert "excitability: class 1 (continuous onset" in fi.summary()


@pytest.mark.parametrize(
    ("name", "current", "duration"), [("wang_buzsaki", 1.0, 90.0), ("connor_stevens", 20.0, 50.0)]
)
def test_period_matches_the_reference_solution(name, current, duration):
    """hh-brian's Brian2 run (rk4) at dt = 0.01 and 0.005 ms against LSODA at 1e-10:
    |T_ref - T(0.005)| <= |T(0.01) - T(0.005)| (any order >= 1 at ratio 2) plus the
    spike-time resolution of the reference (1e-6 ms)."""
    expected = reference_period(name, current, duration)
    engine = get_engine("brian2")
    periods = []
    for dt in (0.01, 0.005):
        trace = engine.run(
            get_model(name),
            current=current * DENSITY,
            duration=duration * ms,
            dt=dt * ms,
            method="rk4",
        )
        times = np.asarray(trace.spike_times / ms)
        assert times.size >= 5
        periods.append(times[4] - times[3])
    bound = abs(periods[0] - periods[1]) + 1e-6
    assert abs(expected - periods[1]) <= bound, (expected, periods)


# ------------------------------------------------------------------ the classifier alone
GRID = np.round(np.arange(0.0, 2.01, 0.1), 10)


def _sqrt_law(onset: float, gain: float) -> np.ndarray:
    return np.where(GRID > onset, gain * np.sqrt(np.clip(GRID - onset, 0, None)), 0.0)


@pytest.mark.parametrize("onset", [0.05, 0.15, 0.33, 1.01])
def test_square_root_onset_is_class_1_wherever_it_falls_on_the_grid(onset):
    rates = _sqrt_law(onset, 60.0)
    result = classify_excitability(GRID, rates, rates, 4.0)
    assert result.excitability_class == 1, result.reason
    assert onset - 1e-9 <= result.onsets[0].onset_fit <= result.onsets[0].first_firing


def test_rates_below_the_floor_read_zero_and_stay_class_1():
    rates = _sqrt_law(0.15, 20.0)
    rates[rates < 8.0] = 0.0  # 20 sqrt(0.15) = 7.7 Hz at 0.3 reads 0 (floor 8 Hz)
    assert classify_excitability(GRID, rates, rates, 8.0).excitability_class == 1


def test_linear_onset_is_class_1():
    rates = np.where(GRID > 0.45, 100 * (GRID - 0.45), 0.0)
    assert classify_excitability(GRID, rates, rates, 4.0).excitability_class == 1


def test_jump_with_hysteresis_is_class_2():
    down = np.where(GRID >= 0.6, 50 + 10 * (GRID - 0.6), 0.0)
    up = np.where(GRID >= 1.0, down, 0.0)
    result = classify_excitability(GRID, up, down, 4.0)
    assert result.excitability_class == 2
    assert result.bistable == (0.6, 0.9)
    assert "down sweep jumps to 50 Hz at 0.6" in result.reason


def test_a_jump_without_a_down_sweep_is_class_2():
    up = np.where(GRID >= 1.0, 68 + 2 * (GRID - 1.0), 0.0)
    assert classify_excitability(GRID, up, None, 8.0).excitability_class == 2


@pytest.mark.parametrize(
    ("up", "fragment"),
    [
        (np.zeros_like(GRID), "no firing in range"),
        (np.full_like(GRID, 30.0), "fires at the lowest current"),
        (np.where(GRID == 2.0, 30.0, 0.0), "fewer than 2"),
    ],
    ids=["silent", "fires_everywhere", "one_point"],
)
def test_undetermined_when_the_onset_is_not_in_the_grid(up, fragment):
    result = classify_excitability(GRID, up, None, 4.0)
    assert result.excitability_class is None and fragment in result.reason


def test_sweep_onset_reports_the_fitted_law():
    onset = sweep_onset("up", GRID, _sqrt_law(0.25, 40.0), 4.0)
    assert onset.index == 3 and onset.last_silent == pytest.approx(0.2)
    assert onset.predicted_rate == 0.0 and onset.continuous
