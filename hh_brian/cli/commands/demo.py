"""``hh-brian demo [--out DIR]``: the README's main job, in one folder of figures and a summary.

``hh-brian demo`` writes into a fresh folder:

1. the book's squid axon (c_m = 1 uF/cm^2: rest -65 mV, peaks near +40 mV) beside
   lecture 7's protocol on the lecture's class defaults (c_m ten times larger), under
   the same input, with spikes counted at a level a person would use
   (:mod:`hh_brian.compare.squid_vs_lecture`); the lecture's runs in Brian2 and the
   NumPy reference's identical schemes, and their agreement;
2. the methods' accuracy: spike-time error against dt and against cost;
3. the gating comparison of the squid axon and the cortical pyramidal cell;
4. the f-I curve of the squid axon in both sweep directions (its bistable range);
5. ``summary.md`` linking the figures, with the numbers
   (:func:`hh_brian.report.demo.summary_text`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.output import probe_writable, write_text_atomic
from hh_brian.core.progress import Progress, report

NAME = "demo"
STEPS = 5


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="squid action potential beside the lecture's protocol, method accuracy, "
        "gating comparison, f-I curve, summary",
    )
    parser.add_argument("--out", metavar="DIR", help="new or empty folder (default: timestamped)")
    parser.add_argument("--fast", action="store_true", help="shorter protocols (for testing)")


def run(args: argparse.Namespace) -> int:
    folder = run_demo(args.out, fast=args.fast, progress=args.progress)
    set_summary(args, f"wrote {folder}/ (5 figures, 3 tables, summary.md)")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """The output folder, before Brian2 loads (nothing is created yet)."""
    checked_folder(args.out)


def checked_folder(out: str | None) -> Path:
    """*out* (or a timestamped name) if it is new or an empty folder in an existing one."""
    if out is None:
        folder = Path(f"hh-brian-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    else:
        folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise HHBrianInputError(
            f"--out: {str(folder)!r} is an existing file; give a new folder name"
        )
    if folder.exists() and any(folder.iterdir()):
        raise HHBrianInputError(
            f"--out: folder {str(folder)!r} is not empty; the demo never overwrites results: "
            "give a new folder name"
        )
    if not folder.parent.exists():
        raise HHBrianInputError(
            f"--out: parent folder {str(folder.parent)!r} does not exist; create it first"
        )
    return folder


def prepare_folder(out: str | None) -> Path:
    """A fresh output folder: *out* if new or empty, else a timestamped new one."""
    folder = checked_folder(out)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise HHBrianInputError(
            f"--out: cannot create folder {str(folder)!r} ({exc.strerror}); choose a writable "
            "location"
        ) from None
    probe_writable(folder, "--out")
    return folder


def run_demo(out: str | None = None, *, fast: bool = False, progress: Progress = None) -> Path:
    """Run the demo and return the folder it wrote.

    Parameters
    ----------
    out : str, optional
        Output folder (must not exist or be empty); default a timestamped one.
    fast : bool
        Shorter protocols (for tests): 200 ms lecture run, fewer dts, coarse f-I grid.
    progress : callable, optional
        Receives :class:`~hh_brian.core.progress.Step` reports: one per stage.
    """
    import numpy as np
    from brian2 import ms, uA
    from brian2.units import cm

    from hh_brian.analysis.fi_curve import fi_curve
    from hh_brian.analysis.gating import compare, write_csv
    from hh_brian.compare.methods import compare_methods
    from hh_brian.compare.squid_vs_lecture import run_side_by_side
    from hh_brian.compare.validation_current import default_current
    from hh_brian.models.presets import get_preset
    from hh_brian.report.compare_report import csv_text
    from hh_brian.report.demo import summary_text
    from hh_brian.report.demo_figures import plot_method_accuracy, plot_side_by_side
    from hh_brian.report.lecture import plot_lecture
    from hh_brian.report.plotting import plot_fi, plot_gating

    folder = prepare_folder(out)
    started = time.perf_counter()
    duration = 200 * ms if fast else 1000 * ms

    def stage(k: int, text: str) -> None:
        report(progress, "demo", k, STEPS, note=text, finished=k == STEPS)

    stage(
        0, f"the book's squid axon beside lecture 7's class defaults ({float(duration / ms):g} ms)"
    )
    side = run_side_by_side(duration=duration, progress=lambda m: stage(0, m))
    plot_side_by_side(side, folder / "action_potentials.png")
    plot_lecture(side.lecture, folder / "lecture_protocol.png", threshold=side.lecture_threshold)

    stage(1, "method accuracy: spike-time error against dt and against cost")
    model = get_preset("dayan_abbott")
    dts = (0.1, 0.025, 0.01) if fast else (0.1, 0.05, 0.025, 0.01)
    accuracy = compare_methods(
        model,
        methods=("exponential_euler", "rush_larsen2", "rk4"),
        dts=[d * ms for d in dts],
        current=default_current(model),
        duration=(20 if fast else 30) * ms,
        # the NumPy twin (the same errors to round-off): no Brian2 compilation on a
        # fresh install, and no per-run code generation
        engines=("reference",),
        order_window=False,
    )
    target = 0.1 * ms
    plot_method_accuracy(accuracy, folder / "method_accuracy.png", target)
    write_text_atomic(folder / "method_accuracy.csv", csv_text(accuracy.rows))

    stage(2, "gating curves: squid axon vs cortical pyramidal cell")
    curves = compare([get_preset("dayan_abbott"), get_preset("pyramidal")])
    plot_gating(curves, folder / "gating.png")
    write_csv(curves, str(folder / "gating.csv"))

    stage(3, "f-I curve of the squid axon, up and down sweeps (one NeuronGroup)")
    step = 1.0 if fast else 0.25
    currents = np.arange(2.0, 12.0 + step / 2, step) * uA / cm**2
    fi = fi_curve(
        get_preset("dayan_abbott"), currents, duration=(200 if fast else 400) * ms, dt=0.01 * ms
    )
    plot_fi(fi, folder / "fi.png")
    fi.write_csv(folder / "fi.csv")

    stage(4, "summary")
    summary = summary_text(side, accuracy, target, fi, elapsed=time.perf_counter() - started)
    write_text_atomic(folder / "summary.md", summary)
    stage(STEPS, "done")
    return folder


register(NAME, add_parser, run, check)
