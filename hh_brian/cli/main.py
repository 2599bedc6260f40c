"""The ``hh-brian`` command.

Exit status: 0 on success, 1 when a simulation fails numerically (or a check
fails), 2 for bad input.  Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

#: Subcommand name -> function(args) -> exit status.  Filled by @command.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # pragma: no cover - exercised via main()
        if "expected one argument" in message:
            message += " (a value starting with '-' must be joined with '=': --dt=-0.01*ms)"
        raise HHBrianInputError(f"{self.prog}: {message}")


def command(name: str) -> Callable:
    def register(function: Callable[[argparse.Namespace], int]) -> Callable:
        _COMMANDS[name] = function
        return function

    return register


def parse_settings(pairs: Sequence[str] | None) -> dict[str, object]:
    """``["g_Na=120*mS/cm**2", "alpha_n=..."]`` -> ``{name: text}``; values are parsed later."""
    settings: dict[str, object] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise HHBrianInputError(
                f"--set {pair!r}: expected NAME=EXPR, e.g. --set 'g_Na=120*mS/cm**2'"
            )
        settings[name.strip()] = value.strip()
    return settings


def load_preset(name: str, settings: Sequence[str] | None):
    """The named preset with ``--set`` overrides applied (units checked)."""
    from hh_brian.models.library import load_model

    return load_model(name).derive(parse_settings(settings))


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=EXPR",
        help="override a parameter (--set 'g_Na=100*mS/cm**2', --set celsius=16.3) or a rate "
        "(--set 'beta_m=4/ms*exp(-(v + 65*mV)/(18*mV))')",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hh-brian",
        description="Hodgkin-Huxley neuron models on Brian2, cross-validated against NumPy.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("presets", help="list presets: name, convention, citation")

    render = sub.add_parser("render", help="print a preset's Brian2 equations")
    render.add_argument("preset", nargs="?", help="model name or .toml model file")
    render.add_argument("--all", action="store_true", help="every preset")
    render.add_argument("--write", metavar="DIR", help="write one file per preset into DIR")
    _add_set(render)

    simulate = sub.add_parser("simulate", help="run one neuron and save its traces (NPZ)")
    simulate.add_argument("preset")
    simulate.add_argument(
        "--method", default="exponential_euler", help="exponential_euler (default), rk4 or euler"
    )
    simulate.add_argument("--dt", default="0.01*ms", help="time step (default 0.01*ms)")
    simulate.add_argument("--duration", default="100*ms", help="default 100*ms")
    simulate.add_argument(
        "--current",
        default="10*uA/cm**2",
        help="constant injected current, positive depolarises: a density "
        "('10*uA/cm**2') or, for presets with an area, a current ('0.2*nA')",
    )
    simulate.add_argument("--engine", default="brian2", help="brian2 (default) or reference")
    simulate.add_argument("--out", required=True, help="output file, .npz")
    simulate.add_argument("--plot", help="figure file (.png, .svg or .pdf)")
    _add_set(simulate)

    for module in command_modules():
        module.add_parser(sub)
    return parser


#: Subcommands that live in their own modules under ``hh_brian/cli/commands/``; each
#: defines ``NAME``, ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "validate",
    "fi",
    "gating",
    "network",
    "compare",
    "compare_simulators",
)


def command_modules() -> list:
    import importlib

    return [importlib.import_module(f"hh_brian.cli.commands.{name}") for name in COMMAND_MODULES]


@command("presets")
def _presets(args: argparse.Namespace) -> int:
    from hh_brian.models.library import MODELS

    width = max(len(name) for name in MODELS)
    for name, model in MODELS.items():
        channels = ", ".join(ch.name for ch in model.channels)
        print(f"{name:<{width}}  {model.convention.name:<7}  {model.title}")
        print(f"{'':<{width}}  {'':<7}  channels: {channels}")
        print(f"{'':<{width}}  {'':<7}  {model.citation}")
    return EXIT_OK


@command("render")
def _render(args: argparse.Namespace) -> int:
    from hh_brian.render.brian2 import render
    from hh_brian.render.equation_files import write_equation_files

    if args.write:
        if not args.all or args.preset or args.set:
            raise HHBrianInputError(
                "render --write DIR writes the built-in presets: use `hh-brian render --all "
                "--write equations/`"
            )
        for path in write_equation_files(args.write):
            print(path)
        return EXIT_OK
    if args.all:
        from hh_brian.models.presets import PRESETS

        print("\n".join(render(p).file_text() for p in PRESETS.values()))
        return EXIT_OK
    if not args.preset:
        raise HHBrianInputError("render: give a PRESET name or --all (see `hh-brian presets`)")
    print(render(load_preset(args.preset, args.set)).file_text(), end="")
    return EXIT_OK


@command("simulate")
def _simulate(args: argparse.Namespace) -> int:
    from hh_brian.cli.runner import run_single

    run_single(
        preset=load_preset(args.preset, args.set),
        method=args.method,
        dt_text=args.dt,
        duration_text=args.duration,
        current_text=args.current,
        engine=args.engine,
        out=args.out,
        plot=args.plot,
    )
    return EXIT_OK


def _quiet_brian2() -> None:
    """hh-brian reports blow-ups itself (one line, exit 1); drop Brian2's duplicate warning."""
    from brian2.utils.logger import BrianLogger

    BrianLogger.suppress_name("invalid_values")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hh-brian`` command; returns the exit status."""
    _quiet_brian2()
    try:
        args = build_parser().parse_args(argv)
        handlers = {**_COMMANDS, **{m.NAME: m.run for m in command_modules()}}
        return handlers[args.command](args)
    except HHBrianInputError as exc:
        print(f"hh-brian: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SimulationBlowUpError as exc:
        print(f"hh-brian: simulation failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        # A file system problem found late (disk full, permissions changed): bad input.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(
            f"hh-brian: error: cannot write output{where}: {exc.strerror or exc}; "
            "choose another path",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hh-brian: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
