"""A :class:`~.protocol.Protocol` as NEST's own current generators.

=====================  ===============================================================
hh-brian stimulus      NEST 3.10
=====================  ===============================================================
constant               the neuron's ``I_e`` (exact from t = 0)
step, pulses, sampled  one ``step_current_generator`` (``amplitude_times``,
                       ``amplitude_values`` in pA) for their sum
ramp                   in the same generator, as a staircase of its mid-step values
sine                   one ``ac_generator`` each (``amplitude``, ``offset`` = bias,
                       ``frequency``, ``phase`` in degrees, ``start``, ``stop``)
noise, lecture_noise   refused (:class:`SimulatorCannotExpress`)
=====================  ===============================================================

Timing, measured (NEST 3.10; ``tests/test_simulators_protocols.py``).  NEST holds a
generator's current constant over each resolution step, and a generator reaches
the neuron through a connection with ``delay`` = the resolution ``dt``: a change a
``step_current_generator`` makes at time t acts on the step that *starts* at
t + dt, an ``ac_generator`` active on ``(start, stop]`` acts on the steps starting
at start + dt .. stop, and the value an ``ac_generator`` gives the step starting at
t is its sine at t - dt.  No generator acts on the first two steps.  So that the
neuron gets hh-brian's current:

- every change is scheduled one step early (``amplitude_times`` = edge - dt,
  ``start``/``stop`` = onset/offset - dt);
- the current of the first two steps goes through ``I_e``, set before each of
  them (a change of ``I_e`` between two ``Simulate`` calls acts on the next step),
  and 0 afterwards;
- an ``ac_generator``'s phase is advanced by 1.5 steps, so that each step gets the
  sine at the step's middle: the midpoint rule, O(dt²) from hh-brian's engines,
  which read a sine at every stage's time.  A ramp gets the same midpoint rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hh_brian.engines.simulators import SimulatorCannotExpress
from hh_brian.engines.simulators.protocol import Protocol, change_points

#: Steps at the start of a run that no generator reaches (delay = resolution).
FIRST_STEPS = 2
#: Smooth kinds NEST expresses; the rest are refused.
SMOOTH_KINDS = ("sine", "ramp")
#: Held kinds that are noise (refused too).
NOISE_KINDS = ("noise", "lecture_noise")

TIMING_NOTE = (
    "NEST delivers generator current one resolution step late (connection delay = dt, "
    "measured); every change is scheduled one step early and the first two steps go "
    "through I_e, so the neuron gets the held current hh-brian integrates"
)
SINE_NOTE = (
    "ac_generator holds its value over each step; phase advanced by 1.5 steps so each step "
    "gets the sine at its middle (midpoint rule, O(dt^2) from hh-brian's stage-time reading)"
)
RAMP_NOTE = "ramp as a staircase of its mid-step values in the step_current_generator"


def refusal(protocol: Protocol) -> str | None:
    """Why NEST cannot express *protocol*, or None."""
    kinds = [p.stimulus.kind for p in protocol.held if p.stimulus.kind in NOISE_KINDS]
    kinds += [p.stimulus.kind for p in protocol.smooth if p.stimulus.kind not in SMOOTH_KINDS]
    if not kinds:
        return None
    return (
        f"NEST cannot express a {kinds[0]!r} stimulus: its noise_generator draws its own "
        "random numbers (not hh-brian's path) and no other generator takes it; use NEURON, "
        "or hh-brian's own engines"
    )


@dataclass
class NestPlan:
    """What to create in NEST, amplitudes in pA and times in ms."""

    first_I_e: list[float]
    step_times: list[float] = field(default_factory=list)
    step_values: list[float] = field(default_factory=list)
    sines: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        parts = [f"I_e for the first {len(self.first_I_e)} step(s)"]
        if self.step_times:
            parts.append(
                f"step_current_generator ({len(self.step_times)} change(s), each scheduled "
                "one step early)"
            )
        if self.sines:
            parts.append(f"ac_generator x{len(self.sines)} (phase +1.5 steps, start/stop -1 step)")
        return " + ".join(parts)


def _grid(k: int, dt: float) -> float:
    return round(k * dt, 12)


def _sine(part, protocol: Protocol, pA: float) -> dict[str, float] | None:
    s, dt, n = part.stimulus, protocol.dt_ms, protocol.n_steps
    k_on = int(round(float(s.onset) * 1e3 / dt))
    k_off = n if s.offset is None else min(n, int(round(float(s.offset) * 1e3 / dt)))
    k_start = max(k_on, FIRST_STEPS)
    if k_start >= k_off:
        return None
    frequency_hz = float(s.frequency)
    omega = 2 * math.pi * frequency_hz * 1e-3  # rad/ms
    phase = float(s.phase) + omega * (1.5 * dt - float(s.onset) * 1e3)
    params = {
        "amplitude": part.density(s.amplitude) * pA,
        "offset": part.density(s.bias) * pA,
        "frequency": frequency_hz,
        "phase": math.degrees(phase) % 360.0,
        "start": _grid(k_start - 1, dt),
    }
    if s.offset is not None and k_off < n:
        params["stop"] = _grid(k_off - 1, dt)
    return params


def plan(protocol: Protocol, pA: float) -> NestPlan:
    """The NEST objects for *protocol*; *pA* is pA per µA/cm² (the area in cm² · 1e6).

    Raises
    ------
    SimulatorCannotExpress
        For noise stimuli.
    """
    why = refusal(protocol)
    if why:
        raise SimulatorCannotExpress(why)
    dt, n = protocol.dt_ms, protocol.n_steps
    staircase = protocol.held_total + protocol.smooth_mid_values(("ramp",))
    everything = staircase + protocol.smooth_mid_values(("sine",))
    out = NestPlan(first_I_e=[float(everything[k]) * pA for k in range(min(FIRST_STEPS, n))])
    out.notes.append(TIMING_NOTE)
    if n > FIRST_STEPS:
        index, values = change_points(staircase[FIRST_STEPS:], n - FIRST_STEPS)
        index = index + FIRST_STEPS
        keep = (index > FIRST_STEPS) | (values != 0)
        out.step_times = [_grid(k - 1, dt) for k in index[keep]]
        out.step_values = [float(v) * pA for v in values[keep]]
    for part in protocol.smooth:
        if part.stimulus.kind == "sine":
            params = _sine(part, protocol, pA)
            if params is not None:
                out.sines.append(params)
    if any(p.stimulus.kind == "sine" for p in protocol.smooth):
        out.notes.append(SINE_NOTE)
    if any(p.stimulus.kind == "ramp" for p in protocol.smooth):
        out.notes.append(RAMP_NOTE)
    return out


def connect(nest, neuron, nest_plan: NestPlan, dt: float) -> list:
    """Create and connect the generators of *nest_plan* (delay = *dt*); return them."""
    made = []
    if nest_plan.step_times:
        made.append(
            nest.Create(
                "step_current_generator",
                params={
                    "amplitude_times": nest_plan.step_times,
                    "amplitude_values": nest_plan.step_values,
                },
            )
        )
    for params in nest_plan.sines:
        made.append(nest.Create("ac_generator", params=params))
    for generator in made:
        nest.Connect(generator, neuron, syn_spec={"delay": dt})
    return made


__all__ = ["FIRST_STEPS", "NestPlan", "connect", "plan", "refusal"]
