"""The whole bifurcation diagram: equilibria, Hopf points, cycle branches, special points.

:func:`bifurcation_diagram` follows every branch of equilibria over the range
(:mod:`hh_brian.bifurcation.equilibria`), then the branch of cycles born at each
Hopf point not yet reached by an earlier cycle branch
(:mod:`hh_brian.bifurcation.cycles`), refines the folds of cycles, and names the
end of a branch whose period diverges: a SNIC (saddle-node on invariant circle)
when it ends on a saddle-node of equilibria, else a homoclinic orbit.

A continuation that fails does not raise: the diagram keeps what was computed and
says where and why in :attr:`BifurcationDiagram.failure` (the first failure).  The
branches of cycles are independent of one another, so one that fails at its Hopf point
does not stop the others, nor the search for firing at the top of the range; a branch
of equilibria that fails stops the search for cycles (its Hopf points may be missing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hh_brian.bifurcation import cycles as cycles_module
from hh_brian.bifurcation.cycles import (
    ContinuationFailure,
    CycleBranch,
    follow_cycles,
    follow_cycles_from_simulation,
    refine_fold,
)
from hh_brian.bifurcation.equilibria import (
    EquilibriumPoint,
    equilibrium_branches,
    special_points,
)
from hh_brian.bifurcation.field import ParameterSpec, VectorField, parameter_spec, parameter_value
from hh_brian.bifurcation.result import BifurcationDiagram, SpecialPoint
from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel

#: A diverging branch ends in a SNIC when 1/T^2 extrapolates to within this fraction of
#: the distance from its last orbit to a saddle-node ahead of it.
SNIC_FRACTION = 0.5


@dataclass(frozen=True)
class Settings:
    """Knobs of the continuation (defaults suit the built-in models).

    Attributes
    ----------
    newton_iterations : int
        Newton iterations allowed per cycle-continuation step.
    max_orbits : int
        Orbits per cycle branch, at most.
    """

    newton_iterations: int = cycles_module.NEWTON_ITERATIONS
    max_orbits: int = cycles_module.MAX_ORBITS


def bifurcation_diagram(
    model: CellModel,
    parameter: str,
    start: object,
    stop: object,
    *,
    current: object = None,
    settings: Settings | None = None,
) -> BifurcationDiagram:
    """Compute the bifurcation diagram of *model* in *parameter* from *start* to *stop*.

    Parameters
    ----------
    model : CellModel
    parameter : str
        ``"I_inj"`` (the injected current) or a flat model parameter (``g_K``, ``E_L``,
        ``celsius`` ...; :attr:`CellModel.parameters`).
    start, stop : Quantity, str or float
        The range, with the parameter's units (``0*uA/cm**2``; a number for
        ``celsius``), ``start < stop``.
    current : Quantity, optional
        Constant injected current density when *parameter* is not ``I_inj`` (default 0).
    settings : Settings, optional

    Returns
    -------
    BifurcationDiagram
        With :attr:`~BifurcationDiagram.failure` set (and everything computed until
        then kept) if a continuation did not converge.

    Raises
    ------
    HHBrianInputError
        For an unknown parameter, a range without units or with the wrong ones, or
        a reversed or empty range.

    Examples
    --------
    >>> from brian2 import cm, uA
    >>> from hh_brian.models.library import get_model
    >>> d = bifurcation_diagram(get_model("hh1952"), "I_inj", 0*uA/cm**2, 20*uA/cm**2)
    >>> [(p.kind, round(p.p, 2)) for p in d.points]
    [('fold_of_cycles', 6.26), ('fold_of_cycles', 7.84), ('fold_of_cycles', 7.92), \
('hopf_subcritical', 9.78)]
    """
    spec = parameter_spec(model, parameter)
    low = parameter_value(model, spec, start, "start")
    high = parameter_value(model, spec, stop, "stop")
    if not high > low:
        raise HHBrianInputError(
            f"range: stop {spec.quantity(high)} is not above start {spec.quantity(low)} "
            "(reversed or empty range); give start < stop"
        )
    density = _current_density(model, current)
    settings = settings or Settings()
    started = time.perf_counter()
    field = VectorField(model, spec, density)
    return _compute(field, spec, low, high, settings, started)


def _current_density(model: CellModel, current: object) -> float:
    if current is None:
        return 0.0
    from brian2 import cm, uA

    from hh_brian.models.currents import current_density

    return float(current_density(model, current) / (uA / cm**2))


def _compute(field, spec, low, high, settings, started) -> BifurcationDiagram:
    failure = None
    branches = equilibrium_branches(field, low, high)
    eq_points = special_points(field, branches, low, high)
    for index, branch in enumerate(branches):
        for end in (0, -1):
            p_end, v_end = branch.p[end], branch.v[end]
            at_edge = np.isclose(p_end, low) or np.isclose(p_end, high)
            if not at_edge and not _outside_voltage_range(field, v_end):
                failure = (
                    f"the branch of equilibria {index} stopped at {spec.name} = "
                    f"{p_end:.6g}, v = {v_end:.4g} mV inside the range: the corrector did "
                    "not converge"
                )
    cycle_branches: list[CycleBranch] = []
    points = [_equilibrium_point(point) for point in eq_points]
    hopfs = [point for point in eq_points if point.kind.startswith("hopf")]
    reached: set[int] = set()
    options = {"newton_iterations": settings.newton_iterations, "max_orbits": settings.max_orbits}
    runs = []
    equilibria_failed = failure is not None
    for index, hopf in enumerate(hopfs):
        if index in reached or equilibria_failed:
            continue
        try:
            run = follow_cycles(field, hopf, hopfs, low, high, **options)
        except ContinuationFailure as exc:
            # Reported; the other branches do not depend on this one and are still followed.
            failure = failure or str(exc)
            continue
        runs.append(run)
        if run[0].end == "hopf":
            nearest = min(
                (j for j in range(len(hopfs)) if j != index),
                key=lambda j: abs(hopfs[j].p - run[0].p[-1]),
            )
            reached.add(nearest)
    # Firing at the top of the range on no branch from a Hopf point (a SNIC onset whose
    # Hopf point lies beyond the range, a cell with no stable rest): seed by simulation.
    at_top = any(run[0].p.max() >= high - 1e-9 * (high - low) for run in runs)
    if not equilibria_failed and not at_top:
        run = follow_cycles_from_simulation(field, high, hopfs, low, high, **options)
        if run is not None:
            runs.append(run)
    for branch, folds, cont in runs:
        label = f"cycles_{len(cycle_branches)}"
        cycle_branches.append(branch)
        for _, before, after in folds:
            row = refine_fold(cont, before, after)
            point = _cycle_point("fold_of_cycles", row, label, field.sign)
            if not any(_same_fold(point, other, high - low) for other in points):
                points.append(point)
        if branch.end == "period":
            points.append(_diverging_end(branch, eq_points, label))
        elif branch.end == "failed" and not failure:
            failure = branch.message
    points.sort(key=lambda point: point.p)
    return BifurcationDiagram(
        model=field.model,
        spec=spec,
        start=low,
        stop=high,
        current=field.current,
        equilibria=tuple(branches),
        cycles=tuple(cycle_branches),
        points=tuple(points),
        failure=failure,
        wall_time=time.perf_counter() - started,
        to_modern=field.to_modern,
    )


def _same_fold(point: SpecialPoint, other: SpecialPoint, width: float) -> bool:
    """Two refinements of one fold (dp/ds can change sign twice in a row next to it)."""
    return (
        other.kind == point.kind
        and abs(other.p - point.p) < 1e-6 * width
        and abs(other.period_ms - point.period_ms) < 1e-3
    )


def _outside_voltage_range(field: VectorField, v: float) -> bool:
    grid = field.v_search_grid()
    return bool(v <= grid[0] or v >= grid[-1])


def _equilibrium_point(point: EquilibriumPoint) -> SpecialPoint:
    return SpecialPoint(
        kind=point.kind,
        p=point.p,
        v=point.v,
        frequency_hz=point.frequency_hz,
        period_ms=1e3 / point.frequency_hz if point.omega > 0 else float("nan"),
        v_min=point.v,
        v_max=point.v,
        l1=point.l1,
        branch=f"equilibria_{point.branch}",
    )


def _cycle_point(kind: str, row: tuple, branch: str, sign: float) -> SpecialPoint:
    """A point on a cycle branch; its ``v`` is the cycle's peak (most depolarised)."""
    p, period, v_min, v_max = row[:4]
    return SpecialPoint(
        kind=kind,
        p=p,
        v=v_max if sign > 0 else v_min,
        frequency_hz=1e3 / period,
        period_ms=period,
        v_min=v_min,
        v_max=v_max,
        l1=float("nan"),
        branch=branch,
    )


