"""The command-line contract: presets, render, simulate (NPZ), and every bad-input path."""

import json

import numpy as np
import pytest

from hh_brian.cli.main import main
from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.models.presets import PRESETS
from hh_brian.render.equation_files import expected_files

NPZ_KEYS = {"t_ms", "v_mV", "n", "m", "h", "I_inj_uA_per_cm2", "spikes_ms", "meta"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_presets_lists_name_convention_and_citation(capsys):
    code, out, _ = run(capsys, "presets")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 * len(PRESETS)
    # One row "name  convention  title", then the channels and the citation under the title.
    for k, (name, preset) in enumerate(PRESETS.items()):
        assert lines[3 * k].split(None, 2) == [name, preset.convention.name, preset.title]
        channels = ", ".join(ch.name for ch in preset.channels)
        assert lines[3 * k + 1].strip() == f"channels: {channels}"
        assert lines[3 * k + 2].strip() == str(preset.citation)


def test_render_prints_the_committed_text(capsys):
    code, out, _ = run(capsys, "render", "dayan_abbott")
    assert code == 0 and out == expected_files()["dayan_abbott.eqs"]


def test_render_with_set_changes_the_header(capsys):
    code, out, _ = run(capsys, "render", "dayan_abbott", "--set", "E_L=-60*mV")
    assert code == 0 and "E_L = -60*mV" in out


def test_render_write_regenerates_every_file(tmp_path, capsys):
    code, _, _ = run(capsys, "render", "--all", "--write", str(tmp_path))
    assert code == 0
    for name, text in expected_files().items():
        assert (tmp_path / name).read_text() == text


@pytest.mark.parametrize("engine", ["brian2", "reference"])
def test_simulate_writes_the_npz_contract_and_a_figure(tmp_path, capsys, engine):
    out, plot = tmp_path / "trace.npz", tmp_path / "trace.png"
    code, _, _ = run(
        capsys,
        "simulate",
        "hh1952",
        "--duration",
        "20*ms",
        "--dt",
        "0.01*ms",
        "--engine",
        engine,
        "--out",
        str(out),
        "--plot",
        str(plot),
    )
    assert code == 0
    with np.load(out) as data:
        assert set(data.files) == NPZ_KEYS
        assert data["t_ms"].shape == data["v_mV"].shape == data["n"].shape == (2000,)
        assert np.allclose(np.diff(data["t_ms"]), 0.01)
        assert data["spikes_ms"].size >= 1
        assert np.allclose(data["I_inj_uA_per_cm2"], 10.0, rtol=1e-14, atol=0)  # the default
        assert data["v_mV"].min() < -80  # depolarisation is negative in the 1952 convention
        meta = json.loads(str(data["meta"]))
    assert meta["preset"] == "hh1952" and meta["convention"] == "hh1952"
    assert meta["engine"] == engine and meta["method"] == DEFAULT_METHOD == "rush_larsen2"
    assert meta["dt_ms"] == 0.01 and meta["parameters"]["g_Na"] == "120*mS/cm**2"
    assert {"brian2", "numpy", "hh_brian"} <= set(meta["versions"])
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"


def test_engines_write_the_same_trace(tmp_path, capsys):
    paths = {}
    for engine in ("brian2", "reference"):
        paths[engine] = tmp_path / f"{engine}.npz"
        code, _, _ = run(
            capsys,
            "simulate",
            "dayan_abbott",
            "--duration",
            "20*ms",
            "--engine",
            engine,
            "--out",
            str(paths[engine]),
        )
        assert code == 0
    with np.load(paths["brian2"]) as a, np.load(paths["reference"]) as b:
        assert np.max(np.abs(a["v_mV"] - b["v_mV"])) < 1e-8
        assert a["spikes_ms"].shape == b["spikes_ms"].shape
        assert np.allclose(a["spikes_ms"], b["spikes_ms"], rtol=0, atol=1e-9)


BAD_INPUT = [
    (["--set", "g_Na=1.2"], "no units"),
    (["--set", "g_Na=1.2*mV"], "conductance density"),
    (["--set", "g_Na=-1*mS/cm**2"], "positive"),
    (["--set", "C_m=0*uF/cm**2"], "positive"),
    (["--set", "E_L=nan*mV"], "not finite"),
    (["--current", "inf*uA/cm**2"], "not finite"),
    (["--set", "g_na=1*mS/cm**2"], "Did you mean 'g_Na'"),
    (["--set", "g_Na"], "NAME=EXPR"),
    (["--set", "alpha_n=0.1/ms*exp(v"], "cannot parse"),
    (["--set", "alpha_n=0.1*exp(v/mV)"], "rate alpha_n"),
    (["--dt", "0.01"], "no units"),
    (["--dt", "0*ms"], "positive"),
    (["--dt=-1*ms"], "positive"),
    (["--dt", "200*ms"], "longer than the duration"),
    (["--dt", "0.03*ms"], "does not divide the duration"),
    (["--duration", "0*ms"], "positive"),
    (["--duration", "10*mV"], "time"),
    (["--current", "10"], "no units|dimensionless|current density"),
    (["--current", "10*mV"], "voltage"),
    (["--current", "1*nA"], "absolute current"),
    (["--method", "heun"], "unknown method"),
    (["--engine", "nestt"], "unknown engine"),
    (["--engine", "neuron", "--set", "g_Na=-1*mS/cm**2"], "positive or zero"),
]


@pytest.mark.parametrize(("extra", "fragment"), BAD_INPUT)
def test_bad_input_exits_2_with_one_clear_line_and_no_file(tmp_path, capsys, extra, fragment):
    out = tmp_path / "trace.npz"
    code, _, err = run(
        capsys, "simulate", "dayan_abbott", "--duration", "100*ms", *extra, "--out", str(out)
    )
    assert code == 2
    assert err.startswith("hh-brian: error:") and err.count("\n") == 1
    import re

    assert re.search(fragment, err), err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_preset_suggests_the_closest(capsys, tmp_path):
    code, _, err = run(capsys, "simulate", "dayan_abot", "--out", str(tmp_path / "x.npz"))
    assert code == 2 and "Did you mean 'dayan_abbott'" in err


@pytest.mark.parametrize(
    ("out", "fragment"),
    [("trace.txt", "should end in .npz"), ("missing/trace.npz", "does not exist")],
)
def test_bad_output_paths(tmp_path, capsys, out, fragment):
    code, _, err = run(capsys, "simulate", "dayan_abbott", "--out", str(tmp_path / out))
    assert code == 2 and fragment in err


def test_bad_plot_suffix_is_rejected_before_any_work(tmp_path, capsys):
    out = tmp_path / "a.npz"
    code, _, err = run(
        capsys, "simulate", "dayan_abbott", "--out", str(out), "--plot", str(tmp_path / "a.jpg")
    )
    assert code == 2 and ".png" in err and not out.exists()


def test_existing_output_survives_a_failed_run(tmp_path, capsys):
    out = tmp_path / "trace.npz"
    out.write_bytes(b"precious")
    argv = ["simulate", "dayan_abbott", "--dt", "0", "--out", str(out), "--force"]
    code, _, _ = run(capsys, *argv)
    assert code == 2 and out.read_bytes() == b"precious"


def test_an_existing_output_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "trace.npz"
    out.write_bytes(b"precious")
    argv = ["simulate", "dayan_abbott", "--duration", "5*ms", "--out", str(out)]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == b"precious"
    code, _, _ = run(capsys, *argv, "--force")
    assert code == 0 and out.read_bytes()[:2] == b"PK"  # an NPZ (zip) replaced it


def test_blow_up_exits_1_without_output(tmp_path, capsys):
    out = tmp_path / "trace.npz"
    out.write_bytes(b"precious")
    code, _, err = run(
        capsys,
        "simulate",
        "dayan_abbott",
        "--method",
        "euler",
        "--dt",
        "0.5*ms",
        "--current",
        "100*uA/cm**2",
        "--out",
        str(out),
        "--force",
    )
    assert code == 1 and "euler" in err and "dt = 0.5 ms" in err and "t = " in err
    assert out.read_bytes() == b"precious"


def test_reference_engine_blow_up_exits_1_without_output(tmp_path, capsys):
    out = tmp_path / "trace.npz"
    code, _, err = run(
        capsys,
        "simulate",
        "dayan_abbott",
        "--engine",
        "reference",
        "--method",
        "rk4",
        "--dt",
        "0.5*ms",
        "--current",
        "100*uA/cm**2",
        "--out",
        str(out),
    )
    assert code == 1 and "rk4" in err and "dt=0.5 ms" in err and "at t=1 ms" in err
    assert not out.exists()


def test_non_finite_initial_state_is_rejected():
    from brian2 import ms, mV, uA
    from brian2.units import cm

    from hh_brian.core.errors import HHBrianInputError
    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.engines.reference_bridge import simulate_reference
    from hh_brian.models.presets import get_preset

    bad = {"v": float("nan") * mV, "n": 0.3, "m": 0.05, "h": 0.6}
    for engine in (simulate, simulate_reference):
        with pytest.raises(HHBrianInputError, match="finite voltage"):
            engine(
                get_preset("dayan_abbott"),
                current=0 * uA / cm**2,
                duration=1 * ms,
                initial_state=bad,
            )
    with pytest.raises(HHBrianInputError, match=r"gate m .* \[0, 1\]"):
        simulate(
            get_preset("dayan_abbott"),
            current=0 * uA / cm**2,
            duration=1 * ms,
            initial_state={"v": -65 * mV, "n": 0.3, "m": 1.5, "h": 0.6},
        )


def test_render_without_preset_is_an_error(capsys):
    code, _, err = run(capsys, "render")
    assert code == 2 and "PRESET" in err


def test_missing_subcommand_is_an_error(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "hh-brian" in err


@pytest.mark.parametrize(
    "argv",
    [
        [
            "simulate",
            "dayan_abbott",
            "--duration",
            "5*ms",
            "--out",
            "{tmp}/s.npz",
            "--plot",
            "/proc/x.png",
        ],
        ["simulate", "dayan_abbott", "--duration", "5*ms", "--out", "/proc/s.npz"],
        ["validate", "dayan_abbott", "--skip-orders", "--report", "/proc/v.md"],
        ["demo", "--out", "/proc/demo"],
    ],
)
def test_unwritable_outputs_exit_2_and_leave_nothing(tmp_path, capsys, argv):
    """Probing writes a real file: os.access() says yes to root even where writing fails."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "cannot" in err
    assert list(tmp_path.iterdir()) == []


def test_area_can_be_given_to_a_per_area_preset(tmp_path, capsys):
    out = tmp_path / "a.npz"
    code, _, _ = run(
        capsys,
        "simulate",
        "dayan_abbott",
        "--set",
        "area=100*um**2",
        "--current",
        "0.01*nA",
        "--duration",
        "5*ms",
        "--out",
        str(out),
    )
    assert code == 0
    meta = json.loads(str(np.load(out)["meta"]))
    assert meta["parameters"]["area"] == "100*um**2" and meta["current_unit"] == "amp"


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("alpha_n=-1/ms", "negative or not finite"),
        ("alpha_n=1/ms*exp(20*v/mV)", "negative or not finite"),
        ("celsius=-300", "absolute zero"),
        ("g_Na=-1*mS/cm**2", r"got -1\*mS/cm\*\*2"),
    ],
)
def test_impossible_values_are_rejected_in_customary_units(tmp_path, capsys, setting, fragment):
    import re

    code, _, err = run(
        capsys, "simulate", "dayan_abbott", "--set", setting, "--out", str(tmp_path / "x.npz")
    )
    assert code == 2 and re.search(fragment, err), err


def test_negative_value_without_equals_gets_a_hint(tmp_path, capsys):
    code, _, err = run(
        capsys, "simulate", "dayan_abbott", "--dt", "-0.01*ms", "--out", str(tmp_path / "x.npz")
    )
    assert code == 2 and "--dt=-0.01*ms" in err


def test_render_marks_a_derived_model(capsys):
    code, out, _ = run(capsys, "render", "dayan_abbott", "--set", "E_L=-60*mV")
    assert code == 0 and "# DERIVED from the built-in model, with: E_L=-60*mV" in out
    assert "Regenerate" not in out


@pytest.mark.slow  # a full validation run per model (~12 s)
@pytest.mark.parametrize("preset", ["hh1952", "pyramidal"])
def test_validate_passes_and_writes_its_report(tmp_path, capsys, preset):
    report = tmp_path / "v.md"
    code, out, _ = run(capsys, "validate", preset, "--report", str(report))
    assert code == 0 and "**Overall: PASS**" in out
    assert "**Overall: PASS**" in report.read_text()
    assert (tmp_path / "v_orders.png").read_bytes()[:4] == b"\x89PNG"


def test_validate_exits_1_when_a_check_fails(monkeypatch, capsys):
    import hh_brian.compare.crossval as crossval

    monkeypatch.setattr(crossval, "KAPPA", 0)  # a zero round-off budget cannot be met
    code, out, _ = run(capsys, "validate", "dayan_abbott", "--skip-orders", "--methods", "rk4")
    assert code == 1 and "FAIL" in out


def test_validate_exits_1_when_only_the_spike_timing_fails(monkeypatch, capsys):
    import hh_brian.compare.crossval as crossval

    def cross_validate(preset, *, current, duration, dt, methods, orders, progress=None):
        current = crossval.default_current(preset)
        result = crossval.CrossValidation(preset, current, duration, dt, amplification=1.0)
        result.agreements.append(crossval.compare_method(preset, current, duration, dt, "rk4", 1e3))
        assert result.passed  # the agreement alone passes ...
        # ... and one spike missing against gold must fail the run.
        result.spike_timing.append(
            crossval.timing_against_gold("rk4", [10.0], [10.0, 20.0], 0.01, [10.0, 20.0])
        )
        return result

    monkeypatch.setattr(crossval, "cross_validate", cross_validate)
    code, out, _ = run(capsys, "validate", "dayan_abbott", "--skip-orders", "--duration", "20*ms")
    assert code == 1 and "**Overall: FAIL**" in out and "| rk4 | 1 / 2 / 2 |" in out


def test_validate_bad_input_exits_2(capsys):
    code, _, err = run(capsys, "validate", "dayan_abbott", "--methods", "heun")
    assert code == 2 and "heun" in err


def test_the_guard_stops_a_blown_up_run_early():
    """The blow-up check runs during the run: integrating NaN to the end is not allowed."""
    from brian2 import Network, NetworkOperation, NeuronGroup, ms, volt

    from hh_brian.engines.brian2.simulate import BlowUpGuard
    from hh_brian.models.presets import get_preset
    from hh_brian.render.brian2 import render

    model = render(get_preset("dayan_abbott"))
    group = NeuronGroup(
        1, model.equations, method="euler", namespace=dict(model.namespace), dt=0.01 * ms
    )
    group.v = float("nan") * volt
    network = Network(group)
    guard = BlowUpGuard(group, network)
    network.add(NetworkOperation(guard.check, dt=1 * ms, when="end"))
    network.run(100 * ms, namespace={})
    assert guard.tripped_at is not None and network.t < 2 * ms
