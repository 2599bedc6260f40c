"""Bifurcation analysis (:mod:`hh_brian.bifurcation`) against the literature and AUTO.

Published values for the squid axon at 6.3 degC (Rinzel & Miller 1980, Math Biosci
49:27-59; Hassard 1978, J Theor Biol 71:401-420), in uA/cm^2: fold of limit cycles
6.26, subcritical Hopf 9.78, supercritical Hopf 154.5.  They hold for the 1952
rates.  ``dayan_abbott`` keeps the book's beta_m coefficient 0.0556/mV (1/18 =
0.05556 in the 1952 paper), which moves its points: AUTO-07p (through bifpy 0.3.0,
NTST 80, measured on this machine kind) gives

=====================  ==========================  ==================================
point                  1952 rates (hh1952)         dayan_abbott (0.0556/mV)
=====================  ==========================  ==================================
subcritical Hopf       9.7754                      9.7458
supercritical Hopf     154.5224                    154.7326
folds of cycles        6.2603, 7.8423, 7.9178      6.2428, 7.8176, 7.8931
=====================  ==========================  ==================================

So ``dayan_abbott`` is checked against the published values with the 1952 beta_m
restored, and against AUTO's values as it stands.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, mV, uA

from hh_brian.bifurcation import bifurcation_diagram
from hh_brian.bifurcation.equilibria import (
    equilibrium_branches,
    equilibrium_potentials,
    special_points,
)
from hh_brian.bifurcation.field import VectorField, parameter_spec
from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.library import get_model, load_model, model_names

DENSITY = uA / cm**2
DATA = Path(__file__).parent / "data"

#: Independent values from AUTO-07p (see the module docstring), uA/cm^2.
AUTO = {
    "hh1952": {"hopf_sub": 9.7754, "hopf_super": 154.5224, "fold": 6.2603},
    "dayan_abbott": {"hopf_sub": 9.7458, "hopf_super": 154.7326, "fold": 6.2428},
}
#: Published values and the issue's tolerances, uA/cm^2.
PUBLISHED = {"fold": (6.26, 0.02), "hopf_sub": (9.78, 0.02), "hopf_super": (154.5, 0.5)}
#: The 1952 coefficient of beta_m, to restore it in dayan_abbott.
BETA_M_1952 = "4/ms * exp(-(v + 65*mV)/(18*mV))"


def squid(name: str, restore_1952_beta_m: bool = False):
    model = get_model(name)
    return model.with_rates(beta_m=BETA_M_1952) if restore_1952_beta_m else model


def hopf_points(model, start=0.0, stop=200.0):
    field = VectorField(model, parameter_spec(model, "I_inj"))
    branches = equilibrium_branches(field, start, stop)
    return branches, special_points(field, branches, start, stop)


@pytest.mark.parametrize("name", ["hh1952", "dayan_abbott"])
def test_hopf_points_of_the_squid_axon_agree_with_auto(name):
    branches, points = hopf_points(squid(name))
    assert len(branches) == 1
    kinds = [(p.kind, p.p) for p in points]
    assert [k for k, _ in kinds] == ["hopf_subcritical", "hopf_supercritical"]
    assert kinds[0][1] == pytest.approx(AUTO[name]["hopf_sub"], abs=2e-3)
    assert kinds[1][1] == pytest.approx(AUTO[name]["hopf_super"], abs=2e-3)


@pytest.mark.parametrize(
    ("name", "restore"), [("hh1952", False), ("dayan_abbott", True)], ids=["hh1952", "da_1952"]
)
def test_hopf_points_reproduce_the_published_values(name, restore):
    _, points = hopf_points(squid(name, restore))
    sub, sup = points
    value, tolerance = PUBLISHED["hopf_sub"]
    assert sub.p == pytest.approx(value, abs=tolerance)
    value, tolerance = PUBLISHED["hopf_super"]
    assert sup.p == pytest.approx(value, abs=tolerance)
    assert sub.l1 > 0 > sup.l1


def test_rest_is_stable_below_the_subcritical_hopf_and_above_the_supercritical_one():
    (branch,), (sub, sup) = hopf_points(squid("hh1952"))
    inside = (branch.p > sub.p + 1e-6) & (branch.p < sup.p - 1e-6)
    assert not branch.stable[inside].any()
    assert branch.stable[~inside & ((branch.p < sub.p - 1e-6) | (branch.p > sup.p + 1e-6))].all()
    # the frequency of the critical pair (Hz) at the subcritical Hopf point
    assert 80 < sub.frequency_hz < 110


def raised_e_l(model, delta_modern_mv: float):
    """*model* with its leak reversal raised by *delta_modern_mv* in the modern sense."""
    sign = model.convention.sign  # hh1952: a modern rise is a fall of its v
    return model.with_parameters(E_L=model.parameter("E_L") + sign * delta_modern_mv * mV)


@pytest.mark.parametrize("name", ["hh1952", "dayan_abbott"])
@pytest.mark.parametrize("delta_e", [-2.0, 3.0])
def test_hopf_points_shift_by_minus_g_l_times_the_change_of_e_l(name, delta_e):
    _, reference = hopf_points(squid(name))
    _, moved = hopf_points(raised_e_l(squid(name), delta_e))
    g_l = 0.3  # mS/cm^2 (both models)
    for before, after in zip(reference, moved, strict=True):
        assert after.p - before.p == pytest.approx(-g_l * delta_e, abs=1e-6)
    assert np.isfinite([p.l1 for p in moved]).all()


# ---------------------------------------------------------------------------
# The whole diagram of the squid axon (computed once: ~15 s)
# ---------------------------------------------------------------------------


@functools.cache
def full_squid_diagram(name: str):
    """The diagram of a squid model over 0-200 uA/cm^2, computed once per test session."""
    return bifurcation_diagram(squid(name), "I_inj", 0 * DENSITY, 200 * DENSITY)


@pytest.fixture(scope="module")
def squid_diagram():
    return full_squid_diagram("hh1952")


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_the_squid_diagram_reproduces_the_published_values(squid_diagram):
    d = squid_diagram
    assert d.failure is None
    assert [q.kind for q in d.points] == [
        "fold_of_cycles",
        "fold_of_cycles",
        "fold_of_cycles",
        "hopf_subcritical",
        "hopf_supercritical",
    ]
    fold = d.points[0]
    for point, key in ((fold, "fold"), (d.points[3], "hopf_sub"), (d.points[4], "hopf_super")):
        value, tolerance = PUBLISHED[key]
        assert point.p == pytest.approx(value, abs=tolerance)
        assert point.p == pytest.approx(AUTO["hh1952"][key], abs=1e-3)
    # the other two folds of the unstable branch (AUTO: 7.8423, 7.9178)
    assert [round(q.p, 3) for q in d.points[1:3]] == [7.842, 7.918]
    # repetitive firing is born at ~50 Hz (FACTS: "at a fold of limit cycles, ~6.26, at ~50 Hz")
    assert 45 < fold.frequency_hz < 55


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_the_cycle_branch_joins_the_two_hopf_points_with_the_right_stability(squid_diagram):
    (branch,) = squid_diagram.cycles
    assert branch.end == "hopf" and branch.p[0] == pytest.approx(9.775, abs=0.05)
    assert branch.p[-1] == pytest.approx(154.52, abs=0.5)
    fold = squid_diagram.points[0].p
    # stable cycles above the lowest fold (away from the folds near 6.26-7.92), unstable below
    big = branch.v_max - branch.v_min > 80
    assert branch.stable[big & (branch.p > 10)].all()
    assert not branch.stable[:20].any()  # the cycles born at the subcritical Hopf point
    assert fold < 6.3


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_the_bistable_window_runs_from_the_fold_to_the_subcritical_hopf(squid_diagram):
    ((low, high),) = squid_diagram.bistable()
    assert low == pytest.approx(squid_diagram.points[0].p, abs=1e-9)
    assert high == pytest.approx(squid_diagram.points[3].p, abs=1e-9)


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_points_csv_has_the_documented_columns(squid_diagram):
    rows = list(csv.reader(squid_diagram.points_csv().splitlines()))
    assert rows[0][:4] == ["kind", "I_inj_uA_per_cm2", "v_mV", "frequency_Hz"]
    assert rows[0][4:] == [
        "period_ms",
        "v_min_mV",
        "v_max_mV",
        "v_modern_mV",
        "first_lyapunov",
        "branch",
    ]
    assert len(rows) == 1 + len(squid_diagram.points)
    hopf = rows[4]
    assert hopf[0] == "hopf_subcritical" and float(hopf[1]) == pytest.approx(9.7754, abs=1e-3)
    # hh1952: v is the displacement (depolarisation negative); v_modern = -65 mV - v
    assert float(hopf[7]) == pytest.approx(-65 - float(hopf[2]), abs=1e-7)
    assert float(hopf[3]) == pytest.approx(93.3, abs=0.5)
    fold = rows[1]  # v of a fold of cycles is the cycle's peak: ~26.5 mV (modern)
    assert fold[0] == "fold_of_cycles" and 20 < float(fold[7]) < 35


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_branches_csv_lists_every_computed_point(squid_diagram):
    rows = list(csv.DictReader(squid_diagram.branches_csv().splitlines()))
    kinds = {row["kind"] for row in rows}
    assert kinds == {"equilibrium", "cycle"}
    n_cycles = sum(len(c.p) for c in squid_diagram.cycles)
    assert sum(row["kind"] == "cycle" for row in rows) == n_cycles
    assert all(row["stable"] in ("0", "1") for row in rows)


@pytest.mark.slow  # the full squid diagram (~12 s), shared by six tests
def test_the_figure_is_written(squid_diagram, tmp_path):
    from hh_brian.report.bifurcation import plot_bifurcation

    path = plot_bifurcation(squid_diagram, tmp_path / "diagram.png")
    assert path.stat().st_size > 20_000


# ---------------------------------------------------------------------------
# Other parameters and the command line
# ---------------------------------------------------------------------------


def test_the_temperature_is_a_number_and_any_parameter_can_be_followed():
    d = bifurcation_diagram(squid("hh1952"), "celsius", 6.3, 20.0)
    assert d.spec.column == "celsius_degC" and d.failure is None
    (branch,) = d.equilibria
    assert branch.p[0] == pytest.approx(6.3) and branch.p[-1] == pytest.approx(20.0)
    assert branch.stable.all()  # rest at I = 0 stays stable
    d = bifurcation_diagram(
        squid("dayan_abbott"), "g_K", "0.3*mS/mm**2", "0.4*mS/mm**2", current=2 * DENSITY
    )
    assert d.spec.column == "g_K_mS_per_mm2" and d.failure is None
    (branch,) = d.equilibria
    assert branch.p[0] == pytest.approx(0.3) and branch.p[-1] == pytest.approx(0.4)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--parameter", "g_Nax", "--range", "0*uA/cm**2:1*uA/cm**2"], "g_Nax"),
        (["--range", "0:20"], "has no units"),
        (["--range", "0*mV:20*mV"], "needs a current density"),
        (["--range", "20*uA/cm**2:0*uA/cm**2"], "reversed"),
        (["--range", "0*uA/cm**2"], "START:STOP"),
        (["--parameter", "celsius", "--range", "6.3*mV:10*mV"], "degrees Celsius"),
    ],
    ids=["unknown-parameter", "no-units", "wrong-units", "reversed", "not-a-range", "celsius"],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, capsys, arguments, message):
    out = tmp_path / "points.csv"
    code, _, err = run(capsys, "bifurcation", "hh1952", *arguments, "--out", out)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hh-brian: error:") and message in err
    assert not out.exists()


def test_a_failed_continuation_says_where_and_why_and_keeps_what_was_computed(tmp_path, capsys):
    out, branches = tmp_path / "points.csv", tmp_path / "branches.csv"
    code, stdout, err = run(
        capsys,
        "bifurcation",
        "hh1952",
        "--range",
        "0*uA/cm**2:20*uA/cm**2",
        "--newton-iterations",
        "1",
        "--out",
        out,
        "--branches",
        branches,
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "continuation failed" in err and "Hopf point at p = 9.775" in err
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [row["kind"] for row in rows] == ["hopf_subcritical"]
    assert "equilibrium" in branches.read_text()


@pytest.mark.slow
def test_a_failed_branch_does_not_stop_the_others():
    # connor_stevens has a sliver of stable equilibria at 7.870-7.882 uA/cm^2 that ends in
    # a subcritical Hopf point; its unstable cycles do not converge. The firing branch,
    # found by simulation at the top of the range, is still followed down to its onset.
    d = bifurcation_diagram(get_model("connor_stevens"), "I_inj", 0 * DENSITY, 12 * DENSITY)
    assert "no small cycle converged next to the Hopf point at p = 7.88165" in d.failure
    (hopf,) = d.of_kind("hopf_subcritical")
    (firing,) = d.cycles
    assert firing.start == "simulation at 12" and firing.end == "period"
    assert firing.stable.all() and firing.p.min() > hopf.p
    assert "continuation failed" not in firing.message
    (snic,) = d.of_kind("snic")  # the same end as on 0-10 (test_class_1_onset_...)
    assert snic.p == max(q.p for q in d.of_kind("saddle_node"))
    assert "FAILED: no small cycle converged" in d.summary()


def test_the_command_writes_points_branches_and_figure(tmp_path, capsys):
    out, branches, plot = tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "d.png"
    code, stdout, _ = run(
        capsys,
        "bifurcation",
        "dayan_abbott",
        "--parameter",
        "I_inj",
        "--range",
        "145*uA/cm**2:160*uA/cm**2",
        "--out",
        out,
        "--branches",
        branches,
        "--plot",
        plot,
    )
    assert code == 0, stdout
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [row["kind"] for row in rows] == ["hopf_supercritical"]
    assert float(rows[0]["I_inj_uA_per_cm2"]) == pytest.approx(154.7326, abs=2e-3)
    assert "cycle" in branches.read_text() and plot.stat().st_size > 10_000
    assert "hopf_supercritical: I_inj = 154.733 uA/cm^2" in stdout


def test_library_refuses_a_reversed_range_and_unknown_parameter():
    model = squid("dayan_abbott")
    with pytest.raises(HHBrianInputError, match="reversed"):
        bifurcation_diagram(model, "I_inj", 5 * DENSITY, 1 * DENSITY)
    with pytest.raises(HHBrianInputError, match="Did you mean 'E_L'"):
        bifurcation_diagram(model, "E_l", -60 * mV, -50 * mV)
    with pytest.raises(HHBrianInputError, match="needs a voltage"):
        bifurcation_diagram(model, "E_L", -60 * ms, -50 * ms)


# ---------------------------------------------------------------------------
# Slow: the other squid model, the E_L shift of the fold, class-1 cells, the f-I curve
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_dayan_abbott_diagram_agrees_with_auto():
    d = full_squid_diagram("dayan_abbott")
    fold, sub, sup = d.points[0], *d.of_kind("hopf_subcritical"), *d.of_kind("hopf_supercritical")
    assert fold.kind == "fold_of_cycles"
    for point, key in ((fold, "fold"), (sub, "hopf_sub"), (sup, "hopf_super")):
        assert point.p == pytest.approx(AUTO["dayan_abbott"][key], abs=1e-3)
    # the fold and the supercritical Hopf are within the published tolerances as they stand
    assert fold.p == pytest.approx(6.26, abs=0.02) and sup.p == pytest.approx(154.5, abs=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hh1952", "dayan_abbott"])
def test_the_fold_of_cycles_shifts_by_minus_g_l_times_the_change_of_e_l(name):
    def fold(model):
        d = bifurcation_diagram(model, "I_inj", 0 * DENSITY, 12 * DENSITY)
        return d.of_kind("fold_of_cycles")[0].p

    assert fold(raised_e_l(squid(name), 2.0)) - fold(squid(name)) == pytest.approx(-0.6, abs=1e-3)


#: Class-1 cells of issue 11 (merged from another branch), and a test model of the same
#: kind: (model, top of the range in uA/cm^2).  wb_like's Hopf point is at 25.13, so up to
#: 100 its cycles come from that Hopf point, and up to 2 from a simulation at the top.
CLASS_1 = [
    ("wang_buzsaki", 2.0),  # SNIC at 0.16; a longer branch only costs time
    ("connor_stevens", 10.0),  # on 0-10 its SNIC used to be named homoclinic
    (str(DATA / "instantaneous_na.toml"), 100.0),
    (str(DATA / "instantaneous_na.toml"), 2.0),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "stop"),
    CLASS_1,
    ids=["wang_buzsaki", "connor_stevens", "wb_like-from-hopf", "wb_like-from-simulation"],
)
def test_class_1_onset_is_a_snic_with_the_period_diverging(spec, stop):
    if not spec.endswith(".toml") and spec not in model_names():
        pytest.skip(f"model {spec!r} is not in this checkout yet (issue 11, another branch)")
    model = load_model(spec)
    d = bifurcation_diagram(model, "I_inj", 0 * DENSITY, stop * DENSITY)
    assert d.failure is None, d.failure
    (snic,) = d.of_kind("snic")
    node = min(d.of_kind("saddle_node"), key=lambda q: abs(q.p - snic.p))
    assert snic.p == node.p and snic.frequency_hz == 0
    branch = next(c for c in d.cycles if c.end == "period")
    assert branch.period[-1] > 150  # ms: diverging towards the saddle-node
    # square-root law near a SNIC: T = pi / sqrt(c (p - p_SN)), so T sqrt(p - p_SN) levels off
    scaled = branch.period[-4:] * np.sqrt(branch.p[-4:] - snic.p)
    assert np.ptp(scaled) < 0.1 * scaled[-1]
    assert branch.stable[-4:].all()  # the firing born at the SNIC is stable
    # no stable rest and stable firing together: onset without hysteresis
    assert not d.bistable()


#: The shortest f-I hold (ms), and the e-folds a deviation from rest needs to grow to a
#: spike (or to decay): from ~0.01 mV to ~10 mV.
HOLD_MS = 400.0
DEPARTURE_EFOLDS = 7.0
#: Built-in models with a bistable window (stable rest and stable firing) from 0 to 3x the
#: validation current: the squid-type models (a fold of cycles below a subcritical Hopf
#: point), the lecture's class defaults (the same, at 23-45 uA/cm^2) and pyramidal (a
#: homoclinic orbit below a subcritical Hopf point, 0.374-0.400 uA/cm^2).
#: ``bifurcation_diagram(...).bistable()`` finds none for traub_miles, wang_buzsaki,
#: destexhe_tc and the Pospischil cells, nor for connor_stevens: its firing starts at the
#: SNIC at 8.114 uA/cm^2, where rest has gone (its diagram over 0-30 also reports a
#: subcritical Hopf point at 7.88165 on a sliver of stable equilibria, 7.870-7.882, whose
#: unstable cycles do not converge: test_a_failed_branch_does_not_stop_the_others).
BISTABLE_MODELS = (
    "hh1952",
    "dayan_abbott",
    "neuron_hh",
    "dayan_abbott_thermodynamic_n",
    "lecture07_class_defaults",
    "pyramidal",
)


def _fi_grid(window, step):
    low, high = window
    return np.arange(np.floor(low / step) * step - 2 * step, high + 3 * step, step)


def _on_stable_cycles(diagram, grid, values):
    """*values(branch)* on the stable cycles, interpolated at *grid* (NaN off them); where
    two stable branches overlap, the one with the shorter period."""
    out = np.full(grid.shape, np.nan)
    period = np.full(grid.shape, np.inf)
    for branch in diagram.cycles:
        keep = branch.stable
        p = branch.p[keep]
        if p.size < 2:
            continue
        order = np.argsort(p)
        inside = (grid >= p.min()) & (grid <= p.max())
        t = np.interp(grid[inside], p[order], branch.period[keep][order])
        value = np.interp(grid[inside], p[order], values(branch)[keep][order])
        better = t < period[inside]
        index = np.flatnonzero(inside)[better]
        period[index], out[index] = t[better], value[better]
    return out


def _stable_period_ms(diagram, grid):
    """Period of the stable cycle at each grid value (inf where there is none)."""
    period = _on_stable_cycles(diagram, grid, lambda branch: branch.period)
    return np.where(np.isnan(period), np.inf, period)


def _leading_multiplier(branch):
    """Modulus of each orbit's largest nontrivial Floquet multiplier (the trivial one,
    nearest 1, left out)."""
    moduli = np.abs(branch.multipliers)
    trivial = np.argmin(np.abs(branch.multipliers - 1), axis=1)
    moduli[np.arange(len(moduli)), trivial] = -np.inf
    return moduli.max(axis=1)


def _ghost_passage_ms(diagram, fold, grid):
    """Longest passage (ms) through the ghost of the fold of cycles *fold*, at grid
    currents below it (inf at and above it).

    Near a fold the Poincare map has the normal form x' = x + c (p - p_f) - a x^2
    (Strogatz 2015, Nonlinear Dynamics and Chaos, sec. 4.3 and 8.6; the saddle-node of
    cycles).  Above the fold its stable fixed point has the multiplier
    m = 1 - 2 sqrt(a c delta), delta = p - p_f; below it, no fixed point is left, but an
    orbit entering the bottleneck needs pi / sqrt(a c delta) iterations to pass it: a
    firing transient.  a c is read from the stable cycles at the mirrored current
    p_f + delta, ((1 - m) / 2)^2 / delta, and from the orbit nearest the fold closer in.
    """
    branch = diagram.cycles[int(fold.branch.split("_")[1])]
    keep = branch.stable & (branch.p > fold.p)
    delta = branch.p[keep] - fold.p
    order = np.argsort(delta)
    curvature = ((1 - _leading_multiplier(branch)[keep]) / 2) ** 2 / delta
    below = np.maximum(fold.p - grid, 0.0)
    ac = np.interp(below, delta[order], curvature[order])
    with np.errstate(divide="ignore"):
        passage = np.pi * fold.period_ms / np.sqrt(ac * below)
    return np.where(grid < fold.p, passage, np.inf)


def _point_at(diagram, p, *kinds):
    """The one special point of *kinds* at *p*, an end of a bistable window."""
    (point,) = [q for q in diagram.of_kind(*kinds) if abs(q.p - p) < 1e-9]
    return point


def _rest_growth_rates(diagram, grid, v_start):
    """Largest real part of the Jacobian's eigenvalues (1/ms) of the equilibrium followed
    along *grid* from the one nearest *v_start* (mV, model's convention): one sheet of
    the branch, also where it folds back over the grid."""
    field = VectorField(diagram.model, diagram.spec)
    rates, v = [], v_start
    for p in grid:
        v = min(equilibrium_potentials(field, float(p)), key=lambda u, v=v: abs(u - v))
        jacobian = field.jacobian(field.equilibrium_state(v, float(p)), float(p))
        rates.append(np.linalg.eigvals(jacobian).real.max())
    return np.array(rates)


def fi_protocol_for(diagram, window):
    """The f-I protocol for comparing with *window*, every duration from the diagram (ms).

    - The up sweep's ramp lasts DEPARTURE_EFOLDS relaxation times of rest where the window
      opens, so rest is followed closely while the current rises (100 ms for the squid
      axon, the protocol's default).
    - The hold is long enough for the same relaxation before the measuring window (the
      last MEASURE_FRACTION of the hold): transients of rest have died out there.
    - The down sweep is primed in the middle of the window, where the diagram has a stable
      cycle beside rest, for PRIME_SPIKES + 1 of its periods; a switch from there to any
      grid current in the window is at most half the window's width.

    The hold and the priming are never shorter than before (HOLD_MS; fi_curve's 100 ms).
    """
    from hh_brian.analysis.fi_protocol import MEASURE_FRACTION, PRIME_SPIKES

    low, high = window
    hopf = _point_at(diagram, high, "hopf_subcritical")
    (rate_low,) = _rest_growth_rates(diagram, np.array([high, low]), hopf.v)[1:]
    relax_ms = DEPARTURE_EFOLDS / -rate_low
    middle = 0.5 * (low + high)
    (period_middle,) = _stable_period_ms(diagram, np.array([middle]))
    return {  # whole milliseconds, whole steps
        "ramp": np.ceil(relax_ms),
        "duration": np.ceil(max(HOLD_MS, relax_ms / (1 - MEASURE_FRACTION))),
        "prime_current": middle,
        "prime": np.ceil(max(100.0, (PRIME_SPIKES + 1) * period_middle)),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", BISTABLE_MODELS)
def test_the_bistable_window_agrees_with_the_two_direction_fi_curve(name):
    from hh_brian.analysis.fi_curve import fi_curve
    from hh_brian.analysis.fi_protocol import MEASURE_FRACTION, SPIKES_FOR_A_RATE
    from hh_brian.analysis.firing_state import SUSTAINED_RATIO
    from hh_brian.compare.validation_current import default_current

    model = get_model(name)
    current = default_current(model)
    if name in ("hh1952", "dayan_abbott"):  # shared with the tests above
        d = full_squid_diagram(name)
    else:
        d = bifurcation_diagram(model, "I_inj", 0 * current, 3 * current)
    assert d.failure is None, d.failure
    ((low, high),) = d.bistable()
    unit = d.spec.unit
    step = min(0.25 if d.spec.unit_text != "nA" else 0.05, (high - low) / 4)
    grid = _fi_grid((low, high), step)
    protocol = fi_protocol_for(d, (low, high))
    hold_ms = protocol["duration"]
    fi = fi_curve(
        model,
        grid * unit,
        duration=hold_ms * ms,
        ramp=protocol["ramp"] * ms,
        prime=protocol["prime"] * ms,
        prime_current=protocol["prime_current"] * unit,
        dt=0.01 * ms,
    )
    assert fi.protocol["primed"]  # the down sweep starts from firing
    firing_down = grid[fi.rate_down > 0]
    onset_down = float(fi.onset_down / unit)  # lowest current still firing from firing
    onset_up = float(fi.rheobase_repetitive / unit)  # first current firing from rest
    # Down sweep: no firing below the window's low end (fold of cycles or homoclinic
    # orbit), except for the passage through a fold's ghost when it outlasts the time
    # from the switch to the measuring window. A rate needs SPIKES_FOR_A_RATE crossings
    # in the measuring window (W), so a cycle is read as firing only where its period is
    # below W, and always where it is below W / SPIKES_FOR_A_RATE. Next to a fold the
    # period is finite and both give the first grid current above the fold; next to a
    # homoclinic orbit it diverges.
    window_ms = MEASURE_FRACTION * hold_ms
    end = _point_at(d, low, "fold_of_cycles", "homoclinic")
    ghost = _ghost_passage_ms(d, end, grid) if end.kind == "fold_of_cycles" else 0 * grid
    below = firing_down[firing_down < low]
    settle_ms = (1 - MEASURE_FRACTION) * hold_ms
    assert np.all(ghost[np.isin(grid, below)] >= settle_ms), (below, ghost)
    period = _stable_period_ms(d, grid)
    above = firing_down[firing_down >= low]
    assert grid[(grid >= low) & (period <= window_ms)][0] <= above[0] + 1e-9
    assert above[0] <= grid[(grid >= low) & (period <= window_ms / SPIKES_FOR_A_RATE)][0]
    assert onset_down == firing_down[0]
    # Up sweep: never fires from rest below the subcritical Hopf point, except where the
    # ringing left by the ramp decays too slowly for the classifier to tell it from a
    # sustained oscillation (amplitude steady to SUSTAINED_RATIO over the complete cycles
    # in the window); and it fires by the first grid current where rest grows fast
    # enough: from the ramp's lag (~0.01 mV) to a spike (~10 mV) is ~7 e-folds, to be
    # done within the first half of the hold; just above the Hopf point the growth is ~0.
    hopf = _point_at(d, high, "hopf_subcritical")
    below_hopf = grid[grid < high][::-1]
    span_ms = window_ms - 2 * hopf.period_ms  # first to last complete cycle, at least
    resolution = -np.log(SUSTAINED_RATIO) / span_ms
    ringing = below_hopf[np.abs(_rest_growth_rates(d, below_hopf, hopf.v)) <= resolution]
    assert min(ringing, default=high) <= onset_up
    above_hopf = grid[grid >= high]
    rate = _rest_growth_rates(d, above_hopf, hopf.v)
    fast = above_hopf[rate >= DEPARTURE_EFOLDS / (0.5 * hold_ms)]
    if fast.size:  # where linear growth alone leaves rest within the hold, it must
        assert onset_up <= fast[0] + 1e-9
