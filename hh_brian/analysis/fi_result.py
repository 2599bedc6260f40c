"""The result of an f-I measurement: rates of the three protocols, thresholds, CSV, summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Quantity, get_dimensions, ms, mV, nA, uA
from brian2.units import cm

from hh_brian.analysis.excitability import Excitability, classify_excitability
from hh_brian.analysis.fi_protocol import PRIME_SPIKES, SPIKES_FOR_A_RATE
from hh_brian.analysis.firing_state import BLOCK, FIRING
from hh_brian.core.output import write_text_atomic
from hh_brian.models.presets import Preset


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
        Steady-state rates (Hz) of the three protocols (:mod:`hh_brian.analysis.fi_curve`).
    spikes_step : ndarray of int
        All spikes of the step protocol, onset included.
    protocol : dict
        ``ramp``, ``prime``, ``prime_current``, ``duration``, ``window``,
        ``min_rate`` as quantities; ``primed`` (bool, see :attr:`primed`).
    wall_time : float
        Seconds spent in ``Network.run``.
    states : dict
        ``'up'``, ``'down'``, ``'step'`` -> :class:`~hh_brian.analysis.firing_state.FiringState`
        of that protocol in the measurement window: rest, firing or block, with the
        oscillation's amplitude.  The rates above are those states' rates (midline
        crossings of the oscillation, so small oscillations whose peaks stay below
        ``V_spike`` have one).
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
    states: dict = field(default_factory=dict)

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
    def state(self) -> np.ndarray:
        """Up-sweep state per current: ``'rest'``, ``'firing'`` or ``'block'``."""
        return self.states["up"].state

    @property
    def amplitude(self) -> Quantity:
        """Up-sweep peak-to-trough amplitude per current (volt; 0 without a full cycle)."""
        return self.states["up"].amplitude

    @property
    def block_onset(self) -> Quantity | None:
        """Smallest current whose up sweep settles in depolarisation block.

        A stable depolarised equilibrium beyond the firing range (for the squid axon,
        above the supercritical Hopf point, ~154.5 uA/cm^2).  A grid value, and within
        ~1-2 uA/cm^2 of the bifurcation for the squid axon: next to it the oscillation
        settles too slowly for the window to tell
        (:mod:`hh_brian.analysis.firing_state`).  An upper bound only when
        :attr:`block_onset_is_upper_bound`.
        """
        return self._first(self.state == BLOCK)

    @property
    def block_onset_is_upper_bound(self) -> bool:
        """The lowest current tested is already in block."""
        return bool(self.state[0] == BLOCK)

    @property
    def bistable(self) -> np.ndarray:
        """Mask of currents where the down sweep fires and the up sweep rests."""
        return (np.asarray(self.rate_down) > 0) & (np.asarray(self.rate_up) == 0)

    @property
    def excitability(self) -> Excitability:
        """Hodgkin's excitability class: 1 (continuous onset), 2 (a jump), or None.

        From the up sweep and, when primed, the down sweep, with :attr:`rate_floor` as
        the slowest resolvable rate (:func:`~hh_brian.analysis.excitability.classify_excitability`).
        """
        _, unit = self.current_column
        return classify_excitability(
            np.asarray(self.currents / unit),
            np.asarray(self.rate_up / Hz),
            np.asarray(self.rate_down / Hz) if self.primed else None,
            float(self.rate_floor / Hz),
            unit="uA/cm^2" if self.is_density else "nA",
        )

    def csv_text(self) -> str:
        """Tidy CSV: one row per current; every header names its unit.

        ``down_primed`` repeats :attr:`primed` on every row (0: the down sweep
        did not start from firing).  ``amplitude_mV`` and ``state`` (``rest``,
        ``firing`` or ``block``) describe the up sweep, as :attr:`amplitude` and
        :attr:`state`.  ``excitability_class`` repeats the curve's class (:attr:`excitability`)
        on every row: ``1``, ``2`` or ``undetermined``.  Columns are only ever appended.
        """
        name, unit = self.current_column
        header = (
            f"{name},rate_up_Hz,rate_down_Hz,rate_step_Hz,spikes_step_count,bistable,down_primed,"
            "amplitude_mV,state,excitability_class"
        )
        rows = [header]
        klass = self.excitability.excitability_class
        klass_text = "undetermined" if klass is None else str(klass)
        currents = np.asarray(self.currents / unit)
        for k, current in enumerate(currents):
            rows.append(
                f"{current:.10g},{float(self.rate_up[k] / Hz):.6f},"
                f"{float(self.rate_down[k] / Hz):.6f},{float(self.rate_step[k] / Hz):.6f},"
                f"{int(self.spikes_step[k])},{int(self.bistable[k])},{int(self.primed)},"
                f"{float(self.amplitude[k] / mV):.6f},{self.state[k]},{klass_text}"
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

    def _state_lines(self) -> list[str]:
        """Depolarisation block and firing below ``V_spike`` (up sweep), one line each."""
        if not self.states:
            return []
        lines = []
        onset = self.block_onset
        if onset is None:
            lines.append("depolarisation block (up sweep): none in range")
        elif self.block_onset_is_upper_bound:
            lines.append(
                f"depolarisation block (up sweep): <= {self._format(onset)} (in block at the "
                "lowest current tested)"
            )
        else:
            lines.append(
                f"depolarisation block (up sweep): from {self._format(onset)} (a stable "
                "depolarised equilibrium; above the last firing current)"
            )
        up = self.states["up"]
        threshold = self.preset.V_spike
        sign = self.preset.convention.sign
        small = (self.state == FIRING) & (np.asarray(sign * (up.peak - threshold)) <= 0)
        if small.any():
            amplitudes = np.asarray(up.amplitude[small] / mV)
            first, last = self.currents[small][0], self.currents[small][-1]
            lines.append(
                f"firing with peaks below V_spike (up sweep): {self._format(first)}"
                f" to {self._format(last)}, "
                f"{amplitudes.min():.3g}-{amplitudes.max():.3g} mV peak to trough"
            )
        return lines

    def _excitability_line(self) -> str:
        result = self.excitability
        klass = result.excitability_class
        label = "undetermined" if klass is None else f"class {klass}"
        return f"excitability: {label} ({result.reason})"

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
            *self._state_lines(),
            f"rates resolved down to {float(self.rate_floor / Hz):.3g} Hz "
            f"({SPIKES_FOR_A_RATE} crossings of the oscillation's midline in the "
            f"{float((stop - start) / ms):g} ms window); "
            "slower firing reads 0 Hz",
            self._excitability_line(),
        ]
        return "\n".join(lines + [f"WARNING: {w}" for w in self.warnings()])


__all__ = ["FICurve"]
