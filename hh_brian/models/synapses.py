"""Conductance-based synapses: presets with units and citations, rendered to Brian2.

This module gathers the synapse layer under one name; each piece lives in its
own module:

* :mod:`hh_brian.models.synapse_preset`: :class:`SynapsePreset`, one receptor
  type (kinetics, reversal potential, Mg²⁺ block, weight, convention, source);
* :mod:`hh_brian.models.synapse_library`: the built-in presets
  (:data:`SYNAPSE_PRESETS`, :func:`get_synapse`);
* :mod:`hh_brian.models.synapse_equations`: :func:`render_synapses` (Brian2
  equation lines and ``on_pre`` statements) and the ``equations/synapses/*.eqs``
  files.
"""

from hh_brian.models.synapse_equations import (
    RenderedSynapses,
    check_conventions,
    expected_synapse_files,
    render_synapses,
    state_variables,
    synapse_file_text,
    write_synapse_files,
)
from hh_brian.models.synapse_library import (
    AMPA,
    BRETTE_2007,
    COBAHH_EXC,
    COBAHH_INH,
    DESTEXHE_1998,
    GABA_A,
    GABA_B,
    JAHR_STEVENS_1990,
    NMDA,
    SYNAPSE_PRESETS,
    get_synapse,
)
from hh_brian.models.synapse_preset import (
    BIEXPONENTIAL,
    EXPONENTIAL,
    KINETICS,
    MG_HALF,
    MG_SLOPE,
    SynapsePreset,
)

__all__ = [
    "AMPA",
    "BIEXPONENTIAL",
    "BRETTE_2007",
    "COBAHH_EXC",
    "COBAHH_INH",
    "DESTEXHE_1998",
    "EXPONENTIAL",
    "GABA_A",
    "GABA_B",
    "JAHR_STEVENS_1990",
    "KINETICS",
    "MG_HALF",
    "MG_SLOPE",
    "NMDA",
    "SYNAPSE_PRESETS",
    "RenderedSynapses",
    "SynapsePreset",
    "check_conventions",
    "expected_synapse_files",
    "get_synapse",
    "render_synapses",
    "state_variables",
    "synapse_file_text",
    "write_synapse_files",
]
