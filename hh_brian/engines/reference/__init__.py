"""Independent NumPy reference engine for Hodgkin-Huxley models (no Brian2 import).

Unit system (every float in this package, no unit objects):

=====================  =========
quantity               unit
=====================  =========
time                   ms
membrane potential     mV
conductance density    mS/cm^2
capacitance density    uF/cm^2
current density        uA/cm^2
rates                  1/ms
temperature            degC
=====================  =========

With these units ``(current density) / (capacitance density)`` is exactly mV/ms, so
``C_m dV/dt = I`` needs no conversion factor. Injected currents are physical: positive
depolarises, in both voltage conventions (``'modern'`` and the 1952 ``'hh1952'``, where
V is the displacement from rest and depolarisation is negative).

Modules: :mod:`.rates` (kinetics registry), :mod:`.model` (right-hand side, A-B and
y_inf/tau forms, resting state), :mod:`.integrators` (fixed-step schemes with their
orders), :mod:`.run` (driver, spikes, blow-up guard, fast spike counter), :mod:`.gold`
(tight-tolerance scipy solution), :mod:`.inputs` (current inputs), :mod:`.errors`.
"""

from .errors import IntegrationError
from .gold import solve_gold
from .inputs import CurrentInput, as_current, sample_index
from .integrators import (
    INTEGRATORS,
    RK4,
    ExponentialEulerAB,
    ExponentialEulerTau,
    ForwardEuler,
    Integrator,
    RushLarsen2,
    get_integrator,
)
from .model import RefChannel, ReferenceModel, RefGate, squid_model
from .rates import GATES, KINETICS, GateRates, gate_rates, x_over_expm1
from .run import ReferenceResult, count_spikes, integrate

__all__ = [
    "GATES",
    "INTEGRATORS",
    "KINETICS",
    "RK4",
    "CurrentInput",
    "ExponentialEulerAB",
    "ExponentialEulerTau",
    "ForwardEuler",
    "GateRates",
    "IntegrationError",
    "Integrator",
    "RefChannel",
    "RefGate",
    "ReferenceModel",
    "squid_model",
    "ReferenceResult",
    "RushLarsen2",
    "as_current",
    "count_spikes",
    "gate_rates",
    "get_integrator",
    "integrate",
    "sample_index",
    "solve_gold",
    "x_over_expm1",
]
