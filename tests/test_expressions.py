"""The bounded expression layer and the three printers of one parsed rate expression.

Refusals are timed (``elapsed < 1 s``): that is a bound on how long a refusal may
take, so that hostile text cannot hang the command line, not a benchmark.
"""

import time
import warnings

import numpy as np
import pytest
from brian2 import Hz, ms, mV
from brian2.parsing.sympytools import str_to_sympy

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate, names_in, quantity_from_text
from hh_brian.core.symbolic import (
    SYMPY_EXPREL,
    check_singularities,
    exprel,
    find_singularities,
    nmodl_exprel_function,
    parse_expression,
    to_sympy,
)

# ---------------------------------------------------------------------------
# 1. The bounded check
# ---------------------------------------------------------------------------

HOSTILE = {
    "power tower": "9**9**9*mV",
    "taller tower": "9**9**9**9",
    "nested huge powers": "(2**1000)**1000*mV",
    "huge exponent": "2**5000*mV",
    "10k-deep brackets": "(" * 10_000 + "1" + ")" * 10_000 + "*mV",
    "300-deep brackets": "(" * 300 + "1" + ")" * 300 + "*mV",
    "500 unary minus": "-" * 500 + "1*mV",
    "100 kB": "1+" * 50_000 + "1",
    "huge integer": "9" * 999,
    "import": "__import__('os')",
    "attribute": "mV.__class__",
    "lambda": "(lambda: 1)()",
    "lambda value": "lambda: 1",
    "comprehension": "[x for x in (1, 2)]",
    "generator": "sum(x for x in (1, 2))",
    "subscript": "mV[0]",
    "keyword argument": "exp(x=1)",
    "two arguments": "exp(1, 2)",
    "uncalled function": "exp*mV",
    "calling a unit": "mV(3)",
    "string": "'1*mV'",
    "f-string": "f'{mV}'",
    "bytes": "b'1'",
    "complex literal": "1j*mV",
    "boolean": "True*mV",
    "comparison": "1 < 2",
    "conditional": "mV if 1 else ms",
    "walrus": "(x := 1)",
    "unknown name": "w*mV",
    "syntax error": "1*mV)",
    "null byte": "1*mV\x00",
}

DOMAIN_ERRORS = {
    "complex": "(-8)**0.5*mV",
    "overflow": "1e308*1e308*mV",
    "exp overflow": "exp(1000)*mV",
    "division by zero": "1/0*mV",
    "zero quantity division": "1*mV*mV/(0*mV)",
    "0/0": "0*mV/(0*mV)*mV",
}


def _one_line_refusal(call, *args, **kwargs) -> str:
    start = time.perf_counter()
    with pytest.raises(HHBrianInputError) as info:
        call(*args, **kwargs)
    elapsed = time.perf_counter() - start
    message = str(info.value)
    assert elapsed < 1.0, f"refusal took {elapsed:.2f} s"
    assert "\n" not in message and len(message) < 400, message
    return message


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_refused_quickly_in_one_line(text):
    message = _one_line_refusal(quantity_from_text, text, mV, what="--set E_L", example="'-60*mV'")
    assert message.startswith("--set E_L:") and "'-60*mV'" in message


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_never_reaches_sympy(text):
    _one_line_refusal(parse_expression, text, allowed_names={"v"}, what="rate alpha_n")


@pytest.mark.parametrize("text", DOMAIN_ERRORS.values(), ids=DOMAIN_ERRORS.keys())
def test_numeric_domain_errors_are_one_line(text):
    message = _one_line_refusal(quantity_from_text, text, mV, what="--set E_L", example="'-60*mV'")
    assert "not finite" in message or "divides by zero" in message or "not a real" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("9**9**9*mV", "power tower"),
        ("2**5000*mV", "exponent beyond"),
        ("(2**1000)**1000*mV", "exponent beyond"),
        ("1+" * 50_000 + "1", "100001 characters"),
        ("-" * 500 + "1*mV", "nested more than 100"),
        ("mV.__class__", "attribute access"),
        ("exp(x=1)", "keyword argument"),
        ("__import__('os')", "unknown function"),
        ("'1*mV'", "not allowed"),
        ("(-8)**0.5*mV", "not a real number"),
        ("1/0*mV", "divides by zero"),
        ("1e308*1e308*mV", "not finite"),
    ],
)
def test_refusals_name_the_culprit(text, fragment):
    message = _one_line_refusal(quantity_from_text, text, mV, what="--set E_L", example="'-60*mV'")
    assert fragment in message, message


