"""One simulation from the command line: validate everything, run, write atomically.

All input is checked before any work starts; output files are written only
after the run succeeded, each atomically.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from brian2 import Quantity, amp, cm, meter, ms, mV, nA, second, uA

from hh_brian.cli.options import naming_flags
from hh_brian.cli.stimulus_options import parse_current_options
from hh_brian.core.defaults import DEFAULT_METHOD
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.core.memory import DEFAULT_MEMORY_LIMIT, FLOAT_BYTES, check_memory
from hh_brian.core.output import PLOT_SUFFIXES, atomic_paths, check_output_path, meta_json, versions
from hh_brian.core.progress import Progress
from hh_brian.core.timegrid import check_time_step
from hh_brian.engines.brian2.simulate import coerce_current
from hh_brian.models.cell import CellModel as Preset
from hh_brian.models.kinetics import check_initial_state
from hh_brian.models.plausibility import current_warnings, time_step_warnings
from hh_brian.models.protocol import Protocol


def parse_time(text: str, what: str) -> object:
    """Parse a positive time such as ``'0.01*ms'``."""
    value = evaluate(text, what=what, example="'0.01*ms'")
    from hh_brian.core.expressions import check_dimensions

    check_dimensions(value, second, what=what, example="'0.01*ms'")
    return value


def parse_current(preset: Preset, text: str) -> object:
    """Parse an injected current and convert it to the preset's units."""
    value = evaluate(text, what="--current", example="'10*uA/cm**2'")
    if not np.all(np.isfinite(np.asarray(value))):
        raise HHBrianInputError(f"--current: {text!r} is not finite; e.g. '10*uA/cm**2'")
    return coerce_current(preset, value, what="--current")


def _shown_current(preset: Preset, current) -> str:
    """The current in customary units (nA or uA/cm**2), as Brian2 text."""
    from hh_brian.models.presets import display_value

    return display_value(current, "cm")


def simulation_meta(
    preset: Preset, *, method: str, dt, duration, current, engine: str, protocol=None
) -> dict:
    """Provenance of one run: preset, convention, method, dt, every parameter, versions.

    *current* is the constant current, or None when the input varies in time;
    *protocol* (a :class:`~hh_brian.models.protocol.Protocol`) is described in full.
    """
    constant = current is not None
    unit = amp if preset.has_area else amp / meter**2
    return {
        "preset": preset.name,
        "convention": preset.convention.name,
        "convention_description": preset.convention.description,
        "engine": engine,
        "method": method,
        "dt_ms": float(dt / ms),
        "duration_ms": float(duration / ms),
        "current": _shown_current(preset, current) if constant else protocol.describe(),
        "current_unit": "amp" if preset.has_area else "amp/meter**2",
        "current_value_SI": float(np.asarray(current / unit)) if constant else None,
        "protocol": None if protocol is None else protocol.source,
        "stimuli": [] if protocol is None else [s.describe() for s in protocol.currents],
        "synapses": [] if protocol is None else [s.describe() for s in protocol.synapses],
        "initial_state": None
        if protocol is None or protocol.initial is None
        else {k: str(v) for k, v in protocol.initial.items()},
        "parameters": {name: preset.display(name) for name in preset.parameters},
        "rates": dict(preset.rates),
        "phi": {ch.name: preset.phi(ch) for ch in preset.channels if ch.q10 is not None},
        "citation": str(preset.citation),
        "versions": versions(),
    }


