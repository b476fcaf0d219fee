"""`make run` on a fresh checkout says what it is doing: pip is not silenced, and each step is announced (#22)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_first_setup_shows_what_pip_is_doing():
    # -n: print the commands without running them; -W: as if pyproject.toml had just changed (a first run)
    out = subprocess.run(["make", "-n", "-W", "pyproject.toml", "run"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    pip = next(line for line in out.splitlines() if "pip install" in line)
    assert "--quiet" not in pip and "-q " not in pip and "--progress-bar on" in pip
    assert "Installing packages with pip" in out
    assert "Bringing the database up to date" in out and "Starting the web server" in out
