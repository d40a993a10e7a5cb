"""No module of ours imports another that imports it back, directly or around a longer circle.

Every module of the four packages is parsed (never imported), and every import statement in it
counts: at the top, inside functions (the lazy ones) and under ``if TYPE_CHECKING`` (a circle
for the type checker is still two modules that each need the other). A circle names its modules
in order, so the failure says which import to cut.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: import name -> the folder it is installed from (pyproject's package-dir)
PACKAGES = {
    "amplify_openapi": "openapi",
    "amplify_strategies": "strategies",
    "amplify_conformance": "conformance",
    "amplify_emulator": "emulator",
}


def module_files() -> dict[str, Path]:
    """Every module of our packages, by its import name (a package by its own name)."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def imported_modules(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The modules of ours that ``name`` (in ``path``) imports anywhere in its source."""
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def ours(dotted: str) -> str | None:
        """``dotted`` or the nearest enclosing module of ours (``a.b.attr`` names module ``a.b``)."""
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (ours(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, one level up per extra dot
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:  # "from pkg import mod" imports the module pkg.mod
                found.update(filter(None, [ours(f"{base}.{alias.name}".lstrip(".")) or ours(base)]))
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imported_modules(name, path, files) for name, path in files.items()}


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None: a depth-first search for a back edge."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_no_module_of_ours_imports_itself_back():
    graph = import_graph()
    assert len(graph) > 40 and "amplify_conformance.cli" in graph  # the walk found the packages
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_cycle_finder_names_a_circle_in_order():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": set()}) is None
    assert find_cycle({"x": {"y"}, "y": {"y2"}, "y2": {"y"}}) == ["y", "y2", "y"]


def test_relative_lazy_and_type_only_imports_all_count(tmp_path):
    source = tmp_path / "_runner.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from .. import _checks as C\n"
        "from ._campaign import Campaign\n"
        "import amplify_openapi.loader\n"
        "if TYPE_CHECKING:\n"
        "    from ..other import Thing\n"
        "def later():\n"
        "    from amplify_strategies import matrix\n"
        "    import requests\n"
    )
    known = {"pkg", "pkg._checks", "pkg.other", "pkg.sub", "pkg.sub._campaign", "pkg.sub._runner"}
    known |= {"amplify_openapi", "amplify_strategies"}
    assert imported_modules("pkg.sub._runner", source, known) == {
        "pkg._checks",  # from .. import a module
        "pkg.sub._campaign",  # from . a name in a module
        "amplify_openapi",  # the nearest module of ours
        "pkg.other",  # under TYPE_CHECKING
        "amplify_strategies",  # inside a function
    }


def test_every_package_folder_is_installed():
    """A subpackage left out of pyproject's list installs without its modules (an editable
    install hides that; a fresh clone's `pip install .` does not)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join((package, *init.parent.relative_to(ROOT / folder).parts))
        for package, folder in PACKAGES.items()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