def command_protocol(
    *,
    protocol_path: str | None,
    current_texts: Sequence[str] | None,
    v0_text: str | None,
    dt_text: str | None,
    duration_text: str | None,
    method: str | None,
) -> Protocol:
    """One protocol from a file and the command line: currents add, the rest override.

    Defaults: 10 uA/cm**2 when no input is given at all, dt 0.01 ms, 100 ms,
    rush_larsen2 (:mod:`hh_brian.core.defaults`), the computed rest.
    """
    from hh_brian.models.protocol import (
        Protocol,
        initial_state_at,
        read_protocol,
    )

    if protocol_path and str(protocol_path).endswith(".xml"):
        from hh_brian.exchange.lems_simulation import read_lems_protocol

        lems = read_lems_protocol(protocol_path)
        base = Protocol(
            currents=lems.stimuli, duration=lems.duration, dt=lems.dt, source=str(protocol_path)
        )
    else:
        base = read_protocol(protocol_path) if protocol_path else Protocol()
    with naming_flags(current="--current", v0="--v0"):
        currents = (
            *base.currents,
            *(parse_current_options(current_texts) if current_texts else ()),
        )
        initial = initial_state_at(v0_text) if v0_text else base.initial
    if not currents and not base.synapses:
        currents = tuple(parse_current_options(["10*uA/cm**2"]))
    dt = parse_time(dt_text, "--dt") if dt_text else base.dt or 0.01 * ms
    duration = (
        parse_time(duration_text, "--duration") if duration_text else base.duration or 100 * ms
    )
    return replace(
        base,
        currents=currents,
        initial=initial,
        dt=dt,
        duration=duration,
        method=method or base.method or DEFAULT_METHOD,
    )


