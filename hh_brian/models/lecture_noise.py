"""Lecture 7's correlated noise sequence, reproduced bit for bit (before units).

``ii = convolve(convolve(normal(nt), w, 'same'), w, 'same')*scale + mean`` with
``w = exp(-r**2/5)`` on ``r = arange(-10, 10, dt)`` ms; :func:`lecture_noise` gives
the unit-free part, :class:`~hh_brian.models.stimuli.CorrelatedNoise` adds the units.
"""

from __future__ import annotations

import numpy as np
from brian2 import ms, uA
from brian2.units import mm

#: Lecture 7's noise kernel: exp(-r**2/NOISE_KERNEL_WIDTH2) on r = arange(-10, 10, dt) ms.
NOISE_KERNEL_HALF_SPAN = 10 * ms
NOISE_KERNEL_WIDTH2 = 5 * ms**2
#: Lecture 7's noise offset and scale: ``ii*.3 + .3`` in the class's units (uA/mm^2).
NOISE_MEAN = 0.3 * uA / mm**2
NOISE_SCALE = 0.3 * uA / mm**2
NOISE_SEED = 123


def _convolve_same(signal: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``np.convolve(signal, kernel, 'same')``, kept at ``len(signal)`` for short signals."""
    if signal.size >= kernel.size:
        return np.convolve(signal, kernel, mode="same")
    start = (kernel.size - 1) // 2
    return np.convolve(signal, kernel, mode="full")[start : start + signal.size]


def lecture_noise(dt_ms: float, n_steps: int, seed: int = NOISE_SEED) -> np.ndarray:
    """The lecture's unit-free correlated sequence (before ``*scale + mean``), length n_steps+1."""
    half = float(NOISE_KERNEL_HALF_SPAN / ms)
    r = np.arange(-half, half, dt_ms)
    kernel = np.exp(-(r**2) / float(NOISE_KERNEL_WIDTH2 / ms**2))
    kernel /= np.sum(kernel)
    z = np.random.RandomState(seed).normal(size=n_steps)
    z = _convolve_same(_convolve_same(z, kernel), kernel)
    return np.append(z, z[-1])


__all__ = [
    "NOISE_KERNEL_HALF_SPAN",
    "NOISE_KERNEL_WIDTH2",
    "NOISE_MEAN",
    "NOISE_SCALE",
    "NOISE_SEED",
    "lecture_noise",
]
