"""``hh-brian import`` and ``hh-brian export``: NeuroML2 in; NeuroML2, NMODL, Brian2, LaTeX out."""

from __future__ import annotations

import argparse

from hh_brian.cli.options import add_set, load_preset
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError


def add_import_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="read a single-compartment NeuroML2 cell; write an hh-brian model file"
    )
    parser.add_argument("file", help="NeuroML2 file (.nml)")
    parser.add_argument("--out", required=True, help="model file to write (.toml)")
    parser.add_argument("--cell", help="the cell's id, when the file has several")


def run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hh_brian.core.output import check_output_path, write_text_atomic
    from hh_brian.exchange.neuroml_import import load_neuroml
    from hh_brian.models.modelfile import model_to_toml

    out = check_output_path(args.out, (".toml",), "--out")  # --force: cli/main.py
    model = load_neuroml(args.file, cell_id=args.cell)
    header = f"# Imported by hh-brian from {Path(args.file).name} (cell {model.name}).\n"
    write_text_atomic(out, header + model_to_toml(model))
    print(f"{out}: model {model.name!r}, channels {', '.join(ch.name for ch in model.channels)}")
    set_summary(args, f"wrote {out} (model {model.name!r})")
    return EXIT_OK


def check_import(args: argparse.Namespace) -> None:
    """The input file and the output path, before Brian2 loads."""
    from pathlib import Path

    from hh_brian.core.output import check_output_path, overwriting

    if not Path(args.file).is_file():
        raise HHBrianInputError(f"{args.file}: no such NeuroML2 file")
    with overwriting(True):  # import has its own --force, checked below
        out = check_output_path(args.out, (".toml",), "--out")
    if out.exists() and not args.force:
        raise HHBrianInputError(f"--out: {str(out)!r} exists; give --force to replace it")


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="write a model as NeuroML2 (+ LEMS simulation), NMODL, Brian2 or LaTeX"
    )
    parser.add_argument("preset", help="model name, .toml model file or .nml NeuroML2 cell")
    parser.add_argument("--format", required=True, choices=("neuroml", "nmodl", "brian2", "latex"))
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to create")
    parser.add_argument(
        "--current",
        action="append",
        metavar="EXPR|KIND:NAME=EXPR,...",
        help="neuroml: the LEMS simulation's input (as for simulate; default 10*uA/cm**2)",
    )
    parser.add_argument("--protocol", metavar="FILE", help="neuroml: a protocol file")
    parser.add_argument("--dt", help="neuroml: the LEMS step (default 0.01*ms)")
    parser.add_argument("--duration", help="neuroml: the LEMS length (default 100*ms)")
    add_set(parser)


def run_export(args: argparse.Namespace) -> int:
    from hh_brian.cli.export_formats import check_folder, export_model
    from hh_brian.cli.runner import command_protocol

    check_folder(args.out, force=args.force)
    protocol = command_protocol(
        protocol_path=args.protocol,
        current_texts=args.current,
        v0_text=None,
        dt_text=args.dt,
        duration_text=args.duration,
        method=None,
    )
    model = load_preset(args.preset, args.set)
    written = export_model(model, args.format, args.out, force=args.force, protocol=protocol)
    for path in written:
        print(path)
    set_summary(args, f"wrote {args.out}/ ({args.format}, {len(written)} files)")
    return EXIT_OK


def check_export(args: argparse.Namespace) -> None:
    """The output folder and a protocol file, before Brian2 loads."""
    from pathlib import Path

    from hh_brian.cli.export_formats import check_folder

    check_folder(args.out, force=args.force)
    if args.protocol and not Path(args.protocol).is_file():
        raise HHBrianInputError(f"{args.protocol}: protocol file not found")


register("import", add_import_parser, run_import, check_import)
register("export", add_export_parser, run_export, check_export)
