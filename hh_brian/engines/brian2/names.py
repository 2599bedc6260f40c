"""Names the Brian2 engine accepts, importable without Brian2 (the command line checks
them before Brian2 loads)."""

from __future__ import annotations

#: Integration methods hh-brian passes to Brian2 (each is always explicit).
BRIAN2_METHODS = ("exponential_euler", "rk4", "euler")
#: Brian2 code-generation targets for the runtime device.
TARGETS = ("cython", "numpy")

__all__ = ["BRIAN2_METHODS", "TARGETS"]
