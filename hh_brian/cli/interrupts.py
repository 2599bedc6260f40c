"""Interruptions and internal errors on the command line: exit codes, no partial output.

SIGINT and SIGTERM stop a command wherever it is; since every output is written
atomically after the work is done (:mod:`hh_brian.core.output`), an interrupted
command leaves no output file and no temporary behind, and any existing output
untouched.  Brian2 catches the first SIGINT during a run and stops the run
early instead of raising; the engines detect a run that ended before its
duration and raise :class:`KeyboardInterrupt` themselves
(:func:`hh_brian.engines.brian2.settings.check_completed`).
"""

from __future__ import annotations

import datetime
import signal
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Exit statuses (128 + signal number, as shells report them; 70 = EX_SOFTWARE).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_INTERNAL = 70


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`: Brian2 wraps any
    :class:`Exception` raised inside a compiled code object in a
    ``BrianObjectException``, which would turn a stop into an "internal error".
    """


def _raise_terminated(signum, frame) -> None:
    raise Terminated("the command was stopped")


@contextmanager
def terminated_as_exception() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` and SIGINT raises
    :class:`KeyboardInterrupt` at once (not Brian2's "stop the run at the next step"),
    so an interrupted command writes nothing."""
    try:
        previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
        previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread (e.g. a test runner): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def save_crash_report(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a file in the temporary folder."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    handle = tempfile.NamedTemporaryFile(
        "w", prefix=f"hh-brian-error-{stamp}-", suffix=".txt", delete=False, encoding="utf-8"
    )
    with handle:
        handle.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(handle.name)


__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "Terminated",
    "save_crash_report",
    "terminated_as_exception",
]
