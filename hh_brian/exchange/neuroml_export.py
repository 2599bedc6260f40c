"""Any hh-brian cell model as NeuroML2: one cell file and one file per channel.

:func:`neuroml_documents` builds the documents with libNeuroML;
:func:`write_neuroml` writes them (and, given a protocol, the network and LEMS
simulation files of :mod:`hh_brian.exchange.lems_simulation`).

Mapping
-------
* **Cell**: a ``cell`` with one spherical segment (proximal = distal, area
  pi d^2, as NeuroML's own HH example) of the model's area, or of
  :data:`DEFAULT_AREA_UM2` for a model without one; ``specificCapacitance`` = C_m,
  ``spikeThresh`` = V_spike and ``initMembPotential`` = hh-brian's computed resting
  potential (so every NeuroML tool starts where hh-brian does; the gates start at
  their steady state there, as NeuroML's HH gates do).
* **Channels**: one ``ionChannelHH`` per channel, a ``channelDensity`` (id = the
  channel's name) with its conductance density (absolute g / area) and reversal
  potential; a channel without gates is a leak.
* **Gates**: ``gateHHrates`` (alpha/beta), ``gateHHtauInf`` (inf/tau) or
  ``gateHHInstantaneous``; a channel's q10 is a ``q10ExpTemp`` on each gate.
* **Rates** in a standard form (:mod:`hh_brian.exchange.rate_forms`) use it; any
  other rate is a LEMS ``ComponentType`` extending ``baseVoltageDepRate``,
  ``baseVoltageDepVariable`` or ``baseVoltageDepTime`` whose ``Dynamics`` carry the
  expression (:func:`hh_brian.exchange.lems_expr.to_lems`; ``exprel`` as a guarded
  ``ConditionalDerivedVariable``).
* **Potentials** are modern (NeuroML has one convention): a model in the 1952
  convention has every rate, E and threshold mapped by V = -65 mV - v_HH, and its
  convention is recorded.
* **What NeuroML has no element for** is recorded as cell ``property`` tags
  ``hh-brian:...`` (name, title, convention, citation, notes, constants and their
  meanings, the exact area, temperature, v_rest_guess, absolute conductances), and
  each gate's hh-brian expressions in its ``notes`` (``hh-brian alpha: TEXT``), so
  that :mod:`hh_brian.exchange.neuroml_import` reads back the very same model. The
  importer uses a recorded expression only where it equals the NeuroML kinetics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import neuroml
from brian2 import Quantity, get_dimensions, siemens, umetre

from hh_brian.exchange.lems_expr import to_lems
from hh_brian.exchange.nml_units import format_celsius, format_quantity, number_text
from hh_brian.exchange.rate_forms import match_form, numeric_expression
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES
from hh_brian.models.modelfile_writer import exact_text

#: Membrane area (µm²) of the exported segment for a model without an area.
DEFAULT_AREA_UM2 = 1000.0
#: Prefix of every hh-brian property tag and gate note.
TAG = "hh-brian:"
NOTE = "hh-brian "
_EXTENDS = {
    "alpha": ("baseVoltageDepRate", "r", "per_time"),
    "beta": ("baseVoltageDepRate", "r", "per_time"),
    "inf": ("baseVoltageDepVariable", "x", "none"),
    "tau": ("baseVoltageDepTime", "t", "time"),
}


@dataclass(frozen=True)
class NeuroMLFiles:
    """Paths written by :func:`write_neuroml` (``network``/``lems`` None without a protocol)."""

    cell: Path
    channels: tuple[Path, ...]
    network: Path | None = None
    lems: Path | None = None
    output: Path | None = None
    notes: tuple[str, ...] = ()


def exported_area(model) -> Quantity:
    """The segment area: the model's own, else :data:`DEFAULT_AREA_UM2` µm²."""
    return model.area if model.area is not None else DEFAULT_AREA_UM2 * umetre**2


def _exact(model, value) -> str:
    return exact_text(value, model.length_unit)


