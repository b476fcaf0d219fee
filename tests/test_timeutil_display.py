"""The display variants for what is not an instant: calendar days, times of day, and UTC stamps for exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from coordinator.timeutil import format_date, format_utc_stamp, format_wall_time


def test_a_calendar_day_reads_as_the_pages_show_dates():
    assert format_date(date(2026, 12, 4)) == "Fri 04 Dec 2026"
    assert format_date(date(2026, 12, 4), "%A %d %B %Y") == "Friday 04 December 2026"
    assert format_date(date(2026, 12, 4), "%a") == "Fri"


def test_a_time_of_day_reads_on_the_24_hour_clock():
    assert format_wall_time(time(9, 5)) == "09:05" and format_wall_time(time(17, 30, 59)) == "17:30"


def test_an_export_stamp_is_utc_whatever_zone_the_instant_carries():
    berlin_winter = timezone(timedelta(hours=1))
    assert format_utc_stamp(datetime(2026, 3, 5, 15, 30, tzinfo=berlin_winter)) == "2026-03-05 14:30"
    assert format_utc_stamp(datetime(2026, 3, 5, 14, 30, tzinfo=UTC)) == "2026-03-05 14:30"
