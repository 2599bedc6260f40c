"""``hh-brian compare``: integration methods and time steps against the gold solution.

Every input is checked before any simulation starts; the table, report and
figure are written only after all runs finished, each atomically.  The
arguments and output handling shared with ``compare-simulators``
(:func:`add_common_arguments`, :func:`check_outputs`, :func:`write_outputs`,
:func:`split_list`, :func:`parse_time`) live here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hh_brian.cli import checks
from hh_brian.cli.checks import OUT_CSV, PLOT, REPORT, check_positive
from hh_brian.cli.options import add_memory_limit, add_set, load_preset, naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

if TYPE_CHECKING:
    from brian2 import Quantity

NAME = "compare"
DEFAULT_METHODS = "rush_larsen2,exponential_euler,rk4,euler,exponential_euler_tau"
DEFAULT_DTS = "0.1*ms,0.05*ms,0.025*ms,0.01*ms,0.005*ms"


# --------------------------------------------------------------------------- shared


def add_common_arguments(
    parser: argparse.ArgumentParser, plot_help: str, *, stimuli: bool = False
) -> None:
    """The preset, protocol (--duration, --current), outputs and --set of a comparison.

    With *stimuli*, ``--current`` is repeatable and takes ``KIND:NAME=EXPR,...``
    too (:mod:`hh_brian.cli.stimulus_options`); its value is then a list or None.
    """
    parser.add_argument("preset", help="model name or .toml model file")
    parser.add_argument("--duration", default="100*ms", help="default 100*ms")
    if stimuli:
        parser.add_argument(
            "--current",
            action="append",
            metavar="EXPR|KIND:NAME=EXPR,...",
            help="injected current, repeatable (they add): a constant such as 10*uA/cm**2 "
            "(the default), or step:amplitude=,onset=,offset= | pulses:amplitude=,width=,"
            "period=,onset=,count= | ramp:start=,stop=,onset=,offset= | sine:amplitude=,"
            "frequency=,bias=,onset=,offset= | noise:mean=,std=,tau=,seed= | "
            "file:path=,unit=",
        )
    else:
        parser.add_argument(
            "--current",
            default="10*uA/cm**2",
            help="constant injected current (default 10*uA/cm**2)",
        )
    parser.add_argument("--out", required=True, help="table, .csv")
    parser.add_argument("--plot", help=plot_help)
    parser.add_argument("--report", help="Markdown report, .md")
    add_memory_limit(parser, "runs")
    add_set(parser)


def check_run_memory(preset, runs: list[tuple[object, int]], duration, limit_mib: float) -> None:
    """Refuse past ``--memory-limit`` the traces of *runs*, ``(dt, how many runs)`` pairs,
    each recording every state variable and t at every step (and one copy)."""
    from hh_brian.core.memory import FLOAT_BYTES, check_memory

    if not limit_mib > 0:
        raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {limit_mib}")
    per_step = len(preset.state_variables) + 1
    samples = sum(count * (int(round(float(duration / dt))) + 1) for dt, count in runs)
    with naming_flags(memory_limit="--memory-limit MiB"):
        check_memory(
            2 * FLOAT_BYTES * per_step * samples,
            int(limit_mib * 2**20),
            f"the comparison ({samples} samples)",
            "use fewer or larger dts, fewer methods or a shorter --duration",
        )


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


def parse_time(text: str, what: str, example: str) -> Quantity:
    """A time from Brian2 expression text, e.g. ``'0.01*ms'``; raise with *what* named."""
    from brian2 import second

    from hh_brian.core.expressions import quantity_from_text

    return quantity_from_text(text, second, what=what, example=example)


@dataclass(frozen=True)
class Outputs:
    """Checked output paths: the CSV table and the optional figure and report."""

    out: Path
    plot: Path | None
    report: Path | None


def check_outputs(args: argparse.Namespace) -> Outputs:
    """Check --out (.csv), --plot (figure suffixes) and --report (.md) before any run."""
    from hh_brian.core.output import PLOT_SUFFIXES, check_output_path

    return Outputs(
        out=check_output_path(args.out, (".csv",), "--out"),
        plot=check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None,
        report=check_output_path(args.report, (".md",), "--report") if args.report else None,
    )


def write_outputs(
    outputs: Outputs, table: str, report: Callable[[], str], plot: Callable[[Path], object]
) -> None:
    """Write table, report and figure all or nothing: each renders into a temporary
    next to its target, and all are renamed into place only when every one succeeded."""
    from hh_brian.core.output import atomic_paths

    report_text = report() if outputs.report else None
    targets = [outputs.out, outputs.report, outputs.plot]
    chosen = [t for t in targets if t is not None]
    with atomic_paths(*chosen) as temporaries:
        paths = dict(zip(chosen, temporaries, strict=True))
        paths[outputs.out].write_text(table, encoding="utf-8")
        if outputs.report:
            paths[outputs.report].write_text(report_text, encoding="utf-8")
        if outputs.plot:
            plot(paths[outputs.plot])


# --------------------------------------------------------------------------- compare


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="compare methods and dts against a tight-tolerance gold solution (CSV table)",
        description="For each (engine, method, dt): max and RMS |dV| and spike-time errors "
        "against scipy's DOP853 at rtol = atol = 1e-12, wall time of the integration loop, "
        "blow-ups; observed orders (V from rest to 1 ms past the first spike, and spike "
        "times), flagged where not asymptotic; the cheapest run meeting --target.",
    )
    add_common_arguments(
        parser, "figure: error vs dt and vs wall time (.png, .svg, .pdf)", stimuli=True
    )
    parser.add_argument(
        "--methods",
        default=DEFAULT_METHODS,
        help=f"comma-separated, each once (default {DEFAULT_METHODS})",
    )
    parser.add_argument(
        "--dts",
        default=DEFAULT_DTS,
        help=f"comma-separated distinct time steps (default {DEFAULT_DTS})",
    )
    parser.add_argument(
        "--engines", default="brian2,reference", help="brian2 and/or reference (default both)"
    )
    parser.add_argument(
        "--target",
        default="0.1*ms",
        help="max spike-time error for the recommendation (default 0.1*ms)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate, compare, print a summary and write the outputs."""
    from hh_brian.cli.runner import parse_current
    from hh_brian.cli.stimulus_options import is_stimulus_text, parse_current_options
    from hh_brian.compare.methods import check_dts, check_methods, check_target, compare_methods
    from hh_brian.report.compare_report import (
        csv_text,
        markdown_report,
        orders_table,
        plot_comparison,
        text_table,
    )

    preset = load_preset(args.preset, args.set)
    methods = split_list(args.methods, "--methods")
    engines = split_list(args.engines, "--engines")
    with naming_flags(methods="--methods", engines="--engines"):
        check_methods(methods, engines)
    from brian2 import ms

    duration = parse_time(args.duration, "--duration", "'100*ms'")
    dts = [parse_time(text, "--dts", "'0.01*ms'") for text in split_list(args.dts, "--dts")]
    with naming_flags(dts="--dts", duration="--duration", target="--target"):
        dts = check_dts(dts, duration)
        target = check_target(parse_time(args.target, "--target", "'0.1*ms'"))
    texts = args.current or ["10*uA/cm**2"]
    if len(texts) == 1 and not is_stimulus_text(texts[0]):
        current = parse_current(preset, texts[0])  # a constant current, as before
    else:
        current = parse_current_options(texts)
    check_run_memory(
        preset,
        [(dt, len(methods) * len(engines)) for dt in dts] + [(min(dts), 1)],
        duration,
        args.memory_limit,
    )
    outputs = check_outputs(args)

    with naming_flags(current="--current"):
        comparison = compare_methods(
            preset,
            methods=methods,
            dts=dts,
            current=current,
            duration=duration,
            engines=engines,
            progress=args.progress,
        )
    write_outputs(
        outputs,
        csv_text(comparison.rows),
        lambda: markdown_report(comparison, target),
        lambda path: plot_comparison(comparison, path, target),
    )
    print(text_table(comparison.rows))
    print()
    print(orders_table(comparison))
    print()
    print(
        f"recommendation (target {float(target / ms):g} ms): {comparison.recommend(target).reason}"
    )
    set_summary(args, f"wrote {written(outputs)} ({len(comparison.rows)} runs)")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Outputs and the memory limit, before Brian2 loads (shared with compare-simulators)."""
    check_positive(args.memory_limit, "--memory-limit")
    checks.check_outputs(args, OUT_CSV, PLOT, REPORT)


def written(outputs: Outputs) -> str:
    """The files a comparison wrote, for its summary line."""
    return ", ".join(str(p) for p in (outputs.out, outputs.report, outputs.plot) if p)


register(NAME, add_parser, run, check)