def test_the_cli_refuses_a_power_tower_at_once(capsys):
    from hh_brian.cli.main import main

    start = time.perf_counter()
    code = main(["render", "dayan_abbott", "--set", "E_L=9**9**9*mV"])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 1.0
    assert err.count("\n") == 1 and "power tower" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2**3*mV", 8 * mV),
        ("-60*mV", -60 * mV),
        ("1/2*ms", 0.5 * ms),  # true division of what were ints
        ("sqrt(4*mV**2)", 2 * mV),
        ("abs(-3)*mV", 3 * mV),
        ("cosh(0)*sinh(0)*mV + tanh(0)*mV + log(1)*mV + 1*mV", 1 * mV),
        ("9**9*mV", 387420489 * mV),
    ],
)
def test_ordinary_text_still_evaluates(text, expected):
    value = quantity_from_text(text, expected, what="x", example="'1*mV'")
    assert float(value / expected) == pytest.approx(1.0, rel=1e-15)


def test_nan_and_inf_are_parsed_then_refused_as_not_finite():
    assert np.isnan(float(evaluate("nan*mV") / mV))
    for text in ("nan*mV", "inf*mV", "-inf*mV"):
        message = _one_line_refusal(quantity_from_text, text, mV, what="--set E_L", example="x")
        assert "not finite" in message


def test_arrays_of_v_may_hold_inf_without_error_or_warning():
    v = np.array([-100.0, 0.0, 100.0]) * mV
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = evaluate("1/ms*exp(20*v/mV)", {"v": v})
    rates = np.asarray(value / Hz)
    assert np.isinf(rates[-1]) and np.all(np.isfinite(rates[:-1]))


def test_unknown_names_and_names_in():
    assert names_in("0.1/ms/exprel(-(v + 55*mV)/(10*mV))") == {"v", "ms", "mV"}
    message = _one_line_refusal(evaluate, "0.1/ms*w", {"v": 0 * mV}, what="rate alpha_n")
    assert "unknown name 'w'" in message


# ---------------------------------------------------------------------------
# 2. One parse, three printers
# ---------------------------------------------------------------------------

V_T = {"V_T": -63 * mV}
PER_MS = 1 / ms

#: (text, constants, result unit) for every printer test.
RATES = {
    "alpha_n": ("0.1/ms / exprel(-(v + 55*mV)/(10*mV))", {}, PER_MS),
    "beta_n": ("0.125/ms * exp(-0.0125/mV*(v + 65*mV))", {}, PER_MS),
    "alpha_m": ("1/ms / exprel(-(v + 40*mV)/(10*mV))", {}, PER_MS),
    "beta_m": ("4/ms * exp(-0.0556/mV*(v + 65*mV))", {}, PER_MS),
    "alpha_h": ("0.07/ms * exp(-0.05/mV*(v + 65*mV))", {}, PER_MS),
    "beta_h": ("1/ms / (1 + exp(-0.1/mV*(v + 35*mV)))", {}, PER_MS),
    "traub_alpha_m": ("1.28/ms / exprel((13*mV - v + V_T)/(4*mV))", V_T, PER_MS),
    "m_current_inf": ("1/(1 + exp(-(v + 35*mV)/(10*mV)))", {}, 1),
    "m_current_tau": (
        "608*ms / (3.3*exp((v + 35*mV)/(20*mV)) + exp(-(v + 35*mV)/(20*mV)))",
        {},
        ms,
    ),
}

VOLTAGES = np.linspace(-100.0, 50.0, 200)


def _parsed(name):
    text, constants, unit = RATES[name]
    return parse_expression(text, allowed_names={"v", *constants}, what=f"rate {name}"), constants


def _reference(name, v_mV):
    """The rate evaluated by Brian2 with units, in the result unit."""
    text, constants, unit = RATES[name]
    return np.asarray(evaluate(text, {**constants, "v": v_mV * mV}) / unit, dtype=float)


