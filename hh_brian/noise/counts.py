"""Channel counts: how many channels a patch holds, from its area, density and gamma.

The lecture writes a membrane conductance as *number of channels x open-channel
conductance x open fraction*.  For a channel with maximal conductance density
``g`` (or an absolute ``g``) in a membrane of area ``A`` and single-channel
conductance ``gamma``, the number of channels is

    N = g A / gamma        (rounded to the nearest integer)

Squid Na+ and K+ channels: gamma ~ 20 pS, i.e. 60 Na+ and 18 K+ channels per um**2 at
the Hodgkin-Huxley densities (Chow & White 1996, Biophys J 71:3013,
doi:10.1016/S0006-3495(96)79494-8).  The noisy conductance is
``g * (N_open / N)``, so the mean conductance equals the deterministic one exactly
whatever the rounding.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from brian2 import Quantity, coulomb, get_dimensions, siemens

from hh_brian.core.errors import HHBrianInputError
from hh_brian.models.cell import CellModel
from hh_brian.models.channels import INSTANTANEOUS

#: Elementary charge (coulomb), CODATA 2018 exact value.
ELEMENTARY_CHARGE = 1.602176634e-19 * coulomb


def single_channel_current(gamma: Quantity, v: Quantity, E: Quantity) -> Quantity:
    """Current through one open channel, ``gamma (v - E)`` (amp, outward positive).

    The lecture's worked example, an acetylcholine receptor channel (Dayan & Abbott
    2001, Fig. 5.7, from Hille 1992): 47 pS at a holding potential of -140 mV
    (reversal near 0 mV) passes 6.6 pA, i.e. more than 1e7 elementary charges per
    second:

    >>> from brian2 import mV, pA, psiemens, second
    >>> i = single_channel_current(47 * psiemens, -140 * mV, 0 * mV)
    >>> print(f"{float(-i / pA):.1f} pA")
    6.6 pA
    >>> rate = float(-i / ELEMENTARY_CHARGE * second)
    >>> print(f"{rate:.2e} charges/s", rate > 1e7)
    4.11e+07 charges/s True
    """
    return gamma * (v - E)


def gated_channels(model: CellModel) -> tuple:
    """The channels with gates (the ones channel noise applies to), in model order."""
    return tuple(ch for ch in model.channels if ch.gates)


def check_noise_model(model: CellModel) -> None:
    """Raise unless every gated channel of *model* can carry channel noise.

    Raises
    ------
    HHBrianInputError
        If the model has no membrane area, a gated channel has no ``gamma``, a gate is
        instantaneous (no kinetic scheme), or a channel count is below 1.
    """
    if not model.has_area:
        raise HHBrianInputError(
            f"model {model.name!r} has no membrane area, so its channels cannot be counted; "
            "give it one, e.g. area = '100*um**2' in [membrane] or the parameter setting "
            "area=100*um**2"
        )
    if not gated_channels(model):
        raise HHBrianInputError(f"model {model.name!r} has no gated channel to make noisy")
    for ch in gated_channels(model):
        instantaneous = [g.name for g in ch.gates if g.form == INSTANTANEOUS]
        if instantaneous:
            raise HHBrianInputError(
                f"channel {ch.name} of model {model.name!r}: gate {instantaneous[0]} is "
                "instantaneous, which has no kinetic scheme of channel states; channel noise "
                "needs every gate with alpha/beta or inf/tau kinetics"
            )
        if ch.gamma is None:
            raise HHBrianInputError(
                f"channel {ch.name} of model {model.name!r} has no single-channel conductance; "
                f"add gamma = '20*psiemens' to [channels.{ch.name}] (squid Na+ and K+: "
                "Chow & White 1996)"
            )
    channel_counts(model)


def channel_counts(model: CellModel) -> Mapping[str, int]:
    """Number of channels of each gated channel, ``round(g * area / gamma)``.

    Parameters
    ----------
    model : CellModel
        With an area and a ``gamma`` on every gated channel.

    Returns
    -------
    dict
        Channel name -> number of channels (int >= 1).

    Raises
    ------
    HHBrianInputError
        If a count is below 1 (the area is too small for the density).

    Examples
    --------
    >>> from brian2 import umetre
    >>> from hh_brian.models.library import get_model
    >>> dict(channel_counts(get_model("dayan_abbott").with_area(1 * umetre**2)))
    {'Na': 60, 'K': 18}
    """
    out = {}
    for ch in gated_channels(model):
        if ch.gamma is None or model.area is None:
            raise HHBrianInputError(f"channel {ch.name}: no gamma or no area to count channels")
        absolute = get_dimensions(ch.g) is get_dimensions(siemens)
        total = ch.g if absolute else ch.g * model.area
        exact = float(total / ch.gamma)
        count = int(np.rint(exact))
        if count < 1:
            raise HHBrianInputError(
                f"channel {ch.name} of model {model.name!r}: g * area / gamma = {exact:.3g} "
                "channels, below 1; enlarge the area or lower gamma"
            )
        out[ch.name] = count
    return out


__all__ = [
    "ELEMENTARY_CHARGE",
    "channel_counts",
    "check_noise_model",
    "gated_channels",
    "single_channel_current",
]
