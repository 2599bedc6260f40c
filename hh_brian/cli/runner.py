"""One simulation from the command line: validate everything, run, write atomically.

All input is checked before any work starts; output files are written only
after the run succeeded, each atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from brian2 import amp, meter, ms, mV, second

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.expressions import evaluate
from hh_brian.core.output import PLOT_SUFFIXES, atomic_paths, check_output_path, meta_json, versions
from hh_brian.engines.brian2.simulate import coerce_current
from hh_brian.models.cell import CellModel as Preset


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


def simulation_meta(preset: Preset, *, method: str, dt, duration, current, engine: str) -> dict:
    """Provenance of one run: preset, convention, method, dt, every parameter, versions."""
    return {
        "preset": preset.name,
        "convention": preset.convention.name,
        "convention_description": preset.convention.description,
        "engine": engine,
        "method": method,
        "dt_ms": float(dt / ms),
        "duration_ms": float(duration / ms),
        "current": _shown_current(preset, current),
        "current_unit": "amp" if preset.has_area else "amp/meter**2",
        "current_value_SI": float(
            np.asarray(current / (amp if preset.has_area else amp / meter**2))
        ),
        "parameters": {name: preset.display(name) for name in preset.parameters},
        "rates": dict(preset.rates),
        "phi": {ch.name: preset.phi(ch) for ch in preset.channels if ch.q10 is not None},
        "citation": str(preset.citation),
        "versions": versions(),
    }


def run_single(
    *,
    preset: Preset,
    method: str,
    dt_text: str,
    duration_text: str,
    current_text: str,
    engine: str,
    out: str,
    plot: str | None,
) -> Path:
    """Validate, simulate one neuron, write ``out`` (NPZ) and optionally a figure.

    The NPZ holds ``t_ms``, ``v_mV`` (model's convention), every gate the engine
    records by name (``m``, ``h``, ``n``, ... one sample per step), ``spikes_ms`` and
    ``meta`` (JSON string).  *engine* is any registered engine
    (:mod:`hh_brian.engines.registry`); hh-brian's own engines take *method*, the
    external simulators use their own scheme (recorded in ``meta``).
    """
    from hh_brian.engines.registry import canonical_name, get_engine, is_available

    try:
        engine = canonical_name(engine)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"--engine: {exc}") from None
    runner = get_engine(engine)
    if not is_available(engine):
        raise HHBrianInputError(
            f"--engine: {engine} is not installed; install it with `{runner.install_hint}`"
        )
    problem = runner.cannot_express(preset)
    if problem:
        raise HHBrianInputError(f"--engine {engine}: {problem}")
    own = runner.package is None
    if own and method not in runner.methods:
        raise HHBrianInputError(
            f"--method: unknown method {method!r} for engine {engine}; use one of "
            f"{', '.join(runner.methods)}"
        )
    dt = parse_time(dt_text, "--dt")
    duration = parse_time(duration_text, "--duration")
    from hh_brian.engines.brian2.simulate import check_time_step

    check_time_step(dt, duration)
    current = parse_current(preset, current_text)
    if np.ndim(current) != 0:
        raise HHBrianInputError(f"--current: expected one value, got {current_text!r}")
    out_path = check_output_path(out, (".npz",), "--out")
    plot_path = check_output_path(plot, PLOT_SUFFIXES, "--plot") if plot else None

    options = {"method": method} if own else {}
    result = runner.run(preset, current=current, duration=duration, dt=dt, **options)
    meta = simulation_meta(
        preset, method=result.method, dt=dt, duration=duration, current=current, engine=engine
    )
    arrays = {
        "t_ms": np.asarray(result.t / ms),
        "v_mV": np.asarray(result.traces["v"][0] / mV),
        **{g: np.asarray(result.traces[g][0]) for g in preset.gate_names if g in result.traces},
        "spikes_ms": np.asarray(result.spikes_of(0) / ms),
        "meta": np.array(meta_json(meta)),
    }
    outputs = [out_path] + ([plot_path] if plot_path else [])
    with atomic_paths(*outputs) as temporaries:
        with open(temporaries[0], "wb") as handle:
            np.savez(handle, **arrays)
        if plot_path:
            from hh_brian.report.plotting import plot_trace

            plot_trace(result, temporaries[1], current_label=current_text, current=current)
    return out_path


def read_meta(npz_path: str | Path) -> dict:
    """The ``meta`` dictionary of an NPZ written by :func:`run_single`."""
    with np.load(npz_path) as data:
        return json.loads(str(data["meta"]))
