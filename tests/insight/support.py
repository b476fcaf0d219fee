"""Hand-made data for the insight reports, with every answer worked out by hand in test_reports.py.

Period: Monday 2 March to Sunday 15 March 2026 (two weeks), now = Friday 20 March 12:00 UTC. Job A ("Data") is in
scope; job B ("Ops") and loop L5 (created before the period) must never count.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.insight.services import Scope, job_scope
from coordinator.loops.models import Loop, LoopEvent, LoopSession, SessionInterviewer
from coordinator.portal.models import CandidateLink, CandidatePortal
from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardArea
from tests.helpers import new_candidate, new_job, new_user

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def add_loop(candidate, recruiter, created: datetime, status: str = "scheduled", due: date | None = None) -> Loop:
    loop = Loop(candidate_id=candidate.id, recruiter_id=recruiter.id, status=status, created_dt=created,
                decision_due_on=due)
    db.session.add(loop)
    db.session.flush()
    return loop


def add_session(loop: Loop, start: datetime, people: dict, minutes: int = 60, status: str = "booked",
                position: int = 0) -> LoopSession:
    """people: {user: role}"""
    end = start + timedelta(minutes=minutes)
    session = LoopSession(loop_id=loop.id, position=position, title="Interview", kind="one_on_one",
                          duration_min=minutes, status=status, start_dt=start, end_dt=end)
    db.session.add(session)
    db.session.flush()
    for user, role in people.items():
        db.session.add(SessionInterviewer(session_id=session.id, user_id=user.id, role=role,
                                          is_active=status == "booked", start_dt=start, end_dt=end))
    return session


def add_event(loop: Loop, action: str, when: datetime, reason: str = "", candidate: bool = False) -> None:
    db.session.add(LoopEvent(loop_id=loop.id, action=action, created_dt=when, reason=reason,
                             actor_label="Candidate" if candidate else "", summary=action))


def add_card(session: LoopSession, user, submitted: datetime | None, ratings: dict | None = None,
             recommendation: str | None = None) -> Scorecard:
    card = Scorecard(loop_id=session.loop_id, session_id=session.id, interviewer_id=user.id,
                     status="submitted" if submitted else "draft", submitted_dt=submitted,
                     recommendation=recommendation, revision=1 if submitted else 0,
                     created_dt=session.end_dt, updated_dt=submitted or session.end_dt)
    db.session.add(card)
    db.session.flush()
    for n, (area, rating) in enumerate((ratings or {}).items()):
        db.session.add(ScorecardArea(scorecard_id=card.id, focus_area_id=area.id, position=n, rating=rating))
    return card


def area(name: str) -> FocusArea:
    found = db.session.scalar(select(FocusArea).where(FocusArea.name == name))
    if found is None:
        found = FocusArea(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def build_reports_org() -> dict:
    recruiter = new_user(Role.RECRUITER, name="Rita Recruiter")
    hannah = new_user(Role.HIRING_MANAGER, Role.INTERVIEWER, name="Hannah Manager")
    ian = new_user(Role.INTERVIEWER, name="Ian Interviewer")
    sam = new_user(Role.INTERVIEWER, name="Sam Shadow")
    ian.max_interviews_per_week = 1
    job_a = new_job(title="Data Engineer", department="Data", hiring_manager=hannah, recruiter=recruiter)
    job_b = new_job(title="Office Manager", department="Ops", recruiter=recruiter)
    coding, talk = area("Coding"), area("Communication")
    cands = [new_candidate(name=f"Candidate {n}", job=job_a) for n in range(1, 6)]
    other = new_candidate(name="Other Candidate", job=job_b)

    l1 = add_loop(cands[0], recruiter, at(3, 2, 9), due=date(2026, 3, 10))
    add_event(l1, "created", at(3, 2, 9))
    add_event(l1, "booked", at(3, 3, 9))
    add_event(l1, "booked", at(3, 3, 10))  # a second session booked later: the first booking counts
    add_event(l1, "rescheduled", at(3, 4), "candidate ill")
    s1 = add_session(l1, at(3, 5, 10), {ian: "interviewer", sam: "shadow"})
    s2 = add_session(l1, at(3, 5, 11), {hannah: "interviewer"}, position=1)
    add_card(s1, ian, at(3, 5, 15), {coding: "no", talk: "yes"}, "no_hire")
    add_card(s2, hannah, at(3, 7, 12), {coding: "strong_no", talk: "strong_yes"}, "hire")
    db.session.add(LoopDecision(loop_id=l1.id, outcome="another_round", decided_dt=at(3, 10, 18)))
    db.session.add(LoopDecision(loop_id=l1.id, outcome="hire", decided_dt=at(3, 18)))

    l2 = add_loop(cands[1], recruiter, at(3, 3), due=date(2026, 3, 12))
    db.session.add(CandidatePortal(loop_id=l2.id, allow_self_booking=True))
    db.session.add(CandidateLink(loop_id=l2.id, token_hash=hashlib.sha256(b"l2").hexdigest(), created_dt=at(3, 4),
                                 expires_dt=at(3, 18)))
    add_event(l2, "booked", at(3, 5), candidate=True)
    s3 = add_session(l2, at(3, 9, 10), {ian: "interviewer"})
    add_card(s3, ian, None, {coding: "yes"})  # a draft: overdue
    db.session.add(LoopDecision(loop_id=l2.id, outcome="no_hire", decided_dt=at(3, 15, 9)))

    l3 = add_loop(cands[2], recruiter, at(3, 4), due=date(2026, 3, 14))
    add_event(l3, "booked", at(3, 4, 6))
    add_event(l3, "rescheduled", at(3, 5), "Candidate ill")
    add_event(l3, "session_cancelled", at(3, 5, 1), " candidate ill ")
    add_event(l3, "replaced", at(3, 5, 2), "Declined")
    add_session(l3, at(3, 6), {ian: "interviewer"})  # no scorecard at all: overdue
    add_session(l3, at(3, 7), {hannah: "interviewer"}, status="cancelled", position=1)

    l4 = add_loop(cands[3], recruiter, at(3, 10), status="cancelled", due=date(2026, 3, 13))
    add_event(l4, "loop_cancelled", at(3, 11), "Position filled")

    l5 = add_loop(cands[4], recruiter, at(2, 20), due=date(2026, 3, 25))  # created before the period
    add_event(l5, "booked", at(2, 21))
    add_event(l5, "rescheduled", at(3, 3), "candidate ill")

    l6 = add_loop(other, recruiter, at(3, 3), due=date(2026, 3, 9))  # job B
    add_event(l6, "booked", at(3, 3, 1))
    add_session(l6, at(3, 4, 10), {ian: "interviewer"})
    db.session.commit()
    return {"recruiter": recruiter, "hannah": hannah, "ian": ian, "sam": sam, "job_a": job_a, "job_b": job_b,
            "coding": coding, "talk": talk, "loops": [l1, l2, l3, l4, l5, l6]}


def scope_of(job, first: date = FIRST, last: date = LAST) -> Scope:
    from coordinator.hiring.models import Job

    return Scope(first, last, job_scope(select(Job), job_id=job.id))


SCORE = {1: "strong_no", 2: "no", 3: "yes", 4: "strong_yes"}


def build_panel(recruiter=None):
    """Six candidates of one job, each rated on one area by Ann (3,3,3,3,4,4), Ben (2) and Cy (2); Dee rated two
    of them (2). Decisions: candidates 1-3 hire, 4-6 no hire. Ann recommends hire on all, Ben no hire on all, Cy
    strong hire on all. Returns the job."""
    recruiter = recruiter or new_user(Role.RECRUITER, name="Rita Recruiter")
    people = {n: new_user(Role.INTERVIEWER, name=n) for n in ("Ann", "Ben", "Cy", "Dee")}
    job = new_job(title="Platform Engineer", department="Platform", recruiter=recruiter)
    focus = area("Problem solving")
    for k in range(6):
        loop = add_loop(new_candidate(name=f"Candidate {k}", job=job), recruiter, at(3, 2))
        ratings = {"Ann": 3 if k < 4 else 4, "Ben": 2, "Cy": 2}
        if k < 2:
            ratings["Dee"] = 2
        for n, (name, score) in enumerate(ratings.items()):
            session = add_session(loop, at(3, 3 + k, 9 + n), {people[name]: "interviewer"}, position=n)
            add_card(session, people[name], at(3, 3 + k, 18), {focus: SCORE[score]},
                     {"Ann": "hire", "Ben": "no_hire"}.get(name, "strong_hire"))
        db.session.add(LoopDecision(loop_id=loop.id, outcome="hire" if k < 3 else "no_hire", decided_dt=at(3, 12)))
    db.session.commit()
    return job
