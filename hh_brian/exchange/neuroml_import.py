"""Single-compartment NeuroML2 cells as hh-brian models, read with libNeuroML.

:func:`load_neuroml` reads a ``.nml`` file (and the files it includes) with
libNeuroML and returns a validated :class:`~hh_brian.models.cell.CellModel`:

* a ``cell`` with exactly one segment (area: pi d^2 for a sphere, proximal =
  distal; else the frustum's lateral area, as jNeuroML computes it), its
  ``channelDensity`` elements (reversal potentials given), ``specificCapacitance``,
  ``spikeThresh`` and ``initMembPotential``; or a ``pointCellCondBased`` (read with
  PyLEMS, which NeuroML's tools use for LEMS components the schema does not hold:
  absolute capacitance C, ``channelPopulation``\\ s of ``number`` channels of the
  channel's ``conductance``; the model gets the area C / (1 uF/cm^2));
* channels ``ionChannelHH`` or ``ionChannel`` and their gates and rates
  (:mod:`hh_brian.exchange.neuroml_kinetics`); a channel without gates is a leak;
* the temperature from a ``networkWithTemperature`` in the file, else the
  ``hh-brian:celsius`` property, else the channels' q10 reference.

A file hh-brian wrote (:mod:`hh_brian.exchange.neuroml_export`) carries
``hh-brian:`` properties and gate notes; they restore what NeuroML has no
element for (the convention, constants, the exact texts of the rates).  A
recorded rate text is used only if it equals the NeuroML kinetics at 200
potentials from -100 to +50 mV to 1e-9 relative; else the NeuroML kinetics win
and the model's notes say so.  Anything unsupported is refused with an
:class:`~hh_brian.core.errors.HHBrianInputError` naming the element, its id and
what is supported.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from brian2 import mV

from hh_brian.core.conventions import CONVENTIONS, MODERN
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.exchange.neuroml_export import NOTE, TAG
from hh_brian.exchange.neuroml_kinetics import gate_specs
from hh_brian.exchange.neuroml_source import NeuroMLSource, read_source, validation_problem
from hh_brian.exchange.nml_units import parse_quantity
from hh_brian.exchange.rate_forms import CHECK_POINTS
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import Channel, Gate
from hh_brian.models.citation import Citation
from hh_brian.models.validation import check_model

#: Largest relative difference between a recorded rate text and the NeuroML kinetics.
ANNOTATION_RTOL = 1e-9


def _modern_text(text: str, convention) -> str:
    """*text* in the modern v rewritten in the potential of *convention*."""
    if convention.sign > 0 and float(convention.offset / mV) == 0:
        return text
    offset = float(convention.offset / mV)
    sign = "+" if convention.sign > 0 else "-"
    return re.sub(r"\bv\b", f"({offset!r}*mV {sign} v)", text)


def _evaluates_equal(a: str, b: str, constants: dict) -> bool:
    from brian2 import volt

    v = CHECK_POINTS * 1e-3 * volt
    try:
        x = np.asarray(evaluate(a, {**constants, "v": v}, what="rate"), dtype=float)
        y = np.asarray(evaluate(b, {**constants, "v": v}, what="rate"), dtype=float)
    except HHBrianInputError:
        return False
    ok = np.isfinite(x) & np.isfinite(y)
    return bool(ok.all() and np.all(np.abs(x - y) <= ANNOTATION_RTOL * np.abs(y)))


def _annotations(notes: str) -> dict[str, str]:
    out = {}
    for line in notes.splitlines():
        if line.startswith(NOTE) and ":" in line:
            key, _, text = line[len(NOTE) :].partition(":")
            out[key.strip()] = text.strip()
    return out


def _channel(src: NeuroMLSource, density, convention, constants, props, notes) -> Channel:
    ion_channel = src.channels.get(density.ion_channel)
    where = f"channelDensity {density.id!r}"
    if ion_channel is None:
        raise HHBrianInputError(
            f"{src.path}: {where}: no ionChannel {density.ion_channel!r} in the file or its "
            f"includes (channels: {', '.join(src.channels) or 'none'})"
        )
    if density.erev is None:
        raise HHBrianInputError(
            f'{src.path}: {where}: no reversal potential (erev); give one, e.g. erev="-77mV" '
            "(channelDensityNernst and GHK are not supported)"
        )
    name = density.id
    E = convention.from_modern(parse_quantity(density.erev, "voltage", what=f"{where} erev"))
    if f"E:{name}" in props:
        exact = evaluate(props[f"E:{name}"], what=f"property {TAG}E:{name}")
        E = exact if abs(float((exact - E) / mV)) < 1e-9 else E
    g = density.g_value
    if f"g:{name}" in props:
        exact = evaluate(props[f"g:{name}"], what=f"property {TAG}g:{name}")
        if abs(float(exact / src.area) / float(g) - 1) < 1e-9:
            g = exact
    gates, q10s = [], set()
    try:
        specs = gate_specs(ion_channel, src.component_types)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"{src.path}: {exc}") from None
    for spec in specs:
        recorded = _annotations(spec.notes) if src.use_annotations else {}
        expressions = {}
        for key, text in spec.expressions.items():
            own = _modern_text(text, convention)
            kept = recorded.get(key)
            if kept and spec.fixed_q10 == 1.0 and _evaluates_equal(kept, own, constants):
                expressions[key] = kept
            else:
                if kept:
                    notes.append(
                        f"gate {spec.name} {key}: the recorded hh-brian text differs from the "
                        "NeuroML kinetics; the NeuroML kinetics were used"
                    )
                expressions[key] = own
        gates.append(Gate(spec.name, spec.exponent, spec.form, expressions))
        if spec.form != "instantaneous":
            q10s.add(spec.q10)
    order = props.get(f"gates:{name}", "").split()
    if sorted(order) == sorted(g.name for g in gates):
        gates.sort(key=lambda g: order.index(g.name))
    if len(q10s) > 1:
        raise HHBrianInputError(
            f"{src.path}: ionChannel {ion_channel.id!r}: its gates have different q10 settings "
            f"({sorted(q10s, key=str)}); hh-brian has one q10 per channel"
        )
    q10 = q10s.pop() if q10s else None
    if q10 is None and f"q10:{name}" in props:
        factor, ref = props[f"q10:{name}"].split()
        q10 = (float(factor), float(ref))
    ion = density.ion if density.ion not in (None, "non_specific") else None
    return Channel(
        name=name,
        g=g,
        E=E,
        gates=tuple(gates),
        q10=None if q10 is None else q10[0],
        celsius_ref=None if q10 is None else q10[1],
        description=(ion_channel.notes or "").strip(),
        ion=ion,
    )


def load_neuroml(
    path: str | Path, *, cell_id: str | None = None, use_annotations: bool = True
) -> CellModel:
    """Read a single-compartment NeuroML2 cell as a validated hh-brian model.

    Parameters
    ----------
    path : str or Path
        A NeuroML2 file (``.nml``); the files it includes are read too.
    cell_id : str, optional
        The cell to read when the file has several.
    use_annotations : bool
        Use the ``hh-brian:`` properties and gate notes of a file hh-brian wrote
        (False reads the NeuroML elements only).

    Returns
    -------
    CellModel
        ``source`` is the path; the citation names the file and cell unless the
        file records its own.

    Raises
    ------
    HHBrianInputError
        Malformed XML, a file that is not NeuroML, no or several cells, a
        multi-compartment cell, an unknown rate or gate type, a gate without its
        rates, a channel without a reversal potential, a value in the wrong unit,
        or a model hh-brian refuses; the message names the element and its id.
    """
    try:
        return _load(path, cell_id, use_annotations)
    except (TypeError, AttributeError):
        # A value libNeuroML left as None (an attribute or element the file lacks, which
        # libNeuroML does not check on reading): its validation names what is missing.
        problem = validation_problem(path)
        if problem is None:
            raise
        raise HHBrianInputError(f"{path}: not valid NeuroML2 ({problem})") from None


def _load(path: str | Path, cell_id: str | None, use_annotations: bool) -> CellModel:
    src = read_source(path, cell_id=cell_id, use_annotations=use_annotations)
    props = src.properties if use_annotations else {}
    convention = CONVENTIONS.get(props.get("convention", "modern"), MODERN)
    constants = {}
    for tag, text in props.items():
        if tag.startswith("constant:"):
            constants[tag.split(":", 1)[1]] = evaluate(text, constants, what=f"property {tag}")
    notes: list[str] = [props[t] for t in sorted(props, key=_note_order) if t.startswith("note:")]
    channels = [
        _channel(src, density, convention, constants, props, notes) for density in src.densities
    ]
    if not channels:
        raise HHBrianInputError(f"{src.path}: cell {src.cell_id!r} has no channels")
    celsius = src.celsius
    if celsius is None and "celsius" in props:
        celsius = float(props["celsius"])
    if celsius is None:
        refs = {ch.celsius_ref for ch in channels if ch.celsius_ref is not None}
        celsius = refs.pop() if len(refs) == 1 else 6.3
    area = None
    if src.has_area:
        area = src.area
        if "area" in props and props["area"] != "none":
            exact = evaluate(props["area"], what=f"property {TAG}area")
            area = exact if abs(float(exact / area) - 1) < 1e-9 else area
    elif props.get("area") != "none":
        area = src.area
    if props.get("area") == "none":
        area = None
    v_spike = convention.from_modern(src.threshold)
    if "V_spike" in props:
        v_spike = evaluate(props["V_spike"], what=f"property {TAG}V_spike")
    v_rest = convention.from_modern(src.v_init)
    if "v_rest_guess" in props:
        v_rest = evaluate(props["v_rest_guess"], what=f"property {TAG}v_rest_guess")
    citation = Citation.from_text(
        props.get("citation")
        or f"Imported from NeuroML2 file {Path(path).name}, cell {src.cell_id}"
    )
    notes += src.notes
    model = CellModel(
        name=props.get("name", src.cell_id),
        title=props.get("title", src.title or f"NeuroML2 cell {src.cell_id}"),
        convention=convention,
        C_m=src.C_m,
        channels=tuple(channels),
        citation=citation,
        constants=constants,
        celsius=float(celsius),
        V_spike=v_spike,
        v_rest_guess=v_rest,
        area=area,
        notes=tuple(notes),
        length_unit=props.get("length_unit", "cm"),
        numpy_twin=None
        if any("recorded hh-brian text" in n for n in notes)
        else props.get("numpy_twin"),
        source=str(path),
        meanings={t.split(":", 1)[1]: v for t, v in props.items() if t.startswith("meaning:")},
    )
    try:
        return check_model(model)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"{src.path}: {exc}") from None


def _note_order(tag: str) -> tuple[int, str]:
    tail = tag.rsplit(":", 1)[-1]
    return (int(tail), tag) if tail.isdigit() else (math.inf, tag)


__all__ = ["ANNOTATION_RTOL", "load_neuroml"]
