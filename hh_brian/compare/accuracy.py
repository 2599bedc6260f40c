"""How accurate is this run?  A Richardson estimate from a rerun at dt/2.

A method of order ``p`` has, in its asymptotic regime, an error ``e(dt) ~ C dt^p``, so
the difference of a run at ``dt`` and one at ``dt/2`` is ``e(dt) (1 - 2^-p)`` and the
run at ``dt`` is off by about::

    e(dt) ~ |x(dt) - x(dt/2)| * 2^p / (2^p - 1)

(Richardson extrapolation; Hairer, Norsett & Wanner, *Solving Ordinary Differential
Equations I*, section II.4).  It is applied to

* every spike time, matched in order, with ``p = min(order, 2)``: spike times are
  linearly interpolated crossings of ``V_spike``, which are ``O(dt^2)`` whatever the
  method (:data:`hh_brian.compare.convergence.CROSSING_ORDER`);
* the voltage at the common samples ``t_k = k dt`` (max over the run).

The estimate holds only in the asymptotic regime, which two runs cannot prove.  It is
flagged as outside it when the two runs fire a different number of spikes, or when
an estimated error exceeds :data:`~hh_brian.compare.convergence.SATURATION_FRACTION`
of its scale (the shortest inter-spike interval for spike times; the voltage swing
for V): errors that large are shifts of whole spikes, not the smooth ``C dt^p`` of
the scheme.  An estimate within the target is then "uncertain" (advice: a smaller dt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ms, mV

from hh_brian.compare.convergence import CROSSING_ORDER, SATURATION_FRACTION
from hh_brian.engines.reference import INTEGRATORS
from hh_brian.engines.trace import Trace

__all__ = [
    "MEETS",
    "MISSES",
    "UNCERTAIN",
    "AccuracyEstimate",
    "check_accuracy",
    "estimate_accuracy",
    "order_of",
]

#: Verdicts.
MEETS, MISSES, UNCERTAIN = "meets the target", "misses the target", "uncertain"


def order_of(method: str) -> int | None:
    """The declared order of an hh-brian method, or None for a scheme it does not know."""
    integrator = INTEGRATORS.get(method)
    return None if integrator is None else integrator.order


@dataclass(frozen=True)
class AccuracyEstimate:
    """Estimated error of a run at ``dt``, from its rerun at ``dt/2``.

    Attributes
    ----------
    spike_error : Quantity or None
        Estimated max spike-time error (None: no spikes, or the counts differ).
    voltage_error : Quantity
        Estimated max |V error| over the common samples.
    spike_warnings, voltage_warnings : tuple of str
        Why the spike-time or the voltage estimate may be outside the asymptotic regime
        (empty: inside by the tests above).  Only the spike-time ones bear on the verdict.
    """

    method: str
    order: int
    dt: Quantity
    target: Quantity
    n_spikes: int
    n_spikes_half: int
    spike_error: Quantity | None
    voltage_error: Quantity
    spike_warnings: tuple[str, ...] = ()
    voltage_warnings: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.spike_warnings + self.voltage_warnings

    @property
    def spike_order(self) -> int:
        return min(self.order, CROSSING_ORDER)

    @property
    def verdict(self) -> str:
        """:data:`MISSES` if halving dt changes the spike count or the estimate exceeds
        the target; :data:`UNCERTAIN` with no spikes to time, or an estimate within the
        target but outside the asymptotic regime; else :data:`MEETS`."""
        if self.n_spikes != self.n_spikes_half:
            return MISSES
        if self.spike_error is None:
            return UNCERTAIN
        if self.spike_error > self.target:
            return MISSES
        return UNCERTAIN if self.spike_warnings else MEETS

    def advice(self) -> str:
        """One sentence: what to do next."""
        if self.verdict == MEETS:
            return "the run is accurate enough for the target"
        if self.n_spikes != self.n_spikes_half:
            return "halving dt changes the spike count: use a smaller dt"
        if self.spike_error is None:
            return "no spikes to time: judge the voltage error against your own tolerance"
        factor = float(self.spike_error / self.target) if self.target > 0 * ms else np.inf
        if self.verdict == MISSES and np.isfinite(factor):
            shrink = factor ** (1.0 / self.spike_order)
            return (
                f"use dt <= {float(self.dt / ms) / shrink:.3g} ms (error ~ dt^"
                f"{self.spike_order}), or a higher-order method"
            )
        return "use a smaller dt and check again"

    def meta(self) -> dict:
        """Plain numbers for a file's metadata."""
        return {
            "method": self.method,
            "order": self.order,
            "spike_time_order": self.spike_order,
            "dt_ms": float(self.dt / ms),
            "rerun_dt_ms": float(self.dt / ms) / 2,
            "target_ms": float(self.target / ms),
            "n_spikes": self.n_spikes,
            "n_spikes_half_dt": self.n_spikes_half,
            "spike_time_error_ms": None
            if self.spike_error is None
            else float(self.spike_error / ms),
            "voltage_error_mV": float(self.voltage_error / mV),
            "verdict": self.verdict,
            "warnings": list(self.warnings),
            "advice": self.advice(),
            "estimator": "Richardson from dt and dt/2: |x(dt) - x(dt/2)| 2^p/(2^p - 1)",
        }

    def report_lines(self) -> list[str]:
        """A short report for the terminal."""
        dt_ms = float(self.dt / ms)
        spikes = (
            "no spikes"
            if self.spike_error is None and self.n_spikes == self.n_spikes_half
            else f"{self.n_spikes} spikes at dt, {self.n_spikes_half} at dt/2"
            if self.spike_error is None
            else f"{float(self.spike_error / ms):.3g} ms (max over {self.n_spikes} spikes)"
        )
        lines = [
            f"accuracy check: {self.method} (order {self.order}) at dt = {dt_ms:g} ms, "
            f"rerun at dt/2 = {dt_ms / 2:g} ms (Richardson)",
            f"  estimated spike-time error: {spikes}",
            f"  estimated voltage error:    {float(self.voltage_error / mV):.3g} mV (max)",
            f"  verdict: {self.verdict} (target {float(self.target / ms):g} ms): {self.advice()}",
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.report_lines())


