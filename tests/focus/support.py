"""Shared set-up for the focus-area, assignment and kit tests: a job with four focus areas, trained interviewers
and a small question bank, and a loop whose sessions name those interviewers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.focus import services as fs
from coordinator.focus.rating import Rating
from coordinator.loops import services as loop_services


def next_weekday(weekday: int = 1, at_least_days: int = 3) -> date:
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def setup_interviewing(org: dict[str, Any], make_user) -> dict[str, Any]:
    """Four focus areas on org's job; Jonas (design, depth), Priya (collaboration, depth), Emily (ownership),
    Tom (shadowing design); two bank questions per area."""
    def area(name: str) -> Any:
        return fs.create_focus_area(fs.FocusAreaData(
            name=name, description=f"What {name.lower()} means here.",
            guidance={Rating.STRONG_YES: f"{name}: outstanding evidence.", Rating.YES: f"{name}: solid evidence.",
                      Rating.NO: f"{name}: thin evidence.", Rating.STRONG_NO: f"{name}: contrary evidence."}))

    design, depth, collab, owner = area("System design"), area("Technical depth"), area("Collaboration"), \
        area("Ownership")
    culture = area("Culture add")  # in the library, not used by the job
    fs.set_job_focus_areas(org["job"], [design.id, depth.id, collab.id, owner.id])
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", job_title="Staff Engineer")
    priya = make_user(Role.INTERVIEWER, name="Priya Nair", timezone="Europe/Berlin")
    emily = make_user(Role.INTERVIEWER, name="Emily Johnson", timezone="Europe/Berlin")
    tom = make_user(Role.INTERVIEWER, name="Tom Becker")
    stranger = make_user(Role.INTERVIEWER, name="Sven Stranger")
    fs.set_qualifications(jonas, {design.id: fs.QUALIFIED, depth.id: fs.QUALIFIED})
    fs.set_qualifications(priya, {collab.id: fs.QUALIFIED, depth.id: fs.QUALIFIED})
    fs.set_qualifications(emily, {owner.id: fs.QUALIFIED})
    fs.set_qualifications(tom, {design.id: fs.SHADOWING})
    questions = {}
    for a in (design, depth, collab, owner, culture):
        questions[a.name] = [
            fs.create_question(fs.QuestionData(f"Tell me about a time you showed {a.name.lower()}.", "behavioral",
                                               a.id, "What did you do yourself?\nWhat was the result?"), None),
            fs.create_question(fs.QuestionData(f"What would you do if {a.name.lower()} were tested?", "situational",
                                               a.id, "Why that first?"), None),
        ]
    db.session.commit()
    return {**org, "design": design, "depth": depth, "collab": collab, "owner": owner, "culture": culture,
            "jonas": jonas, "priya": priya, "emily": emily, "tom": tom, "stranger": stranger, "questions": questions}


def make_loop(world: dict[str, Any], sessions: list[dict[str, Any]]) -> Any:
    """A loop for org's candidate with these sessions (SessionData fields; people given as users)."""
    loop = loop_services.create_loop(world["candidate"], world["recruiter"])
    for spec in sessions:
        spec = dict(spec)
        for key in ("interviewer_ids", "pool_ids", "shadow_ids"):
            spec[key] = tuple(u.id for u in spec.get(key, ()))
        spec.setdefault("kind", "one_on_one")
        spec.setdefault("duration_min", 45)
        loop_services.add_session(loop, loop_services.SessionData(**spec), world["recruiter"])
    db.session.commit()
    return loop
