"""One row of a simulator comparison: a simulator at one dt, scored against gold.

Split from :mod:`hh_brian.compare.simulators`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV, second

from hh_brian.compare.scoring import SpikeMatch
from hh_brian.core.text import format_number

CSV_COLUMNS = (
    "simulator",
    "status",
    "scheme",
    "dt_ms",
    "n_spikes",
    "n_gold_spikes",
    "n_matched",
    "n_missed",
    "n_extra",
    "spike_err_mean_ms",
    "spike_err_max_ms",
    "max_abs_dv_mV",
    "wall_s",
    "notes",
    "stimulus",
)
#: How hh-brian's own engines read a protocol (the ``stimulus`` column of their rows).
OWN_STIMULUS = "Drive: held part at each step's start, smooth part at each stage's time"


@dataclass(frozen=True)
class SimulatorRow:
    """One simulator at one dt, scored against the gold solution.

    ``status`` is ``"ok"``, ``"approximate"`` (a closest model, labelled),
    ``"cannot express"`` (no run; the reason is in ``notes``) or ``"blew up"``.
    ``t_ms``/``v_mV`` (modern convention) and ``spikes_ms`` are empty without a run.
    """

    simulator: str
    status: str
    scheme: str
    dt: Quantity
    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    match: SpikeMatch | None
    max_abs_dv: Quantity
    wall_time: Quantity
    notes: tuple[str, ...] = ()
    stimulus: str = ""

    @property
    def label(self) -> str:
        suffix = " (approximate)" if self.status == "approximate" else ""
        return f"{self.simulator}{suffix} dt={float(self.dt / ms):g} ms"

    @property
    def has_run(self) -> bool:
        return self.status in ("ok", "approximate")

    def csv_values(self) -> dict[str, object]:
        """Values for :data:`CSV_COLUMNS` (plain numbers in the units the names state)."""
        m = self.match
        num = format_number
        return {
            "simulator": self.simulator,
            "status": self.status,
            "scheme": self.scheme,
            "dt_ms": num(self.dt / ms),
            "n_spikes": m.n_spikes if m else "",
            "n_gold_spikes": m.n_gold if m else "",
            "n_matched": m.n_matched if m else "",
            "n_missed": m.n_missed if m else "",
            "n_extra": m.n_extra if m else "",
            "spike_err_mean_ms": num(m.mean_error / ms) if m else "",
            "spike_err_max_ms": num(m.max_error / ms) if m else "",
            "max_abs_dv_mV": num(self.max_abs_dv / mV),
            "wall_s": num(self.wall_time / second),
            "notes": "; ".join(self.notes),
            "stimulus": self.stimulus,
        }


def empty_row(
    simulator: str, status: str, scheme: str, dt: Quantity, notes: Sequence[str]
) -> SimulatorRow:
    empty = np.empty(0)
    return SimulatorRow(
        simulator=simulator,
        status=status,
        scheme=scheme,
        dt=dt,
        t_ms=empty,
        v_mV=empty,
        spikes_ms=empty,
        match=None,
        max_abs_dv=np.nan * mV,
        wall_time=np.nan * second,
        notes=tuple(notes),
    )


__all__ = ["CSV_COLUMNS", "OWN_STIMULUS", "SimulatorRow", "empty_row"]
