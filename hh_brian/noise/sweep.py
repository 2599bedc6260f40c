"""Firing rate, ISI CV and spike-time jitter against membrane area, per noise model.

For each area and noise model one run holds ``2 M`` independent cells: the first M at
zero current (spontaneous firing, Chow & White 1996, Biophys J 71:3013,
doi:10.1016/S0006-3495(96)79494-8: the rate rises as the area shrinks), the other M
under a constant suprathreshold current density switched on at t = 0 (spike-time
jitter: the standard deviation of the first spike's time across cells).  The
deterministic model (``none``) gives the large-area limit: no spontaneous spikes, zero
jitter.  Rates are spikes per cell-second with the Poisson standard error
``sqrt(count)/(M T)``; the ISI CV pools the intervals of all cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from brian2 import Quantity, ms, umetre

from hh_brian.engines.reference_bridge import simulate_reference
from hh_brian.engines.trace import SimulationResult
from hh_brian.models.cell import CellModel
from hh_brian.noise.counts import channel_counts, check_noise_model
from hh_brian.noise.run import simulate_noisy
from hh_brian.noise.spec import NONE, ChannelNoise

#: CSV columns, with units.
COLUMNS = (
    "noise_model",
    "area_um2",
    "channels",
    "cells",
    "duration_ms",
    "rate_Hz",
    "rate_se_Hz",
    "isi_cv",
    "n_isi",
    "first_spike_ms",
    "jitter_ms",
    "seed",
)


def spike_statistics(result: SimulationResult, cells: int, duration: Quantity) -> dict:
    """Rate, ISI CV (cells ``0..M-1``) and first-spike mean and jitter (``M..2M-1``)."""
    times = np.asarray(result.spike_times / ms)
    index = np.asarray(result.spike_indices)
    seconds = cells * float(duration / ms) * 1e-3
    quiet = index < cells
    count = int(quiet.sum())
    order = np.lexsort((times[quiet], index[quiet]))
    t_sorted, i_sorted = times[quiet][order], index[quiet][order]
    same = i_sorted[1:] == i_sorted[:-1]
    isi = np.diff(t_sorted)[same]
    driven = ~quiet
    first = np.full(cells, np.nan)
    np.fmin.at(first, index[driven] - cells, times[driven])
    fired = first[np.isfinite(first)]
    return {
        "rate_Hz": count / seconds,
        "rate_se_Hz": np.sqrt(count) / seconds,
        "isi_cv": float(isi.std(ddof=1) / isi.mean()) if isi.size >= 10 else float("nan"),
        "n_isi": int(isi.size),
        "first_spike_ms": float(fired.mean()) if fired.size else float("nan"),
        "jitter_ms": float(fired.std(ddof=1)) if fired.size > 1 else float("nan"),
    }


def noise_sweep(
    model: CellModel,
    areas: Sequence[Quantity],
    kinds: Sequence[str],
    *,
    current_density: Quantity,
    cells: int = 100,
    duration: Quantity = 200 * ms,
    dt: Quantity = 0.01 * ms,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """One row of :data:`COLUMNS` per (noise model, area).

    Parameters
    ----------
    model : CellModel
        Its gated channels need a ``gamma``; its area is replaced by each of *areas*.
    areas : sequence of Quantity
        Membrane areas (metre**2).
    kinds : sequence of str
        Noise models (``markov``, ``langevin``, ``subunit``, ``none``).
    current_density : Quantity
        The jitter protocol's current density (amp/metre**2), times the area.
    cells, duration, dt, seed
        Cells per protocol, simulated time, step, seed (the same for every run).
    progress : callable, optional
        Receives one line per run.

    Raises
    ------
    HHBrianInputError
        If a model at some area cannot carry noise (e.g. fewer than one channel).
    """
    rows = []
    for area in areas:
        patch = model.with_area(area)
        if any(k != NONE for k in kinds):
            check_noise_model(patch)
        counts = channel_counts(patch)
        current = np.concatenate([np.zeros(cells), np.full(cells, float(current_density * area))])
        for kind in kinds:
            if progress:
                progress(f"{kind} at {float(area / umetre**2):g} um**2")
            options = dict(current=current * Quantity(1, dim=(current_density * area).dim))
            options.update(duration=duration, dt=dt, n_neurons=2 * cells)
            if kind == NONE:
                result = simulate_reference(patch, method="exponential_euler", record=[], **options)
            else:
                result = simulate_noisy(patch, ChannelNoise(kind, seed), record=[], **options)
            stats = spike_statistics(result, cells, duration)
            rows.append(
                {
                    "noise_model": kind,
                    "area_um2": float(area / umetre**2),
                    "channels": ";".join(f"{k}={v}" for k, v in counts.items()),
                    "cells": cells,
                    "duration_ms": float(duration / ms),
                    **stats,
                    "seed": seed,
                }
            )
    return rows


def csv_text(rows: Sequence[dict]) -> str:
    """The rows as CSV text (a header naming units)."""
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(_cell(row[c]) for c in COLUMNS))
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


__all__ = ["COLUMNS", "csv_text", "noise_sweep", "spike_statistics"]
