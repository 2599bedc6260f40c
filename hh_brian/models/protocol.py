"""Protocols: a whole single-cell experiment (stimuli, initial state, synaptic input) as data.

A protocol file is TOML; the schema is a contract (extensions marked)::

    [protocol]
    duration = "450*ms"
    dt = "0.01*ms"                # optional; the command line may override
    method = "rk4"                # extension, optional
    [initial]
    v = "-65*mV"                  # gates at their steady state there unless given
    n = 0.32
    [parameters]                  # extension: model overrides, as --set NAME=EXPR
    celsius = "16.3"
    [[current]]
    kind = "step"                 # any --current kind, same parameter names
    amplitude = "10*uA/cm**2"
    onset = "100*ms"
    offset = "200*ms"
    [[synapse]]                   # synaptic input from given spike times
    preset = "cobahh_exc"
    weight = "6*nS"               # or a density such as "0.1*mS/cm**2"
    times_ms = [10.0, 20.5, 31.0]
    delay = "0*ms"                # extension: arrival = spike time + delay
    E_rev = "0*mV"                # extension: override the preset's E_rev, tau_decay,
                                  # tau_rise

Currents add; several ``[[synapse]]`` tables may use different presets.  Every
error names the file and the key, with the expected form.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, get_dimensions, meter, ms, second, siemens

from hh_brian.core.errors import HHBrianInputError, closest_names
from hh_brian.core.expressions import evaluate
from hh_brian.models.stimuli import stimulus_from_mapping
from hh_brian.models.stimulus_base import Stimulus, as_time
from hh_brian.models.synapse_library import get_synapse
from hh_brian.models.synapse_preset import SynapsePreset

#: Largest protocol file read (bytes).
MAX_FILE_BYTES = 1_000_000
#: Most spike times in one ``[[synapse]]`` table (bounded memory).
MAX_SPIKES = 1_000_000
_SECTIONS = ("protocol", "initial", "parameters", "current", "synapse")
_PROTOCOL_KEYS = ("duration", "dt", "method")
_SYNAPSE_KEYS = ("preset", "weight", "times_ms", "delay", "E_rev", "tau_decay", "tau_rise")


@dataclass(frozen=True, eq=False)
class SpikeInput:
    """Synaptic input to a single cell from given presynaptic spike times.

    Each spike arrives at ``time + delay`` and adds ``weight`` to the receptor's
    conductance, which then follows the preset's kinetics
    (:meth:`SynapsePreset.conductance`).

    Attributes
    ----------
    preset : SynapsePreset
    weight : Quantity
        Peak conductance per event: siemens (models with an area) or a density,
        siemens/meter**2.
    times : Quantity
        Presynaptic spike times, sorted, shape ``(n_spikes,)``.
    delay : Quantity
    """

    preset: SynapsePreset
    weight: Quantity
    times: Quantity
    delay: Quantity = field(default_factory=lambda: 0 * ms)

    def __post_init__(self) -> None:
        what = f"synapse {self.preset.name}"
        weight = self.weight
        if isinstance(weight, str):
            weight = evaluate(weight, what=f"{what} weight", example="'6*nS'")
        if get_dimensions(weight) not in (
            get_dimensions(siemens),
            get_dimensions(siemens / meter**2),
        ) or np.ndim(weight):
            raise HHBrianInputError(
                f"{what} weight: {weight!r} is not one conductance; e.g. '6*nS' (a model "
                "with an area) or '0.1*mS/cm**2'"
            )
        if not np.isfinite(float(np.asarray(weight))) or float(np.asarray(weight)) < 0:
            raise HHBrianInputError(
                f"{what} weight: must be finite and >= 0, got {weight!r}; inhibition comes "
                "from the preset's reversal potential"
            )
        object.__setattr__(self, "weight", Quantity(weight))
        times = np.asarray(self.times / second if isinstance(self.times, Quantity) else self.times)
        if get_dimensions(self.times) is not get_dimensions(second) and np.size(times):
            raise HHBrianInputError(f"{what} times: give times, e.g. [10.0, 20.5] in times_ms")
        times = np.sort(np.asarray(times, dtype=float).ravel())
        if times.size > MAX_SPIKES:
            raise HHBrianInputError(f"{what} times: more than {MAX_SPIKES} spikes")
        if not np.all(np.isfinite(times)) or (times.size and times[0] < 0):
            raise HHBrianInputError(f"{what} times: must be finite and >= 0")
        object.__setattr__(self, "times", times * second)
        object.__setattr__(self, "delay", as_time(self.delay, f"{what} delay"))

    @property
    def arrivals(self) -> np.ndarray:
        """Arrival times, seconds, sorted."""
        return np.asarray((self.times + self.delay) / second, dtype=float)

    def describe(self) -> str:
        """One line: preset, weight, number of spikes."""
        return f"{self.preset.name} synapse, {self.weight!r} x {self.times.size} spikes"


@dataclass(frozen=True, eq=False)
class Protocol:
    """A single-cell protocol: summed stimuli, initial state, synaptic input, settings.

    Attributes
    ----------
    currents : tuple of Stimulus
    synapses : tuple of SpikeInput
    duration, dt : Quantity or None
        None leaves the choice to the caller (command-line defaults).
    method : str or None
    initial : dict or None
        ``{"v": Quantity, gate: float, ...}``; None starts at the computed rest.
    parameters : dict
        Model overrides by name (text), applied like ``--set``.
    source : str
        Where the protocol came from (a path, or ``"command line"``).
    """

    currents: tuple[Stimulus, ...] = ()
    synapses: tuple[SpikeInput, ...] = ()
    duration: Quantity | None = None
    dt: Quantity | None = None
    method: str | None = None
    initial: dict[str, object] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    source: str = "command line"

    def describe(self) -> str:
        """The stimuli and synaptic inputs, one line."""
        parts = [s.describe() for s in self.currents] + [s.describe() for s in self.synapses]
        return " + ".join(parts) or "no input"


def initial_state_at(v0_text: str) -> dict[str, object]:
    """``{"v": v0}`` from text such as ``'-70*mV'`` (gates at their steady state there)."""
    from brian2 import volt

    value = evaluate(v0_text, what="v0", example="'-70*mV'")
    if get_dimensions(value) is not get_dimensions(volt) or np.ndim(value):
        raise HHBrianInputError(f"v0: {v0_text!r} is not one voltage; e.g. '-70*mV'")
    return {"v": value}


class _File:
    """Error context for one protocol file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> HHBrianInputError:
        return HHBrianInputError(f"{self.path}: [{key}] {message}")

    def table(self, data: Mapping, key: str, allowed: Sequence[str]) -> Mapping:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table")
        for name in value:
            if name not in allowed:
                raise self.error(
                    key,
                    f"unknown key {name!r}.{closest_names(name, allowed)} "
                    f"Valid keys: {', '.join(allowed)}",
                )
        return value

    def tables(self, data: Mapping, key: str) -> list[Mapping]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(key, f"must be an array of tables: [[{key}]]")
        return value


