"""``hh-brian network``: the COBAHH benchmark network and the rendered synapse equations.

hh-brian network cobahh [--duration 1*second] [--n-neurons 4000]
    [--engine brian2|neuron] [--ranks K] [--delay 0*ms]
    [--device runtime|cpp_standalone] [--threads 1] [--seed 1]
    [--connectivity probability|in_degree] [--memory-limit MiB]
    --out net.npz [--plot raster.png]
hh-brian network synapses [--write equations/synapses/]
"""

from __future__ import annotations

import argparse

from hh_brian.cli.checks import OUT_NPZ, PLOT, check_choice, check_outputs, check_positive
from hh_brian.cli.options import naming_flags
from hh_brian.cli.progress import set_summary
from hh_brian.cli.registry import EXIT_OK, register
from hh_brian.core.errors import HHBrianInputError

NAME = "network"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(NAME, help="networks of HH neurons (COBAHH benchmark)")
    sub = parser.add_subparsers(dest="network_command", required=True, parser_class=type(parser))
    cobahh = sub.add_parser("cobahh", help="Brette et al. 2007 benchmark 3 (COBAHH)")
    cobahh.add_argument("--duration", default="1*second", help="simulated time (default 1*second)")
    cobahh.add_argument("--n-neurons", type=int, default=4000, help="total, 80%% excitatory")
    cobahh.add_argument("--device", default="runtime", help="runtime (cython) or cpp_standalone")
    cobahh.add_argument("--threads", type=int, default=1, help="OpenMP threads (cpp_standalone)")
    cobahh.add_argument("--seed", type=int, default=1)
    cobahh.add_argument(
        "--engine", default="brian2", help="brian2 (default) or neuron (the exported network)"
    )
    cobahh.add_argument(
        "--ranks",
        type=int,
        help="NEURON only: run on K MPI processes (mpiexec -n K); default: one process",
    )
    cobahh.add_argument(
        "--delay",
        default="0*ms",
        help="synaptic delay (default 0*ms; NEURON needs whole steps >= dt, e.g. 0.1*ms)",
    )
    cobahh.add_argument(
        "--connectivity",
        default="probability",
        help="probability (p = 0.02, default) or in_degree (64 exc + 16 inh sources per neuron)",
    )
    cobahh.add_argument(
        "--memory-limit", type=float, default=1024.0, help="refuse monitors above this (MiB)"
    )
    cobahh.add_argument("--out", required=True, help="output file, .npz")
    cobahh.add_argument("--plot", help="figure: raster, rates, traces (.png, .svg, .pdf)")
    synapses = sub.add_parser("synapses", help="print or write the rendered synapse equations")
    synapses.add_argument("--write", metavar="DIR", help="write one .eqs file per synapse preset")


def run(args: argparse.Namespace) -> int:
    if args.network_command == "synapses":
        return _synapses(args)
    return _cobahh(args)


def _synapses(args: argparse.Namespace) -> int:
    from hh_brian.models.synapse_equations import expected_synapse_files, write_synapse_files

    if args.write:
        with naming_flags(folder="--write"):
            written = write_synapse_files(args.write)
        for path in written:
            print(path)
        set_summary(args, f"wrote {len(written)} synapse equation files into {args.write}")
    else:
        print("\n".join(expected_synapse_files().values()), end="")
        set_summary(args, "printed the synapse equations")
    return EXIT_OK


def check(args: argparse.Namespace) -> None:
    """Paths and options, before Brian2 loads."""
    from pathlib import Path

    if args.network_command == "synapses":
        if args.write and not Path(args.write).is_dir():
            raise HHBrianInputError(f"--write: {args.write!r} does not exist; create it first")
        return
    from hh_brian.network.names import CONNECTIVITY, DEVICES

    with naming_flags(threads="--threads", device="--device", memory_limit="--memory-limit MiB"):
        _check_engine(args)
        check_choice(args.device, DEVICES, "--device")
        check_choice(args.connectivity, CONNECTIVITY, "--connectivity")
        if args.threads < 1:
            raise HHBrianInputError(f"--threads: must be at least 1, got {args.threads}")
        if args.device == "runtime" and args.threads != 1:
            raise HHBrianInputError("--threads: more than 1 needs --device cpp_standalone")
        if args.n_neurons < 5:
            raise HHBrianInputError(f"--n-neurons: must be at least 5, got {args.n_neurons}")
        check_positive(args.memory_limit, "--memory-limit")
    check_outputs(args, OUT_NPZ, PLOT)


