"""Answers before Brian2 loads, progress only on a terminal, and the summary line.

No timings here (they are in ``benchmarks/cold_start.py``): these tests check *what* is
imported and printed.  Each cold-start case runs ``hh-brian`` in a fresh interpreter
and reads ``sys.modules`` at the end.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hh_brian.cli.main import main
from hh_brian.cli.progress import ProgressDisplay, progress_for, summary_line, wants_display
from hh_brian.core.progress import Step, counting, run_reporter

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("brian2", "sympy", "scipy", "matplotlib", "numpy")

_PROBE = """
import json, sys
from hh_brian.cli.main import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:  # --help
    status = exc.code
heavy = [m for m in {heavy} if m in sys.modules]
print(json.dumps({{"status": status, "heavy": heavy}}))
"""


def _probe(*argv: str, cwd: Path) -> tuple[dict, str]:
    """Run the command in a fresh interpreter; its status, heavy modules and stderr."""
    code = _PROBE.format(heavy=repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        check=False,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_help_loads_nothing_heavy(tmp_path):
    result, _ = _probe("--help", cwd=tmp_path)
    assert result == {"status": 0, "heavy": []}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["simulate", "dayan_abot", "--out", "x.npz"], "Did you mean 'dayan_abbott'"),
        (["simulate", "missing.toml", "--out", "x.npz"], "no such model file"),
        (["simulate", "dayan_abbott", "--out", "exists.npz"], "exists"),
        (["simulate", "dayan_abbott", "--out", "no/such/folder/x.npz"], "does not exist"),
        (["simulate", "dayan_abbott", "--out", "x.txt"], "should end in .npz"),
        (["simulate", "dayan_abbott", "--out", "x.npz", "--method", "heun"], "heun"),
        (["simulate", "dayan_abbott", "--out", "x.npz", "--engine", "nueron"], "neuron"),
        (["simulate", "dayan_abbott", "--out", "x.npz", "--protocol", "p.toml"], "not found"),
        (["fi", "dayan_abbott", "--currents", "1:2:1", "--out", "x.csv", "--method", "e"], "e"),
        (["vclamp", "dayan_abbott", "--steps", "1:2:1", "--out", "a.csv", "--fits", "a.csv"], ""),
        (["network", "cobahh", "--out", "x.npz", "--device", "gpu"], "cpp_standalone"),
        (["network", "cobahh", "--out", "x.npz", "--threads", "2"], "cpp_standalone"),
        (["demo", "--out", "full"], "not empty"),
        (["validate", "dayan_abbott", "--methods", "heun"], "heun"),
        (["compare", "dayan_abbott", "--out", "x.csv", "--report", "r.txt"], ".md"),
        (["gating", "dayan_abbott", "--plot", "exists.npz"], ".png"),
    ],
)
def test_mistakes_are_answered_before_brian2_loads(tmp_path, argv, fragment):
    (tmp_path / "exists.npz").write_bytes(b"keep")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("keep")
    result, err = _probe(*argv, cwd=tmp_path)
    assert result == {"status": 2, "heavy": []}, err
    assert err.startswith("hh-brian: error:") and err.count("\n") == 1 and fragment in err
    assert (tmp_path / "exists.npz").read_bytes() == b"keep"


def test_summary_line_ends_a_command(capsys):
    assert main(["presets"]) == 0
    out, err = capsys.readouterr()
    assert "dayan_abbott" in out  # the listing itself stays on stdout
    last = err.strip().splitlines()[-1]
    assert last.startswith("hh-brian presets: listed ") and last.endswith(" s")


def test_simulate_summary_names_file_length_and_spikes(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["simulate", "dayan_abbott", "--duration", "20*ms", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"hh-brian simulate: wrote {out} (20 ms, " in err and " spike" in err


def test_quiet_drops_the_summary_but_not_errors(tmp_path, capsys):
    assert main(["presets", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["simulate", "nope", "--out", str(tmp_path / "x.npz"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("hh-brian: error:")


def test_summary_line_style():
    from argparse import Namespace

    args = Namespace(command="network", network_command="cobahh", summary="wrote a.npz\n(x)")
    assert summary_line(args, 1.234) == "hh-brian network cobahh: wrote a.npz (x) in 1.2 s"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_not_when_quiet():
    from argparse import Namespace

    assert not wants_display(Namespace(quiet=False), io.StringIO())
    assert wants_display(Namespace(quiet=False), _Terminal())
    assert not wants_display(Namespace(quiet=True), _Terminal())
    with progress_for(Namespace(quiet=True)) as progress:  # pytest's stderr: never a TTY
        assert progress is None


def test_no_progress_output_when_stderr_is_not_a_terminal(tmp_path, capsys):
    out = tmp_path / "t.npz"
    assert main(["simulate", "dayan_abbott", "--duration", "5*ms", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hh-brian simulate: wrote")


def test_progress_display_takes_steps_in_any_order():
    display = ProgressDisplay()
    display.start()
    display(Step("simulate", 0, 100, note="generating code"))
    display(Step("simulate", 50, 100))
    display(Step("runs", 1, None))
    display(Step("simulate", 100, 100, finished=True))
    display.stop()
    display(Step("late", 1, 2))  # after stop: harmless


def test_library_progress_helpers():
    seen: list[Step] = []
    assert list(counting(None, "x", [1, 2])) == [1, 2]  # no callable: nothing to do
    assert run_reporter(None, "run", 10.0) is None
    reporter = run_reporter(seen.append, "run", 10.0)
    reporter(0.0, 0.0, 0.0, 1.0)
    reporter(1.0, 1.0, 0.0, 1.0)
    assert [(s.done, s.total, s.finished) for s in seen] == [(0.0, 10.0, False), (10.0, 10.0, True)]


def test_simulate_reports_generation_and_run_progress():
    from brian2 import ms, uA
    from brian2.units import cm

    from hh_brian.engines.brian2.simulate import simulate
    from hh_brian.models.library import get_model

    seen: list[Step] = []
    simulate(
        get_model("dayan_abbott"),
        current=10 * uA / cm**2,
        duration=5 * ms,
        progress=seen.append,
    )
    assert seen[0].note == "generating code" and seen[0].total == pytest.approx(5.0)
    assert seen[-1].finished and seen[-1].done == pytest.approx(5.0)
