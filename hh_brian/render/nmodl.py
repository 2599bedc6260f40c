"""Print any hh-brian cell model as one NMODL density mechanism, and compile it once.

:func:`nmodl_mechanism` turns a :class:`~hh_brian.models.cell.CellModel` (any
channels; gates in the ``rates``, ``inf_tau`` or ``instantaneous`` form) into
the text of one density mechanism;
:func:`hh_brian.render.nmodl_build.compile_mechanisms` builds the mechanisms of
several models with a single ``nrnivmodl`` run.

The mechanism
-------------
* ``SUFFIX hhb_<first 12 hex digits of the SHA-256 of the text>``: two models
  with the same dynamics, name and parameters share it; any difference gives a
  new mechanism (and a new cache entry).
* **Currents**: one ``NONSPECIFIC_CURRENT I_<ch>`` per channel,
  ``I_<ch> = g_<ch> * prod(x^p) * (v - E_<ch>)`` in mA/cm², outward positive;
  each channel's current can be recorded on its own (``seg._ref_I_Na_<suffix>``).
  No ``USEION``: hh-brian models have fixed reversal potentials and no
  concentrations, so the mechanism neither reads ``ena`` nor writes ``ina``.
* **PARAMETERs** (RANGE): ``g_<ch>`` in S/cm² (an absolute conductance, in a
  model with an area, divided by that area) and ``E_<ch>`` in mV, always in the
  modern convention.  GLOBAL ``q10_<ch>`` and ``celsius_ref_<ch>`` for each
  channel with a q10.
* **Temperature**: ``phi_<ch> = q10_<ch>^((celsius - celsius_ref_<ch>)/10)`` is
  computed from NEURON's ``celsius`` (a RANGE ASSIGNED, recomputed at INITIAL
  and every step as ``hh.mod`` does), so ``h.celsius`` must be set to the model's
  ``celsius``.  Channels without a q10 have phi = 1 and no phi variable.
* **Gates**: a STATE per non-instantaneous gate, ``SOLVE states METHOD cnexp``
  (each equation ``x' = phi*(alpha*(1 - x) - beta*x)`` or
  ``x' = phi*(x_inf - x)/tau`` is linear in ``x``, which is what cnexp's
  exponential update needs).  INITIAL puts every gate at its steady state at the
  initial v.  Instantaneous gates are RANGE ASSIGNED, set from v by the
  PROCEDURE ``instantaneous`` at INITIAL and at the top of BREAKPOINT (so
  NEURON's numerical di/dv includes them).
* **Rate FUNCTIONs** keep hh-brian's names (``alpha_m``, ``beta_m``, ``p_inf``,
  ``tau_p``), printed once from the parsed expression by
  :meth:`~hh_brian.core.symbolic.ParsedExpression.nmodl` with the model's
  constants as plain numbers: argument v in mV, alpha/beta in 1/ms, tau in ms,
  inf dimensionless.  ``hhb_exprel`` (:func:`~hh_brian.core.symbolic.nmodl_exprel_function`)
  is the guard for 0/0 (NEURON's ``vtrap``).
* **hh1952 convention**: NEURON's v is always the modern potential.  The
  FUNCTIONs are the model's own expressions in its own v, so they are called
  with ``(-65 - v)``; E is mapped to modern, and since
  ``v_HH - E_HH = -(v - E)``, the modern ``g*(v - E)`` is the outward current.

``UNITSOFF`` surrounds the FUNCTIONs and blocks that use them.  Their bodies
are plain numbers (units and constants substituted), which modlunit would read
as dimensionless; their units were checked where they are made: by Brian2 when
the model was built (:func:`~hh_brian.models.cell.check_gate_expression`) and
again by ``ParsedExpression.nmodl``, which evaluates each expression with units
and refuses a result not in the declared unit.

Compiling (one ``nrnivmodl`` run for any number of mechanisms, cached by the
texts' hashes) is in :mod:`hh_brian.render.nmodl_build`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

from brian2 import cm, get_dimensions, ms, mV, siemens, ufarad, um

from hh_brian.core.symbolic import nmodl_exprel_function, parse_expression
from hh_brian.models.channels import INF_TAU, INSTANTANEOUS, RATES

#: Membrane area (µm²) the NEURON backend gives a model without one.
DEFAULT_AREA_UM2 = 100.0
#: The exprel FUNCTION's name in every mechanism.
EXPREL_NAME = "hhb_exprel"
#: Placeholder hashed in place of the suffix.
_SUFFIX_PLACEHOLDER = "SUFFIX_PLACEHOLDER"
#: Functions NMODL (and the C++ it becomes) provides, besides the exprel guard.
NMODL_FUNCTIONS = frozenset(
    {"exp", "log", "log10", "sqrt", "fabs", "sin", "cos", "tan", "sinh", "cosh", "tanh"}
)
#: Names a state variable may not take in a mechanism: NMODL keywords and NEURON
#: built-ins (a gate so named is renamed ``<name>_gate``).  C++ keywords are there
#: because the names reach the generated C++.
NMODL_RESERVED = frozenset(
    {
        "v", "t", "dt", "celsius", "diam", "area", "secondorder", "PI", "FARADAY", "R",
        "DEG", "e", "i", "L", "Ra", "cm", "nseg", "STATE", "PARAMETER", "ASSIGNED",
        "LOCAL", "FUNCTION", "PROCEDURE", "INITIAL", "BREAKPOINT", "DERIVATIVE", "SOLVE",
        "METHOD", "UNITS", "NEURON", "TABLE", "DEPEND", "FROM", "TO", "WITH", "if", "else",
        "while", "for", "int", "double", "float", "char", "long", "short", "auto", "const",
        "class", "new", "delete", "return", "struct", "union", "this", "default", "case",
        "switch", "break", "continue", "do", "goto", "register", "static", "extern",
        "volatile", "signed", "unsigned", "void", "enum", "typedef", "sizeof", "inline",
        "template", "typename", "namespace", "using", "operator", "private", "public",
        "protected", "virtual", "friend", "try", "catch", "throw", "bool", "true", "false",
        "and", "or", "not", "xor", "nullptr", *NMODL_FUNCTIONS, EXPREL_NAME,
    }
)  # fmt: skip

_RESULT_UNITS = {"alpha": 1 / ms, "beta": 1 / ms, "tau": ms, "inf": 1}
_NMODL_UNITS = {"alpha": "(/ms)", "beta": "(/ms)", "tau": "(ms)", "inf": "(1)"}


def _number(x: float) -> str:
    return repr(float(x))


def area_um2(model) -> float:
    """The membrane area NEURON uses for *model* (µm²): its own, or 100 µm²."""
    return DEFAULT_AREA_UM2 if model.area is None else float(model.area / um**2)


def conductance_S_cm2(model, channel) -> float:
    """A channel's maximal conductance as a density in S/cm² (absolute g / area)."""
    if get_dimensions(channel.g) is get_dimensions(siemens):
        return float(channel.g / siemens) / (area_um2(model) * 1e-8)
    return float(channel.g / (siemens / cm**2))


