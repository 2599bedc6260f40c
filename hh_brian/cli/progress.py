"""Progress display and the one-line summary every command ends with.

Library functions report :class:`~hh_brian.core.progress.Step` objects to an optional
callable; here the command line renders them with `rich <https://rich.readthedocs.io>`_
on stderr: a spinner or a bar per task, its note ("compiling with Cython (once per
model ...)") and the elapsed time.  The display

* is off when stderr is not a terminal, or with ``--quiet``: commands then pass
  ``progress=None`` down and the libraries do no reporting work at all;
* appears only once a command has run for :data:`DELAY_S`, so quick commands never
  flicker, and disappears when the command ends (it is transient).

Every command then ends with one line on stderr in one shared style (not with
``--quiet``; not after an error, which is its own one line)::

    hh-brian simulate: wrote trace.npz (100 ms, 3 spikes) in 1.2 s
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds a command runs before the progress display appears.
DELAY_S = 1.0


def set_summary(args: argparse.Namespace, text: str) -> None:
    """What the command did, for its summary line (``"wrote trace.npz (3 spikes)"``)."""
    args.summary = text


def command_label(args: argparse.Namespace) -> str:
    """``simulate``, or ``network cobahh`` for a command with subcommands."""
    words = [args.command]
    words += [value for key, value in vars(args).items() if key.endswith("_command") and value]
    return " ".join(str(w) for w in words)


def summary_line(args: argparse.Namespace, elapsed_s: float) -> str:
    """``hh-brian <command>: <summary> in <elapsed> s``, one line."""
    text = " ".join(str(getattr(args, "summary", None) or "done").split())
    return f"hh-brian {command_label(args)}: {text} in {elapsed_s:.1f} s"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def wants_display(args: argparse.Namespace, stream=None) -> bool:
    """A progress display only on a terminal, and not with ``--quiet``."""
    if getattr(args, "quiet", False):
        return False
    return _isatty(sys.stderr if stream is None else stream)


class ProgressDisplay:
    """Renders progress steps with rich on stderr; call it with a Step."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            # Lines printed while the display shows go above it -- but stdout only when it
            # is a terminal too: piped results must stay on stdout.
            redirect_stdout=_isatty(sys.stdout),
            redirect_stderr=True,
        )
        self._tasks: dict[str, object] = {}
        self._lock = threading.Lock()
        self._stopped = False
        self._timer = threading.Timer(DELAY_S, self._show)
        self._timer.daemon = True

    def __call__(self, step) -> None:
        description = f"{step.task}: {step.note}" if step.note else step.task
        with self._lock:
            task = self._tasks.get(step.task)
            if task is None:
                task = self._progress.add_task(description, total=step.total)
                self._tasks[step.task] = task
            self._progress.update(
                task, description=description, total=step.total, completed=step.done
            )
            if step.finished:
                self._progress.remove_task(task)
                del self._tasks[step.task]

    def start(self) -> None:
        """Show the display after DELAY_S (unless stopped before)."""
        self._timer.start()

    def _show(self) -> None:
        with self._lock:
            if not self._stopped:
                self._progress.start()

    def stop(self) -> None:
        """Remove the display (it is transient) and never show it again."""
        self._timer.cancel()
        with self._lock:
            self._stopped = True
            if self._progress.live.is_started:
                self._progress.stop()


@contextmanager
def progress_for(args: argparse.Namespace) -> Iterator[ProgressDisplay | None]:
    """The progress callable for a command (None when quiet or not on a terminal)."""
    if not wants_display(args):
        yield None
        return
    display = ProgressDisplay()
    display.start()
    try:
        yield display
    finally:
        display.stop()


__all__ = [
    "DELAY_S",
    "ProgressDisplay",
    "command_label",
    "progress_for",
    "set_summary",
    "summary_line",
    "wants_display",
]
