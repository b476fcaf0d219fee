"""Fixtures for the scorecard tests: the world of tests/scorecards/support.py and signed-in clients."""

from __future__ import annotations

import pytest

from tests.helpers import login
from tests.scorecards.support import World, build_world


@pytest.fixture
def world(app) -> World:
    return build_world()


@pytest.fixture
def as_(app):
    """as_(user) -> a fresh client signed in as that user."""
    def factory(user):
        return login(app.test_client(), user)
    return factory
