"""When nothing fits, the reasons must name the person (or session) and the cause, in words a coordinator can act on."""

from __future__ import annotations

from datetime import date, time, timedelta

from coordinator.scheduling import InterviewerCalendar, SessionSpec, find_options
from tests.scheduling.engine_builders import local, loop, one, panel, person, span

MON = date(2026, 11, 30)
FRI = MON + timedelta(days=4)
BERLIN = "Europe/Berlin"


def messages(result) -> list[str]:
    assert not result.options
    assert result.reasons
    return [r.message for r in result.reasons]


def test_person_without_a_free_window_is_named() -> None:
    # Busy 9:30-16:30 every day: only half-hour holes at the edges of her working day.
    busy = [span(local(2026, 11, 27, 9, 30, BERLIN) + timedelta(days=d), 7 * 60) for d in range(8)]
    priya = person(7, "Priya Nair", busy=busy)
    result = find_options(loop([one("Coding", 60, 7)], date(2026, 11, 27), date(2026, 12, 4)), [priya])
    assert messages(result) == ["Priya Nair has no free window of 60 minutes between 27 Nov and 4 Dec."]
    assert result.reasons[0].person_id == 7 and result.reasons[0].code == "not_free"


def test_weekly_limit_is_named_with_the_week() -> None:
    jonas = person(
        3,
        "Jonas Weber",
        max_per_week=5,
        interviews=[span(local(2026, 11, 30, 16, 0, BERLIN) + timedelta(days=d), 30) for d in range(2)]
        + [span(local(2026, 12, 2, 16, 0, BERLIN) + timedelta(days=d), 30) for d in range(3)],
    )
    result = find_options(loop([one("Coding", 60, 3)], MON, FRI), [jonas])
    assert "Jonas Weber has reached the weekly limit of 5 interviews in the week of 30 Nov." in messages(result)
    assert result.reasons[0].code == "weekly_limit" and result.reasons[0].person_id == 3


def test_daily_limit_is_named_with_the_days() -> None:
    full = [span(local(2026, 11, 30, 16, 0, BERLIN) + timedelta(days=d), 30) for d in range(2)]
    full += [span(local(2026, 11, 30, 16, 30, BERLIN) + timedelta(days=d), 30) for d in range(2)]
    jonas = person(3, "Jonas Weber", max_per_day=2, max_per_week=10, interviews=full)
    result = find_options(loop([one("Coding", 60, 3)], MON, MON + timedelta(days=1)), [jonas])
    (msg,) = messages(result)
    assert msg.startswith("Jonas Weber has reached the daily limit of 2 interviews on Mon 30 Nov and Tue 1 Dec")


def test_candidate_windows_shorter_than_the_block() -> None:
    people = [person(i, f"P{i}") for i in range(1, 5)]
    sessions = [one("Intro", 45, 1), panel("System design", 60, 2, 3), one("Coding", 90, 4), one("Wrap-up", 25, 1)]
    windows = [span(local(2026, 11, 30, 9, 0, BERLIN) + timedelta(days=d), 180) for d in range(5)]
    result = find_options(loop(sessions, MON, FRI, windows=windows), people)
    # Intro 0-45, design 55-115, coding would end at 215 > 180 so after a long break 145-235, wrap-up 245-270
    # The long break may fall outside the windows, but each stretch (here 9:00-10:55 and 11:25-13:30) may not.
    assert messages(result) == [
        "The candidate's windows are too short for the 4h 30m back-to-back block on every day: each stretch "
        "between long breaks must lie in one window, with its sessions starting on one day."
    ]


def test_candidate_without_any_time_in_the_window() -> None:
    ann = person(1, "Ann")
    windows = [span(local(2026, 12, 10, 9, 0, BERLIN), 180)]
    result = find_options(loop([one("Chat", 60, 1)], MON, FRI, windows=windows), [ann])
    assert messages(result) == ["The candidate has no available time between 30 Nov and 4 Dec."]


def test_empty_pool_names_the_session() -> None:
    all_week = [span(local(2026, 11, 30, 0, 0, BERLIN), 5 * 24 * 60)]
    people = [person(1, "Ann", busy=all_week), person(2, "Bob", busy=all_week)]
    result = find_options(loop([one("System design", 60, pool=(1, 2))], MON, FRI), people)
    (msg,) = messages(result)
    assert msg == "Nobody in the pool for 'System design' is free for 60 minutes between 30 Nov and 4 Dec."


def test_pool_with_too_few_free_people() -> None:
    people = [person(1, "Ann"), person(2, "Bob", busy=[span(local(2026, 11, 30, 0, 0, BERLIN), 5 * 24 * 60)])]
    spec = SessionSpec("Panel", "panel", 60, (), (1, 2), pool_count=2)
    (msg,) = messages(find_options(loop([spec], MON, FRI), people))
    assert msg.startswith("Only 1 of the pool for 'Panel' is free for 60 minutes") and "2 are needed" in msg


def test_pool_blocked_by_limits_says_so() -> None:
    week = [span(local(2026, 11, 30, 16, 0, BERLIN) + timedelta(days=d), 30) for d in range(5)]
    people = [person(1, "Ann", interviews=week), person(2, "Bob", interviews=week)]
    (msg,) = messages(find_options(loop([one("Chat", 60, pool=(1, 2))], MON, FRI), people))
    assert "Nobody in the pool for 'Chat'" in msg and "Ann and Bob only because of their interview limits" in msg


