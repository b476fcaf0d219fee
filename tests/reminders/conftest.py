"""Fixtures for the reminder tests: a clock the test controls."""

from __future__ import annotations

from datetime import datetime

import pytest

from coordinator import timeutil


class Clock:
    """What `timeutil.now_utc()` answers while the test runs; `set()` moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Patch the one clock (`timeutil.now_utc`); `clock.set(dt)` moves it."""
    fake = Clock(timeutil.now_utc())
    monkeypatch.setattr(timeutil, "now_utc", fake)
    return fake
