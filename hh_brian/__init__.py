"""hh-brian: Hodgkin-Huxley-type neuron models on Brian2, cross-validated against NumPy.

The public API, imported lazily (``import hh_brian`` loads neither Brian2 nor SymPy):

>>> import hh_brian
>>> sorted(hh_brian.__all__)[:3]
['CellModel', 'Channel', 'Gate']

Models
    :class:`CellModel`, :class:`Channel`, :class:`Gate`, :func:`load_model` (a built-in
    name or a ``.toml`` model file), :func:`get_model`, :func:`model_names`,
    :func:`resting_state`
Equations
    :func:`hh_brian.render.brian2.render` (Brian2 text and namespace)
Engines
    :func:`get_engine`, :func:`engine_names`, :func:`available_engines`, :class:`Trace`,
    :func:`simulate` (Brian2), :func:`simulate_reference` (the NumPy engine)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS = {
    "CellModel": "hh_brian.models.cell",
    "Channel": "hh_brian.models.channels",
    "Gate": "hh_brian.models.channels",
    "load_model": "hh_brian.models.library",
    "get_model": "hh_brian.models.library",
    "model_names": "hh_brian.models.library",
    "resting_state": "hh_brian.models.kinetics",
    "get_engine": "hh_brian.engines.registry",
    "engine_names": "hh_brian.engines.registry",
    "available_engines": "hh_brian.engines.registry",
    "Trace": "hh_brian.engines.trace",
    "simulate": "hh_brian.engines.brian2.simulate",
    "simulate_reference": "hh_brian.engines.reference_bridge",
    "HHBrianInputError": "hh_brian.core.errors",
    "SimulationBlowUpError": "hh_brian.core.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'hh_brian' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
