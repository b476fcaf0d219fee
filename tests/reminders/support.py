"""Helpers for the reminder tests: a small organisation made through the services (so it works on SQLite and
PostgreSQL alike), loops booked at chosen times, and readers for the reminder rows and the outbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.invites.models import OutboxMessage
from coordinator.loops import services as loops
from coordinator.reminders import services as reminders
from coordinator.reminders.models import Reminder
from coordinator.timeutil import local_to_utc
from tests.helpers import TEST_PASSWORD

_n = itertools.count(1)


def monday(at_least_days: int = 10) -> date:
    """A Monday at least `at_least_days` ahead of the real clock (bookings are checked against it)."""
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0, tz: str = "Europe/Berlin") -> datetime:
    return local_to_utc(day, time(hour, minute), tz)


def person(name: str, *roles: Role, tz: str = "Europe/Berlin", title: str = "Engineer") -> User:
    n = next(_n)
    user = create_user(UserData(email=f"{name.split()[0].lower()}.{n}@corp.example", name=name, job_title=title,
                                timezone=tz, roles=frozenset(roles or {Role.INTERVIEWER})), password=TEST_PASSWORD)
    user.max_interviews_per_day = user.max_interviews_per_week = 50
    return user


@dataclass
class World:
    recruiter: User
    manager: User
    jonas: User
    priya: User
    emily: User
    job: Job
    candidate: Candidate

    def refresh(self) -> World:
        return World(*(db.session.get(type(x), x.id) for x in (
            self.recruiter, self.manager, self.jonas, self.priya, self.emily, self.job, self.candidate)))


def world(candidate_tz: str = "Europe/London") -> World:
    recruiter = person("Rita Recruiter", Role.RECRUITER, title="Recruiter")
    manager = person("Hannah Manager", Role.HIRING_MANAGER, Role.INTERVIEWER, tz="America/New_York",
                     title="Engineering Manager")
    jonas = person("Jonas Weber", Role.INTERVIEWER, title="Staff Engineer")
    priya = person("Priya Nair", Role.INTERVIEWER, tz="Asia/Kolkata", title="Senior Engineer")
    emily = person("Emily Johnson", Role.INTERVIEWER, tz="America/New_York")
    db.session.flush()
    job = create_job(JobData(title="Senior Data Engineer", department="Data", hiring_manager_id=manager.id,
                             recruiter_id=recruiter.id))
    db.session.flush()
    candidate = create_candidate(CandidateData(name="Ada Lovelace", email=f"ada.{next(_n)}@example.org",
                                               timezone=candidate_tz, job_id=job.id))
    db.session.commit()
    return World(recruiter, manager, jonas, priya, emily, job, candidate)


def new_loop(w: World, sessions, *, candidate: Candidate | None = None, decision_due_on: date | None = None) -> int:
    """A loop with sessions given as (title, minutes, interviewers, shadows); returns its id."""
    with write_transaction():
        loop = loops.create_loop(candidate or w.candidate, w.recruiter)
        for title, minutes, interviewers, shadows in sessions:
            kind = "panel" if len(interviewers) > 1 else "one_on_one"
            loops.add_session(loop, loops.SessionData(
                title=title, kind=kind, duration_min=minutes, interviewer_ids=tuple(u.id for u in interviewers),
                shadow_ids=tuple(u.id for u in shadows)), w.recruiter)
        if decision_due_on is not None:
            loop.decision_due_on = decision_due_on
        db.session.commit()
        return loop.id


def book(loop_id: int, starts: dict[int, datetime], actor: User, *, now: datetime,
         people: dict[int, tuple] | None = None) -> loops.Change:
    """Book (or move) sessions by position: {0: start, ...}; the reminder hook runs as the pages run it."""
    with write_transaction():
        loop = loops.load_loop(loop_id)
        placements = []
        for index, start in starts.items():
            s = loop.sessions[index]
            who = people.get(index) if people else None
            interviewers = tuple(u.id for u in who) if who else tuple(u.id for u in s.interviewers)
            placements.append(loops.Placement(s.id, start, interviewers, tuple(u.id for u in s.shadows)))
        change = loops.book(loop, placements, db.session.get(User, actor.id), override_reason="Agreed with all",
                            announced=False)  # the reminders follow it below, at the test's `now`
        reminders.after_loop_change(change, now=now)
        db.session.commit()
        return change


def rows(loop_id: int | None = None, **where) -> list[Reminder]:
    query = select(Reminder).order_by(Reminder.due_dt, Reminder.id)
    if loop_id is not None:
        query = query.where(Reminder.loop_id == loop_id)
    for key, value in where.items():
        query = query.where(getattr(Reminder, key) == value)
    db.session.commit()  # end the read snapshot: see what other connections committed
    db.session.expire_all()
    return list(db.session.scalars(query))


def kinds(items) -> list[str]:
    return sorted(r.kind for r in items)


def outbox_reminders() -> list[OutboxMessage]:
    db.session.commit()
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("%_reminder"))
                                   .order_by(OutboxMessage.id)))


def parse(row: OutboxMessage):
    """(message, text, html) of an outbox row."""
    msg = message_from_bytes(bytes(row.message), policy=email_policy.default)
    return msg, msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def bulk_loops(count: int, start: datetime, *, now: datetime) -> list[int]:
    """`count` loops, each one booked session at `start` with its own interviewer (no double-booking), their
    reminders scheduled as of `now`. Rows are written directly: fast enough for thousands."""
    from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

    w = world()
    people = [User(email=f"bulk{next(_n)}@corp.example", name=f"Interviewer {i}", job_title="Engineer",
                   timezone="Europe/Berlin") for i in range(count)]
    db.session.add_all(people)
    db.session.flush()
    loops_made = []
    for user in people:
        loop = Loop(candidate_id=w.candidate.id, recruiter_id=w.recruiter.id, status="scheduled")
        session = LoopSession(position=0, title="Interview", kind="one_on_one", duration_min=45, status="booked",
                              start_dt=start, end_dt=start + timedelta(minutes=45))
        session.participants.append(SessionInterviewer(user_id=user.id, role="interviewer", is_active=True,
                                                       start_dt=start, end_dt=start + timedelta(minutes=45)))
        loop.sessions.append(session)
        loops_made.append(loop)
    db.session.add_all(loops_made)
    db.session.commit()
    ids = [loop.id for loop in loops_made]
    with write_transaction():
        reminders.sync_loops(ids, now=now)
        db.session.commit()
    return ids
