"""Each report on hand-made data (tests/insight/support.py), on SQLite and PostgreSQL; the answers are worked out
by hand in the comments."""

from __future__ import annotations

import pytest

from coordinator.insight import services as insight
from tests.insight.support import NOW, build_reports_org, scope_of


@pytest.fixture
def data(any_db_app):
    return build_reports_org()


def test_time_to_schedule(data):
    found = insight.time_to_schedule(scope_of(data["job_a"]))
    assert (found.loops, found.booked) == (4, 3)  # L1-L4 created in the period; L4 never booked
    # first booking after creation: L1 24 h, L2 48 h, L3 6 h -> sorted 6, 24, 48
    assert found.to_booking.median == pytest.approx(24)
    assert found.to_booking.p90 == pytest.approx(24 + 0.8 * 24)  # rank 1.8 between 24 and 48
    assert found.to_booking.mean == pytest.approx(26)
    assert found.to_booking.buckets[:3] == [("< 1 day", 1), ("1–2 days", 1), ("2–4 days", 1)]
    # to the first booked interview: L1 73 h, L2 154 h, L3 48 h
    assert found.to_loop.median == pytest.approx(73)
    assert found.to_loop.p90 == pytest.approx(73 + 0.8 * 81)


def test_reschedules_and_cancels_by_reason(data):
    found = insight.changes(scope_of(data["job_a"]))
    assert found.loops == 4
    kinds = {k.action: (k.events, k.loops, k.per_loop) for k in found.kinds}
    assert kinds == {"rescheduled": (2, 2, 0.5), "replaced": (1, 1, 0.25), "session_cancelled": (1, 1, 0.25),
                     "loop_cancelled": (1, 1, 0.25)}  # L5's reschedule is not in the cohort
    reasons = {(r.action, r.reason.strip().lower()): r.count for r in found.reasons}
    assert reasons == {("rescheduled", "candidate ill"): 2, ("session_cancelled", "candidate ill"): 1,
                       ("replaced", "declined"): 1, ("loop_cancelled", "position filled"): 1}
    assert found.reasons[0].count == 2


def test_interviewer_load_per_week_against_the_limit(data):
    found = insight.load(scope_of(data["job_a"]))
    assert found.weeks == 2
    rows = [(p.name, p.interviews, p.weeks_active, p.busiest_week, p.weekly_limit, p.weeks_over_limit, p.per_week)
            for p in found.people]
    # Ian: 5 and 6 March (week 1), 9 March (week 2); his limit is 1 a week, so week 1 is over. The shadow and the
    # other job's interview do not count.
    assert rows == [("Ian Interviewer", 3, 2, 2, 1, 1, 1.5), ("Hannah Manager", 1, 1, 1, 5, 0, 0.5)]
    assert found.per_week.median == pytest.approx(1.0)


def test_scorecards_time_to_submission_and_overdue(data):
    found = insight.scorecards(scope_of(data["job_a"]), NOW)
    # seats: S1 Ian (4 h), S2 Hannah (48 h, late), S3 Ian (draft, overdue), L3 Ian (no card, overdue)
    assert (found.seats, found.submitted, found.within_24h, found.late, found.overdue) == (4, 2, 1, 1, 2)
    assert found.share_within_24h == 0.25
    assert found.delay.median == pytest.approx(26)
    assert found.delay.p90 == pytest.approx(4 + 0.9 * 44)
    assert [(p.name, p.seats, p.overdue) for p in found.overdue_by_person] == [("Ian Interviewer", 3, 2)]


def test_decisions_by_the_promised_date(data):
    found = insight.decisions(scope_of(data["job_a"]), NOW)
    # L1 due 10 March, first decided that evening (on time); L2 due 12 March, decided 15 March (3 days late);
    # L3 due 14 March, still open on 20 March (6 days late so far); L4 is cancelled
    assert (found.due, found.on_time, found.late, found.open_overdue, found.open_not_due) == (3, 1, 1, 1, 0)
    assert found.share_on_time == pytest.approx(1 / 3)
    assert found.days_late.count == 2
    assert found.days_late.median == pytest.approx(4.5)
    assert found.days_late.buckets == [("1 day", 0), ("2–3 days", 1), ("4–7 days", 1), ("8 days +", 0)]


def test_funnel_per_job(data):
    (job,) = insight.funnel(scope_of(data["job_a"]), NOW)
    assert (job.title, job.loops, job.held, job.cancelled) == ("Data Engineer", 4, 3, 1)
    assert job.outcomes == {"hire": 1, "no_hire": 1, "another_round": 0}  # L1's latest decision is hire
    assert [(a.name, a.rated, a.short) for a in job.areas] == [("Coding", 2, 2), ("Communication", 2, 0)]


def test_self_booking(data):
    found = insight.self_booking(scope_of(data["job_a"]))
    assert (found.loops, found.booked, found.offered, found.by_candidate) == (4, 3, 1, 1)
    assert found.share == pytest.approx(1 / 3)
    assert found.link_to_booking.median == pytest.approx(24)  # link 4 March, booked by the candidate 5 March


def test_the_other_job_and_department_scope(data):
    from sqlalchemy import select

    from coordinator.hiring.models import Job

    ops = insight.Scope(scope_of(data["job_b"]).first, scope_of(data["job_b"]).last,
                        insight.job_scope(select(Job), department="Ops"))
    assert insight.time_to_schedule(ops).loops == 1
    assert [p.name for p in insight.load(ops).people] == ["Ian Interviewer"]


def test_queries_per_report_are_constant(data, any_db_app):
    from sqlalchemy import event

    from coordinator.extensions import db

    counts = []
    scope = scope_of(data["job_a"])

    def count(*_):
        counts[-1] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for run in (lambda: insight.time_to_schedule(scope), lambda: insight.changes(scope),
                    lambda: insight.load(scope), lambda: insight.scorecards(scope, NOW),
                    lambda: insight.decisions(scope, NOW), lambda: insight.funnel(scope, NOW),
                    lambda: insight.self_booking(scope), lambda: insight.calibration(scope)):
            counts.append(0)
            run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts == [2, 3, 1, 2, 2, 3, 2, 3]
