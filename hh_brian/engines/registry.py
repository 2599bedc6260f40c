"""Engines by name: one protocol, one registry, one :class:`~hh_brian.engines.trace.Trace`.

An engine runs a cell model under a current-clamp protocol with a method and a
dt and returns a :class:`Trace`.  Adding an engine is one module that defines
``ENGINE`` (an object following :class:`Engine`) plus one line in
:data:`ENGINE_MODULES`.  Modules are imported only when an engine is used, so
an optional simulator that is not installed costs nothing and reports itself
unavailable.

>>> sorted(ENGINE_MODULES)[:2]
['brian2', 'moose']
>>> canonical_name("numpy")
'reference'
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Protocol, runtime_checkable

from hh_brian.core.errors import HHBrianInputError, closest_names

#: Engine name -> module defining ``ENGINE``.  One registration per engine.
ENGINE_MODULES: dict[str, str] = {
    "brian2": "hh_brian.engines.brian2.engine",
    "reference": "hh_brian.engines.reference_engine",
    "neuron": "hh_brian.engines.simulators.engine_neuron",
    "nest": "hh_brian.engines.simulators.engine_nest",
    "moose": "hh_brian.engines.simulators.engine_moose",
    "jneuroml": "hh_brian.engines.simulators.engine_jneuroml",
}

#: Other names accepted for an engine.
ALIASES = {"numpy": "reference"}


@runtime_checkable
class Engine(Protocol):
    """What every engine provides.

    Attributes
    ----------
    name : str
        Registry name.
    methods : tuple of str
        Integration methods it offers (the first is its default).
    package : str or None
        The Python package it needs (``None`` for hh-brian's own engines).
    install_hint : str
        What to install when it is missing.
    """

    name: str
    methods: tuple[str, ...]
    package: str | None
    install_hint: str

    def cannot_express(self, model: object) -> str | None:
        """Why the engine cannot run *model*, or ``None`` if it can."""

    def run(self, model: object, *, current, duration, dt, method: str, **options):
        """Run *model* with a constant injected current; return a Trace."""


def canonical_name(name: str) -> str:
    """The registry name for *name* (aliases resolved); unknown names get a suggestion."""
    name = ALIASES.get(name, name)
    if name not in ENGINE_MODULES:
        known = sorted([*ENGINE_MODULES, *ALIASES])
        raise HHBrianInputError(
            f"unknown engine {name!r}.{closest_names(name, known)} Engines: {', '.join(known)}"
        )
    return name


def engine_names() -> tuple[str, ...]:
    """Every registered engine, hh-brian's own first."""
    return tuple(ENGINE_MODULES)


def get_engine(name: str) -> Engine:
    """The engine registered as *name* (imports its module on first use)."""
    module = importlib.import_module(ENGINE_MODULES[canonical_name(name)])
    return module.ENGINE


def is_available(name: str) -> bool:
    """True if the engine's package is installed (checked without importing it)."""
    name = canonical_name(name)
    module = importlib.import_module(ENGINE_MODULES[name])
    package = module.ENGINE.package
    return package is None or importlib.util.find_spec(package) is not None


def available_engines() -> tuple[str, ...]:
    """The registered engines that can run here."""
    return tuple(name for name in ENGINE_MODULES if is_available(name))


__all__ = [
    "ALIASES",
    "ENGINE_MODULES",
    "Engine",
    "available_engines",
    "canonical_name",
    "engine_names",
    "get_engine",
    "is_available",
]
