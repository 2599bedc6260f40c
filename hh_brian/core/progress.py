"""Progress of long work, reported to an optional callable: library code never prints.

A long-running library function takes ``progress=None`` and, when given a callable,
calls it with a :class:`Step` now and then: which task, how far (``done`` of
``total``, in the task's own unit) and a short note.  The command line renders the
steps (:mod:`hh_brian.cli.progress`); everyone else passes nothing and pays nothing.

>>> seen = []
>>> for item in counting(seen.append, "runs", ["a", "b"]):
...     pass
>>> [(s.task, s.done, s.total, s.finished) for s in seen]
[('runs', 0, 2, False), ('runs', 1, 2, False), ('runs', 2, 2, True)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One report of a task's progress.

    Attributes
    ----------
    task : str
        A short label, the same for every report of one task ("simulate 100 ms").
    done, total : float
        How far the task is, in its own unit (runs, simulated ms); ``total`` is None
        while unknown (a spinner).
    note : str
        What is happening now ("compiling: once per model, then cached").
    finished : bool
        The last report of the task.
    """

    task: str
    done: float = 0
    total: float | None = None
    note: str = ""
    finished: bool = False


#: What library functions accept: a callable taking a Step, or None.
Progress = Callable[[Step], None] | None


def report(progress: Progress, task: str, done: float = 0, total: float | None = None, **kw):
    """Send one :class:`Step` to *progress*, if there is one."""
    if progress is not None:
        progress(Step(task, done, total, **kw))


def counting(progress: Progress, task: str, items: Iterable[T]) -> Iterator[T]:
    """Yield *items*, reporting ``k of n`` before each and ``n of n`` (finished) at the end."""
    items = items if isinstance(items, Sequence) else list(items)
    total = len(items)
    for k, item in enumerate(items):
        report(progress, task, k, total)
        yield item
    report(progress, task, total, total, finished=True)


def run_reporter(progress: Progress, task: str, duration_ms: float):
    """A Brian2 ``Network.run(report=...)`` callable that reports simulated ms, or None.

    Brian2 calls it with ``(elapsed, completed, start, duration)`` at the start, every
    ``report_period`` and at the end (``completed`` from 0 to 1).
    """
    if progress is None:
        return None

    def reporter(elapsed, completed, start, duration) -> None:
        done = float(completed) * duration_ms
        report(progress, task, done, duration_ms, finished=float(completed) >= 1)

    return reporter


__all__ = ["Progress", "Step", "counting", "report", "run_reporter"]
