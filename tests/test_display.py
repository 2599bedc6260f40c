"""Rich display in Jupyter: models show their parameters, channels, citation and equations;
a Trace shows a summary and plots with one call; nothing draws at import or changes the
matplotlib backend."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from brian2 import cm, ms, uA

from hh_brian.exchange.html import pretty_quantity
from hh_brian.models.library import get_model, load_model

ROOT = Path(__file__).resolve().parents[1]
#: One model per kind of gate (alpha/beta, x_inf/tau, instantaneous), both conventions,
#: a Nernst reversal, named constants and a model file.
MODELS = ["dayan_abbott", "hh1952", "pospischil_rs", "wang_buzsaki", "destexhe_tc"]


@pytest.mark.parametrize("name", [*MODELS, str(ROOT / "tests/data/m_current_cell.toml")])
def test_model_html_lists_every_parameter_channel_gate_and_the_citation(name):
    model = load_model(name)
    shown = html.unescape(model._repr_html_())
    for parameter in model.parameters:
        assert f">{parameter}<" in shown, parameter
        meaning = model.meaning(parameter).split(" (")[0]
        assert meaning in shown, meaning
    for channel in model.channels:
        assert f">{channel.name}<" in shown
        for gate in channel.gates:
            assert re.search(rf">[^<]*\b{gate.name}[⁰¹²³⁴⁵⁶⁷⁸⁹]* \(", shown), gate.name
    citation = str(model.citation)
    for link in (f" doi:{model.citation.doi}", f" {model.citation.url}"):
        citation = citation.split(link)[0]
    assert citation in shown
    if model.citation.doi:
        assert f'href="https://doi.org/{model.citation.doi}"' in shown
    elif model.citation.url:
        assert f'href="{model.citation.url}"' in shown
    assert shown.count("\\begin{aligned}") == 1


def test_model_html_shows_values_in_the_models_own_units():
    shown = html.unescape(get_model("dayan_abbott")._repr_html_())
    # Dayan & Abbott section 5.6, per mm^2: g_Na 1.2 mS/mm^2, c_m = 10 nF/mm^2, E_K -77 mV
    for text in (">1.2 mS/mm²<", ">-77 mV<", ">0.01 µF/mm²<", ">m³ (α/β), h (α/β)<"):
        assert text in shown, text


@pytest.mark.parametrize("name", MODELS)
def test_model_latex_is_display_math_mathjax_can_typeset(name):
    model = get_model(name)
    latex = model._repr_latex_()
    assert latex.startswith("$$\n\\begin{aligned}") and latex.endswith("\\end{aligned}\n$$")
    assert "\\exprel" not in latex  # a macro MathJax does not know
    depth = 0
    for char in latex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    # one current equation per channel and one kinetic equation per gate
    for channel in model.channels:
        assert f"I_{{\\mathrm{{{channel.name}}}}} &=" in latex
    assert latex.count("}{dt} &=") == 1 + len(model.gate_names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2*mS/mm**2", "1.2 mS/mm²"),
        ("1*uF/cm**2", "1 µF/cm²"),
        ("20000*um**2", "20000 µm²"),
        ("-65*mV", "-65 mV"),
        ("6.3", "6.3"),
        ("4/ms", "4 /ms"),
    ],
)
def test_pretty_quantity(text, expected):
    assert pretty_quantity(text) == expected


@pytest.fixture(scope="module")
def trace():
    """A NumPy-engine run (no compilation): 4 spikes in 50 ms at 10 uA/cm^2."""
    from hh_brian.engines.reference_bridge import simulate_reference

    return simulate_reference(
        get_model("dayan_abbott"), current=10 * uA / cm**2, duration=50 * ms, dt=0.025 * ms
    )


def test_trace_summary_and_html(trace):
    summary = trace.summary()
    assert summary["spikes"] == np.size(trace.spike_times) > 0
    assert summary["duration_ms"] == pytest.approx(50.0)
    assert summary["mean_rate_Hz"] == pytest.approx(summary["spikes"] / 0.05)
    assert summary["v_max_mV"] > 0 > summary["v_min_mV"]
    shown = html.unescape(trace._repr_html_())
    assert f"{summary['spikes']} (" in shown and "rush_larsen2 at dt = 0.025 ms" in shown


def test_trace_plot_returns_an_inline_figure_and_changes_no_global_state(trace, tmp_path):
    from matplotlib._pylab_helpers import Gcf

    backend, managers = matplotlib.get_backend(), Gcf.get_num_fig_managers()
    figure = trace.plot()
    assert figure._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")
    assert len(figure.axes) == 2  # voltage with spikes, gates
    assert figure.axes[0].get_title().startswith("dayan_abbott - rush_larsen2")
    assert matplotlib.get_backend() == backend and Gcf.get_num_fig_managers() == managers
    path = trace.plot(tmp_path / "trace.png", current=10 * uA / cm**2)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_report_functions_return_the_figure_without_a_path():
    from hh_brian.analysis.gating import compare
    from hh_brian.report.figure import ReportFigure
    from hh_brian.report.plotting import plot_gating

    figure = plot_gating(compare([get_model("dayan_abbott"), get_model("pyramidal")]))
    assert isinstance(figure, ReportFigure) and len(figure.axes) == 2


def test_importing_every_module_draws_nothing_and_keeps_the_backend():
    """Every hh_brian module imported with pyplot loaded: no figure open, backend kept."""
    code = """
