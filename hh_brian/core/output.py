"""Write result files atomically: a file is either complete or absent.

Each writer renders into a temporary file in the destination's folder and
renames it into place, so an error never leaves a half-written file and never
destroys an existing one.  The path checks import nothing heavy (no NumPy), so the
command line can refuse a bad output path before loading Brian2.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from hh_brian.core.errors import HHBrianInputError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: Whether an existing output file may be replaced (the command line's overwrite switch).
OVERWRITE: ContextVar[bool] = ContextVar("OVERWRITE", default=False)


class OutputExists(HHBrianInputError):
    """An output file exists and overwriting was not allowed (:data:`OVERWRITE`)."""


@contextmanager
def overwriting(allowed: bool) -> Iterator[None]:
    """Within the block, :func:`check_output_path` allows (or refuses) existing files."""
    token = OVERWRITE.set(bool(allowed))
    try:
        yield
    finally:
        OVERWRITE.reset(token)


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """Validate an output path before any work is done.

    The suffix must be one of *suffixes*, the folder must exist and be writable,
    and the path must not be a folder.  An existing file is refused
    (:class:`OutputExists`) unless :data:`OVERWRITE` allows it: one overwrite
    policy for every command.
    """
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise HHBrianInputError(
            f"{what}: {str(target)!r} should end in {' or '.join(suffixes)}, e.g. out{suffixes[0]}"
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise HHBrianInputError(
            f"{what}: folder {str(folder)!r} does not exist; create it first (mkdir -p {folder})"
        )
    if target.is_dir():
        raise HHBrianInputError(f"{what}: {str(target)!r} is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise HHBrianInputError(f"{what}: {str(target)!r} exists and is not a regular file")
    if target.exists() and not OVERWRITE.get():
        raise OutputExists(f"{what}: {str(target)!r} exists; choose another path")
    probe_writable(folder, what)
    return target


def probe_writable(folder: Path, what: str) -> None:
    """Create and remove a temporary file in *folder* (os.access lies for root)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".hh-brian-probe-", dir=folder)
    except OSError as exc:
        raise HHBrianInputError(
            f"{what}: cannot write in folder {str(folder)!r} ({exc.strerror}); choose a "
            "writable folder"
        ) from None
    os.close(handle)
    os.unlink(probe)


@contextmanager
def atomic_paths(*paths: str | os.PathLike):
    """Temporary paths for several outputs; all are renamed into place only if the block
    succeeds, so a failure leaves none of them (and destroys no existing file)."""
    targets = [Path(p) for p in paths]
    temporaries = []
    try:
        for target in targets:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent or "."
            )
            os.close(handle)
            temporaries.append(Path(temporary))
        yield temporaries
        for temporary, target in zip(temporaries, targets, strict=True):
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, target)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to *path*; on success rename it onto *path*."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent or "."
    )
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temporary_path)`` and move the result onto *path*."""
    with atomic_path(path) as temporary:
        writer(temporary)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write *text* to *path* atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_npz(path: str | os.PathLike, arrays: Mapping[str, object]) -> None:
    """Write a NumPy ``.npz`` archive to *path* as given (e.g. a temporary of
    :func:`atomic_paths`); ``np.savez`` would append ``.npz`` to a path without it."""
    import numpy as np

    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def write_npz_atomic(path: str | os.PathLike, arrays: Mapping[str, object]) -> Path:
    """Write a NumPy ``.npz`` archive atomically."""
    return write_atomic(path, lambda temporary: write_npz(temporary, arrays))


def versions() -> dict[str, str]:
    """Versions of the software that produced a result."""
    import brian2
    import numpy as np
    import scipy

    import hh_brian

    return {
        "hh_brian": hh_brian.__version__,
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def meta_json(meta: Mapping[str, object]) -> str:
    """Serialise metadata to a JSON string (stored as a 0-d array in NPZ files)."""
    return json.dumps(meta, indent=1, sort_keys=False, default=str)
