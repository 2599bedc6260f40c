"""Model files: a cell as TOML text with units, meanings and a citation.

The schema (a contract; extensions are welcome, these keys must work)::

    [model]
    name = "rs_cell"                     # also title, notes = ["..."]
    convention = "modern"                # or "hh1952"
    citation = "Pospischil M et al. (2008) ... doi:10.1007/s00422-008-0263-8"
    [membrane]
    C_m = "1*uF/cm**2"
    area = "11843*um**2"                 # optional; then currents may be absolute
    celsius = 36                         # degC; defaults to the channels' celsius_ref
    V_spike = "-20*mV"                   # optional spike-detection threshold
    v_rest_guess = "-70*mV"              # optional
    [parameters]                         # optional named constants
    V_T = "-56.2*mV"                     # or { value = "-56.2*mV", meaning = "..." }
    [channels.na]
    g = "56*mS/cm**2"
    E = "50*mV"
    gates = { m = 3, h = 1 }             # gate name = exponent
    q10 = 3                              # optional, with celsius_ref
    celsius_ref = 36
    [channels.na.m]
    alpha = "..."                        # alpha/beta, or inf/tau, or
    beta = "..."                         # { inf = "...", instantaneous = true }

A channel without ``gates`` is a leak.  ``E`` may instead be the ion's concentrations,
``{ ion = "k", c_in = "140*mM", c_out = "5*mM" }``: the Nernst potential at ``celsius``
(:mod:`hh_brian.models.nernst`).  Extensions hh-brian reads: ``[model] length_unit``
(``"cm"`` or ``"mm"``, for display), ``[model] numpy_twin`` (the hand-written NumPy rates
of a built-in squid model), a structured ``citation`` table (``authors, year, title,
source, doi, url``), a ``description`` and a single-channel conductance ``gamma =
"20*pS"`` per channel (channel noise: :mod:`hh_brian.noise.counts`).  Written by
:func:`~hh_brian.models.modelfile_writer.model_to_toml` (re-exported here).

Every error names the file, the key, what was expected and an example.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from brian2 import Quantity, farad, mV, siemens, umetre

from hh_brian.core.conventions import CONVENTIONS
from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import evaluate
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import FORM_KEYS, INF_TAU, INSTANTANEOUS, RATES, Channel, Gate
from hh_brian.models.citation import Citation
from hh_brian.models.modelfile_writer import model_to_toml
from hh_brian.models.nernst import read_reversal
from hh_brian.models.validation import check_model, expression_example, validate_parameter

#: Largest model file read (bytes): a model is text of a few kB.
MAX_FILE_BYTES = 1_000_000

_MODEL_KEYS = ("name", "title", "convention", "citation", "notes", "length_unit", "numpy_twin")
_MEMBRANE_KEYS = ("C_m", "area", "celsius", "V_spike", "v_rest_guess")
_CHANNEL_KEYS = ("g", "E", "gates", "q10", "celsius_ref", "description", "ion", "gamma")
_GATE_KEYS = ("alpha", "beta", "inf", "tau", "instantaneous")
_TOP_KEYS = ("model", "membrane", "parameters", "channels")
_CITATION_KEYS = ("authors", "year", "title", "source", "doi", "url", "text")


class _Reader:
    """Reads one parsed TOML document; every error is prefixed with the file name."""

    def __init__(self, data: Mapping, origin: str) -> None:
        self.data = data
        self.origin = origin

    def fail(self, key: str, message: str) -> HHBrianInputError:
        return HHBrianInputError(f"{self.origin}: {key}: {message}")

    def table(self, value: object, key: str, allowed: tuple[str, ...]) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table [{key}], got {value!r}")
        for name in value:
            if name not in allowed and not (key.startswith("channels.") and key.count(".") == 1):
                raise self.fail(
                    f"{key}.{name}",
                    f"unknown key.{closest_names(name, allowed)} Allowed: {', '.join(allowed)}",
                )
        return value

    def quantity(self, text: object, key: str, reference: object, example: str) -> Quantity:
        if isinstance(text, Mapping):
            text = text.get("value")
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise self.fail(key, f"expected a string with units such as {example}, got {text!r}")
        try:
            value = evaluate(str(text), what=key, example=example)
            name = key.rsplit(".", 1)[-1]
            return validate_parameter(name, value, reference)
        except HHBrianInputError as exc:
            raise self.fail(key, _strip_what(str(exc), key)) from None

    def number(self, value: object, key: str, example: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, e.g. {example}, got {value!r}")
        return float(value)


def _strip_what(message: str, key: str) -> str:
    """Drop a leading 'parameter NAME: ' or 'KEY: ' that the caller already prints."""
    for prefix in (f"{key}: ", f"parameter {key.rsplit('.', 1)[-1]}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def load_model_file(path: str | Path) -> CellModel:
    """Read and validate a model file.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` model file.

    Returns
    -------
    CellModel

    Raises
    ------
    HHBrianInputError
        If the file is missing, unreadable, too large, not TOML, or any key is
        missing, unknown, of the wrong unit or out of range.  The message names
        the file and the key.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise HHBrianInputError(f"{path}: cannot read the model file ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise HHBrianInputError(
            f"{path}: {size} bytes is too large for a model file (limit {MAX_FILE_BYTES})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HHBrianInputError(
            f"{path}: cannot read the model file as UTF-8 text ({exc})"
        ) from None
    return model_from_toml(text, origin=str(path), default_name=path.stem)


def model_from_toml(
    text: str, *, origin: str = "<model>", default_name: str = "model"
) -> CellModel:
    """Parse model-file text into a validated :class:`CellModel` (see the module docstring)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HHBrianInputError(f"{origin}: not valid TOML ({exc})") from None
    r = _Reader(data, origin)
    for key in data:
        if key not in _TOP_KEYS:
            raise r.fail(
                key,
                f"unknown table.{closest_names(key, _TOP_KEYS)} Allowed: {', '.join(_TOP_KEYS)}",
            )
    meta = r.table(data.get("model", {}), "model", _MODEL_KEYS)
    convention_name = meta.get("convention", "modern")
    if not isinstance(convention_name, str) or convention_name not in CONVENTIONS:
        raise r.fail("model.convention", f"{convention_name!r}; use one of {sorted(CONVENTIONS)}")
    convention = CONVENTIONS[convention_name]
    name = meta.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise r.fail("model.name", f"expected a non-empty string, got {name!r}")

    membrane = r.table(data.get("membrane", {}), "membrane", _MEMBRANE_KEYS)
    if "C_m" not in membrane:
        raise r.fail("membrane.C_m", "missing; give the specific capacitance, e.g. '1*uF/cm**2'")
    c_m = r.quantity(membrane["C_m"], "membrane.C_m", farad / umetre**2, "'1*uF/cm**2'")
    area = None
    if "area" in membrane:
        area = r.quantity(membrane["area"], "membrane.area", umetre**2, "'20000*um**2'")

    constants: dict[str, Quantity] = {}
    meanings: dict[str, str] = {}
    raw_params = data.get("parameters", {})
    if not isinstance(raw_params, Mapping):
        raise r.fail("parameters", f"expected a table [parameters], got {raw_params!r}")
    for pname, raw in raw_params.items():
        key = f"parameters.{pname}"
        text_value = raw.get("value") if isinstance(raw, Mapping) else raw
        if isinstance(raw, Mapping):
            r.table(raw, key, ("value", "meaning"))
            meanings[pname] = str(raw.get("meaning", ""))
        if isinstance(text_value, bool) or not isinstance(text_value, str | int | float):
            raise r.fail(key, f"expected a value with units such as '-63*mV', got {raw!r}")
        try:
            value = evaluate(str(text_value), constants, what=key, example="'-63*mV'")
        except HHBrianInputError as exc:
            raise r.fail(key, _strip_what(str(exc), key)) from None
        constants[pname] = validate_parameter(pname, value, value)

    channels_table = data.get("channels", {})
    if not isinstance(channels_table, Mapping) or not channels_table:
        raise r.fail("channels", "no channels; give at least one, e.g. [channels.leak] with g, E")
    channels = [
        _read_channel(r, ch_name, ch_data, area is not None)
        for ch_name, ch_data in channels_table.items()
    ]

    refs = {ch.celsius_ref for ch in channels if ch.celsius_ref is not None}
    if "celsius" in membrane:
        celsius = r.number(membrane["celsius"], "membrane.celsius", "36")
        validate_parameter("celsius", celsius, 1.0)
    elif len(refs) > 1:
        raise r.fail(
            "membrane.celsius",
            f"missing; the channels' celsius_ref differ ({sorted(refs)}), so give the "
            "temperature, e.g. celsius = 36",
        )
    else:
        celsius = refs.pop() if refs else 6.3

    v_spike = convention.from_modern(-20 * mV)
    if "V_spike" in membrane:
        v_spike = r.quantity(membrane["V_spike"], "membrane.V_spike", mV, "'-20*mV'")
    v_rest = convention.from_modern(-65 * mV)
    if "v_rest_guess" in membrane:
        v_rest = r.quantity(membrane["v_rest_guess"], "membrane.v_rest_guess", mV, "'-65*mV'")

    citation_raw = meta.get("citation", "")
    if isinstance(citation_raw, Mapping):
        r.table(citation_raw, "model.citation", _CITATION_KEYS)
        citation = Citation(**{k: citation_raw[k] for k in citation_raw})
    elif isinstance(citation_raw, str):
        citation = Citation.from_text(citation_raw)
    else:
        raise r.fail("model.citation", f"expected a string or a table, got {citation_raw!r}")
    notes = meta.get("notes", ())
    if isinstance(notes, str):
        notes = (notes,)
    if not isinstance(notes, list | tuple) or not all(isinstance(n, str) for n in notes):
        raise r.fail("model.notes", f"expected a list of strings, got {notes!r}")
    length_unit = meta.get("length_unit", "cm")
    if length_unit not in ("cm", "mm"):
        raise r.fail("model.length_unit", f'{length_unit!r}; use "cm" or "mm"')
    numpy_twin = meta.get("numpy_twin")
    if numpy_twin is not None and not isinstance(numpy_twin, str):
        raise r.fail("model.numpy_twin", f"expected a string, got {numpy_twin!r}")
    model = CellModel(
        name=name.strip(),
        title=str(meta.get("title", name)),
        convention=convention,
        C_m=c_m,
        channels=tuple(channels),
        citation=citation,
        constants=constants,
        celsius=celsius,
        V_spike=v_spike,
        v_rest_guess=v_rest,
        area=area,
        notes=tuple(str(n) for n in notes),
        length_unit=length_unit,
        numpy_twin=numpy_twin,
        source=origin,
        meanings=meanings,
    )
    try:
        return check_model(model)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"{origin}: {exc}") from None


def _read_channel(r: _Reader, name: str, data: object, has_area: bool) -> Channel:
    key = f"channels.{name}"
    if not isinstance(data, Mapping):
        raise r.fail(key, f"expected a table [channels.{name}] with g and E, got {data!r}")
    gate_spec = data.get("gates", {})
    if not isinstance(gate_spec, Mapping):
        raise r.fail(f"{key}.gates", "expected a table of gate = exponent, e.g. { m = 3, h = 1 }")
    for sub in data:
        if sub not in _CHANNEL_KEYS and sub not in gate_spec:
            hint = (
                f" (a kinetics table for gate {sub!r}, which is not listed in gates)"
                if isinstance(data[sub], Mapping)
                else ""
            )
            raise r.fail(
                f"{key}.{sub}",
                f"unknown key{hint}.{closest_names(sub, _CHANNEL_KEYS)} Allowed: "
                f"{', '.join(_CHANNEL_KEYS)} and one table per gate",
            )
    for required, example in (("g", "'36*mS/cm**2'"), ("E", "'-77*mV'")):
        if required not in data:
            raise r.fail(f"{key}.{required}", f"missing; e.g. {required} = {example}")
    g_text = data["g"]
    if isinstance(g_text, Mapping):
        g_text = g_text.get("value")
    try:
        g_value = (
            evaluate(g_text, what=f"{key}.g", example="'36*mS/cm**2'")
            if isinstance(g_text, str)
            else g_text
        )
    except HHBrianInputError as exc:
        raise r.fail(f"{key}.g", _strip_what(str(exc), f"{key}.g")) from None
    absolute = has_area and getattr(g_value, "dim", None) == siemens.dim
    g = r.quantity(
        g_text, f"{key}.g", siemens if absolute else siemens / umetre**2, "'36*mS/cm**2'"
    )
    E, nernst = read_reversal(data["E"], f"{key}.E", r.quantity, r.fail)
    gamma = data.get("gamma")  # single-channel conductance (hh_brian.noise.counts)
    gamma = None if gamma is None else r.quantity(gamma, f"{key}.gamma", siemens, "'20*psiemens'")
    q10 = data.get("q10")
    celsius_ref = data.get("celsius_ref")
    if q10 is not None:
        q10 = r.number(q10, f"{key}.q10", "3")
        if q10 <= 0:
            raise r.fail(f"{key}.q10", f"must be positive, got {q10:g}; e.g. q10 = 3")
    if celsius_ref is not None:
        celsius_ref = r.number(celsius_ref, f"{key}.celsius_ref", "6.3")
    if (q10 is None) != (celsius_ref is None):
        raise r.fail(
            key, "give both q10 and celsius_ref, or neither; e.g. q10 = 3, celsius_ref = 6.3"
        )
    gates = []
    for gate_name, exponent in gate_spec.items():
        gkey = f"{key}.{gate_name}"
        if isinstance(exponent, bool) or not isinstance(exponent, int) or exponent < 1:
            raise r.fail(
                f"{key}.gates.{gate_name}",
                f"exponent {exponent!r} must be a positive integer, e.g. gates = {{ m = 3 }}",
            )
        kinetics = data.get(gate_name)
        if not isinstance(kinetics, Mapping):
            what = "missing kinetics table" if kinetics is None else f"{kinetics!r} is not a table"
            raise r.fail(
                gkey,
                f"{what}; give alpha and beta, inf and tau, or inf with instantaneous = true",
            )
        gates.append(_read_gate(r, gkey, gate_name, exponent, kinetics))
    return Channel(
        name=name,
        g=g,
        E=E,
        gates=tuple(gates),
        q10=q10,
        celsius_ref=celsius_ref,
        description=str(data.get("description", "")),
        ion=data.get("ion"),
        nernst=nernst,
        gamma=gamma,
    )


def _read_gate(r: _Reader, key: str, name: str, exponent: int, data: Mapping) -> Gate:
    r.table(data, key, _GATE_KEYS)
    given = {k for k in ("alpha", "beta", "inf", "tau") if k in data}
    instantaneous = data.get("instantaneous", False)
    if not isinstance(instantaneous, bool):
        raise r.fail(f"{key}.instantaneous", f"expected true or false, got {instantaneous!r}")
    if instantaneous:
        form = INSTANTANEOUS
        if given != {"inf"}:
            extra = sorted(given - {"inf"})
            raise r.fail(
                key,
                f"an instantaneous gate takes only inf, not {', '.join(extra) or 'nothing'}; "
                'e.g. { inf = "1/(1 + exp(-(v + 30*mV)/(9.5*mV)))", instantaneous = true }'
                if extra
                else 'an instantaneous gate needs inf, e.g. { inf = "1/(1 + exp(-(v + 30*mV)/'
                '(9.5*mV)))", instantaneous = true }',
            )
    elif given == {"alpha", "beta"}:
        form = RATES
    elif given == {"inf", "tau"}:
        form = INF_TAU
    elif given >= {"alpha", "beta"} or given >= {"inf", "tau"} or len(given) > 2:
        raise r.fail(
            key,
            f"gives {', '.join(sorted(given))}; give alpha and beta OR inf and tau, not both",
        )
    else:
        raise r.fail(
            key,
            f"gives {', '.join(sorted(given)) or 'nothing'}; give alpha and beta, or inf and "
            "tau, or inf with instantaneous = true",
        )
    expressions = {}
    for k in FORM_KEYS[form]:
        text = data[k]
        if not isinstance(text, str) or not text.strip():
            raise r.fail(
                f"{key}.{k}", f"expected a Brian2 expression in v, e.g. {expression_example(k)}"
            )
        expressions[k] = text.strip()
    return Gate(name=name, exponent=exponent, form=form, expressions=expressions)


__all__ = ["MAX_FILE_BYTES", "load_model_file", "model_from_toml", "model_to_toml"]
