"""Brian2's compiler-flag checks, remembered across processes.

Before its first Cython code object in a process, Brian2 compiles an empty program
once per flag in ``prefs.codegen.cpp.extra_compile_args_gcc`` to see whether the
compiler accepts it (``brian2.codegen.cpp_prefs.has_flag``): six runs of gcc, about
0.1-0.3 s, in every process, and remembered only in memory.  :func:`remembered_flags`
keeps the answers on disk (:mod:`hh_brian.core.diskcache`) and hands them to Brian2 in
the next process.

An answer is reused only for the same compiler command, the same compiler binary
(path, size and modification time), the same Brian2 version and the same compiler
environment variables, so it is never stale.  Brian2 keeps the answers in a private
dictionary; if a Brian2 release renames it, nothing is remembered and nothing breaks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from hh_brian.core.diskcache import JsonCache, key_text

#: Environment variables that change how a flag test compiles.
COMPILER_VARIABLES = ("CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS")

_STORE = JsonCache("brian2-compiler-flags")
_primed = False


def _answers() -> dict | None:
    """Brian2's in-memory ``{(compiler command, flag): accepted}``, or None."""
    try:
        from brian2.codegen import cpp_prefs
    except ImportError:  # pragma: no cover - Brian2 is a dependency
        return None
    answers = getattr(cpp_prefs, "_compiler_flag_compatibility", None)
    return answers if isinstance(answers, dict) else None


def _binary(command: str) -> list[object] | None:
    """``[path, size, mtime_ns]`` of the program a compiler command runs, or None."""
    words = command.split()
    path = shutil.which(words[0]) if words else None
    if path is None:
        return None
    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError:
        return None
    return [real, status.st_size, status.st_mtime_ns]


def _key() -> str:
    import brian2

    environment = {name: os.environ.get(name) for name in COMPILER_VARIABLES}
    return key_text(("layout 1", f"brian2 {brian2.__version__}", sorted(environment.items())))


def _prime(answers: dict) -> None:
    for record in _STORE.get(_key()) or ():
        try:
            command, flag, accepted, binary = record
        except (TypeError, ValueError):
            continue
        if isinstance(accepted, bool) and _binary(str(command)) == binary:
            answers.setdefault((command, flag), accepted)


def _save(answers: dict, known: set) -> None:
    if set(answers) <= known:
        return
    records = []
    for (command, flag), accepted in answers.items():
        binary = _binary(command)
        if binary is not None and isinstance(accepted, bool):
            records.append([command, flag, accepted, binary])
    _STORE.put(_key(), records)


@contextmanager
def remembered_flags() -> Iterator[None]:
    """Within the block, Brian2 starts from the flag answers of earlier processes; new
    answers are stored on the way out."""
    global _primed
    answers = _answers()
    if answers is None:
        yield
        return
    if not _primed:
        _primed = True
        _prime(answers)
    known = set(answers)
    try:
        yield
    finally:
        _save(answers, known)


__all__ = ["COMPILER_VARIABLES", "remembered_flags"]
