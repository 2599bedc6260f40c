"""Injected currents and time grids in a preset's terms: units, conversion, step count.

A current is a density (A/m^2), which every preset accepts, or an absolute current
(A), which presets with an ``area`` accept; :func:`coerce_current` expresses either
in the units the preset's equations take.  :func:`check_time_step` validates a
time step and a duration and counts the steps.  Both engines and the stimuli use
these, so they live below them.
"""

from __future__ import annotations

from brian2 import Quantity, amp, get_dimensions, meter

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import dimension_name
from hh_brian.core.timegrid import check_time_step
from hh_brian.models.cell import CellModel as Preset


def current_quantity_unit(preset: Preset) -> Quantity:
    """The unit of the preset's injected current: ``amp`` with an area, else ``amp/meter**2``."""
    return amp if preset.has_area else amp / meter**2


def coerce_current(preset: Preset, current: Quantity, *, what: str = "current") -> Quantity:
    """Express an injected current in the units the preset's equations take.

    A density (A/m^2) is accepted by every preset; an absolute current (A) only
    by presets with an ``area``, which turn densities into currents by
    multiplying with the area.

    >>> from brian2 import cm, nA, uA
    >>> from hh_brian.models.presets import get_preset
    >>> round(float(coerce_current(get_preset("traub_miles"), 1 * uA / cm**2) / nA), 12)
    0.2
    """
    dims = get_dimensions(current)
    density = get_dimensions(amp / meter**2)
    absolute = get_dimensions(amp)
    if dims is density:
        return current * preset.area if preset.has_area else current
    if dims is absolute:
        if preset.has_area:
            return current
        raise HHBrianInputError(
            f"{what}: {current!r} is an absolute current but preset {preset.name!r} is per "
            "area; give a density such as '10*uA/cm**2', or give the preset an area, "
            "e.g. area=20000*um**2"
        )
    example = "'10*uA/cm**2'" + (" or '0.5*nA'" if preset.has_area else "")
    raise HHBrianInputError(
        f"{what}: {current!r} is {dimension_name(dims)}; expected a current "
        f"density{' or a current' if preset.has_area else ''}, e.g. {example}"
    )


def current_density(model: Preset, current: Quantity) -> Quantity:
    """The physical injected current as a density (A/m^2; absolute currents / area)."""
    current = coerce_current(model, current)
    return current / model.area if model.has_area else current


__all__ = ["check_time_step", "coerce_current", "current_density", "current_quantity_unit"]
