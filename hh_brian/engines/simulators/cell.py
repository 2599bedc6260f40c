"""A preset reduced to plain numbers in NEURON's unit system (mV, ms, mS/cm², µF/cm²).

Every simulator backend and the SciPy reference start from the same
:class:`CellModel`, so a difference between two traces is a difference in
numerics, never in parameters.  The conversion from Brian2 quantities happens
here, once, with explicit units:

=========================  ==================  =====================
quantity                   unit here           check
=========================  ==================  =====================
potentials E_x, V          mV                  ``float(E / mV)``
conductance densities g_x  mS/cm²              ``float(g / (msiemens/cm**2))``
capacitance density C_m    µF/cm²              ``float(C / (ufarad/cm**2))``
rates alpha, beta          1/ms, ``V`` in mV   rendered from Brian2 text
area                       µm²                 ``float(A / um**2)``
=========================  ==================  =====================

so that ``C dV/dt = I - sum g (V - E)`` reads µA/cm² / (µF/cm²) = mV/ms.

The 1952 convention (``V_HH = -65 mV - V``) is mapped to the modern one here:
rates are re-expressed in the modern ``v`` and reversal potentials are
mapped, so that every simulator sees a modern, depolarisation-positive cell.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: Modern potential of the 1952 paper's resting state (Dayan & Abbott 2001, section 5.6;
#: NEURON's hh.mod).
V_REF_HH1952_MV = -65.0
#: Membrane area used for per-area presets (µm²); simulators with absolute
#: units (NEST, MOOSE, NEURON's IClamp) need one.
DEFAULT_AREA_UM2 = 100.0
#: Gate names and their exponents in the conductances g_Na m³h and g_K n⁴.
GATES = ("m", "h", "n")
RATE_NAMES = tuple(f"{kind}_{g}" for g in GATES for kind in ("alpha", "beta"))
#: |x| below which exprel(x) = (e^x - 1)/x is replaced by its Taylor series.
EXPREL_SERIES_BELOW = 1e-5


def exprel(x):
    """(e^x - 1)/x, finite at 0 (vectorised, NumPy)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < EXPREL_SERIES_BELOW
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2.0 + x * x / 6.0, np.expm1(safe) / safe)


def _exprel_scalar(x: float) -> float:
    if abs(x) < EXPREL_SERIES_BELOW:
        return 1.0 + x / 2.0 + x * x / 6.0
    return math.expm1(x) / x


@dataclass(frozen=True)
class CellModel:
    """A single-compartment HH cell in plain numbers (see the module table).

    ``rate_text[name]`` is the rate as an arithmetic expression in ``v`` (mV)
    giving 1/ms at the reference temperature, using ``exp`` and ``exprel``;
    ``phi`` multiplies every rate.
    """

    name: str
    kinetics: str | None
    g_Na: float
    g_K: float
    g_L: float
    E_Na: float
    E_K: float
    E_L: float
    C_m: float
    celsius: float
    celsius_ref: float
    q10: float
    area_um2: float
    rate_text: Mapping[str, str]
    v_rest_guess: float = -65.0
    convention: str = "modern"
    extra: Mapping[str, float] = field(default_factory=dict)
    rest: Mapping[str, float] | None = None

    @property
    def phi(self) -> float:
        """Temperature factor q10**((celsius - celsius_ref)/10)."""
        return self.q10 ** ((self.celsius - self.celsius_ref) / 10.0)

    @property
    def area_cm2(self) -> float:
        return self.area_um2 * 1e-8

    def rate(self, name: str) -> Callable[[np.ndarray], np.ndarray]:
        """The rate *name* (1/ms, including phi) as a NumPy function of v (mV)."""
        code = compile(self.rate_text[name], f"<{name}>", "eval")
        phi = self.phi

        def fn(v):
            with np.errstate(all="ignore"):
                return phi * eval(
                    code, {"__builtins__": {}}, {"v": v, "exp": np.exp, "exprel": exprel}
                )

        return fn

    def scalar_rate(self, name: str) -> Callable[[float], float]:
        """The rate *name* (1/ms, including phi) as a fast scalar function of v (mV)."""
        namespace = {"exp": math.exp, "exprel": _exprel_scalar, "__builtins__": {}}
        return eval(f"lambda v: {self.phi!r} * ({self.rate_text[name]})", namespace)

    def steady_gates(self, v: float) -> dict[str, float]:
        out = {}
        for g in GATES:
            a = float(self.rate(f"alpha_{g}")(v))
            b = float(self.rate(f"beta_{g}")(v))
            out[g] = a / (a + b)
        return out

    def ionic_current(self, v: float, gates: Mapping[str, float]) -> float:
        """Outward ionic current density (µA/cm²) at *v* (mV)."""
        m, h, n = (gates[g] for g in GATES)
        return (
            self.g_Na * m**3 * h * (v - self.E_Na)
            + self.g_K * n**4 * (v - self.E_K)
            + self.g_L * (v - self.E_L)
        )

    def resting_state(self) -> dict[str, float]:
        """V (mV, modern) and the gates at rest, as computed for the hh-brian model by
        :func:`hh_brian.models.kinetics.resting_state` (the one rest solver)."""
        if self.rest is None:
            raise ValueError(f"{self.name}: no resting state; build with cell_model_from_preset")
        return dict(self.rest)


