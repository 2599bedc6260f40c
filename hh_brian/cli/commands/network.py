"""``hh-brian network``: the COBAHH benchmark network and the rendered synapse equations.

hh-brian network cobahh [--duration 1*second] [--n-neurons 4000]
    [--device runtime|cpp_standalone] [--threads 1] [--seed 1]
    [--connectivity probability|in_degree] [--memory-limit MiB]
    --out net.npz [--plot raster.png]
hh-brian network synapses [--write equations/synapses/]
"""

from __future__ import annotations

import argparse

from hh_brian.cli.options import naming_flags
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
    else:
        print("\n".join(expected_synapse_files().values()), end="")
    return EXIT_OK


def _cobahh(args: argparse.Namespace) -> int:
    from brian2 import second

    from hh_brian.core.expressions import quantity_from_text
    from hh_brian.core.output import (
        PLOT_SUFFIXES,
        check_output_path,
        meta_json,
        versions,
        write_npz_atomic,
    )
    from hh_brian.network.cobahh import result_arrays, run_cobahh

    out = check_output_path(args.out, (".npz",), "--out")
    plot = check_output_path(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None
    duration = quantity_from_text(args.duration, second, what="--duration", example="'1*second'")
    if not args.memory_limit > 0:
        raise HHBrianInputError(f"--memory-limit: must be positive (MiB), got {args.memory_limit}")
    with naming_flags(threads="--threads", device="--device", memory_limit="--memory-limit MiB"):
        result, stats = run_cobahh(
            args.n_neurons,
            duration,
            seed=args.seed,
            device=args.device,
            threads=args.threads,
            connectivity=args.connectivity,
            memory_limit=int(args.memory_limit * 2**20),
        )
    arrays = result_arrays(result, stats)
    meta = {
        "model": "COBAHH (Brette et al. 2007, benchmark 3)",
        "n_neurons": args.n_neurons,
        "duration_s": float(duration / second),
        **result.info,
        **stats.as_dict(),
        "versions": versions(),
    }
    arrays["meta_json"] = meta_json(meta)
    write_npz_atomic(out, arrays)
    if plot:
        from hh_brian.report.network import plot_network

        plot_network(result, plot)
    print(
        f"COBAHH {args.n_neurons} neurons, {float(duration / second):g} s, {args.device}: "
        f"rate exc {stats.rate_exc:.2f} Hz, inh {stats.rate_inh:.2f} Hz, CV ISI exc "
        f"{stats.cv_exc:.3f}, inh {stats.cv_inh:.3f}; run {stats.run_time:.2f} s "
        f"(total {stats.total_time:.2f} s) -> {out}"
    )
    return EXIT_OK


register(NAME, add_parser, run)
