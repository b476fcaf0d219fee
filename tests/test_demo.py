"""The demo organisation is realistic (#22): everyone who interviews has busy times imported from a calendar, pools
leave Find times real choices, and every candidate's stage agrees with their loops."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator.auth.models import User
from coordinator.availability.models import BusyBlock, CalendarImport
from coordinator.demo import DEMO_PASSWORD, seed_demo
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopStatus, PlanSession
from tests.helpers import text_of


def test_the_demo_is_realistic_and_consistent(app):
    seed_demo()
    db.session.commit()
    interviewers = [u for u in db.session.scalars(select(User)) if u.email.split("@")[0] not in
                    ("admin", "rita", "sam")]
    for user in interviewers:
        imported = db.session.scalar(select(func.count()).select_from(BusyBlock)
                                     .where(BusyBlock.user_id == user.id, BusyBlock.source == "import"))
        assert imported >= 5, user.name
        assert db.session.scalar(select(CalendarImport).where(CalendarImport.user_id == user.id)) is not None
    steps = db.session.scalars(select(PlanSession)).all()
    pooled = [s for s in steps if not s.title.startswith("Hiring manager")]  # the manager's own conversation
    assert all(len(s.pool) > s.interviewer_count for s in pooled)  # a choice, not a fixed list

    stages = {}
    for candidate in db.session.scalars(select(Candidate)):
        mine = [lp for lp in db.session.scalars(select(Loop).where(Loop.candidate_id == candidate.id))
                if lp.status != LoopStatus.CANCELLED.value]
        stages[candidate.name] = (candidate.stage, [lp.status for lp in mine])
        if candidate.stage == "scheduled":
            assert any(lp.status == "scheduled" for lp in mine), candidate.name
        if candidate.stage == "to_schedule":
            assert not any(lp.status in ("scheduled", "completed") for lp in mine), candidate.name
        if candidate.stage == "debrief":
            assert any(lp.status == "completed" for lp in mine), candidate.name
    assert stages["Fatima Zahra"] == ("scheduled", ["scheduled"])
    assert stages["Sofia García"] == ("debrief", ["completed"])

    ada = db.session.scalar(select(Candidate).where(Candidate.name == "Ada Lovelace"))
    loop = loops.create_loop(ada, db.session.get(User, ada.job.recruiter_id))
    result, _ = loops.find_times(loop)
    assert len(result.options) >= 3
    assert len({tuple(ps.interviewer_ids) for o in result.options for ps in o.sessions}) > len(loop.sessions)
    db.session.rollback()

    client = app.test_client()
    client.post("/login", data={"email": "jonas@demo.coordinator.test", "password": DEMO_PASSWORD})
    assert "Team stand-up" in text_of(client.get("/availability")) or "Sprint planning" in text_of(
        client.get("/availability"))
