"""Names the Brian2 engine accepts, importable without Brian2 (the command line checks
them before Brian2 loads)."""

from __future__ import annotations

#: Integration methods hh-brian passes to Brian2 (each is always explicit); the first is
#: the default (:data:`hh_brian.core.defaults.DEFAULT_METHOD`).
BRIAN2_METHODS = ("rush_larsen2", "exponential_euler", "rk4", "euler")
#: Brian2 code-generation targets for the runtime device.
TARGETS = ("cython", "numpy")

__all__ = ["BRIAN2_METHODS", "TARGETS"]
