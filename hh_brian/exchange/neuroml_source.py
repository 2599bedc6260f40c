"""The elements of one single-compartment NeuroML2 cell, read with libNeuroML (and PyLEMS).

:func:`read_source` checks the file (size, well-formed XML, a ``<neuroml>``
root), reads it and its includes with libNeuroML, picks the cell and returns a
:class:`NeuroMLSource` of plain values for :mod:`hh_brian.exchange.neuroml_import`.
A ``pointCellCondBased`` is a LEMS component that NeuroML's schema (and so
libNeuroML) does not hold; it is read with PyLEMS, the LEMS reader of NeuroML's
own tools.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from brian2 import Quantity, ufarad, umetre
from brian2.units import cm

from hh_brian.core.errors import HHBrianInputError
from hh_brian.exchange.neuroml_export import DEFAULT_AREA_UM2, TAG
from hh_brian.exchange.nml_units import parse_celsius, parse_quantity

#: Largest NeuroML file read (bytes).
MAX_FILE_BYTES = 20_000_000
#: Capacitance per area assumed for a pointCellCondBased (which has only an absolute C).
POINT_CELL_C_M = 1 * ufarad / cm**2
SUPPORTED_CELLS = "cell (one segment) and pointCellCondBased"


@dataclass
class Density:
    """One channel's density (or population) on the cell, plain values."""

    id: str
    ion_channel: str
    g_value: Quantity
    erev: str | None
    ion: str | None


@dataclass
class NeuroMLSource:
    """What :func:`~hh_brian.exchange.neuroml_import.load_neuroml` needs from the file."""

    path: Path
    cell_id: str
    title: str
    C_m: Quantity
    area: Quantity
    has_area: bool
    threshold: Quantity
    v_init: Quantity
    celsius: float | None
    densities: list[Density]
    channels: dict
    component_types: dict
    properties: dict[str, str]
    use_annotations: bool = True
    notes: list[str] = field(default_factory=list)


def segment_area(proximal, distal) -> float:
    """Lateral area (µm²) of a segment as jNeuroML computes it (a sphere if the ends coincide)."""
    d1, d2 = float(proximal.diameter), float(distal.diameter)
    length = math.dist(
        (float(proximal.x), float(proximal.y), float(proximal.z)),
        (float(distal.x), float(distal.y), float(distal.z)),
    )
    if length == 0:
        return math.pi * d1 * d1
    r1, r2 = d1 / 2, d2 / 2
    return math.pi * (r1 + r2) * math.sqrt((r1 - r2) ** 2 + length**2)


def _root(path: Path) -> str:
    from lxml import etree

    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise HHBrianInputError(f"{path}: not well-formed XML ({exc})") from None
    tag = etree.QName(root.getroot()).localname
    if tag != "neuroml":
        raise HHBrianInputError(
            f"{path}: not a NeuroML2 file (root element <{tag}>, expected <neuroml>)"
        )
    return tag


def _document(path: Path):
    import contextlib
    import io

    from neuroml.loaders import read_neuroml2_file

    try:
        # libNeuroML prints its own validation warnings; hh-brian reports in one line.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return read_neuroml2_file(str(path), include_includes=True, verbose=False)
    except Exception as exc:  # libNeuroML raises many kinds for bad files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HHBrianInputError(f"{path}: libNeuroML cannot read it ({reason})") from None


def validation_problem(path: str | Path) -> str | None:
    """The first problem libNeuroML's own validation finds in the file, or None.

    Missing required attributes and elements come first: libNeuroML reads a file that
    lacks them and leaves None where a value belongs, which this names.
    """
    try:
        _document(Path(path)).validate(recursive=True)
    except HHBrianInputError as exc:
        return str(exc)
    except ValueError as exc:
        problems = [line.lstrip("- ") for line in str(exc).splitlines()[1:] if line.strip()]
        structural = [p for p in problems if "Required value" in p or "Number of values" in p]
        return (structural or problems or [str(exc)])[0]
    return None


