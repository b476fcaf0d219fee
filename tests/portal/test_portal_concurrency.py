"""A candidate self-books while a recruiter books one of the same interviewers at the same time: exactly one of
the two succeeds, the other is refused cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.loops import services as loops
from coordinator.loops.models import SessionInterviewer
from coordinator.portal import services as portal

ROUNDS = 3


def _org():
    def user(email, *roles, tz="Europe/Berlin"):
        return create_user(UserData(email=email, name=email.split("@")[0].title(), job_title="Engineer",
                                    timezone=tz, roles=frozenset(roles)), password=None)
    recruiter = user("rita@example.com", Role.RECRUITER)
    manager = user("hannah@example.com", Role.HIRING_MANAGER)
    jonas = user("jonas@example.com", Role.INTERVIEWER)
    jonas.max_interviews_per_day = jonas.max_interviews_per_week = 50
    job = create_job(JobData(title="Engineer", department="Eng", hiring_manager_id=manager.id,
                             recruiter_id=recruiter.id))
    db.session.commit()
    return recruiter, jonas, job


def _loop(name, job, recruiter, jonas, day):
    candidate = create_candidate(CandidateData(name=name, email=f"{name.split()[0].lower()}@example.org",
                                               timezone="Europe/Berlin", job_id=job.id))
    loop = loops.create_loop(candidate, recruiter)
    loops.add_session(loop, loops.SessionData(title="Interview", kind="one_on_one", duration_min=60,
                                              interviewer_ids=(jonas.id,)), recruiter)
    loops.update_settings(loop, loops.LoopSettings(arrangement="back_to_back", buffer_min=10,
                                                   candidate_grouping="session", window_first_day=day,
                                                   window_last_day=day), recruiter)
    return loop


def _race(app, candidate_loop_id, signed, other_loop_id, other_session_id, start, jonas_id, recruiter_id):
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def candidate():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with write_transaction():
                    loop = loops.load_loop(candidate_loop_id)
                    portal.self_book(loop, portal.portal_of(loop), signed)
                    db.session.commit()
                outcomes["candidate"] = "booked"
            except portal.TimeTaken:
                db.session.rollback()
                outcomes["candidate"] = "refused"
            except Exception as exc:  # noqa: BLE001 - any other outcome is the failure looked for
                db.session.rollback()
                outcomes["candidate"] = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    def recruiter():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with write_transaction():
                    loop = loops.load_loop(other_loop_id)
                    actor = db.session.get(loops.User, recruiter_id)
                    loops.book(loop, [loops.Placement(other_session_id, start, (jonas_id,))], actor)
                    db.session.commit()
                outcomes["recruiter"] = "booked"
            except loops.BookingConflict:
                db.session.rollback()
                outcomes["recruiter"] = "refused"
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                outcomes["recruiter"] = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=candidate), threading.Thread(target=recruiter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_candidate_and_recruiter_booking_the_same_interviewer_at_once_one_wins(any_db_app):
    recruiter, jonas, job = _org()
    recruiter_id, jonas_id = recruiter.id, jonas.id
    winners = []
    for round_ in range(ROUNDS):
        day = datetime.now(UTC).date() + timedelta(days=7 + round_)
        day += timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday
        day += timedelta(weeks=round_)
        mine = _loop(f"Cand{round_} Idate", job, recruiter, jonas, day)
        other = _loop(f"Other{round_} Person", job, recruiter, jonas, day)
        portal.update_settings(mine, recruiter, True, "")
        db.session.commit()
        loop = loops.load_loop(mine.id)
        result, sessions = loops.find_times(loop)
        signed = portal.sign_option(loop, sessions, result.options[0])
        start = result.options[0].sessions[0].start
        mine_id, other_id, other_session_id = mine.id, other.id, other.sessions[0].id
        db.session.commit()  # end the test's own transaction before the threads write (and touch no row after)

        outcomes = _race(any_db_app, mine_id, signed, other_id, other_session_id, start, jonas_id, recruiter_id)

        assert sorted(outcomes.values()) == ["booked", "refused"], outcomes
        winners.append(next(k for k, v in outcomes.items() if v == "booked"))
        active = db.session.scalars(select(SessionInterviewer).where(
            SessionInterviewer.user_id == jonas_id, SessionInterviewer.is_active,
            SessionInterviewer.start_dt == start)).all()
        assert len(active) == 1
        loser = loops.load_loop(other_id if winners[-1] == "candidate" else mine_id)
        assert not any(s.is_booked for s in loser.sessions)  # nothing half-booked
        db.session.commit()
