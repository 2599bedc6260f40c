"""The result of a bifurcation analysis: branches, special points, tables and a summary."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hh_brian.bifurcation.cycles import CycleBranch
from hh_brian.bifurcation.equilibria import EquilibriumBranch
from hh_brian.bifurcation.field import ParameterSpec
from hh_brian.models.cell import CellModel

#: Kinds of special points, in the order the summary explains them.
KINDS = (
    "saddle_node",
    "hopf_subcritical",
    "hopf_supercritical",
    "hopf",
    "fold_of_cycles",
    "snic",
    "homoclinic",
)


@dataclass(frozen=True)
class SpecialPoint:
    """One special point of the diagram.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    p : float
        Parameter value (the parameter's display unit).
    v : float
        mV, model's convention: the equilibrium, a cycle's peak (most depolarised v,
        for a fold of cycles), or the saddle-node's v (SNIC).
    frequency_hz : float
        Of the critical pair (Hopf), of the cycle (fold, homoclinic); 0 at a SNIC;
        NaN at a saddle-node.
    period_ms, v_min, v_max : float
        Of the cycle (a Hopf point: ``1/frequency`` and ``v``).
    l1 : float
        First Lyapunov coefficient (Hopf points), else NaN.
    branch : str
        ``equilibria_<i>`` or ``cycles_<i>``.
    """

    kind: str
    p: float
    v: float
    frequency_hz: float
    period_ms: float
    v_min: float
    v_max: float
    l1: float
    branch: str


def _number(value: float, digits: int = 10) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


@dataclass(frozen=True, eq=False)
class BifurcationDiagram:
    """Branches of equilibria and cycles, and their special points, over one range.

    Attributes
    ----------
    model : CellModel
    spec : ParameterSpec
        The free parameter (name, unit, CSV column).
    start, stop : float
        The range (display unit).
    current : float
        Injected current density (uA/cm^2) when the parameter is not ``I_inj``.
    equilibria : tuple of EquilibriumBranch
    cycles : tuple of CycleBranch
    points : tuple of SpecialPoint
        Sorted by parameter value.
    failure : str or None
        Where and why a continuation failed (the rest was kept), or None.
    wall_time : float
        Seconds.
    to_modern : callable
        Maps the model's potentials (mV) to modern ones.
    """

    model: CellModel
    spec: ParameterSpec
    start: float
    stop: float
    current: float
    equilibria: tuple[EquilibriumBranch, ...]
    cycles: tuple[CycleBranch, ...]
    points: tuple[SpecialPoint, ...]
    failure: str | None
    wall_time: float
    to_modern: Callable[[np.ndarray], np.ndarray]

    def of_kind(self, *kinds: str) -> list[SpecialPoint]:
        """The special points of the given kinds, by parameter value."""
        return [point for point in self.points if point.kind in kinds]

    # -- stability intervals -------------------------------------------------------
    def _intervals(self, values: np.ndarray, stable: np.ndarray, kinds: tuple) -> list:
        """Parameter intervals where a sampled branch is stable; each end is moved to the
        special point of *kinds* that lies between the samples where stability changes."""
        marks = [point.p for point in self.of_kind(*kinds)]
        out = []
        k = 0
        while k < len(values):
            if not stable[k]:
                k += 1
                continue
            j = k
            while j + 1 < len(values) and stable[j + 1]:
                j += 1
            ends = [self._snap(values, k, -1, marks), self._snap(values, j, +1, marks)]
            out.append((min(ends), max(ends)))
            k = j + 1
        return out

    @staticmethod
    def _snap(values: np.ndarray, k: int, direction: int, marks: list[float]) -> float:
        neighbours = values[max(0, k - 2) : k + 3]
        lo, hi = float(np.min(neighbours)), float(np.max(neighbours))
        lo, hi = lo - (hi - lo), hi + (hi - lo)  # a fold lies just beyond its samples
        inside = [m for m in marks if lo <= m <= hi]
        if (direction < 0 and k == 0) or (direction > 0 and k == len(values) - 1) or not inside:
            return float(values[k])
        return min(inside, key=lambda m: abs(m - values[k]))

    def stable_rest(self) -> list[tuple[float, float]]:
        """Parameter intervals with a stable equilibrium."""
        kinds = ("hopf_subcritical", "hopf_supercritical", "hopf", "saddle_node")
        return [i for b in self.equilibria for i in self._intervals(b.p, b.stable, kinds)]

    def stable_cycles(self) -> list[tuple[float, float]]:
        """Parameter intervals with a stable cycle."""
        kinds = (
            "fold_of_cycles",
            "hopf_subcritical",
            "hopf_supercritical",
            "hopf",
            "snic",
            "homoclinic",
        )
        return [i for b in self.cycles for i in self._intervals(b.p, b.stable, kinds)]

    def bistable(self) -> list[tuple[float, float]]:
        """Intervals where a stable equilibrium and a stable cycle coexist (the window
        where rest and repetitive firing are both possible)."""
        out = []
        for a0, a1 in self.stable_rest():
            for b0, b1 in self.stable_cycles():
                lo, hi = max(a0, b0), min(a1, b1)
                if hi > lo:
                    out.append((lo, hi))
        return sorted(out)

    # -- tables ------------------------------------------------------------------------
    def points_csv(self) -> str:
        """One row per special point.

        Columns: ``kind``, the parameter (unit-suffixed, e.g. ``I_inj_uA_per_cm2``),
        ``v_mV`` (model's convention), ``frequency_Hz``; then ``period_ms``,
        ``v_min_mV``, ``v_max_mV``, ``v_modern_mV``, ``first_lyapunov``, ``branch``.
        Columns are only ever appended.
        """
        header = (
            f"kind,{self.spec.column},v_mV,frequency_Hz,period_ms,v_min_mV,v_max_mV,"
            "v_modern_mV,first_lyapunov,branch"
        )
        rows = [header]
        for q in self.points:
            modern = float(self.to_modern(q.v))
            fields = [q.p, q.v, q.frequency_hz, q.period_ms, q.v_min, q.v_max, modern, q.l1]
            rows.append(",".join([q.kind, *(_number(float(x)) for x in fields), q.branch]))
        return "\n".join(rows) + "\n"

    def branches_csv(self) -> str:
        """One row per computed point of every branch.

        Columns: ``branch``, ``kind`` (``equilibrium`` or ``cycle``), the parameter,
        ``v_mV`` (the equilibrium; NaN for cycles), ``v_min_mV``, ``v_max_mV``,
        ``period_ms``, ``frequency_Hz``, ``stable`` (0/1), ``leading`` (largest real part
        of an eigenvalue, 1/ms, or largest nontrivial Floquet multiplier modulus).
        """
        header = (
            f"branch,kind,{self.spec.column},v_mV,v_min_mV,v_max_mV,period_ms,frequency_Hz,"
            "stable,leading"
        )
        rows = [header]
        for i, b in enumerate(self.equilibria):
            leading = np.max(b.eigenvalues.real, axis=1)
            for k in range(len(b.p)):
                fields = [b.p[k], b.v[k], b.v[k], b.v[k], np.nan, np.nan]
                text = ",".join(_number(float(x)) for x in fields)
                rows.append(
                    f"equilibria_{i},equilibrium,{text},{int(b.stable[k])},"
                    f"{_number(float(leading[k]))}"
                )
        for i, c in enumerate(self.cycles):
            for k in range(len(c.p)):
                moduli = np.abs(c.multipliers[k])
                trivial = int(np.argmin(np.abs(c.multipliers[k] - 1.0)))
                leading = float(np.max(np.delete(moduli, trivial)))
                fields = [c.p[k], np.nan, c.v_min[k], c.v_max[k], c.period[k], 1e3 / c.period[k]]
                text = ",".join(_number(float(x)) for x in fields)
                rows.append(f"cycles_{i},cycle,{text},{int(c.stable[k])},{_number(leading)}")
        return "\n".join(rows) + "\n"

    # -- summary -------------------------------------------------------------------------
    def _value(self, p: float) -> str:
        unit = self.spec.unit_text.replace("**", "^")
        return f"{p:.6g} {unit}".rstrip()

    def summary(self) -> str:
        """One line per special point, the bistable window(s), and any failure."""
        name = self.spec.name
        lines = [
            f"bifurcation diagram of {self.model.name} in {name} from "
            f"{self._value(self.start)} to {self._value(self.stop)} "
            f"({len(self.equilibria)} branch(es) of equilibria, {len(self.cycles)} of cycles, "
            f"{self.wall_time:.1f} s)"
        ]
        for q in self.points:
            detail = f"v = {float(self.to_modern(q.v)):.2f} mV (modern)"
            if q.kind.startswith("hopf"):
                detail += f", {q.frequency_hz:.1f} Hz, l1 = {q.l1:.3g}"
            elif q.kind in ("fold_of_cycles", "homoclinic"):
                low, high = sorted((float(self.to_modern(q.v_min)), float(self.to_modern(q.v_max))))
                detail = f"cycle {low:.1f} to {high:.1f} mV (modern), {q.frequency_hz:.1f} Hz"
            elif q.kind == "snic":
                detail += ", period diverges (0 Hz)"
            lines.append(f"{q.kind}: {name} = {self._value(q.p)}; {detail}")
        for index, branch in enumerate(self.cycles):
            lines.append(
                f"cycles_{index}: {len(branch.p)} orbits from the {branch.start}; {branch.message}"
            )
        windows = self.bistable()
        if windows:
            shown = ", ".join(f"{self._value(a)} to {self._value(b)}" for a, b in windows)
            lines.append(f"bistable (stable rest and stable firing): {shown}")
        else:
            lines.append("bistable (stable rest and stable firing): none in range")
        if self.failure:
            lines.append(f"FAILED: {self.failure}")
        return "\n".join(lines)


__all__ = ["KINDS", "BifurcationDiagram", "SpecialPoint"]
