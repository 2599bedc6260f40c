"""The package's layout: the import graph is acyclic and points one way, layer by layer.

Every ``import`` and ``from ... import`` in ``hh_brian/`` is read with :mod:`ast`, at
module level and inside functions alike (a lazy import is still a dependency), and
resolved to the ``hh_brian`` module it names.  The layers, lowest first::

    core < models < render, engines < analysis, compare, bifurcation, noise < network < report < cli

A module may import from its own layer or below.  Modules of one layer may import
each other as long as the whole graph stays acyclic.  ``report/`` draws and writes,
so only ``cli/`` (and the examples) import it, and only ``report/`` and ``cli/`` touch
matplotlib.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hh_brian"

#: Layer rank of each top-level subpackage (equal ranks are siblings).
LAYERS = {
    "core": 0,
    "models": 1,
    "render": 2,
    "engines": 2,
    "exchange": 1,
    "analysis": 3,
    "compare": 3,
    "bifurcation": 3,
    "noise": 3,
    "network": 4,
    "report": 5,
    "cli": 6,
}
#: Subpackages allowed to import matplotlib.
DRAWING_LAYERS = frozenset({"report", "cli"})
#: Library modules whose messages still name a flag, pending their rewrite elsewhere.
OFF_LIMITS_FLAG_MESSAGES: frozenset[str] = frozenset()
#: Helpers whose string arguments become part of an error message.
_CHECKERS = frozenset({"check_dts", "_check_time", "_check_unique", "probe_writable"})
#: Longest module (lines) before it should be split.
LINE_LIMIT = 400
#: Display hooks, the one exception to the layer order: a result's one-call plot in Jupyter
#: (``trace.plot()``) imports the report layer's drawing function inside the method, so that
#: importing the result's module loads no drawing code.  (importer, imported): why.  Each
#: must stay a function-level import (``test_display_hooks_are_lazy``).
DISPLAY_HOOKS: dict[tuple[str, str], str] = {
    ("hh_brian.engines.trace", "hh_brian.report.plotting"): "Trace.plot() in a notebook",
}
#: Modules over LINE_LIMIT, each with why it is not split (yet).  A module that grows past
#: the limit fails the test; one that shrinks below it must leave this list.
OVER_LIMIT: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_names(name: str) -> Iterator[tuple[str, int]]:
    """Every module name an import statement of *name* refers to, with its line number.

    ``from a.b import c`` yields ``a.b.c`` if that is a module, else ``a.b``.  Relative
    imports are resolved against the module's package.
    """
    is_package = modules()[name].name == "__init__.py"
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                candidate = f"{origin}.{alias.name}"
                yield (candidate if candidate in modules() else origin), node.lineno
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            # importlib.import_module("a.b") or f"a.b.{name}" (every module under a.b.)
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                yield argument.value, node.lineno
            elif isinstance(argument, ast.JoinedStr) and argument.values:
                head = argument.values[0]
                prefix = head.value if isinstance(head, ast.Constant) else ""
                if prefix:
                    yield from ((m, node.lineno) for m in modules() if m.startswith(prefix))


def _is_import_module(function: ast.expr) -> bool:
    if isinstance(function, ast.Attribute):
        return function.attr == "import_module"
    return isinstance(function, ast.Name) and function.id == "import_module"


def own_module(target: str) -> str | None:
    """The ``hh_brian`` module *target* lives in (longest existing prefix), or None."""
    if target != "hh_brian" and not target.startswith("hh_brian."):
        return None
    while target not in modules():
        target = target.rpartition(".")[0]
    return target


@cache
def graph() -> dict[str, dict[str, int]]:
    """module -> {imported hh_brian module: first line importing it}."""
    edges: dict[str, dict[str, int]] = {}
    for name in modules():
        edges[name] = {}
        for target, line in imported_names(name):
            dependency = own_module(target)
            if dependency and dependency != name:
                edges[name].setdefault(dependency, line)
    return edges


def find_cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def cycle_path(component: list[str], edges: dict[str, dict[str, int]]) -> list[str]:
    """One concrete cycle through the first module of *component* (for the message)."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for successor in sorted(edges[node]):
            if successor == start:
                return paths[node] + [start]
            if successor in members and successor not in paths:
                paths[successor] = paths[node] + [successor]
                queue.append(successor)
    return component  # pragma: no cover - a strongly connected component has a cycle


def layer(name: str) -> tuple[str, int] | None:
    parts = name.split(".")
    if len(parts) < 2:
        return None  # the package root holds only __version__
    return parts[1], LAYERS[parts[1]]


def test_every_subpackage_has_a_layer():
    unknown = {name.split(".")[1] for name in modules() if name.count(".") >= 1} - set(LAYERS)
    assert not unknown, f"give these subpackages a layer in LAYERS: {sorted(unknown)}"


