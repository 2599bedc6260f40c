"""A small persistent cache of JSON values, shared by processes and never wrong.

Work that is a pure function of a model (its resting state, say) is done once and
kept on disk, so the next process reads it instead of redoing it.  Each entry is one
JSON file named by the SHA-256 of its key; the file repeats the whole key, and a read
returns the value only if that key matches exactly.  Keys must therefore hold
*everything* the value depends on: every parameter and rate text of the model, the
package version and a digest of the code that computes the value
(:func:`source_digest`).

Robustness:

* writes go to a temporary file in the same folder and are renamed into place, so
  concurrent writers never interleave and readers see a whole entry or none;
* an unreadable, truncated or foreign entry is a miss (and is replaced by the next
  write); any file-system error (a read-only home, a full disk) only means no caching;
* the cache lives in ``platformdirs.user_cache_dir("hh-brian")``; the environment
  variable ``HH_BRIAN_CACHE_DIR`` moves it and ``HH_BRIAN_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: Environment variables: the cache folder, and "0" to turn caching off.
FOLDER_VARIABLE = "HH_BRIAN_CACHE_DIR"
SWITCH_VARIABLE = "HH_BRIAN_CACHE"


def cache_folder() -> Path | None:
    """The root folder of hh-brian's caches, or None when caching is off."""
    if os.environ.get(SWITCH_VARIABLE, "1").strip() == "0":
        return None
    folder = os.environ.get(FOLDER_VARIABLE, "").strip()
    if folder:
        return Path(folder).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hh-brian", appauthor=False))


@cache
def source_digest(*packages: str) -> str:
    """SHA-256 (first 16 hex digits) of every ``.py`` file in the hh_brian subpackages
    *packages* (``"core"``, ``"models"``): a cache key part that changes whenever the
    code that computes a cached value may have changed, version number or not."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class JsonCache:
    """Values by text key in one namespace (a subfolder) of the cache folder.

    >>> import tempfile, os
    >>> os.environ["HH_BRIAN_CACHE_DIR"] = tempfile.mkdtemp()
    >>> store = JsonCache("example")
    >>> store.get("k") is None
    True
    >>> store.put("k", {"x": 1.5})
    >>> store.get("k")
    {'x': 1.5}
    >>> del os.environ["HH_BRIAN_CACHE_DIR"]
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def path(self, key: str) -> Path | None:
        """Where the entry for *key* lives (None when caching is off)."""
        root = cache_folder()
        if root is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return root / self.namespace / digest[:2] / f"{digest}.json"

    def get(self, key: str, decode: Callable[[object], T] | None = None) -> T | None:
        """The value stored under *key*, passed through *decode*; None on a miss.

        A damaged entry (not JSON, another key, or a value *decode* rejects with
        ``KeyError``, ``TypeError``, ``ValueError`` or ``IndexError``) is a miss.
        """
        path = self.path(key)
        if path is None:
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, truncated or not UTF-8/JSON
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or "value" not in entry:
            return None
        if decode is None:
            return entry["value"]
        try:
            return decode(entry["value"])
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    def put(self, key: str, value: object) -> None:
        """Store *value* (JSON-serialisable) under *key*; silently skip on any OS error."""
        path = self.path(key)
        if path is None:
            return
        text = json.dumps({"key": key, "value": value}, allow_nan=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return


def key_text(parts: Iterable[object]) -> str:
    """One key from several parts, one per line."""
    return "\n".join(str(part) for part in parts)


__all__ = [
    "FOLDER_VARIABLE",
    "SWITCH_VARIABLE",
    "JsonCache",
    "cache_folder",
    "key_text",
    "source_digest",
]
