"""Built-in models under their historical name, *presets*.

A preset is a :class:`~hh_brian.models.cell.CellModel` read from a built-in
model file (``hh_brian/models/cells/<name>.toml``); this module keeps the
names the examples and earlier releases use.

>>> get_preset("hh1952").convention.name
'hh1952'
"""

from __future__ import annotations

from hh_brian.models.cell import CellModel, display_unit, display_value, validate_parameter
from hh_brian.models.citation import Citation
from hh_brian.models.library import MODELS, get_model, load_model, model_names

#: A built-in model (historical name).
Preset = CellModel
#: Every built-in model by name (loaded lazily).
PRESETS = MODELS


def get_preset(name: str) -> CellModel:
    """A built-in model by name (see :func:`hh_brian.models.library.get_model`)."""
    return get_model(name)


__all__ = [
    "Citation",
    "PRESETS",
    "Preset",
    "display_unit",
    "display_value",
    "get_preset",
    "load_model",
    "model_names",
    "validate_parameter",
]
