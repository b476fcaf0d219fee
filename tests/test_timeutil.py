"""Wall-clock times become the right instants across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from coordinator.timeutil import InvalidTimeZone, as_utc, local_day_bounds, local_to_utc, to_local


def test_nine_am_in_new_york_moves_in_utc_when_the_us_changes_clocks():
    assert local_to_utc(date(2026, 3, 6), time(9), "America/New_York") == datetime(2026, 3, 6, 14, tzinfo=UTC)
    assert local_to_utc(date(2026, 3, 9), time(9), "America/New_York") == datetime(2026, 3, 9, 13, tzinfo=UTC)
    # Berlin has not changed yet that week
    assert local_to_utc(date(2026, 3, 9), time(9), "Europe/Berlin") == datetime(2026, 3, 9, 8, tzinfo=UTC)
    # Kolkata never changes
    assert local_to_utc(date(2026, 3, 9), time(9), "Asia/Kolkata") == datetime(2026, 3, 9, 3, 30, tzinfo=UTC)


def test_skipped_and_repeated_hours_resolve_predictably():
    assert to_local(local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York"), "America/New_York").hour == 3
    first = local_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York")
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_local_days_can_be_23_or_25_hours_long():
    start, end = local_day_bounds(date(2026, 3, 29), "Europe/Berlin")
    assert (end - start).total_seconds() == 23 * 3600
    start, end = local_day_bounds(date(2026, 10, 25), "Europe/Berlin")
    assert (end - start).total_seconds() == 25 * 3600


def test_naive_datetimes_and_unknown_zones_are_refused():
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2026, 1, 1, 9))
    with pytest.raises(InvalidTimeZone):
        to_local(datetime(2026, 1, 1, tzinfo=UTC), "Mars/Base")
