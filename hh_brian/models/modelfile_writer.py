"""Writing model files: a :class:`~hh_brian.models.cell.CellModel` as TOML text.

:func:`model_to_toml` writes the schema that :mod:`hh_brian.models.modelfile`
reads, with every quantity at full precision, so that reading the text back
gives an equal model.
"""

from __future__ import annotations

import numpy as np

from hh_brian.models.cell import CellModel
from hh_brian.models.channels import INSTANTANEOUS
from hh_brian.models.nernst import nernst_table_text
from hh_brian.models.validation import display_value

_SI_BASE = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")


def exact_text(value: object, length_unit: str = "cm") -> str:
    """*value* as Brian2 text that evaluates to the very same float.

    The customary units (``0.82/ms``) where they read back exactly, else the SI
    value times SI base units (``819.9999999999999*second**-1``).

    >>> from brian2 import mV
    >>> exact_text(-65 * mV)
    '-65*mV'
    """
    from brian2 import get_dimensions

    from hh_brian.core.expressions import evaluate

    text = display_value(value, length_unit, digits=17)
    magnitude = float(np.asarray(value, dtype=float))
    if float(np.asarray(evaluate(text, what="value"), dtype=float)) == magnitude:
        return text
    dims = get_dimensions(value)
    names = ("metre", "kilogram", "second", "ampere", "kelvin", "mole", "candle")
    powers = [(unit, dims.get_dimension(name)) for unit, name in zip(_SI_BASE, names, strict=True)]
    units = "*".join(f"{n}**{p:g}" if p != 1 else n for n, p in powers if p != 0)
    return f"{magnitude!r}*{units}" if units else repr(magnitude)


def _q(value: object, length_unit: str) -> str:
    return '"' + exact_text(value, length_unit).replace('"', "") + '"'


def _s(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def model_to_toml(model: CellModel) -> str:
    """The model as model-file text that :func:`.model_from_toml` reads back equal."""
    lu = model.length_unit
    out = ["[model]", f"name = {_s(model.name)}", f"title = {_s(model.title)}"]
    out.append(f"convention = {_s(model.convention.name)}")
    c = model.citation
    if c.text is not None:
        out.append(f"citation = {_s(c.text)}")
    else:
        fields = [
            f"authors = {_s(c.authors)}",
            f"year = {c.year}",
            f"title = {_s(c.title)}",
            f"source = {_s(c.source)}",
        ]
        fields += [f"{k} = {_s(getattr(c, k))}" for k in ("doi", "url") if getattr(c, k)]
        out.append("citation = { " + ", ".join(fields) + " }")
    if model.notes:
        out.append("notes = [")
        out += [f"    {_s(n)}," for n in model.notes]
        out.append("]")
    out.append(f"length_unit = {_s(lu)}")
    if model.numpy_twin:
        out.append(f"numpy_twin = {_s(model.numpy_twin)}")
    out += ["", "[membrane]", f"C_m = {_q(model.C_m, lu)}"]
    if model.area is not None:
        out.append(f"area = {_q(model.area, lu)}")
    out.append(f"celsius = {model.celsius!r}")
    out.append(f"V_spike = {_q(model.V_spike, lu)}")
    out.append(f"v_rest_guess = {_q(model.v_rest_guess, lu)}")
    if model.constants:
        out += ["", "[parameters]"]
        for name, value in model.constants.items():
            meaning = model.meanings.get(name)
            if meaning:
                out.append(f"{name} = {{ value = {_q(value, lu)}, meaning = {_s(meaning)} }}")
            else:
                out.append(f"{name} = {_q(value, lu)}")
    for ch in model.channels:
        out += ["", f"[channels.{ch.name}]"]
        if ch.description:
            out.append(f"description = {_s(ch.description)}")
        if ch.nernst is not None:
            reversal = nernst_table_text(ch.nernst, lambda q: display_value(q, lu, digits=17))
        else:
            reversal = _q(ch.E, lu)
        out += [f"g = {_q(ch.g, lu)}", f"E = {reversal}"]
        if ch.gates:
            out.append(
                "gates = { " + ", ".join(f"{g.name} = {g.exponent}" for g in ch.gates) + " }"
            )
        if ch.q10 is not None:
            out += [f"q10 = {ch.q10!r}", f"celsius_ref = {ch.celsius_ref!r}"]
        if ch.gamma is not None:
            out.append(f"gamma = {_q(ch.gamma, lu)}")
        for gate in ch.gates:
            out.append(f"[channels.{ch.name}.{gate.name}]")
            out += [f"{k} = {_s(v)}" for k, v in gate.expressions.items()]
            if gate.form == INSTANTANEOUS:
                out.append("instantaneous = true")
    return "\n".join(out) + "\n"


__all__ = ["exact_text", "model_to_toml"]
