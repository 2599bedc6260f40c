"""``hh-brian fi``: f-I curve in both sweep directions, as a tidy CSV and a figure."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hh_brian.cli.checks import OUT_CSV, PLOT, check_method, check_outputs, check_positive
from hh_brian.cli.options import add_memory_limit, add_set, load_preset, naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

if TYPE_CHECKING:
    from brian2 import Quantity

NAME = "fi"
_RANGE_EXAMPLE = "'0*uA/cm**2:20*uA/cm**2:0.5*uA/cm**2'"
#: Refuse absurdly fine sweeps (one neuron per current and protocol).
MAX_CURRENTS = 5000


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="f-I curve: up sweep from rest, down sweep from firing, excitability class "
        "(CSV, figure)",
    )
    parser.add_argument("preset", help="model name or .toml model file")
    parser.add_argument(
        "--currents",
        required=True,
        metavar="START:STOP:STEP",
        help=f"currents with units, STOP included, e.g. {_RANGE_EXAMPLE}",
    )
    parser.add_argument(
        "--duration",
        default="500*ms",
        help="hold time per current (500*ms); the rate is measured over its last half, which "
        "must hold 2 periods of 20 Hz (so at least 200*ms)",
    )
    parser.add_argument("--ramp", default="100*ms", help="rise time of the up sweep (100*ms)")
    parser.add_argument("--prime-current", help="priming current of the down sweep (max current)")
    parser.add_argument(
        "--method",
        default="rush_larsen2",
        help="rush_larsen2 (default), exponential_euler, rk4, euler",
    )
    parser.add_argument("--dt", default="0.01*ms", help="time step (0.01*ms)")
    parser.add_argument("--out", required=True, help="output table, .csv")
    parser.add_argument("--plot", help="figure file (.png, .svg or .pdf)")
    add_memory_limit(parser, "a sweep")
    add_set(parser)


def parse_range(text: str, preset) -> Quantity:
    """``'START:STOP:STEP'`` (each with current units) -> increasing currents, STOP included."""
    import numpy as np
    from brian2 import Quantity, get_dimensions
    from brian2.units.fundamentalunits import DIMENSIONLESS

    from hh_brian.core.expressions import evaluate
    from hh_brian.engines.brian2.simulate import coerce_current

    parts = text.split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise HHBrianInputError(
            f"--currents: {text!r} is not START:STOP:STEP; e.g. {_RANGE_EXAMPLE}"
        )
    start, stop, step = (
        evaluate(p, what=f"--currents {name}", example="'0.5*uA/cm**2'")
        for p, name in zip(parts, ("START", "STOP", "STEP"), strict=True)
    )
    for name, value in (("START", start), ("STOP", stop), ("STEP", step)):
        if np.ndim(value) != 0 or not np.isfinite(float(np.asarray(value))):
            raise HHBrianInputError(f"--currents {name}: expected one finite value, got {value!r}")
        if get_dimensions(value) is DIMENSIONLESS:
            raise HHBrianInputError(
                f"--currents {name}: {value!r} has no units; give each of START:STOP:STEP "
                f"with current units, e.g. {_RANGE_EXAMPLE}"
            )
        coerce_current(preset, value, what=f"--currents {name}")
    if len({get_dimensions(start), get_dimensions(stop), get_dimensions(step)}) != 1:
        raise HHBrianInputError(
            f"--currents: START, STOP and STEP must share units, got {text!r}; "
            f"e.g. {_RANGE_EXAMPLE}"
        )
    a, b, s = (float(np.asarray(q)) for q in (start, stop, step))
    if s <= 0:
        raise HHBrianInputError(
            f"--currents: STEP must be positive, got {step!r}; e.g. {_RANGE_EXAMPLE}"
        )
    if b < a:
        raise HHBrianInputError(
            f"--currents: STOP {stop!r} is below START {start!r} (reversed range); swap them"
        )
    count = int(np.floor((b - a) / s + 1e-9)) + 1
    if count > MAX_CURRENTS:
        raise HHBrianInputError(
            f"--currents: {count} currents is more than {MAX_CURRENTS}; use a larger STEP"
        )
    return Quantity(a + s * np.arange(count), dim=get_dimensions(start))


def run(args: argparse.Namespace) -> int:
    import sys
    from contextlib import nullcontext

    from hh_brian.analysis.fi_protocol import check_measurement
    from hh_brian.cli.runner import parse_time
    from hh_brian.core.expressions import evaluate
    from hh_brian.core.output import PLOT_SUFFIXES, atomic_path, check_output_path
    from hh_brian.engines.brian2.simulate import BRIAN2_METHODS, check_time_step

    preset = load_preset(args.preset, args.set)
    if args.method not in BRIAN2_METHODS:
        raise HHBrianInputError(
            f"--method: unknown method {args.method!r}; use one of {', '.join(BRIAN2_METHODS)}"
        )
    currents = parse_range(args.currents, preset)
    dt = parse_time(args.dt, "--dt")
    duration = parse_time(args.duration, "--duration")
    ramp = parse_time(args.ramp, "--ramp")
    check_time_step(dt, duration)
    check_measurement(duration, what="--duration")
    prime = None
    if args.prime_current:
        from hh_brian.engines.brian2.simulate import coerce_current

        prime = evaluate(args.prime_current, what="--prime-current", example="'20*uA/cm**2'")
        coerce_current(preset, prime, what="--prime-current")
    _check_memory(currents.size, dt, duration, args.memory_limit)
    out = check_output_path(args.out, (".csv",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None

    from hh_brian.analysis.fi_curve import fi_curve

    result = fi_curve(
        preset,
        currents,
        duration=duration,
        dt=dt,
        method=args.method,
        ramp=ramp,
        prime_current=prime,
        progress=args.progress,
    )
    # Both files are written to temporaries first and renamed only when both succeeded:
    # a failing figure leaves no CSV behind (and destroys no existing file).
    with (
        atomic_path(out) as csv_temporary,
        atomic_path(plot) if plot else nullcontext() as plot_temporary,
    ):
        csv_temporary.write_text(result.csv_text(), encoding="utf-8")
        if plot:
            from hh_brian.report.plotting import plot_fi

            plot_fi(result, plot_temporary)
    for warning in result.warnings():
        print(f"hh-brian: warning: {warning}", file=sys.stderr)
    print(result.summary())
    print(out)
    if plot:
        print(plot)
    shown = f"{out} and {plot}" if plot else f"{out}"
    set_summary(args, f"wrote {shown} ({currents.size} currents, both sweep directions)")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Outputs, method and memory limit, before Brian2 loads."""
    check_method(args.method)
    check_positive(args.memory_limit, "--memory-limit")
    check_outputs(args, OUT_CSV, PLOT)


def _check_memory(n_currents: int, dt, duration, limit_mib: float) -> None:
    """The recorded window (3 sweeps x currents, at the sweep's record step), recorded and
    copied once: refuse past ``--memory-limit``."""
    import numpy as np

    from hh_brian.analysis.fi_protocol import MEASURE_FRACTION, record_step
    from hh_brian.core.memory import FLOAT_BYTES, check_memory

    if not limit_mib > 0:
        raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {limit_mib}")
    n_neurons = 3 * n_currents
    step = record_step(dt, n_neurons, duration)
    samples = int(np.ceil(float(MEASURE_FRACTION * duration / step))) + 1
    with naming_flags(memory_limit="--memory-limit MiB"):
        check_memory(
            2 * FLOAT_BYTES * n_neurons * samples,
            int(limit_mib * 2**20),
            f"fi ({n_neurons} neurons x {samples} samples)",
            "use fewer currents or a shorter --duration",
        )


register(NAME, add_parser, run, check)
