"""The tutorial notebooks: committed without outputs, linked from the README, and each
executed top to bottom in a fresh kernel (quick mode, ``HH_BRIAN_QUICK=1``) without error.

The kernel is the ``python3`` kernel of this environment (ipykernel); nbclient runs it with
the notebook's folder as working directory.  Brian2's compile cache is the user's
(``~/.cython/brian_extensions``), shared with the rest of the suite.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
#: The flag every notebook reads in its first cell.
QUICK_FLAG = "HH_BRIAN_QUICK"

nbformat = pytest.importorskip("nbformat")


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def test_there_are_the_four_tutorials():
    names = [p.stem for p in NOTEBOOKS]
    for topic in ("lecture", "own_cell", "method", "network"):
        assert any(topic in name for name in names), (topic, names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    """Outputs make diffs unreadable: commit notebooks cleared (Kernel > Clear All Outputs)."""
    notebook = _read(path)
    nbformat.validate(notebook)
    dirty = [
        k
        for k, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_states_its_quick_flag_first_and_the_readme_links_it(path):
    notebook = _read(path)
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert QUICK_FLAG in first_code.source
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"(examples/notebooks/{path.name})" in readme


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_from_a_fresh_kernel(path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv(QUICK_FLAG, "1")
    # the kernel imports this checkout, as the test process does
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    notebook = _read(path)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(FOLDER)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    elapsed = time.perf_counter() - start
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures >= 1, f"{path.name} drew no figure"
    print(f"{path.name}: {elapsed:.1f} s in quick mode")