def _component_type(name: str, expr, key: str, description: str) -> neuroml.ComponentType:
    """A LEMS ComponentType whose exposure is *expr* (numbers, V in mV)."""
    extends, exposure, dimension = _EXTENDS[key]
    text, exprels = to_lems(expr)
    dynamics = neuroml.Dynamics(
        DerivedVariable=[
            neuroml.DerivedVariable(name="V", dimension="none", value="v / VOLT_SCALE")
        ]
    )
    for item in exprels:
        dynamics.DerivedVariable.append(
            neuroml.DerivedVariable(name=item.argument_name, dimension="none", value=item.argument)
        )
        cases = [neuroml.Case(condition=c, value=v) for c, v in item.cases]
        dynamics.ConditionalDerivedVariable.append(
            neuroml.ConditionalDerivedVariable(name=item.name, dimension="none", Case=cases)
        )
    value = {"r": f"({text}) / TIME_SCALE", "t": f"({text}) * TIME_SCALE", "x": text}[exposure]
    if exprels:
        # jLEMS evaluates DerivedVariables before ConditionalDerivedVariables, so a value
        # that reads an exprel guard is itself a (one-case) ConditionalDerivedVariable.
        dynamics.ConditionalDerivedVariable.append(
            neuroml.ConditionalDerivedVariable(
                name=exposure,
                dimension=dimension,
                exposure=exposure,
                Case=[neuroml.Case(value=value)],
            )
        )
    else:
        dynamics.DerivedVariable.append(
            neuroml.DerivedVariable(
                name=exposure, dimension=dimension, exposure=exposure, value=value
            )
        )
    constants = [neuroml.Constant(name="VOLT_SCALE", dimension="voltage", value="1mV")]
    if exposure != "x":
        constants.append(neuroml.Constant(name="TIME_SCALE", dimension="time", value="1ms"))
    return neuroml.ComponentType(
        name=name, extends=extends, description=description, Constant=constants, Dynamics=[dynamics]
    )


def _kinetics(model, channel_id: str, gate, key: str, types: list):
    """The rate, variable or time-course element of one gate expression."""
    text = gate.expressions[key]
    expr = numeric_expression(model, text, key, what=f"gate {gate.name}.{key}")
    form = match_form(expr, key)
    cls = {"alpha": neuroml.HHRate, "beta": neuroml.HHRate, "inf": neuroml.HHVariable}.get(
        key, neuroml.HHTime
    )
    if form is not None and form.shape == "fixed":
        return cls(type=form.name, tau=f"{number_text(form.tau)}ms")
    if form is not None:
        unit = "per_ms" if key in ("alpha", "beta") else ""
        return cls(
            type=form.name,
            rate=f"{number_text(form.rate)}{unit}",
            midpoint=f"{number_text(form.midpoint)}mV",
            scale=f"{number_text(form.scale)}mV",
        )
    name = f"{channel_id}_{gate.name}_{key}"
    types.append(_component_type(name, expr, key, f"hh-brian {key} of gate {gate.name}: {text}"))
    return cls(type=name)


def _gate(model, channel, channel_id: str, gate, types: list):
    notes = "\n".join(f"{NOTE}{k}: {t}" for k, t in gate.expressions.items())
    q10 = []
    if channel.q10 is not None and gate.form != INSTANTANEOUS:
        q10 = neuroml.Q10Settings(
            type="q10ExpTemp",
            q10_factor=number_text(channel.q10),
            experimental_temp=format_celsius(channel.celsius_ref),
        )
    common = dict(id=gate.name, instances=gate.exponent, notes=notes)
    if gate.form == RATES:
        return "gate_hh_rates", neuroml.GateHHRates(
            **common,
            q10_settings=q10 or None,
            forward_rate=_kinetics(model, channel_id, gate, "alpha", types),
            reverse_rate=_kinetics(model, channel_id, gate, "beta", types),
        )
    if gate.form == INF_TAU:
        return "gate_hh_tau_infs", neuroml.GateHHTauInf(
            **common,
            q10_settings=q10 or None,
            time_course=_kinetics(model, channel_id, gate, "tau", types),
            steady_state=_kinetics(model, channel_id, gate, "inf", types),
        )
    return "gate_hh_instantaneouses", neuroml.GateHHInstantaneous(
        **common, steady_state=_kinetics(model, channel_id, gate, "inf", types)
    )


def channel_document(model, channel) -> neuroml.NeuroMLDocument:
    """One channel as a NeuroML document (with the ComponentTypes its rates need)."""
    channel_id = f"{model.name}_{channel.name}"
    ion_channel = neuroml.IonChannelHH(
        id=channel_id,
        conductance="10pS",
        species=channel.ion,
        notes=channel.description or None,
    )
    types: list = []
    for gate in channel.gates:
        attribute, element = _gate(model, channel, channel_id, gate, types)
        getattr(ion_channel, attribute).append(element)
    doc = neuroml.NeuroMLDocument(id=channel_id)
    doc.ComponentType.extend(types)
    doc.ion_channel_hhs.append(ion_channel)
    return doc


