"""``hh-brian compare-simulators``: one preset in Brian2, the reference, NEURON, NEST, MOOSE.

Every input (simulator names and their installation, steps, outputs) is
checked before any simulation starts; outputs are written atomically after
all runs finished.  Arguments and outputs shared with ``compare`` come from
:mod:`hh_brian.cli.commands.compare`.
"""

from __future__ import annotations

import argparse

from hh_brian.cli.commands.compare import (
    add_common_arguments,
    check,
    check_outputs,
    check_run_memory,
    parse_time,
    split_list,
    write_outputs,
    written,
)
from hh_brian.cli.options import load_preset, naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register

NAME = "compare-simulators"
DEFAULT_SIMULATORS = "brian2,reference,neuron,nest,moose"
DEFAULT_CURRENT = "10*uA/cm**2"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare-simulators`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="run one preset in several simulators and compare with the gold solution",
        description="Each simulator's own integrator at --dt and at --fine-dt; spike-time "
        "and voltage errors against scipy's DOP853 (rtol = atol = 1e-12).",
    )
    add_common_arguments(parser, "overlay figure (.png, .svg, .pdf)", stimuli=True)
    parser.add_argument(
        "--simulators",
        default=DEFAULT_SIMULATORS,
        help=f"comma-separated (default {DEFAULT_SIMULATORS})",
    )
    parser.add_argument("--dt", default="0.025*ms", help="common time step (default 0.025*ms)")
    parser.add_argument(
        "--fine-dt", default="0.0025*ms", help="fine time step dividing --dt (default 0.0025*ms)"
    )
    parser.add_argument(
        "--no-approximate",
        action="store_true",
        help="where a simulator cannot express the preset, do not run its closest model",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate, compare, print a summary and write the outputs."""
    from hh_brian.cli.runner import parse_current
    from hh_brian.cli.stimulus_options import is_stimulus_text, parse_current_options
    from hh_brian.compare.simulators import (
        check_current,
        check_simulators,
        check_steps,
        compare_simulators,
    )
    from hh_brian.report.simulators_report import (
        csv_text,
        markdown_report,
        plot_overlay,
        text_table,
    )

    preset = load_preset(args.preset, args.set)
    simulators = split_list(args.simulators, "--simulators")
    with naming_flags(simulators="--simulators"):
        check_simulators(simulators)
    dt = parse_time(args.dt, "--dt", "'0.025*ms'")
    fine_dt = parse_time(args.fine_dt, "--fine-dt", "'0.0025*ms'")
    duration = parse_time(args.duration, "--duration", "'100*ms'")
    with naming_flags(dt="--dt", fine_dt="--fine-dt", duration="--duration"):
        check_steps(dt, fine_dt, duration)
    texts = args.current or [DEFAULT_CURRENT]
    if len(texts) == 1 and not is_stimulus_text(texts[0]):
        current = parse_current(preset, texts[0])  # the historic constant-current run
    else:
        current = parse_current_options(texts)
    with naming_flags(current="--current", simulators="--simulators"):
        check_current(preset, current, simulators=simulators, dt=dt, duration=duration)
    check_run_memory(preset, [(dt, len(simulators)), (fine_dt, 2)], duration, args.memory_limit)
    outputs = check_outputs(args)

    comparison = compare_simulators(
        preset,
        simulators=simulators,
        dt=dt,
        fine_dt=fine_dt,
        current=current,
        duration=duration,
        approximate=not args.no_approximate,
        progress=args.progress,
    )
    write_outputs(
        outputs,
        csv_text(comparison.rows),
        lambda: markdown_report(comparison),
        lambda path: plot_overlay(comparison, path),
    )
    print(text_table(comparison.rows))
    set_summary(args, f"wrote {written(outputs)} ({len(comparison.rows)} runs)")
    return EXIT_OK


register(NAME, add_parser, run, check)
