"""Reusable pieces for a faster Brian2 HH path (prototype; see FINDINGS.md).

Meant to be moved into the package by the lead. Nothing here changes global
state on import; call :func:`apply_fast_cpp_prefs` explicitly.

Contents
--------
FAST_GCC_ARGS
    Compiler flags for ``prefs.codegen.cpp.extra_compile_args_gcc`` that let
    gcc vectorise the state updater (libmvec ``exp``/``expm1``).
apply_fast_cpp_prefs()
    Sets those flags (and only those).
fast_exprel()
    A Brian2 ``Function`` equivalent to ``exprel`` with a branch-free C++
    implementation and a Cython implementation. Unlike the built-in
    ``exprel`` it is opaque to SymPy, so exponential Euler keeps the call
    instead of expanding it into (e^x - 1)/x partial fractions (which
    reintroduces the 0/0 at v = -40 and -55 mV, see FINDINGS.md).

Caveat: ``-ffast-math`` without ``-fno-finite-math-only`` lets gcc assume
that no NaN or Inf occurs, so ``isnan``/``isinf`` checks in generated code may
be folded away. Any model run with these flags needs its own blow-up tests.
"""

from __future__ import annotations

import numpy as np

#: One token per flag: Brian2 tests each flag on its own with the compiler and
#: silently drops any that fail, so ``--param X=Y`` must be ``--param=X=Y``.
FAST_GCC_ARGS = [
    "-w",
    "-O3",
    "-ffast-math",
    "-march=native",
    "-std=c++11",
    "--param=vect-max-version-for-alias-checks=100",
]

#: Brian2 2.9's default, for comparison. ``-fno-finite-math-only`` undefines
#: ``__FAST_MATH__``, so glibc's math-vector.h does not declare the SIMD
#: variants of exp/expm1 and gcc keeps a scalar loop.
STOCK_GCC_ARGS = [
    "-w",
    "-O3",
    "-ffast-math",
    "-fno-finite-math-only",
    "-march=native",
    "-std=c++11",
]

# Branch-free: both sides are computed and one is selected, so gcc
# if-converts it and vectorises the loop (expm1 -> _ZGV*_expm1 in libmvec).
# For x > ~709.8 expm1 overflows to +inf and inf/x = inf, as Brian2's own
# version returns, so its explicit "x > 717" branch is not needed.
FAST_EXPREL_CPP = """
static inline double fast_exprel(const double x)
{
    const double r = expm1(x) / x;
    return (fabs(x) < 1e-16) ? 1.0 : r;
}
"""

# Cython: Brian2's templates set cdivision=False file-wide, which puts a
# zero-division check (and a Python exception path) on every '/'.  The
# decorator turns that off inside this function only (the template imports
# cython as _cython).
FAST_EXPREL_CYTHON = """
@_cython.cdivision(True)
cdef inline double fast_exprel(double x) nogil:
    if fabs(x) < 1e-16:
        return 1.0
    return expm1(x) / x
"""


def _exprel_numpy(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.expm1(x) / x
    return np.where(np.abs(x) < 1e-16, 1.0, r)


def fast_exprel():
    """Return a Brian2 Function ``fast_exprel`` (same values as ``exprel``).

    Use it in equations under the name ``fast_exprel`` and pass it in the
    namespace (or as a module-level name)::

        ns["fast_exprel"] = fast_exprel()
        "alpha_m = 1.0/fast_exprel(-0.1*(v + 40*mV)/mV)/ms : Hz"
    """
    from brian2 import Function

    func = Function(
        _exprel_numpy, arg_units=[1], return_unit=1, arg_types=["float"], return_type="float"
    )
    func.implementations.add_implementation("cpp", code=FAST_EXPREL_CPP, name="fast_exprel")
    func.implementations.add_implementation("cython", code=FAST_EXPREL_CYTHON, name="fast_exprel")
    return func


def apply_fast_cpp_prefs(prefs=None) -> None:
    """Set ``codegen.cpp.extra_compile_args_gcc`` to :data:`FAST_GCC_ARGS`."""
    if prefs is None:
        from brian2 import prefs
    prefs.codegen.cpp.extra_compile_args_gcc = list(FAST_GCC_ARGS)
