"""Behaviour a coordinator would notice: hours, busy time, buffers, panels, arrangements, limits, pools, ranking."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from coordinator import timeutil
from coordinator.scheduling import (
    Interval,
    LoopRequest,
    SessionSpec,
    block_layout,
    find_options,
    window_from_dates,
)
from coordinator.scheduling.engine import Search
from tests.scheduling.engine_builders import local, loop, one, panel, person, span
from tests.scheduling.engine_oracle import check_option

MON = date(2026, 6, 15)  # a plain week: no clock changes anywhere
FRI = MON + timedelta(days=4)
BERLIN = "Europe/Berlin"


def valid(req: LoopRequest, cals: list, result) -> None:
    cal_map = {c.id: c for c in cals}
    for option in result.options:
        assert check_option(req, cal_map, option) == []


def local_hm(dt, tz: str) -> str:
    return timeutil.to_local(dt, tz).strftime("%a %H:%M")


# ------------------------------------------------------------------------------------------------ working hours
@pytest.mark.parametrize(
    ("tz", "first_utc"),
    [("Europe/Berlin", "07:00"), ("America/New_York", "13:00"), ("Asia/Kolkata", "03:30")],
)
def test_first_option_is_at_nine_in_the_interviewers_zone(tz: str, first_utc: str) -> None:
    ann = person(1, "Ann", tz)
    req = loop([one("Chat", 60, 1)], MON, FRI, tz="UTC")
    result = find_options(req, [ann])
    first = result.options[0].start
    assert first.strftime("%H:%M") == first_utc
    assert local_hm(first, tz) == "Mon 09:00"
    for option in result.options:
        loc_start = timeutil.to_local(option.start, tz)
        loc_end = timeutil.to_local(option.end, tz)
        assert loc_start.weekday() < 5
        assert time(9) <= loc_start.time() and loc_end.time() <= time(17)
    valid(req, [ann], result)


def test_sessions_never_run_past_the_end_of_the_working_day() -> None:
    ann = person(1, "Ann", hours=(time(9), time(12)))
    result = find_options(loop([one("Chat", 90, 1)], MON, MON, options_wanted=10), [ann])
    # 10:30 would end exactly at 12:00 but is less than an hour after 10:00; 11:00 would end after 12:00
    starts = [local_hm(o.start, BERLIN) for o in result.options]
    assert starts == ["Mon 09:00", "Mon 10:00"]
    assert all(timeutil.to_local(o.end, BERLIN).time() <= time(12) for o in result.options)


def test_weekends_and_days_without_hours_are_skipped() -> None:
    ann = person(1, "Ann")
    sat = MON + timedelta(days=5)
    req = loop([one("Chat", 60, 1)], sat, sat + timedelta(days=2))  # Sat, Sun, Mon
    result = find_options(req, [ann])
    assert {timeutil.to_local(o.start, BERLIN).date() for o in result.options} == {sat + timedelta(days=2)}


# ------------------------------------------------------------------------------------------------ busy & buffers
def test_busy_blocks_are_avoided() -> None:
    ann = person(1, "Ann", busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 120)])
    result = find_options(loop([one("Chat", 60, 1)], MON, MON), [ann])
    assert local_hm(result.options[0].start, BERLIN) == "Mon 11:00"


def test_buffer_before_keeps_a_gap_after_a_busy_block() -> None:
    ann = person(1, "Ann", buffer_before_min=15, busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 120)])
    result = find_options(loop([one("Chat", 60, 1)], MON, MON), [ann])
    assert local_hm(result.options[0].start, BERLIN) == "Mon 11:15"


def test_buffer_after_keeps_a_gap_before_a_busy_block() -> None:
    busy = [span(local(2026, 6, 15, 10, 0, BERLIN), 60)]
    no_buffer = person(1, "Ann", busy=busy)
    with_buffer = person(1, "Ann", busy=busy, buffer_after_min=15)
    req = loop([one("Chat", 60, 1)], MON, MON)
    assert local_hm(find_options(req, [no_buffer]).options[0].start, BERLIN) == "Mon 09:00"
    assert local_hm(find_options(req, [with_buffer]).options[0].start, BERLIN) == "Mon 11:00"


def test_existing_interviews_are_busy_even_if_not_listed_as_busy() -> None:
    ann = person(1, "Ann", interviews=[span(local(2026, 6, 15, 9, 0, BERLIN), 60)])
    result = find_options(loop([one("Chat", 60, 1)], MON, MON), [ann])
    assert local_hm(result.options[0].start, BERLIN) == "Mon 10:00"


def test_busy_blocks_with_seconds_are_never_shrunk() -> None:
    start = local(2026, 6, 15, 9, 0, BERLIN)
    ann = person(1, "Ann", busy=[Interval(start, start + timedelta(minutes=59, seconds=1))])
    result = find_options(loop([one("Chat", 60, 1)], MON, MON, granularity_min=5), [ann])
    assert local_hm(result.options[0].start, BERLIN) == "Mon 10:00"


# ------------------------------------------------------------------------------------------------ panels
def test_panel_needs_everyone_free_at_once() -> None:
    ann = person(1, "Ann", busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 60)])
    bob = person(2, "Bob", busy=[span(local(2026, 6, 15, 10, 0, BERLIN), 60)])
    cat = person(3, "Cat", busy=[span(local(2026, 6, 15, 11, 0, BERLIN), 30)])
    req = loop([panel("Design", 60, 1, 2, 3)], MON, MON)
    result = find_options(req, [ann, bob, cat])
    assert local_hm(result.options[0].start, BERLIN) == "Mon 11:30"
    assert result.options[0].sessions[0].interviewer_ids == (1, 2, 3)
    valid(req, [ann, bob, cat], result)


def test_panel_with_pool_members_picks_the_requested_number() -> None:
    people = [person(i, f"P{i}") for i in range(1, 6)]
    spec = SessionSpec("Design", "panel", 60, (1,), (2, 3, 4, 5), pool_count=2)
    req = loop([spec], MON, FRI)
    result = find_options(req, people)
    ids = result.options[0].sessions[0].interviewer_ids
    assert ids[0] == 1 and len(ids) == 3 and len(set(ids)) == 3
    valid(req, people, result)


def test_shadows_must_be_free_and_are_listed_separately() -> None:
    ann = person(1, "Ann")
    sam = person(2, "Sam the shadow", busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 180)])
    req = loop([SessionSpec("Chat", "one_on_one", 60, (1,), shadow_ids=(2,))], MON, MON)
    result = find_options(req, [ann, sam])
    first = result.options[0].sessions[0]
    assert local_hm(first.start, BERLIN) == "Mon 12:00"
    assert first.interviewer_ids == (1,) and first.shadow_ids == (2,)


def test_shadows_count_towards_their_load_limits() -> None:
    ann = person(1, "Ann")
    sam = person(2, "Sam", max_per_day=1, interviews=[span(local(2026, 6, 15, 16, 0, BERLIN), 30)])
    req = loop([SessionSpec("Chat", "one_on_one", 60, (1,), shadow_ids=(2,))], MON, MON + timedelta(days=1))
    result = find_options(req, [ann, sam])
    assert {timeutil.to_local(o.start, BERLIN).date() for o in result.options} == {MON + timedelta(days=1)}


def test_prep_time_is_informational_and_blocks_nobody() -> None:
    ann = person(1, "Ann")
    req = loop([SessionSpec("Take-home review", "practical", 60, (1,), prep_min=45)], MON, MON)
    assert local_hm(find_options(req, [ann]).options[0].start, BERLIN) == "Mon 09:00"


# ------------------------------------------------------------------------------------------------ back to back
def test_back_to_back_sessions_are_exactly_one_buffer_apart() -> None:
    people = [person(i, f"P{i}") for i in (1, 2, 3)]
    req = loop([one("A", 45, 1), one("B", 60, 2), one("C", 30, 3)], MON, FRI, buffer_min=15)
    result = find_options(req, people)
    for option in result.options:
        s = option.sessions
        assert s[1].start - s[0].end == timedelta(minutes=15)
        assert s[2].start - s[1].end == timedelta(minutes=15)
        assert option.days == 1
        assert option.idle_gap_min == 30
    valid(req, people, result)


def test_back_to_back_inserts_one_long_break_when_the_stretch_gets_too_long() -> None:
    people = [person(i, f"P{i}") for i in (1, 2, 3, 4)]
    sessions = [one(x, 60, i) for i, x in enumerate("ABCD", start=1)]
    req = loop(sessions, MON, FRI, buffer_min=10, max_continuous_min=180, long_break_min=30)
    # A 0-60, B 70-130; C would end at 200 > 180, so a 30-minute break: C 160-220, D 230-290
    assert block_layout(req) == [(0, 60), (70, 130), (160, 220), (230, 290)]
    option = find_options(req, people).options[0]
    gaps = [
        (b.start - a.end) // timedelta(minutes=1) for a, b in zip(option.sessions, option.sessions[1:], strict=False)
    ]
    assert gaps == [10, 30, 10]
    assert option.idle_gap_min == 50


def test_back_to_back_stays_on_one_candidate_day() -> None:
    # Interviewers in Kolkata, candidate in New York: the block must not cross the candidate's midnight.
    people = [person(i, f"P{i}", "Asia/Kolkata", hours=(time(0), time(23, 59))) for i in (1, 2)]
    req = loop([one("A", 120, 1), one("B", 120, 2)], MON, FRI, tz="America/New_York")
    result = find_options(req, people)
    for option in result.options:
        days = {timeutil.to_local(ps.start, "America/New_York").date() for ps in option.sessions}
        days |= {timeutil.to_local(ps.end - timedelta(seconds=1), "America/New_York").date() for ps in option.sessions}
        assert len(days) == 1
    valid(req, people, result)


def test_same_interviewer_in_two_sessions_needs_their_own_buffer() -> None:
    ann = person(1, "Ann", buffer_before_min=20)
    bob = person(2, "Bob")
    req = loop([one("A", 60, 1), one("B", 30, 2), one("C", 30, 1)], MON, MON, buffer_min=5)
    result = find_options(req, [ann, bob])
    # Ann: A ends at t+60, C starts at t+100: 35 minutes after B... gap A->C is 40 minutes >= 20
    assert result.options
    tight = loop([one("A", 60, 1), one("C", 30, 1)], MON, MON, buffer_min=5)
    none = find_options(tight, [ann, bob])
    assert not none.options
    assert any("Ann" in r.message and "20 minutes" in r.message for r in none.reasons)


# ------------------------------------------------------------------------------------------------ spread
def test_spread_uses_several_days_with_at_most_the_daily_cap() -> None:
    people = [person(i, f"P{i}") for i in (1, 2, 3)]
    sessions = [one("A", 60, 1), one("B", 60, 2), one("C", 60, 3)]
    req = loop(sessions, MON, FRI, arrangement="spread", max_sessions_per_day=1)
    result = find_options(req, people)
    assert result.options
    for option in result.options:
        days = [timeutil.to_local(ps.start, BERLIN).date() for ps in option.sessions]
        assert len(set(days)) == 3 and days == sorted(days)
        assert option.days == 3
    capped = find_options(loop(sessions, MON, FRI, arrangement="spread", max_sessions_per_day=2), people)
    for option in capped.options:
        assert option.days >= 2
    valid(req, people, result)


def test_spread_keeps_the_order_and_the_buffer() -> None:
    ann = person(1, "Ann", busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 60)])
    bob = person(2, "Bob")
    req = loop([one("First", 60, 1), one("Second", 60, 2)], MON, FRI, arrangement="spread", buffer_min=10)
    option = find_options(req, [ann, bob]).options[0]
    first, second = option.sessions
    assert local_hm(first.start, BERLIN) == "Mon 10:00"
    assert local_hm(second.start, BERLIN) == "Mon 11:15"  # 11:10 is off the 15-minute grid
    assert option.idle_gap_min == 15


# ------------------------------------------------------------------------------------------------ load limits
def test_daily_limit_moves_the_loop_to_another_day() -> None:
    full_monday = [span(local(2026, 6, 15, 16, 0, BERLIN), 30), span(local(2026, 6, 15, 16, 30, BERLIN), 30)]
    ann = person(1, "Ann", max_per_day=2, interviews=full_monday)
    result = find_options(loop([one("Chat", 60, 1)], MON, FRI), [ann])
    assert local_hm(result.options[0].start, BERLIN) == "Tue 09:00"


def test_weekly_limit_moves_the_loop_to_the_next_week() -> None:
    earlier = [span(local(2026, 6, 8 + d, 10, 0, BERLIN), 60) for d in range(5)]  # Mon-Fri the week before
    this_week = [span(local(2026, 6, 15 + d, 16, 0, BERLIN), 60) for d in range(3)]
    ann = person(1, "Ann", max_per_week=3, max_per_day=5, interviews=earlier + this_week)
    result = find_options(loop([one("Chat", 60, 1)], MON, MON + timedelta(days=8)), [ann])
    assert timeutil.to_local(result.options[0].start, BERLIN).date() == date(2026, 6, 22)


def test_sessions_of_the_same_loop_count_against_the_daily_limit() -> None:
    ann = person(1, "Ann", max_per_day=2, interviews=[span(local(2026, 6, 15, 16, 0, BERLIN), 30)])
    bob = person(2, "Bob")
    req = loop([one("A", 30, 1), one("B", 30, 2), one("C", 30, 1)], MON, MON + timedelta(days=1))
    result = find_options(req, [ann, bob])
    # Monday would give Ann 3 interviews, so every option is on Tuesday
    assert {timeutil.to_local(o.start, BERLIN).date() for o in result.options} == {MON + timedelta(days=1)}


def test_load_limits_are_counted_in_the_interviewers_zone() -> None:
    # 23:30 Sunday UTC is already Monday morning in Kolkata: that interview counts for Monday there.
    sunday_night_utc = timeutil.local_to_utc(date(2026, 6, 14), time(23, 30), "UTC")
    kiran = person(
        1, "Kiran", "Asia/Kolkata", hours=(time(5), time(17)), max_per_day=1, interviews=[span(sunday_night_utc, 30)]
    )
    result = find_options(loop([one("Chat", 60, 1)], MON, MON + timedelta(days=1), tz="Asia/Kolkata"), [kiran])
    assert timeutil.to_local(result.options[0].start, "Asia/Kolkata").date() == MON + timedelta(days=1)


# ------------------------------------------------------------------------------------------------ pools
def test_pool_picks_the_least_loaded_person() -> None:
    busy_week = [span(local(2026, 6, 16 + d, 16, 0, BERLIN), 30) for d in range(3)]
    ann = person(1, "Ann", interviews=busy_week)  # 3 this week
    bob = person(2, "Bob", interviews=busy_week[:1])  # 1 this week
    cat = person(3, "Cat")  # none
    req = loop([one("Chat", 60, pool=(1, 2, 3))], MON, MON)
    result = find_options(req, [ann, bob, cat])
    assert all(o.sessions[0].interviewer_ids == (3,) for o in result.options)
    assert result.options[0].load_max == 1


def test_pool_skips_people_who_are_busy_and_spreads_load_across_the_loop() -> None:
    ann = person(1, "Ann", busy=[span(local(2026, 6, 15, 9, 0, BERLIN), 60)])
    bob = person(2, "Bob")
    req = loop([one("A", 60, pool=(1, 2)), one("B", 60, pool=(1, 2))], MON, MON, buffer_min=0)
    first = find_options(req, [ann, bob]).options[0]
    assert local_hm(first.start, BERLIN) == "Mon 09:00"
    # Ann is busy at 9, so Bob takes A; for B both are free and Ann has fewer interviews, so Ann takes it
    assert [ps.interviewer_ids for ps in first.sessions] == [(2,), (1,)]


def test_pool_backtracks_when_the_least_loaded_choice_blocks_a_later_session() -> None:
    # Bob is the least loaded for A, but he is needed for B and his daily limit is 1.
    ann = person(1, "Ann", interviews=[span(local(2026, 6, 16, 16, 0, BERLIN), 30)])
    bob = person(2, "Bob", max_per_day=1)
    req = loop([one("A", 60, pool=(1, 2)), one("B", 60, 2)], MON, MON)
    first = find_options(req, [ann, bob]).options[0]
    assert [ps.interviewer_ids for ps in first.sessions] == [(1,), (2,)]


# ------------------------------------------------------------------------------------------------ ranking & variety
def test_options_are_ranked_earliest_first_with_a_consistent_sort_key() -> None:
    people = [person(i, f"P{i}") for i in (1, 2)]
    result = find_options(loop([one("A", 60, 1), one("B", 60, 2)], MON, FRI), people)
    keys = [o.sort_key for o in result.options]
    assert keys == sorted(keys)
    assert [o.start for o in result.options] == sorted(o.start for o in result.options)


def test_fewer_days_and_fairer_load_break_ties_in_the_sort_key() -> None:
    people = [person(i, f"P{i}") for i in (1, 2)]
    option = find_options(loop([one("A", 60, 1), one("B", 60, 2)], MON, FRI), people).options[0]
    start, days, loads, idle = option.sort_key[:4]
    assert (days, loads[0], idle) == (option.days, option.load_max, option.idle_gap_min)
    assert loads == tuple(sorted(loads, reverse=True))  # the descending load vector: lowest maximum, then evenest


def test_variety_options_are_an_hour_apart_and_at_most_two_a_day() -> None:
    ann = person(1, "Ann")
    result = find_options(loop([one("Chat", 60, 1)], MON, FRI), [ann])
    assert [local_hm(o.start, BERLIN) for o in result.options] == [
        "Mon 09:00",
        "Mon 10:00",
        "Tue 09:00",
        "Tue 10:00",
        "Wed 09:00",
    ]


def test_variety_allows_more_per_day_only_when_there_are_no_other_days() -> None:
    ann = person(1, "Ann")
    one_day = find_options(loop([one("Chat", 60, 1)], MON, MON), [ann])
    assert [local_hm(o.start, BERLIN) for o in one_day.options] == [
        "Mon 09:00",
        "Mon 10:00",
        "Mon 11:00",
        "Mon 12:00",
        "Mon 13:00",
    ]
    two_days = find_options(loop([one("Chat", 60, 1)], MON, MON + timedelta(days=1)), [ann])
    assert [local_hm(o.start, BERLIN) for o in two_days.options] == [
        "Mon 09:00",
        "Mon 10:00",
        "Mon 11:00",
        "Tue 09:00",
        "Tue 10:00",
    ]


def test_variety_settings_are_configurable() -> None:
    ann = person(1, "Ann")
    req = loop([one("Chat", 60, 1)], MON, FRI, min_option_gap_min=120, max_options_per_day=1, options_wanted=3)
    assert [local_hm(o.start, BERLIN) for o in find_options(req, [ann]).options] == [
        "Mon 09:00",
        "Tue 09:00",
        "Wed 09:00",
    ]


def test_fewer_options_than_wanted_says_so() -> None:
    ann = person(1, "Ann", hours=(time(9), time(11)))
    result = find_options(loop([one("Chat", 60, 1)], MON, MON), [ann])
    assert len(result.options) == 2
    assert [r.code for r in result.reasons] == ["few_options"]
    assert "Only 2 of the 5" in result.reasons[0].message


# ------------------------------------------------------------------------------------------------ candidate
def test_candidate_windows_are_respected() -> None:
    ann = person(1, "Ann")
    windows = [Interval(local(2026, 6, 16, 14, 0, BERLIN), local(2026, 6, 16, 16, 30, BERLIN))]
    req = loop([one("Chat", 60, 1)], MON, FRI, windows=windows)
    result = find_options(req, [ann])
    assert [local_hm(o.start, BERLIN) for o in result.options] == ["Tue 14:00", "Tue 15:00"]


def test_the_grid_follows_the_candidates_clock() -> None:
    # Candidate in Kolkata (UTC+5:30) with an hourly grid: options start on the candidate's full hours.
    ann = person(1, "Ann", "UTC", hours=(time(0), time(23, 59)))
    req = loop([one("Chat", 60, 1)], MON, MON, tz="Asia/Kolkata", granularity_min=60)
    for option in find_options(req, [ann]).options:
        assert timeutil.to_local(option.start, "Asia/Kolkata").minute == 0


def test_window_can_be_given_as_local_dates() -> None:
    start, end = window_from_dates(MON, FRI, BERLIN)
    req = LoopRequest.for_dates(
        MON, FRI, BERLIN, sessions=(one("Chat", 60, 1),), candidate=loop([], MON, MON).candidate
    )
    assert (req.window_start, req.window_end) == (start, end)
    assert local_hm(start, BERLIN) == "Mon 00:00" and local_hm(end, BERLIN) == "Sat 00:00"


def test_spread_search_backjumps_over_sessions_that_are_not_to_blame() -> None:
    """Ann may do one interview a week but is in the first and the last session: no option this week.

    Without backjumping the search would retry every start of Bob's middle session for every start of Ann's
    first one (this took minutes); the work must stay proportional to the window instead.
    """
    ann = person(1, "Ann", max_per_week=1, hours=(time(0), time(23, 59)))
    bob = person(2, "Bob", hours=(time(0), time(23, 59)))
    sessions = [one("A", 30, 1), one("B", 30, 2), one("C", 30, 1)]
    req = loop(sessions, MON, MON + timedelta(days=6), arrangement="spread", max_sessions_per_day=3)
    search = Search(req, {1: ann, 2: bob})
    result = search.run()
    assert not result.options
    assert result.reasons[0].person_id == 1 and "weekly limit of 1 interview" in result.reasons[0].message
    assert search.nodes < 5_000


def test_back_to_back_staffing_backjumps_too() -> None:
    """Ann (one interview a day) opens and closes the loop; the five pool sessions in between are not to blame,
    so their 8*7*6*5*4 staffings must not be tried at every start time."""
    people = {i: person(i, f"P{i}") for i in range(1, 9)}
    people[9] = person(9, "Ann", max_per_day=1)
    pool = tuple(range(1, 9))
    sessions = [one("Open", 20, 9), *(one(f"S{i}", 20, pool=pool) for i in range(1, 6)), one("Close", 20, 9)]
    search = Search(loop(sessions, MON, FRI, buffer_min=5, max_continuous_min=600), people)
    result = search.run()
    assert not result.options
    assert [r.code for r in result.reasons] == ["day_limit"] and result.reasons[0].person_id == 9
    assert search.nodes < 5_000
