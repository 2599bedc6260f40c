"""Fast Brian2 code generation for hh-brian's models (GitHub issue 8).

Stock Brian2 2.9 builds the HH state updater as a scalar loop: its gcc flags
include ``-fno-finite-math-only``, which hides glibc's vector ``exp``/``expm1``
(libmvec) from gcc, and its Cython template sets ``cdivision=False``, which
puts a ``ZeroDivisionError`` branch on every ``/``.  This module supplies the
fast path that hh-brian uses by default (see ``benchmarks/FINDINGS.md`` and
``benchmarks/README.md`` for the figures):

* :data:`FAST_GCC_ARGS`: ``-O3 -ffast-math -march=native`` and a larger
  alias-check budget, every flag a single token (Brian2 silently drops flags
  that fail its one-token ``has_flag`` test).
* a branch-free ``exprel``: the equations keep saying ``exprel(...)``, and
  Brian2's own :class:`~brian2.core.functions.Function` (and so its SymPy
  behaviour) is used; :func:`register_fast_exprel` only *adds* implementations
  of it, under the name ``_hh_fast_exprel``, for the two code-object classes
  below.  Stock targets (``'cython'``, ``cpp_standalone`` without
  ``codeobj_class``) are untouched.  Importing this module changes nothing: the
  implementations are added when :func:`runtime_codeobj_class` or
  :func:`standalone_codeobj_class` first hands out a fast class.
* :class:`FastCythonCodeObject`: the runtime ``cython`` target with the fast
  flags and ``cdivision=True`` in the state updater (only there).
* :class:`FastStandaloneCodeObject`: the ``cpp_standalone`` code object with
  the fast ``exprel``; the flags of a standalone project are global, set them
  with :func:`fast_compiler_prefs`.

What the fast path changes, and what it keeps
---------------------------------------------
* Rounding: vector ``exp``/``expm1`` are within 4 ulp of the correctly
  rounded result (glibc libmvec), and ``-ffast-math`` lets gcc reassociate
  sums and products.  Each step therefore differs from the stock build by
  round-off; the bound on the accumulated difference is derived and tested in
  ``tests/test_fastpath.py`` (:func:`roundoff_bound`).
* Division by zero in the Cython state updater no longer raises
  ``ZeroDivisionError``; it yields Inf/NaN.  hh-brian's blow-up detection does
  not depend on that exception: :func:`hh_brian.engines.brian2.simulate.simulate` checks the
  recorded traces and the final state in NumPy after every run, and the
  NumPy check is not compiled with these flags.  ``-ffast-math`` lets gcc fold
  ``isnan``/``isinf`` tests *inside* the compiled code, so none is relied on.
* ``exprel(x)`` for ``x > 717``: Brian2 returns ``INFINITY`` explicitly; here
  ``expm1(x)`` overflows to Inf and Inf/x is Inf, so the value is the same.
* Only compilation changes: the equations, SymPy's treatment of ``exprel``
  (exponential Euler keeps the call) and the namespace are those of the stock
  path.  The compiled module is not linked with ``-ffast-math``, so the
  process's floating-point mode (denormals, rounding) is not changed.

Turn the fast path off with ``simulate(..., fast=False)`` or the environment
variable ``HH_BRIAN_FAST=0``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from brian2.codegen.runtime.cython_rt.cython_rt import CythonCodeObject
from brian2.core.functions import DEFAULT_FUNCTIONS
from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

from hh_brian.engines.brian2.rush_larsen import register_methods
from hh_brian.engines.brian2.settings import brian2_settings

#: Environment variable that switches the fast path off (``0``, ``false``, ``no``, ``off``).
FAST_ENV = "HH_BRIAN_FAST"
_OFF_VALUES = frozenset({"0", "false", "no", "off"})

#: gcc flags of the fast path.  One token per flag: Brian2 tests each flag on
#: its own and drops any that fail, so ``--param X=Y`` must be ``--param=X=Y``.
#: ``-ffast-math`` without ``-fno-finite-math-only`` defines ``__FAST_MATH__``,
#: which makes glibc declare the SIMD variants of ``exp``/``expm1``; the alias
#: budget lets gcc version the state updater's loop over its ~15 arrays.
FAST_GCC_ARGS = (
    "-w",
    "-O3",
    "-ffast-math",
    "-march=native",
    "-std=c++11",
    "--param=vect-max-version-for-alias-checks=100",
)

#: Name of the fast ``exprel`` in generated code (grep for it to check it is used).
FAST_EXPREL_NAME = "_hh_fast_exprel"

# Branch-free: both sides are computed and one is selected, so gcc if-converts
# the call after inlining and vectorises the loop (libmvec _ZGV*_expm1).
# expm1(x) overflows to +Inf for x > ~709.8, and Inf/x = Inf: the same value
# as Brian2's explicit "x > 717" branch.  At x = 0, 0/0 = NaN is computed and
# discarded by the select.
FAST_EXPREL_CPP = f"""
static inline double {FAST_EXPREL_NAME}(const double x)
{{
    const double r = expm1(x) / x;
    return (fabs(x) < 1e-16) ? 1.0 : r;
}}
"""

# Cython: 'noexcept' removes Cython 3's exception check after each call (a
# branch with a Python API call, which blocks vectorisation), and
# cdivision(True) removes the zero-division check on the '/'.
FAST_EXPREL_CYTHON = f"""
@_cython.cdivision(True)
cdef inline double {FAST_EXPREL_NAME}(double x) noexcept nogil:
    cdef double r = expm1(x) / x
    return 1.0 if fabs(x) < 1e-16 else r
