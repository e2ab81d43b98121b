"""The pure core (core, gait, trial) does no I/O and never imports an edge.

Packaged read-only data may be read through ``importlib.resources``; anything else that touches
files, sockets, databases or the terminal belongs in an edge (io, storage, api, web, cli, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "retrowalk"
PURE_PACKAGES = ("core", "gait", "trial", "illustrations")
FORBIDDEN_MODULES = {
    "os",
    "pathlib",
    "io",
    "socket",
    "sqlite3",
    "subprocess",
    "shutil",
    "tempfile",
    "glob",
    "requests",
    "httpx",
    "urllib",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "typer",
    "rich",
    "jinja2",
    "matplotlib",
    "weasyprint",
    "dask",
    "distributed",
    "pandas",
    "pyarrow",
    "retrowalk.storage",
    "retrowalk.api",
    "retrowalk.web",
    "retrowalk.cli",
    "retrowalk.io",
    "retrowalk.reports",
    "retrowalk.interop",
    "retrowalk.settings",
    "retrowalk.batch",
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval"}
FORBIDDEN_ATTR_CALLS = {"read_csv", "to_csv", "savetxt", "loadtxt", "write_text", "write_bytes", "savefig"}


def _pure_files() -> list[Path]:
    files: list[Path] = []
    for pkg in PURE_PACKAGES:
        files.extend(sorted((SRC / pkg).rglob("*.py")))
    return files


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if any(name == mod or name.startswith(mod + ".") for mod in FORBIDDEN_MODULES):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} calls {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTR_CALLS:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} calls .{func.attr}()")
    return found


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_core_does_no_io(path: Path) -> None:
    assert _violations(path) == []


def test_the_check_catches_io(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom retrowalk.api import x\nopen('f')\n", encoding="utf-8")
    original = SRC
    try:
        globals()["SRC"] = tmp_path
        problems = _violations(bad)
    finally:
        globals()["SRC"] = original
    assert len(problems) == 3


# --- the edges reach storage and each other only through retrowalk.app ----------------------------

#: (package, forbidden prefixes, why): the web pages never borrow from the REST package, and
#: neither HTTP edge touches the ORM models or crud directly (they call the use cases in app/).
EDGE_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("web", ("retrowalk.api",), "web pages call retrowalk.app, not the REST package"),
    ("web", ("retrowalk.storage.models", "retrowalk.storage.crud"), "storage only through retrowalk.app"),
    ("api", ("retrowalk.storage.models", "retrowalk.storage.crud"), "storage only through retrowalk.app"),
    ("api", ("retrowalk.web",), "the REST package does not use pages (the app factory mounts them)"),
    ("app", ("retrowalk.api", "retrowalk.web", "fastapi", "starlette"), "use cases know no HTTP edge"),
    ("reports", ("retrowalk.storage", "retrowalk.app"), "reports render typed inputs only"),
)
#: The app factory mounts the pages beside the API: the one allowed edge-to-edge import.
EDGE_EXCEPTIONS = {("api/app.py", "retrowalk.web.pages")}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute module names imported by a file (``from x import y`` also yields ``x.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def _edge_violations(root: Path) -> list[str]:
    problems: dict[tuple[str, int, str], str] = {}
    for package, forbidden, why in EDGE_RULES:
        for path in sorted((root / package).rglob("*.py")):
            rel = str(path.relative_to(root))
            for line, name in _imports(path):
                if any(rel == r and (name == m or name.startswith(m + ".")) for r, m in EDGE_EXCEPTIONS):
                    continue
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    problems.setdefault((rel, line, why), f"{rel}:{line} imports {name} ({why})")
    return list(problems.values())


def test_edges_reach_storage_only_through_app() -> None:
    assert _edge_violations(SRC) == []


def test_the_edge_check_catches_a_shortcut(tmp_path: Path) -> None:
    for package in ("web", "api", "app", "reports"):
        (tmp_path / package).mkdir()
    (tmp_path / "web" / "page.py").write_text(
        "from retrowalk.api.deps import DbSession\nfrom retrowalk.storage import crud\n", encoding="utf-8"
    )
    route = "from retrowalk.storage.models import Client\n"
    (tmp_path / "api" / "route.py").write_text(route, encoding="utf-8")
    assert len(_edge_violations(tmp_path)) == 3
