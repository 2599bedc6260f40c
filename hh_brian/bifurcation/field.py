"""The model as a vector field ``dy/dt = f(y, p)`` with one free parameter ``p``.

The continuation code works in the NumPy reference engine's floats (ms, mV,
mS/cm^2, uF/cm^2, uA/cm^2; :mod:`hh_brian.engines.reference`), built from the
model description by :func:`hh_brian.engines.reference_bridge.reference_model`.
The free parameter is the injected current ``I_inj`` or any flat model parameter
(:attr:`hh_brian.models.cell.CellModel.parameters`); ``p`` is always a plain
float in the parameter's display unit (:class:`ParameterSpec`).

The state is ``y = (v, gates...)`` in the model's own voltage convention (``v`` in
mV).  Every gate obeys ``dx/dt = a(v) - b(v) x``, so at an equilibrium each gate sits
at ``x_inf(v)`` and the equilibria are the zeros of the scalar current balance
:meth:`VectorField.balance`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Quantity, amp, cm, get_dimensions, meter, msiemens, mV, nA, siemens, uA, uF
from brian2.units.fundamentalunits import DIMENSIONLESS

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import dimension_name, evaluate
from hh_brian.engines.reference import ReferenceModel
from hh_brian.engines.reference_bridge import reference_model
from hh_brian.models.cell import CellModel
from hh_brian.models.validation import display_unit

#: The injected current's parameter name.
CURRENT = "I_inj"
#: Modern potentials (mV) searched for equilibria (as :mod:`hh_brian.models.kinetics`).
V_SEARCH_MODERN_MV = (-120.0, 60.0)
#: Finite-difference steps of the Jacobian: v (mV) and gates (dimensionless).
JACOBIAN_STEP_V = 1e-6
JACOBIAN_STEP_GATE = 1e-8
#: Models rebuilt for parameters without a fast path, kept per value.
_REBUILT_CACHE_SIZE = 64


@dataclass(frozen=True)
class ParameterSpec:
    """The free parameter: its name, unit and how it appears in tables.

    Attributes
    ----------
    name : str
        ``"I_inj"`` or a flat model parameter (``"g_K"``, ``"E_L"``, ``"celsius"``).
    unit : Quantity
        The unit ``p`` is measured in (``uA/cm**2``, ``mV``, ``mS/cm**2``; 1 for
        ``celsius`` and other numbers).
    unit_text : str
        That unit as text (``"uA/cm**2"``; ``"degC"`` for the temperature).
    column : str
        Unit-suffixed CSV column, e.g. ``I_inj_uA_per_cm2``, ``E_L_mV``, ``celsius_degC``.
    """

    name: str
    unit: Quantity
    unit_text: str

    @property
    def column(self) -> str:
        suffix = self.unit_text.replace("**", "").replace("/", "_per_").replace("*", "_")
        return f"{self.name}_{suffix}" if suffix else self.name

    @property
    def label(self) -> str:
        """Axis label, e.g. ``I_inj (uA/cm^2)``."""
        shown = self.unit_text.replace("**", "^")
        return f"{self.name} ({shown})" if shown else self.name

    def quantity(self, p: float) -> Quantity | float:
        """``p`` with its unit (a float for numbers such as ``celsius``)."""
        return p * self.unit if self.unit_text not in ("", "degC") else float(p)


def parameter_spec(model: CellModel, name: str) -> ParameterSpec:
    """The :class:`ParameterSpec` of parameter *name* of *model*.

    Raises
    ------
    HHBrianInputError
        For a name that is neither ``I_inj`` nor a parameter of the model (with a
        suggestion), or for ``area``, which the current balance does not depend on.
    """
    if name == CURRENT:
        if model.has_area:
            return ParameterSpec(CURRENT, nA, "nA")
        return ParameterSpec(CURRENT, uA / cm**2, "uA/cm**2")
    known = [CURRENT, *(n for n in model.parameters if n not in ("area", "V_spike"))]
    if name not in known:
        raise HHBrianInputError(
            f"parameter: model {model.name!r} has no parameter {name!r}."
            f"{closest_names(name, known)} Known: {', '.join(known)}"
        )
    if name == "celsius":
        return ParameterSpec(name, Quantity(1.0), "degC")
    value = model.parameter(name)
    text = display_unit(value, model.length_unit)
    return ParameterSpec(name, evaluate(text) if text else Quantity(1.0), text)


def parameter_value(model: CellModel, spec: ParameterSpec, value: object, what: str) -> float:
    """A range end given with units (or a number, for ``celsius``) as ``p`` (float).

    Raises
    ------
    HHBrianInputError
        If *value* has no units, the wrong units, or is not one finite number.
    """
    if isinstance(value, str):
        value = evaluate(value, what=what, example=_example(spec))
    if np.ndim(value) != 0 or not np.isfinite(float(np.asarray(value))):
        raise HHBrianInputError(f"{what}: expected one finite value, got {value!r}")
    dims = get_dimensions(value)
    expected = get_dimensions(spec.unit)
    if spec.name == CURRENT and model.has_area and dims is get_dimensions(amp / meter**2):
        return float(np.asarray(value * model.area / nA))
    if dims is not expected:
        if dims is DIMENSIONLESS:
            problem = "has no units"
        else:
            problem = f"is {dimension_name(dims)}"
        if expected is not DIMENSIONLESS:
            need = dimension_name(expected)
        else:
            need = "a number" + (" (degrees Celsius)" if spec.name == "celsius" else "")
        raise HHBrianInputError(
            f"{what}: {value!r} {problem}; parameter {spec.name} needs {need}, "
            f"e.g. {_example(spec)}"
        )
    return float(np.asarray(value / spec.unit))


def _example(spec: ParameterSpec) -> str:
    if spec.unit_text in ("", "degC"):
        return "'6.3'"
    return f"'10*{spec.unit_text}'"


class VectorField:
    """``f(y, p)`` and its derivatives for one model and one free parameter.

    Parameters
    ----------
    model : CellModel
    spec : ParameterSpec
        The free parameter.
    current : float
        Injected current density (uA/cm^2, physical: positive depolarises) when the
        free parameter is not ``I_inj``.

    Notes
    -----
    ``I_inj``, ``g_<ch>``, ``E_<ch>``, ``C_m`` and ``celsius`` change the reference
    model's floats directly; any other parameter (a constant inside the rates, a q10)
    rebuilds the model through :meth:`CellModel.with_parameters`, cached per value.
    """

    def __init__(self, model: CellModel, spec: ParameterSpec, current: float = 0.0) -> None:
        self.model = model
        self.spec = spec
        self.current = float(current)
        self.base = reference_model(model)
        self.n = self.base.n_state
        self.sign = self.base.current_sign
        self._rebuilt: OrderedDict[float, ReferenceModel] = OrderedDict()
        self._area_cm2 = float(model.area / cm**2) if model.has_area else None

    # -- the parameter --------------------------------------------------------------
    def injected(self, p: float) -> float:
        """Injected current density (uA/cm^2) at parameter value *p*."""
        if self.spec.name != CURRENT:
            return self.current
        if self._area_cm2 is not None:
            return p * 1e-3 / self._area_cm2  # nA -> uA, per cm^2
        return p

    def at(self, p: float) -> ReferenceModel:
        """The reference model at parameter value *p* (the base model for ``I_inj``)."""
        name = self.spec.name
        if name == CURRENT:
            return self.base
        if name == "C_m":
            return replace(self.base, C_m=float(p * self.spec.unit / (uF / cm**2)))
        if name == "celsius":
            phis = {ch.name: ch.phi(p) for ch in self.model.channels}
            return replace(
                self.base,
                channels=tuple(replace(ch, phi=phis[ch.name]) for ch in self.base.channels),
            )
        for prefix, attr in (("g_", "g"), ("E_", "E")):
            channel = name[len(prefix) :]
            if name.startswith(prefix) and any(ch.name == channel for ch in self.base.channels):
                value = self._channel_value(attr, p)
                channels = tuple(
                    replace(ch, **{attr: value}) if ch.name == channel else ch
                    for ch in self.base.channels
                )
                return replace(self.base, channels=channels)
        return self._rebuild(p)

    def _channel_value(self, attr: str, p: float) -> float:
        quantity = p * self.spec.unit
        if attr == "E":
            return float(quantity / mV)
        if get_dimensions(quantity) is get_dimensions(siemens):  # absolute conductance
            quantity = quantity / self.model.area
        return float(quantity / (msiemens / cm**2))

    def _rebuild(self, p: float) -> ReferenceModel:
        if p in self._rebuilt:
            self._rebuilt.move_to_end(p)
            return self._rebuilt[p]
        model = self.model.with_parameters(**{self.spec.name: self.spec.quantity(p)})
        built = reference_model(model)
        self._rebuilt[p] = built
        if len(self._rebuilt) > _REBUILT_CACHE_SIZE:
            self._rebuilt.popitem(last=False)
        return built

    # -- the vector field -----------------------------------------------------------
    def f(self, y: np.ndarray, p: float | np.ndarray) -> np.ndarray:
        """``dy/dt`` (mV/ms, 1/ms) at states ``y`` of shape ``(n,)`` or ``(n, K)``.

        *p* is one value, or one per column when the parameter is ``I_inj``
        (other parameters take one value per call, see :meth:`f_columns`).
        """
        if np.ndim(p):
            currents = np.array([self.injected(q) for q in np.ravel(p)])
            return self.base.f(0.0, y, currents)
        return self.at(float(p)).f(0.0, y, self.injected(float(p)))

    def f_columns(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """``dy/dt`` at columns ``y[:, k]`` with parameter values ``p[k]``."""
        if self.spec.name == CURRENT:
            return self.f(y, p)
        out = np.empty_like(y)
        for value in np.unique(p):
            columns = p == value
            out[:, columns] = self.f(y[:, columns], float(value))
        return out

    def jacobian(self, y: np.ndarray, p: float) -> np.ndarray:
        """Central-difference Jacobian ``df/dy`` at state ``y`` (shape ``(n,)``), ``(n, n)``."""
        steps = self.steps
        columns = np.repeat(np.asarray(y, dtype=float)[:, None], 2 * self.n, axis=1)
        index = np.arange(self.n)
        columns[index, 2 * index] += steps
        columns[index, 2 * index + 1] -= steps
        values = self.f(columns, p)
        return (values[:, 0::2] - values[:, 1::2]) / (2 * steps[None, :])

    def jacobians(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Jacobians at states ``y[:, k]`` (shape ``(n, K)``) and parameters ``p[k]``:
        shape ``(K, n, n)``."""
        if self.spec.name != CURRENT:
            return np.array([self.jacobian(y[:, k], p[k]) for k in range(y.shape[1])])
        n, k_states = y.shape
        steps = self.steps
        columns = np.repeat(y[:, :, None], 2 * n, axis=2)
        index = np.arange(n)
        columns[index, :, 2 * index] += steps[:, None]
        columns[index, :, 2 * index + 1] -= steps[:, None]
        values = self.f(columns.reshape(n, -1), np.repeat(p, 2 * n)).reshape(n, k_states, 2 * n)
        out = (values[:, :, 0::2] - values[:, :, 1::2]) / (2 * steps[None, None, :])
        return np.transpose(out, (1, 0, 2))

    @property
    def steps(self) -> np.ndarray:
        """Finite-difference steps per state variable (mV for v, 1 for the gates)."""
        return np.array([JACOBIAN_STEP_V] + [JACOBIAN_STEP_GATE] * (self.n - 1))

    def parameter_step(self, p: float) -> float:
        """Finite-difference step in ``p`` (relative, at least 1e-6 of the unit)."""
        return 1e-6 * max(1.0, abs(p))

    def df_dp(self, y: np.ndarray, p: float) -> np.ndarray:
        """Central difference ``df/dp`` at state ``y`` (any shape ``(n, ...)``)."""
        h = self.parameter_step(p)
        return (self.f(y, p + h) - self.f(y, p - h)) / (2 * h)

    # -- equilibria -----------------------------------------------------------------
    def balance(self, v: np.ndarray | float, p: float) -> np.ndarray:
        """Current balance at steady-state gates, uA/cm^2: zero exactly at equilibria.

        ``I_ion,ss(v; p) - s * I_inj(p)``, with ``s`` the convention's current sign.
        """
        model = self.at(float(p))
        return model.steady_state_current(v) - self.sign * self.injected(float(p))

    def equilibrium_state(self, v: float, p: float) -> np.ndarray:
        """The full state ``(v, x_inf(v)...)`` at an equilibrium potential *v* (mV)."""
        return np.concatenate([[v], self.at(float(p)).gate_steady_state(v)])

    def v_search_grid(self, step: float = 0.05) -> np.ndarray:
        """Potentials (mV, model's convention) spanning the search range, increasing."""
        modern = np.arange(V_SEARCH_MODERN_MV[0], V_SEARCH_MODERN_MV[1] + step / 2, step)
        return np.sort(np.asarray(self.base.to_modern(modern)))

    def to_modern(self, v: np.ndarray | float) -> np.ndarray:
        """Potentials (mV) in the modern convention."""
        return self.base.to_modern(v)
