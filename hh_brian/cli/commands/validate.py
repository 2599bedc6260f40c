"""``hh-brian validate PRESET``: cross-validate Brian2 against the NumPy reference.

Exit status 0 only if every check passes, 1 if any fails, 2 for bad input.
"""

from __future__ import annotations

import argparse

from hh_brian.cli.checks import REPORT, check_method, check_outputs
from hh_brian.cli.options import load_preset
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_FAILED, EXIT_OK, register

NAME = "validate"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="cross-validate Brian2 against the NumPy reference (round-off, orders, spikes)",
    )
    parser.add_argument("preset")
    parser.add_argument(
        "--current",
        help="injected current (default: a per-preset current giving repetitive firing: "
        "10 uA/cm**2, pyramidal 2.5, lecture07_class_defaults 30)",
    )
    parser.add_argument("--duration", default="100*ms", help="default 100*ms")
    parser.add_argument("--dt", default="0.01*ms", help="default 0.01*ms")
    parser.add_argument(
        "--methods",
        default="rush_larsen2,exponential_euler,rk4,euler",
        help="comma-separated Brian2 methods",
    )
    parser.add_argument(
        "--skip-orders", action="store_true", help="only the equal-dt agreement (fast)"
    )
    parser.add_argument("--report", metavar="FILE.md", help="write the report with its figure")
    parser.add_argument(
        "--set", action="append", metavar="NAME=EXPR", help="override a parameter or a rate"
    )


def run(args: argparse.Namespace) -> int:
    from hh_brian.cli.runner import parse_current, parse_time
    from hh_brian.compare.crossval import cross_validate
    from hh_brian.core.errors import HHBrianInputError
    from hh_brian.core.output import check_output_path
    from hh_brian.engines.brian2.simulate import BRIAN2_METHODS, check_time_step
    from hh_brian.report.validation_report import report_lines, write_report

    preset = load_preset(args.preset, args.set)
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    unknown = [m for m in methods if m not in BRIAN2_METHODS]
    if not methods or unknown:
        raise HHBrianInputError(
            f"--methods: unknown {unknown or 'empty list'}; use a comma-separated subset of "
            f"{','.join(BRIAN2_METHODS)}"
        )
    dt = parse_time(args.dt, "--dt")
    duration = parse_time(args.duration, "--duration")
    check_time_step(dt, duration)
    current = parse_current(preset, args.current) if args.current else None
    report = check_output_path(args.report, (".md",), "--report") if args.report else None

    result = cross_validate(
        preset,
        current=current,
        duration=duration,
        dt=dt,
        methods=methods,
        orders=not args.skip_orders,
        progress=args.progress,
    )
    print("\n".join(report_lines(result)))
    written = []
    if report:
        written = write_report(result, report)
        for path in written:
            print(f"wrote {path}")
    verdict = "every check passed" if result.passed else "some checks FAILED"
    where = f"; wrote {', '.join(str(p) for p in written)}" if written else ""
    set_summary(args, f"{preset.name}: {verdict} ({', '.join(methods)}){where}")
    return EXIT_OK if result.passed else EXIT_FAILED


def check(args: argparse.Namespace) -> None:
    """The report path and the method names, before Brian2 loads."""
    for method in (m.strip() for m in args.methods.split(",")):
        if method:
            check_method(method, "--methods")
    check_outputs(args, REPORT)


register(NAME, add_parser, run, check)
