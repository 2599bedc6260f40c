"""``hh-brian vclamp``: voltage-clamp families (steps, prepulse, tails), ideal or with R_s."""

from __future__ import annotations

import argparse

from hh_brian.cli.checks import OUT_CSV, PLOT, check_method, check_outputs, check_positive
from hh_brian.cli.options import add_memory_limit, add_set, load_preset, naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

NAME = "vclamp"
_RANGE_EXAMPLE = "'-80*mV:40*mV:10*mV'"
#: Library parameter names -> the flags that set them (for error messages).
FLAGS = {
    "hold": "--hold",
    "test": "--test",
    "step_duration": "--step-duration",
    "prepulse_duration": "--prepulse-duration",
    "onset": "--onset",
    "duration": "--duration",
    "dt": "--dt",
    "series_resistance": "--series-resistance",
    "method": "--method",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="voltage clamp: step, inactivation (prepulse) or tail families; I-V, reversal, "
        "Boltzmann fits, time constants (CSV, figure, traces)",
        description="Every voltage is in the model's own convention (hh1952: displacement "
        "from rest, depolarisation negative).  Give exactly one of --steps, --prepulse, --tail.",
    )
    parser.add_argument("preset", help="model name or .toml model file")
    family = parser.add_mutually_exclusive_group(required=True)
    family.add_argument(
        "--steps", metavar="START:STOP:STEP", help=f"step levels, e.g. {_RANGE_EXAMPLE}"
    )
    family.add_argument(
        "--prepulse", metavar="START:STOP:STEP", help="prepulse levels (inactivation); see --test"
    )
    family.add_argument(
        "--tail", metavar="START:STOP:STEP", help="tail levels after an activating step to --test"
    )
    parser.add_argument("--hold", help="holding potential (default: the model's rest), '-65*mV'")
    parser.add_argument("--step-duration", default="10*ms", help="step / test step (10*ms)")
    parser.add_argument("--prepulse-duration", default="50*ms", help="prepulse length (50*ms)")
    parser.add_argument("--test", help="test level after a prepulse, or the activating level")
    parser.add_argument("--onset", default="1*ms", help="time at the holding potential first")
    parser.add_argument("--duration", help="total time (default: the protocol plus --onset)")
    parser.add_argument(
        "--series-resistance",
        help="non-ideal clamp: '10*Mohm' (models with an area) or '1*kohm*cm**2'",
    )
    parser.add_argument("--dt", default="0.01*ms", help="time step (0.01*ms)")
    parser.add_argument(
        "--method",
        default="rush_larsen2",
        help="rush_larsen2 (default), exponential_euler, rk4, euler",
    )
    parser.add_argument("--out", required=True, help="per-sweep table, .csv")
    parser.add_argument("--fits", help="reversals and Boltzmann fits, .csv")
    parser.add_argument("--plot", help="figure file (.png, .svg or .pdf)")
    parser.add_argument("--traces", help="every trace, sweeps x samples, .npz")
    add_memory_limit(parser)
    add_set(parser)


def _quantity(text: str | None, flag: str, example: str):
    from hh_brian.core.expressions import evaluate

    if text is None:
        return None
    return evaluate(text, what=flag, example=example)


def parse_levels(text: str, flag: str):
    """``'START:STOP:STEP'`` with voltage units -> the levels (volt)."""
    from hh_brian.models.clamp_inputs import voltage_range

    parts = text.split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise HHBrianInputError(f"{flag}: {text!r} is not START:STOP:STEP; e.g. {_RANGE_EXAMPLE}")
    values = [
        _quantity(part, f"{flag} {name}", "'-60*mV'")
        for part, name in zip(parts, ("START", "STOP", "STEP"), strict=True)
    ]
    return voltage_range(*values, what=flag)


