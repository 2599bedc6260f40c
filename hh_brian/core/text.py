"""Numbers and currents as short text, for table cells and titles (no hh_brian imports)."""

from __future__ import annotations

import math

import numpy as np
from brian2 import Quantity


def format_number(value: object, digits: int = 6) -> str:
    """A number with *digits* significant digits, or ``""`` for NaN.

    >>> format_number(0.0123456789), format_number(float("nan")), format_number(2.5, 12)
    ('0.0123457', '', '2.5')
    """
    number = float(np.asarray(value))
    return "" if math.isnan(number) else f"{number:.{digits}g}"


def current_label(current: Quantity) -> str:
    """A current for titles: uA/cm^2 for densities, nA for absolute currents.

    >>> from brian2 import uA, cm
    >>> current_label(0.1 * uA / cm**2)
    '0.1 uA/cm^2'
    """
    from brian2 import amp, cm, get_dimensions, nA, uA

    if get_dimensions(current) is get_dimensions(amp):
        return f"{float(current / nA):g} nA"
    return f"{float(current / (uA / cm**2)):g} uA/cm^2"


__all__ = ["current_label", "format_number"]
