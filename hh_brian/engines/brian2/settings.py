"""Brian2's global settings (preferences, device, random seed), set for one block only.

Brian2 keeps its code-generation target, compiler flags, device and random state in
process-wide globals.  hh-brian never leaves them changed: every run that needs a
setting wraps itself in :func:`brian2_settings`, which restores what it found on the
way out, also when the run raises.  Within the block Brian2's compiler-flag checks are
read from and kept on disk (:mod:`hh_brian.engines.brian2.compiler_flags`).

>>> from brian2 import prefs
>>> before = prefs["codegen.target"]
>>> with brian2_settings(target="numpy"):
...     prefs["codegen.target"]
'numpy'
>>> prefs["codegen.target"] == before
True
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
from brian2 import get_device, prefs, set_device
from brian2 import seed as brian2_seed
from brian2.devices.device import reset_device

from hh_brian.engines.brian2.compiler_flags import remembered_flags

__all__ = ["brian2_settings", "preference_values"]


def preference_values(names: Mapping[str, object] | None = None) -> dict[str, object]:
    """Copies of the current values of Brian2 preferences *names* (default: all of them)."""
    return {name: copy.deepcopy(prefs[name]) for name in (prefs if names is None else names)}


@contextmanager
def brian2_settings(
    target: str | None = None,
    *,
    preferences: Mapping[str, object] | None = None,
    device: str | None = None,
    device_options: Mapping[str, object] | None = None,
    seed: int | None = None,
    **dotted: object,
) -> Iterator[None]:
    """Within the block, Brian2 uses these settings; afterwards, the ones it had.

    Parameters
    ----------
    target : str, optional
        ``prefs.codegen.target`` (``'cython'``, ``'numpy'``).
    preferences : mapping, optional
        Brian2 preference names to values, e.g.
        ``{"codegen.cpp.extra_compile_args_gcc": [...]}``.
    device : str, optional
        Device for the block (``'cpp_standalone'``), set with *device_options* as
        :func:`brian2.set_device`'s keywords.  On the way out the device is
        reinitialised (so a later build starts clean) and the previous device and
        its build options come back (:func:`brian2.reset_device`).
    seed : int, optional
        Seed Brian2's random numbers (:func:`brian2.seed`) for the block.  The
        random state found on entry (NumPy's global generator and the runtime
        device's buffers) is restored on the way out.
    **dotted
        More preferences as keywords, ``__`` for the dots:
        ``devices__cpp_standalone__openmp_threads=2``.
    """
    values = dict(preferences or {})
    if target is not None:
        values["codegen.target"] = target
    values.update({name.replace("__", "."): value for name, value in dotted.items()})
    saved = preference_values(values)
    # Brian2's runtime device draws from NumPy's legacy global generator: save it as is.
    numpy_state = np.random.get_state()  # noqa: NPY002
    changed_device = False
    runtime_state = None
    try:
        for name, value in values.items():
            prefs[name] = value
        if device is not None:
            set_device(device, **dict(device_options or {}))
            changed_device = True
        if seed is not None:
            active = get_device()
            try:  # the runtime device has a random state; cpp_standalone queues its seed
                runtime_state = (active, active.get_random_state())
            except NotImplementedError:
                runtime_state = None
            brian2_seed(seed)
        with remembered_flags():
            yield
    finally:
        if changed_device:
            get_device().reinit()
            reset_device()
        if runtime_state is not None:
            active, state = runtime_state
            active.set_random_state(state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        for name, value in saved.items():
            prefs[name] = value


def check_completed(network, end, what: str, guard=None) -> None:
    """Raise :class:`KeyboardInterrupt` if *network* stopped before *end* (a time).

    Brian2 turns the first SIGINT during ``Network.run`` into "stop the run"
    instead of raising, so a run can return early and look finished.  A stop
    by a blow-up *guard* (its ``tripped_at`` is set) is not an interruption;
    the caller reports the blow-up.
    """
    if guard is not None and getattr(guard, "tripped_at", None) is not None:
        return
    from brian2 import ms, second

    end_s, now_s = float(end / second), float(network.t / second)
    if end_s - now_s > 1e-9 * max(end_s, 1e-12):
        raise KeyboardInterrupt(
            f"{what} stopped at t = {float(network.t / ms):.6g} ms of {float(end / ms):.6g} ms"
        )
