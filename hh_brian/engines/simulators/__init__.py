"""Run one hh-brian preset in NEURON, NEST or MOOSE and get the result in a common form.

>>> from hh_brian.models.presets import get_preset
>>> from hh_brian.engines.simulators import run_simulator
>>> tr = run_simulator("neuron", get_preset("neuron_hh"), current_density_uA_cm2=10.0,
...                    duration_ms=20.0, dt_ms=0.01)  # doctest: +SKIP
>>> tr.spikes_ms  # doctest: +SKIP

Every backend builds one isopotential compartment from the preset's
parameters (converted with units by :func:`cell_model_from_preset`), starts
it in the preset's resting state (V at rest, gates at x_inf) and injects a
constant current from t = 0 or, given a ``protocol``
(:mod:`hh_brian.engines.simulators.protocol`: steps, pulses, sampled waveforms,
ramps, sines, noise), that protocol in the simulator's own form: NEURON IClamps
and ``Vector.play`` (:mod:`.neuron_stimulus`), NEST ``I_e`` with step-current and
AC generators (:mod:`.nest_stimulus`), MOOSE ``inject`` set between run segments.
A kind a simulator has no form for (noise in NEST; ramps, sines and noise in
MOOSE) raises :class:`SimulatorCannotExpress`.  Spike times are taken from each
simulator's sampled voltage by the same detector (:func:`common.spike_times`:
hh-brian's crossing rule of :mod:`hh_brian.core.crossings`, located by a local
cubic), not by the simulators' own rules.  NEST's ``hh_psc_alpha`` and
``hh_cond_exp_traub`` emit a spike when V >= 0 mV (V_T + 30 mV for Traub) and
falling, i.e. at the sample after the peak, with a 2 ms dead time; NEURON's
``NetCon`` (not used here) signals when its source v rises past
``NetCon.threshold`` and re-arms when v falls back below it, the same rule as
hh-brian's, with its own time stamp.

Which simulator can express which preset
----------------------------------------
========  ===================================================================
NEURON    every model, any channels: built-in ``hh`` for ``neuron_hh``; a
          generated NMODL mechanism (:func:`hh_brian.render.nmodl.nmodl_mechanism`,
          compiled once with ``nrnivmodl``, cached) for the rest
NEST      ``neuron_hh`` and ``hh1952`` (``hh_psc_alpha``, only at phi = 1),
          ``traub_miles`` (``hh_cond_exp_traub``); the rest raise
          :class:`SimulatorCannotExpress`
MOOSE     the squid-structure models, through tabulated gates (GENESIS-style
          HHGate tables)
========  ===================================================================
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

from hh_brian.core.errors import HHBrianInputError

#: MOOSE has its own extra: its wheel pulls in GUI stacks (PyQt5, vpython) and pyNeuroML.
EXTRAS = {"neuron": "simulators", "nest": "simulators", "moose": "moose", "jneuroml": "neuroml"}


def install_hint(simulator: str) -> str:
    """``pip install 'hh-brian[<extra>]'`` for the extra that installs *simulator*."""
    return f"pip install 'hh-brian[{EXTRAS.get(simulator, 'simulators')}]'"


class SimulatorNotInstalled(ImportError):
    """The simulator's Python package is missing; the message says what to install."""


class SimulatorCannotExpress(HHBrianInputError):
    """The simulator has no model with this preset's kinetics or parameters (bad input for
    that engine: the CLI reports it in one line with exit status 2)."""


@dataclass(frozen=True)
class SimulatorTrace:
    """One simulator run, in a common form.

    Attributes
    ----------
    simulator : str
        Registry name ("neuron", "nest", "moose", "scipy").
    preset : str
        The preset's name.
    dt_ms : float
        Step (NEURON, MOOSE) or resolution (NEST) in ms.
    t_ms, v_mV : numpy.ndarray
        Samples at k * dt_ms, k = 0..N, the membrane potential in the MODERN
        convention (depolarisation positive), whatever the preset's convention.
    spikes_ms : numpy.ndarray
        Upward crossings of the threshold, from :func:`common.spike_times`.
    wall_s : float
        Wall time of the integration loop only.
    scheme : str
        The integrator, as the simulator applies it.
    notes : tuple of str
        What differs from the hh-brian preset, and why.
    stimulus : str
        How the simulator expressed the injected current (its own objects).
    """

    simulator: str
    preset: str
    dt_ms: float
    t_ms: np.ndarray
    v_mV: np.ndarray
    spikes_ms: np.ndarray
    wall_s: float
    scheme: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    stimulus: str = ""


