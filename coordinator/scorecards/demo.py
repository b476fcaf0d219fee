"""Demo: a loop that happened two days ago, with scorecards, so the debrief has something to show.

Sofia García (Senior Data Engineer) was interviewed by Hannah (hiring manager), Jonas and Tobias (system design
panel), Lena (pipeline exercise) and Claire (team conversation). Four scorecards are submitted and disagree on
system design; Jonas has not written his yet, so signing in as Jonas shows an overdue scorecard and no colleague's
feedback, and signing in as Hannah shows the debrief waiting for him.
"""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.hiring.models import Candidate, CandidateStage, Job
from coordinator.kits.models import AssignmentFocusArea, InterviewerAssignment, SessionFocusArea
from coordinator.loops.models import Loop, LoopEvent, LoopSession, SessionInterviewer
from coordinator.scorecards.models import Scorecard, ScorecardArea, ScorecardRevision

CANDIDATE = "Sofia García"
ZONE = "Europe/Berlin"

# title, kind, start (local, two days ago), minutes, [(person, assigned areas or None for the session's)], areas
SESSIONS = [
    ("Hiring manager conversation", "one_on_one", time(9, 30), 45, [("hannah", None)], ["Ownership"]),
    ("System design", "panel", time(10, 25), 60, [("jonas", ["System design"]), ("tobias", ["Technical depth"])],
     ["System design", "Technical depth"]),
    ("Pipeline exercise", "practical", time(11, 35), 75, [("lena", None)], ["Problem solving"]),
    ("Team conversation", "one_on_one", time(13, 30), 45, [("claire", None)], ["Collaboration"]),
]

# person: (recommendation, takeaways, {area: (rating, situation, task, action, result, notes)})
CARDS = {
    "hannah": ("hire", "Owns outcomes, not tickets. Would grow into the on-call lead within a year.", {
        "Ownership": ("yes",
                      "Her team's nightly marketplace reports were late three days a week.",
                      "Nobody owned the dbt project end to end; she volunteered.",
                      "Mapped every model to an owner, added freshness tests and a weekly review, deleted 40 "
                      "unused models.",
                      "Reports on time for the last two quarters; the review is still running without her.",
                      "Gave credit to the analysts without being asked."),
    }),
    "tobias": ("strong_hire", "Best depth answer this quarter. Knows why, not only how.", {
        "Technical depth": ("strong_yes",
                            "Asked how she would make the analytics layer survive a warehouse migration.",
                            "Explain the trade-offs of incremental models at their scale.",
                            "Walked through merge strategies, late-arriving data and idempotent backfills; drew the "
                            "partition layout unprompted.",
                            "A design I would approve as is; she named two failure modes we hit last year.",
                            ""),
    }),
    "lena": ("hire", "Solid, careful; slower than expected on the streaming part.", {
        "Problem solving": ("yes",
                            "The clickstream exercise: events duplicated after a consumer restart.",
                            "Find the cause and propose a fix within the hour.",
                            "Reproduced it with a small sample, reasoned about offsets, proposed a dedup key and a "
                            "replay test.",
                            "Correct diagnosis at minute 40; the fix was sound but she ran out of time for the test.",
                            "Asked good clarifying questions first."),
    }),
    "claire": ("no_hire", "Great individually; I doubt she would pull designers and analysts in early.", {
        "Collaboration": ("no",
                          "A dashboard project where product and design disagreed on the main metric.",
                          "Deliver the dashboard for a launch date.",
                          "Picked the metric herself to keep the date and explained it afterwards.",
                          "Launched on time; the dashboard was rebuilt a month later.",
                          "She recognised it in hindsight, which is a good sign."),
    }),
}


def seed_scorecards(users: dict[str, User], jobs: list[Job]) -> int:
    """Load the demo loop and its scorecards; returns the number of scorecards."""
    candidate = db.session.scalar(select(Candidate).where(Candidate.name == CANDIDATE))
    if candidate is None:
        return 0
    job = jobs[0]
    areas = {a.name: a for a in db.session.scalars(select(FocusArea))}
    day = timeutil.to_local(timeutil.now_utc(), ZONE).date() - timedelta(days=2)
    while day.weekday() >= 5:  # a weekday
        day -= timedelta(days=1)
    loop = Loop(candidate_id=candidate.id, recruiter_id=job.recruiter_id, status="scheduled",
                location="Berlin office, room Spree", decision_due_on=day + timedelta(days=7))
    db.session.add(loop)
    count = 0
    for position, (title, kind, start_at, minutes, people, planned) in enumerate(SESSIONS):
        start = timeutil.local_to_utc(day, start_at, ZONE)
        end = start + timedelta(minutes=minutes)
        session = LoopSession(title=title, kind=kind, duration_min=minutes, position=position, status="booked",
                              start_dt=start, end_dt=end)
        loop.sessions.append(session)
        for local, _ in people:
            session.participants.append(SessionInterviewer(user_id=users[local].id, role="interviewer",
                                                           is_active=True, start_dt=start, end_dt=end))
        db.session.flush()
        for name in planned:
            if name in areas:
                db.session.add(SessionFocusArea(session_id=session.id, focus_area_id=areas[name].id))
        for local, assigned in people:
            if assigned:
                assignment = InterviewerAssignment(session_id=session.id, user_id=users[local].id,
                                                   updated_by_id=users["rita"].id)
                assignment.areas = [AssignmentFocusArea(focus_area_id=areas[n].id, position=i)
                                    for i, n in enumerate(assigned) if n in areas]
                db.session.add(assignment)
            if local in CARDS:
                count += _card(loop, session, users[local], CARDS[local], areas, end)
    loop.events.append(LoopEvent(actor_id=users["rita"].id, action="booked", created_dt=timeutil.now_utc(),
                                 summary="Booked 4 sessions (demo data)."))
    candidate.stage = CandidateStage.DEBRIEF.value
    db.session.flush()
    return count


def _card(loop: Loop, session: LoopSession, user: User, content: tuple, areas: dict[str, FocusArea], end) -> int:
    recommendation, takeaways, rated = content
    submitted = end + timedelta(hours=3)
    card = Scorecard(loop_id=loop.id, session_id=session.id, interviewer_id=user.id, status="submitted",
                     recommendation=recommendation, takeaways=takeaways, version=2, revision=1,
                     created_dt=end + timedelta(minutes=20), updated_dt=submitted, submitted_dt=submitted)
    snapshot = []
    for position, (name, (rating, situation, task, action, result, notes)) in enumerate(rated.items()):
        card.areas.append(ScorecardArea(focus_area_id=areas[name].id, position=position, rating=rating,
                                        situation=situation, task=task, action=action, result=result, notes=notes))
        snapshot.append({"focus_area_id": areas[name].id, "name": name, "rating": rating, "is_not_assessed": False,
                         "not_assessed_reason": "", "situation": situation, "task": task, "action": action,
                         "result": result, "notes": notes})
    db.session.add(card)
    db.session.flush()
    db.session.add(ScorecardRevision(scorecard_id=card.id, number=1, created_dt=submitted, author_id=user.id,
                                     recommendation=recommendation, takeaways=takeaways, areas=snapshot))
    return 1

