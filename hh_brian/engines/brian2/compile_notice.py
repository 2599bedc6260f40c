"""Say when Brian2 compiles: the one slow step of a model's first run.

Brian2's runtime device turns each code object into a Cython module and keeps the
compiled module in its cache folder (``~/.cython/brian_extensions``), keyed on the
generated code: a model's first run compiles (about 10-25 s), later runs load the
cached modules.  :func:`announcing_compilation` reports a note to a progress callable
(:mod:`hh_brian.core.progress`) at the moment Brian2 is about to compile a module
that is not in its cache, so the user learns why the first run is slow, and that it
is slow once.

Brian2 has no public hook for this; the block wraps the private method of its Cython
extension manager that loads or builds a module, and restores it on the way out.  If a
Brian2 release renames it, the note is simply not given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from hh_brian.core.progress import Progress, report, run_reporter

#: The note shown while Brian2 compiles.
COMPILING = "compiling with Cython (once per model: later runs reuse Brian2's cache)"
#: The note shown while Brian2 generates code (before it knows whether it must compile).
GENERATING = "generating code"
#: Wall-clock seconds between progress reports of a run.
REPORT_PERIOD_S = 0.2


@contextmanager
def announcing_compilation(
    progress: Progress, task: str, total: float | None = None
) -> Iterator[None]:
    """Within the block, a Cython module that Brian2 must build is reported to *progress*
    as ``Step(task, note=COMPILING)``; without *progress* nothing changes."""
    if progress is None:
        yield
        return
    try:
        from brian2.codegen.runtime.cython_rt.extension_manager import (
            cython_extension_manager as manager,
        )
    except ImportError:  # pragma: no cover - Cython missing: Brian2 falls back to numpy
        yield
        return
    original = getattr(manager, "_load_module", None)
    if original is None:  # pragma: no cover - another Brian2 layout
        yield
        return
    own = "_load_module" in vars(manager)

    def load_module(module_path, *args, **kwargs):
        if not os.path.isfile(module_path):
            report(progress, task, 0, total, note=COMPILING)
        return original(module_path, *args, **kwargs)

    manager._load_module = load_module
    try:
        yield
    finally:
        if own:
            manager._load_module = original
        else:
            del manager._load_module


def run_reporting(network, duration, progress: Progress, task: str, **run_options) -> None:
    """``network.run(duration, **run_options)``, reporting code generation, compilation
    and the simulated time to *progress* (runtime device; nothing extra without it)."""
    if progress is None:
        network.run(duration, **run_options)
        return
    from brian2 import ms, second

    total_ms = float(duration / ms)
    report(progress, task, 0, total_ms, note=GENERATING)
    with announcing_compilation(progress, task, total_ms):
        network.run(
            duration,
            report=run_reporter(progress, task, total_ms),
            report_period=REPORT_PERIOD_S * second,
            **run_options,
        )


__all__ = ["COMPILING", "GENERATING", "announcing_compilation", "run_reporting"]
