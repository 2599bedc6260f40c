"""What ``conformance`` runs: every registered engine with each fixed-step scheme it offers.

A :class:`Variant` is one engine with one scheme, the scheme's declared global order
(the bound of :mod:`hh_brian.compare.conformance` is derived from it) and the backend
options that select the scheme.  hh-brian's own engines contribute every method they
register (Brian2: each of :data:`~hh_brian.engines.brian2.simulate.BRIAN2_METHODS`,
orders from :data:`~hh_brian.engines.reference.INTEGRATORS`; the NumPy engine: its
default method); the external simulators one entry per scheme in
:data:`EXTERNAL_VARIANTS`.  A registered engine that has no entry there is listed
with no run (no declared order, so no bound), so a new engine is never silently left
out.

>>> [v.label for v in conformance_variants(["brian2"])]
['brian2/rush_larsen2', 'brian2/exponential_euler', 'brian2/rk4', 'brian2/euler']
>>> get_variant("jneuroml/forward_euler").order
1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.engines.registry import canonical_name, engine_names, get_engine

#: jNeuroML writes v with 8 significant digits: a rounding of at most this (mV) at
#: |v| <= 100 mV, which does not shrink with dt.
JNEUROML_ROUNDING_MV = 5e-6


@dataclass(frozen=True)
class Variant:
    """One engine with one scheme.

    Attributes
    ----------
    engine : str
        Registry name (:mod:`hh_brian.engines.registry`).
    method : str
        The scheme's name (for hh-brian's engines, the method passed to them).
    order : int or None
        Declared order of the global error in dt (None: unknown, not judged).
    why_order : str
        Where the declared order comes from (stated in the report).
    options : tuple of (str, object)
        Backend options selecting the scheme (e.g. NEURON's ``secondorder``).
    rounding_mV : float
        Error of the recorded voltage that does not shrink with dt (output digits).
    """

    engine: str
    method: str
    order: int | None
    why_order: str
    options: tuple[tuple[str, object], ...] = ()
    rounding_mV: float = 0.0

    @property
    def label(self) -> str:
        """``engine/method``, the variant's name in tables and messages."""
        return f"{self.engine}/{self.method}"

    @property
    def own(self) -> bool:
        """True for hh-brian's own engines (Brian2 and the NumPy reference)."""
        return get_engine(self.engine).package is None


_GENERATED = ("mechanism", "generated")

#: The external simulators' fixed-step schemes, with their orders and why.
EXTERNAL_VARIANTS: dict[str, tuple[Variant, ...]] = {
    "neuron": (
        Variant(
            "neuron",
            "crank_nicolson",
            2,
            "Crank-Nicolson (secondorder = 2; gates staggered by dt/2): second order",
            (("secondorder", 2), _GENERATED),
        ),
        Variant(
            "neuron",
            "backward_euler",
            1,
            "implicit Euler (secondorder = 0, NEURON's default): first order",
            (("secondorder", 0), _GENERATED),
        ),
    ),
    "nest": (
        Variant(
            "nest",
            "rkf45",
            4,
            "GSL's adaptive Runge-Kutta-Fehlberg 4(5) with its internal step capped by the "
            "resolution dt: at least fourth order while the cap binds (observed ~5 in V)",
        ),
    ),
    "moose": (
        Variant(
            "moose",
            "exponential_euler_staggered",
            2,
            "GENESIS/MOOSE exponential Euler with gates and V staggered by dt/2: second "
            "order (observed 1.97-2.03, tests/test_compare_simulators.py)",
        ),
    ),
    "jneuroml": (
        Variant(
            "jneuroml",
            "forward_euler",
            1,
            "jLEMS forward Euler at the LEMS file's step: first order",
            rounding_mV=JNEUROML_ROUNDING_MV,
        ),
    ),
}


def _own_variants(engine: str) -> tuple[Variant, ...]:
    methods = get_engine(engine).methods
    if engine != "brian2":
        methods = methods[:1]  # the NumPy engine: its default scheme (the others match Brian2's)
    return tuple(
        Variant(engine, method, INTEGRATORS[method].order, _declared(method)) for method in methods
    )


def _declared(method: str) -> str:
    """The integrator's one-line description and its declared ``order`` attribute."""
    integrator = INTEGRATORS[method]
    summary = (integrator.__doc__ or method).strip().splitlines()[0].rstrip(".")
    return f"{summary}; declared order {integrator.order} (hh_brian.engines.reference.INTEGRATORS)"


def conformance_variants(engines: Sequence[str] | None = None) -> tuple[Variant, ...]:
    """Every variant of *engines* (default: every registered engine), in registry order.

    Raises
    ------
    HHBrianInputError
        For an unknown or repeated engine name (naming ``engines``).
    """
    if engines is None:
        names = list(engine_names())
    else:
        names = []
        for name in engines:
            try:
                canonical = canonical_name(name)
            except HHBrianInputError as exc:
                raise HHBrianInputError(f"engines: {exc}") from None
            if canonical in names:
                raise HHBrianInputError(f"engines: {name!r} is given more than once")
            names.append(canonical)
    variants: list[Variant] = []
    for name in names:
        if get_engine(name).package is None:
            variants.extend(_own_variants(name))
        else:
            variants.extend(
                EXTERNAL_VARIANTS.get(name, (Variant(name, "-", None, "no declared scheme"),))
            )
    return tuple(variants)


def get_variant(label: str) -> Variant:
    """The variant called *label* (``engine/method``)."""
    variants = {v.label: v for v in conformance_variants()}
    if label not in variants:
        raise HHBrianInputError(
            f"unknown variant {label!r}.{closest_names(label, list(variants))} "
            f"Variants: {', '.join(variants)}"
        )
    return variants[label]


__all__ = [
    "EXTERNAL_VARIANTS",
    "JNEUROML_ROUNDING_MV",
    "Variant",
    "conformance_variants",
    "get_variant",
]
