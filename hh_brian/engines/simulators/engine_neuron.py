"""NEURON as a registered hh-brian engine (see :mod:`.adapter`): any channel model,
through the generated NMODL mechanism (:func:`hh_brian.render.nmodl.nmodl_mechanism`)."""

from hh_brian.engines.simulators.adapter import SimulatorEngine
from hh_brian.engines.simulators.neuron import nmodl_problem

ENGINE = SimulatorEngine("neuron", ("fixed_step", "crank_nicolson", "cvode"), nmodl_problem)
