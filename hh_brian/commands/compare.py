"""``hh-brian compare``: integration methods and time steps against the gold solution.

Every input is checked before any simulation starts; the table, report and
figure are written only after all runs finished, each atomically.
"""

from __future__ import annotations

import argparse

from brian2 import ms, second

from hh_brian.errors import HHBrianInputError

NAME = "compare"
DEFAULT_METHODS = "exponential_euler,rk4,euler,exponential_euler_tau"
DEFAULT_DTS = "0.1*ms,0.05*ms,0.025*ms,0.01*ms,0.005*ms"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare`` and its options."""
    from hh_brian.cli import _add_set

    parser = subparsers.add_parser(
        NAME,
        help="compare methods and dts against a tight-tolerance gold solution (CSV table)",
        description="For each (engine, method, dt): max and RMS |dV| and spike-time errors "
        "against scipy's DOP853 at rtol = atol = 1e-12, wall time of the integration loop, "
        "blow-ups; observed orders; the cheapest run meeting --target.",
    )
    parser.add_argument("preset", help="preset name (see `hh-brian presets`)")
    parser.add_argument(
        "--methods", default=DEFAULT_METHODS, help=f"comma-separated (default {DEFAULT_METHODS})"
    )
    parser.add_argument(
        "--dts", default=DEFAULT_DTS, help=f"comma-separated time steps (default {DEFAULT_DTS})"
    )
    parser.add_argument("--duration", default="100*ms", help="default 100*ms")
    parser.add_argument(
        "--current", default="10*uA/cm**2", help="constant injected current (default 10*uA/cm**2)"
    )
    parser.add_argument(
        "--engines", default="brian2,reference", help="brian2 and/or reference (default both)"
    )
    parser.add_argument(
        "--target",
        default="0.1*ms",
        help="max spike-time error for the recommendation (default 0.1*ms)",
    )
    parser.add_argument("--out", required=True, help="table, .csv")
    parser.add_argument("--plot", help="figure: error vs dt and vs wall time (.png, .svg, .pdf)")
    parser.add_argument("--report", help="Markdown report, .md")
    _add_set(parser)
    return parser


def split_list(text: str, what: str) -> list[str]:
    """``'a, b,c'`` -> ``['a', 'b', 'c']``; raise on an empty list or empty item."""
    if not text.strip():
        raise HHBrianInputError(f"{what}: empty list; give comma-separated values")
    items = [item.strip() for item in text.split(",")]
    if any(not item for item in items):
        raise HHBrianInputError(
            f"{what}: {text!r} has an empty item; give a comma-separated list such as "
            "'exponential_euler,rk4' or '0.1*ms,0.01*ms'"
        )
    return items


def run(args: argparse.Namespace) -> int:
    """Validate, compare, print a summary and write the outputs."""
    from hh_brian.cli import EXIT_OK, load_preset
    from hh_brian.compare import (
        check_dts,
        check_methods,
        check_target,
        compare_methods,
        csv_text,
        markdown_report,
        plot_comparison,
        text_table,
    )
    from hh_brian.expressions import quantity_from_text
    from hh_brian.output import PLOT_SUFFIXES, check_output_path, write_text_atomic
    from hh_brian.runner import parse_current

    preset = load_preset(args.preset, args.set)
    methods = split_list(args.methods, "--methods")
    engines = split_list(args.engines, "--engines")
    check_methods(methods, engines)
    duration = quantity_from_text(args.duration, second, what="--duration", example="'100*ms'")
    dts = [
        quantity_from_text(text, second, what="--dts", example="'0.01*ms'")
        for text in split_list(args.dts, "--dts")
    ]
    dts = check_dts(dts, duration)
    target = check_target(
        quantity_from_text(args.target, second, what="--target", example="'0.1*ms'")
    )
    current = parse_current(preset, args.current)
    out = check_output_path(args.out, (".csv",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None
    report = check_output_path(args.report, (".md",), "--report") if args.report else None

    comparison = compare_methods(
        preset, methods=methods, dts=dts, current=current, duration=duration, engines=engines
    )
    table = csv_text(comparison.rows)
    report_text = markdown_report(comparison, target) if report else None
    if plot:
        plot_comparison(comparison, plot, target)
    if report:
        write_text_atomic(report, report_text)
    write_text_atomic(out, table)

    print(text_table(comparison.rows))
    for fit in comparison.orders():
        print(f"order  {fit.describe()}")
    print(
        f"recommendation (target {float(target / ms):g} ms): {comparison.recommend(target).reason}"
    )
    return EXIT_OK
