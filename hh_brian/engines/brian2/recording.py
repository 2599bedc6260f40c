"""What a Brian2 run records: which neurons, which state variables, how often."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, ms

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel


def recorded_variables(preset: CellModel, variables: Sequence[str] | None) -> list[str]:
    """``v`` and the requested state variables, in the model's order."""
    if variables is None:
        return list(preset.state_variables)
    unknown = set(variables) - set(preset.state_variables)
    if unknown:
        raise HHBrianInputError(
            f"variables: unknown {sorted(unknown)}; the state is "
            f"{', '.join(preset.state_variables)}"
        )
    return [name for name in preset.state_variables if name == "v" or name in variables]


def record_step(dt: Quantity, record_dt: Quantity | None) -> Quantity:
    """The monitor's step: *dt*, or *record_dt* if it is a whole multiple of *dt*."""
    if record_dt is None:
        return dt
    ratio = float(record_dt / dt)
    if not np.isfinite(ratio) or ratio < 1 or abs(ratio - round(ratio)) > 1e-9 * ratio:
        raise HHBrianInputError(
            f"record_dt: {float(record_dt / ms):g} ms must be a whole multiple of dt = "
            f"{float(dt / ms):g} ms"
        )
    return round(ratio) * dt


def record_indices(record: bool | np.ndarray | list[int], n_neurons: int) -> np.ndarray:
    if record is True:
        return np.arange(n_neurons)
    if record is False:
        return np.array([], dtype=int)
    indices = np.asarray(record, dtype=int)
    if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
        raise HHBrianInputError(
            f"record: indices must lie in [0, {n_neurons - 1}], got {indices.tolist()}"
        )
    return indices