def reversal_modern_mV(model, channel) -> float:
    """A channel's reversal potential in mV, modern convention."""
    return float(model.convention.to_modern(channel.E) / mV)


def capacitance_uF_cm2(model) -> float:
    return float(model.C_m / (ufarad / cm**2))


def gate_potential_text(model) -> str:
    """NMODL text of the model's own potential in terms of NEURON's (modern) ``v``."""
    conv = model.convention
    offset = float(conv.offset / mV)
    if conv.sign > 0:
        return "v" if offset == 0 else f"(v - ({_number(offset)}))"
    return f"({_number(offset)} - v)"


def _state_names(model) -> dict[str, str]:
    """Gate name -> NMODL variable name (the gate's own unless reserved)."""
    return {g.name: (f"{g.name}_gate" if g.name in NMODL_RESERVED else g.name) for g in model.gates}


def _rate_functions(model) -> tuple[list[str], dict[tuple[str, str], str]]:
    """FUNCTION blocks of every gate expression and their names by (gate, key)."""
    from hh_brian.engines.simulators import SimulatorCannotExpress

    constants = model.parameters
    allowed = {*constants, "v"}
    blocks, names = [], {}
    for gate in model.gates:
        for key, fname in gate.rendered_names().items():
            parsed = parse_expression(
                gate.expressions[key], allowed_names=allowed, what=f"gate {gate.name}.{key}"
            )
            body = parsed.nmodl(constants, result_unit=_RESULT_UNITS[key], exprel_name=EXPREL_NAME)
            unknown = (
                set(re.findall(r"([A-Za-z_]\w*)\s*\(", body)) - NMODL_FUNCTIONS - {EXPREL_NAME}
            )
            if unknown:
                raise SimulatorCannotExpress(
                    f"model {model.name!r}: gate {gate.name}.{key} uses "
                    f"{', '.join(sorted(unknown))}, which NMODL has no function for"
                )
            blocks.append(
                f"FUNCTION {fname}(v (mV)) {_NMODL_UNITS[key]} {{\n    {fname} = {body}\n}}"
            )
            names[gate.name, key] = fname
    return blocks, names


