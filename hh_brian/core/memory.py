"""Memory guards: estimate what a command will record and refuse past a limit.

Every command that records traces estimates their size before it runs and
refuses above a limit the user can raise (``memory_limit``, in bytes here, MiB
on the command line), naming the fixes.  The estimates count 8-byte floats;
they are upper bounds of what the monitors and result arrays hold, not of
Brian2's code objects.
"""

from __future__ import annotations

from hh_brian.core.errors import HHBrianInputError

#: Default limit for recorded data: 1 GiB.
DEFAULT_MEMORY_LIMIT = 1 << 30
#: Bytes per recorded float.
FLOAT_BYTES = 8


def mebibytes(n_bytes: float) -> str:
    """``'745.1 GiB'``-style text for messages."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes / 2**10:.1f} KiB"


def check_memory(need: int, limit: int, what: str, fixes: str) -> int:
    """Refuse *need* bytes above *limit* with one line naming *what* and the *fixes*.

    Returns *need*.

    Raises
    ------
    HHBrianInputError
        ``"<what> would record ~X (limit Y); <fixes>, or raise the limit (memory_limit)"``.
    """
    if need > limit:
        raise HHBrianInputError(
            f"{what} would record ~{mebibytes(need)} (limit {mebibytes(limit)}); {fixes}, "
            "or raise the limit (memory_limit)"
        )
    return need


__all__ = ["DEFAULT_MEMORY_LIMIT", "FLOAT_BYTES", "check_memory", "mebibytes"]
