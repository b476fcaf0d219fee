"""The house's shape, checked: the feature folders are the ones the guide names, a feature never reaches into
another feature's views, the pure modules load without Flask or SQLAlchemy, and views leave committing to the
request wrapper (see ../shared/guide/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coordinator"

#: every folder of Python code under coordinator/: a new one is added here on purpose, with the guide's picture
FEATURES = {
    "api", "audit", "auth", "availability", "board", "focus", "hiring", "home", "insight", "invites", "jobs", "kits",
    "loops",
    "portal", "privacy", "reminders", "scheduling", "scorecards",
}

#: modules that must import without the web stack: the engine, the clock, the invite builder, the calendar reader
PURE_MODULES = ["coordinator.scheduling", "coordinator.timeutil", "coordinator.invites.ical",
                "coordinator.availability.calendar_import"]


def _packages() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.rglob("*.py"))}


def _imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, absolute, including `from coordinator.x import views` as coordinator.x.views
    and relative imports resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_every_package_under_coordinator_is_a_listed_feature():
    assert _packages() == FEATURES


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_no_feature_imports_another_features_views(feature):
    offenders = []
    for path in sorted((PACKAGE / feature).rglob("*.py")):
        for module in _imported_modules(path):
            parts = module.split(".")
            if len(parts) >= 3 and parts[0] == "coordinator" and parts[2] == "views" and parts[1] != feature:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, "a feature calls services, never another feature's views:\n" + "\n".join(offenders)


def test_the_import_reader_understands_every_form_of_import(tmp_path):
    """The check above is only as good as its reader: absolute, from-package and relative imports all count."""
    source = tmp_path / "coordinator" / "loops" / "services.py"
    source.parent.mkdir(parents=True)
    source.write_text("import coordinator.a.views\nfrom coordinator.b import views\n"
                      "from coordinator.c.views import bp\nfrom ..d import views as d_views\n"
                      "from ..e.views import thing\nfrom . import models\n")
    found = _imported_modules(source, root=tmp_path)
    for name in "abcde":
        assert f"coordinator.{name}.views" in found, (name, sorted(found))
    assert "coordinator.loops.models" in found


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_neither_flask_nor_sqlalchemy(module):
    """In a fresh interpreter, so that nothing this test process already loaded hides an import."""
    probe = (f"import sys, {module}\n"
             "print(' '.join(m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing {module} loads {result.stdout.strip()}"


def _commit_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}()"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")]


def test_no_view_or_service_commits_or_rolls_back():
    """One commit per request: the request wrapper (web.App) commits on success and rolls back on any error;
    services add and flush; jobs (jobs.py, the scheduler process) and CLI commands commit their own work."""
    paths = sorted([*PACKAGE.rglob("views.py"), *PACKAGE.rglob("services.py")])
    calls = [call for path in paths for call in _commit_calls(path)]
    assert not calls, "\n".join(calls)
