"""Brian2 equations for channel noise as stochastic differential equations.

``langevin`` -- the channel-state Langevin (system-size, Fox-Lu type) equations with
the exact diffusion matrix, in the edge form of Orio & Soudry 2012 (PLoS ONE
7:e36670, doi:10.1371/journal.pone.0036670), equivalent to the channel-based model
of Goldwyn & Shea-Brown 2011 (PLoS Comput Biol 7:e1002247,
doi:10.1371/journal.pcbi.1002247).  The fraction ``X_s`` of a channel's N channels in
each state of its kinetic scheme (:mod:`hh_brian.noise.scheme`) obeys, for each pair of
states a <-> b joined by a forward rate ``r_ab`` and a backward rate ``r_ba``
(an *edge*), the flux ``J = r_ab X_a - r_ba X_b`` plus an independent white noise
``sigma xi`` with ``sigma = sqrt((r_ab X_a + r_ba X_b)/N)``, added to ``X_b`` and
subtracted from ``X_a``.  The diffusion matrix
``sum_e sigma_e**2 (u_b - u_a)(u_b - u_a)^T`` is exactly the master equation's second
moment, so the first two moments of the open fraction are exact for any N at a fixed
voltage (the chain is linear), and the total is conserved exactly.

``subunit`` -- noise on the gates (Fox & Lu 1994, Phys Rev E 49:3421,
doi:10.1103/PhysRevE.49.3421, the subunit form):
``dx/dt = alpha (1 - x) - beta x + sqrt((alpha (1 - x) + beta x)/N) xi``.  It
misrepresents the statistics of the conductance (Goldwyn & Shea-Brown 2011; Bruce 2009,
Ann Biomed Eng 37:824, doi:10.1007/s10439-009-9635-z): the gates of one channel are
not independent across the population, so ``x**p`` fluctuates too little and on the
wrong time scales.  It is offered for comparison only, with a warning.

**Integration: Ito noise, Stratonovich scheme.**  The noise is multiplicative and the
equations are Ito.  Brian2's ``milstein`` handles only diagonal noise (one xi per
equation), and each edge's xi enters two equations, so hh-brian integrates with
Brian2's stochastic ``heun`` (a Stratonovich scheme) and adds the Ito-to-Stratonovich
drift correction ``-1/2 sum_j sum_e G_je dG_ie/dX_j``.  For an edge it is
state-independent: ``+(r_ab - r_ba)/(4N)`` on ``X_b`` and the negative on ``X_a``
(for the subunit form, ``+(alpha - beta)/(4N)``).  ``tests/test_noise_langevin.py``
shows the correction is needed: without it the mean of a gate at small N is off by the
predicted amount.

**States outside [0, 1].**  At small N a fraction can step below 0 or above 1.  The
states are left free (truncating them biases the dynamics, Goldwyn & Shea-Brown 2011;
the total stays exactly 1); the argument of each square root is clipped at 0
(``sqrt(max(r_ab X_a + r_ba X_b, 0)/N)``), and the conductance uses the open fraction
clipped to [0, 1], ``g clip(X_open, 0, 1)``: with the Na+ open fraction near 0 at rest
(about 1e-4), an unclipped negative value is a negative Na+ conductance, an outward
current that suppresses spontaneous spikes (measured: 20 um**2 squid patches at zero
current fired at half the Markov rate unclipped, within ~10% clipped; the
``noise-sweep`` table).  The open fraction *states* are what the moment tests compare.
The Brian2 blow-up guard checks only ``v`` for NaN/Inf on noisy runs, so a state
slightly outside [0, 1] never aborts a legitimate run.
"""

from __future__ import annotations

from dataclasses import replace

from hh_brian.models.cell import CellModel
from hh_brian.models.channels import INF_TAU, RATES, Channel
from hh_brian.noise.scheme import scheme_for
from hh_brian.noise.spec import LANGEVIN, SUBUNIT
from hh_brian.render.brian2 import conductance_expression


def _rate_lines(ch: Channel) -> tuple[list[str], list[str], dict[str, tuple[str, str]]]:
    """Each gate's rate variables, the statements that set them, and its (alpha, beta)
    names; inf/tau gates get ``alpha_x = x_inf/tau_x`` and ``beta_x = (1 - x_inf)/tau_x``.

    The rates are per-neuron variables set at the start of every step (from ``v``
    there), not subexpressions: stochastic heun evaluates drift and noise at the step's
    start and at a support point with the same ``v`` (``v`` has no noise term), so this
    is the same scheme, with each rate computed once per step instead of at every use.
    """
    units = {"alpha": "Hz", "beta": "Hz", "inf": "1", "tau": "second"}
    lines, updates, names = [], [], {}
    for gate in ch.gates:
        rendered = gate.rendered_names()
        for key, name in rendered.items():
            lines.append(f"{name} : {units[key]}")
            updates.append(f"{name} = {gate.expressions[key]}")
        if gate.form == RATES:
            names[gate.name] = (rendered["alpha"], rendered["beta"])
        elif gate.form == INF_TAU:
            x = gate.name
            lines += [f"alpha_{x} : Hz", f"beta_{x} : Hz"]
            updates += [f"alpha_{x} = {x}_inf/tau_{x}", f"beta_{x} = (1 - {x}_inf)/tau_{x}"]
            names[x] = (f"alpha_{x}", f"beta_{x}")
    return lines, updates, names