def run_single(
    *,
    preset: Preset,
    protocol: Protocol,
    engine: str,
    out: str,
    plot: str | None,
    recording: Recording | None = None,
    check_accuracy: bool = False,
    target_text: str = "0.1*ms",
    progress: Progress = None,
    noise: object = None,
) -> tuple[Path, object]:
    """Validate, simulate one neuron under *protocol*, write ``out`` (NPZ) and a figure;
    return the path written and the engine's result.

    The NPZ holds ``t_ms``, ``v_mV`` (model's convention), every gate the engine
    records by name (``m``, ``h``, ``n``, ... one sample per step), the injected
    current ``I_inj_uA_per_cm2`` (or ``I_inj_nA`` for a model with an area, at
    the same times), ``spikes_ms`` and ``meta`` (JSON string).  *engine* is any
    registered engine (:mod:`hh_brian.engines.registry`); hh-brian's own engines
    take the protocol's method, initial state and synaptic input; the external
    simulators use their own scheme (recorded in ``meta``).  With *check_accuracy*
    the run is repeated at dt/2 and the estimated error
    (:mod:`hh_brian.compare.accuracy`) is printed and stored in ``meta["accuracy"]``.
    *progress* (the Brian2 engine) receives code generation, compilation and run
    progress.  *noise* (a :class:`~hh_brian.noise.spec.ChannelNoise`) runs the cell with
    channel noise on its own engine (:mod:`hh_brian.noise.run`); ``meta`` records it.
    """
    from hh_brian.engines.registry import canonical_name, get_engine, is_available
    from hh_brian.models.drive import make_drive

    try:
        engine = canonical_name(engine)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"--engine: {exc}") from None
    runner = get_engine(engine)
    if noise is not None and noise.is_noisy:
        from hh_brian.noise.run import NoiseRunner

        if engine not in ("brian2", "reference"):
            raise HHBrianInputError(f"--engine {engine}: channel noise runs on brian2/reference")
        runner = NoiseRunner(noise)
        engine = runner.name
        if runner.cannot_express(preset):
            raise HHBrianInputError(
                f"--channel-noise {noise.kind}: {runner.cannot_express(preset)}"
            )
    if not is_available(engine):
        raise HHBrianInputError(
            f"--engine: {engine} is not installed; install it with `{runner.install_hint}`"
        )
    problem = runner.cannot_express(preset)
    if problem:
        raise HHBrianInputError(f"--engine {engine}: {problem}")
    own = runner.package is None
    method = protocol.method
    if own and method not in runner.methods:
        raise HHBrianInputError(
            f"--method: unknown method {method!r} for engine {engine}; use one of "
            f"{', '.join(runner.methods)}"
        )
    dt, duration = protocol.dt, protocol.duration
    n_steps = check_time_step(dt, duration)
    recording = recording or Recording()
    variables = recording.variables_for(preset, engine)
    if recording.record_dt is not None:
        from hh_brian.engines.brian2.recording import record_step

        with naming_flags(record_dt="--record-dt"):
            record_step(dt, recording.record_dt)
    with naming_flags(memory_limit="--memory-limit MiB"):
        check_memory(
            recording.estimate(n_steps, dt, len(variables)),
            recording.limit,
            f"simulate ({n_steps} steps)",
            "downsample with --record-dt, record fewer variables (--record v), shorten the run",
        )
    with naming_flags(current="--current"):
        drive = make_drive(preset, protocol.currents, dt, duration)
    if drive.columns != 1:
        raise HHBrianInputError("--current: expected one value per stimulus, got an array")
    samples = drive.samples()
    extremes = Quantity(np.array([np.min(samples), np.max(samples)]), dim=samples.dim)
    for warning in current_warnings(preset, extremes) + time_step_warnings(preset, dt):
        print(f"hh-brian: warning: {warning}", file=sys.stderr)
    if not own and (protocol.initial or protocol.synapses):
        raise HHBrianInputError(
            f"--engine {engine}: an initial state (--v0, [initial]) and synaptic input run on "
            "hh-brian's engines; use --engine brian2 or reference"
        )
    target = _check_accuracy_inputs(protocol, own, target_text) if check_accuracy else None
    out_path = check_output_path(out, (".npz",), "--out")
    plot_path = check_output_path(plot, PLOT_SUFFIXES, "--plot") if plot else None
    current = drive.held[0, 0] if drive.is_constant else None
    options = {"method": method} if own else {}
    if engine == "brian2" and progress is not None:
        options["progress"] = progress
    if own:
        if protocol.initial:
            options["initial_state"] = check_initial_state(preset, protocol.initial)
        if protocol.synapses:
            options["synapses"] = protocol.synapses
    if recording.record_dt is not None or recording.variables is not None:
        options.update(record_dt=recording.record_dt, variables=variables)
    result = runner.run(
        preset,
        current=current if current is not None else drive,
        duration=duration,
        dt=dt,
        **options,
    )
    meta = simulation_meta(
        preset,
        method=result.method,
        dt=dt,
        duration=duration,
        current=current,
        engine=engine,
        protocol=protocol,
    )
    if noise is not None and noise.is_noisy:
        meta["channel_noise"] = {**noise.describe(), "counts": result.info["channel_counts"]}
    if check_accuracy:
        meta["accuracy"] = _accuracy(result, preset, protocol, runner, options, target)
    unit, key = (nA, "I_inj_nA") if preset.has_area else (uA / cm**2, "I_inj_uA_per_cm2")
    injected = np.asarray(drive.samples()[:, 0] / unit)
    arrays = {
        "t_ms": np.asarray(result.t / ms),
        "v_mV": np.asarray(result.traces["v"][0] / mV),
        **{g: np.asarray(result.traces[g][0]) for g in preset.gate_names if g in result.traces},
        key: injected[:: recording.stride(dt)][: result.t.size],
        "spikes_ms": np.asarray(result.spikes_of(0) / ms),
        "meta": np.array(meta_json(meta)),
    }
    outputs = [out_path] + ([plot_path] if plot_path else [])
    with atomic_paths(*outputs) as temporaries:
        with open(temporaries[0], "wb") as handle:
            np.savez(handle, **arrays)
        if plot_path:
            from hh_brian.report.plotting import plot_trace

            shown = current if current is not None else drive.samples()[:: recording.stride(dt), 0]
            plot_trace(result, temporaries[1], current_label=protocol.describe(), current=shown)
    return out_path, result


