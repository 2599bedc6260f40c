"""Compile generated NMODL mechanisms with ``nrnivmodl``, several in one build, cached.

:func:`compile_mechanisms` writes the ``.mod`` files of several models
(:func:`hh_brian.render.nmodl.nmodl_mechanism`) into one folder and runs
``nrnivmodl`` once on it (it compiles a directory), giving one library.

Compiled libraries are cached in ``nmodl/<key>`` of hh-brian's cache folder
(:func:`hh_brian.core.diskcache.cache_folder`: ``~/.cache/hh-brian`` on Linux,
``HH_BRIAN_CACHE_DIR`` moves it; with ``HH_BRIAN_CACHE=0`` each process builds in a
temporary folder of its own): ``<key>`` is the suffix for one mechanism and
``hhb_set_<hash of the sorted suffixes>`` for several built together; a library is
kept only if ``nrnivmodl`` produced ``libnrnmech.so``, so a cache hit means the texts
compiled.  ``nrnivmodl`` ships with the ``neuron`` wheel (next to the venv's python);
it needs ``make`` and a C++ compiler (``g++``), not flex or bison (the wheel's
``nocmodl`` is prebuilt).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from hh_brian.core.diskcache import cache_folder
from hh_brian.render.nmodl import nmodl_mechanism


@cache
def _uncached_root() -> Path:
    """This process's build folder when caching is off (``HH_BRIAN_CACHE=0``)."""
    return Path(tempfile.mkdtemp(prefix="hh-brian-nmodl-"))


def cache_root() -> Path:
    """The folder holding the compiled mechanism libraries (see the module docstring)."""
    folder = cache_folder()
    return _uncached_root() if folder is None else folder / "nmodl"


def nrnivmodl_path() -> str:
    """The ``nrnivmodl`` of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "nrnivmodl"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nrnivmodl")
    if found is None:
        raise FileNotFoundError(
            "nrnivmodl not found next to the Python interpreter or on PATH; it ships with "
            "`pip install neuron==9.0.2` and needs make and g++"
        )
    return found


def library_key(suffixes: Iterable[str]) -> str:
    """Cache directory name of a library holding exactly these mechanisms."""
    unique = sorted(set(suffixes))
    if len(unique) == 1:
        return unique[0]
    return "hhb_set_" + hashlib.sha256("\n".join(unique).encode()).hexdigest()[:12]


def compile_texts(texts: Mapping[str, str]) -> Path:
    """Compile (or reuse) one library from {suffix: NMODL text}; return its directory.

    All ``.mod`` files go into one folder and ``nrnivmodl`` runs once on it.
    """
    if not texts:
        raise ValueError("compile_texts: no mechanisms given")
    target = cache_root() / library_key(texts)
    if any(target.glob("*/libnrnmech.so")):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    for suffix, text in texts.items():
        (work / f"{suffix}.mod").write_text(text)
    env = dict(
        os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    proc = subprocess.run(
        [nrnivmodl_path(), "."], cwd=work, capture_output=True, text=True, env=env, timeout=600
    )
    if proc.returncode != 0 or not any(work.glob("*/libnrnmech.so")):
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(
            f"nrnivmodl failed for {', '.join(sorted(texts))} (needs make and g++):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    try:
        work.rename(target)  # atomic; a concurrent build that won the race is kept
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return target


def compile_mechanisms(models: Iterable) -> tuple[list[str], Path]:
    """Compile the mechanisms of several models with one ``nrnivmodl`` run.

    Returns the suffixes (in the order of *models*) and the library's directory.
    """
    texts: dict[str, str] = {}
    suffixes = []
    for model in models:
        suffix, text = nmodl_mechanism(model)
        texts[suffix] = text
        suffixes.append(suffix)
    return suffixes, compile_texts(texts)


def compile_mechanism(model) -> tuple[str, Path]:
    """Compile (or reuse) the mechanism for *model*; returns (suffix, directory)."""
    suffixes, directory = compile_mechanisms([model])
    return suffixes[0], directory


__all__ = [
    "cache_root",
    "compile_mechanism",
    "compile_mechanisms",
    "compile_texts",
    "library_key",
    "nrnivmodl_path",
]
