"""The rule book (`coordinator.reminders.rules`): plain data in, reminders with keys and due times out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator.reminders.models import ReminderKind as K
from coordinator.reminders.rules import (
    LoopFacts,
    SessionFacts,
    after_quiet_hours,
    is_too_late,
    may_create,
    plan,
    why_not_planned,
)
from coordinator.timeutil import local_to_utc, to_local

BERLIN, KOLKATA, NEW_YORK, LONDON = "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Europe/London"
JONAS, PRIYA, RITA, HANNAH = 1, 2, 3, 4
ZONES = {JONAS: BERLIN, PRIYA: KOLKATA, RITA: LONDON, HANNAH: NEW_YORK}


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(day, time(hour, minute), BERLIN)


DAY = date(2027, 3, 10)  # a Wednesday


def loop(*sessions: SessionFacts, **kw) -> LoopFacts:
    base = dict(id=7, is_cancelled=False, candidate_id=9, candidate_tz=LONDON, team=(RITA, HANNAH), zones=ZONES,
                sessions=sessions)
    base.update(kw)
    return LoopFacts(**base)


def session(sid: int, start: datetime, minutes: int = 60, interviewers=(JONAS,), shadows=()) -> SessionFacts:
    return SessionFacts(id=sid, is_booked=True, start=start, end=start + timedelta(minutes=minutes),
                        interviewers=tuple(interviewers), shadows=tuple(shadows))


def by_kind(planned, kind, **where):
    return [p for p in planned if p.kind is kind and all(getattr(p, k) == v for k, v in where.items())]


# --- quiet hours -----------------------------------------------------------------------------------------------------

def test_daytime_stays_and_the_night_waits_for_nine_in_the_recipients_zone():
    assert after_quiet_hours(berlin(DAY, 14, 30), BERLIN) == berlin(DAY, 14, 30)
    assert after_quiet_hours(berlin(DAY, 9), BERLIN) == berlin(DAY, 9)
    assert after_quiet_hours(berlin(DAY, 20, 59), BERLIN) == berlin(DAY, 20, 59)
    assert after_quiet_hours(berlin(DAY, 21), BERLIN) == berlin(DAY + timedelta(days=1), 9)
    assert after_quiet_hours(berlin(DAY, 23, 30), BERLIN) == berlin(DAY + timedelta(days=1), 9)
    assert after_quiet_hours(berlin(DAY, 3), BERLIN) == berlin(DAY, 9)
    # 14:00 in Berlin is 18:30 in Kolkata (fine), 15:00 is 19:30, 17:00 is 21:30: night there
    assert after_quiet_hours(berlin(DAY, 17), KOLKATA) == local_to_utc(DAY + timedelta(days=1), time(9), KOLKATA)


def test_quiet_hours_follow_daylight_saving_time():
    # Europe springs forward on Sunday 28 March 2027: 09:00 that morning is 07:00 UTC, the day before 08:00 UTC.
    saturday_night = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 23:00 CET
    assert after_quiet_hours(saturday_night, BERLIN) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    # New York falls back on 7 November 2027.
    assert after_quiet_hours(datetime(2027, 11, 7, 5, 30, tzinfo=UTC), NEW_YORK) == \
        datetime(2027, 11, 7, 14, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
       st.sampled_from([BERLIN, KOLKATA, NEW_YORK, LONDON, "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]))
@settings(max_examples=300, deadline=None)
def test_a_moved_reminder_lands_in_the_day_and_never_earlier(naive, tz):
    dt = naive.replace(tzinfo=UTC)
    moved = after_quiet_hours(dt, tz)
    assert moved >= dt
    assert moved - dt <= timedelta(hours=13)  # a night is 12 hours, 13 when the clocks go back
    local = to_local(moved, tz).time()
    assert time(9) <= local < time(21) or (moved == dt and time(9) <= to_local(dt, tz).time() < time(21))


# --- what a loop needs -----------------------------------------------------------------------------------------------

def test_a_booked_session_gives_each_person_a_day_and_an_hour_reminder_and_scorecard_reminders():
    start = berlin(DAY, 10)
    planned = plan(loop(session(11, start, interviewers=(JONAS,), shadows=(PRIYA,))))
    day = {p.user_id: p for p in by_kind(planned, K.PREP_DAY)}
    assert set(day) == {JONAS, PRIYA}  # the shadow prepares too
    assert day[JONAS].due_dt == start - timedelta(hours=24)
    assert day[JONAS].create_until == start - timedelta(hours=24)  # "booked more than 24 hours ahead"
    # 10:00 in Berlin the day before is 14:30 in Kolkata: within the day there
    assert day[PRIYA].due_dt == start - timedelta(hours=24)
    hour = {p.user_id: p for p in by_kind(planned, K.PREP_HOUR)}
    assert hour[JONAS].due_dt == start - timedelta(hours=1) and hour[JONAS].send_until == start
    # only interviewers score: the shadow has no scorecard reminders
    after = by_kind(planned, K.SCORECARD_HOUR)
    assert [(p.user_id, p.due_dt) for p in after] == [(JONAS, start + timedelta(hours=2))]
    due = by_kind(planned, K.SCORECARD_DUE)
    assert [(p.user_id, p.event_dt, p.due_dt) for p in due] == [(JONAS, start + timedelta(hours=25),
                                                                  start + timedelta(hours=25))]
    overdue = by_kind(planned, K.SCORECARD_OVERDUE)
    assert {(p.user_id, p.about_user_id) for p in overdue} == {(RITA, JONAS), (HANNAH, JONAS)}
    rita = by_kind(overdue, K.SCORECARD_OVERDUE, user_id=RITA)[0]
    assert rita.event_dt == start + timedelta(hours=25)
    assert rita.due_dt == start + timedelta(hours=27)  # 2 hours' grace: 12:00 in London is daytime
    hannah = by_kind(overdue, K.SCORECARD_OVERDUE, user_id=HANNAH)[0]
    # 13:00 Berlin + 2 h is 07:00 in New York: she hears at 09:00 hers
    assert hannah.due_dt == local_to_utc(DAY + timedelta(days=1), time(9), NEW_YORK)
    assert len({p.key for p in planned}) == len(planned)


def test_the_night_moves_the_day_reminder_but_not_the_hour_ones():
    start = berlin(DAY, 8)  # 08:00: 24 h before is 08:00, still night
    planned = plan(loop(session(11, start)))
    assert by_kind(planned, K.PREP_DAY)[0].due_dt == berlin(DAY - timedelta(days=1), 9)
    assert by_kind(planned, K.PREP_HOUR)[0].due_dt == berlin(DAY, 7)  # 07:00, on time
    late = berlin(DAY, 20)  # a session ending 21:00: the scorecard reminder at 22:00 goes out at 22:00
    planned = plan(loop(session(12, late)))
    assert by_kind(planned, K.SCORECARD_HOUR)[0].due_dt == berlin(DAY, 22)
    # its last call falls at 21:00 the next day: 09:00 the morning after
    assert by_kind(planned, K.SCORECARD_DUE)[0].due_dt == berlin(DAY + timedelta(days=2), 9)


def test_a_hiring_manager_who_interviewed_is_not_told_about_their_own_late_scorecard():
    planned = plan(loop(session(11, berlin(DAY, 10), interviewers=(HANNAH,))))
    assert {p.user_id for p in by_kind(planned, K.SCORECARD_OVERDUE)} == {RITA}


def test_submitted_scorecards_need_no_reminders_and_the_last_one_makes_the_debrief_ready():
    a, b = session(11, berlin(DAY, 10)), session(12, berlin(DAY, 11, 30), interviewers=(PRIYA,))
    one_in = {(11, JONAS): berlin(DAY, 15)}
    planned = plan(loop(a, b, submitted=one_in))
    assert {p.session_id for p in planned if p.kind in (K.SCORECARD_HOUR, K.SCORECARD_DUE)} == {12}
    assert not by_kind(planned, K.DEBRIEF_READY)
    all_in = {**one_in, (12, PRIYA): berlin(DAY, 23)}
    planned = plan(loop(a, b, submitted=all_in))
    ready = by_kind(planned, K.DEBRIEF_READY)
    assert {p.user_id for p in ready} == {RITA, HANNAH}
    rita = by_kind(ready, K.DEBRIEF_READY, user_id=RITA)[0]
    assert rita.event_dt == berlin(DAY, 23)
    assert rita.due_dt == local_to_utc(DAY + timedelta(days=1), time(9), LONDON)  # 22:00 in London: night
    hannah = by_kind(ready, K.DEBRIEF_READY, user_id=HANNAH)[0]
    assert hannah.due_dt == berlin(DAY, 23)  # 17:00 in New York
    assert not by_kind(plan(loop(a, b, submitted=all_in, is_decided=True)), K.DEBRIEF_READY)


def test_decision_reminders_two_days_before_and_on_the_day_at_nine_until_decided():
    planned = plan(loop(decision_due_on=DAY))
    soon = {p.user_id: p for p in by_kind(planned, K.DECISION_SOON)}
    today = {p.user_id: p for p in by_kind(planned, K.DECISION_TODAY)}
    assert soon[RITA].due_dt == local_to_utc(DAY - timedelta(days=2), time(9), LONDON)
    assert soon[HANNAH].due_dt == local_to_utc(DAY - timedelta(days=2), time(9), NEW_YORK)
    assert today[RITA].due_dt == local_to_utc(DAY, time(9), LONDON)
    assert soon[RITA].send_until == local_to_utc(DAY, time(0), LONDON)  # the day's own reminder takes over
    assert today[RITA].send_until is None  # sent late rather than never, while undecided
    assert not by_kind(plan(loop(decision_due_on=DAY, is_decided=True)), K.DECISION_TODAY)
    assert not plan(loop(decision_due_on=DAY, is_cancelled=True))


def test_an_absurd_decision_date_plans_nothing_rather_than_crashing():
    assert not by_kind(plan(loop(decision_due_on=date(1, 1, 1))), K.DECISION_SOON)
    assert not plan(loop(decision_due_on=date(9999, 12, 31)))


def test_the_candidate_is_reminded_the_day_before_each_interview_day_in_their_zone():
    first = session(11, berlin(DAY, 10))
    second = session(12, berlin(DAY, 14))
    third = session(13, berlin(DAY + timedelta(days=2), 10))
    planned = by_kind(plan(loop(first, second, third, candidate_tz=KOLKATA)), K.CANDIDATE_DAY)
    assert [p.event_dt for p in planned] == [first.start, third.start]
    # 10:00 Berlin is 14:30 Kolkata: the reminder 24 h before is in their daytime
    assert planned[0].due_dt == first.start - timedelta(hours=24)
    assert all(p.candidate_id == 9 and p.user_id is None for p in planned)


def test_moving_a_session_gives_new_keys_and_the_same_session_the_same_keys():
    a = {p.key for p in plan(loop(session(11, berlin(DAY, 10))))}
    again = {p.key for p in plan(loop(session(11, berlin(DAY, 10))))}
    moved = {p.key for p in plan(loop(session(11, berlin(DAY, 11))))}
    assert a == again
    assert not (a & moved) - {k for k in a if k.startswith("decision")}


def test_creation_and_sending_windows():
    start = berlin(DAY, 10)
    p_day = by_kind(plan(loop(session(11, start))), K.PREP_DAY)[0]
    assert may_create(p_day, start - timedelta(hours=30))
    assert not may_create(p_day, start - timedelta(hours=23))  # booked less than 24 hours ahead
    assert not is_too_late(p_day, start - timedelta(hours=2))
    assert is_too_late(p_day, start - timedelta(minutes=59))  # the one-hour reminder takes over


def test_why_a_reminder_is_no_longer_needed():
    start = berlin(DAY, 10)
    f = loop(session(11, start))
    assert why_not_planned(K.PREP_DAY, 11, JONAS, JONAS, start, None) == "The loop was deleted."
    assert why_not_planned(K.PREP_DAY, 11, JONAS, JONAS, start, loop(is_cancelled=True)) == "The loop was cancelled."
    assert why_not_planned(K.PREP_DAY, 11, JONAS, JONAS, start - timedelta(hours=1), f) == "The session moved."
    assert why_not_planned(K.PREP_DAY, 11, PRIYA, PRIYA, start, f) == "No longer on this session."
    cancelled = loop(SessionFacts(11, False, start, start + timedelta(hours=1)))
    assert why_not_planned(K.PREP_HOUR, 11, JONAS, JONAS, start, cancelled) == "The session was cancelled."
    assert why_not_planned(K.PREP_HOUR, 99, JONAS, JONAS, start, f) == "The session was removed."
    done = loop(session(11, start), submitted={(11, JONAS): start})
    assert why_not_planned(K.SCORECARD_DUE, 11, JONAS, JONAS, start, done) == "The scorecard was submitted."
    assert why_not_planned(K.DECISION_TODAY, None, RITA, None, start, loop(is_decided=True)) == \
        "A decision was recorded."
