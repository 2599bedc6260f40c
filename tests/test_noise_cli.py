"""``simulate --channel-noise`` and ``noise-sweep``: outputs, metadata, every bad input."""

import json

import numpy as np
import pytest
from brian2 import umetre

from hh_brian.cli.main import main
from hh_brian.models.library import get_model
from hh_brian.models.modelfile import model_to_toml


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


SIMULATE = ("simulate", "dayan_abbott", "--current", "0*nA", "--duration", "5*ms")


def test_markov_simulate_records_the_seed_and_reproduces_from_it(tmp_path, capsys):
    paths = [tmp_path / f"{k}.npz" for k in range(3)]
    for path, seed in zip(paths, ("1", "1", "2"), strict=True):
        code, _, _ = run(
            capsys, *SIMULATE, "--set", "area=20*um**2", "--channel-noise", "markov",
            "--seed", seed, "--out", str(path),
        )  # fmt: skip
        assert code == 0
    data = [np.load(p) for p in paths]
    meta = json.loads(str(data[0]["meta"]))
    assert meta["channel_noise"] == {
        "model": "markov", "seed": 1, "method": "markov_binomial",
        "counts": {"Na": 1200, "K": 360},
    }  # fmt: skip
    assert np.array_equal(data[0]["v_mV"], data[1]["v_mV"])
    assert not np.array_equal(data[0]["v_mV"], data[2]["v_mV"])


def _bad_gamma_file(tmp_path):
    text = model_to_toml(get_model("dayan_abbott").with_area(20 * umetre**2))
    path = tmp_path / "bad_gamma.toml"
    path.write_text(text.replace('gamma = "0.019999999999999997*nS"', 'gamma = "20*mV"', 1))
    return str(path)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--channel-noise", "markov"), "has no membrane area"),
        (("--set", "area=0.001*um**2", "--channel-noise", "langevin"), "below 1"),
        (
            (
                "--set",
                "area=20*um**2",
                "--channel-noise",
                "langevin",
                "--method",
                "exponential_euler",
            ),
            "cannot integrate langevin channel noise",
        ),  # fmt: skip
        (("--set", "area=20*um**2", "--channel-noise", "markov", "--seed=-1"), "--seed"),
        (("--set", "area=20*um**2", "--channel-noise", "markov", "--seed", "1.5"), "--seed"),
        (("--channel-noise", "gaussian"), "--channel-noise: unknown model 'gaussian'"),
        (("--channel-noise", "markov", "--check-accuracy"), "--check-accuracy"),
    ],
)
def test_simulate_bad_noise_input_exits_2_with_one_line(tmp_path, capsys, argv, fragment):
    out = tmp_path / "t.npz"
    code, _, err = run(capsys, *SIMULATE, *argv, "--out", str(out))
    assert code == 2
    assert fragment in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_gamma_without_conductance_units_exits_2(tmp_path, capsys):
    out = tmp_path / "t.npz"
    code, _, err = run(
        capsys, "simulate", _bad_gamma_file(tmp_path), "--channel-noise", "markov",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2 and "channels.Na.gamma" in err and not out.exists()


def test_noise_sweep_writes_the_table(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    code, _, _ = run(
        capsys, "noise-sweep", "dayan_abbott", "--areas", "20*um**2,2000*um**2",
        "--noise-models", "markov,none", "--cells", "10", "--duration", "10*ms",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("noise_model,area_um2,channels,cells,duration_ms,rate_Hz")
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=True)) for line in lines[1:]]
    assert [(r["noise_model"], r["area_um2"]) for r in rows] == [
        ("markov", "20"), ("none", "20"), ("markov", "2000"), ("none", "2000"),
    ]  # fmt: skip
    assert float(rows[1]["rate_Hz"]) == 0 and float(rows[1]["jitter_ms"]) < 1e-9


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--noise-models", "markov,foo"), "--noise-models: unknown model 'foo'"),
        (("--seed", "x"), "--seed"),
        (("--cells", "1"), "--cells"),
        (("--areas", "0.0001*um**2"), "below 1"),
    ],
)
def test_noise_sweep_bad_input_exits_2(tmp_path, capsys, argv, fragment):
    out = tmp_path / "sweep.csv"
    base = ["noise-sweep", "dayan_abbott", "--areas", "20*um**2", "--out", str(out)]
    code, _, err = run(capsys, *base, *argv)
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()
