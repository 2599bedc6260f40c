"""Injected currents in the units a model's equations take."""

from __future__ import annotations

from brian2 import Quantity, amp, get_dimensions, meter

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import dimension_name
from hh_brian.models.cell import CellModel


def coerce_current(model: CellModel, current: Quantity, *, what: str = "current") -> Quantity:
    """Express an injected current in the units the model's equations take.

    A density (A/m^2) is accepted by every model; an absolute current (A) only
    by models with an ``area``, which turn densities into currents by
    multiplying with the area.

    Raises
    ------
    HHBrianInputError
        For a current of the wrong dimensions, or an absolute current given to
        a model without an area.

    >>> from brian2 import uA, cm
    >>> from hh_brian.models.library import get_model
    >>> coerce_current(get_model("traub_miles"), 1 * uA / cm**2)
    0.2 * nampere
    """
    dims = get_dimensions(current)
    if dims is get_dimensions(amp / meter**2):
        return current * model.area if model.has_area else current
    if dims is get_dimensions(amp):
        if model.has_area:
            return current
        raise HHBrianInputError(
            f"{what}: {current!r} is an absolute current but model {model.name!r} is per "
            "area; give a density such as '10*uA/cm**2', or give the model an area "
            "(area=20000*um**2)"
        )
    example = "'10*uA/cm**2'" + (" or '0.5*nA'" if model.has_area else "")
    raise HHBrianInputError(
        f"{what}: {current!r} is {dimension_name(dims)}; expected a current "
        f"density{' or a current' if model.has_area else ''}, e.g. {example}"
    )


def current_density(model: CellModel, current: Quantity) -> Quantity:
    """The physical injected current as a density (A/m^2; absolute currents / area)."""
    current = coerce_current(model, current)
    return current / model.area if model.has_area else current
