"""Daylight saving: the week of 9-13 March 2026, when the US has moved its clocks (8 March) and Europe has not
(29 March). New York is UTC-4 that week, Berlin UTC+1, Kolkata UTC+5:30 (no DST at all), London UTC+0."""

from __future__ import annotations

from datetime import date, time, timedelta

from coordinator import timeutil
from coordinator.scheduling import SessionSpec, check_placement, find_options
from tests.scheduling.engine_builders import loop, one, panel, person, span, utc
from tests.scheduling.engine_oracle import check_option

NY, BERLIN, KOLKATA, LONDON = "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Europe/London"
MON = date(2026, 3, 9)
FRI = date(2026, 3, 13)


def utc_hm(dt) -> str:
    return dt.strftime("%a %d %H:%M")


def test_new_york_nine_am_is_thirteen_utc_in_the_gap_week() -> None:
    dana = person(1, "Dana", NY)
    first = find_options(loop([one("Chat", 60, 1)], MON, FRI, tz=NY), [dana]).options[0]
    assert utc_hm(first.start) == "Mon 09 13:00"  # a fixed EST offset would say 14:00
    week_before = find_options(loop([one("Chat", 60, 1)], date(2026, 3, 2), date(2026, 3, 6), tz=NY), [dana])
    assert utc_hm(week_before.options[0].start) == "Mon 02 14:00"


def test_the_clock_change_inside_the_window_is_applied_per_day() -> None:
    # Window Thu 5 - Tue 10 March: Thursday/Friday are EST, Monday/Tuesday EDT.
    dana = person(1, "Dana", NY)
    req = loop(
        [one("Chat", 60, 1)], date(2026, 3, 5), date(2026, 3, 10), tz=NY, max_options_per_day=1, options_wanted=4
    )
    starts = [utc_hm(o.start) for o in find_options(req, [dana]).options]
    assert starts == ["Thu 05 14:00", "Fri 06 14:00", "Mon 09 13:00", "Tue 10 13:00"]


def test_berlin_and_kolkata_are_unchanged() -> None:
    jonas = person(2, "Jonas", BERLIN)
    kiran = person(3, "Kiran", KOLKATA)
    assert utc_hm(find_options(loop([one("A", 60, 2)], MON, FRI, tz="UTC"), [jonas]).options[0].start) == "Mon 09 08:00"
    assert utc_hm(find_options(loop([one("A", 60, 3)], MON, FRI, tz="UTC"), [kiran]).options[0].start) == "Mon 09 03:30"


def test_new_york_berlin_panel_has_three_shared_hours_that_week() -> None:
    # NY 9:00-17:00 EDT = 13:00-21:00 UTC; Berlin 9:00-17:00 CET = 08:00-16:00 UTC: overlap 13:00-16:00 UTC.
    # With a fixed EST offset the overlap would wrongly be 14:00-16:00.
    dana, jonas = person(1, "Dana", NY), person(2, "Jonas", BERLIN)
    req = loop([panel("Design", 60, 1, 2)], MON, MON, tz=LONDON, options_wanted=10, max_options_per_day=10)
    starts = [utc_hm(o.start) for o in find_options(req, [dana, jonas]).options]
    assert starts == ["Mon 09 13:00", "Mon 09 14:00", "Mon 09 15:00"]


def test_three_zone_loop_in_the_gap_week() -> None:
    """A back-to-back loop with Kolkata, Berlin and New York interviewers and a London candidate.

    Kolkata works 09:00-17:00 IST = 03:30-11:30 UTC, Berlin 08:00-16:00 UTC, New York 13:00-21:00 UTC, so the
    block must start with Kolkata in the London morning, have Berlin in the middle and New York at the end.
    """
    kiran, jonas, dana = person(1, "Kiran", KOLKATA), person(2, "Jonas", BERLIN), person(3, "Dana", NY)
    sessions = [
        one("Intro", 60, 1),
        SessionSpec("Design", "panel", 60, (1, 2)),
        one("Coding", 90, 2),
        one("Manager", 45, 3),
    ]
    req = loop(sessions, MON, FRI, tz=LONDON, buffer_min=15, max_continuous_min=240, long_break_min=60)
    result = find_options(req, [kiran, jonas, dana])
    assert result.options, result.reasons
    cals = {c.id: c for c in (kiran, jonas, dana)}
    for option in result.options:
        assert check_option(req, cals, option) == []
        assert check_placement(option.sessions, req, cals).ok
        for ps in option.sessions:
            for pid in ps.interviewer_ids:
                tz = cals[pid].tz
                start, end = timeutil.to_local(ps.start, tz), timeutil.to_local(ps.end, tz)
                assert time(9) <= start.time() and end.time() <= time(17), (cals[pid].name, start, end)
    # Intro 0-60, design 75-135, coding 150-240, then 240 minutes of interviewing: an hour's break, manager 300-345.
    # Design must end by 11:30 UTC (17:00 in Kolkata) and the manager start at 13:00 UTC (09:00 EDT) or later,
    # so blocks start between 08:00 and 09:15 UTC.
    assert [utc_hm(o.start) for o in result.options] == [
        "Mon 09 08:00",
        "Mon 09 09:00",
        "Tue 10 08:00",
        "Tue 10 09:00",
        "Wed 11 08:00",
    ]
    assert utc_hm(result.options[0].sessions[3].start) == "Mon 09 13:00"


def test_same_loop_a_week_earlier_moves_new_york_by_an_hour() -> None:
    dana = person(3, "Dana", NY)
    jonas = person(2, "Jonas", BERLIN)
    req_gap = loop([panel("Design", 60, 2, 3)], MON, MON, tz=LONDON)
    req_before = loop([panel("Design", 60, 2, 3)], MON - timedelta(days=7), MON - timedelta(days=7), tz=LONDON)
    assert utc_hm(find_options(req_gap, [dana, jonas]).options[0].start) == "Mon 09 13:00"
    assert utc_hm(find_options(req_before, [dana, jonas]).options[0].start) == "Mon 02 14:00"


def test_europe_catches_up_on_29_march() -> None:
    jonas = person(2, "Jonas", BERLIN)
    req = loop(
        [one("A", 60, 2)], date(2026, 3, 27), date(2026, 3, 30), tz=BERLIN, max_options_per_day=1, options_wanted=2
    )
    starts = [utc_hm(o.start) for o in find_options(req, [jonas]).options]
    assert starts == ["Fri 27 08:00", "Mon 30 07:00"]


def test_daily_limit_days_follow_local_midnight_across_the_change() -> None:
    # An interview at 03:30 UTC on Monday 9 March is still Sunday 23:30 in New York (EDT, UTC-4),
    # so it does not use Monday's single slot.
    dana = person(1, "Dana", NY, max_per_day=1, interviews=[span(utc(2026, 3, 9, 3, 30), 30)])
    first = find_options(loop([one("Chat", 60, 1)], MON, FRI, tz=NY), [dana]).options[0]
    assert utc_hm(first.start) == "Mon 09 13:00"
