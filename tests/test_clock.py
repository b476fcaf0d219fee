"""The one test clock reaches everything that asks for the time: models' defaults, services that imported
`now_utc` by name, the reminders' clock and the pages' `now_utc`; and the real clock is back after the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordinator import timeutil
from coordinator.loops import services as loops

THURSDAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_the_clock_reaches_models_services_and_pages(app, clock, make_candidate):
    clock.set(THURSDAY)
    assert make_candidate().created_dt == THURSDAY  # a model's default=now_utc
    assert clock.advance(hours=2, minutes=30) == THURSDAY + timedelta(hours=2, minutes=30)
    assert loops.now_utc() == timeutil.now_utc() == clock.now
    assert app.jinja_env.globals["now_utc"]() == clock.now
    assert app.jinja_env.from_string("{{ now_utc().isoformat() }}").render() == clock.now.isoformat()


def test_the_clock_wants_an_aware_time(clock):
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 3, 5, 9, 0))  # noqa: DTZ001 - the point of the test


def test_without_the_fixture_the_clock_is_the_system_clock():
    assert abs(timeutil.now_utc() - datetime.now(UTC)) < timedelta(seconds=5)
