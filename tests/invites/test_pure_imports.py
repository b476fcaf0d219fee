"""The pure modules (the invite builder, the e-mail builder, the reminder rules and texts, the calendar import, the
scheduling engine) import neither Flask nor SQLAlchemy: checked in a fresh interpreter.

`coordinator/__init__.py` imports Flask for `create_app`, so the package is stood in for by a bare module with the
same path: what is checked is each module's own imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    "coordinator.invites.ical",
    "coordinator.invites.email",
    "coordinator.invites.texts",
    "coordinator.mail",
    "coordinator.reminders.rules",
    "coordinator.reminders.messages",
    "coordinator.availability.calendar_import",
    "coordinator.scheduling",
]
PROBE = """
import importlib, json, sys, types
package = types.ModuleType("coordinator")
package.__path__ = [{folder!r}]
sys.modules["coordinator"] = package
importlib.import_module({module!r})
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {{"flask", "sqlalchemy", "flask_sqlalchemy"}})))
"""


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_neither_flask_nor_sqlalchemy(module):
    code = PROBE.format(folder=str(ROOT / "coordinator"), module=module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
