"""f-I curves in both sweep directions from ONE vectorised NeuronGroup.

For each current the group holds three neurons, all integrated together in a
single ``Network.run`` call:

``up``
    starts at rest with no current; the current rises linearly to its target
    over ``ramp`` and is then held.  The slow rise keeps the neuron on the
    resting branch (no onset transient kicks it into firing), so the up sweep
    starts firing where rest loses stability: for the squid model at the
    subcritical Hopf bifurcation, ~9.78 uA/cm^2.
``down``
    is driven at ``prime_current`` (default: the largest current) until its
    ``PRIME_SPIKES``-th spike, i.e. from the state of a neuron firing at a high
    current, and is switched to its target at the upstroke of that spike (at the
    latest after ``prime``).  It keeps firing down to the fold of limit cycles,
    ~6.26 uA/cm^2 (Rinzel & Miller 1980, Math Biosci 49:27-59).
``step``
    the classical protocol: the target current from t = 0, starting at rest.
    Any spike here gives the single-spike rheobase.

Rates are measured over the last ``MEASURE_FRACTION`` of the hold ``duration``
with the ISI estimator of :func:`hh_brian.analysis.spikes.firing_rate`, which needs
``SPIKES_FOR_A_RATE`` spikes in that window: a periodic train of rate f puts at
least floor(W*f) spikes into a window of length W, so W must span two periods of
the slowest rate to be resolved (``min_rate``, default ``MIN_RATE``); slower
firing reads 0 Hz.  A shorter hold is refused.

Every threshold reported is a grid value: when the lowest current tested
already fires, the true value lies at or below it, and the result says so
(``rheobase_single_is_upper_bound`` and friends) instead of giving a number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    get_dimensions,
    ms,
    nA,
    second,
    uA,
)
from brian2.units import cm

from hh_brian.analysis.spikes import firing_rate
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.output import write_text_atomic
from hh_brian.engines.brian2.fastpath import runtime_codeobj_class
from hh_brian.engines.brian2.settings import brian2_settings
from hh_brian.engines.brian2.simulate import (
    BRIAN2_METHODS,
    blow_up_advice,
    check_time_step,
    coerce_current,
)
from hh_brian.models.kinetics import resting_state
from hh_brian.models.presets import Preset
from hh_brian.render.brian2 import current_quantity_unit, render

#: Spikes fired at the priming current before a down-sweep neuron is switched.
PRIME_SPIKES = 3
#: Fraction of the hold over which the steady-state rate is measured.
MEASURE_FRACTION = 0.5
#: Spikes the ISI estimator needs in the window to give a rate.
SPIKES_FOR_A_RATE = 2
#: Slowest rate a measurement must resolve unless told otherwise: the window must span
#: SPIKES_FOR_A_RATE periods of it (100 ms, i.e. a hold of at least 200 ms).
MIN_RATE = 20 * Hz
POPULATIONS = ("up", "down", "step")

_SWEEP_EQUATIONS = """
I_sweep = I_target + (I_start - I_target)*clip(1 - (t - t_release)/ramp_time, 0, 1) : {unit}
I_start : {unit} (constant)
I_target : {unit} (constant)
ramp_time : second (constant)
t_release : second
n_seen : 1
"""
_RESET = (
    "n_seen += 1\n"
    "t_release = t_release + (t - t_release)*int(n_seen == prime_spikes)*int(t < t_release)"
)


@dataclass(frozen=True, eq=False)
class FICurve:
    """Steady-state firing rate against injected current, both sweep directions.

    Attributes
    ----------
    preset : Preset
    method : str
    dt : Quantity
    currents : Quantity
        The targets as given (a density, A/m^2, or for presets with an area a
        current, A), shape ``(n,)``, increasing.
    rate_up, rate_down, rate_step : Quantity
        Steady-state rates (Hz) of the three protocols (module docstring).
    spikes_step : ndarray of int
        All spikes of the step protocol, onset included.
    protocol : dict
        ``ramp``, ``prime``, ``prime_current``, ``duration``, ``window``,
        ``min_rate`` as quantities; ``primed`` (bool, see :attr:`primed`).
    wall_time : float
        Seconds spent in ``Network.run``.
    """

    preset: Preset
    method: str
    dt: Quantity
    currents: Quantity
    rate_up: Quantity
    rate_down: Quantity
    rate_step: Quantity
    spikes_step: np.ndarray
    protocol: dict = field(default_factory=dict)
    wall_time: float = 0.0

    @property
    def is_density(self) -> bool:
        return get_dimensions(self.currents) is not get_dimensions(nA)

    @property
    def current_column(self) -> tuple[str, Quantity]:
        """CSV column name and display unit of the currents."""
        return ("current_uA_per_cm2", uA / cm**2) if self.is_density else ("current_nA", nA)

    def _first(self, mask: np.ndarray) -> Quantity | None:
        return self.currents[np.argmax(mask)] if mask.any() else None

    @property
    def rheobase_single(self) -> Quantity | None:
        """Smallest current whose step from rest gives at least one spike.

        An upper bound only when :attr:`rheobase_single_is_upper_bound`.
        """
        return self._first(self.spikes_step >= 1)

    @property
    def rheobase_single_is_upper_bound(self) -> bool:
        """The lowest current tested already fires a spike: the rheobase is at or below it."""
        return bool(self.spikes_step[0] >= 1)

    @property
    def rheobase_repetitive(self) -> Quantity | None:
        """Smallest current firing repetitively in the up sweep (from rest).

        An upper bound only when :attr:`rheobase_repetitive_is_upper_bound`.
        """
        return self._first(np.asarray(self.rate_up) > 0)

    @property
    def rheobase_repetitive_is_upper_bound(self) -> bool:
        """The up sweep fires repetitively at the lowest current tested."""
        return bool(np.asarray(self.rate_up)[0] > 0)

    @property
    def onset_down(self) -> Quantity | None:
        """Smallest current still firing in the down sweep (from the firing state)."""
        return self._first(np.asarray(self.rate_down) > 0)

    @property
    def onset_down_is_upper_bound(self) -> bool:
        """The down sweep still fires at the lowest current tested."""
        return bool(np.asarray(self.rate_down)[0] > 0)

    @property
    def onset_rate(self) -> Quantity | None:
        """Down-sweep rate at :attr:`onset_down` (Hz)."""
        mask = np.asarray(self.rate_down) > 0
        return self.rate_down[np.argmax(mask)] if mask.any() else None

    @property
    def primed(self) -> bool:
        """Every down-sweep neuron fired ``PRIME_SPIKES`` spikes at the priming current.

        False: the down sweep did not start from the firing state, so it measures
        nothing about hysteresis (the priming current is too low or ``prime`` too short).
        """
        return bool(self.protocol.get("primed", True))

    @property
    def rate_floor(self) -> Quantity:
        """Slowest rate the window resolves (``SPIKES_FOR_A_RATE`` periods); slower reads 0."""
        start, stop = self.protocol["window"]
        return SPIKES_FOR_A_RATE / (stop - start)

    @property
    def bistable(self) -> np.ndarray:
        """Mask of currents where the down sweep fires and the up sweep rests."""
        return (np.asarray(self.rate_down) > 0) & (np.asarray(self.rate_up) == 0)

    def csv_text(self) -> str:
        """Tidy CSV: one row per current; every header names its unit.

        ``down_primed`` repeats :attr:`primed` on every row (0: the down sweep
        did not start from firing).
        """
        name, unit = self.current_column
        header = (
            f"{name},rate_up_Hz,rate_down_Hz,rate_step_Hz,spikes_step_count,bistable,down_primed"
        )
        rows = [header]
        currents = np.asarray(self.currents / unit)
        for k, current in enumerate(currents):
            rows.append(
                f"{current:.10g},{float(self.rate_up[k] / Hz):.6f},"
                f"{float(self.rate_down[k] / Hz):.6f},{float(self.rate_step[k] / Hz):.6f},"
                f"{int(self.spikes_step[k])},{int(self.bistable[k])},{int(self.primed)}"
            )
        return "\n".join(rows) + "\n"

    def write_csv(self, path: str) -> None:
        """Write :meth:`csv_text` atomically."""
        write_text_atomic(path, self.csv_text())

    def _format(self, value: Quantity) -> str:
        _, unit = self.current_column
        label = "uA/cm^2" if self.is_density else "nA"
        return f"{float(value / unit):.4g} {label}"

    def _threshold(self, value: Quantity | None, upper_bound: bool) -> str:
        if value is None:
            return f"none in range (nothing fires up to {self._format(self.currents[-1])})"
        if upper_bound:
            return (
                f"<= {self._format(value)} (fires at the lowest current tested; "
                "start the sweep lower to measure it)"
            )
        return self._format(value)

    def warnings(self) -> list[str]:
        """Reasons not to trust parts of the result, one line each (empty: none)."""
        if self.primed:
            return []
        prime = self.protocol["prime"]
        return [
            f"down sweep not primed: the priming current "
            f"{self._format(self.protocol['prime_current'])} did not fire {PRIME_SPIKES} "
            f"spikes within {float(prime / ms):g} ms, so the down sweep did not start from "
            "firing; give a priming current that fires repetitively (above the repetitive "
            "rheobase)"
        ]

    def summary(self) -> str:
        """Rheobases, bistable range, onset rate and the rate floor, one line each."""
        rate = "n/a" if self.onset_rate is None else f"{float(self.onset_rate / Hz):.1f} Hz"
        start, stop = self.protocol["window"]
        down = self._threshold(self.onset_down, self.onset_down_is_upper_bound)
        if not self.primed:
            down += "; not primed, so not a down sweep (see WARNING)"
        lines = [
            "rheobase, single spike (step from rest): "
            + self._threshold(self.rheobase_single, self.rheobase_single_is_upper_bound),
            "rheobase, repetitive (up sweep from rest): "
            + self._threshold(self.rheobase_repetitive, self.rheobase_repetitive_is_upper_bound),
            f"lowest current firing in the down sweep: {down}",
            f"rate there: {rate}",
            f"rates resolved down to {float(self.rate_floor / Hz):.3g} Hz "
            f"({SPIKES_FOR_A_RATE} spikes in the {float((stop - start) / ms):g} ms window); "
            "slower firing reads 0 Hz",
        ]
        return "\n".join(lines + [f"WARNING: {w}" for w in self.warnings()])


def check_measurement(
    duration: Quantity, min_rate: Quantity = MIN_RATE, *, what: str = "duration"
) -> Quantity:
    """Refuse a hold whose window cannot hold ``SPIKES_FOR_A_RATE`` periods of *min_rate*.

    Returns the shortest acceptable hold.

    >>> check_measurement(500 * ms)
    200. * msecond
    """
    if get_dimensions(min_rate) is not get_dimensions(Hz) or not float(min_rate / Hz) > 0:
        raise HHBrianInputError(f"min_rate: must be a positive rate, got {min_rate!r}; e.g. 20*Hz")
    shortest = SPIKES_FOR_A_RATE / (MEASURE_FRACTION * min_rate)
    window = MEASURE_FRACTION * duration
    if float(duration / second) < float(shortest / second) * (1 - 1e-9):
        raise HHBrianInputError(
            f"{what}: {float(duration / ms):g} ms leaves a {float(window / ms):g} ms measurement "
            f"window (the last {MEASURE_FRACTION:.0%} of the hold); a rate needs "
            f"{SPIKES_FOR_A_RATE} spikes there, i.e. {SPIKES_FOR_A_RATE} periods of the slowest "
            f"rate to resolve ({float(min_rate / Hz):g} Hz); use {what} "
            f"{float(shortest / ms):g}*ms or longer"
        )
    return shortest


def check_currents(preset: Preset, currents: Quantity) -> Quantity:
    """Validate a 1-D, non-empty, finite, strictly increasing array of currents."""
    values = Quantity(currents)
    coerce_current(preset, values, what="currents")  # units only
    if values.ndim != 1 or values.size == 0:
        raise HHBrianInputError(
            f"currents: expected a non-empty 1-D array, got shape {values.shape}; "
            "e.g. np.arange(0, 20, 0.5)*uA/cm**2"
        )
    magnitudes = np.asarray(values)
    if not np.all(np.isfinite(magnitudes)):
        raise HHBrianInputError("currents: contain NaN or Inf; give finite values")
    if np.any(np.diff(magnitudes) <= 0):
        raise HHBrianInputError("currents: must be strictly increasing; sort them")
    return values


def fi_curve(
    preset: Preset,
    currents: Quantity,
    *,
    duration: Quantity = 500 * ms,
    dt: Quantity = 0.01 * ms,
    method: str = "exponential_euler",
    ramp: Quantity = 100 * ms,
    prime: Quantity = 100 * ms,
    prime_current: Quantity | None = None,
    target: str = "cython",
    min_rate: Quantity = MIN_RATE,
) -> FICurve:
    """Measure the f-I curve of *preset* in both sweep directions.

    Parameters
    ----------
    preset : Preset
    currents : Quantity
        Strictly increasing targets: densities (``uA/cm**2``) or, for presets
        with an area, currents (``nA``).
    duration : Quantity
        Hold time at the target after the ramp/priming; the rate is measured
        over its last half, which must span two periods of *min_rate*
        (:func:`check_measurement`).
    dt : Quantity
    method : {'exponential_euler', 'rk4', 'euler'}
        Passed to Brian2 explicitly.
    ramp : Quantity
        Rise time of the up sweep, from 0 to the target.
    prime : Quantity
        Longest priming phase of the down sweep.
    prime_current : Quantity, optional
        Priming current of the down sweep; defaults to ``max(currents)``.  It
        must make the neuron fire, or the down sweep starts from a non-firing
        state (:attr:`FICurve.primed` and :meth:`FICurve.warnings` tell).
    target : {'cython', 'numpy'}
    min_rate : Quantity
        Slowest rate the measurement must resolve; a *duration* too short for
        it is refused.  Slower firing reads 0 Hz.

    Returns
    -------
    FICurve
    """
    if method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"unknown method {method!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )
    currents = check_currents(preset, currents)
    prime_current = currents[-1] if prime_current is None else Quantity(prime_current)
    for name, value in (("ramp", ramp), ("prime", prime)):
        if get_dimensions(value) is not get_dimensions(second) or not float(value / second) > 0:
            raise HHBrianInputError(f"{name}: must be a positive time, got {value!r}")
    check_time_step(dt, duration)
    check_measurement(duration, min_rate)
    settle = max(ramp, prime)
    total = settle + duration
    n = currents.size
    unit = current_quantity_unit(preset)
    targets = np.asarray(coerce_current(preset, currents) / unit)
    start_high = float(coerce_current(preset, prime_current, what="prime_current") / unit)

    model = render(preset, extra_currents=("I_sweep",))
    equations = model.equations + _SWEEP_EQUATIONS.format(unit=model.current_unit)
    namespace = {**model.namespace, "prime_spikes": PRIME_SPIKES}
    with brian2_settings(target=target):
        group = NeuronGroup(
            3 * n,
            equations,
            threshold=model.threshold,
            refractory=model.refractory,
            reset=_RESET,
            method=method,
            namespace=namespace,
            dt=dt,
            name="fi_curve",
            codeobj_class=runtime_codeobj_class(target),
        )
        rest = resting_state(preset)
        for name in preset.state_variables:
            setattr(group, name, rest[name])
        group.I_inj = 0 * unit
        group.I_target = np.tile(targets, 3) * unit
        group.I_start = np.concatenate([np.zeros(n), np.full(n, start_high), targets]) * unit
        group.ramp_time = (
            np.concatenate([np.full(n, float(ramp / second)), np.full(2 * n, float(dt / second))])
            * second
        )
        group.t_release = (
            np.concatenate([np.zeros(n), np.full(n, float(prime / second)), np.zeros(n)]) * second
        )
        spikes = SpikeMonitor(group)
        network = Network(group, spikes)
        started = time.perf_counter()
        network.run(total, namespace=namespace)
        wall = time.perf_counter() - started
    final = {name: np.asarray(getattr(group, name)[:]) for name in preset.state_variables}
    if not all(np.isfinite(values).all() for values in final.values()):
        raise SimulationBlowUpError(
            f"{method} with dt = {float(dt / ms):g} ms blew up in the f-I run (preset "
            f"{preset.name}); {blow_up_advice(method)}"
        )
    window_start = total - MEASURE_FRACTION * duration
    rates = firing_rate(spikes.i[:], spikes.t[:], 3 * n, window_start, total)
    released = np.asarray(group.t_release[n : 2 * n] / second)
    return FICurve(
        preset=preset,
        method=method,
        dt=dt,
        currents=currents,
        rate_up=rates[:n],
        rate_down=rates[n : 2 * n],
        rate_step=rates[2 * n :],
        spikes_step=np.bincount(np.asarray(spikes.i[:]), minlength=3 * n)[2 * n :],
        protocol={
            "ramp": ramp,
            "prime": prime,
            "prime_current": prime_current,
            "duration": duration,
            "window": (window_start, total),
            "min_rate": min_rate,
            "primed": bool(np.all(released < float(prime / second))),
        },
        wall_time=wall,
    )


__all__ = [
    "FICurve",
    "MEASURE_FRACTION",
    "MIN_RATE",
    "POPULATIONS",
    "PRIME_SPIKES",
    "SPIKES_FOR_A_RATE",
    "check_currents",
    "check_measurement",
    "fi_curve",
]
