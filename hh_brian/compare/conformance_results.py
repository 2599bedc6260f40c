"""The results of a conformance run: one row per variant, and the verdict.

Split from :mod:`hh_brian.compare.conformance`, which runs and judges the variants
(its module docstring states the bounds) and re-exports these names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from brian2 import ms, mV

from hh_brian.compare.conformance_variants import Variant
from hh_brian.compare.simulator_rows import SimulatorRow
from hh_brian.compare.simulators import SimulatorComparison

#: Statuses of a variant that ran and was judged.
PASS, FAIL = "pass", "FAIL"
#: A spike this close to the end of the run (ms) may fall either side of it: unpaired
#: there, it is neither missed nor extra (a paired one is still scored).
END_GUARD_MS = 1.0


@dataclass(frozen=True)
class ConformanceRow:
    """One variant: its runs at dt and fine dt, its bounds and its status.

    ``status`` is ``"pass"``, ``"FAIL"`` (``reasons`` say why), or why it did not run:
    ``"not installed"``, ``"cannot express"``, ``"no declared order"``.  Bounds and
    errors are plain floats in mV and ms (NaN without a run).
    """

    variant: Variant
    status: str
    coarse: SimulatorRow | None = None
    fine: SimulatorRow | None = None
    dv_bound_mV: float = math.nan
    spike_bound_ms: float = math.nan
    interpolation_ms: float = math.nan
    reasons: tuple[str, ...] = ()

    @property
    def judged(self) -> bool:
        """True if the variant ran and was judged against its bounds."""
        return self.status in (PASS, FAIL)

    @property
    def dv_mV(self) -> tuple[float, float]:
        """max |V - V_gold| at dt and at fine dt (mV)."""
        return _pair(self, lambda row: float(row.max_abs_dv / mV))

    @property
    def spike_error_ms(self) -> tuple[float, float]:
        """max |t - t_gold| over matched spikes at dt and at fine dt (ms)."""
        return _pair(self, lambda row: float(row.match.max_error / ms) if row.match else math.nan)

    def observed_order(self, errors: tuple[float, float], ratio: float) -> float:
        """log(e_dt / e_fine) / log(r), NaN where an error is zero or missing."""
        coarse, fine = errors
        if not (coarse > 0 and fine > 0):
            return math.nan
        return math.log(coarse / fine) / math.log(ratio)


def _pair(row: ConformanceRow, value) -> tuple[float, float]:
    if row.coarse is None or row.fine is None:
        return (math.nan, math.nan)
    return (value(row.coarse), value(row.fine))


@dataclass
class Conformance:
    """Result of :func:`conformance`: the comparison (gold, protocol, dts), a row per variant."""

    comparison: SimulatorComparison
    rows: list[ConformanceRow] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """r = dt / fine_dt."""
        return float(self.comparison.dt / self.comparison.fine_dt)

    @property
    def engines_run(self) -> tuple[str, ...]:
        """The engines with at least one judged variant."""
        return tuple(dict.fromkeys(r.variant.engine for r in self.rows if r.judged))

    @property
    def passed(self) -> bool:
        """Every judged variant passed (and at least one was judged)."""
        judged = [r for r in self.rows if r.judged]
        return bool(judged) and all(r.status == PASS for r in judged)

    @property
    def verdict(self) -> str:
        """One line: how many variants passed, over how many engines, and which failed."""
        judged = [r for r in self.rows if r.judged]
        failed = [r.variant.label for r in judged if r.status == FAIL]
        head = (
            f"{len(judged) - len(failed)}/{len(judged)} variants over "
            f"{len(self.engines_run)} engines within their bounds"
        )
        if not judged:
            return "FAIL: no engine ran"
        return f"PASS: {head}" if not failed else f"FAIL: {head}; failed: {', '.join(failed)}"


__all__ = ["END_GUARD_MS", "FAIL", "PASS", "Conformance", "ConformanceRow"]
