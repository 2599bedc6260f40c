"""A :class:`~.protocol.Protocol` as NEURON's own current clamps.

========================  ===========================================================
hh-brian stimulus         NEURON
========================  ===========================================================
constant                  one ``IClamp`` (del 0, dur to the end, amp)
step                      one ``IClamp`` (del = onset, dur = offset - onset or to the
                          end, amp); a non-zero baseline adds a second, always on
pulses                    one ``IClamp`` per pulse (up to :data:`MAX_PULSE_CLAMPS`),
                          else as a sampled waveform
sampled, lecture_noise    one ``IClamp`` whose ``amp`` is set by
                          ``Vector.play(clamp._ref_amp, tvec, 0)`` at the change times
ramp, sine, noise         one ``IClamp`` with ``Vector.play(..., tvec, 1)`` (continuous)
                          of their sum sampled on the grid, both one-sided values
                          at an on/off edge (a repeated time is a jump in NEURON)
========================  ===========================================================

Amplitudes: ``amp`` [nA] = J [µA/cm²] · A [µm²] · 1e-5.

Semantics.  NEURON's fixed step evaluates point-process currents at the middle
of each step (``t + dt/2``).  A clamp edge on the grid therefore switches the
current exactly at a step boundary, and a held stimulus is the same piecewise-
constant current hh-brian's engines integrate.  A smooth stimulus is read at the
step's middle from the linear interpolation of its grid samples: the midpoint
value to O(dt²) (exact for a ramp), where hh-brian's engines read it at each
stage's time; for noise, hh-brian also interpolates its path linearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hh_brian.engines.simulators.protocol import HeldPart, Protocol, change_points

#: A pulse train with more pulses than this is played as a waveform instead.
MAX_PULSE_CLAMPS = 100
#: ``dur`` of a clamp that stays on to the end of any run (ms).
FOREVER_MS = 1e9
#: Relative size of a jump in a smooth stimulus that is kept as a discontinuity.
JUMP_TOLERANCE = 1e-12

HELD_NOTE = (
    "NEURON reads clamp currents at the middle of each fixed step; edges on the grid, so "
    "the held current is the one hh-brian integrates"
)
SMOOTH_NOTE = (
    "{kinds}: Vector.play(continuous=1) of grid samples, read at each step's middle by "
    "linear interpolation (O(dt^2) from the exact value; hh-brian's engines read the "
    "stimulus at each stage's time)"
)


@dataclass
class NeuronStimulus:
    """The clamps and vectors of one run (kept referenced while it runs)."""

    objects: list = field(default_factory=list)
    clamps: int = 0
    pieces: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return f"IClamp x{self.clamps}: " + "; ".join(self.pieces)


def _clamp(h, seg, out: NeuronStimulus, delay: float, dur: float, amp: float):
    clamp = h.IClamp(seg)
    clamp.delay, clamp.dur, clamp.amp = delay, dur, amp
    out.objects.append(clamp)
    out.clamps += 1
    return clamp


def _play(h, seg, out: NeuronStimulus, times, values, continuous: bool) -> None:
    clamp = _clamp(h, seg, out, 0.0, FOREVER_MS, float(values[0]))
    tvec, vec = h.Vector(np.asarray(times, float)), h.Vector(np.asarray(values, float))
    vec.play(clamp._ref_amp, tvec, 1 if continuous else 0)
    out.objects += [tvec, vec]


def _pulses(h, seg, out, part: HeldPart, protocol: Protocol, nA: float) -> bool:
    """One IClamp per pulse; False if there are too many."""
    s = part.stimulus
    onset, width, period = (float(x) * 1e3 for x in (s.onset, s.width, s.period))
    span = protocol.duration_ms - onset
    n = int(np.ceil(span / period - 1e-9)) if span > 0 else 0
    n = n if s.count is None else min(n, int(s.count))
    if n > MAX_PULSE_CLAMPS:
        return False
    amp = part.density(s.amplitude) * nA
    for j in range(n):
        _clamp(h, seg, out, onset + j * period, width, amp)
    out.pieces.append(f"{n} pulse(s) (del, dur, amp = {width:g} ms, {amp:.6g} nA)")
    return True


def _held(h, seg, out: NeuronStimulus, part: HeldPart, protocol: Protocol, nA: float) -> None:
    s, kind = part.stimulus, part.stimulus.kind
    if kind == "constant":
        amp = part.density(s.amplitude) * nA
        _clamp(h, seg, out, 0.0, FOREVER_MS, amp)
        out.pieces.append(f"constant (del 0, dur to the end, amp {amp:.6g} nA)")
        return
    if kind == "step":
        base = part.density(s.baseline) * nA
        if base:
            _clamp(h, seg, out, 0.0, FOREVER_MS, base)
        onset = float(s.onset) * 1e3
        dur = FOREVER_MS if s.offset is None else float(s.offset - s.onset) * 1e3
        amp = part.density(s.amplitude) * nA - base
        _clamp(h, seg, out, onset, dur, amp)
        shown = "to the end" if s.offset is None else f"{dur:g} ms"
        extra = f" on a baseline clamp of {base:.6g} nA" if base else ""
        out.pieces.append(f"step (del {onset:g} ms, dur {shown}, amp {amp:.6g} nA){extra}")
        return
    if kind == "pulses" and _pulses(h, seg, out, part, protocol, nA):
        return
    index, values = change_points(part.values, protocol.n_steps)
    _play(h, seg, out, index * protocol.dt_ms, values * nA, continuous=False)
    out.pieces.append(f"{kind} via Vector.play of amp at {index.size} change time(s)")


def smooth_samples(protocol: Protocol) -> tuple[np.ndarray, np.ndarray]:
    """(t_ms, µA/cm²) of the smooth parts on the grid, a repeated time at each jump.

    At each grid time the value seen from the step before and from the step after
    (their windows differ at an onset or offset); the last point is repeated one
    step later so that NEURON never extrapolates.
    """
    dt, n = protocol.dt_ms, protocol.n_steps
    times: list[float] = []
    values: list[float] = []
    scale = 0.0
    for k in range(n + 1):
        t = k * dt
        right = sum(p.value(t, t) for p in protocol.smooth) if k < n else None
        left = sum(p.value(t, t - dt) for p in protocol.smooth) if k else None
        for value in (left, right):
            if value is None:
                continue
            scale = max(scale, abs(value))
            if values and times[-1] == t and abs(values[-1] - value) <= JUMP_TOLERANCE * scale:
                continue
            times.append(t)
            values.append(value)
    times.append((n + 1) * dt)
    values.append(values[-1])
    return np.asarray(times), np.asarray(values)


def attach(h, seg, protocol: Protocol, area_um2: float) -> NeuronStimulus:
    """Insert the clamps of *protocol* at *seg* (area *area_um2* in µm²)."""
    nA = area_um2 * 1e-5
    out = NeuronStimulus()
    if protocol.from_quantity:
        amp = protocol.held_total[0] * nA
        _clamp(h, seg, out, 0.0, FOREVER_MS, amp)
        out.pieces.append(f"constant (del 0, dur to the end, amp {amp:.6g} nA)")
        return out
    for part in protocol.held:
        _held(h, seg, out, part, protocol, nA)
    out.notes.append(HELD_NOTE)
    if protocol.smooth:
        times, values = smooth_samples(protocol)
        _play(h, seg, out, times, values * nA, continuous=True)
        kinds = ", ".join(dict.fromkeys(p.stimulus.kind for p in protocol.smooth))
        out.pieces.append(f"{kinds} via Vector.play(continuous=1) at {times.size} points")
        out.notes.append(SMOOTH_NOTE.format(kinds=kinds))
    return out


__all__ = ["MAX_PULSE_CLAMPS", "NeuronStimulus", "attach", "smooth_samples"]