def _check_engine(args: argparse.Namespace) -> None:
    """--engine, --ranks and MPI, before Brian2 loads."""
    check_choice(args.engine, ("brian2", "neuron"), "--engine")
    if args.ranks is not None and args.engine != "neuron":
        raise HHBrianInputError("--ranks: MPI ranks need --engine neuron")
    if args.engine != "neuron":
        return
    import importlib.util

    if importlib.util.find_spec("neuron") is None:
        from hh_brian.engines.simulators import install_hint

        raise HHBrianInputError(
            f"--engine neuron: NEURON is not installed; install it with `{install_hint('neuron')}`"
        )
    if args.device != "runtime" or args.threads != 1:
        raise HHBrianInputError(
            "--device/--threads: Brian2 options; with --engine neuron use --ranks K"
        )
    if args.ranks is not None:
        if args.ranks < 1:
            raise HHBrianInputError(f"--ranks: must be at least 1, got {args.ranks}")
        from hh_brian.engines.simulators.neuron_mpi import mpi_problem

        problem = mpi_problem()
        if problem is not None:
            raise HHBrianInputError(f"--ranks {args.ranks}: {problem}")


def _cobahh(args: argparse.Namespace) -> int:
    from brian2 import ms, second

    from hh_brian.core.expressions import quantity_from_text
    from hh_brian.core.output import (
        PLOT_SUFFIXES,
        atomic_paths,
        check_output_path,
        meta_json,
        versions,
        write_npz,
    )
    from hh_brian.network.cobahh import DT, result_arrays, run_cobahh

    out = check_output_path(args.out, (".npz",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None
    duration = quantity_from_text(args.duration, second, what="--duration", example="'1*second'")
    delay = quantity_from_text(args.delay, second, what="--delay", example="'0.1*ms'")
    if args.engine == "neuron" and not float(delay / DT) >= 1 - 1e-9:
        raise HHBrianInputError(
            f"--delay {args.delay}: NEURON runs need a synaptic delay of whole steps >= dt "
            f"({float(DT / ms):g} ms; NEURON's MPI needs a delay above zero); "
            f"give --delay '{float(DT / ms):g}*ms'"
        )
    if not args.memory_limit > 0:
        raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {args.memory_limit}")
    flags = {"threads": "--threads", "device": "--device", "ranks": "--ranks", "delay": "--delay"}
    with naming_flags(memory_limit="--memory-limit MiB", **flags):
        result, stats = run_cobahh(
            args.n_neurons,
            duration,
            seed=args.seed,
            device=args.device,
            threads=args.threads,
            connectivity=args.connectivity,
            memory_limit=int(args.memory_limit * 2**20),
            progress=args.progress,
            delay=delay,
            engine=args.engine,
            ranks=args.ranks,
        )
    arrays = result_arrays(result, stats)
    meta = {
        "model": "COBAHH (Brette et al. 2007, benchmark 3)",
        "n_neurons": args.n_neurons,
        "duration_s": float(duration / second),
        "delay_ms": float(delay / ms),
        **result.info,
        **stats.as_dict(),
        "versions": versions(),
    }
    arrays["meta_json"] = meta_json(meta)
    # The archive and the figure together or neither: a figure that fails leaves no NPZ.
    with atomic_paths(*([out, plot] if plot else [out])) as temporaries:
        write_npz(temporaries[0], arrays)
        if plot:
            from hh_brian.report.network import plot_network

            plot_network(result, temporaries[1])
    set_summary(
        args,
        f"wrote {out} (COBAHH {args.n_neurons} neurons, {float(duration / second):g} s, "
        f"{_where(args)}: exc {stats.rate_exc:.2f} Hz, inh {stats.rate_inh:.2f} Hz, CV ISI "
        f"exc {stats.cv_exc:.3f}, inh {stats.cv_inh:.3f}; loop {stats.run_time:.2f} s)",
    )
    return EXIT_OK


def _where(args: argparse.Namespace) -> str:
    if args.engine == "neuron":
        return f"NEURON, {args.ranks} MPI ranks" if args.ranks else "NEURON, 1 process"
    return args.device


register(NAME, add_parser, run, check)
