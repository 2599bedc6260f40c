"""Names the network builders accept, importable without Brian2 (the command line checks
them before Brian2 loads)."""

from __future__ import annotations

#: Brian2 devices a network runs on.
DEVICES = ("runtime", "cpp_standalone")
#: How COBAHH draws its connections (:func:`hh_brian.network.cobahh.cobahh_spec`).
CONNECTIVITY = ("probability", "in_degree")

__all__ = ["CONNECTIVITY", "DEVICES"]
