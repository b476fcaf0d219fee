"""The route walk's world is built once per session into its own SQLite template; each test works on a copy of
it, so no test sees another's writes and none pays for building it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.security.routewalk import build_world, freeze_world, thaw_world


@pytest.fixture(scope="session")
def walk_template(seed_template: Callable[..., tuple[Path, Any]]) -> tuple[Path, dict]:
    return seed_template("routewalk", lambda app: freeze_world(build_world(app)))


@pytest.fixture
def sqlite_source(walk_template: tuple[Path, dict]) -> Path:
    return walk_template[0]


@pytest.fixture
def world(app: Flask, walk_template: tuple[Path, dict]) -> dict:
    """The world's objects, loaded from this test's copy."""
    return thaw_world(walk_template[1])