#: name -> (module, python package imported, pip requirement)
SIMULATORS: dict[str, tuple[str, str, str]] = {
    "neuron": ("hh_brian.engines.simulators.neuron", "neuron", "neuron==9.0.2"),
    "nest": ("hh_brian.engines.simulators.nest", "nest", "nest-simulator==3.10.0"),
    "moose": ("hh_brian.engines.simulators.moose", "moose", "pymoose==5.0.0"),
    "jneuroml": ("hh_brian.engines.simulators.jneuroml", "pyneuroml", "pyNeuroML"),
}


def require(package: str, requirement: str, simulator: str):
    """Import *package* or raise :class:`SimulatorNotInstalled` with the pip command."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise SimulatorNotInstalled(
            f"simulator {simulator!r} needs the Python package {package!r}, which is not "
            f"installed: run `pip install {requirement}` (or `{install_hint(simulator)}`)"
        ) from exc


def is_installed(name: str) -> bool:
    """True if the simulator *name* can be imported."""
    _, package, _ = SIMULATORS[name]
    return importlib.util.find_spec(package) is not None


def run_simulator(
    name: str,
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    **options,
) -> SimulatorTrace:
    """Run *preset* in simulator *name* ("neuron", "nest", "moose").

    Parameters
    ----------
    name : str
        A key of :data:`SIMULATORS`.
    preset : hh_brian.models.presets.Preset
    current_density_uA_cm2 : float
        Constant current density from t = 0, µA/cm², depolarising if positive
        (also for the 1952 convention).
    duration_ms, dt_ms : float
        Simulated time and step, ms.
    v_threshold_mV : float
        Spike threshold in the modern convention, mV.
    **options
        Backend options, e.g. ``secondorder=2`` (NEURON),
        ``stimulus="dc_generator"`` (NEST), ``table_divs=3000`` (MOOSE), and
        ``protocol`` (:class:`~hh_brian.engines.simulators.protocol.Protocol`, any
        current-clamp protocol on the grid of *dt_ms*; it replaces
        *current_density_uA_cm2*).

    Raises
    ------
    SimulatorCannotExpress
        If the simulator cannot express the preset or the protocol.
    SimulatorNotInstalled
        If its Python package is missing.
    """
    if name not in SIMULATORS:
        raise ValueError(f"unknown simulator {name!r}; choose one of {sorted(SIMULATORS)}")
    module_name, package, requirement = SIMULATORS[name]
    require(package, requirement, name)
    module = importlib.import_module(module_name)
    if not (dt_ms > 0 and duration_ms > 0):
        raise ValueError(f"dt_ms and duration_ms must be positive, got {dt_ms}, {duration_ms}")
    protocol = options.get("protocol")
    if protocol is not None and (
        abs(protocol.dt_ms - dt_ms) > 1e-12 * dt_ms
        or abs(protocol.duration_ms - duration_ms) > 1e-9 * duration_ms
    ):
        raise ValueError(
            f"protocol on a grid of {protocol.dt_ms:g} ms over {protocol.duration_ms:g} ms, "
            f"but dt_ms = {dt_ms:g} and duration_ms = {duration_ms:g}"
        )
    return module.run(
        preset,
        current_density_uA_cm2=float(current_density_uA_cm2),
        duration_ms=float(duration_ms),
        dt_ms=float(dt_ms),
        v_threshold_mV=float(v_threshold_mV),
        **options,
    )


__all__ = [
    "SIMULATORS",
    "SimulatorCannotExpress",
    "SimulatorNotInstalled",
    "SimulatorTrace",
    "is_installed",
    "require",
    "run_simulator",
]