def rate_updates(model: CellModel) -> str:
    """Statements setting every gated channel's rate variables from ``v`` (run before
    every step)."""
    return "\n".join(u for ch in model.channels if ch.gates for u in _rate_lines(ch)[1])


def _sigma(flux_sum: str, n_name: str) -> str:
    """``sqrt(max(flux_sum, 0)/N)`` with units second**-0.5."""
    return f"sqrt(clip(({flux_sum})*ms, 0, inf)/({n_name}*ms))"


def channel_noise_lines(model: CellModel, ch: Channel, kind: str) -> list[str]:
    """Brian2 lines of one gated channel with *kind* noise: its current ``I_<ch>``, its
    state equations, its rate variables (set by :func:`rate_updates`), its channel count
    ``N_<ch>`` (a per-neuron constant, so one compiled model serves every area) and, per
    gate, the fraction of open subunits (named like the gate) as a state (subunit) or a
    subexpression (langevin)."""
    lines, _, rates = _rate_lines(ch)
    phi = f"phi_{ch.name}*" if ch.q10 is not None else ""
    n_name = f"N_{ch.name}"
    lines.append(f"{n_name} : 1 (constant)")
    g = conductance_expression(model, replace(ch, gates=()))
    if kind == SUBUNIT:
        product = "*".join(f"{x.name}**{x.exponent}" for x in ch.gates)
        lines.insert(0, f"I_{ch.name} = {g}*{product}*(v - E_{ch.name}) : amp/meter**2")
        for gate in ch.gates:
            x, (a, b) = gate.name, rates[gate.name]
            drift = f"{phi}({a}*(1 - {x}) - {b}*{x}) + {phi}({a} - {b})/(4*{n_name})"
            noise = _sigma(f"{phi}({a}*(1 - {x}) + {b}*{x})", n_name)
            lines.append(f"d{x}/dt = {drift} + {noise}*xi_{x} : 1")
        return lines
    scheme = scheme_for(ch)
    names = [scheme.state_name(s) for s in range(scheme.n_states)]
    lines.insert(0, f"I_{ch.name} = {g}*clip({names[-1]}, 0, 1)*(v - E_{ch.name}) : amp/meter**2")
    terms: dict[int, list[str]] = {s: [] for s in range(scheme.n_states)}
    for e, (up, down) in enumerate(scheme.edges):
        a, b = int(scheme.source[up]), int(scheme.target[up])
        gate = scheme.gates[int(scheme.gate[up])]
        alpha, beta = rates[gate]
        forward = f"{phi}{int(scheme.multiplicity[up])}*{alpha}"
        backward = f"{phi}{int(scheme.multiplicity[down])}*{beta}"
        edge = f"{ch.name}_e{e}"
        lines += [
            f"J_{edge} = {forward}*{names[a]} - {backward}*{names[b]} : Hz",
            f"C_{edge} = ({forward} - {backward})/(4*{n_name}) : Hz",
            f"S_{edge} = {_sigma(f'{forward}*{names[a]} + {backward}*{names[b]}', n_name)}"
            " : second**-0.5",
        ]
        terms[b].append(f"+ J_{edge} + C_{edge} + S_{edge}*xi_{edge}")
        terms[a].append(f"- J_{edge} - C_{edge} - S_{edge}*xi_{edge}")
    for s, name in enumerate(names):
        lines.append(f"d{name}/dt = {' '.join(terms[s]).lstrip('+ ')} : 1")
    for j, gate in enumerate(scheme.gates):
        weighted = " + ".join(
            f"{k}*{names[s]}" for s, k in enumerate(st[j] for st in scheme.states) if k
        )
        lines.append(f"{gate} = ({weighted})/{scheme.exponents[j]} : 1")
    return lines


def noise_state_names(model: CellModel, kind: str) -> dict[str, list[str]]:
    """Integrated noise variables of each gated channel (gates, or scheme states)."""
    out = {}
    for ch in model.channels:
        if not ch.gates:
            continue
        if kind == SUBUNIT:
            out[ch.name] = [g.name for g in ch.gates]
        else:
            scheme = scheme_for(ch)
            out[ch.name] = [scheme.state_name(s) for s in range(scheme.n_states)]
    return out


__all__ = [
    "LANGEVIN",
    "SUBUNIT",
    "channel_noise_lines",
    "noise_state_names",
    "rate_updates",
]