"""

#: Templates whose generated Cython gets ``cdivision=True`` (the hot loop only).
CDIVISION_TEMPLATES = frozenset({"stateupdate"})
_CDIVISION_OFF = "#cython: cdivision=False"
_CDIVISION_ON = "#cython: cdivision=True"
# Brian2's state updater, for a refractory *condition*, updates
# ``not_refractory = not_refractory or (not (<condition>))`` on a C++ ``bool``.
# gcc 12 does not vectorise a loop that mixes a loaded ``bool`` (precision 1)
# with a comparison mask ("relevant stmt not supported"), whatever the
# operator; Brian2's C++ targets store the flag as ``char``, which it does
# vectorise.  So, in the state updater only, the flag is handled as ``char``
# (same bytes, 0 or 1) and the short-circuit ``or`` of two side-effect-free
# booleans becomes a bitwise or (same value).
_NOT_REFRACTORY_REWRITES = (
    (
        re.compile(r"cdef bool \* (_array_\w+_not_refractory) = <bool \*>"),
        r"cdef char * \1 = <char *>",
    ),
    (re.compile(r"cdef bool not_refractory\b"), "cdef char not_refractory"),
    (
        re.compile(r"not_refractory = not_refractory or \(not \("),
        "not_refractory = not_refractory | <char>(not (",
    ),
)


def fast_enabled(fast: bool | None = None) -> bool:
    """Whether to use the fast path: *fast* if given, else ``HH_BRIAN_FAST`` (default on).

    >>> fast_enabled(False)
    False
    """
    if fast is not None:
        return bool(fast)
    return os.environ.get(FAST_ENV, "1").strip().lower() not in _OFF_VALUES


def exprel_reference(x):
    """NumPy ``exprel`` with the fast form's arithmetic (for tests and docs).

    >>> float(exprel_reference(0.0)), round(float(exprel_reference(1.0)), 12)
    (1.0, 1.718281828459)
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = np.expm1(x) / x
    return np.where(np.abs(x) < 1e-16, 1.0, r)


class FastCythonCodeObject(CythonCodeObject):
    """Runtime Cython code object with fast flags and ``cdivision=True`` in the state updater.

    Use it as a group's ``codeobj_class`` (hh-brian does) or as
    ``prefs.codegen.target``.  The generated source ends with a comment
    naming the flags, so Brian2's Cython cache (keyed on the source text only,
    not on the flags) never mixes fast and stock builds.
    """

    class_name = "hh_brian_fast_cython"

    def __init__(self, *args, **kwds):
        super().__init__(*args, **kwds)
        self.extra_compile_args = list(FAST_GCC_ARGS)
        self.code = _fast_cython_source(self.code, self.template_name, self.class_name)


