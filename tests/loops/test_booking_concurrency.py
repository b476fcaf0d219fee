"""No double-booking under real concurrency: 20 threads book the same interviewer's same hour, on SQLite and
PostgreSQL. Exactly one wins; the other 19 are told it is taken; nothing else goes wrong."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.loops import services
from coordinator.loops.models import SessionInterviewer
from coordinator.timeutil import local_to_utc

THREADS = 20


def _setup_org():
    def user(name, *roles, tz="Europe/Berlin"):
        return create_user(UserData(email=f"{name.split()[0].lower()}@example.com", name=name, job_title="",
                                    timezone=tz, roles=frozenset(roles)), password=None)
    recruiter = user("Rita Recruiter", Role.RECRUITER)
    manager = user("Hannah Manager", Role.HIRING_MANAGER)
    jonas = user("Jonas Weber", Role.INTERVIEWER)
    jonas.max_interviews_per_day = jonas.max_interviews_per_week = 50
    job = create_job(JobData(title="Engineer", department="Eng", hiring_manager_id=manager.id,
                             recruiter_id=recruiter.id))
    loops = []
    for i in range(THREADS):
        candidate = create_candidate(CandidateData(name=f"Candidate {i}", email=f"c{i}@example.org",
                                                   timezone="Europe/Berlin", job_id=job.id))
        loop = services.create_loop(candidate, recruiter)
        services.add_session(loop, services.SessionData(title="Interview", kind="one_on_one", duration_min=60,
                                                        interviewer_ids=(jonas.id,)), recruiter)
        loops.append(loop.id)
    db.session.commit()
    return recruiter.id, jonas.id, loops


def _book_concurrently(app, recruiter_id, jonas_id, loop_ids, start):
    barrier = threading.Barrier(len(loop_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(loop_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # all threads start their transactions together
                with write_transaction():
                    loop = services.load_loop(loop_id)
                    actor = db.session.get(services.User, recruiter_id)
                    services.book(loop, [services.Placement(loop.sessions[0].id, start, (jonas_id,))], actor)
                    db.session.commit()
                result = "booked"
            except services.BookingConflict:
                db.session.rollback()
                result = "conflict"
            except Exception as exc:  # noqa: BLE001 - any other outcome is the failure this test looks for
                db.session.rollback()
                result = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(lid,)) for lid in loop_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_twenty_concurrent_bookings_of_one_hour_one_wins(any_db_app):
    recruiter_id, jonas_id, loop_ids = _setup_org()
    day = datetime.now(UTC).date() + timedelta(days=3)
    day += timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday, inside working hours
    start = local_to_utc(day, time(10), "Europe/Berlin")
    db.session.commit()  # end the test's own transaction before the threads write

    outcomes = _book_concurrently(any_db_app, recruiter_id, jonas_id, loop_ids, start)

    errors = [o for o in outcomes if o.startswith("error")]
    assert errors == []
    assert outcomes.count("booked") == 1
    assert outcomes.count("conflict") == THREADS - 1
    active = db.session.scalars(select(SessionInterviewer).where(SessionInterviewer.user_id == jonas_id,
                                                                 SessionInterviewer.is_active)).all()
    assert len(active) == 1 and active[0].start_dt == start


def test_back_to_back_sessions_touch_without_conflict(any_db_app):
    recruiter_id, jonas_id, loop_ids = _setup_org()
    day = datetime.now(UTC).date() + timedelta(days=3)
    day += timedelta(days=(2 - day.weekday()) % 7)
    nine = local_to_utc(day, time(9), "Europe/Berlin")
    recruiter = db.session.get(services.User, recruiter_id)
    with write_transaction():
        first = services.load_loop(loop_ids[0])
        services.book(first, [services.Placement(first.sessions[0].id, nine, (jonas_id,))], recruiter)
        db.session.commit()
        second = services.load_loop(loop_ids[1])
        # 10:00-11:00 right after 09:00-10:00: allowed by the database (half-open ranges) and by the rules
        services.book(second, [services.Placement(second.sessions[0].id, nine + timedelta(hours=1), (jonas_id,))],
                      recruiter)
        db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(SessionInterviewer).where(
        SessionInterviewer.is_active)) == 2


def test_the_database_itself_refuses_overlaps_on_postgresql(pg_app):
    """Even a write that skips the service's checks cannot double-book on PostgreSQL."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    recruiter_id, jonas_id, loop_ids = _setup_org()
    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    rows = db.session.scalars(select(SessionInterviewer).where(SessionInterviewer.user_id == jonas_id)).all()
    for row, offset in zip(rows[:2], (0, 30), strict=True):
        row.is_active, row.start_dt, row.end_dt = True, start + timedelta(minutes=offset), start + timedelta(
            minutes=offset + 60)
    with pytest.raises(IntegrityError, match="no_double_booking"):
        db.session.commit()
    db.session.rollback()
