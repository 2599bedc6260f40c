"""The ``hh-brian`` command.

Exit status: 0 on success, 1 when a simulation fails numerically (or a check
fails), 2 for bad input, 130 on SIGINT and 143 on SIGTERM (nothing is written), 70
for an internal error (one line, with the path of a saved report).  Errors are one
line on stderr, never a traceback.

The subcommands live in :mod:`hh_brian.cli.commands`, one module each, and register
themselves in :mod:`hh_brian.cli.registry`; this module only builds the parser from
the registry and dispatches.

Answers before Brian2 loads: parsing, model names and each command's ``check`` (output
paths, folders, option values) run before Brian2, SymPy or SciPy is imported, so
``--help`` and most mistakes are answered in a fraction of a second.  Every command
gets ``--force`` and ``--quiet`` here, shows progress on a terminal
(:mod:`hh_brian.cli.progress`) and ends with one summary line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from hh_brian.cli.interrupts import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    Terminated,
    save_crash_report,
    terminated_as_exception,
)
from hh_brian.cli.progress import progress_for, summary_line
from hh_brian.cli.registry import COMMANDS, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Parser
from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.core.output import OutputExists, overwriting

#: Subcommands in the order ``hh-brian --help`` lists them.
COMMAND_ORDER: tuple[str, ...] = (
    "presets",
    "render",
    "simulate",
    "demo",
    "validate",
    "fi",
    "bifurcation",
    "gating",
    "network",
    "noise-sweep",
    "compare",
    "compare-simulators",
    "conformance",
    "vclamp",
    "import",
    "export",
)


def load_commands() -> dict:
    """Import every command module (each registers itself); return the registry."""
    from hh_brian.cli.commands import (  # noqa: F401  (imported to register)
        basic,
        bifurcation,
        compare,
        compare_simulators,
        conformance,
        demo,
        exchange,
        fi,
        gating,
        network,
        noise_sweep,
        validate,
        vclamp,
    )

    return COMMANDS


def build_parser() -> argparse.ArgumentParser:
    commands = load_commands()
    parser = Parser(
        prog="hh-brian",
        description="Hodgkin-Huxley neuron models on Brian2, cross-validated against NumPy.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    ordered = [*COMMAND_ORDER, *(name for name in commands if name not in COMMAND_ORDER)]
    for name in ordered:
        commands[name].add_parser(sub)
    _add_shared(sub)
    return parser


def _add_shared(subparsers: argparse._SubParsersAction) -> None:
    """``--force`` and ``--quiet`` on every (sub)command that takes no further
    subcommand: one overwrite policy and one way to silence progress for every command."""
    for command in subparsers.choices.values():
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for action in nested:
                _add_shared(action)
            continue
        if "--force" not in command._option_string_actions:  # some define their own help
            command.add_argument("--force", action="store_true", help="replace existing outputs")
        command.add_argument(
            "--quiet",
            action="store_true",
            help="no progress display and no summary line (errors and warnings still show)",
        )


def _prepare_brian2(whole_process: bool) -> None:
    """Import Brian2 (after every quick check) and silence its duplicate warnings.

    When ``main`` is the process's command (*whole_process*: the arguments come from
    ``sys.argv``), also freeze the objects imported so far: Brian2 runs the garbage
    collector at every ``run()``, the frozen modules (Brian2, SymPy, matplotlib) are
    then not scanned, and interpreter shutdown is shorter.  A command-line process is
    short-lived, so nothing is lost by never freeing them; a caller that runs ``main``
    many times in one process (tests) is left alone."""
    _quiet_brian2()
    if whole_process:
        import gc

        gc.freeze()


def _quiet_brian2() -> None:
    """hh-brian reports blow-ups itself (one line, exit 1); drop Brian2's duplicate warning."""
    from brian2.utils.logger import BrianLogger

    BrianLogger.suppress_name("invalid_values")


def _check_model_names(args: argparse.Namespace) -> None:
    """Refuse an unknown model name or a missing model file before any heavy import."""
    from hh_brian.models.library import check_model_spec

    names = getattr(args, "presets", None) or [getattr(args, "preset", None)]
    for name in names:
        if isinstance(name, str):
            check_model_spec(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hh-brian`` command; returns the exit status."""
    started = time.perf_counter()
    try:
        args = build_parser().parse_args(argv)
        _check_model_names(args)  # unknown models and missing files: no Brian2 import yet
        command = COMMANDS[args.command]
        with overwriting(getattr(args, "force", False)):
            if command.check is not None:  # paths and options: still no Brian2
                command.check(args)
        _prepare_brian2(argv is None)  # after every quick check: they never load Brian2
        with (
            overwriting(getattr(args, "force", False)),
            terminated_as_exception(),
            progress_for(args) as progress,
        ):
            args.progress = progress
            status = command.run(args)
        if status in (EXIT_OK, EXIT_FAILED) and not getattr(args, "quiet", False):
            print(summary_line(args, time.perf_counter() - started), file=sys.stderr)
        return status
    except OutputExists as exc:
        print(f"hh-brian: error: {exc}, or pass --force to replace it", file=sys.stderr)
        return EXIT_BAD_INPUT
    except HHBrianInputError as exc:
        print(f"hh-brian: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SimulationBlowUpError as exc:
        print(f"hh-brian: simulation failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader went away (`hh-brian presets | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A file system problem found late (disk full, permissions changed): bad input.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(
            f"hh-brian: error: cannot write output{where}: {exc.strerror or exc}; "
            "choose another path",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, Terminated) as exc:
        signal_name = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
        detail = f": {exc}" if str(exc) else ""
        print(
            f"hh-brian: interrupted by {signal_name}{detail}; no output was written",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception as exc:  # an internal error: one line and a saved report, no traceback
        report = save_crash_report(exc)
        print(
            f"hh-brian: internal error: {type(exc).__name__}: {_first_line(exc)} "
            f"(details: {report}); please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "(no message)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
