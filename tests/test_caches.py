"""The persistent caches: resting states, Brian2's flag checks, the compile notice.

Each test points the cache at its own folder (``HH_BRIAN_CACHE_DIR``).  A cached value
must be bit-identical to a computed one, a damaged entry must be a miss, and any change
of the model (a parameter, a rate text) must change the key.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from brian2 import mV

from hh_brian.core.diskcache import JsonCache
from hh_brian.models import kinetics, rest_state
from hh_brian.models.library import get_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(kinetics, "_REST_CACHE", {})  # the in-process layer starts empty
    return tmp_path / "cache"


def _entries(folder: Path, namespace: str = rest_state.NAMESPACE) -> list[Path]:
    return sorted((folder / namespace).rglob("*.json"))


def _same(a: rest_state.RestingState, b: rest_state.RestingState) -> bool:
    return rest_state.encode(a) == rest_state.encode(b) and repr(a.state) == repr(b.state)


def test_a_second_process_reads_the_rest_back_bit_identical(cache_dir, monkeypatch):
    model = get_model("dayan_abbott")
    computed = kinetics.rest_report(model)
    assert len(_entries(cache_dir)) == 1
    monkeypatch.setattr(kinetics, "_REST_CACHE", {})  # as in a new process

    def never(model):
        raise AssertionError("the rest was recomputed")

    monkeypatch.setattr(kinetics, "_find_rest", never)
    read = kinetics.rest_report(model)
    assert _same(read, computed) and read.chosen is read.equilibria[0]


def test_a_model_without_stable_rest_round_trips(cache_dir, monkeypatch):
    model = get_model("traub_miles")  # an isolated Traub-Miles cell has no stable rest
    computed = kinetics.rest_report(model)
    monkeypatch.setattr(kinetics, "_REST_CACHE", {})
    read = kinetics.rest_report(model)
    assert computed.chosen is None and read.chosen is None and _same(read, computed)


def test_every_parameter_and_rate_text_is_in_the_key(cache_dir):
    model = get_model("dayan_abbott")
    variants = [
        model,
        model.with_parameters(E_L=-54.386 * mV),
        model.derive({"beta_m": "4/ms*exp(-(v + 65*mV)/(18.0001*mV))"}),
    ]
    rests = [kinetics.rest_report(m) for m in variants]
    assert len(_entries(cache_dir)) == 3
    assert len({float(r.state["v"] / mV) for r in rests}) == 3


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b"\xff\xfe", b'{"key": "other", "value": {}}', b'{"key": null}', None],
)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(cache_dir, monkeypatch, damage):
    model = get_model("dayan_abbott")
    computed = kinetics.rest_report(model)
    (entry,) = _entries(cache_dir)
    if damage is None:  # the right key, a value of the wrong shape
        data = json.loads(entry.read_text())
        data["value"]["equilibria"] = [{"v": "x"}]
        entry.write_text(json.dumps(data))
    else:
        entry.write_bytes(damage)
    monkeypatch.setattr(kinetics, "_REST_CACHE", {})
    again = kinetics.rest_report(model)
    assert _same(again, computed)
    assert json.loads(entry.read_text())["value"] == rest_state.encode(computed)


def test_caching_off_and_unwritable_folders_only_mean_no_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(kinetics, "_REST_CACHE", {})
    monkeypatch.setenv("HH_BRIAN_CACHE", "0")
    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(tmp_path / "cache"))
    kinetics.rest_report(get_model("dayan_abbott"))
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv("HH_BRIAN_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(blocker))
    store = JsonCache("x")
    store.put("k", 1)  # cannot create the folder: silently skipped
    assert store.get("k") is None


def test_concurrent_writers_leave_a_whole_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(tmp_path))
    store = JsonCache("race")
    value = {"numbers": list(range(2000))}
    threads = [threading.Thread(target=store.put, args=("k", value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("k") == value
    assert [p.name for p in (tmp_path / "race").rglob("*")] == [
        p.name for p in (tmp_path / "race").rglob("*") if not p.name.startswith(".entry-")
    ]


def test_flag_answers_are_reused_only_for_the_same_compiler(tmp_path, monkeypatch):
    from hh_brian.engines.brian2 import compiler_flags

    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(tmp_path))
    gcc = compiler_flags._binary("cc")
    if gcc is None:
        pytest.skip("no C compiler on PATH")
    answers = {("cc", "-O3"): True, ("cc", "-bogus"): False}
    compiler_flags._save(answers, set())
    primed: dict = {}
    compiler_flags._prime(primed)
    assert primed == answers
    records = compiler_flags._STORE.get(compiler_flags._key())
    compiler_flags._STORE.put(
        compiler_flags._key(), [[c, f, a, [b[0], b[1] + 1, b[2]]] for c, f, a, b in records]
    )  # another binary (size changed): nothing is reused
    primed = {}
    compiler_flags._prime(primed)
    assert primed == {}


def test_the_compile_notice_fires_only_for_a_module_not_yet_built(tmp_path, monkeypatch):
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    from hh_brian.core.progress import Step
    from hh_brian.engines.brian2.compile_notice import COMPILING, announcing_compilation

    loaded = []
    monkeypatch.setattr(
        cython_extension_manager, "_load_module", lambda path, **kw: loaded.append(path)
    )
    fake = cython_extension_manager._load_module
    built = tmp_path / "built.so"
    built.write_bytes(b"")
    seen: list[Step] = []
    with announcing_compilation(seen.append, "simulate x", 10.0):
        cython_extension_manager._load_module(str(built), key=1)
        assert seen == []
        cython_extension_manager._load_module(str(tmp_path / "new.so"), key=2)
    assert [s.note for s in seen] == [COMPILING] and len(loaded) == 2
    assert cython_extension_manager._load_module is fake  # restored


_SECOND_RUN = """
import sys
from brian2 import ms, uA
from brian2.units import cm
from hh_brian.models import kinetics
from hh_brian.engines.brian2.simulate import simulate
from hh_brian.models.library import get_model
if sys.argv[1] == "second":
    def never(model):
        raise SystemExit("the resting state was recomputed")
    kinetics._find_rest = never
notes = []
simulate(get_model("dayan_abbott"), current=10 * uA / cm**2, duration=2 * ms,
         progress=lambda step: notes.append(step.note))
print([n for n in notes if "compiling" in n])
"""


def test_the_second_process_compiles_nothing_and_reads_the_rest(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "HH_BRIAN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    env["HOME"] = str(Path.home())  # Brian2's Cython cache stays where it is
    outputs = []
    for run in ("first", "second"):
        done = subprocess.run(
            [sys.executable, "-c", _SECOND_RUN, run],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout.strip().splitlines()[-1])
    assert outputs[1] == "[]"


def test_nmodl_libraries_live_in_the_same_cache_folder(tmp_path, monkeypatch):
    import tempfile

    from hh_brian.render.nmodl_build import cache_root

    monkeypatch.setenv("HH_BRIAN_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache" / "nmodl"
    # caching off: a temporary folder of this process, never a folder named "0"
    monkeypatch.setenv("HH_BRIAN_CACHE", "0")
    monkeypatch.chdir(tmp_path)
    root = cache_root()
    assert root.is_dir() and root.parent == Path(tempfile.gettempdir())
    assert not (tmp_path / "0").exists()
