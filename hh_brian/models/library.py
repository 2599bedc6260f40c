"""The built-in cell library: one model file per cell under ``hh_brian/models/cells/``.

Adding a built-in cell is adding one ``.toml`` file there.  Names are read from
the file names on disk, so listing them needs no Brian2 import.

>>> "dayan_abbott" in model_names()
True
>>> get_model("hh1952").convention.name
'hh1952'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from hh_brian.core.errors import HHBrianInputError, closest_names

#: Folder of the built-in model files.
CELLS_DIR = Path(__file__).with_name("cells")
#: Suffix of model files.
MODEL_SUFFIX = ".toml"


def model_names() -> tuple[str, ...]:
    """Names of the built-in models, in a stable order (the squid models first)."""
    names = sorted(p.stem for p in CELLS_DIR.glob(f"*{MODEL_SUFFIX}"))
    first = [n for n in _ORDER if n in names]
    return tuple(first + [n for n in names if n not in first])


_ORDER = (
    "hh1952",
    "dayan_abbott",
    "lecture07_class_defaults",
    "dayan_abbott_thermodynamic_n",
    "pyramidal",
    "traub_miles",
    "neuron_hh",
)


def model_path(name: str) -> Path:
    """The file of a built-in model; unknown names get a suggestion."""
    path = CELLS_DIR / f"{name}{MODEL_SUFFIX}"
    if not path.is_file():
        names = model_names()
        raise HHBrianInputError(
            f"unknown model {name!r}.{closest_names(name, names)} Available: "
            f"{', '.join(names)} (see `hh-brian presets`), or give a path to a .toml model file"
        )
    return path


@cache
def get_model(name: str):
    """A built-in model by name (parsed and validated once, then cached).

    Returns
    -------
    CellModel

    Raises
    ------
    HHBrianInputError
        For an unknown name (with a suggestion).
    """
    from hh_brian.models.modelfile import load_model_file

    path = model_path(name)
    model = load_model_file(path)
    from dataclasses import replace

    return replace(model, source="builtin")


#: Suffixes of NeuroML2 files, read by :func:`hh_brian.exchange.neuroml_import.load_neuroml`.
NEUROML_SUFFIXES = (".nml", ".xml")


def looks_like_path(spec: str) -> bool:
    """True if *spec* names a file rather than a built-in model."""
    return spec.endswith((MODEL_SUFFIX, *NEUROML_SUFFIXES)) or "/" in spec or "\\" in spec


def check_model_spec(spec: str) -> None:
    """Check a model name or path without parsing it (cheap; no Brian2 import)."""
    if looks_like_path(spec):
        if not Path(spec).is_file():
            raise HHBrianInputError(
                f"{spec}: no such model file; give a path to a .toml or NeuroML2 .nml file"
            )
    else:
        model_path(spec)


def load_model(spec: str):
    """A built-in model by name, a model file by path (``*.toml``) or a NeuroML2 cell (``*.nml``).

    >>> load_model("neuron_hh").name
    'neuron_hh'
    """
    if spec.endswith(NEUROML_SUFFIXES):
        import importlib

        # models sits below exchange in the layers; the importer is looked up by name.
        module = importlib.import_module("hh_brian.exchange.neuroml_import")
        return module.load_neuroml(spec)
    if looks_like_path(spec):
        from hh_brian.models.modelfile import load_model_file

        return load_model_file(spec)
    return get_model(spec)


class _Models(Mapping):
    """Read-only mapping name -> model, loading each model on first access."""

    def __getitem__(self, name: str):
        if not (CELLS_DIR / f"{name}{MODEL_SUFFIX}").is_file():
            raise KeyError(name)
        return get_model(name)

    def __iter__(self) -> Iterator[str]:
        return iter(model_names())

    def __len__(self) -> int:
        return len(model_names())


#: Every built-in model, by name (loaded lazily).
MODELS: Mapping = _Models()

__all__ = ["MODELS", "check_model_spec", "get_model", "load_model", "model_names", "model_path"]


def differences_from_builtin(model) -> list[str]:
    """``NAME=value`` for each parameter or rate that differs from the built-in model of
    the same name (empty for an unmodified built-in model)."""
    if not (CELLS_DIR / f"{model.name}{MODEL_SUFFIX}").is_file() or model.source != "builtin":
        return [f"(not a built-in model: {model.source})"]
    base = get_model(model.name)
    params, base_params = model.parameters, base.parameters
    changes = [
        f"{name}={model.display(name)}"
        for name in params
        if name not in base_params or bool(params[name] != base_params[name])
    ]
    changes += [
        f"{name}={text}" for name, text in model.rates.items() if base.rates.get(name) != text
    ]
    return changes
