"""Shared test configuration: a headless matplotlib backend, and which cases are ``slow``.

Tests parametrised over the built-in models run every model in CI, but the quick
development subset (``pytest -m "not slow"``) keeps two representatives: Dayan &
Abbott (modern convention, per mm^2) and Hodgkin & Huxley 1952 (the 1952 sign
convention).  Every other model's case is marked ``slow`` here, in one place.
"""

import matplotlib
import pytest

matplotlib.use("Agg")

#: Built-in models kept in the quick subset; every other model's parametrised case is slow.
REPRESENTATIVE_MODELS = frozenset({"dayan_abbott", "hh1952"})


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
