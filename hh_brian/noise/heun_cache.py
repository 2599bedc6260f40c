"""Brian2's stochastic ``heun``, with its derived code kept on disk per set of equations.

Brian2 derives a state updater with SymPy on every new process; for the channel-state
Langevin equations (18 states, 14 noise terms) the derivation takes ~10 s, against
~0.3 s for the rest of a run.  The abstract code is a pure function of the equations
and Brian2's version, so it is stored in hh-brian's disk cache
(:mod:`hh_brian.core.diskcache`) under exactly those, and Brian2's own ``heun`` is
called only on a miss: the scheme is Brian2's, unchanged.
"""

from __future__ import annotations

from brian2.stateupdaters.base import StateUpdateMethod
from brian2.stateupdaters.explicit import heun

from hh_brian.core.diskcache import JsonCache, key_text

_STORE = JsonCache("brian2-heun-code")
_MEMORY: dict[str, str] = {}


class CachedHeun(StateUpdateMethod):
    """Brian2's ``heun`` (stochastic, Stratonovich) with its code cached per equations."""

    def __call__(self, equations, variables=None, method_options=None):  # noqa: D102
        import brian2

        key = key_text(("layout 1", f"brian2 {brian2.__version__}", str(equations)))
        code = _MEMORY.get(key) or _STORE.get(key)
        if not isinstance(code, str):
            code = heun(equations, variables, method_options)
            _STORE.put(key, code)
        _MEMORY[key] = code
        return code

    def __repr__(self) -> str:
        return "heun"


__all__ = ["CachedHeun"]