def read_protocol(path: str | Path) -> Protocol:
    """Read a protocol file (the schema is in the module docstring).

    Raises
    ------
    HHBrianInputError
        Naming the file and key: a missing, oversized or malformed file, an
        unknown section or key, a value without units or in the wrong units,
        or an invalid stimulus or synapse.
    """
    file = _File(Path(path))
    if not file.path.is_file():
        raise HHBrianInputError(f"{file.path}: protocol file not found")
    if file.path.stat().st_size > MAX_FILE_BYTES:
        raise HHBrianInputError(f"{file.path}: too large for a protocol file")
    try:
        data = tomllib.loads(file.path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HHBrianInputError(f"{file.path}: not valid TOML ({exc})") from None
    for section in data:
        if section not in _SECTIONS:
            raise HHBrianInputError(
                f"{file.path}: unknown section [{section}].{closest_names(section, _SECTIONS)} "
                f"Valid sections: {', '.join(_SECTIONS)}"
            )
    head = file.table(data, "protocol", _PROTOCOL_KEYS)
    try:
        duration = (
            as_time(head["duration"], "duration", positive=True) if "duration" in head else None
        )
        dt = as_time(head["dt"], "dt", positive=True) if "dt" in head else None
    except HHBrianInputError as exc:
        raise file.error("protocol", str(exc)) from None
    initial = dict(data.get("initial", {}))
    if initial:
        try:
            initial = {
                k: (evaluate(v, what=f"initial {k}") if isinstance(v, str) else v)
                for k, v in initial.items()
            }
        except HHBrianInputError as exc:
            raise file.error("initial", str(exc)) from None
    parameters = {str(k): str(v) for k, v in data.get("parameters", {}).items()}
    currents = []
    for n, table in enumerate(file.tables(data, "current"), 1):
        entry = dict(table)
        kind = entry.pop("kind", None)
        if not isinstance(kind, str):
            raise file.error(f"current #{n}", 'needs kind = "step" (or another stimulus kind)')
        try:
            currents.append(stimulus_from_mapping(kind, entry))
        except HHBrianInputError as exc:
            raise file.error(f"current #{n}", str(exc)) from None
    synapses = [_synapse(file, n, t) for n, t in enumerate(file.tables(data, "synapse"), 1)]
    method = head.get("method")
    if method is not None and not isinstance(method, str):
        raise file.error("protocol", f"method must be text, got {method!r}")
    return Protocol(
        currents=tuple(currents),
        synapses=tuple(synapses),
        duration=duration,
        dt=dt,
        method=method,
        initial=initial or None,
        parameters=parameters,
        source=str(file.path),
    )


def _synapse(file: _File, n: int, table: Mapping) -> SpikeInput:
    key = f"synapse #{n}"
    for name in table:
        if name not in _SYNAPSE_KEYS:
            raise file.error(
                key,
                f"unknown key {name!r}.{closest_names(name, _SYNAPSE_KEYS)} "
                f"Valid keys: {', '.join(_SYNAPSE_KEYS)}",
            )
    if "preset" not in table or "times_ms" not in table:
        raise file.error(key, 'needs preset = "cobahh_exc" and times_ms = [10.0, 20.5]')
    times = table["times_ms"]
    if not isinstance(times, list) or not all(
        isinstance(t, int | float) and not isinstance(t, bool) for t in times
    ):
        raise file.error(key, "times_ms must be a list of numbers (ms), e.g. [10.0, 20.5]")
    try:
        preset = get_synapse(str(table["preset"]))
        overrides = {
            name: evaluate(str(table[name]), what=f"{key} {name}")
            for name in ("E_rev", "tau_decay", "tau_rise")
            if name in table
        }
        preset = preset.with_parameters(**overrides) if overrides else preset
        weight = table.get("weight", preset.weight)
        delay = table.get("delay", 0 * ms)
        return SpikeInput(preset, weight, np.asarray(times, dtype=float) * ms, delay)
    except HHBrianInputError as exc:
        raise file.error(key, str(exc)) from None


__all__ = [
    "MAX_FILE_BYTES",
    "Protocol",
    "SpikeInput",
    "initial_state_at",
    "read_protocol",
]
