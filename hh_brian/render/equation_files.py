"""The committed rendered equations under ``equations/``: names, writing, checking.

``hh-brian render --all --write equations/`` regenerates them; the test suite
fails when a committed file and the renderer disagree.
"""

from __future__ import annotations

from pathlib import Path

from hh_brian.core.errors import HHBrianInputError
from hh_brian.core.output import write_text_atomic
from hh_brian.models.cell import CellModel as Preset
from hh_brian.models.library import MODELS as PRESETS
from hh_brian.render.brian2 import render

SUFFIX = ".eqs"


def equation_file_name(preset: Preset) -> str:
    """File name of a preset's rendered equations, e.g. ``dayan_abbott.eqs``."""
    return f"{preset.name}{SUFFIX}"


def expected_files() -> dict[str, str]:
    """File name -> text, for every built-in preset."""
    return {equation_file_name(p): render(p).file_text() for p in PRESETS.values()}


SYNAPSE_FOLDER = "synapses"


def write_equation_files(folder: str | Path) -> list[Path]:
    """(Re)write the rendered equations of every built-in neuron preset into *folder*
    and of every synapse preset into ``folder/synapses/``."""
    from hh_brian.models.synapse_equations import expected_synapse_files

    folder = Path(folder)
    if not folder.is_dir():
        raise HHBrianInputError(f"folder: {str(folder)!r} does not exist; create it first")
    (folder / SYNAPSE_FOLDER).mkdir(exist_ok=True)
    written = [write_text_atomic(folder / name, text) for name, text in expected_files().items()]
    written += [
        write_text_atomic(folder / SYNAPSE_FOLDER / name, text)
        for name, text in expected_synapse_files().items()
    ]
    return written