import importlib, pkgutil
import matplotlib
import matplotlib.pyplot as plt
backend = matplotlib.get_backend()
import hh_brian
for info in pkgutil.walk_packages(hh_brian.__path__, "hh_brian."):
    if not info.name.startswith("hh_brian.engines.simulators."):
        importlib.import_module(info.name)
assert matplotlib.get_backend() == backend, (backend, matplotlib.get_backend())
assert plt.get_fignums() == [], plt.get_fignums()
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "svg", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_check_accuracy_runs_dt_and_dt_half_and_estimates():
    """The library form of --check-accuracy equals estimate_accuracy on the two runs."""
    from hh_brian.compare.accuracy import check_accuracy, estimate_accuracy
    from hh_brian.engines.reference_bridge import simulate_reference

    model, current = get_model("dayan_abbott"), 10 * uA / cm**2
    kwargs = dict(current=current, duration=30 * ms, method="rush_larsen2")
    run, estimate = check_accuracy(model, dt=0.02 * ms, engine="reference", **kwargs)
    half = simulate_reference(model, dt=0.01 * ms, **kwargs)
    again = estimate_accuracy(run, half, 0.1 * ms)
    assert run.dt == 0.02 * ms and estimate.n_spikes == run.spike_times.size > 0
    assert estimate.spike_error == again.spike_error and estimate.verdict == again.verdict
    assert str(estimate).startswith("accuracy check: rush_larsen2 (order 2) at dt = 0.02 ms")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "rk4", "current": "lecture"}, "lecture_noise stimulus is sampled"),
        ({"method": "heun", "current": 1 * uA / cm**2}, "method 'heun' has no declared order"),
    ],
)
def test_check_accuracy_refuses_what_a_rerun_cannot_check(kwargs, message):
    from hh_brian.compare.accuracy import check_accuracy
    from hh_brian.core.errors import HHBrianInputError
    from hh_brian.models.stimulus_smooth import CorrelatedNoise

    if kwargs["current"] == "lecture":
        kwargs["current"] = [CorrelatedNoise(seed=1)]
    with pytest.raises(HHBrianInputError, match=message):
        check_accuracy(get_model("dayan_abbott"), duration=5 * ms, dt=0.1 * ms, **kwargs)


def test_text_reprs_are_one_line(trace):
    """A terminal or a plain-text frontend gets one readable line, not every field."""
    assert repr(get_model("dayan_abbott")) == (
        "CellModel('dayan_abbott': Squid giant axon, modern convention, per mm^2 "
        "(Dayan & Abbott 2001); channels Na, K, L)"
    )
    assert repr(trace) == (
        f"Trace('dayan_abbott', reference rush_larsen2, dt = 0.025 ms, 50 ms, 1 neuron(s), "
        f"{trace.spike_times.size} spikes)"
    )


def test_every_report_plot_function_returns_its_figure_without_a_path():
    """Every ``plot_*`` of hh_brian.report takes ``path=None`` (the notebook's form)."""
    import importlib
    import inspect
    import pkgutil

    import hh_brian.report

    functions = {}
    for info in pkgutil.iter_modules(hh_brian.report.__path__, "hh_brian.report."):
        module = importlib.import_module(info.name)
        functions.update(
            {
                f"{info.name}.{name}": f
                for name, f in inspect.getmembers(module, inspect.isfunction)
                if name.startswith("plot_") and f.__module__ == info.name
            }
        )
    assert len(functions) >= 12
    no_default = [
        name
        for name, f in functions.items()
        if inspect.signature(f).parameters["path"].default is not None
    ]
    assert not no_default, f"give these path=None: {no_default}"