# --------------------------------------------------------------------------------------
# Brian2 rate text -> plain (mV, ms) text
# --------------------------------------------------------------------------------------


def _unit_scale(unit) -> float:
    """Value of a quantity in the (mV, ms) system: mV -> 1, second -> 1000, Hz -> 1e-3.

    Accepts any dimension volt**a * second**b (|a|, |b| <= 3), e.g. 1/mV.
    """
    from brian2 import get_dimensions, second, volt

    dim = get_dimensions(unit)
    for a in range(-3, 4):
        for b in range(-3, 4):
            if dim is get_dimensions(volt**a * second**b):
                return float(unit / (volt**a * second**b)) * 1e3 ** (a + b)
    raise ValueError(
        f"rate expressions may use only voltage, time and frequency units, got {unit!r}"
    )


class _ToPlain(ast.NodeTransformer):
    """Replace unit names and parameters by numbers and, for 1952, v by (-65 - v)."""

    def __init__(self, numbers: Mapping[str, float], hh1952: bool):
        self.numbers = numbers
        self.hh1952 = hh1952

    def visit_Name(self, node: ast.Name):
        if node.id == "v":
            if self.hh1952:
                return ast.BinOp(ast.Constant(V_REF_HH1952_MV), ast.Sub(), ast.Name("v"))
            return node
        if node.id in ("exp", "exprel"):
            return node
        if node.id in self.numbers:
            return ast.Constant(self.numbers[node.id])
        import brian2.units as units
        from brian2 import Unit

        unit = getattr(units, node.id, None)
        if isinstance(unit, Unit):
            return ast.Constant(_unit_scale(unit))
        raise ValueError(f"unknown name {node.id!r} in a rate expression")


def plain_rate_text(text: str, numbers: Mapping[str, float], hh1952: bool) -> str:
    """Brian2 rate text (v in volt, result in Hz) -> text in v/mV giving 1/ms.

    >>> plain_rate_text('0.07/ms*exp(-(v + 65*mV)/(20*mV))', {}, False)
    '0.07 / 1.0 * exp(-(v + 65 * 1.0) / (20 * 1.0))'
    """
    tree = ast.parse(text.strip(), mode="eval")
    tree = ast.fix_missing_locations(_ToPlain(numbers, hh1952).visit(tree))
    return ast.unparse(tree)


def _quantity_in(q, unit, name: str) -> float:
    try:
        return float(q / unit)
    except Exception as exc:  # DimensionMismatchError
        raise ValueError(f"preset parameter {name}={q!r} cannot be expressed in {unit!r}") from exc


