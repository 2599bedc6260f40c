"""NEURON as a registered hh-brian engine (see :mod:`.adapter`)."""

from hh_brian.engines.simulators.adapter import SimulatorEngine

ENGINE = SimulatorEngine("neuron", ("fixed_step", "crank_nicolson", "cvode"))
