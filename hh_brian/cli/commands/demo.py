"""``hh-brian demo [--out DIR]``: the README's main job (see :mod:`hh_brian.report.demo`)."""

from __future__ import annotations

import argparse

NAME = "demo"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME, help="lecture protocol in both engines, gating comparison, f-I curve, summary"
    )
    parser.add_argument("--out", metavar="DIR", help="new or empty folder (default: timestamped)")
    parser.add_argument("--fast", action="store_true", help="shorter protocols (for testing)")


def run(args: argparse.Namespace) -> int:
    from hh_brian.report.demo import run_demo

    run_demo(args.out, fast=args.fast)
    return 0