def test_the_import_graph_has_no_cycles():
    edges = graph()
    cycles = [" -> ".join(cycle_path(c, edges)) for c in find_cycles(edges)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_cycle_finder_finds_a_cycle():
    edges = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert find_cycles(edges) == [["a", "b", "c"]]
    assert cycle_path(["a", "b", "c"], edges) == ["a", "b", "c", "a"]


def test_imports_point_down_the_layers():
    upward = []
    for name, targets in graph().items():
        own = layer(name)
        for target, line in targets.items():
            other = layer(target)
            if (name, target) in DISPLAY_HOOKS:
                continue
            if own and other and other[1] > own[1]:
                upward.append(f"{name}:{line} imports {target} ({own[0]} < {other[0]})")
    assert not upward, "imports against the layer order:\n" + "\n".join(sorted(upward))


def _module_level_imports(name: str) -> set[str]:
    """hh_brian modules imported by statements outside any function of *name*."""
    found: set[str] = set()
    for node in ast.iter_child_nodes(tree(name)):
        if isinstance(node, ast.Import | ast.ImportFrom | ast.If | ast.Try):
            sub = ast.Module(body=[node], type_ignores=[])
            for child in ast.walk(sub):
                if isinstance(child, ast.ImportFrom) and child.module:
                    found.add(own_module(child.module) or child.module)
                    found.update(own_module(f"{child.module}.{a.name}") or "" for a in child.names)
                elif isinstance(child, ast.Import):
                    found.update(own_module(a.name) or a.name for a in child.names)
    return found


def test_display_hooks_are_lazy():
    """Each display hook exists and imports the report layer inside a function only."""
    edges = graph()
    for (importer, imported), why in DISPLAY_HOOKS.items():
        assert imported in edges.get(importer, {}), f"stale display hook ({why}): {importer}"
        assert imported not in _module_level_imports(importer), (
            f"{importer} imports {imported} at module level; import it inside the method ({why})"
        )


def test_only_report_and_cli_import_matplotlib():
    offenders = [
        f"{name}:{line}"
        for name in modules()
        for target, line in imported_names(name)
        if target.split(".")[0] == "matplotlib"
        and (layer(name) or ("", 0))[0] not in DRAWING_LAYERS
    ]
    assert not offenders, "matplotlib outside report/ and cli/: " + ", ".join(offenders)


def test_nothing_selects_a_matplotlib_backend_or_uses_pyplot():
    """Figures are Figure objects (fig.savefig); nothing changes global matplotlib state."""
    offenders = []
    for name in modules():
        for node in ast.walk(tree(name)):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if (
                call
                and node.func.attr == "use"
                and getattr(node.func.value, "id", "") == ("matplotlib")
            ):
                offenders.append(f"{name}:{node.lineno} matplotlib.use")
        offenders += [
            f"{name}:{line} imports {target}"
            for target, line in imported_names(name)
            if target.startswith("matplotlib.pyplot")
        ]
    assert not offenders, "\n".join(offenders)


def test_the_reference_engine_never_imports_brian2_statically():
    offenders = [
        f"{name}:{line}"
        for name in modules()
        if name.startswith("hh_brian.engines.reference.") or name == "hh_brian.engines.reference"
        for target, line in imported_names(name)
        if target.split(".")[0] == "brian2" or own_module(target) not in (None, *_reference())
    ]
    assert not offenders, "the NumPy engine imports Brian2 or other hh_brian modules: " + str(
        offenders
    )


def _reference() -> tuple[str, ...]:
    return tuple(n for n in modules() if n.startswith("hh_brian.engines.reference"))


def test_importing_the_reference_engine_loads_no_brian2():
    code = "import sys, hh_brian.engines.reference; sys.exit('brian2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_importing_the_package_changes_no_global_state():
    """No matplotlib backend, no Brian2 preference and no Brian2 function changes at import."""
    code = """
import sys
import matplotlib
matplotlib.use("svg")  # the application's choice, which importing hh_brian must keep
import brian2
from brian2 import prefs
from brian2.core.functions import DEFAULT_FUNCTIONS
before = {k: repr(prefs[k]) for k in prefs}
n_exprel = len(list(DEFAULT_FUNCTIONS["exprel"].implementations._implementations))
import pkgutil, importlib, hh_brian
for info in pkgutil.walk_packages(hh_brian.__path__, "hh_brian."):
    if info.name.startswith("hh_brian.engines.simulators."):
        continue  # optional simulators
    importlib.import_module(info.name)
after = {k: repr(prefs[k]) for k in prefs}
changed = sorted(k for k in before if before[k] != after[k])
assert not changed, changed
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert len(list(DEFAULT_FUNCTIONS["exprel"].implementations._implementations)) == n_exprel
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def line_counts() -> dict[str, int]:
    return {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }


def test_modules_stay_short():
    counts = line_counts()
    over = {name: n for name, n in counts.items() if n > LINE_LIMIT}
    new = sorted(f"{name} ({n} lines)" for name, n in over.items() if name not in OVER_LIMIT)
    stale = sorted(name for name in OVER_LIMIT if counts.get(name, 0) <= LINE_LIMIT)
    assert not new, f"modules over {LINE_LIMIT} lines; split them: {new}"
    assert not stale, f"these are short now; remove them from OVER_LIMIT: {stale}"


#: A command-line flag in a message: ``--dt``, ``(--set ...)``, ``--fine-dt`` ...
_FLAG = re.compile(r"(?:^|[\s(`'\"])--[a-z][a-z-]*")


def _message_texts(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def flags_in_messages(name: str) -> list[str]:
    """Error-message strings of module *name* that name a command-line flag."""
    found = []
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            texts = list(_message_texts(node.exc))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in _CHECKERS:
            texts = list(_message_texts(node))
        else:
            continue
        found += [f"{name}:{node.lineno}: {t!r}" for t in texts if _FLAG.search(t)]
    return found


def test_library_errors_name_parameters_not_flags():
    """Outside cli/, messages name the parameter (``dt``); the cli adds ``--dt``."""
    offenders = [
        text
        for name in modules()
        if not name.startswith("hh_brian.cli") and name not in OFF_LIMITS_FLAG_MESSAGES
        for text in flags_in_messages(name)
    ]
    assert not offenders, "CLI flags in library messages:\n" + "\n".join(offenders)
    fixed = sorted(name for name in OFF_LIMITS_FLAG_MESSAGES if not flags_in_messages(name))
    assert not fixed, f"remove from OFF_LIMITS_FLAG_MESSAGES: {fixed}"
