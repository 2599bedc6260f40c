"""Convention equivalence (hh1952 vs modern) and published behaviour of the squid model."""

import numpy as np
import pytest
from brian2 import ms, mV, uA
from brian2.units import cm
from scipy.optimize import brentq

from hh_brian.engines.brian2.simulate import simulate
from hh_brian.engines.reference import count_spikes, integrate
from hh_brian.engines.reference_bridge import initial_vector, reference_model
from hh_brian.models.kinetics import resting_state
from hh_brian.models.presets import get_preset

CURRENT = 10 * uA / cm**2


def modern_trace(preset, duration=100 * ms):
    """Brian2 trace mapped to the modern convention, starting from the modern rest."""
    modern_rest = resting_state(get_preset("neuron_hh").with_parameters(E_L=-54.387 * mV))
    state = dict(modern_rest)
    state["v"] = preset.convention.from_modern(modern_rest["v"])
    result = simulate(preset, current=CURRENT, duration=duration, initial_state=state)
    return preset.convention.to_modern(result.v[0]), result


def test_hh1952_equals_the_modern_model_with_the_same_constants():
    """V = -65 mV - V_HH maps hh1952 onto a modern model with beta_m = 4 exp(-(V+65)/18).

    Only the way the arithmetic is written differs (exp(v/18) vs exp(-(V+65)/18)),
    so the residual is round-off amplified by the dynamics (~1e-9 mV).
    """
    old, old_run = modern_trace(get_preset("hh1952"))
    new, new_run = modern_trace(get_preset("neuron_hh").with_parameters(E_L=-54.387 * mV))
    assert len(old_run.spike_times) == len(new_run.spike_times) == 7
    assert np.max(np.abs(old - new)) < 1e-6 * mV


def test_dayan_abbott_residual_is_explained_by_beta_m():
    """dayan_abbott uses 0.0556/mV where 1952 has 1/18 = 0.05556/mV.

    The residual to hh1952 is physical (spike times drift by ~0.1 ms over 100 ms,
    so |dV| reaches tens of mV on upstrokes); replacing 0.0556 by 1/18 makes it
    vanish to round-off, which proves it is the only difference.
    """
    old, old_run = modern_trace(get_preset("hh1952"))
    book, book_run = modern_trace(get_preset("dayan_abbott"))
    residual = float(np.max(np.abs(old - book)) / mV)
    drift = np.abs(old_run.spike_times - book_run.spike_times) / ms
    assert 1.0 < residual < 100.0
    assert 0.001 < drift.max() < 0.5
    patched = get_preset("dayan_abbott").with_rates(beta_m="4/ms*exp(-(v + 65*mV)/(18*mV))")
    fixed, _ = modern_trace(patched)
    assert np.max(np.abs(old - fixed)) < 1e-6 * mV


def _late_rates(currents_uA_cm2, from_firing: bool, dt=0.01):
    """Firing rates (Hz) of dayan_abbott in 300..700 ms (reference RK4, 4th order).

    Quasi-static sweeps, so each neuron follows the attractor it starts on:
    ``from_firing`` (down sweep): start at 12 uA/cm2 (firing) and lower the current over
    200 ms to the target, following the limit cycle down to the fold; otherwise (up
    sweep) raise it from 0 at rest over 200 ms, following the rest state up to the Hopf
    point.  A step would kick the neuron across the separatrix and hide bistability.
    """
    preset = get_preset("dayan_abbott")
    model = reference_model(preset)
    target = np.asarray(currents_uA_cm2, float)
    y0 = np.repeat(initial_vector(preset)[:, None], target.size, axis=1)
    start = 12.0 if from_firing else 0.0

    def current(t):
        return start + (target - start) * min(t / 200.0, 1.0)

    settle = integrate(model, y0, dt, int(300 / dt), method="rk4", i_inj=current, record=True)
    counts = count_spikes(model, settle.y[-1], dt, int(400 / dt), method="rk4", i_inj=target)
    return counts / 0.4


def _max_real_eigenvalue(model, current: float) -> float:
    """Largest real part (1/ms) of the Jacobian's eigenvalues at the equilibrium for *current*."""
    v_eq = brentq(
        lambda v: float(model.steady_state_current(v)) - current, -70.0, -50.0, xtol=1e-13
    )
    y_eq = np.concatenate([[v_eq], model.gate_steady_state(v_eq).ravel()])
    jacobian = np.empty((4, 4))
    for k in range(4):
        step = 1e-6 * max(abs(y_eq[k]), 1e-3)
        up, down = y_eq.copy(), y_eq.copy()
        up[k] += step
        down[k] -= step
        f_up = model.f(0.0, up[:, None], np.array([current]))[:, 0]
        f_down = model.f(0.0, down[:, None], np.array([current]))[:, 0]
        jacobian[:, k] = (f_up - f_down) / (2 * step)
    return float(np.max(np.linalg.eigvals(jacobian).real))


def test_rest_loses_stability_at_the_subcritical_hopf_point():
    """Rinzel & Miller 1980, Math Biosci 49:27-59; Hassard 1978, J Theor Biol 71:401-420:
    Hopf at ~9.78 uA/cm2, 6.3 degC.

    Located by linear stability (eigenvalues of the finite-difference Jacobian) rather
    than by simulation, because oscillations grow arbitrarily slowly near a Hopf point.
    dayan_abbott's beta_m (0.0556 vs 1/18) shifts it by a few hundredths.
    """
    model = reference_model(get_preset("dayan_abbott"))
    hopf = brentq(lambda i: _max_real_eigenvalue(model, i), 8.0, 12.0, xtol=1e-6)
    assert hopf == pytest.approx(9.78, abs=0.05)
    hh = reference_model(get_preset("neuron_hh").with_parameters(E_L=-54.387 * mV))
    assert brentq(lambda i: _max_real_eigenvalue(hh, i), 8.0, 12.0) == pytest.approx(9.78, abs=0.02)


@pytest.mark.slow
def test_fold_of_limit_cycles_and_bistability_at_literature_values():
    """Rinzel & Miller 1980, Math Biosci 49:27-59: repetitive firing is born at a fold of
    limit cycles ~6.26 uA/cm2, ~50 Hz.

    Down sweep (quasi-static, from firing) fires at 6.5 but not at 6.25, bracketing the
    fold within 0.25 uA/cm2 of grid spacing; between fold and Hopf (at 8 and 9.5) the up
    sweep rests while the down sweep fires: bistability.
    """
    currents = [6.25, 6.5, 8.0, 9.5]
    down = _late_rates(currents, from_firing=True)
    up = _late_rates(currents, from_firing=False)
    assert down[0] == 0 and down[1] > 0, down
    assert up[2] == up[3] == 0 and down[2] > 0 and down[3] > 0, (up, down)
    # The cycle is born with a finite frequency of ~50 Hz (class II excitability).
    assert 45 <= down[1] <= 65
