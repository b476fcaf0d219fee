"""Malformed requests come back as field-oriented messages, all at once, before any searching."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from coordinator.scheduling import (
    CandidateAvailability,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    PlanError,
    SessionSpec,
    find_options,
    validate_request,
)
from tests.scheduling.engine_builders import loop, one, panel, person

MON = date(2026, 6, 15)
PEOPLE = [person(i, f"P{i}") for i in (1, 2, 3)]


def errors_of(req: LoopRequest, cals=PEOPLE) -> dict[str, list[str]]:
    with pytest.raises(PlanError) as info:
        validate_request(req, cals)
    out: dict[str, list[str]] = {}
    for e in info.value.errors:
        out.setdefault(e.field, []).append(e.message)
    return out


def test_a_valid_request_passes() -> None:
    validate_request(loop([one("Chat", 60, 1), panel("Design", 60, 2, 3)], MON, MON), PEOPLE)


def test_no_sessions() -> None:
    assert errors_of(loop([], MON, MON)) == {"sessions": ["Add at least one session to the loop."]}


@pytest.mark.parametrize("minutes", [0, -15, 8 * 60 + 1])
def test_duration_out_of_range(minutes: int) -> None:
    errs = errors_of(loop([one("Coding", minutes, 1)], MON, MON))
    assert errs == {"sessions[0].duration_min": [f"'Coding' must last between 1 minute and 8 hours (got {minutes})."]}


def test_eight_hours_is_allowed() -> None:
    validate_request(loop([one("Onsite day", 8 * 60, 1)], MON, MON), PEOPLE)


def test_panel_with_fewer_than_two_interviewers() -> None:
    errs = errors_of(loop([panel("Design", 60, 1)], MON, MON))
    assert errs == {"sessions[0].interviewer_ids": ["'Design' is a panel and needs at least 2 interviewers (has 1)."]}


def test_panel_counts_pool_picks() -> None:
    validate_request(loop([SessionSpec("Design", "panel", 60, (1,), (2, 3))], MON, MON), PEOPLE)


@pytest.mark.parametrize(
    ("fixed", "pool", "count"),
    [((1, 2), (), 1), ((), (), 1), ((1,), (2, 3), 1), ((), (2, 3), 2)],
)
def test_one_on_one_needs_exactly_one_interviewer(fixed, pool, count) -> None:
    spec = SessionSpec("Chat", "one_on_one", 60, fixed, pool, pool_count=count)
    errs = errors_of(loop([spec], MON, MON))
    assert list(errs) == ["sessions[0].interviewer_ids"]
    assert "one-on-one and needs exactly 1 interviewer" in errs["sessions[0].interviewer_ids"][0]


def test_one_on_one_from_a_pool_is_fine() -> None:
    validate_request(loop([one("Chat", 60, pool=(1, 2, 3))], MON, MON), PEOPLE)


def test_reversed_and_empty_windows() -> None:
    req = loop([one("Chat", 60, 1)], MON, MON)
    reversed_ = LoopRequest(req.sessions, req.candidate, req.window_end, req.window_start)
    empty = LoopRequest(req.sessions, req.candidate, req.window_start, req.window_start)
    for bad in (reversed_, empty):
        assert errors_of(bad) == {"window": ["The window ends before it starts (or is empty)."]}


def test_naive_window_is_refused() -> None:
    req = loop([one("Chat", 60, 1)], MON, MON)
    naive = LoopRequest(req.sessions, req.candidate, datetime(2026, 6, 15), datetime(2026, 6, 16))
    assert "window" in errors_of(naive)


def test_unknown_time_zones() -> None:
    req = loop([one("Chat", 60, 1)], MON, MON)
    bad_candidate = LoopRequest(req.sessions, CandidateAvailability("Mars/Olympus"), req.window_start, req.window_end)
    assert errors_of(bad_candidate) == {"candidate.tz": ["The candidate has an unknown time zone 'Mars/Olympus'."]}
    bad_person = InterviewerCalendar(1, "Ann", "Europe/Atlantis", {0: ((time(9), time(17)),)})
    assert errors_of(req, [bad_person]) == {"calendars[1].tz": ["Ann has an unknown time zone 'Europe/Atlantis'."]}


def test_interviewer_without_calendar() -> None:
    req = loop([one("Chat", 60, 42), SessionSpec("Design", "panel", 60, (1,), (2, 43), shadow_ids=(44,))], MON, MON)
    errs = errors_of(req)
    assert errs == {
        "sessions[0].interviewer_ids": ["'Chat': no calendar for person id 42."],
        "sessions[1].pool_ids": ["'Design': no calendar for person id 43."],
        "sessions[1].shadow_ids": ["'Design': no calendar for person id 44."],
    }


def test_all_problems_are_reported_together() -> None:
    req = loop([one("Chat", 0, 1, 2), panel("Design", 60, 3)], MON, MON)
    bad = LoopRequest(req.sessions, CandidateAvailability("Nowhere"), req.window_end, req.window_start)
    with pytest.raises(PlanError) as info:
        find_options(bad, PEOPLE)
    fields = {e.field for e in info.value.errors}
    assert fields == {
        "sessions[0].duration_min",
        "sessions[0].interviewer_ids",
        "sessions[1].interviewer_ids",
        "window",
        "candidate.tz",
    }
    assert isinstance(info.value, ValueError)
    assert info.value.for_field("sessions[0]") == [e.message for e in info.value.errors[:2]]
    assert info.value.messages() == [e.message for e in info.value.errors]
    assert str(info.value) == " ".join(info.value.messages())


def test_other_settings_are_checked() -> None:
    req = loop(
        [SessionSpec("Chat", "coffee", 60, (1,), shadow_ids=(1,))],
        MON,
        MON,
        arrangement="zigzag",
        granularity_min=0,
        options_wanted=0,
        buffer_min=-5,
    )
    errs = errors_of(req)
    assert {
        "sessions[0].kind",
        "sessions[0].shadow_ids",
        "arrangement",
        "granularity_min",
        "options_wanted",
        "buffer_min",
    } <= set(errs)


def test_pool_count_larger_than_the_pool() -> None:
    spec = SessionSpec("Design", "panel", 60, (), (1, 2), pool_count=3)
    assert "sessions[0].pool_count" in errors_of(loop([spec], MON, MON))


def test_bad_working_hours() -> None:
    backwards = InterviewerCalendar(1, "Ann", "Europe/Berlin", {0: ((time(17), time(9)),)})
    errs = errors_of(loop([one("Chat", 60, 1)], MON, MON), [backwards])
    assert errs == {"calendars[1].working_hours": ["Ann: working hours 17:00–09:00 end before they start."]}


def test_intervals_must_be_aware_and_ordered() -> None:
    start = datetime(2026, 6, 15, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        Interval(datetime(2026, 6, 15, 9), datetime(2026, 6, 15, 10))
    with pytest.raises(ValueError, match="ends before it starts"):
        Interval(start, start - timedelta(minutes=1))
    assert Interval(start, start + timedelta(hours=1)).minutes == 60