def _product(factors: Iterable[tuple[str, int]]) -> str:
    parts = []
    for name, power in factors:
        parts.append("*".join([name] * power) if power <= 4 else f"{name}^{power}")
    return "*".join(parts)


def nmodl_mechanism(model) -> tuple[str, str]:
    """(suffix, NMODL text) of one density mechanism for any hh-brian cell model.

    See the module docstring for the mechanism's structure.  The suffix is
    ``hhb_`` and the first 12 hex digits of the SHA-256 of the text (with the
    suffix left out of the hash).

    Raises
    ------
    SimulatorCannotExpress
        If a gate expression uses a function NMODL lacks, or two printed names
        collide.
    """
    from hh_brian.engines.simulators import SimulatorCannotExpress

    states = _state_names(model)
    functions, fnames = _rate_functions(model)
    vg = gate_potential_text(model)
    temperature = [ch for ch in model.channels if ch.q10 is not None and ch.gates]

    used: dict[str, str] = {}

    def claim(name: str, owner: str) -> str:
        if name in used or name in NMODL_RESERVED:
            raise SimulatorCannotExpress(
                f"model {model.name!r}: NMODL name {name!r} of {owner} is also "
                f"{used.get(name, 'reserved')}; rename one"
            )
        used[name] = owner
        return name

    for gate in model.gates:
        claim(states[gate.name], f"gate {gate.name}")
    for (gate, _key), fname in fnames.items():
        claim(fname, f"gate {gate}'s expression")
    for ch in model.channels:
        for prefix in ("g_", "E_", "I_"):
            claim(prefix + ch.name, f"channel {ch.name}")
    for ch in temperature:
        for prefix in ("phi_", "q10_", "celsius_ref_"):
            claim(prefix + ch.name, f"channel {ch.name}")
    for name in ("states", "instantaneous", "temperature"):
        claim(name, "the mechanism")

    instantaneous = [g for g in model.gates if g.form == INSTANTANEOUS]
    dynamic = [g for g in model.gates if g.form != INSTANTANEOUS]
    phi_of = {
        g.name: (f"phi_{ch.name}*" if ch in temperature else "")
        for ch in model.channels
        for g in ch.gates
    }

    parameter_lines, range_names, global_names = [], [], []
    for ch in model.channels:
        parameter_lines.append(f"    g_{ch.name} = {_number(conductance_S_cm2(model, ch))} (S/cm2)")
        parameter_lines.append(f"    E_{ch.name} = {_number(reversal_modern_mV(model, ch))} (mV)")
        range_names += [f"g_{ch.name}", f"E_{ch.name}"]
    for ch in temperature:
        parameter_lines.append(f"    q10_{ch.name} = {_number(ch.q10)} (1)")
        parameter_lines.append(f"    celsius_ref_{ch.name} = {_number(ch.celsius_ref)} (degC)")
        global_names += [f"q10_{ch.name}", f"celsius_ref_{ch.name}"]
        range_names.append(f"phi_{ch.name}")
    range_names += [states[g.name] for g in instantaneous]

    assigned = ["    v (mV)", "    celsius (degC)"]
    assigned += [f"    I_{ch.name} (mA/cm2)" for ch in model.channels]
    assigned += [f"    phi_{ch.name} (1)" for ch in temperature]
    assigned += [f"    {states[g.name]} (1)" for g in instantaneous]

    currents = []
    for ch in model.channels:
        product = _product((states[g.name], g.exponent) for g in ch.gates)
        factor = f"{product}*" if product else ""
        currents.append(f"    I_{ch.name} = g_{ch.name}*{factor}(v - E_{ch.name})")

    def initial_value(gate) -> str:
        if gate.form == RATES:
            a, b = fnames[gate.name, "alpha"], fnames[gate.name, "beta"]
            return f"{a}({vg})/({a}({vg}) + {b}({vg}))"
        return f"{fnames[gate.name, 'inf']}({vg})"

    def derivative(gate) -> str:
        x, phi = states[gate.name], phi_of[gate.name]
        if gate.form == RATES:
            a, b = fnames[gate.name, "alpha"], fnames[gate.name, "beta"]
            return f"    {x}' = {phi}({a}({vg})*(1 - {x}) - {b}({vg})*{x})"
        assert gate.form == INF_TAU, gate.form
        inf, tau = fnames[gate.name, "inf"], fnames[gate.name, "tau"]
        return f"    {x}' = {phi}({inf}({vg}) - {x})/{tau}({vg})"

    neuron_block = [f"    SUFFIX {_SUFFIX_PLACEHOLDER}"]
    neuron_block.append(
        f"    NONSPECIFIC_CURRENT {', '.join(f'I_{ch.name}' for ch in model.channels)}"
    )
    neuron_block.append(f"    RANGE {', '.join(range_names)}")
    if global_names:
        neuron_block.append(f"    GLOBAL {', '.join(global_names)}")
    neuron_block.append("    THREADSAFE")

    breakpoint_lines = []
    if dynamic:
        breakpoint_lines.append("    SOLVE states METHOD cnexp")
    if instantaneous:
        breakpoint_lines.append("    instantaneous(v)")
    breakpoint_lines += currents

    initial_lines = ["    temperature()"] if temperature else []
    if instantaneous:
        initial_lines.append("    instantaneous(v)")
    initial_lines += [f"    {states[g.name]} = {initial_value(g)}" for g in dynamic]

    blocks = []
    if dynamic:
        blocks.append(f"STATE {{ {' '.join(states[g.name] for g in dynamic)} }}")
    blocks.append("UNITSOFF")
    blocks.append("BREAKPOINT {\n" + "\n".join(breakpoint_lines) + "\n}")
    blocks.append("INITIAL {\n" + "".join(f"{line}\n" for line in initial_lines) + "}")
    if dynamic:
        body = (["    temperature()"] if temperature else []) + [derivative(g) for g in dynamic]
        blocks.append("DERIVATIVE states {\n" + "\n".join(body) + "\n}")
    if temperature:
        lines = [
            f"    phi_{ch.name} = q10_{ch.name}^((celsius - celsius_ref_{ch.name})/10)"
            for ch in temperature
        ]
        blocks.append("PROCEDURE temperature() {\n" + "\n".join(lines) + "\n}")
    if instantaneous:
        lines = [f"    {states[g.name]} = {initial_value(g)}" for g in instantaneous]
        blocks.append("PROCEDURE instantaneous(v (mV)) {\n" + "\n".join(lines) + "\n}")
    blocks += functions
    blocks.append(nmodl_exprel_function(EXPREL_NAME).rstrip())
    blocks.append("UNITSON")

    renamed = {g: s for g, s in states.items() if g != s}
    header = _header(model, vg, renamed)
    text = "\n\n".join(
        [
            header,
            "UNITS {\n    (mA) = (milliamp)\n    (mV) = (millivolt)\n    (S) = (siemens)\n}",
            "NEURON {\n" + "\n".join(neuron_block) + "\n}",
            "PARAMETER {\n" + "\n".join(parameter_lines) + "\n}",
            "ASSIGNED {\n" + "\n".join(assigned) + "\n}",
            *blocks,
        ]
    )
    text += "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    suffix = f"hhb_{digest}"
    return suffix, text.replace(_SUFFIX_PLACEHOLDER, suffix)


