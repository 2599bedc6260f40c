"""A cell model as HTML, for Jupyter: what :meth:`CellModel._repr_html_` shows.

One block, readable top to bottom: the model's name and title, its voltage
convention and temperature, its citation (the DOI as a link), a table of its channels
(conductance, reversal potential, gates with their exponents and kinetic form, q10), a
table of every parameter with its value in the model's customary units and its
meaning, the notes on where it departs from its source, and its equations as display
math (:func:`hh_brian.exchange.latex.equations_math`, typeset by the notebook's
MathJax or KaTeX).  Pure text: nothing is drawn and nothing is imported from a
drawing library.
"""

from __future__ import annotations

import html
import re

from hh_brian.exchange.latex import equations_math
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES
from hh_brian.models.validation import display_value

#: How each kinetic form is named in the channel table.
FORM_LABELS = {RATES: "α/β", INF_TAU: "x∞/τ", INSTANTANEOUS: "instantaneous"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_STYLE = "text-align:left; vertical-align:top; padding:2px 8px"


def pretty_quantity(text: str) -> str:
    """Brian2 text of a value as it is read: ``'1.2*mS/mm**2'`` -> ``'1.2 mS/mm²'``.

    >>> pretty_quantity("1*uF/cm**2")
    '1 µF/cm²'
    >>> pretty_quantity("-0.5/ms")
    '-0.5 /ms'
    """
    magnitude, star, unit = text.partition("*")
    if not star and "/" in text and not text.startswith("/"):
        magnitude, _, rest = text.partition("/")
        unit = "/" + rest
    unit = re.sub(r"\*\*(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPTS), unit)
    unit = re.sub(r"(^|[/*])u(?=[A-Za-z])", r"\1µ", unit).replace("*", "·")
    return f"{magnitude} {unit}".strip()


def _cell(text: object, tag: str = "td") -> str:
    return f'<{tag} style="{_STYLE}">{html.escape(str(text))}</{tag}>'


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(_cell(h, "th") for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gates(channel) -> str:
    parts = []
    for gate in channel.gates:
        power = str(gate.exponent).translate(_SUPERSCRIPTS) if gate.exponent > 1 else ""
        parts.append(f"{gate.name}{power} ({FORM_LABELS.get(gate.form, gate.form)})")
    return ", ".join(parts) or "none (ohmic)"


def channel_rows(model) -> list[list[object]]:
    """Per channel: name, g, E, gates, q10 (with its reference temperature), description."""
    rows = []
    for ch in model.channels:
        q10 = f"{ch.q10:g} (from {ch.celsius_ref:g} °C)" if ch.q10 is not None else "-"
        rows.append(
            [
                ch.name,
                pretty_quantity(model.display(f"g_{ch.name}")),
                pretty_quantity(model.display(f"E_{ch.name}")),
                _gates(ch),
                q10,
                ch.description,
            ]
        )
    return rows


def parameter_rows(model) -> list[list[object]]:
    """Per flat parameter name: name, value in the model's customary units, meaning.

    A channel's description, already in the channel table, is not repeated in the
    meanings of its parameters.
    """
    repeated = tuple(f" ({ch.description})" for ch in model.channels if ch.description)
    rows = []
    for name, value in model.parameters.items():
        meaning = model.meaning(name)
        for text in repeated:
            meaning = meaning.removesuffix(text)
        rows.append([name, pretty_quantity(display_value(value, model.length_unit)), meaning])
    return rows


def _file(model) -> str:
    """Where the model was read from: a built-in model's name, or the file's path."""
    return f"built-in ({model.name}.toml)" if model.source == "builtin" else str(model.source)


def _citation(model) -> str:
    """The citation with its DOI (or URL) as a link."""
    citation = model.citation
    text = html.escape(str(citation))
    if citation.doi:
        shown = f"doi:{html.escape(citation.doi)}"
        target = f"https://doi.org/{html.escape(citation.doi)}"
    elif citation.url:
        shown = target = html.escape(citation.url)
    else:
        return text
    link = f'<a href="{target}">{shown}</a>'
    return text.replace(shown, link) if shown in text else f"{text} ({link})"


def model_html(model) -> str:
    """The whole display of *model*: heading, citation, channels, parameters, notes, equations."""
    convention = html.escape(model.convention.description)
    parts = [
        f"<div><h4>{html.escape(model.name)}: {html.escape(model.title)}</h4>",
        f"<p><b>Convention:</b> {convention}. <b>Temperature:</b> {model.celsius:g} °C."
        f" <b>File:</b> {html.escape(_file(model))}.</p>",
        f"<p><b>Citation:</b> {_citation(model)}</p>",
        "<p><b>Channels</b> (currents outward positive)</p>",
        _table(["channel", "g", "E", "gates", "q10", "description"], channel_rows(model)),
        "<p><b>Parameters</b></p>",
        _table(["name", "value", "meaning"], parameter_rows(model)),
    ]
    if model.notes:
        items = "".join(f"<li>{html.escape(note)}</li>" for note in model.notes)
        parts.append(f"<p><b>Notes</b></p><ul>{items}</ul>")
    parts += [
        "<p><b>Equations</b> (exprel(x) = (eˣ − 1)/x)</p>",
        html.escape(equations_math(model), quote=False),
        "</div>",
    ]
    return "\n".join(parts)


__all__ = ["FORM_LABELS", "channel_rows", "model_html", "parameter_rows", "pretty_quantity"]
