"""``hh-brian export``: one model as NeuroML2 (+ LEMS), NMODL, Brian2 equations or LaTeX.

:func:`export_model` writes into a new folder, atomically: the files go into a
temporary sibling folder that is renamed to the target at the end, so a failed
export leaves nothing behind; an existing folder is replaced only with
``force=True``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hh_brian.core.errors import HHBrianInputError

FORMATS = ("neuroml", "nmodl", "brian2", "latex")


def check_folder(out: str | Path, *, force: bool) -> Path:
    """The export folder, checked before any work: new, or existing only with *force*."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise HHBrianInputError(f"--out: {str(target)!r} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise HHBrianInputError(
            f"--out: folder {str(target)!r} exists and is not empty; give --force to replace "
            "it, or another folder"
        )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise HHBrianInputError(f"--out: folder {str(parent)!r} does not exist; create it first")
    return target


def _write(model, fmt: str, folder: Path, protocol) -> list[str]:
    if fmt == "neuroml":
        from hh_brian.exchange.lems_simulation import write_simulation

        sim = write_simulation(
            model,
            folder,
            stimuli=list(protocol.currents),
            duration=protocol.duration,
            dt=protocol.dt,
        )
        return [sim.stimulus]
    if fmt == "nmodl":
        from hh_brian.render.nmodl import nmodl_mechanism

        suffix, text = nmodl_mechanism(model)
        (folder / f"{suffix}.mod").write_text(text, encoding="utf-8")
        return [f"NEURON mechanism SUFFIX {suffix}"]
    if fmt == "brian2":
        from hh_brian.render.brian2 import render

        (folder / f"{model.name}.brian2.txt").write_text(render(model).file_text(), "utf-8")
        return []
    from hh_brian.exchange.latex import latex_document

    (folder / f"{model.name}.tex").write_text(latex_document(model), encoding="utf-8")
    return []


def export_model(
    model, fmt: str, out: str | Path, *, force: bool = False, protocol=None
) -> list[Path]:
    """Write *model* in format *fmt* into the folder *out*; return the files written.

    Parameters
    ----------
    model : CellModel
    fmt : {'neuroml', 'nmodl', 'brian2', 'latex'}
    out : str or Path
        The folder (created; replaced only with *force*).
    protocol : hh_brian.models.protocol.Protocol, optional
        For ``neuroml``: the stimuli, duration and dt of the LEMS simulation file.

    Raises
    ------
    HHBrianInputError
        An unknown format, an existing folder without *force*, or a stimulus
        NeuroML cannot express (nothing is written then).
    """
    if fmt not in FORMATS:
        raise HHBrianInputError(f"--format: {fmt!r}; choose one of {', '.join(FORMATS)}")
    target = check_folder(out, force=force)
    parent = target.parent if str(target.parent) else Path(".")
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        _write(model, fmt, work, protocol)
        os.chmod(work, 0o755)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return sorted(target.iterdir())


__all__ = ["FORMATS", "check_folder", "export_model"]
