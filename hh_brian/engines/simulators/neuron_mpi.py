"""Launch :mod:`.neuron_network` on K MPI ranks with ``mpiexec`` and report a dead rank.

NEURON's wheel (9.0.2) loads an MPI library at run time (``h.nrnmpi_init()``): it tries
``libmpi.so`` (OpenMPI) and ``libmpich.so`` (MPICH), or the path in
``MPI_LIB_NRN_PATH``.  The operating system's runtime packages (Debian ``mpich``,
``openmpi-bin``) install only the versioned names (``libmpich.so.12``,
``libmpi.so.40``), so :func:`mpi_environment` sets ``MPI_LIB_NRN_PATH`` to the one found
by :func:`ctypes.util.find_library` unless the user set it.
"""

from __future__ import annotations

import ctypes.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from hh_brian.core.errors import HHBrianInputError, SimulationBlowUpError
from hh_brian.engines.simulators.neuron_network import RANK_ERROR

#: What to install when MPI is missing (Debian/Ubuntu package names).
MPI_PACKAGES = "install MPICH from the OS packages (apt-get install mpich) or OpenMPI (openmpi-bin)"
WORKER = "hh_brian.engines.simulators.neuron_network"
#: Environment variable with the launcher's command line instead of ``mpiexec``, e.g.
#: ``srun --mpi=pmi2`` on a Slurm cluster (``-n K`` is appended).
LAUNCHER_VARIABLE = "HH_BRIAN_MPIEXEC"


def launcher() -> list[str]:
    """The MPI launcher's words: ``$HH_BRIAN_MPIEXEC`` split like a shell, or ``mpiexec``."""
    return shlex.split(os.environ.get(LAUNCHER_VARIABLE) or "mpiexec") or ["mpiexec"]


class RankFailedError(SimulationBlowUpError):
    """An MPI rank died; the message is its own error line.  Nothing was written."""


def _mpi_library() -> str | None:
    """The MPI library NEURON should load: ``MPI_LIB_NRN_PATH``, else the one of the
    ``mpiexec`` on PATH (OpenMPI's ``libmpi`` if it says "Open MPI", else MPICH's)."""
    if os.environ.get("MPI_LIB_NRN_PATH"):
        return os.environ["MPI_LIB_NRN_PATH"]
    order = ("mpich", "mpi")
    mpiexec = shutil.which("mpiexec")
    if mpiexec is not None:
        try:
            version = subprocess.run(
                [mpiexec, "--version"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            version = ""
        if "open mpi" in version.lower() or "open-mpi" in version.lower():
            order = ("mpi", "mpich")
    for name in order:
        found = ctypes.util.find_library(name)
        if found:
            return found
    return None


def mpi_problem() -> str | None:
    """Why an MPI run cannot start here (no ``mpiexec`` or no MPI library), or ``None``."""
    name = launcher()[0]
    if shutil.which(name) is None:
        if os.environ.get(LAUNCHER_VARIABLE):
            return f"MPI launcher {name!r} ({LAUNCHER_VARIABLE}) not found on PATH"
        return f"MPI is missing (no mpiexec on PATH): {MPI_PACKAGES}, or run on one rank"
    if _mpi_library() is None:
        return (
            "MPI is missing (no libmpich or libmpi for NEURON to load): "
            f"{MPI_PACKAGES}, or set MPI_LIB_NRN_PATH to the library"
        )
    return None


def check_ranks(ranks: object) -> int:
    """*ranks* as an int >= 1, or :class:`HHBrianInputError`."""
    if isinstance(ranks, bool) or not isinstance(ranks, int) or ranks < 1:
        raise HHBrianInputError(f"ranks must be an integer >= 1 (MPI processes), got {ranks!r}")
    return int(ranks)


def mpi_environment() -> dict[str, str]:
    """The environment of the ranks: this hh-brian on PYTHONPATH, NEURON's MPI library,
    OpenMPI allowed to run as root and to place more ranks than cores."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    library = _mpi_library()
    if library:
        env["MPI_LIB_NRN_PATH"] = library
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    return env


def command(payload: str | Path, out: str | Path, ranks: int | None) -> list[str]:
    """``mpiexec -n K python -m ...neuron_network PAYLOAD OUT``, or without ``mpiexec`` and
    with ``--serial`` when *ranks* is None."""
    worker = [sys.executable, "-m", WORKER, str(payload), str(out)]
    if ranks is None:
        return [*worker, "--serial"]
    words = launcher()
    return [shutil.which(words[0]) or words[0], *words[1:], "-n", str(ranks), *worker]


def launch(
    payload: str | Path, out: str | Path, ranks: int | None, timeout: float | None = None
) -> None:
    """Run the payload on *ranks* MPI processes (``None``: one process without MPI); rank 0
    writes *out* (whole or not at all).

    Raises
    ------
    HHBrianInputError
        If MPI is missing (the message names the package to install).
    RankFailedError
        If any rank fails: its own ``hh-brian neuron rank R: ...`` line, and *out* absent.
    """
    if ranks is not None:
        ranks = check_ranks(ranks)
        problem = mpi_problem()
        if problem is not None:
            raise HHBrianInputError(problem)
    proc = subprocess.run(
        command(payload, out, ranks),
        capture_output=True,
        text=True,
        env=mpi_environment(),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    errors = [line for line in proc.stderr.splitlines() if line.startswith(RANK_ERROR)]
    if proc.returncode != 0 or errors or not Path(out).exists():
        Path(out).unlink(missing_ok=True)
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:]
        detail = errors[0] if errors else (tail[0] if tail else "no message")
        raise RankFailedError(
            f"NEURON run on {ranks or 1} rank(s) stopped (exit status {proc.returncode}): {detail}"
        )


__all__ = [
    "LAUNCHER_VARIABLE",
    "MPI_PACKAGES",
    "RankFailedError",
    "check_ranks",
    "command",
    "launch",
    "launcher",
    "mpi_environment",
    "mpi_problem",
]
