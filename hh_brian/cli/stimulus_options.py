"""Repeated ``--current`` options: constant expressions or ``KIND:NAME=EXPR,...``.

Shared by the commands that inject a current.  Each text is one stimulus and the
stimuli add (:mod:`hh_brian.models.stimuli` lists the kinds and their parameters):

>>> [s.describe() for s in parse_current_options(["2*uA/cm**2", "step:amplitude=5*uA/cm**2"])]
['constant 2 uA/cm^2', 'step 5 uA/cm^2 from 0 ms']
"""

from __future__ import annotations

from collections.abc import Sequence

from hh_brian.core.errors import HHBrianInputError

FLAG = "--current"
EXAMPLES = "'10*uA/cm**2' or 'step:amplitude=10*uA/cm**2,onset=5*ms,offset=6*ms'"


def is_stimulus_text(text: str) -> bool:
    """True for ``KIND:...`` text (a stimulus kind), False for a constant expression."""
    kind, sep, _ = text.partition(":")
    return bool(sep) and kind.strip().isidentifier()


def parse_current_options(texts: Sequence[str]) -> list:
    """One :class:`~hh_brian.models.stimulus_base.Stimulus` per ``--current`` text.

    Parameters
    ----------
    texts : sequence of str
        Each a constant expression (``'10*uA/cm**2'``, becomes
        :class:`~hh_brian.models.stimulus_kinds.Constant`) or ``KIND:NAME=EXPR,...``
        (:func:`~hh_brian.models.stimuli.parse_stimulus`).

    Returns
    -------
    list of Stimulus
        In the order given; they add.

    Raises
    ------
    HHBrianInputError
        Naming ``--current`` and the text, for an empty list, malformed text, an
        unknown kind, or a value without the units of a current.
    """
    from hh_brian.models.stimuli import Constant, parse_stimulus

    if not texts:
        raise HHBrianInputError(f"{FLAG}: give at least one current, e.g. {EXAMPLES}")
    stimuli = []
    for text in texts:
        try:
            if is_stimulus_text(text):
                stimuli.append(parse_stimulus(text))
            else:
                stimuli.append(Constant(text))
        except HHBrianInputError as exc:
            raise HHBrianInputError(f"{FLAG} {text!r}: {exc}") from None
    return stimuli


__all__ = ["FLAG", "is_stimulus_text", "parse_current_options"]
