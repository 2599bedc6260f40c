"""``rush_larsen2``: a second-order exponential (Rush-Larsen) state updater for Brian2.

The scheme is the explicit-midpoint Rush-Larsen method of Sundnes, Artebrant,
Skavhaug & Tveito (2009), "A second-order algorithm for solving dynamical cell
membrane equations", IEEE Trans Biomed Eng 56:2546-2548,
doi:10.1109/TBME.2009.2014739.  Every variable is written, at a state ``y`` and
time ``t``, as ``dx/dt = a x + b`` (``a = -B``, ``b = A`` in lecture 7's
``A - B x``), and one step from ``t_n`` is::

    x_mid  = (x_n + b_n/a_n) exp(a_n dt/2) - b_n/a_n      coefficients at (t_n, y_n)
    x_n+1  = (x_n + b_m/a_m) exp(a_m dt)   - b_m/a_m      coefficients at (t_n + dt/2, y_mid)

i.e. a half step of exponential Euler gives the midpoint state, and the full
step is exponential again, from ``x_n``, with the rates and conductances of the
midpoint.  The rates are computed twice per step (once per stage), nothing else
twice.  For a gate, ``b/a = -x_inf`` and ``a = -1/tau``: each stage is a convex
combination of the old value and ``x_inf`` in [0, 1], so the gates are
unconditionally stable, as in exponential Euler.  The global error is
``O(dt^2)``: the midpoint state is first-order accurate, and an ``O(dt^2)``
error in the frozen coefficients changes the full step by ``O(dt^3)``.  For a
linear equation with constant coefficients (an exponential synaptic
conductance) both stages are exact.

How the linear form is found, on any channel model
---------------------------------------------------
For each differential equation ``dx/dt = f``, subexpressions of ``f`` that are
affine in ``x`` (the currents ``I_Na = g_Na*m**3*h*(v - E_Na)``, synaptic
``I_in0 = g_in0*(E_in0 - v)``) are substituted, and every other subexpression
(rates, an instantaneous gate ``m = m_inf(v)``, an NMDA Mg2+ block) is a value
of the stage, computed once per stage in a statement.  Then ``a = df/dx`` and
``b = f|_{x=0}`` with sympy.  This is Brian2's own
``get_conditionally_linear_system`` (which ``exponential_euler`` uses), except
that non-linear subexpressions are kept as stage values instead of making the
equation unsolvable: instantaneous gates are therefore evaluated at each stage
(at the midpoint in the second), which keeps the order 2.  An equation that is
still not affine in its own variable (``dx/dt = -x**3``) is linearised with
its diagonal Jacobian at the stage state, ``x_n+1 = x_n + dt exprel(a_m dt)
(f_m + a_m (x_n - x_mid))``, which is also second order (Sundnes et al.'s
local linearisation) and finite when ``a`` vanishes.

Time: ``t`` is the stage time (``t + 0.5*dt`` in the midpoint stage), so smooth
stimuli are read at the midpoint; ``t_in_timesteps*dt``, through which held
stimuli are read, is the step's start in both stages (not shifted), as for
Brian2's own methods.

Registration is explicit, never an import side effect: :func:`register_methods`
(idempotent) registers the method under :data:`RUSH_LARSEN2`; every hh-brian
entry point that builds a Brian2 group calls it.  Code that builds its own
``NeuronGroup(..., method='rush_larsen2')`` calls it first.
"""

from __future__ import annotations

import sympy as sp
from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION
from brian2.parsing.sympytools import str_to_sympy, sympy_to_str
from brian2.stateupdaters.base import (
    StateUpdateMethod,
    UnsupportedEquationsException,
    extract_method_options,
)
from brian2.utils.stringtools import word_substitute

__all__ = ["ORDER", "RUSH_LARSEN2", "RushLarsen2", "linear_forms", "register_methods"]

#: The name the method is registered under.
RUSH_LARSEN2 = "rush_larsen2"
#: Order of the global error.
ORDER = 2
#: Stage time of the midpoint stage (text substituted for ``t``).
MIDPOINT_TIME = "(t + 0.5*dt)"


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _is_affine(expr: sp.Expr, x: sp.Symbol) -> bool:
    return x not in sp.diff(expr, x).free_symbols


def linear_forms(equations, variables=None) -> tuple[dict, dict]:
    """``{x: (a, b, affine)}`` with ``dx/dt = a x + b``, and the subexpressions they use.

    Subexpressions affine in ``x`` are substituted into ``x``'s equation; the others
    stay symbols (stage values).  ``affine`` is False when the equation is not affine
    in ``x`` even so; then ``a = df/dx`` (the diagonal Jacobian) and ``b`` is ``f``
    itself (see the module docstring).  Returns the forms and ``{name: sympy
    expression}`` of every subexpression, in dependency order.
    """
    subexpressions = {
        eq.varname: str_to_sympy(eq.expr.code, variables)
        for eq in equations.ordered
        if eq.type == SUBEXPRESSION
    }
    names = {_symbol(name): name for name in subexpressions}
    forms = {}
    for eq in equations.ordered:
        if eq.type != DIFFERENTIAL_EQUATION:
            continue
        x = _symbol(eq.varname)
        f = str_to_sympy(eq.expr.code, variables)
        substituted = True
        while substituted:  # substitute the affine-in-x subexpressions, to a fixed point
            substituted = False
            for symbol in sorted(f.free_symbols & set(names), key=str):
                expr = subexpressions[names[symbol]]
                if _depends_on(expr, x, subexpressions) and _is_affine(expr, x):
                    f = f.xreplace({symbol: expr})
                    substituted = True
        a = sp.diff(f, x)
        if x in a.free_symbols:
            forms[eq.varname] = (a, f, False)
        else:
            forms[eq.varname] = (a, f.xreplace({x: 0}), True)
    return forms, subexpressions