def _properties(model) -> list[neuroml.Property]:
    tags = {
        "name": model.name,
        "title": model.title,
        "convention": model.convention.name,
        "citation": str(model.citation),
        "length_unit": model.length_unit,
        "celsius": repr(float(model.celsius)),
        "v_rest_guess": _exact(model, model.v_rest_guess),
        "V_spike": _exact(model, model.V_spike),
        "area": "none" if model.area is None else _exact(model, model.area),
    }
    if model.numpy_twin:
        tags["numpy_twin"] = model.numpy_twin
    for k, note in enumerate(model.notes):
        tags[f"note:{k}"] = note
    for name, value in model.constants.items():
        tags[f"constant:{name}"] = _exact(model, value)
        if model.meanings.get(name):
            tags[f"meaning:{name}"] = model.meanings[name]
    for ch in model.channels:
        if get_dimensions(ch.g) is get_dimensions(siemens):
            tags[f"g:{ch.name}"] = _exact(model, ch.g)
        if len(ch.gates) > 1:
            tags[f"gates:{ch.name}"] = " ".join(g.name for g in ch.gates)
        if model.convention.from_modern(model.convention.to_modern(ch.E)) != ch.E:
            tags[f"E:{ch.name}"] = _exact(model, ch.E)
        if ch.q10 is not None and not any(g.form != INSTANTANEOUS for g in ch.gates):
            tags[f"q10:{ch.name}"] = f"{ch.q10!r} {ch.celsius_ref!r}"
    return [neuroml.Property(tag=f"{TAG}{k}", value=str(v)) for k, v in tags.items()]


def cell_document(model, channel_files: dict[str, str]) -> neuroml.NeuroMLDocument:
    """The cell of *model* as a NeuroML document including *channel_files* (name -> href)."""
    from hh_brian.models.kinetics import resting_state

    area = exported_area(model)
    diameter = math.sqrt(float(area / umetre**2) / math.pi)
    point = dict(x=0, y=0, z=0, diameter=diameter)
    segment = neuroml.Segment(
        id=0,
        name="soma",
        proximal=neuroml.Point3DWithDiam(**point),
        distal=neuroml.Point3DWithDiam(**point),
    )
    morphology = neuroml.Morphology(
        id="morphology",
        segments=[segment],
        segment_groups=[
            neuroml.SegmentGroup(id="soma_group", members=[neuroml.Member(segments=0)])
        ],
    )
    conv = model.convention
    densities = []
    for ch in model.channels:
        g = ch.g / area if get_dimensions(ch.g) is get_dimensions(siemens) else ch.g
        densities.append(
            neuroml.ChannelDensity(
                id=ch.name,
                ion_channel=f"{model.name}_{ch.name}",
                cond_density=format_quantity(g, "conductanceDensity"),
                erev=format_quantity(conv.to_modern(ch.E), "voltage"),
                ion=ch.ion or "non_specific",
            )
        )
    rest = conv.to_modern(resting_state(model)["v"])
    membrane = neuroml.MembraneProperties(
        channel_densities=densities,
        spike_threshes=[
            neuroml.SpikeThresh(value=format_quantity(conv.to_modern(model.V_spike), "voltage"))
        ],
        specific_capacitances=[
            neuroml.SpecificCapacitance(value=format_quantity(model.C_m, "specificCapacitance"))
        ],
        init_memb_potentials=[neuroml.InitMembPotential(value=format_quantity(rest, "voltage"))],
    )
    bio = neuroml.BiophysicalProperties(
        id="biophysics",
        membrane_properties=membrane,
        intracellular_properties=neuroml.IntracellularProperties(
            resistivities=[neuroml.Resistivity(value="0.03kohm_cm")]
        ),
    )
    cell = neuroml.Cell(
        id=model.name,
        notes=model.title,
        properties=_properties(model),
        morphology=morphology,
        biophysical_properties=bio,
    )
    doc = neuroml.NeuroMLDocument(id=f"{model.name}_cell")
    doc.includes.extend(neuroml.IncludeType(href=href) for href in channel_files.values())
    doc.cells.append(cell)
    return doc


def write_document(doc: neuroml.NeuroMLDocument, path: Path) -> Path:
    """Write one NeuroML document (libNeuroML's writer)."""
    from neuroml.writers import NeuroMLWriter

    NeuroMLWriter.write(doc, str(path))
    return path


def write_cell(model, folder: str | Path) -> tuple[Path, tuple[Path, ...]]:
    """Write the cell file and its channel files into *folder*; return their paths."""
    folder = Path(folder)
    hrefs = {ch.name: f"{model.name}_{ch.name}.channel.nml" for ch in model.channels}
    channels = tuple(
        write_document(channel_document(model, ch), folder / hrefs[ch.name])
        for ch in model.channels
    )
    cell = write_document(cell_document(model, hrefs), folder / f"{model.name}.cell.nml")
    return cell, channels


__all__ = [
    "DEFAULT_AREA_UM2",
    "NOTE",
    "NeuroMLFiles",
    "TAG",
    "cell_document",
    "channel_document",
    "exported_area",
    "write_cell",
    "write_document",
]
