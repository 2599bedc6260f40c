"""End to end: ``hh-brian simulate FILE.nml --protocol LEMS_file.xml`` runs what the files say.

The NeuroML cell (tests/data/neuroml/hh_squid_cell.nml: NEURON's hh on a 1000 um^2
cylinder) is driven by the LEMS simulation file's network input, a ``pulseGenerator``
read here with ElementTree, independently of hh-brian's LEMS reader.  The recorded
injected current must be that pulse, sample by sample; the cell must rest until it
arrives; and the run must match ``neuron_hh`` given the same protocol natively
(the pulse as a density, 0.08 nA / 1000 um^2 = 8 uA/cm^2), to round-off.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from hh_brian.cli.main import main

NML = Path(__file__).parent / "data" / "neuroml"
CELL, LEMS = NML / "hh_squid_cell.nml", NML / "LEMS_hh_squid.xml"
NS = {"nml": "http://www.neuroml.org/schema/neuroml2"}
#: The cell's membrane area (um^2): pi * d * L with d = L = 17.841... um.
AREA_UM2 = 1000.0


def _quantity(text: str, units: dict[str, float]) -> float:
    for unit, scale in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(text)


def _pulse() -> tuple[float, float, float]:
    """(delay ms, duration ms, amplitude nA) of the file's pulseGenerator."""
    (pulse,) = ElementTree.parse(CELL).getroot().findall("nml:pulseGenerator", NS)
    ms_units = {"ms": 1.0, "s": 1e3}
    return (
        _quantity(pulse.get("delay"), ms_units),
        _quantity(pulse.get("duration"), ms_units),
        _quantity(pulse.get("amplitude"), {"nA": 1.0, "pA": 1e-3}),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nml_simulate")
    from_files, native = folder / "nml.npz", folder / "native.npz"
    assert main(["simulate", str(CELL), "--protocol", str(LEMS), "--out", str(from_files)]) == 0
    delay, duration, amplitude = _pulse()
    density = amplitude * 1e-9 / (AREA_UM2 * 1e-8) * 1e6  # nA / um^2 -> uA/cm^2
    step = f"step:amplitude={density!r}*uA/cm**2,onset={delay!r}*ms,offset={delay + duration!r}*ms"
    argv = ["simulate", "neuron_hh", "--current", step, "--dt", "0.01*ms", "--duration", "50*ms"]
    assert main([*argv, "--out", str(native)]) == 0
    return np.load(from_files), np.load(native)


def test_the_pulse_arrives_where_the_lems_file_says(runs):
    data, _ = runs
    delay, duration, amplitude = _pulse()
    t, current = data["t_ms"], data["I_inj_nA"]
    on = (t >= delay - 1e-9) & (t < delay + duration - 1e-9)
    assert np.allclose(current[on], amplitude, rtol=1e-12) and np.all(current[~on] == 0)
    meta = json.loads(str(data["meta"]))
    assert meta["protocol"] == str(LEMS) and meta["duration_ms"] == pytest.approx(50.0)
    assert meta["dt_ms"] == pytest.approx(0.01)
    before = data["v_mV"][t < delay]
    assert np.ptp(before) < 1e-6  # at rest until the pulse
    spikes = data["spikes_ms"]
    assert spikes.size >= 2 and delay < spikes[0] < delay + 3.0
    assert np.all(spikes < delay + duration + 3.0)


def test_the_run_matches_the_native_model_and_protocol(runs):
    data, native = runs
    assert np.array_equal(data["t_ms"], native["t_ms"])
    assert np.max(np.abs(data["v_mV"] - native["v_mV"])) < 1e-6
    assert np.allclose(data["spikes_ms"], native["spikes_ms"], rtol=0, atol=1e-9)
    for gate in ("m", "h", "n"):
        assert np.max(np.abs(data[gate] - native[gate])) < 1e-9