@dataclass(frozen=True)
class Recording:
    """What ``simulate`` records: ``--record-dt``, ``--record`` and ``--memory-limit``."""

    record_dt: object = None
    variables: tuple[str, ...] | None = None
    limit: int = DEFAULT_MEMORY_LIMIT

    @classmethod
    def from_text(
        cls, record_dt: str | None, variables: str | None, limit_mib: float | None
    ) -> Recording:
        """Parse the three options (times with units, a comma list, MiB)."""
        step = parse_time(record_dt, "--record-dt") if record_dt else None
        names = None
        if variables:
            names = tuple(v.strip() for v in variables.split(",") if v.strip())
            if not names:
                raise HHBrianInputError("--record: give variable names, e.g. --record v,m")
        if limit_mib is not None and not limit_mib > 0:
            raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {limit_mib}")
        limit = DEFAULT_MEMORY_LIMIT if limit_mib is None else int(limit_mib * 2**20)
        return cls(step, names, limit)

    def variables_for(self, preset: Preset, engine: str) -> list[str]:
        """The recorded state variables (``v`` always); only Brian2 downsamples or selects."""
        if self.variables is None and self.record_dt is None:
            return list(preset.state_variables)
        if engine != "brian2":
            raise HHBrianInputError(
                f"--record-dt and --record: the {engine} engine records every variable at "
                "every step; use --engine brian2"
            )
        if self.variables is None:
            return list(preset.state_variables)
        unknown = set(self.variables) - set(preset.state_variables)
        if unknown:
            raise HHBrianInputError(
                f"--record: unknown variable(s) {sorted(unknown)}; the state is "
                f"{', '.join(preset.state_variables)}"
            )
        return [n for n in preset.state_variables if n == "v" or n in self.variables]

    def stride(self, dt) -> int:
        """Steps per recorded sample."""
        return 1 if self.record_dt is None else max(1, int(round(float(self.record_dt / dt))))

    def estimate(self, n_steps: int, dt, n_variables: int) -> int:
        """Bytes: recorded samples (monitor and result copies, plus t and the current)
        and the per-step stimulus table (and its Brian2 copy)."""
        samples = n_steps // self.stride(dt) + 1
        return FLOAT_BYTES * (2 * samples * (n_variables + 2) + 2 * (n_steps + 1))


def _check_accuracy_inputs(protocol: Protocol, own: bool, target_text: str):
    """The --target of --check-accuracy; refuse what a rerun at dt/2 cannot check."""
    from hh_brian.compare.accuracy import order_of

    if not own:
        raise HHBrianInputError(
            "--check-accuracy: needs a method of known order; use --engine brian2 or reference"
        )
    if order_of(protocol.method) is None:
        raise HHBrianInputError(f"--check-accuracy: method {protocol.method!r} has no order")
    noisy = [s.kind for s in protocol.currents if s.kind in ("noise", "lecture_noise")]
    if noisy:
        raise HHBrianInputError(
            f"--check-accuracy: a {noisy[0]} stimulus is sampled on each dt's own grid, so the "
            "rerun at dt/2 would see a different input; check deterministic stimuli"
        )
    target = parse_time(target_text, "--target")
    if not float(target / ms) > 0:
        raise HHBrianInputError(f"--target: must be positive, got {target_text!r}")
    return target


def _accuracy(result, preset: Preset, protocol: Protocol, runner, options: dict, target) -> dict:
    """Rerun at dt/2, print the Richardson estimate, return it for the metadata."""
    from hh_brian.compare.accuracy import estimate_accuracy
    from hh_brian.models.drive import make_drive

    half_dt = protocol.dt / 2
    drive = make_drive(preset, protocol.currents, half_dt, protocol.duration)
    current = drive.held[0, 0] if drive.is_constant else drive
    half = runner.run(preset, current=current, duration=protocol.duration, dt=half_dt, **options)
    estimate = estimate_accuracy(result, half, target)
    print("\n".join(estimate.report_lines()))
    return estimate.meta()


def read_meta(npz_path: str | Path) -> dict:
    """The ``meta`` dictionary of an NPZ written by :func:`run_single`."""
    with np.load(npz_path) as data:
        return json.loads(str(data["meta"]))
