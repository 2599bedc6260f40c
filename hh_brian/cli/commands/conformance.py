"""``hh-brian conformance``: one model and protocol in every engine, each against its bound.

Every registered engine that can express the model runs it with each of its
fixed-step schemes (:mod:`hh_brian.compare.conformance`) at --dt and --fine-dt; the
table lists max |dV| and spike-time errors at --fine-dt against the gold solution
beside the bounds derived from each scheme's order.  Exit status 0 when every
variant that ran is within its bounds, 1 when one is not or when none could run here
(the outputs are still written: they show which and why), 2 for bad input (nothing
runs, nothing is written).  The outputs are written all or nothing after every run finished.
"""

from __future__ import annotations

import argparse

from hh_brian.cli.commands.compare import (
    check_outputs,
    check_run_memory,
    parse_time,
    split_list,
    write_outputs,
)
from hh_brian.cli.options import add_memory_limit, add_set, load_preset, naming_flags
from hh_brian.cli.registry import EXIT_FAILED, EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

NAME = "conformance"
DEFAULT_CURRENT = "10*uA/cm**2"
DEFAULT_DT, DEFAULT_FINE_DT, DEFAULT_DURATION = "0.01*ms", "0.0025*ms", "30*ms"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``conformance`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="run one model in every engine and scheme; judge each against its own bound",
        description="Brian2 (each method), the NumPy engine, NEURON (generated NMODL), NEST, "
        "MOOSE and jNeuroML (exported LEMS), each at --dt and --fine-dt; errors at --fine-dt "
        "against scipy's DOP853 (rtol = atol = 1e-12) within the Richardson bound of each "
        "scheme's declared order. Exit 1 if a variant is outside its bound.",
    )
    parser.add_argument("preset", help="model name, .toml model file or .nml NeuroML2 cell")
    parser.add_argument(
        "--protocol", metavar="FILE", help="protocol file (.toml, or a LEMS simulation .xml)"
    )
    parser.add_argument(
        "--current",
        action="append",
        metavar="EXPR|KIND:NAME=EXPR,...",
        help=f"injected current, repeatable (they add; default {DEFAULT_CURRENT} from t = 0): "
        "a constant, or step:|pulses:|ramp:|sine:|noise:|file: as for compare-simulators",
    )
    parser.add_argument(
        "--dt", help=f"the coarser step (default: the protocol's, else {DEFAULT_DT})"
    )
    parser.add_argument(
        "--fine-dt", help="the step errors are judged at, dividing --dt (default dt/4)"
    )
    parser.add_argument("--duration", help=f"default: the protocol's, else {DEFAULT_DURATION}")
    parser.add_argument(
        "--engines", help="comma-separated registry names (default: every registered engine)"
    )
    parser.add_argument("--out", required=True, help="table, .csv")
    parser.add_argument("--plot", help="figure: traces and error/bound ratios (.png, .svg, .pdf)")
    parser.add_argument("--report", help="Markdown report, .md")
    add_memory_limit(parser, "runs")
    add_set(parser)
    return parser


def _protocol(args: argparse.Namespace):
    """The protocol of --protocol and --current, with this command's defaults."""
    from hh_brian.cli.runner import command_protocol

    base_duration, base_dt = _file_setting(args.protocol) if args.protocol else (None, None)
    protocol = command_protocol(
        protocol_path=args.protocol,
        current_texts=args.current,
        v0_text=None,
        dt_text=args.dt or (None if base_dt else DEFAULT_DT),
        duration_text=args.duration or (None if base_duration else DEFAULT_DURATION),
        method=None,
    )
    if protocol.synapses or protocol.initial:
        raise HHBrianInputError(
            f"--protocol: {args.protocol} has synaptic input or an initial state; "
            "conformance runs current-clamp protocols from rest only"
        )
    return protocol


def _file_setting(path: str):
    """(duration, dt) a protocol file sets, each or None."""
    if str(path).endswith(".xml"):
        from hh_brian.exchange.lems_simulation import read_lems_protocol

        lems = read_lems_protocol(path)
        return lems.duration, lems.dt
    from hh_brian.models.protocol import read_protocol

    protocol = read_protocol(path)
    return protocol.duration, protocol.dt


def run(args: argparse.Namespace) -> int:
    """Validate, run every variant, print the table and verdict, write the outputs."""
    from hh_brian.cli.runner import parse_current
    from hh_brian.cli.stimulus_options import is_stimulus_text
    from hh_brian.compare.conformance import conformance
    from hh_brian.compare.conformance_variants import conformance_variants
    from hh_brian.compare.simulators import check_current, check_steps
    from hh_brian.report.conformance_report import (
        csv_text,
        markdown_report,
        plot_conformance,
        summary_line,
        text_table,
    )

    protocol = _protocol(args)
    settings = [f"{k}={v}" for k, v in protocol.parameters.items()] + list(args.set or ())
    preset = load_preset(args.preset, settings)
    engines = split_list(args.engines, "--engines") if args.engines else None
    with naming_flags(engines="--engines"):
        variants = conformance_variants(engines)
    dt, duration = protocol.dt, protocol.duration
    fine_dt = parse_time(args.fine_dt, "--fine-dt", "'0.0025*ms'") if args.fine_dt else dt / 4
    with naming_flags(dt="--dt", fine_dt="--fine-dt", duration="--duration"):
        check_steps(dt, fine_dt, duration)
    texts = args.current or []
    if not args.protocol and len(texts) <= 1 and not is_stimulus_text(texts[0] if texts else ""):
        current = parse_current(preset, texts[0] if texts else DEFAULT_CURRENT)
    else:
        current = tuple(protocol.currents)
    with naming_flags(current="--current"):
        check_current(preset, current, simulators=(), dt=dt, duration=duration)
    n = len(variants)
    check_run_memory(preset, [(dt, n), (fine_dt, n + 1)], duration, args.memory_limit)
    outputs = check_outputs(args)

    result = conformance(
        preset, current=current, dt=dt, fine_dt=fine_dt, duration=duration, engines=engines
    )
    write_outputs(
        outputs,
        csv_text(result),
        lambda: markdown_report(result),
        lambda path: plot_conformance(result, path),
    )
    print(text_table(result))
    print(summary_line(result))
    return EXIT_OK if result.passed else EXIT_FAILED


register(NAME, add_parser, run)
