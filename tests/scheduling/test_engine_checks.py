"""Replacements for a session, and checking a hand-placed itinerary."""

from __future__ import annotations

from datetime import date, time, timedelta

from coordinator.scheduling import Interval, PlacedSession, SessionSpec, find_replacements
from coordinator.scheduling import check_placement as check
from tests.scheduling.engine_builders import local, loop, one, panel, person, span

BERLIN = "Europe/Berlin"
MON = date(2026, 6, 15)


def at(h: int, mi: int = 0, day: int = 15, tz: str = BERLIN):
    return local(2026, 6, day, h, mi, tz)


# ------------------------------------------------------------------------------------------------ replacements
def test_replacements_are_free_within_limits_and_sorted_by_load() -> None:
    slot = span(at(10), 60)
    ann = person(1, "Ann", interviews=[span(at(16, day=16), 30), span(at(16, day=17), 30)])  # 2 this week
    bob = person(2, "Bob", interviews=[span(at(16, day=17), 30)])  # 1 this week
    cat = person(3, "Cat", busy=[span(at(10, 30), 30)])  # busy during the slot
    dan = person(4, "Dan", buffer_after_min=15, busy=[span(at(11, 10), 30)])  # his buffer would be cut
    eve = person(5, "Eve", max_per_week=2, interviews=[span(at(9, day=16), 30), span(at(9, day=17), 30)])  # full
    fay = person(6, "Fay", "America/New_York")  # 10:00 Berlin is 04:00 in New York
    gus = person(7, "Gus")  # the person being replaced
    found = find_replacements(slot, [ann, bob, cat, dan, eve, fay, gus], exclude_ids={7})
    assert [r.name for r in found] == ["Bob", "Ann"]
    assert (found[0].interviews_that_week, found[0].interviews_that_day) == (1, 0)


def test_replacement_daily_limit_uses_the_colleagues_own_day() -> None:
    slot = span(at(9, 30, tz="Asia/Kolkata"), 60)
    kiran = person(1, "Kiran", "Asia/Kolkata", max_per_day=1, interviews=[span(at(16, tz="Asia/Kolkata"), 30)])
    assert find_replacements(slot, [kiran]) == []
    tomorrow_slot = Interval(slot.start + timedelta(days=1), slot.end + timedelta(days=1))
    assert [r.name for r in find_replacements(tomorrow_slot, [kiran])] == ["Kiran"]


# ------------------------------------------------------------------------------------------------ placement
def test_a_clean_itinerary_has_no_findings() -> None:
    people = [person(1, "Ann"), person(2, "Bob")]
    req = loop([one("Intro", 60, 1), one("Coding", 60, 2)], MON, MON)
    placed = [PlacedSession(0, at(9), at(10), (1,)), PlacedSession(1, at(10, 10), at(11, 10), (2,))]
    result = check(placed, req, people)
    assert result.ok and result.conflicts == [] and result.problems == []


def test_double_booking_is_a_hard_conflict() -> None:
    ann = person(1, "Ann", busy=[span(at(9, 30), 60)])
    req = loop([one("Intro", 60, 1)], MON, MON)
    result = check([PlacedSession(0, at(9), at(10), (1,))], req, [ann])
    assert result.conflicts == [
        "Ann is already busy from Mon 15 Jun 09:30 to 10:30 (Europe/Berlin), which clashes with 'Intro'."
    ]
    assert not result.ok


def test_same_person_in_two_sessions_at_once_is_a_hard_conflict() -> None:
    ann, bob = person(1, "Ann"), person(2, "Bob")
    req = loop([one("Intro", 60, 1), panel("Design", 60, 1, 2)], MON, MON, arrangement="spread")
    placed = [PlacedSession(0, at(9), at(10), (1,)), PlacedSession(1, at(9, 30), at(10, 30), (1, 2))]
    result = check(placed, req, [ann, bob])
    assert "Ann would be in 'Intro' and 'Design' at the same time." in result.conflicts
    assert "'Intro' and 'Design' overlap for the candidate." in result.conflicts


def test_soft_problems_outside_hours_over_limit_outside_candidate_windows() -> None:
    ann = person(1, "Ann", max_per_day=1, interviews=[span(at(16), 30)])
    windows = [span(at(9), 120)]
    req = loop([one("Intro", 60, 1)], MON, MON, windows=windows)
    result = check([PlacedSession(0, at(18), at(19), (1,))], req, [ann])
    assert result.conflicts == []
    assert result.problems == [
        "'Intro' (Mon 15 Jun 18:00 for the candidate) is outside the candidate's available time.",
        "'Intro' is outside Ann's working hours (Mon 15 Jun 18:00 Europe/Berlin).",
        "Ann would have 2 interviews on Mon 15 Jun (daily limit 1).",
    ]


def test_weekly_limit_buffer_duration_headcount_and_spacing_are_soft() -> None:
    week = [span(at(16, day=16 + d), 30) for d in range(3)]
    ann = person(1, "Ann", max_per_week=3, buffer_before_min=15, interviews=week, busy=[span(at(8, 30), 40)])
    bob = person(2, "Bob")
    req = loop([one("Intro", 60, 1), SessionSpec("Design", "panel", 60, (1, 2), (3,))], MON, MON, buffer_min=10)
    placed = [PlacedSession(0, at(9, 15), at(10, 0), (1,)), PlacedSession(1, at(10, 5), at(11, 5), (1, 2))]
    result = check(placed, req, [ann, bob])
    assert result.conflicts == []
    assert set(result.problems) == {
        "Only 5 minutes between 'Intro' and 'Design'; the loop asks for 10 minutes.",
        "'Intro' lasts 45 minutes but should last 60 minutes.",
        "'Design' has 2 interviewers; it needs 3.",
        "'Intro' is inside Ann's buffer around another commitment.",
        "Ann needs 15 minutes between 'Intro' and 'Design'.",
        "Ann would have 5 interviews in the week of 15 Jun (weekly limit 3).",
    }


def test_order_and_unknown_people() -> None:
    ann = person(1, "Ann", hours=(time(8), time(18)))
    req = loop([one("Intro", 60, 1), one("Coding", 60, 9)], MON, MON)
    placed = [PlacedSession(1, at(9), at(10), (9,)), PlacedSession(0, at(11), at(12), (1,))]
    result = check(placed, req, [ann])
    assert result.conflicts == ["No calendar for person id 9 in 'Coding'."]
    assert "'Coding' is placed before 'Intro', against the loop's order." in result.problems
