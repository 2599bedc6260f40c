"""Sampled current waveforms from files: CSV (``t_ms`` and one current column) or NPZ.

A CSV has a header row; one column is ``t_ms`` and exactly one other holds the
current, in the unit the caller states (``unit='uA/cm**2'`` or ``'nA'``).
An NPZ holds the arrays ``t_ms`` and ``I`` (same length; ``I`` may be 2-D, one
column per neuron).  Sample ``j`` holds from ``t_ms[j]`` to the next sample
(:class:`~hh_brian.models.stimulus_kinds.Sampled`); every sample time that
changes the current is an edge and must lie on the simulation's time grid.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
from brian2 import ms

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.models.stimulus_base import as_current
from hh_brian.models.stimulus_kinds import Sampled

#: Largest waveform file read (bytes): bounded memory for hostile input.
MAX_FILE_BYTES = 200 * 2**20
_UNIT_EXAMPLE = "unit=uA/cm**2 (or unit=nA for a model with an area)"


def load_waveform(path: str | os.PathLike, unit: str | None) -> Sampled:
    """Read a sampled current from *path* (``.csv`` or ``.npz``) in *unit*.

    Parameters
    ----------
    path : str or path-like
    unit : str
        Units of the current column, e.g. ``'uA/cm**2'`` or ``'nA'``.

    Returns
    -------
    Sampled

    Raises
    ------
    HHBrianInputError
        Naming the file: no unit, a unit that is not a current (density), a
        missing, oversized or malformed file, a missing ``t_ms`` column or key,
        columns of different lengths, non-finite values, or times that are not
        non-negative and strictly increasing.
    """
    file = Path(path)
    if unit is None or not str(unit).strip():
        raise HHBrianInputError(
            f"stimulus file {file}: no unit for the current; give {_UNIT_EXAMPLE}"
        )
    scale = as_current(
        evaluate(str(unit), what=f"stimulus file {file} unit"), f"stimulus file {file} unit"
    )
    if not file.is_file():
        raise HHBrianInputError(f"stimulus file {file}: not found; give the path of a .csv or .npz")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise HHBrianInputError(
            f"stimulus file {file}: larger than {MAX_FILE_BYTES // 2**20} MiB; resample it"
        )
    suffix = file.suffix.lower()
    if suffix == ".csv":
        t_ms, current = _read_csv(file)
    elif suffix == ".npz":
        t_ms, current = _read_npz(file)
    else:
        raise HHBrianInputError(f"stimulus file {file}: expected a .csv or .npz file")
    if t_ms.ndim != 1 or current.shape[0] != t_ms.size or t_ms.size == 0:
        raise HHBrianInputError(
            f"stimulus file {file}: {t_ms.size} times but {current.shape[0]} current samples; "
            "give one current sample per time"
        )
    if not (np.all(np.isfinite(t_ms)) and np.all(np.isfinite(current))):
        raise HHBrianInputError(f"stimulus file {file}: contains NaN or Inf")
    try:
        return Sampled(current * scale, times=t_ms * ms)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"stimulus file {file}: {exc}") from None


def _read_csv(file: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(file, encoding="utf-8", errors="replace") as handle:
        header = [name.strip() for name in handle.readline().split(",")]
        if "t_ms" not in header:
            raise HHBrianInputError(
                f"stimulus file {file}: no 't_ms' column in the header {header}; the header "
                "must name t_ms and one current column"
            )
        if len(header) != 2:
            raise HHBrianInputError(
                f"stimulus file {file}: expected 2 columns (t_ms and the current), got "
                f"{len(header)}"
            )
        try:
            table = np.loadtxt(handle, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as exc:
            raise HHBrianInputError(f"stimulus file {file}: not numeric: {exc}") from None
    if table.shape[1] != 2:
        raise HHBrianInputError(f"stimulus file {file}: rows must have 2 values")
    time_column = header.index("t_ms")
    return table[:, time_column], table[:, 1 - time_column]


def _read_npz(file: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as data:
            missing = {"t_ms", "I"} - set(data.files)
            if missing:
                raise HHBrianInputError(
                    f"stimulus file {file}: missing key(s) {sorted(missing)}; an NPZ holds "
                    "'t_ms' and 'I'"
                )
            t_ms = np.asarray(data["t_ms"], dtype=np.float64)
            current = np.asarray(data["I"], dtype=np.float64)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise HHBrianInputError(f"stimulus file {file}: not a readable NPZ ({exc})") from None
    if current.ndim not in (1, 2):
        raise HHBrianInputError(f"stimulus file {file}: 'I' must be 1-D or 2-D")
    return t_ms, current