def _point_cells(path: Path) -> list:
    """pointCellCondBased components (PyLEMS), or [] if the file has none."""
    if b"pointCellCondBased" not in path.read_bytes():
        return []
    from lems.model.model import Model

    model = Model(include_includes=False)
    try:
        model.import_from_file(str(path))
    except Exception as exc:  # PyLEMS raises many kinds for bad files
        raise HHBrianInputError(f"{path}: PyLEMS cannot read it ({exc})") from None
    return [c for c in model.components.values() if c.type == "pointCellCondBased"]


def _temperature(doc) -> float | None:
    for network in doc.networks:
        if network.temperature is not None:
            return parse_celsius(network.temperature, what=f"network {network.id!r} temperature")
    return None


def _pick(path: Path, cells: list, cell_id: str | None, others: list[str]):
    ids = [c.id for c in cells]
    if cell_id is not None:
        for cell in cells:
            if cell.id == cell_id:
                return cell
        raise HHBrianInputError(f"{path}: no cell {cell_id!r}; cells: {', '.join(ids) or 'none'}")
    if len(cells) == 1:
        return cells[0]
    if not cells:
        extra = f" (found {', '.join(others)}, which hh-brian does not import)" if others else ""
        raise HHBrianInputError(
            f"{path}: no cell to import{extra}; hh-brian imports {SUPPORTED_CELLS}"
        )
    raise HHBrianInputError(f"{path}: several cells ({', '.join(ids)}); choose one by id")


def _one(values: list, what: str, path: Path, cell_id: str):
    if not values:
        raise HHBrianInputError(f"{path}: cell {cell_id!r} has no {what}; give one")
    return values[0]


def _cell_source(path, doc, cell, channels, types, use_annotations) -> NeuroMLSource:
    morphology = cell.morphology
    segments = list(morphology.segments) if morphology is not None else []
    if len(segments) != 1:
        raise HHBrianInputError(
            f"{path}: cell {cell.id!r} has {len(segments)} segments; hh-brian imports "
            "single-compartment cells (one segment)"
        )
    seg = segments[0]
    proximal = seg.proximal if seg.proximal is not None else seg.distal
    area = segment_area(proximal, seg.distal) * umetre**2
    bio = cell.biophysical_properties
    membrane = bio.membrane_properties if bio is not None else None
    if membrane is None:
        raise HHBrianInputError(f"{path}: cell {cell.id!r} has no membraneProperties")
    unsupported = [
        name
        for name in (
            "channel_density_nernsts", "channel_density_ghks", "channel_density_ghk2s",
            "channel_density_non_uniforms", "channel_density_v_shifts",
        )
        if getattr(membrane, name)
    ]  # fmt: skip
    if unsupported:
        raise HHBrianInputError(
            f"{path}: cell {cell.id!r}: {unsupported[0]} is not supported; give channelDensity "
            "elements with erev"
        )
    where = f"cell {cell.id!r}"
    densities = [
        Density(
            d.id,
            d.ion_channel,
            parse_quantity(d.cond_density, "conductanceDensity", what=f"channelDensity {d.id!r}"),
            d.erev,
            d.ion,
        )
        for d in membrane.channel_densities
    ]
    c_m = _one(membrane.specific_capacitances, "specificCapacitance", path, cell.id)
    thresh = membrane.spike_threshes[0].value if membrane.spike_threshes else "-20mV"
    v0 = membrane.init_memb_potentials[0].value if membrane.init_memb_potentials else "-65mV"
    props = {p.tag[len(TAG) :]: p.value for p in (cell.properties or []) if p.tag.startswith(TAG)}
    return NeuroMLSource(
        path=path,
        cell_id=cell.id,
        title=(cell.notes or "").strip(),
        C_m=parse_quantity(c_m.value, "specificCapacitance", what=f"{where} specificCapacitance"),
        area=area,
        has_area=props.get("area", "") != "none",
        threshold=parse_quantity(thresh, "voltage", what=f"{where} spikeThresh"),
        v_init=parse_quantity(v0, "voltage", what=f"{where} initMembPotential"),
        celsius=_temperature(doc),
        densities=densities,
        channels=channels,
        component_types=types,
        properties=props,
        use_annotations=use_annotations,
    )