def test_panel_never_free_together_names_the_blocker() -> None:
    mornings = [span(local(2026, 11, 30, 9, 0, BERLIN) + timedelta(days=d), 4 * 60) for d in range(5)]
    afternoons = [span(local(2026, 11, 30, 13, 0, BERLIN) + timedelta(days=d), 4 * 60) for d in range(5)]
    priya = person(1, "Priya Nair", busy=mornings)
    jonas = person(2, "Jonas Weber", busy=afternoons)
    arjun = person(3, "Arjun Rao")
    result = find_options(loop([panel("System design", 60, 1, 2, 3)], MON, FRI), [priya, jonas, arjun])
    (reason,) = result.reasons
    assert reason.code == "panel_not_free"
    assert reason.message.startswith("Priya Nair, Jonas Weber and Arjun Rao are never free together for 60 minutes")
    assert "'System design' needs them all at once" in reason.message


def test_panel_with_one_blocker_is_told_who() -> None:
    afternoons_only = [span(local(2026, 11, 30, 9, 0, BERLIN) + timedelta(days=d), 4 * 60) for d in range(5)]
    mornings_only = [span(local(2026, 11, 30, 13, 0, BERLIN) + timedelta(days=d), 4 * 60) for d in range(5)]
    priya = person(1, "Priya Nair", busy=afternoons_only)
    jonas = person(2, "Jonas Weber", busy=mornings_only)
    arjun = person(3, "Arjun Rao", busy=mornings_only)
    result = find_options(loop([panel("System design", 60, 1, 2, 3)], MON, FRI), [priya, jonas, arjun])
    (reason,) = result.reasons
    assert reason.message.endswith("Without Priya Nair there would be time.")
    assert reason.person_id == 1


def test_panel_across_zones_without_common_hours() -> None:
    ny = person(1, "Dana Miller", "America/New_York")
    kol = person(2, "Kiran Shah", "Asia/Kolkata")
    (msg,) = messages(find_options(loop([panel("Design", 60, 1, 2)], MON, FRI), [ny, kol]))
    assert msg.startswith("Dana Miller and Kiran Shah have no 60 minutes of working hours in common")
    assert "America/New_York and Asia/Kolkata" in msg


def test_person_without_working_hours() -> None:
    weekend_only = InterviewerCalendar(1, "Sam Lee", BERLIN, {5: ((time(9), time(17)),)})
    (msg,) = messages(find_options(loop([one("Chat", 60, 1)], MON, FRI), [weekend_only]))
    assert msg == "Sam Lee has no working hours between 30 Nov and 4 Dec."


def test_session_outside_the_candidates_time() -> None:
    ann = person(
        1, "Ann Berg", busy=[span(local(2026, 11, 30, 9, 0, BERLIN) + timedelta(days=d), 3 * 60) for d in range(5)]
    )
    windows = [span(local(2026, 11, 30, 9, 0, BERLIN) + timedelta(days=d), 3 * 60) for d in range(5)]
    (msg,) = messages(find_options(loop([one("Chat", 60, 1)], MON, FRI, windows=windows), [ann]))
    assert msg.startswith("'Chat' cannot take place during the candidate's available time: Ann Berg is never free")


def test_back_to_back_sticking_point_is_named() -> None:
    # Everyone is free on some day, but Jonas only on Monday and Priya only on Tuesday.
    def away(*days: int) -> list:
        return [span(local(2026, 11, 30, 0, 0, BERLIN) + timedelta(days=d), 24 * 60) for d in days]

    priya = person(1, "Priya Nair", busy=away(0, 2, 3, 4))
    jonas = person(2, "Jonas Weber", busy=away(1, 2, 3, 4))
    arjun = person(3, "Arjun Rao")
    sessions = [one("Intro", 45, 3), one("Coding", 60, 1), one("Design", 60, 2)]
    result = find_options(loop(sessions, MON, FRI), [priya, jonas, arjun])
    codes = [r.code for r in result.reasons]
    assert codes[0] == "no_common_block"
    assert "where all 3 sessions fit back to back" in result.reasons[0].message
    sticking = [r.message for r in result.reasons if r.code == "sticking_point"]
    assert (
        "Without 'Coding' the rest of the loop would fit; Priya Nair is the one who is never free at the right time."
        in sticking
    )
    assert (
        "Without 'Design' the rest of the loop would fit; Jonas Weber is the one who is never free at the right time."
        in sticking
    )


def test_spread_that_runs_out_of_days() -> None:
    people = [person(i, f"P{i}") for i in (1, 2, 3)]
    sessions = [one("A", 60, 1), one("B", 60, 2), one("C", 60, 3)]
    req = loop(sessions, MON, MON + timedelta(days=1), arrangement="spread", max_sessions_per_day=1)
    (msg,) = messages(find_options(req, people))
    assert "'C' (session 3) has no slot after 'B' on Tue 1 Dec at the earliest" in msg
    assert "at most 1 session a day" in msg


def test_limits_inside_the_loop_are_explained() -> None:
    jonas = person(2, "Jonas Weber", max_per_day=1)
    ann = person(1, "Ann")
    result = find_options(loop([one("A", 60, 2), one("B", 60, 1), one("C", 60, 2)], MON, FRI), [ann, jonas])
    (reason,) = result.reasons
    assert reason.person_id == 2 and reason.code == "day_limit"
    assert reason.message.startswith("Jonas Weber would go over the daily limit of 1 interview")


def test_search_budget_stops_with_a_reason() -> None:
    # 8 sessions from a pool of 7 people who may each do one interview a day: hopeless, with 7! staffings to try
    people = [person(i, f"P{i}", max_per_day=1) for i in range(1, 8)]
    sessions = [one(f"S{i}", 20, pool=tuple(range(1, 8))) for i in range(8)]
    result = find_options(loop(sessions, MON, MON), people, node_budget=50)
    assert result.reasons[0].code == "search_limit"