def squid_structure_problem(model) -> str | None:
    """Why *model* is not the Hodgkin-Huxley structure NEST and MOOSE take
    (Na with m^3 h, K with n^4, a leak L, alpha/beta gates, one q10), or ``None``."""
    want = {"Na": (("m", 3), ("h", 1)), "K": (("n", 4),), "L": ()}
    have = {ch.name: tuple((g.name, g.exponent) for g in ch.gates) for ch in model.channels}
    if have != want:
        shown = ", ".join(
            f"{k} ({' '.join(f'{g}^{p}' if p > 1 else g for g, p in v) or 'leak'})"
            for k, v in have.items()
        )
        return (
            f"model {model.name!r} has channels {shown}; the NEST and MOOSE backends take "
            "only the squid structure Na(m^3 h), K(n^4), L (Brian2, the reference engine "
            "and NEURON run any channels)"
        )
    if any(g.form != "rates" for g in model.gates):
        return f"model {model.name!r} has gates not in alpha/beta form"
    na, k = model.channel("Na"), model.channel("K")
    if (na.q10, na.celsius_ref) != (k.q10, k.celsius_ref):
        return f"model {model.name!r}: Na and K have different q10 or celsius_ref"
    return None


def cell_model_from_preset(preset) -> CellModel:
    """Convert an hh-brian model with the squid structure into a :class:`CellModel`.

    Raises
    ------
    ValueError
        (:class:`~hh_brian.engines.simulators.SimulatorCannotExpress`) for any
        other channel structure, naming it.
    """
    from brian2 import cm as cmetre
    from brian2 import msiemens, mV, ufarad, um

    from hh_brian.engines.reference_bridge import twin_gates
    from hh_brian.engines.simulators import SimulatorCannotExpress

    problem = squid_structure_problem(preset)
    if problem:
        raise SimulatorCannotExpress(problem)
    p = preset.parameters
    hh1952 = preset.convention.name == "hh1952"

    def volt_modern(name: str) -> float:
        value = _quantity_in(p[name], mV, name)
        return V_REF_HH1952_MV - value if hh1952 else value

    numbers = {}
    for key, q in p.items():  # parameters usable inside rate text (e.g. V_T)
        try:
            numbers[key] = _unit_scale(q)
        except Exception:
            continue
    rates = {name: plain_rate_text(preset.rates[name], numbers, hh1952) for name in RATE_NAMES}
    area = _quantity_in(p["area"], um**2, "area") if "area" in p else DEFAULT_AREA_UM2
    extra = {}
    if "V_T" in p:
        extra["V_T"] = volt_modern("V_T")
    g_unit = msiemens / cmetre**2
    na = preset.channel("Na")
    kinetics = preset.numpy_twin if twin_gates(preset) == set(GATES) else None
    return CellModel(
        name=preset.name,
        kinetics=kinetics,
        g_Na=_quantity_in(p["g_Na"], g_unit, "g_Na"),
        g_K=_quantity_in(p["g_K"], g_unit, "g_K"),
        g_L=_quantity_in(p["g_L"], g_unit, "g_L"),
        E_Na=volt_modern("E_Na"),
        E_K=volt_modern("E_K"),
        E_L=volt_modern("E_L"),
        C_m=_quantity_in(p["C_m"], ufarad / cmetre**2, "C_m"),
        celsius=float(p["celsius"]),
        celsius_ref=float(na.celsius_ref if na.celsius_ref is not None else p["celsius"]),
        q10=float(na.q10 if na.q10 is not None else 1.0),
        area_um2=area,
        v_rest_guess=_rest_guess(preset, hh1952),
        rate_text=rates,
        convention=preset.convention.name,
        extra=extra,
        rest=_rest(preset, hh1952),
    )


def _rest(preset, hh1952: bool) -> dict[str, float]:
    from brian2 import mV

    from hh_brian.models.kinetics import resting_state

    state = resting_state(preset)
    v = float(state["v"] / mV)
    return {"v": V_REF_HH1952_MV - v if hh1952 else v, **{g: float(state[g]) for g in GATES}}


def _rest_guess(preset, hh1952: bool) -> float:
    from brian2 import mV

    guess = getattr(preset, "v_rest_guess", None)
    if guess is None:
        return -65.0
    value = float(guess / mV)
    return V_REF_HH1952_MV - value if hh1952 else value


def current_nA(model: CellModel, current_density_uA_cm2: float) -> float:
    """Density (µA/cm²) x area (cm²) -> nA."""
    return current_density_uA_cm2 * model.area_cm2 * 1e3


def is_finite_number(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