def _point_source(path, doc, component, channels, types) -> NeuroMLSource:
    where = f"pointCellCondBased {component.id!r}"
    p = component.parameters
    for name in ("C", "v0", "thresh"):
        if name not in p:
            raise HHBrianInputError(f"{path}: {where}: missing {name}")
    C = parse_quantity(p["C"], "capacitance", what=f"{where} C")
    area = Quantity(C / POINT_CELL_C_M)
    densities = []
    for child in component.children:
        if child.type != "channelPopulation":
            raise HHBrianInputError(
                f"{path}: {where}: child {child.type} {child.id!r} is not supported; give "
                "channelPopulation elements"
            )
        cp = child.parameters
        channel = channels.get(cp.get("ionChannel"))
        if channel is None:
            raise HHBrianInputError(
                f"{path}: channelPopulation {child.id!r}: no ionChannel {cp.get('ionChannel')!r}"
            )
        single = parse_quantity(
            channel.conductance, "conductance", what=f"ionChannel {channel.id!r}"
        )
        number = float(cp.get("number", "nan"))
        if not math.isfinite(number) or number < 0:
            raise HHBrianInputError(f"{path}: channelPopulation {child.id!r}: number {number}")
        densities.append(
            Density(
                child.id, cp["ionChannel"], number * single / area, cp.get("erev"), cp.get("ion")
            )
        )
    return NeuroMLSource(
        path=path,
        cell_id=component.id,
        title="",
        C_m=POINT_CELL_C_M,
        area=area,
        has_area=True,
        threshold=parse_quantity(p["thresh"], "voltage", what=f"{where} thresh"),
        v_init=parse_quantity(p["v0"], "voltage", what=f"{where} v0"),
        celsius=_temperature(doc),
        densities=densities,
        channels=channels,
        component_types=types,
        properties={},
        notes=[
            f"pointCellCondBased {component.id!r}: absolute C = {p['C']}; the area is C / "
            "(1 uF/cm^2), so that C_m = 1 uF/cm^2 and every conductance is the same absolute value"
        ],
    )


def read_source(
    path: str | Path, *, cell_id: str | None = None, use_annotations: bool = True
) -> NeuroMLSource:
    """Read the cell of a NeuroML2 file (see the module docstring).

    Raises
    ------
    HHBrianInputError
        A missing, oversized or malformed file, a root other than ``<neuroml>``,
        no cell or several, an unsupported cell type or a multi-compartment cell.
    """
    path = Path(path)
    if not path.is_file():
        raise HHBrianInputError(f"{path}: no such NeuroML file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise HHBrianInputError(f"{path}: too large for a NeuroML cell file")
    _root(path)
    doc = _document(path)
    channels = {c.id: c for c in [*doc.ion_channel_hhs, *doc.ion_channel]}
    types = {t.name: t for t in doc.ComponentType}
    points = _point_cells(path)
    others = [
        f"{kind} {c.id!r}"
        for kind, items in (
            ("izhikevich2007Cell", doc.izhikevich2007_cells),
            ("iafCell", doc.iaf_cells),
            ("adExIaFCell", doc.ad_ex_ia_f_cells),
            ("cell2CaPools", doc.cell2_ca_poolses),
        )
        for c in items
    ]
    cell = _pick(path, [*doc.cells, *points], cell_id, others)
    if cell in points:
        return _point_source(path, doc, cell, channels, types)
    return _cell_source(path, doc, cell, channels, types, use_annotations)


__all__ = [
    "DEFAULT_AREA_UM2",
    "Density",
    "NeuroMLSource",
    "read_source",
    "segment_area",
    "validation_problem",
]
