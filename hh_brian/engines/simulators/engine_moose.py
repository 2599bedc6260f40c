"""MOOSE as a registered hh-brian engine (see :mod:`.adapter`)."""

from hh_brian.engines.simulators.adapter import SimulatorEngine

ENGINE = SimulatorEngine("moose", ("exponential_euler",))
