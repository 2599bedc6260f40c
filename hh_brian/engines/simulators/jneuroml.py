"""jNeuroML backend: the model exported to NeuroML2/LEMS and run by jNeuroML (jLEMS).

The model and the protocol are written by :mod:`hh_brian.exchange` (cell, channel,
network and LEMS simulation files in a temporary folder; the protocol as
``pulseGenerator``, ``rampGenerator`` and ``sineGenerator`` inputs; noise and
sampled waveforms are refused), then ``java -jar jNeuroML.jar LEMS_file.xml
-nogui`` runs it: jLEMS integrates every state with **forward Euler** at the
LEMS file's step, and writes ``v`` at every step with 8 significant digits
(1e-5 mV at -65 mV).  The cell starts at hh-brian's resting potential (the
exported ``initMembPotential``) with every gate at its steady state there.

jNeuroML ships inside pyNeuroML's wheel (``pip install pyNeuroML``); it needs a
Java runtime (``apt-get install default-jre-headless``).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from brian2 import ms

from hh_brian.engines.simulators import (
    SimulatorCannotExpress,
    SimulatorNotInstalled,
    SimulatorTrace,
    require,
)
from hh_brian.engines.simulators.common import spike_times
from hh_brian.engines.simulators.protocol import Protocol, constant_protocol

SCHEME = "forward Euler, fixed step (jLEMS)"
#: Longest jNeuroML run allowed (s).
TIMEOUT_S = 600
_FINISHED = re.compile(r"Finished (\d+) steps in ([0-9.]+) seconds")


def java_path() -> str:
    """The ``java`` executable, or raise :class:`SimulatorNotInstalled`."""
    java = shutil.which("java")
    if java is None:
        raise SimulatorNotInstalled(
            "jneuroml needs a Java runtime, which is not on PATH: run "
            "`apt-get install default-jre-headless`"
        )
    return java


def jar_path() -> str:
    """jNeuroML's jar inside the pyNeuroML package."""
    require("pyneuroml", "pyNeuroML", "jneuroml")
    from pyneuroml.utils.misc import get_path_to_jnml_jar

    return get_path_to_jnml_jar()


def _quiet_pyneuroml() -> None:
    """Keep pyNeuroML's INFO lines (every LEMS file it writes) off stderr.

    Its packages set their loggers to INFO when first imported, so import them first.
    """
    import pyneuroml.lems  # noqa: F401

    for name in ("pyneuroml", "pyneuroml.lems"):
        logging.getLogger(name).setLevel(logging.WARNING)


def stimulus_refusal(protocol: Protocol) -> str | None:
    """Why NeuroML has no input element for a stimulus of *protocol*, or None."""
    for part in (*protocol.held, *protocol.smooth):
        if part.stimulus.kind not in ("constant", "step", "pulses", "ramp", "sine"):
            return (
                f"jneuroml: NeuroML2 has no input element for a {part.stimulus.kind} stimulus "
                "(steps, pulses, ramps and sines are pulse, ramp and sine generators)"
            )
    return None


def run_lems(lems_file: Path, *, timeout: float = TIMEOUT_S) -> tuple[float, str]:
    """Run a LEMS file with jNeuroML; return (integration seconds, jNeuroML's output)."""
    command = [java_path(), "-Xmx1G", "-jar", jar_path(), lems_file.name, "-nogui"]
    proc = subprocess.run(
        command, cwd=lems_file.parent, capture_output=True, text=True, timeout=timeout
    )
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Exception" in output or "Error" in output.split("jNeuroML")[-1]:
        lines = [line for line in output.splitlines() if "rror" in line or "xception" in line]
        raise RuntimeError(f"jNeuroML failed on {lems_file.name}: {' | '.join(lines[:3])}")
    found = _FINISHED.search(output)
    return (float(found.group(2)) if found else float("nan")), output


def run(
    preset,
    *,
    current_density_uA_cm2: float,
    duration_ms: float,
    dt_ms: float,
    v_threshold_mV: float = -20.0,
    protocol: Protocol | None = None,
    keep: str | Path | None = None,
) -> SimulatorTrace:
    """Export *preset* and *protocol* to NeuroML2/LEMS, run jNeuroML, read v back.

    Parameters
    ----------
    preset : CellModel
    current_density_uA_cm2 : float
        Constant density from t = 0 (µA/cm²) when *protocol* is None.
    duration_ms, dt_ms : float
        The LEMS simulation's length and forward-Euler step (ms).
    v_threshold_mV : float
        Spike threshold, modern convention (mV).
    protocol : Protocol, optional
    keep : str or Path, optional
        A folder to write the files into (kept); default a temporary folder.

    Raises
    ------
    SimulatorCannotExpress
        For noise or sampled stimuli.
    SimulatorNotInstalled
        Without pyNeuroML or Java.
    """
    from hh_brian.exchange.lems_simulation import CannotExpressInput, write_simulation

    java_path()
    jar_path()
    if protocol is None:
        protocol = constant_protocol(current_density_uA_cm2, duration_ms, dt_ms)
    why = stimulus_refusal(protocol)
    if why:
        raise SimulatorCannotExpress(why)
    stimuli = [part.stimulus for part in (*protocol.held, *protocol.smooth)]
    _quiet_pyneuroml()
    with tempfile.TemporaryDirectory(prefix="hhb_jnml_") as scratch:
        folder = Path(keep) if keep is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            sim = write_simulation(
                preset, folder, stimuli=stimuli, duration=duration_ms * ms, dt=dt_ms * ms
            )
        except CannotExpressInput as exc:
            raise SimulatorCannotExpress(f"jneuroml: {exc}") from None
        start = time.perf_counter()
        integration_s, _ = run_lems(sim.lems)
        whole = time.perf_counter() - start
        data = np.loadtxt(sim.output, ndmin=2)
    t_ms, v_mV = data[:, 0] * 1e3, data[:, 1] * 1e3
    return SimulatorTrace(
        simulator="jneuroml",
        preset=preset.name,
        dt_ms=dt_ms,
        t_ms=t_ms,
        v_mV=v_mV,
        spikes_ms=spike_times(t_ms, v_mV, v_threshold_mV),
        wall_s=integration_s if np.isfinite(integration_s) else whole,
        scheme=SCHEME,
        notes=(
            "exported NeuroML2/LEMS run by jNeuroML; v written with 8 significant digits",
            f"whole jNeuroML process {whole:.1f} s (Java start-up included)",
        ),
        stimulus=sim.stimulus,
    )