def run(args: argparse.Namespace) -> int:
    from hh_brian.cli.runner import parse_time
    from hh_brian.core.output import PLOT_SUFFIXES, atomic_paths, check_output_path
    from hh_brian.engines.brian2.simulate import BRIAN2_METHODS

    preset = load_preset(args.preset, args.set)
    if args.method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"--method: unknown method {args.method!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )
    kind, flag, text = next(
        (k, f"--{k}", getattr(args, k))
        for k in ("steps", "prepulse", "tail")
        if getattr(args, k) is not None
    )
    levels = parse_levels(text, flag)
    example = "'-65*mV'"
    with naming_flags(**FLAGS):
        from hh_brian.models.clamp import build_protocol
        from hh_brian.models.clamp_inputs import check_voltage, specific_series_resistance

        hold = _quantity(args.hold, "--hold", example)
        if hold is None:
            from hh_brian.models.kinetics import resting_state

            hold = resting_state(preset)["v"]
        check_voltage(hold, "hold")
        test = _quantity(args.test, "--test", example)
        if test is not None:
            check_voltage(test, "test")
        elif kind != "steps":
            raise HHBrianInputError(f"--test: {flag} needs a --test level, e.g. --test=-10*mV")
        protocol = build_protocol(
            kind,
            levels,
            hold=hold,
            dt=parse_time(args.dt, "--dt"),
            step_duration=parse_time(args.step_duration, "--step-duration"),
            onset=parse_time(args.onset, "--onset"),
            prepulse_duration=parse_time(args.prepulse_duration, "--prepulse-duration"),
            test=test,
            duration=parse_time(args.duration, "--duration") if args.duration else None,
        )
        rs = _quantity(args.series_resistance, "--series-resistance", "'10*Mohm'")
        if rs is not None:
            specific_series_resistance(preset, rs)
    _check_memory(preset, protocol, args.memory_limit)
    outputs = [check_output_path(args.out, (".csv",), "--out")]
    extra = (
        ("fits", args.fits, (".csv",), "--fits"),
        ("plot", args.plot, PLOT_SUFFIXES, "--plot"),
        ("traces", args.traces, (".npz",), "--traces"),
    )
    named = {}
    for key, path, suffixes, what in extra:
        if path:
            named[key] = len(outputs)
            outputs.append(check_output_path(path, suffixes, what))
    if len(set(outputs)) != len(outputs):
        raise HHBrianInputError("--out, --fits, --plot and --traces must be different files")

    from hh_brian.analysis.vclamp import analyse
    from hh_brian.engines.brian2.vclamp import run_vclamp

    with naming_flags(**FLAGS):
        trace = run_vclamp(
            preset, protocol, method=args.method, series_resistance=rs, progress=args.progress
        )
    analysis = analyse(trace)

    import numpy as np

    from hh_brian.core.output import meta_json
    from hh_brian.report import vclamp as report

    with atomic_paths(*outputs) as temporaries:
        temporaries[0].write_text(report.csv_text(analysis), encoding="utf-8")
        if "fits" in named:
            temporaries[named["fits"]].write_text(report.fits_csv_text(analysis), "utf-8")
        if "traces" in named:
            arrays = report.traces_arrays(trace)
            arrays["meta"] = np.array(meta_json(_meta(args, preset, trace)))
            with open(temporaries[named["traces"]], "wb") as handle:
                np.savez(handle, **arrays)
        if "plot" in named:
            report.plot_vclamp(analysis, temporaries[named["plot"]])
    print("\n".join(report.summary_lines(analysis)))
    for path in outputs:
        print(path)
    written = ", ".join(str(path) for path in outputs)
    set_summary(args, f"wrote {written} ({protocol.n_sweeps} sweeps, {kind})")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Outputs (all different), method and memory limit, before Brian2 loads."""
    check_method(args.method)
    check_positive(args.memory_limit, "--memory-limit")
    check_outputs(
        args,
        OUT_CSV,
        ("fits", (".csv",), "--fits"),
        PLOT,
        ("traces", (".npz",), "--traces"),
    )


def _meta(args: argparse.Namespace, preset, trace) -> dict:
    from hh_brian.core.output import versions

    return {
        "command": "vclamp",
        "preset": preset.name,
        "convention": preset.convention.name,
        "convention_description": preset.convention.description,
        "method": trace.method,
        "protocol": trace.protocol.kind,
        "levels": getattr(args, trace.protocol.kind),
        "hold": args.hold,
        "test": args.test,
        "series_resistance": args.series_resistance,
        "dt": args.dt,
        "current_convention": "outward positive in the model's convention",
        "parameters": {name: preset.display(name) for name in preset.parameters},
        "versions": versions(),
    }


register(NAME, add_parser, run, check)


def _check_memory(preset, protocol, limit_mib: float) -> None:
    """Sweeps x samples x (v, command, gates, a current and a conductance per channel),
    recorded and copied once into the result: refuse past ``--memory-limit``."""
    from hh_brian.core.memory import FLOAT_BYTES, check_memory

    if not limit_mib > 0:
        raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {limit_mib}")
    per_sample = 2 + len(preset.gate_names) + 2 * len(preset.channels)
    need = 2 * FLOAT_BYTES * protocol.n_sweeps * protocol.n_samples * per_sample
    with naming_flags(memory_limit="--memory-limit MiB"):
        check_memory(
            need,
            int(limit_mib * 2**20),
            f"vclamp ({protocol.n_sweeps} sweeps x {protocol.n_samples} samples)",
            "use fewer levels, a shorter --duration or a larger --dt",
        )
