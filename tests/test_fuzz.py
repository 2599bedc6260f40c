"""Fuzzing every entry point with random and adversarial input (issue 19).

Each property: the input is accepted or refused with one :class:`HHBrianInputError`
(exit 2 on the command line, one line, no traceback), within a deadline, and no
output file is half-written or changed.  Hypothesis runs a fixed, derandomised
profile (``tests/conftest.py``), so CI sees the same examples every time.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hh_brian.cli.main import main
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.core.symbolic import parse_expression
from hh_brian.models.modelfile import model_from_toml
from hh_brian.models.protocol import read_protocol
from hh_brian.models.stimuli import parse_stimulus

#: Pieces that make expressions interesting: numbers, units, operators, functions.
TOKENS = [
    *list("0123456789.+-*/()e, "),
    "**", "mV", "ms", "uA", "cm", "mS", "nA", "exp", "log", "sqrt", "exprel", "v",
    "9**9", "1e308", "nan", "inf", "__import__", "lambda", "[", "]", "'", ":", "=",
]  # fmt: skip
expressions = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map("".join)
# Quick, and the same examples every run; the deadline catches a hang.
FUZZ = settings(
    max_examples=150,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(expressions)
def test_the_expression_evaluator_accepts_or_refuses_cleanly(text):
    try:
        evaluate(text, what="fuzz")
    except HHBrianInputError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(expressions)
def test_the_rate_parser_accepts_or_refuses_cleanly(text):
    try:
        parse_expression(text, allowed_names={"v"}, what="fuzz", example="'1/ms'")
    except HHBrianInputError as exc:
        assert "\n" not in str(exc)


stimulus_texts = st.builds(
    lambda kind, pairs: f"{kind}:" + ",".join(f"{k}={v}" for k, v in pairs),
    st.sampled_from(["step", "pulses", "ramp", "sine", "noise", "lecture_noise", "stepp", ""]),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["amplitude", "onset", "offset", "width", "period", "count", "start", "stop",
                 "frequency", "bias", "mean", "std", "tau", "seed", "phase", "x"]
            ),
            expressions,
        ),
        max_size=5,
    ),
)  # fmt: skip


@FUZZ
@given(stimulus_texts)
def test_stimulus_text_is_accepted_or_refused_cleanly(text):
    try:
        parse_stimulus(text)
    except HHBrianInputError as exc:
        assert "\n" not in str(exc)


MODEL = """
[model]
name = "fuzzed"
convention = "modern"
citation = "test"
[membrane]
C_m = "{C_m}"
[channels.K]
g = "{g}"
E = "{E}"
gates = {{ n = {exponent} }}
[channels.K.n]
alpha = "{alpha}"
beta = "{beta}"
[channels.L]
g = "0.3*mS/cm**2"
E = "-54*mV"
"""
toml_values = st.one_of(expressions, st.sampled_from(['"', "\\", "\n", "{", "1*mV", "1/ms"]))


@FUZZ
@given(
    C_m=toml_values,
    g=toml_values,
    E=toml_values,
    exponent=st.sampled_from(["4", "0", "-1", "2.5", '"4"', "1e9", "true"]),
    alpha=toml_values,
    beta=toml_values,
)
def test_model_files_are_accepted_or_refused_cleanly(C_m, g, E, exponent, alpha, beta):
    text = MODEL.format(C_m=C_m, g=g, E=E, exponent=exponent, alpha=alpha, beta=beta)
    try:
        model_from_toml(text, origin="fuzz.toml")
    except HHBrianInputError as exc:
        assert "\n" not in str(exc)


PROTOCOL = """
[protocol]
duration = "{duration}"
dt = "{dt}"
[initial]
v = "{v}"
[[current]]
kind = "{kind}"
amplitude = "{amplitude}"
onset = "{onset}"
[[synapse]]
preset = "ampa"
weight = "{weight}"
times_ms = [{times}]
"""


@FUZZ
@given(
    duration=toml_values,
    dt=toml_values,
    v=toml_values,
    kind=st.sampled_from(["step", "pulses", "sine", "nope", ""]),
    amplitude=toml_values,
    onset=toml_values,
    weight=toml_values,
    times=st.sampled_from(["", "1.0", "1.0, -2", "nan", '"a"', "1e400"]),
)
def test_protocol_files_are_accepted_or_refused_cleanly(tmp_path_factory, **values):
    path = tmp_path_factory.mktemp("protocol") / "p.toml"
    path.write_text(PROTOCOL.format(**values), encoding="utf-8")
    try:
        read_protocol(path)
    except HHBrianInputError as exc:
        assert "\n" not in str(exc)


@settings(FUZZ, max_examples=40)
@given(
    setting=st.builds(
        lambda name, value: f"{name}={value}",
        st.sampled_from(["g_Na", "E_K", "C_m", "celsius", "alpha_m", "V_spike", "nope"]),
        expressions,
    ),
    junk=st.text(alphabet=string.printable, max_size=20),
)
def test_the_command_line_never_shows_a_traceback(tmp_path_factory, capsys, setting, junk):
    folder = tmp_path_factory.mktemp("cli")
    precious = folder / "out.npz"
    precious.write_bytes(b"precious")
    for argv in (
        ["render", "dayan_abbott", "--set", setting],
        ["simulate", "dayan_abbott", "--set", setting, "--dt", junk or "x",
         "--out", str(precious), "--force"],
    ):  # fmt: skip
        code = main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        assert code in (0, 2), err
        if code == 2:
            assert err.count("\n") == 1, err
    assert precious.read_bytes() == b"precious" or Path(precious).read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff\xfe" * 100, b"[model\n", b"[model]\nname = 1\n", b"a" * 2_000_000],
)
def test_hostile_model_files_are_refused_from_the_command_line(tmp_path, capsys, content):
    path = tmp_path / "cell.toml"
    path.write_bytes(content)
    code = main(["render", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
