"""Fixtures for the availability tests: the clock stands at a known day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import Clock


@pytest.fixture
def clock(clock: Clock) -> Clock:
    """Thursday 5 March 2026, 09:00 UTC: before the US (8 March) and European (29 March) clock changes."""
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    return clock