def _depends_on(expr: sp.Expr, x: sp.Symbol, subexpressions: dict) -> bool:
    """True if *expr* depends on *x*, directly or through subexpressions."""
    seen: set[str] = set()
    stack = [expr]
    while stack:
        current = stack.pop()
        if x in current.free_symbols:
            return True
        for symbol in current.free_symbols:
            name = str(symbol)
            if name in subexpressions and name not in seen:
                seen.add(name)
                stack.append(subexpressions[name])
    return False


def _closure(roots: set[str], subexpressions: dict) -> list[str]:
    """The subexpressions in *roots* and everything they use, in dependency order."""
    needed: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in needed or name not in subexpressions:
            continue
        needed.add(name)
        stack.extend(str(s) for s in subexpressions[name].free_symbols)
    return [name for name in subexpressions if name in needed]


def _stage_dependent(subexpressions: dict, state: set[str]) -> set[str]:
    """Subexpressions that change between the stages: they use the state or ``t``."""
    varying: set[str] = set()
    for name, expr in subexpressions.items():  # dependency order
        used = {str(s) for s in expr.free_symbols}
        if used & (state | {"t"} | varying):
            varying.add(name)
    return varying


class RushLarsen2(StateUpdateMethod):
    """Explicit-midpoint Rush-Larsen (Sundnes et al. 2009); second order.

    See :mod:`hh_brian.engines.brian2.rush_larsen`.  Deterministic equations only.
    """

    order = ORDER

    def __call__(self, equations, variables=None, method_options=None):
        extract_method_options(method_options, {})
        if equations.is_stochastic:
            raise UnsupportedEquationsException(
                f"{RUSH_LARSEN2} integrates deterministic equations only; for noise "
                "use euler, heun or milstein"
            )
        forms, subexpressions = linear_forms(equations, variables)
        state = list(forms)
        used = set()
        for a, b, _ in forms.values():
            used |= {str(s) for s in (a.free_symbols | b.free_symbols)}
        needed = _closure(used & set(subexpressions), subexpressions)
        varying = _stage_dependent({n: subexpressions[n] for n in needed}, set(state))

        first = {name: f"_s1_{name}" for name in needed}
        second = {
            **first,
            **{name: f"_s2_{name}" for name in varying},
            **{x: f"_mid_{x}" for x in state},
            "t": MIDPOINT_TIME,
        }
        code = [
            f"{first[name]} = {word_substitute(sympy_to_str(subexpressions[name]), first)}"
            for name in needed
        ]
        for x, form in forms.items():
            code += _stage(x, form, first, "1", f"_mid_{x}", "0.5*dt", None)
        code += [
            f"{second[name]} = {word_substitute(sympy_to_str(subexpressions[name]), second)}"
            for name in needed
            if name in varying
        ]
        for x, form in forms.items():
            code += _stage(x, form, second, "2", f"_new_{x}", "dt", f"_mid_{x}")
        code += [f"{x} = _new_{x}" for x in state]
        return "\n".join(code)

    __call__.__doc__ = StateUpdateMethod.__call__.__doc__


def _stage(
    x: str, form: tuple, names: dict, tag: str, target: str, step: str, linearised_at: str | None
) -> list[str]:
    """Statements of one stage for *x*: from ``x`` (the step's start) over *step*."""
    a, b, affine = form
    a_text = word_substitute(sympy_to_str(a), names)
    b_text = word_substitute(sympy_to_str(b), names)
    if not affine:  # b is f itself; linearised at the stage state (module docstring)
        f_name, a_name = f"_f{tag}_{x}", f"_a{tag}_{x}"
        slope = (
            f_name if linearised_at is None else f"({f_name} + {a_name}*({x} - {linearised_at}))"
        )
        return [
            f"{a_name} = {a_text}",
            f"{f_name} = {b_text}",
            f"{target} = {x} + {step}*exprel({a_name}*{step})*{slope}",
        ]
    if a == 0:
        return [f"{target} = {x} + {step}*({b_text})"]
    a_name = f"_a{tag}_{x}"
    lines = [f"{a_name} = {a_text}"]
    if b == 0:
        return [*lines, f"{target} = {x}*exp({a_name}*{step})"]
    ba_name = f"_ba{tag}_{x}"
    lines.append(f"{ba_name} = ({b_text})/{a_name}")
    return [*lines, f"{target} = ({x} + {ba_name})*exp({a_name}*{step}) - {ba_name}"]


#: The method instance registered by :func:`register_methods`.
RUSH_LARSEN2_METHOD = RushLarsen2()


def register_methods() -> None:
    """Register hh-brian's Brian2 state updaters by name (idempotent).

    After this, ``NeuronGroup(..., method='rush_larsen2')`` works.  hh-brian's
    entry points (simulate, network build, voltage clamp, the fast path) call it;
    importing this module registers nothing.
    """
    registered = StateUpdateMethod.stateupdaters.get(RUSH_LARSEN2)
    if registered is None:
        StateUpdateMethod.register(RUSH_LARSEN2, RUSH_LARSEN2_METHOD)
    elif not isinstance(registered, RushLarsen2):
        raise RuntimeError(f"another state updater is registered as {RUSH_LARSEN2!r}")
