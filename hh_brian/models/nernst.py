"""Reversal potentials from concentrations: the Nernst equation at the membrane's temperature.

A model file may give a channel's reversal potential directly (``E = "-90*mV"``) or as
the ion's concentrations, from which it is computed at the model's ``celsius``::

    [channels.K]
    E = { ion = "k", c_in = "140*mM", c_out = "5*mM" }

    E = R T / (z F) * ln(c_out / c_in),   T = celsius + 273.15 K

with the ion's valence z (:data:`VALENCES`).  R and F are the exact SI values
(``scipy.constants``: R = N_A k, F = N_A e).  The potential follows the model's
temperature: ``--set celsius=36`` recomputes it, while ``--set E_K=...`` replaces the
Nernst value by a fixed one.

The potential is a modern membrane potential (inside minus outside); in a model written
in the 1952 convention it is mapped into that convention like every other potential.

>>> from brian2 import mM, mV
>>> spec = NernstReversal("k", 140 * mM, 5 * mM)
>>> round(float(spec.potential_modern(6.3) / mV), 3)
-80.243
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import scipy.constants as _constants
from brian2 import Quantity, mmolar, mV, volt

from hh_brian.core.errors import HHBrianInputError, closest_names

#: Valence of each ion a model file may name.
VALENCES: Mapping[str, int] = {"na": 1, "k": 1, "ca": 2, "cl": -1}
#: Keys of a Nernst table.
NERNST_KEYS = ("ion", "c_in", "c_out")
#: Molar gas constant R (J/(mol K)) and Faraday constant F (C/mol), exact in the 2019 SI.
GAS_CONSTANT = _constants.R
FARADAY = _constants.physical_constants["Faraday constant"][0]
#: 0 degC in kelvin.
ZERO_CELSIUS = _constants.zero_Celsius

_EXAMPLE = '{ ion = "k", c_in = "140*mM", c_out = "5*mM" }'


def nernst_potential(valence: int, c_in: Quantity, c_out: Quantity, celsius: float) -> Quantity:
    """E = R T / (z F) ln(c_out / c_in) at *celsius* degrees Celsius (volt).

    >>> from brian2 import mM, mV
    >>> round(float(nernst_potential(1, 140 * mM, 5 * mM, 36.0) / mV), 3)
    -88.772
    """
    kelvin = float(celsius) + ZERO_CELSIUS
    ratio = float(c_out / c_in)
    return GAS_CONSTANT * kelvin / (valence * FARADAY) * math.log(ratio) * volt


@dataclass(frozen=True)
class NernstReversal:
    """A channel's reversal potential given by its ion's concentrations.

    Attributes
    ----------
    ion : str
        One of :data:`VALENCES` (``na``, ``k``, ``ca``, ``cl``).
    c_in, c_out : Quantity
        Intracellular and extracellular concentrations (mole/metre**3), positive.
    """

    ion: str
    c_in: Quantity
    c_out: Quantity

    @property
    def valence(self) -> int:
        return VALENCES[self.ion]

    def potential_modern(self, celsius: float) -> Quantity:
        """The Nernst potential at *celsius* as a modern membrane potential (volt)."""
        return nernst_potential(self.valence, self.c_in, self.c_out, celsius)


def read_nernst(table: Mapping, key: str, fail: Callable[[str, str], Exception]) -> NernstReversal:
    """Read and check a Nernst table ``{ ion, c_in, c_out }`` of a model file.

    *fail(key, message)* builds the error (it names the file); every message names the
    key, what was expected and an example.
    """
    from hh_brian.core.expressions import check_dimensions, evaluate

    for name in table:
        if name not in NERNST_KEYS:
            raise fail(
                f"{key}.{name}",
                f"unknown key.{closest_names(name, NERNST_KEYS)} A Nernst reversal takes "
                f"{', '.join(NERNST_KEYS)}, e.g. E = {_EXAMPLE}",
            )
    missing = [name for name in NERNST_KEYS if name not in table]
    if missing:
        raise fail(f"{key}.{missing[0]}", f"missing; e.g. E = {_EXAMPLE}")
    ion = table["ion"]
    if not isinstance(ion, str) or ion.lower() not in VALENCES:
        raise fail(
            f"{key}.ion",
            f"{ion!r} is not a known ion.{closest_names(str(ion), VALENCES)} Use one of "
            f"{', '.join(f'{n} (z = {z:+d})' for n, z in VALENCES.items())}",
        )
    values = []
    for name in ("c_in", "c_out"):
        text = table[name]
        what = f"{key}.{name}"
        if isinstance(text, bool) or not isinstance(text, str):
            raise fail(what, f"expected a concentration with units such as '140*mM', got {text!r}")
        try:
            value = evaluate(text, what=what, example="'140*mM'")
            check_dimensions(value, mmolar, what=what, example="'140*mM'")
        except HHBrianInputError as exc:
            raise fail(what, str(exc).removeprefix(f"{what}: ")) from None
        magnitude = float(value / mmolar) if getattr(value, "shape", ()) == () else math.nan
        if not (math.isfinite(magnitude) and magnitude > 0):
            raise fail(what, f"must be one positive, finite concentration, got {text!r}")
        values.append(Quantity(value))
    return NernstReversal(ion.lower(), values[0], values[1])


def read_reversal(
    value: object,
    key: str,
    quantity: Callable[..., Quantity],
    fail: Callable[[str, str], Exception],
) -> tuple[Quantity, NernstReversal | None]:
    """A model file's ``E``: a potential (read by *quantity*) or a Nernst table.

    Returns the potential and the Nernst specification (``None`` for a direct value).
    For a Nernst table the potential returned is at 6.3 degC and modern; the cell model
    recomputes it at its own temperature and convention (:func:`with_nernst_potentials`).
    """
    if isinstance(value, Mapping) and "value" not in value:
        spec = read_nernst(value, key, fail)
        return spec.potential_modern(6.3), spec
    return quantity(value, key, mV, "'-77*mV'"), None


def with_nernst_potentials(channels: tuple, celsius: float, convention) -> tuple:
    """*channels* with every Nernst reversal potential computed at *celsius*, mapped into
    the model's voltage *convention*; other channels unchanged."""
    return tuple(
        replace(ch, E=convention.from_modern(ch.nernst.potential_modern(celsius)))
        if getattr(ch, "nernst", None) is not None
        else ch
        for ch in channels
    )


def nernst_table_text(spec: NernstReversal, display: Callable[[object], str]) -> str:
    """The TOML inline table of *spec*, each concentration written by *display*."""
    return (
        f'{{ ion = "{spec.ion}", c_in = "{display(spec.c_in)}", c_out = "{display(spec.c_out)}" }}'
    )


__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "NERNST_KEYS",
    "NernstReversal",
    "VALENCES",
    "nernst_potential",
    "nernst_table_text",
    "read_nernst",
    "read_reversal",
    "with_nernst_potentials",
]
