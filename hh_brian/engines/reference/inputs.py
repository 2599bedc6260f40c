"""Injected-current inputs for the fixed-step integrators and the gold solver.

Currents are densities in uA/cm^2 (physical sign: positive depolarises), time in ms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import floor
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SAMPLE_INDEX_EPS", "CurrentInput", "as_current", "sample_index"]

#: Added to ``t / dt`` before flooring, so that ``t = k * dt`` maps to sample ``k`` even
#: when ``k * dt / dt`` rounds to just below ``k``. Half-steps (RK4) stay on sample ``k``.
SAMPLE_INDEX_EPS = 1e-6

CurrentFunction = Callable[[float], ArrayLike]


def sample_index(t: float, dt: float) -> int:
    """Index of the sample that holds at time ``t`` (ms): ``floor(t / dt + 1e-6)``."""
    return floor(t / dt + SAMPLE_INDEX_EPS)


@dataclass(frozen=True)
class CurrentInput:
    """A normalised injected current ``i(t)``, uA/cm^2, evaluated by :meth:`at`.

    Attributes
    ----------
    kind : {'constant', 'sampled', 'callable'}
        Constant in time, piecewise constant on the grid ``k * dt``, or a function.
    values : ndarray or None
        ``(N,)`` for constants; ``(n_samples, N)`` for sampled inputs.
    function : callable or None
        ``i(t)`` for callable inputs.
    dt : float or None
        Sampling interval of sampled inputs, ms.
    """

    kind: Literal["constant", "sampled", "callable"]
    n_neurons: int
    values: NDArray[np.float64] | None = None
    function: CurrentFunction | None = None
    dt: float | None = None

    def at(self, t: float) -> NDArray[np.float64]:
        """Current at time ``t`` (ms), shape ``(N,)`` (a view for array inputs)."""
        if self.kind == "constant":
            return self.values  # type: ignore[return-value]
        if self.kind == "sampled":
            k = sample_index(t, self.dt)  # type: ignore[arg-type]
            k = min(max(k, 0), self.values.shape[0] - 1)  # type: ignore[union-attr]
            return self.values[k]  # type: ignore[index]
        value = np.asarray(self.function(t), dtype=np.float64)  # type: ignore[misc]
        return np.broadcast_to(value, (self.n_neurons,))

    def breakpoints(self, t_end: float) -> NDArray[np.float64]:
        """Times in ``(0, t_end)`` (ms) where a sampled input changes value."""
        if self.kind != "sampled":
            return np.empty(0)
        vals = self.values
        change = np.flatnonzero(np.any(vals[1:] != vals[:-1], axis=1)) + 1  # type: ignore[index]
        times = change * self.dt
        return times[(times > 0) & (times < t_end)]


def as_current(
    i_inj: ArrayLike | CurrentFunction | CurrentInput,
    n_neurons: int,
    dt: float | None = None,
    n_steps: int | None = None,
) -> CurrentInput:
    """Normalise an injected current specification.

    Parameters
    ----------
    i_inj : float, array_like, callable or CurrentInput
        Scalar or ``(N,)``: constant. ``(n_steps + 1,)`` or ``(n_steps + 1, N)``:
        piecewise constant, sample ``k`` holds on ``[k dt, (k+1) dt)``. Callable:
        ``i(t)`` returning a scalar or ``(N,)``. All in uA/cm^2.
    n_neurons : int
        Number of neurons N.
    dt : float, optional
        Time step, ms (needed for sampled arrays).
    n_steps : int, optional
        Number of steps (distinguishes sampled 1-D arrays from per-neuron constants).

    Raises
    ------
    ValueError
        If a 1-D array's length is ambiguous (``N == n_steps + 1``) or does not fit.
    """
    if isinstance(i_inj, CurrentInput):
        return i_inj
    if callable(i_inj):
        return CurrentInput("callable", n_neurons, function=i_inj)
    arr = np.asarray(i_inj, dtype=np.float64)
    n_samples = None if n_steps is None else n_steps + 1
    if arr.ndim == 0:
        return CurrentInput("constant", n_neurons, values=np.full(n_neurons, float(arr)))
    if arr.ndim == 1:
        if arr.shape[0] == n_neurons and arr.shape[0] == n_samples and n_neurons > 1:
            raise ValueError(
                f"ambiguous 1-D current of length {n_neurons} = N = n_steps + 1; pass a 2-D "
                "array of shape (n_steps + 1, N) or a callable"
            )
        if arr.shape[0] == n_neurons:
            return CurrentInput("constant", n_neurons, values=arr.copy())
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in (1, n_neurons):
        raise ValueError(f"current of shape {np.shape(i_inj)} does not fit N = {n_neurons}")
    if dt is None:
        raise ValueError("a sampled current array needs dt")
    if n_samples is not None and arr.shape[0] < n_samples:
        raise ValueError(
            f"sampled current has {arr.shape[0]} rows, needs n_steps + 1 = {n_samples}"
        )
    values = np.ascontiguousarray(np.broadcast_to(arr, (arr.shape[0], n_neurons)))
    return CurrentInput("sampled", n_neurons, values=values, dt=dt)
