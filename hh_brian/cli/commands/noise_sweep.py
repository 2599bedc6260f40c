"""``hh-brian noise-sweep``: firing rate, ISI CV and spike-time jitter against area."""

from __future__ import annotations

import argparse

from hh_brian.cli.checks import OUT_CSV, PLOT, check_outputs
from hh_brian.cli.options import add_set, load_preset
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

NAME = "noise-sweep"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="channel noise: spontaneous rate, ISI CV and spike-time jitter against area "
        "(CSV, figure)",
    )
    parser.add_argument("preset", help="model name or .toml model file (gamma per channel)")
    parser.add_argument(
        "--areas", required=True, help="membrane areas, e.g. '10*um**2,30*um**2,100*um**2'"
    )
    parser.add_argument(
        "--noise-models",
        default="markov,langevin,none",
        help="comma-separated: markov, langevin, subunit, none (default markov,langevin,none)",
    )
    parser.add_argument("--cells", type=int, default=100, help="cells per protocol (100)")
    parser.add_argument("--duration", default="200*ms", help="simulated time (200*ms)")
    parser.add_argument("--dt", default="0.01*ms", help="time step (0.01*ms)")
    parser.add_argument(
        "--jitter-current",
        default="10*uA/cm**2",
        help="current density of the jitter protocol, on from t = 0 (10*uA/cm**2)",
    )
    parser.add_argument("--seed", default="0", help="seed of every run (default 0)")
    parser.add_argument("--out", required=True, help="table, .csv")
    parser.add_argument("--plot", help="figure (.png, .svg or .pdf)")
    add_set(parser)


def _kinds(args: argparse.Namespace) -> list[str]:
    from hh_brian.noise.spec import NOISE_MODELS

    kinds = [k.strip() for k in args.noise_models.split(",") if k.strip()]
    for kind in kinds:
        if kind not in NOISE_MODELS:
            raise HHBrianInputError(
                f"--noise-models: unknown model {kind!r}; use some of {', '.join(NOISE_MODELS)}"
            )
    if not kinds:
        raise HHBrianInputError("--noise-models: give at least one, e.g. markov,langevin")
    return kinds


def run(args: argparse.Namespace) -> int:
    import sys

    from brian2 import amp, meter, ms, umetre

    from hh_brian.cli.runner import parse_time
    from hh_brian.core.expressions import evaluate
    from hh_brian.core.output import PLOT_SUFFIXES, atomic_paths, check_output_path
    from hh_brian.models.validation import validate_parameter
    from hh_brian.noise.spec import parse_seed
    from hh_brian.noise.sweep import csv_text, noise_sweep

    kinds = _kinds(args)
    seed = parse_seed(args.seed)
    areas = [
        validate_parameter("area", evaluate(text.strip(), what="--areas"), umetre**2)
        for text in args.areas.split(",")
        if text.strip()
    ]
    density = evaluate(args.jitter_current, what="--jitter-current", example="'10*uA/cm**2'")
    validate_parameter("jitter_current", density, amp / meter**2)
    duration, dt = parse_time(args.duration, "--duration"), parse_time(args.dt, "--dt")
    out = check_output_path(args.out, (".csv",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None
    model = load_preset(args.preset, list(args.set or ()))

    def report(line: str) -> None:
        if not getattr(args, "quiet", False):
            print(f"hh-brian noise-sweep: {line}", file=sys.stderr)

    rows = noise_sweep(
        model,
        areas,
        kinds,
        current_density=density,
        cells=args.cells,
        duration=duration,
        dt=dt,
        seed=seed,
        progress=report,
    )
    with atomic_paths(*([out] + ([plot] if plot else []))) as temporaries:
        temporaries[0].write_text(csv_text(rows), encoding="utf-8")
        if plot:
            from hh_brian.report.noise import plot_noise_sweep

            title = (
                f"{model.name}: channel noise against area ({args.cells} cells, "
                f"{float(duration / ms):g} ms, dt {float(dt / ms):g} ms, seed {seed})"
            )
            plot_noise_sweep(rows, temporaries[1], title=title)
    shown = f"{out} and {plot}" if plot else f"{out}"
    set_summary(args, f"wrote {shown} ({len(rows)} runs)")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Outputs, noise model names, seed and cell count, before Brian2 loads."""
    from hh_brian.noise.spec import parse_seed

    _kinds(args)
    try:
        parse_seed(args.seed)
    except HHBrianInputError as exc:
        raise HHBrianInputError(f"--seed: {str(exc).split(': ', 1)[1]}") from None
    if args.cells < 2:
        raise HHBrianInputError(f"--cells: need at least 2 cells, got {args.cells}")
    check_outputs(args, OUT_CSV, PLOT)


register(NAME, add_parser, run, check)
