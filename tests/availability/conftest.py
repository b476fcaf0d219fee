"""Fixtures for the availability tests: a clock that stands still."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

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
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Thursday 5 March 2026, 09:00 UTC: before the US (8 March) and European (29 March) clock changes."""
    fake = Clock(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(timeutil, "now_utc", fake)
    monkeypatch.setitem(app.jinja_env.globals, "now_utc", fake)  # "their time now" on the pages
    return fake
