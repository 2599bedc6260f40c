"""``hh-brian gating``: x_inf(V) and tau_x(V) of several presets on the modern axis."""

from __future__ import annotations

import argparse

from hh_brian.cli.checks import OUT_CSV, PLOT, check_outputs
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register

NAME = "gating"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="compare gating variables x_inf(V), tau_x(V) of presets (figure, CSV)"
    )
    parser.add_argument(
        "presets", nargs="+", metavar="PRESET", help="one or more model names or .toml model files"
    )
    parser.add_argument("--plot", required=True, help="figure file (.png, .svg or .pdf)")
    parser.add_argument("--out", help="tidy table, .csv")


def run(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from hh_brian.core.output import PLOT_SUFFIXES, atomic_path, check_output_path
    from hh_brian.models.library import load_model

    presets = [load_model(name) for name in args.presets]
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot")
    out = check_output_path(args.out, (".csv",), "--out") if args.out else None

    from hh_brian.analysis.gating import compare, csv_text
    from hh_brian.report.plotting import plot_gating

    curves = compare(presets)
    # Both files go to temporaries and are renamed only when both succeeded.
    with (
        atomic_path(plot) as plot_temporary,
        atomic_path(out) if out else nullcontext() as csv_temporary,
    ):
        plot_gating(curves, plot_temporary)
        if out:
            csv_temporary.write_text(csv_text(curves), encoding="utf-8")
    if out:
        print(out)
    print(plot)
    shown = f"{plot} and {out}" if out else f"{plot}"
    set_summary(args, f"wrote {shown} ({len(presets)} models)")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Outputs, before Brian2 loads."""
    check_outputs(args, PLOT, OUT_CSV)


register(NAME, add_parser, run, check)
