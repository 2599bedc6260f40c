"""The Brian2 engine (runtime device, compiled cython target by default)."""

from __future__ import annotations

from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.engines.brian2.simulate import BRIAN2_METHODS, simulate


class Brian2Engine:
    """Brian2 with its explicit methods; runs any channel model."""

    name = "brian2"
    methods = BRIAN2_METHODS
    package = None
    install_hint = ""

    def cannot_express(self, model: object) -> str | None:
        return None

    def run(self, model, *, current, duration, dt, method=DEFAULT_METHOD, **options):
        return simulate(model, current=current, duration=duration, dt=dt, method=method, **options)


ENGINE = Brian2Engine()
