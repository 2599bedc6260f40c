"""The resting state of a model, and its persistent cache across processes.

:func:`hh_brian.models.kinetics.rest_report` finds a model's equilibria and resting
state (about 0.1-0.4 s, plus importing SciPy's root finder).  The answer is a pure
function of the model, so it is kept on disk (:mod:`hh_brian.core.diskcache`) and the
next process that runs the same model reads it back instead.

The key is :meth:`~hh_brian.models.cell.CellModel.key` (convention, nominal rest,
every parameter at full precision, every gate's form, exponent and rate text), the
search grid, the package, NumPy and Brian2 versions and a digest of the source of
``hh_brian.core`` and ``hh_brian.models``: a model that differs in anything, or code
that may compute differently, misses.  Floats are stored as JSON numbers, which
round-trip exactly, so a cached rest is bit-identical to a computed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, volt

from hh_brian.core.diskcache import JsonCache, key_text, source_digest

#: Bump when the stored layout changes.
LAYOUT = 1
#: The namespace (subfolder) of the cache.
NAMESPACE = "resting-state"


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium at zero injected current.

    Attributes
    ----------
    v : Quantity
        Potential in the model's convention (volt).
    gates : dict
        State-gate values there.
    eigenvalues : ndarray
        Of the Jacobian of the full system (1/s, complex).
    stable : bool
        All eigenvalues have negative real parts.
    """

    v: Quantity
    gates: dict
    eigenvalues: np.ndarray
    stable: bool


@dataclass(frozen=True)
class RestingState:
    """The state a simulation starts from by default, and how it was found.

    Attributes
    ----------
    state : dict
        ``v`` (volt) and every state gate.
    equilibria : tuple of Equilibrium
        Every equilibrium found from -120 to +60 mV (modern).
    chosen : Equilibrium or None
        The stable equilibrium nearest the nominal rest; ``None`` if there is none.
    message : str
        One line: which rest was taken, and whether there were several or none stable.
    """

    state: dict
    equilibria: tuple[Equilibrium, ...]
    chosen: Equilibrium | None
    message: str


def cache_key(model_key: str, search: tuple[object, ...]) -> str:
    """The disk key of a model's rest: its :meth:`key`, the search grid and the code."""
    import brian2

    import hh_brian

    versions = (
        f"hh_brian {hh_brian.__version__}, numpy {np.__version__}, brian2 {brian2.__version__}"
    )
    code = f"code {source_digest('core', 'models')}"
    return key_text((f"layout {LAYOUT}", versions, code, f"search {search}", model_key))


def encode(rest: RestingState) -> dict:
    """A JSON-ready dict (SI floats; complex eigenvalues as [real, imag] pairs)."""
    equilibria = [
        {
            "v": float(eq.v / volt),
            "gates": {name: float(value) for name, value in eq.gates.items()},
            "eigenvalues": [[float(z.real), float(z.imag)] for z in np.asarray(eq.eigenvalues)],
            "stable": bool(eq.stable),
        }
        for eq in rest.equilibria
    ]
    chosen = next((k for k, eq in enumerate(rest.equilibria) if eq is rest.chosen), None)
    return {
        "state": {
            "v": float(rest.state["v"] / volt),
            **{name: float(value) for name, value in rest.state.items() if name != "v"},
        },
        "equilibria": equilibria,
        "chosen": chosen,
        "message": rest.message,
    }


def decode(data: dict) -> RestingState:
    """The :class:`RestingState` of :func:`encode` (raises KeyError/TypeError/ValueError
    on a damaged entry)."""
    equilibria = tuple(
        Equilibrium(
            v=float(eq["v"]) * volt,
            gates={str(name): float(value) for name, value in eq["gates"].items()},
            eigenvalues=np.array([complex(float(re), float(im)) for re, im in eq["eigenvalues"]]),
            stable=bool(eq["stable"]),
        )
        for eq in data["equilibria"]
    )
    chosen = data["chosen"]
    if chosen is not None and not 0 <= int(chosen) < len(equilibria):
        raise IndexError(chosen)
    state = {"v": float(data["state"]["v"]) * volt}
    state.update({str(k): Quantity(float(v)) for k, v in data["state"].items() if k != "v"})
    return RestingState(
        state=state,
        equilibria=equilibria,
        chosen=None if chosen is None else equilibria[int(chosen)],
        message=str(data["message"]),
    )


_STORE = JsonCache(NAMESPACE)


def stored(key: str) -> RestingState | None:
    """The rest stored under *key* (from :func:`cache_key`), or None."""
    return _STORE.get(key, decode)


def store(key: str, rest: RestingState) -> None:
    """Keep *rest* on disk under *key* (best effort)."""
    _STORE.put(key, encode(rest))


__all__ = ["Equilibrium", "RestingState", "cache_key", "decode", "encode", "store", "stored"]
