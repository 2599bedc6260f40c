"""``hh-brian compare-simulators``: one preset in Brian2, the reference, NEURON, NEST, MOOSE.

Every input (simulator names and their installation, steps, outputs) is
checked before any simulation starts; outputs are written atomically after
all runs finished.
"""

from __future__ import annotations

import argparse

from brian2 import second

NAME = "compare-simulators"
DEFAULT_SIMULATORS = "brian2,reference,neuron,nest,moose"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare-simulators`` and its options."""
    from hh_brian.cli import _add_set

    parser = subparsers.add_parser(
        NAME,
        help="run one preset in several simulators and compare with the gold solution",
        description="Each simulator's own integrator at --dt and at --fine-dt; spike-time "
        "and voltage errors against scipy's DOP853 (rtol = atol = 1e-12).",
    )
    parser.add_argument("preset", help="preset name (see `hh-brian presets`)")
    parser.add_argument(
        "--simulators",
        default=DEFAULT_SIMULATORS,
        help=f"comma-separated (default {DEFAULT_SIMULATORS})",
    )
    parser.add_argument("--dt", default="0.025*ms", help="common time step (default 0.025*ms)")
    parser.add_argument(
        "--fine-dt", default="0.0025*ms", help="fine time step dividing --dt (default 0.0025*ms)"
    )
    parser.add_argument("--duration", default="100*ms", help="default 100*ms")
    parser.add_argument(
        "--current", default="10*uA/cm**2", help="constant injected current (default 10*uA/cm**2)"
    )
    parser.add_argument(
        "--no-approximate",
        action="store_true",
        help="where a simulator cannot express the preset, do not run its closest model",
    )
    parser.add_argument("--out", required=True, help="table, .csv")
    parser.add_argument("--plot", help="overlay figure (.png, .svg, .pdf)")
    parser.add_argument("--report", help="Markdown report, .md")
    _add_set(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate, compare, print a summary and write the outputs."""
    from hh_brian.cli import EXIT_OK, load_preset
    from hh_brian.commands.compare import split_list
    from hh_brian.compare_simulators import (
        check_simulators,
        check_steps,
        compare_simulators,
        csv_text,
        markdown_report,
        plot_overlay,
        text_table,
    )
    from hh_brian.expressions import quantity_from_text
    from hh_brian.output import PLOT_SUFFIXES, check_output_path, write_text_atomic
    from hh_brian.runner import parse_current

    preset = load_preset(args.preset, args.set)
    simulators = split_list(args.simulators, "--simulators")
    check_simulators(simulators)
    dt = quantity_from_text(args.dt, second, what="--dt", example="'0.025*ms'")
    fine_dt = quantity_from_text(args.fine_dt, second, what="--fine-dt", example="'0.0025*ms'")
    duration = quantity_from_text(args.duration, second, what="--duration", example="'100*ms'")
    check_steps(dt, fine_dt, duration)
    current = parse_current(preset, args.current)
    out = check_output_path(args.out, (".csv",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None
    report = check_output_path(args.report, (".md",), "--report") if args.report else None

    comparison = compare_simulators(
        preset,
        simulators=simulators,
        dt=dt,
        fine_dt=fine_dt,
        current=current,
        duration=duration,
        approximate=not args.no_approximate,
    )
    table = csv_text(comparison.rows)
    report_text = markdown_report(comparison) if report else None
    if plot:
        plot_overlay(comparison, plot)
    if report:
        write_text_atomic(report, report_text)
    write_text_atomic(out, table)
    print(text_table(comparison.rows))
    return EXIT_OK