def _cpu_tag() -> str:
    """Identifies this CPU model, so a cache shared across machines never loads a
    ``-march=native`` build on a CPU that cannot run it."""
    import hashlib
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            lines = [ln for ln in handle if ln.startswith(("model name", "flags"))][:2]
    except OSError:
        lines = [platform.processor() or platform.machine()]
    return hashlib.sha1("".join(lines).encode()).hexdigest()[:12]


_CPU_TAG = _cpu_tag()


def _fast_cython_source(code, template_name: str, tag: str):
    """Rewrite every block of a MultiTemplate: ``cdivision=True`` (hot loop) and a flags tag."""
    for block in list(code):
        text = code[block]
        if not text.strip() or "EMPTY_CODE_BLOCK" in text:
            continue
        if template_name in CDIVISION_TEMPLATES:
            text = text.replace(_CDIVISION_OFF, _CDIVISION_ON, 1)
            for pattern, replacement in _NOT_REFRACTORY_REWRITES:
                text = pattern.sub(replacement, text)
        # Directive comments must stay first; the tag goes at the end.
        text = f"{text}\n# {tag}: {' '.join(FAST_GCC_ARGS)} cpu={_CPU_TAG}\n"
        # A MultiTemplate is read both as attributes and as a mapping over its private
        # _templates dict; Brian2 offers no public setter, so both are updated.
        setattr(code, block, text)
        code._templates[block] = text
    return code


class FastStandaloneCodeObject(CPPStandaloneCodeObject):
    """``cpp_standalone`` code object whose ``exprel`` is the branch-free form.

    Pass it as a group's ``codeobj_class``; set the project's flags with
    :func:`fast_compiler_prefs` (standalone compiles one project with one set
    of flags, so they cannot be per code object).
    """

    class_name = "hh_brian_fast_cpp_standalone"


def register_fast_exprel() -> None:
    """Add the fast ``exprel`` implementations to Brian2's ``exprel`` (idempotent).

    Called by :func:`runtime_codeobj_class` and :func:`standalone_codeobj_class`, i.e.
    whenever a fast code-object class is handed out; importing this module registers
    nothing.  The implementations are keyed on this module's code-object classes, so
    stock targets never see them.
    """
    implementations = DEFAULT_FUNCTIONS["exprel"].implementations
    for key, code in (
        (FastCythonCodeObject, FAST_EXPREL_CYTHON),
        (FastStandaloneCodeObject, FAST_EXPREL_CPP),
    ):
        # Lookup falls back to the parent class (stock exprel) until ours is added.
        if implementations[key].name != FAST_EXPREL_NAME:
            implementations.add_implementation(key, code=code, name=FAST_EXPREL_NAME)


def runtime_codeobj_class(target: str, fast: bool | None = None):
    """The ``codeobj_class`` for a runtime group: fast Cython, or None (Brian2's default).

    Also registers hh-brian's state updaters (:func:`register_methods`), since every
    group built through the fast path may name them.
    """
    register_methods()
    if target == "cython" and fast_enabled(fast):
        register_fast_exprel()
        return FastCythonCodeObject
    return None


def standalone_codeobj_class(fast: bool | None = None):
    """The ``codeobj_class`` for a standalone group: fast, or None (Brian2's default);
    registers hh-brian's state updaters (:func:`register_methods`)."""
    register_methods()
    if not fast_enabled(fast):
        return None
    register_fast_exprel()
    return FastStandaloneCodeObject


@contextmanager
def fast_compiler_prefs(fast: bool | None = None) -> Iterator[bool]:
    """Within the block, gcc builds use :data:`FAST_GCC_ARGS` (if the fast path is on).

    For ``cpp_standalone`` the block must include ``device.build`` (or the
    ``run`` of a ``build_on_run`` device).  Yields whether the flags were set; the
    previous flags come back on the way out (:func:`brian2_settings`).
    """
    enabled = fast_enabled(fast)
    flags = {"codegen.cpp.extra_compile_args_gcc": list(FAST_GCC_ARGS)} if enabled else {}
    with brian2_settings(preferences=flags):
        yield enabled
