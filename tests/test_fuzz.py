"""Fuzzing every entry point with random and adversarial input (issue 19).

Each property: the input is accepted or refused with one :class:`HHBrianInputError`
(exit 2 on the command line, one line, no traceback), within a deadline, and no
output file is half-written or changed.  Hypothesis runs a fixed, derandomised
profile (``tests/conftest.py``), so CI sees the same examples every time.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import HealthCheck, example, given, settings
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


# --------------------------------------------------------------------------- NeuroML files
# A small valid cell file, mutated: see test_neuroml_files_are_accepted_or_refused_cleanly.

NML_BASE = (Path(__file__).parent / "data" / "neuroml" / "hh_squid_cell.nml").read_text()
_ATTRIBUTE = re.compile(r'([\w:]+)="([^"]*)"')
#: Values a NeuroML attribute could hold, wrong in every way a file can be.
NML_VALUES = st.one_of(
    expressions,
    st.sampled_from(
        ["", "mV", "10", "10 mV", "0mV", "-0 mV", "1e400mV", "-1e400 mS_per_cm2", "nan mV",
         "inf per_ms", "0per_ms", "1e-400ms", "10 furlongs", "5e2mV", "+5mV", "0x10mV",
         "1_000mV", "-65 mV", "99999999999999999999999", "a" * 300, "\u00e9mV", "<", "&",
         "&amp;", '"', "10pS\" extra=\"1", "na", "k", "HHMadeUpRate", "gateHHrates", "-1", "0"]
    ),
)  # fmt: skip
#: Replacements of the root element, and adversarial preambles.
NML_ROOTS = ["Lems", "neuroML", "html", "nml:neuroml", "neuroml2", "cell", ""]
ENTITIES = ["", "&f;", "&x;"]
NML_PREAMBLES = [
    "",
    "junk before the declaration",
    '<!DOCTYPE neuroml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>',
    '<!DOCTYPE neuroml [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
]
_VALUE = st.tuples(st.just("value"), st.integers(0, 10_000), NML_VALUES, st.booleans())
_DROP = st.tuples(st.just("drop"), st.integers(0, 10_000))
#: One to three mutations; the ones that break the XML itself are the rarer branches, so
#: that most files reach libNeuroML and hh-brian's reader.
nml_mutations = st.lists(
    st.one_of(
        _VALUE,
        _VALUE,
        _VALUE,
        _DROP,
        _DROP,
        st.tuples(st.just("truncate"), st.integers(0, len(NML_BASE))),
        st.tuples(st.just("root"), st.sampled_from(NML_ROOTS)),
        st.tuples(st.just("preamble"), st.sampled_from(NML_PREAMBLES), st.sampled_from(ENTITIES)),
    ),
    min_size=1,
    max_size=3,
)


def _mutated_nml(mutations) -> str:
    """The base cell file with each mutation applied in turn (indices wrap around)."""
    text = NML_BASE
    for kind, *args in mutations:
        # Attributes of the NeuroML elements (not of the XML declaration or in the comment).
        found = list(_ATTRIBUTE.finditer(text, max(text.find("<neuroml"), 0)))
        if kind == "value" and found:
            index, value, escape = args
            match = found[index % len(found)]
            shown = xml_escape(value, {'"': "&quot;"}) if escape else value
            text = f"{text[: match.start(2)]}{shown}{text[match.end(2) :]}"
        elif kind == "drop" and found:
            match = found[args[0] % len(found)]
            text = text[: match.start()] + text[match.end() :]
        elif kind == "truncate":
            text = text[: args[0]]
        elif kind == "root":
            text = text.replace("<neuroml ", f"<{args[0]} ", 1).replace(
                "</neuroml>", f"</{args[0]}>"
            )
        elif kind == "preamble":
            preamble, entity = args
            body = text.split("?>", 1)[-1]
            text = preamble + body.replace('erev="50mV"', f'erev="50mV{entity}"', 1)
    return text


#: The file unchanged (the root renamed to itself): the accepted branch always runs.
UNCHANGED = [("root", "neuroml")]


@settings(FUZZ, max_examples=100)
@given(nml_mutations)
@example(UNCHANGED)
def test_neuroml_files_are_accepted_or_refused_cleanly(tmp_path_factory, mutations):
    """libNeuroML-read cells with mutated attributes, dropped attributes, truncated XML,
    another root element, entity bombs and external entities: a model or one line."""
    from hh_brian.exchange.neuroml_import import load_neuroml

    path = tmp_path_factory.mktemp("nml") / "cell.nml"
    path.write_text(_mutated_nml(mutations), encoding="utf-8", errors="surrogatepass")
    try:
        load_neuroml(path)
    except HHBrianInputError as exc:
        assert "\n" not in str(exc), str(exc)


@settings(FUZZ, max_examples=30)
@given(nml_mutations)
@example(UNCHANGED)
def test_neuroml_import_command_exits_0_or_2_and_writes_all_or_nothing(
    tmp_path_factory, capsys, mutations
):
    """``hh-brian import FILE --out m.toml``: exit 0 with a model file that reads back, or
    exit 2 with one line and no file; never a traceback."""
    folder = tmp_path_factory.mktemp("nml_cli")
    path, out = folder / "cell.nml", folder / "m.toml"
    path.write_text(_mutated_nml(mutations), encoding="utf-8", errors="surrogatepass")
    code = main(["import", str(path), "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert "Traceback" not in stdout + err
    assert code in (0, 2), err
    if code == 2:
        assert err.count("\n") == 1 and not out.exists(), err
    else:
        model_from_toml(out.read_text(), origin=str(out))  # what it wrote reads back
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["cell.nml", *(["m.toml"] if code == 0 else [])]
    )