def estimate_accuracy(
    run: Trace, half: Trace, target: Quantity, neuron: int = 0
) -> AccuracyEstimate:
    """Richardson estimate of *run*'s error from *half*, the same run at ``dt/2``.

    Raises
    ------
    ValueError
        If *half* is not at half of *run*'s dt, or the method's order is unknown.
    """
    order = order_of(run.method)
    if order is None:
        raise ValueError(f"method {run.method!r} has no declared order")
    dt = run.dt
    if abs(float(half.dt / dt) - 0.5) > 1e-9:
        raise ValueError(f"the rerun's dt {half.dt!r} is not half of {dt!r}")
    spike_order = min(order, CROSSING_ORDER)
    times = np.asarray(run.spikes_of(neuron) / ms)
    times_half = np.asarray(half.spikes_of(neuron) / ms)
    v = np.asarray(run.v[neuron] / mV)
    v_half = np.asarray(half.v[neuron] / mV)[::2][: v.size]
    n = min(v.size, v_half.size)
    voltage_error = _richardson(np.max(np.abs(v[:n] - v_half[:n])), order)
    warnings: list[str] = []
    spike_error = None
    if times.size != times_half.size:
        warnings.append(
            f"halving dt changes the spike count ({times.size} -> {times_half.size}): the run "
            "is outside the method's asymptotic regime"
        )
    elif times.size:
        spike_error = _richardson(np.max(np.abs(times - times_half)), spike_order)
        scale = float(np.min(np.diff(times_half))) if times.size > 1 else float(times_half[0])
        if spike_error > SATURATION_FRACTION * scale:
            warnings.append(
                f"the estimated spike-time error {spike_error:.3g} ms exceeds "
                f"{SATURATION_FRACTION:g} of the shortest inter-spike interval ({scale:.3g} ms): "
                "outside the asymptotic regime, the estimate is unreliable"
            )
    swing = float(np.ptp(v_half[:n])) if n else 0.0
    voltage_warnings = []
    if swing > 0 and voltage_error > SATURATION_FRACTION * swing:
        voltage_warnings.append(
            f"the estimated voltage error {voltage_error:.3g} mV exceeds {SATURATION_FRACTION:g} "
            f"of the voltage swing ({swing:.3g} mV): it measures shifted spikes, not the "
            "scheme's smooth error"
        )
    return AccuracyEstimate(
        method=run.method,
        order=order,
        dt=dt,
        target=target,
        n_spikes=int(times.size),
        n_spikes_half=int(times_half.size),
        spike_error=None if spike_error is None else spike_error * ms,
        voltage_error=voltage_error * mV,
        spike_warnings=tuple(warnings),
        voltage_warnings=tuple(voltage_warnings),
    )


