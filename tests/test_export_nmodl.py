"""``hh-brian export MODEL --format nmodl``: the exported files compile with ``nrnivmodl``.

Every built-in model and the test models (M-current, instantaneous gate) are exported
through the command line; their ``.mod`` files are then built together by the
``nrnivmodl`` that ships with NEURON's wheel, run directly on the folder (no cache:
one real build, ~20-60 s), and a fresh Python process loads the library, inserts each
mechanism into a section and takes 100 steps from -65 mV, which must stay finite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hh_brian.cli.main import main
from hh_brian.models.library import model_names

pytestmark = [pytest.mark.slow, pytest.mark.neuron]

MODELS = [*model_names(), "tests/data/m_current_cell.toml", "tests/data/instantaneous_na.toml"]


def _nrnivmodl() -> str:
    pytest.importorskip("neuron")
    from hh_brian.render.nmodl_build import nrnivmodl_path

    try:
        path = nrnivmodl_path()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    if shutil.which("make") is None or shutil.which("g++") is None:
        pytest.skip("nrnivmodl needs make and g++")
    return path


def test_exported_nmodl_compiles_and_runs(tmp_path, capsys):
    nrnivmodl = _nrnivmodl()
    build = tmp_path / "build"
    build.mkdir()
    for k, name in enumerate(MODELS):
        out = tmp_path / f"export{k}"
        assert main(["export", name, "--format", "nmodl", "--out", str(out)]) == 0
        (mod,) = out.glob("*.mod")
        assert not (build / mod.name).exists(), f"two models export {mod.name}"
        shutil.copy(mod, build / mod.name)
    capsys.readouterr()
    suffixes = sorted(p.stem for p in build.glob("*.mod"))
    assert len(suffixes) == len(MODELS)

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        [nrnivmodl, "."], cwd=build, capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert any(build.glob("*/libnrnmech.so"))

    script = textwrap.dedent(
        f"""
        import math, neuron
        from neuron import h
        neuron.load_mechanisms({str(build)!r})
        for suffix in {suffixes!r}:
            sec = h.Section(name=suffix)
            sec.insert(suffix)
            h.finitialize(-65)
            for _ in range(100):
                h.fadvance()
            assert math.isfinite(sec(0.5).v), suffix
            print(suffix, round(sec(0.5).v, 3))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert [line.split()[0] for line in run.stdout.splitlines()[-len(suffixes) :]] == suffixes
