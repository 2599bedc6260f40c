"""``hh-brian presets``, ``render`` and ``simulate``: list, print and run one preset."""

from __future__ import annotations

import argparse
from pathlib import Path

from hh_brian.cli.checks import OUT_NPZ, PLOT, check_outputs, check_positive
from hh_brian.cli.options import add_set, load_preset, naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError


def add_presets_parser(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("presets", help="list presets: name, convention, citation")


def run_presets(args: argparse.Namespace) -> int:
    from hh_brian.models.library import MODELS

    width = max(len(name) for name in MODELS)
    for name, model in MODELS.items():
        channels = ", ".join(ch.name for ch in model.channels)
        print(f"{name:<{width}}  {model.convention.name:<7}  {model.title}")
        print(f"{'':<{width}}  {'':<7}  channels: {channels}")
        print(f"{'':<{width}}  {'':<7}  {model.citation}")
    set_summary(args, f"listed {len(MODELS)} models")
    return EXIT_OK


def add_render_parser(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser("render", help="print a preset's Brian2 equations")
    render.add_argument("preset", nargs="?", help="model name or .toml model file")
    render.add_argument("--all", action="store_true", help="every preset")
    render.add_argument("--write", metavar="DIR", help="write one file per preset into DIR")
    add_set(render)


def run_render(args: argparse.Namespace) -> int:
    from hh_brian.render.brian2 import render
    from hh_brian.render.equation_files import write_equation_files

    if args.write:
        if not args.all or args.preset or args.set:
            raise HHBrianInputError(
                "render --write DIR writes the built-in presets: use `hh-brian render --all "
                "--write equations/`"
            )
        with naming_flags(folder="render --write"):
            written = write_equation_files(args.write)
        for path in written:
            print(path)
        set_summary(args, f"wrote {len(written)} equation files into {args.write}")
        return EXIT_OK
    if args.all:
        from hh_brian.models.presets import PRESETS

        print("\n".join(render(p).file_text() for p in PRESETS.values()))
        set_summary(args, f"rendered {len(PRESETS)} presets")
        return EXIT_OK
    if not args.preset:
        raise HHBrianInputError("render: give a PRESET name or --all (see `hh-brian presets`)")
    print(render(load_preset(args.preset, args.set)).file_text(), end="")
    set_summary(args, f"rendered {args.preset}")
    return EXIT_OK


def check_render(args: argparse.Namespace) -> None:
    if args.write and not Path(args.write).is_dir():
        raise HHBrianInputError(f"render --write: {args.write!r} does not exist; create it first")


def add_simulate_parser(subparsers: argparse._SubParsersAction) -> None:
    simulate = subparsers.add_parser(
        "simulate", help="run one neuron under any current-clamp protocol; save its traces (NPZ)"
    )
    simulate.add_argument("preset", help="model name or .toml model file")
    simulate.add_argument(
        "--method",
        help="rush_larsen2 (default: second order, stable at any dt), exponential_euler "
        "(the lecture's), rk4 or euler (or the protocol's)",
    )
    simulate.add_argument("--dt", help="time step (default: the protocol's, else 0.01*ms)")
    simulate.add_argument("--duration", help="default: the protocol's, else 100*ms")
    simulate.add_argument(
        "--current",
        action="append",
        metavar="EXPR|KIND:NAME=EXPR,...",
        help="injected current, positive depolarises; repeat to add. A constant "
        "('10*uA/cm**2', or '0.2*nA' for models with an area) or a waveform: "
        "step:amplitude=,onset=,offset= | pulses:amplitude=,width=,period=,onset=,count= | "
        "ramp:start=,stop=,onset=,offset= | sine:amplitude=,frequency=,bias=,onset=,offset= | "
        "noise:mean=,std=,tau=,seed= | lecture_noise:seed= | file:path=,unit= "
        "(default 10*uA/cm**2 when no input is given)",
    )
    simulate.add_argument(
        "--protocol",
        metavar="FILE.toml",
        help="a protocol file (currents, initial state, synapses)",
    )
    simulate.add_argument(
        "--v0", metavar="EXPR", help="start at this voltage with the gates at steady state there"
    )
    simulate.add_argument(
        "--engine",
        default="brian2",
        help="brian2 (default), reference (numpy), neuron, nest or moose",
    )
    simulate.add_argument("--out", required=True, help="output file, .npz")
    simulate.add_argument("--plot", help="figure file (.png, .svg or .pdf)")
    simulate.add_argument(
        "--record-dt", metavar="EXPR", help="record every EXPR (a multiple of --dt; brian2)"
    )
    simulate.add_argument(
        "--record", metavar="NAMES", help="state variables to record, e.g. v,m (v always)"
    )
    simulate.add_argument(
        "--memory-limit",
        type=float,
        metavar="MiB",
        help="refuse a run that would record more (default 1024)",
    )
    simulate.add_argument(
        "--check-accuracy",
        action="store_true",
        help="rerun at dt/2 and report the estimated spike-time and voltage error "
        "(Richardson, with the method's order) and a verdict against --target; "
        "the numbers go into the NPZ's meta",
    )
    simulate.add_argument(
        "--target", default="0.1*ms", help="spike-time error target (default 0.1*ms)"
    )
    simulate.add_argument(
        "--channel-noise",
        default="none",
        metavar="MODEL",
        help="markov (channel states, NumPy engine), langevin (channel-state SDEs, Brian2), "
        "subunit (gate noise, with a warning) or none (default); needs a model with an area "
        "(--set area=...) and a gamma per gated channel",
    )
    simulate.add_argument(
        "--seed", default="0", help="seed of the channel noise (default 0; kept in meta)"
    )
    add_set(simulate)


def _noise(args: argparse.Namespace):
    """The channel noise asked for, checked (model name, seed, method)."""
    from hh_brian.noise.spec import check_noise_method, parse_noise

    try:
        noise = parse_noise(args.channel_noise, args.seed)
    except HHBrianInputError as exc:
        flag = "--seed" if str(exc).startswith("seed") else "--channel-noise"
        raise HHBrianInputError(f"{flag}: {str(exc).split(': ', 1)[1]}") from None
    if noise.is_noisy and args.check_accuracy:
        raise HHBrianInputError(
            "--check-accuracy compares deterministic runs at dt and dt/2; a noisy run has no "
            "such error estimate: drop one of --check-accuracy and --channel-noise"
        )
    try:
        return noise, check_noise_method(noise.kind, args.method)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"--method with --channel-noise {noise.kind}: {exc}") from None


def run_simulate(args: argparse.Namespace) -> int:
    import sys
    import warnings

    from hh_brian.cli.runner import Recording, command_protocol, run_single
    from hh_brian.noise.spec import SUBUNIT, SUBUNIT_WARNING

    noise, noise_method = _noise(args)
    if noise.kind == SUBUNIT:
        print(f"hh-brian: warning: {SUBUNIT_WARNING}", file=sys.stderr)
    protocol = command_protocol(
        protocol_path=args.protocol,
        current_texts=args.current,
        v0_text=args.v0,
        dt_text=args.dt,
        duration_text=args.duration,
        method=noise_method or args.method,
    )
    settings = [f"{k}={v}" for k, v in protocol.parameters.items()] + list(args.set or ())
    with warnings.catch_warnings():  # the subunit warning is printed above, once
        warnings.filterwarnings("ignore", message="subunit")
        out, result = run_single(
            preset=load_preset(args.preset, settings),
            protocol=protocol,
            engine=args.engine,
            out=args.out,
            plot=args.plot,
            recording=Recording.from_text(args.record_dt, args.record, args.memory_limit),
            check_accuracy=args.check_accuracy,
            target_text=args.target,
            progress=args.progress,
            noise=noise,
        )
    from brian2 import ms

    spikes = result.spikes_of(0).size
    plot = f" and {args.plot}" if args.plot else ""
    length = f"{float(protocol.duration / ms):g} ms"
    set_summary(args, f"wrote {out}{plot} ({length}, {spikes} spike{'s' * (spikes != 1)})")
    return EXIT_OK


def check_simulate(args: argparse.Namespace) -> None:
    """Outputs, engine, method, protocol file and memory limit, before Brian2 loads."""
    from hh_brian.engines.brian2.names import BRIAN2_METHODS
    from hh_brian.engines.registry import canonical_name

    try:
        engine = canonical_name(args.engine)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"--engine: {exc}") from None
    if engine == "brian2" and args.method is not None and args.method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"--method: unknown method {args.method!r} for engine {engine}; use one of "
            f"{', '.join(BRIAN2_METHODS)}"
        )
    if args.protocol and not Path(args.protocol).is_file():
        raise HHBrianInputError(f"{args.protocol}: protocol file not found")
    check_positive(args.memory_limit, "--memory-limit")
    _noise(args)
    check_outputs(args, OUT_NPZ, PLOT)


register("presets", add_presets_parser, run_presets)
register("render", add_render_parser, run_render, check_render)
register("simulate", add_simulate_parser, run_simulate, check_simulate)