#: Stimulus kinds sampled on each dt's own grid: a rerun at dt/2 would see another input.
DT_DEPENDENT_KINDS = ("noise", "lecture_noise")


def check_accuracy(
    model,
    *,
    current,
    duration: Quantity,
    dt: Quantity,
    method: str,
    target: Quantity = 0.1 * ms,
    engine: str = "brian2",
    **options,
) -> tuple[Trace, AccuracyEstimate]:
    """Run *model* at *dt* and at ``dt/2`` and estimate the first run's error.

    The library form of ``hh-brian simulate --check-accuracy``: both runs go through the
    engine registry (:func:`hh_brian.engines.registry.get_engine`) with the same current,
    and :func:`estimate_accuracy` compares them.

    Parameters
    ----------
    model : CellModel
    current : Quantity, Stimulus or sequence of Stimulus
        Deterministic input (a constant, steps, pulses, ramps, sines); its edges must
        lie on the grid of ``dt/2``.
    duration, dt : Quantity
    method : str
        A method of known order (:func:`order_of`).
    target : Quantity
        Spike-time error the run should meet (default 0.1 ms).
    engine : {'brian2', 'reference'}
    **options
        Passed to the engine's ``run`` (e.g. ``initial_state``).

    Returns
    -------
    run : Trace
        The run at *dt*.
    estimate : AccuracyEstimate
        ``estimate.report_lines()`` prints it; ``estimate.verdict`` is the verdict.

    Raises
    ------
    HHBrianInputError
        A method without a declared order, or an input sampled on each dt's grid (noise).
    """
    from hh_brian.core.errors import HHBrianInputError
    from hh_brian.engines.registry import get_engine

    if order_of(method) is None:
        raise HHBrianInputError(
            f"check_accuracy: method {method!r} has no declared order; use one of "
            f"{', '.join(sorted(INTEGRATORS))}"
        )
    stimuli = current if isinstance(current, list | tuple) else [current]
    noisy = [s.kind for s in stimuli if getattr(s, "kind", None) in DT_DEPENDENT_KINDS]
    if noisy:
        raise HHBrianInputError(
            f"check_accuracy: a {noisy[0]} stimulus is sampled on each dt's own grid, so the "
            "rerun at dt/2 would see a different input; check a deterministic stimulus"
        )
    runner = get_engine(engine)
    runs = [
        runner.run(model, current=current, duration=duration, dt=step, method=method, **options)
        for step in (dt, dt / 2)
    ]
    return runs[0], estimate_accuracy(runs[0], runs[1], target)


def _richardson(difference: float, order: int) -> float:
    """Error of the coarse run from its difference with the run at half the step."""
    factor = 2.0**order
    return float(difference) * factor / (factor - 1.0)
