"""Exceptions raised by the NumPy reference engine."""

from __future__ import annotations

__all__ = ["IntegrationError"]


class IntegrationError(ValueError):
    """A fixed-step integration left the valid state space.

    Raised when the state becomes non-finite or a gating variable leaves
    ``[-1e-9, 1 + 1e-9]``. The message names the method, the time step (ms), the
    time (ms) at which it happened and suggests a remedy.
    """
