"""The first Lyapunov coefficient of a Hopf point: sub- or supercritical.

Kuznetsov's invariant formula (Elements of Applied Bifurcation Theory, 3rd ed.,
Springer 2004, doi:10.1007/978-1-4757-3978-7, section 3.5, eq. (3.20))::

    l1 = 1/(2 w) Re[ <p, C(q, q, conj q)>
                     - 2 <p, B(q, A^-1 B(q, conj q))>
                     + <p, B(conj q, (2 i w I - A)^-1 B(q, q))> ]

with ``A q = i w q``, ``A^T p = -i w p``, ``<p, q> = conj(p) . q = 1``, and ``B``, ``C``
the second and third derivatives of the vector field at the equilibrium as
symmetric multilinear forms.  ``l1 < 0``: supercritical (a stable cycle is born
on the side where the equilibrium is unstable); ``l1 > 0``: subcritical.

``B`` and ``C`` are evaluated by central differences of directional derivatives
(``D2 f[u] = B(u, u)``, ``D3 f[u] = C(u, u, u)``) and polarisation, so no
symbolic derivative of the rate expressions is needed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Step of the directional differences, in units of the (normalised) eigenvector.
DIFFERENCE_STEP = 1e-2

Field = Callable[[np.ndarray], np.ndarray]


def _second(f: Field, x: np.ndarray, u: np.ndarray, h: float) -> np.ndarray:
    """``D2 f(x)[u, u]`` by central differences."""
    columns = np.stack([x + h * u, x, x - h * u], axis=1)
    values = f(columns)
    return (values[:, 0] - 2 * values[:, 1] + values[:, 2]) / h**2


def _third(f: Field, x: np.ndarray, u: np.ndarray, h: float) -> np.ndarray:
    """``D3 f(x)[u, u, u]`` by central differences."""
    columns = np.stack([x + 2 * h * u, x + h * u, x - h * u, x - 2 * h * u], axis=1)
    values = f(columns)
    return (values[:, 0] - 2 * values[:, 1] + 2 * values[:, 2] - values[:, 3]) / (2 * h**3)


def bilinear(f: Field, x: np.ndarray, u: np.ndarray, v: np.ndarray, h: float) -> np.ndarray:
    """``B(u, v)`` for complex vectors by polarisation of ``D2 f`` (real and imaginary parts)."""

    def real(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            return np.zeros_like(x)
        a, b = a / na, b / nb  # unit vectors, so that the step h means the same everywhere
        return na * nb * (_second(f, x, a + b, h) - _second(f, x, a - b, h)) / 4

    ur, ui, vr, vi = u.real, u.imag, v.real, v.imag
    return (real(ur, vr) - real(ui, vi)) + 1j * (real(ur, vi) + real(ui, vr))


def _c_qq_qbar(f: Field, x: np.ndarray, q: np.ndarray, h: float) -> np.ndarray:
    """``C(q, q, conj q)`` with ``q = a + i b``:
    ``C(a,a,a) + C(a,b,b) + i (C(a,a,b) + C(b,b,b))``."""
    a, b = q.real, q.imag
    aaa, bbb = _third(f, x, a, h), _third(f, x, b, h)
    plus, minus = _third(f, x, a + b, h), _third(f, x, a - b, h)
    aab = (plus - minus - 2 * bbb) / 6
    abb = (plus + minus - 2 * aaa) / 6
    return aaa + abb + 1j * (aab + bbb)


def hopf_vectors(jacobian: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(w, q, p)`` of the critical pair: ``A q = i w q``, ``A^T p = -i w p``,
    ``<q, q> = 1``, ``<p, q> = 1`` (``w > 0``)."""
    values, vectors = np.linalg.eig(jacobian)
    k = int(np.argmin(np.abs(values.real) + 1e9 * (values.imag <= 0)))
    omega = float(values[k].imag)
    q = vectors[:, k] / np.linalg.norm(vectors[:, k])
    left_values, left_vectors = np.linalg.eig(jacobian.T)
    j = int(np.argmin(np.abs(left_values - (-1j * omega))))
    p = left_vectors[:, j]
    p = p / np.conj(np.vdot(p, q))  # now vdot(p, q) = conj(p) . q = 1
    return omega, q, p


def first_lyapunov_coefficient(f: Field, x: np.ndarray, jacobian: np.ndarray) -> float:
    """The first Lyapunov coefficient ``l1`` at a Hopf point (Kuznetsov 2004, eq. 3.20).

    Parameters
    ----------
    f : callable
        The vector field at the Hopf parameter, ``f(Y) -> dY/dt`` for states as
        columns of ``Y``, shape ``(n, K)``.
    x : ndarray
        The equilibrium, shape ``(n,)``.
    jacobian : ndarray
        ``df/dx`` there, shape ``(n, n)``, with a pair of eigenvalues ``+-i w``.

    Returns
    -------
    float
        ``l1`` in the units of ``f`` and ``x`` (its sign is what matters: negative
        supercritical, positive subcritical).
    """
    omega, q, p = hopf_vectors(jacobian)
    n = x.size
    h = DIFFERENCE_STEP
    b_qqbar = bilinear(f, x, q, np.conj(q), h)
    b_qq = bilinear(f, x, q, q, h)
    first = np.vdot(p, _c_qq_qbar(f, x, q, h))
    second = np.vdot(p, bilinear(f, x, q, np.linalg.solve(jacobian, b_qqbar), h))
    resolvent = np.linalg.solve(2j * omega * np.eye(n) - jacobian, b_qq)
    third = np.vdot(p, bilinear(f, x, np.conj(q), resolvent, h))
    return float(np.real(first - 2 * second + third) / (2 * omega))


__all__ = ["bilinear", "first_lyapunov_coefficient", "hopf_vectors"]