def _diverging_end(
    branch: CycleBranch, eq_points: list[EquilibriumPoint], label: str
) -> SpecialPoint:
    """A SNIC on a saddle-node the period diverges towards, else a homoclinic orbit.

    Near a SNIC the period follows ``T = pi / sqrt(c (p - p_SN))`` (Strogatz, Nonlinear
    Dynamics and Chaos, section 4.3; Izhikevich 2007, section 6.1.2), so ``1/T^2`` is
    linear in ``p`` and vanishes at the saddle-node; near a homoclinic orbit to a saddle
    ``T`` grows only like ``-log(p - p_H)``, and a straight line through the last orbits'
    ``1/T^2`` reaches zero beyond ``p_H``.  The branch ends in a SNIC if that zero lies
    within :data:`SNIC_FRACTION` of the remaining distance from a saddle-node ahead of the
    branch whose potential the last cycle passes.  The fraction is not small because the
    square-root law can set in late: on connor_stevens ``T sqrt(p - p_SN)`` still rises
    from 70 to 98 while the period grows from 140 to 840 ms, and the line through orbits
    near 200 ms lands 0.045 uA/cm^2 above the saddle-node, 0.14 away.  No part of the
    test depends on the range, so the same branch gets the same name on any range.
    """
    p_end, v_lo, v_hi = branch.p[-1], branch.v_min[-1], branch.v_max[-1]
    last = slice(-min(5, len(branch.p)), None)
    slope, intercept = np.polyfit(branch.p[last], branch.period[last] ** -2.0, 1)
    onset = -intercept / slope if slope else np.nan
    heading = np.sign(branch.p[-1] - branch.p[-2]) if len(branch.p) > 1 else 0.0
    nodes = [
        q
        for q in eq_points
        if q.kind == "saddle_node" and v_lo <= q.v <= v_hi and (q.p - p_end) * heading > 0
    ]
    near = [q for q in nodes if abs(onset - q.p) <= SNIC_FRACTION * abs(p_end - q.p)]
    if near:
        node = min(near, key=lambda q: abs(q.p - p_end))
        return SpecialPoint(
            kind="snic",
            p=node.p,
            v=node.v,
            frequency_hz=0.0,
            period_ms=float("inf"),
            v_min=v_lo,
            v_max=v_hi,
            l1=float("nan"),
            branch=label,
        )
    return SpecialPoint(
        kind="homoclinic",
        p=p_end,
        v=v_lo,
        frequency_hz=1e3 / branch.period[-1],
        period_ms=branch.period[-1],
        v_min=v_lo,
        v_max=v_hi,
        l1=float("nan"),
        branch=label,
    )


__all__ = ["ParameterSpec", "Settings", "bifurcation_diagram"]
