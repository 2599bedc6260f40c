"""``hh-brian bifurcation``: equilibria, Hopf points and cycle branches over a range."""

from __future__ import annotations

import argparse

from hh_brian.cli.options import add_set, load_preset, naming_flags
from hh_brian.cli.registry import EXIT_BAD_INPUT, EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

NAME = "bifurcation"
_RANGE_EXAMPLE = "'0*uA/cm**2:200*uA/cm**2'"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="bifurcation diagram: equilibria, Hopf points, cycles and their folds (CSV, figure)",
    )
    parser.add_argument("preset", help="model name or .toml model file")
    parser.add_argument(
        "--parameter",
        default="I_inj",
        help="I_inj (injected current, default) or any model parameter: g_K, E_L, celsius ...",
    )
    parser.add_argument(
        "--range",
        required=True,
        metavar="START:STOP",
        help=f"parameter range with units, e.g. {_RANGE_EXAMPLE}, '-60*mV:-50*mV', or "
        "'6.3:20' for celsius",
    )
    parser.add_argument(
        "--current",
        help="constant injected current when --parameter is not I_inj (default 0*uA/cm**2)",
    )
    parser.add_argument("--out", required=True, help="special points, .csv")
    parser.add_argument("--branches", help="every computed point of every branch, .csv")
    parser.add_argument("--plot", help="figure file (.png, .svg or .pdf)")
    parser.add_argument(
        "--newton-iterations",
        type=int,
        default=7,
        help="Newton iterations per cycle-continuation step (7)",
    )
    parser.add_argument(
        "--max-orbits", type=int, default=400, help="orbits per cycle branch, at most (400)"
    )
    add_set(parser)


def parse_range(text: str) -> tuple[object, object]:
    """``'START:STOP'`` -> the two values as quantities (units checked later)."""
    from hh_brian.core.expressions import evaluate

    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise HHBrianInputError(f"--range: {text!r} is not START:STOP; e.g. {_RANGE_EXAMPLE}")
    return tuple(
        evaluate(part, what=f"--range {name}", example=_RANGE_EXAMPLE)
        for part, name in zip(parts, ("START", "STOP"), strict=True)
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from hh_brian.bifurcation import Settings, bifurcation_diagram
    from hh_brian.bifurcation.field import parameter_spec, parameter_value
    from hh_brian.core.expressions import evaluate
    from hh_brian.core.output import PLOT_SUFFIXES, atomic_paths, check_output_path

    model = load_preset(args.preset, args.set)
    with naming_flags(parameter="--parameter"):
        spec = parameter_spec(model, args.parameter)
    start_text, stop_text = parse_range(args.range)
    start = parameter_value(model, spec, start_text, "--range START")
    stop = parameter_value(model, spec, stop_text, "--range STOP")
    if not stop > start:
        raise HHBrianInputError(
            f"--range: STOP {spec.quantity(stop)} is not above START {spec.quantity(start)} "
            f"(reversed or empty range); give START < STOP, e.g. {_RANGE_EXAMPLE}"
        )
    current = None
    if args.current:
        if spec.name == "I_inj":
            raise HHBrianInputError("--current: the injected current is already --parameter")
        from hh_brian.models.currents import coerce_current

        current = evaluate(args.current, what="--current", example="'5*uA/cm**2'")
        coerce_current(model, current, what="--current")
    for flag, value in (
        ("--newton-iterations", args.newton_iterations),
        ("--max-orbits", args.max_orbits),
    ):
        if value < 1:
            raise HHBrianInputError(f"{flag}: must be at least 1, got {value}")
    out = check_output_path(args.out, (".csv",), "--out")
    branches = check_output_path(args.branches, (".csv",), "--branches") if args.branches else None
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None

    diagram = bifurcation_diagram(
        model,
        spec.name,
        spec.quantity(start),
        spec.quantity(stop),
        current=current,
        settings=Settings(newton_iterations=args.newton_iterations, max_orbits=args.max_orbits),
    )
    targets = [path for path in (out, branches, plot) if path]
    # Written together (all or none); on a failed continuation what was computed is kept.
    with atomic_paths(*targets) as temporaries:
        written = dict(zip(targets, temporaries, strict=True))
        written[out].write_text(diagram.points_csv(), encoding="utf-8")
        if branches:
            written[branches].write_text(diagram.branches_csv(), encoding="utf-8")
        if plot:
            from hh_brian.report.bifurcation import plot_bifurcation

            plot_bifurcation(diagram, written[plot])
    print(diagram.summary())
    for path in targets:
        print(path)
    if diagram.failure:
        print(
            f"hh-brian: error: continuation failed: {diagram.failure}; what was computed "
            f"is in {', '.join(str(p) for p in targets)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


register(NAME, add_parser, run)