def _power(name: str, exponent: int) -> str:
    return name if exponent == 1 else f"{name}^{exponent}"


def _header(model, vg: str, renamed: Mapping[str, str]) -> str:
    channels = ", ".join(
        f"{ch.name}({' '.join(_power(g.name, g.exponent) for g in ch.gates) or 'leak'})"
        for ch in model.channels
    )
    lines = [
        f"TITLE hh-brian generated mechanism for model {model.name}",
        "",
        "COMMENT",
        f"Generated by hh_brian.render.nmodl.nmodl_mechanism from model {model.name!r}:",
        f"channels {channels}.",
        f"Model convention {model.convention.name}; NEURON's v is the modern potential and the",
        f"gate FUNCTIONs (the model's own expressions) are called with v_model = {vg}.",
        "Currents: one NONSPECIFIC_CURRENT per channel, outward positive (mA/cm2); g in S/cm2,",
        "E in mV (modern).  phi_<ch> = q10_<ch>^((celsius - celsius_ref_<ch>)/10) uses NEURON's",
        f"celsius: set h.celsius = {model.celsius!r} (the model's temperature).",
        f"Membrane (set on the section, not here): C_m = {capacitance_uF_cm2(model):.12g} "
        f"uF/cm2, area = {area_um2(model):.12g} um2.",
        "UNITSOFF: rate bodies are plain numbers (v in mV, alpha/beta 1/ms, tau ms, inf 1),",
        "unit-checked by Brian2 when the model was built and when they were printed.",
    ]
    if renamed:
        lines.append(
            "Gates renamed (reserved in NMODL): "
            + ", ".join(f"{k} -> {v}" for k, v in sorted(renamed.items()))
        )
    lines.append("ENDCOMMENT")
    return "\n".join(lines)


__all__ = [
    "DEFAULT_AREA_UM2",
    "NMODL_RESERVED",
    "area_um2",
    "capacitance_uF_cm2",
    "conductance_S_cm2",
    "nmodl_mechanism",
    "reversal_modern_mV",
]
