"""Voltage conventions: the 1952 sign convention and the modern one.

Hodgkin & Huxley (1952) measured ``V`` as the displacement of the membrane
potential from rest, with *depolarisation negative*.  The modern convention
uses the absolute membrane potential, depolarisation positive.  The two are
related by (rest at -65 mV as in Dayan & Abbott 2001, section 5.6, and NEURON's hh.mod)::

    V_modern = V_ref - V_HH,   V_ref = -65 mV

Every stimulus in hh-brian is given in the physical sense (positive =
depolarising); a convention knows how that current enters its own voltage
equation.
"""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity, mV


@dataclass(frozen=True)
class VoltageConvention:
    """How a preset's ``v`` relates to the modern membrane potential.

    Attributes
    ----------
    name : str
        ``"modern"`` or ``"hh1952"``.
    description : str
        One line for listings and file headers.
    sign : int
        ``+1`` if depolarisation increases ``v``, ``-1`` if it decreases it.
        A depolarising injected current enters ``dv/dt`` multiplied by
        ``sign``.
    offset : Quantity
        ``V_modern = offset + sign * v`` (volt).
    """

    name: str
    description: str
    sign: int
    offset: Quantity

    def to_modern(self, v: Quantity) -> Quantity:
        """Map a potential in this convention to the modern one (volt)."""
        return self.offset + self.sign * v

    def from_modern(self, v_modern: Quantity) -> Quantity:
        """Map a modern membrane potential into this convention (volt)."""
        return self.sign * (v_modern - self.offset)

    @property
    def depolarised_comparison(self) -> str:
        """The comparison operator meaning "more depolarised than"."""
        return ">" if self.sign > 0 else "<"


MODERN = VoltageConvention(
    name="modern",
    description="v is the membrane potential; depolarisation positive",
    sign=+1,
    offset=0 * mV,
)

HH1952 = VoltageConvention(
    name="hh1952",
    description=(
        "v is the displacement from rest, depolarisation NEGATIVE "
        "(Hodgkin & Huxley 1952); V_modern = -65 mV - v"
    ),
    sign=-1,
    offset=-65 * mV,
)

CONVENTIONS = {c.name: c for c in (MODERN, HH1952)}
