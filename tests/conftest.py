"""Shared test configuration: a headless matplotlib backend, which cases are ``slow``, and
one NEURON library for every test marked ``neuron``.

Tests parametrised over the built-in models run every model in CI, but the quick
development subset (``pytest -m "not slow"``) keeps two representatives: Dayan &
Abbott (modern convention, per mm^2) and Hodgkin & Huxley 1952 (the 1952 sign
convention); the newest method keeps only Dayan & Abbott.  Every other case is
marked ``slow`` here, in one place.
"""

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

#: Built-in models kept in the quick subset; every other model's parametrised case is slow.
REPRESENTATIVE_MODELS = frozenset({"dayan_abbott", "hh1952"})
#: Methods whose quick subset keeps one representative model (the first above, by name
#: order: dayan_abbott); their hh1952 cases run with the slow ones.
ONE_MODEL_METHODS = frozenset({"rush_larsen2"})


def _other_models() -> frozenset[str]:
    from hh_brian.models.library import model_names

    return frozenset(model_names()) - REPRESENTATIVE_MODELS


#: Model files under tests/data whose NMODL the NEURON tests also compile.
NMODL_TEST_FILES = ("m_current_cell.toml", "instantaneous_na.toml", "nap_h_cell.toml")


def nmodl_models() -> list:
    """Every built-in model and the test model files: the one set whose generated NMODL
    mechanisms all NEURON tests share (one ``nrnivmodl`` build, cached by the texts)."""
    from hh_brian.models.library import get_model, load_model, model_names

    data = Path(__file__).with_name("data")
    files = [load_model(str(data / name)) for name in NMODL_TEST_FILES]
    return [get_model(name) for name in model_names()] + files


@pytest.fixture(scope="session")
def neuron_library() -> list:
    """The models of :func:`nmodl_models`, their mechanisms and the network export's point
    processes (every built-in synapse preset, the crossing helper) compiled in one
    ``nrnivmodl`` run and loaded into NEURON before any test marked ``neuron`` runs (a test
    that then asks for one model's mechanism finds it loaded, so nothing else is compiled;
    a network run's NEURON processes load this same library)."""
    pytest.importorskip("neuron")
    from hh_brian.engines.simulators.neuron import load_mechanisms
    from hh_brian.render.nmodl_synapse import builtin_texts

    models = nmodl_models()
    load_mechanisms(models, extra_texts=builtin_texts())  # with the network point processes
    return models


def pytest_collection_modifyitems(config, items):
    others = _other_models()
    for item in items:
        if item.get_closest_marker("neuron") and "neuron_library" not in item.fixturenames:
            item.fixturenames.insert(0, "neuron_library")
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        values = [v for v in callspec.params.values() if isinstance(v, str)]
        if any(v in others for v in values):
            item.add_marker(pytest.mark.slow)
        elif ONE_MODEL_METHODS & set(values) and "hh1952" in values:
            item.add_marker(pytest.mark.slow)