def _hhb_exprel(x):
    """The NMODL definition of hhb_exprel (nmodl_exprel_function), in Python."""
    x = np.asarray(x, dtype=float)
    series = 1 + x * (1 / 2.0 + x * (1 / 6.0 + x * (1 / 24.0 + x * (1 / 120.0 + x / 720.0))))
    with np.errstate(all="ignore"):
        direct = (np.exp(x) - 1) / x
    return np.where(np.abs(x) < 1e-2, series, direct)


@pytest.mark.parametrize("name", RATES)
def test_brian2_text_reparses_to_the_same_expression(name):
    parsed, constants = _parsed(name)
    assert to_sympy(parsed.brian2()) == parsed.expr
    # Brian2's own parser reads the text with its exprel intact.
    assert str_to_sympy(parsed.brian2()).has(SYMPY_EXPREL) == ("exprel" in RATES[name][0])
    assert parse_expression(parsed.brian2(), allowed_names=parsed.names).expr == parsed.expr
    again = np.asarray(
        evaluate(parsed.brian2(), {**constants, "v": VOLTAGES * mV}) / RATES[name][2]
    )
    np.testing.assert_allclose(again, _reference(name, VOLTAGES), rtol=1e-13)


@pytest.mark.parametrize("name", RATES)
def test_numpy_callable_matches_brian2_units(name):
    parsed, constants = _parsed(name)
    f = parsed.numpy(constants, result_unit=RATES[name][2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = f(VOLTAGES)
    assert values.shape == VOLTAGES.shape and values.dtype == float
    np.testing.assert_allclose(values, _reference(name, VOLTAGES), rtol=1e-12)


@pytest.mark.parametrize("name", RATES)
def test_nmodl_text_matches_brian2_units(name):
    parsed, constants = _parsed(name)
    text = parsed.nmodl(constants, result_unit=RATES[name][2])
    assert (
        "**" not in text and "mV" not in text and "exprel(" not in text.replace("hhb_exprel(", "")
    )
    namespace = {"exp": np.exp, "hhb_exprel": _hhb_exprel, "fabs": np.abs, "v": VOLTAGES}
    values = eval(text.replace("^", "**"), {"__builtins__": {}}, namespace)
    np.testing.assert_allclose(values, _reference(name, VOLTAGES), rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "v_singular", "limit"),
    [("alpha_n", -55.0, 0.1), ("alpha_m", -40.0, 1.0), ("traub_alpha_m", -50.0, 1.28)],
)
def test_exprel_point_is_finite_and_the_limit(name, v_singular, limit):
    parsed, constants = _parsed(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at = parsed.numpy(constants)(np.array([v_singular]))
    assert np.isfinite(at[0]) and at[0] == pytest.approx(limit, rel=1e-14)
    assert float(parsed.numpy(constants)(v_singular)) == pytest.approx(limit, rel=1e-14)
    assert "hhb_exprel" in parsed.nmodl(constants)
    assert "FUNCTION hhb_exprel(x)" in nmodl_exprel_function()


def test_exprel_of_a_sum_with_a_number_stays_exprel():
    # Brian2's own SymPy exprel rewrites exprel(-0.1*v/mV - 5.5) as a 0/0 at -55 mV.
    parsed = parse_expression("0.1/ms/exprel(-0.1*v/mV - 5.5)", allowed_names={"v"})
    assert find_singularities(parsed, {}) == []
    # ... and the printed text is a product inside exprel, which Brian2 keeps as exprel.
    assert parsed.brian2() == "0.1/(ms*exprel((-5.5*mV - 0.1*v)/mV))"
    assert str_to_sympy(parsed.brian2()).has(SYMPY_EXPREL)
    assert float(parsed.numpy({})(-55.0)) == pytest.approx(0.1, rel=1e-14)
    assert parsed.nmodl({}) == "0.1/hhb_exprel(-0.1*v - 5.5)"


def test_exprel_is_safe_everywhere():
    x = np.array([0.0, -0.0, 1e-300, -1e-9, 1e-5, 0.5, -30.0, 800.0, np.inf, -np.inf, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = exprel(x)
    assert values[0] == values[1] == values[2] == 1.0
    finite = np.array([-1e-9, 1e-5, 0.5, -30.0])
    np.testing.assert_allclose(exprel(finite), np.expm1(finite) / finite, rtol=1e-15)
    assert np.isinf(values[7]) and np.isinf(values[8]) and values[9] == 0 and np.isnan(values[10])


@pytest.mark.parametrize(
    ("result_unit", "fragment"), [(ms, "a time"), (1, "dimensionless"), (mV, "a voltage")]
)
def test_wrong_result_units_are_refused_in_one_line(result_unit, fragment):
    parsed, _ = _parsed("alpha_n")
    for printer in (parsed.numpy, parsed.nmodl):
        message = _one_line_refusal(printer, {}, result_unit=result_unit)
        assert message.startswith("rate alpha_n:") and fragment in message, message


def test_missing_constant_is_refused():
    parsed, _ = _parsed("traub_alpha_m")
    assert parsed.names == {"v", "V_T"}
    assert "no value for V_T" in _one_line_refusal(parsed.numpy, {})


def test_parse_refuses_unknown_names_and_overflowing_constants():
    assert "unknown name 'V_T'" in _one_line_refusal(
        parse_expression, RATES["traub_alpha_m"][0], allowed_names={"v"}
    )
    assert "not finite" in _one_line_refusal(parse_expression, "exp(1e300)/ms", allowed_names={"v"})


# ---------------------------------------------------------------------------
# Singular denominators
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", RATES)
def test_exprel_and_smooth_forms_have_no_singularities(name):
    parsed, constants = _parsed(name)
    assert find_singularities(parsed, constants) == []
    check_singularities(parsed, constants)


def test_a_0_over_0_between_grid_points_is_found():
    text = "0.01/ms*(v+54.5*mV)/(1-exp(-(v+54.5*mV)/(10*mV)))"  # as written in the issue
    parsed = parse_expression(text, allowed_names={"v"}, what="rate alpha_n")
    points = find_singularities(parsed, {})
    assert len(points) == 1 and float(points[0] / mV) == pytest.approx(-54.5, abs=1e-9)


def test_a_0_over_0_is_refused_with_the_exprel_form():
    text = "0.01/ms/mV*(v+54.5*mV)/(1-exp(-(v+54.5*mV)/(10*mV)))"
    parsed = parse_expression(text, allowed_names={"v"}, what="rate alpha_n")
    message = _one_line_refusal(check_singularities, parsed, {})
    assert message.startswith("rate alpha_n: 0/0 at v = -54.5 mV; write ") and "exprel" in message
    suggestion = message.split(" as ")[-1]
    suggested = parse_expression(suggestion, allowed_names={"v"})
    assert find_singularities(suggested, {}) == []
    away = np.array([-80.0, -54.0, 20.0])
    np.testing.assert_allclose(suggested.numpy({})(away), parsed.numpy({})(away), rtol=1e-12)
    assert np.isfinite(suggested.numpy({})(-54.5))


def test_the_traub_miles_textbook_form_is_refused_at_its_0_over_0():
    text = "0.32/ms/mV*(13*mV - v + V_T)/(exp((13*mV - v + V_T)/(4*mV)) - 1)"
    parsed = parse_expression(text, allowed_names={"v", "V_T"}, what="rate alpha_m")
    message = _one_line_refusal(check_singularities, parsed, V_T)
    assert "0/0 at v = -50 mV" in message and "exprel" in message


@pytest.mark.parametrize("text", ["1/ms/(v + 30*mV)*mV", "1/ms*mV**2/(v + 30*mV)**2"])
def test_a_pole_is_refused_naming_the_voltage(text):
    parsed = parse_expression(text, allowed_names={"v"}, what="rate beta_m")
    points = find_singularities(parsed, {})
    assert len(points) == 1 and float(points[0] / mV) == pytest.approx(-30.0, abs=1e-9)
    message = _one_line_refusal(check_singularities, parsed, {})
    assert "v = -30 mV" in message and "pole" in message


def test_singularities_outside_the_range_are_ignored():
    parsed = parse_expression("1/ms/(v + 300*mV)*mV", allowed_names={"v"})
    assert find_singularities(parsed, {}) == []
    wide = find_singularities(parsed, {}, v_range=(-400 * mV, 0 * mV))
    assert [float(p / mV) for p in wide] == pytest.approx([-300.0])
