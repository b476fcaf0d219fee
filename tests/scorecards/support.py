"""A loop whose interviews have happened, built straight into the database of whichever app is current (SQLite or
PostgreSQL), and helpers to fill scorecard forms.

The world: a job with three focus areas (rating guidance written), its recruiter and hiring manager (who also
interviews), a candidate whose loop has
  - "System design", a panel that ended two hours ago: Ian (assigned Problem solving + System design) and Jonas
    (no assignment: the session's planned areas, System design + Communication), Sam shadowing;
  - "Hiring manager", a one-on-one with Hannah (the hiring manager) that ended an hour ago (planned: Communication);
  - "Practical", cancelled, with Priya;
and a second candidate of another job whose loop has Olga interviewing. An admin holds no other role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, FocusAreaGuidance, JobFocusArea
from coordinator.focus.rating import Rating
from coordinator.hiring.models import Candidate, Job
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.kits.models import AssignmentFocusArea, InterviewerAssignment, SessionFocusArea
from coordinator.loops.models import Loop, LoopSession, SessionInterviewer
from tests.helpers import TEST_PASSWORD

_n = iter(range(1, 10**6))


@dataclass
class World:
    admin: User
    recruiter: User
    other_recruiter: User
    manager: User
    ian: User
    jonas: User
    priya: User
    sam: User
    olga: User
    job: Job
    candidate: Candidate
    loop: Loop
    panel: LoopSession
    hm_session: LoopSession
    cancelled: LoopSession
    other_loop: Loop
    other_session: LoopSession
    areas: dict[str, FocusArea]


def person(name: str, *roles: Role, tz: str = "Europe/Berlin") -> User:
    n = next(_n)
    return create_user(UserData(email=f"{name.split()[0].lower()}{n}@example.com", name=name, job_title="Engineer",
                                timezone=tz, roles=frozenset(roles)), password=TEST_PASSWORD)


def area(name: str) -> FocusArea:
    row = FocusArea(name=f"{name}", description=f"How the candidate handles {name.lower()}.")
    for rating in Rating:
        row.guidance.append(FocusAreaGuidance(rating=rating.value, text=f"{name}: what {rating.label} looks like."))
    db.session.add(row)
    return row


def booked_session(loop: Loop, title: str, kind: str, ended_ago: timedelta, people: list[tuple[User, str]],
                   position: int = 0, status: str = "booked") -> LoopSession:
    end = datetime.now(UTC).replace(microsecond=0) - ended_ago
    start = end - timedelta(minutes=60)
    session = LoopSession(title=title, kind=kind, duration_min=60, position=position, status=status,
                          start_dt=start, end_dt=end)
    loop.sessions.append(session)
    for user, role in people:
        session.participants.append(SessionInterviewer(user_id=user.id, role=role, is_active=status == "booked",
                                                       start_dt=start, end_dt=end))
    return session


def build_world(decision_due_on: date | None = None) -> World:
    admin = person("Alex Admin", Role.ADMIN)
    recruiter = person("Rita Recruiter", Role.RECRUITER)
    other_recruiter = person("Oscar Otherrecruiter", Role.RECRUITER)
    manager = person("Hannah Manager", Role.HIRING_MANAGER, Role.INTERVIEWER)
    ian = person("Ian Interviewer", Role.INTERVIEWER, tz="Asia/Kolkata")
    jonas = person("Jonas Weber", Role.INTERVIEWER)
    priya = person("Priya Nair", Role.INTERVIEWER)
    sam = person("Sam Shadow", Role.INTERVIEWER)
    olga = person("Olga Other", Role.INTERVIEWER)
    other_manager = person("Mia Othermanager", Role.HIRING_MANAGER)
    db.session.flush()
    job = create_job(JobData(title="Senior Data Engineer", department="Data", hiring_manager_id=manager.id,
                             recruiter_id=recruiter.id))
    other_job = create_job(JobData(title="Office Manager", department="Ops", hiring_manager_id=other_manager.id,
                                   recruiter_id=other_recruiter.id))
    candidate = create_candidate(CandidateData(name="Ada Lovelace", email=f"ada{next(_n)}@example.org",
                                               timezone="Europe/London", job_id=job.id, stage="scheduled"))
    other_candidate = create_candidate(CandidateData(name="Grace Hopper", email=f"grace{next(_n)}@example.org",
                                                     timezone="Europe/London", job_id=other_job.id,
                                                     stage="scheduled"))
    areas = {name: area(name) for name in ("Problem solving", "System design", "Communication")}
    db.session.flush()
    for position, row in enumerate(areas.values()):
        db.session.add(JobFocusArea(job_id=job.id, focus_area_id=row.id, position=position))
    loop = Loop(candidate_id=candidate.id, recruiter_id=recruiter.id, status="scheduled",
                decision_due_on=decision_due_on or (datetime.now(UTC).date() + timedelta(days=5)))
    db.session.add(loop)
    panel = booked_session(loop, "System design", "panel", timedelta(hours=2),
                           [(ian, "interviewer"), (jonas, "interviewer"), (sam, "shadow")])
    hm_session = booked_session(loop, "Hiring manager", "one_on_one", timedelta(hours=1),
                                [(manager, "interviewer")], position=1)
    cancelled = booked_session(loop, "Practical", "practical", timedelta(hours=1), [(priya, "interviewer")],
                               position=2, status="cancelled")
    other_loop = Loop(candidate_id=other_candidate.id, recruiter_id=other_recruiter.id, status="scheduled")
    db.session.add(other_loop)
    other_session = booked_session(other_loop, "Interview", "one_on_one", timedelta(hours=3),
                                   [(olga, "interviewer")])
    db.session.flush()
    for session, names in ((panel, ("System design", "Communication")), (hm_session, ("Communication",))):
        for name in names:
            db.session.add(SessionFocusArea(session_id=session.id, focus_area_id=areas[name].id))
    assignment = InterviewerAssignment(session_id=panel.id, user_id=ian.id)
    assignment.areas = [AssignmentFocusArea(focus_area_id=areas["Problem solving"].id, position=0),
                        AssignmentFocusArea(focus_area_id=areas["System design"].id, position=1)]
    db.session.add(assignment)
    db.session.commit()
    return World(admin, recruiter, other_recruiter, manager, ian, jonas, priya, sam, olga, job, candidate, loop,
                 panel, hm_session, cancelled, other_loop, other_session, areas)


def form_data(areas: list[FocusArea], version: int = 0, action: str = "save", rating: str | None = "yes",
              recommendation: str | None = "hire", evidence: str = "Led the migration of the billing pipeline.",
              takeaways: str = "Strong on design; verify depth in on-call.", **extra: str) -> dict[str, str]:
    """A filled scorecard form for these areas (every area rated with evidence unless told otherwise)."""
    data = {"version": str(version), "action": action, "takeaways": takeaways}
    if recommendation:
        data["recommendation"] = recommendation
    for row in areas:
        prefix = f"area_{row.id}-"
        if rating:
            data[prefix + "rating"] = rating
        data[prefix + "situation"] = f"{row.name}: {evidence}"
        data[prefix + "action"] = "Split the work, wrote the runbook."
        data[prefix + "result"] = "Cut failures by half."
    data.update(extra)
    return data


def version_on(page) -> int:
    found = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"',
                      page.get_data(as_text=True))
    assert found, "no version field on the page"
    return int(found.group(1) or found.group(2))
