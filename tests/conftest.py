"""Shared test configuration: a headless matplotlib backend, and which cases are ``slow``.

Tests parametrised over the built-in models run every model in CI, but the quick
development subset (``pytest -m "not slow"``) keeps two representatives: Dayan &
Abbott (modern convention, per mm^2) and Hodgkin & Huxley 1952 (the 1952 sign
convention); the newest method keeps only Dayan & Abbott.  Every other case is
marked ``slow`` here, in one place.
"""

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


def pytest_collection_modifyitems(config, items):
    others = _other_models()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        values = [v for v in callspec.params.values() if isinstance(v, str)]
        if any(v in others for v in values):
            item.add_marker(pytest.mark.slow)
        elif ONE_MODEL_METHODS & set(values) and "hh1952" in values:
            item.add_marker(pytest.mark.slow)
