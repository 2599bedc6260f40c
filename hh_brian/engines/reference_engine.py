"""The NumPy reference engine (registered as ``reference``, alias ``numpy``)."""

from __future__ import annotations

from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.engines.reference_bridge import REFERENCE_METHODS, simulate_reference


class ReferenceEngine:
    """hh-brian's independent NumPy engine; runs any channel model."""

    name = "reference"
    methods = REFERENCE_METHODS
    package = None
    install_hint = ""

    def cannot_express(self, model: object) -> str | None:
        return None

    def run(self, model, *, current, duration, dt, method=DEFAULT_METHOD, **options):
        return simulate_reference(
            model, current=current, duration=duration, dt=dt, method=method, **options
        )


ENGINE = ReferenceEngine()
