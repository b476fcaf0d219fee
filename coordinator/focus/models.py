"""Focus areas (the competencies a role needs), their rating guidance, the question bank and who is qualified to
assess what.

A focus area is shared: jobs pick the areas they use (`JobFocusArea`), steps of a job's interview plan name the
areas they cover (`PlanSessionFocusArea`). Bank questions are shared across jobs; a question written for one loop
only carries that loop's id and stays out of the bank.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, link_key, one_of
from coordinator.enums import LabelOf
from coordinator.extensions import db
from coordinator.focus.question_kind import QuestionKind
from coordinator.focus.rating import RATINGS_BEST_FIRST, Rating
from coordinator.hiring.models import Job
from coordinator.timeutil import now_utc

__all__ = ["FocusArea", "FocusAreaGuidance", "JobFocusArea", "PlanSessionFocusArea",
           "Qualification", "Question", "QuestionKind"]


class FocusArea(db.Model):
    """A competency interviewers assess ("Problem solving"), reusable across jobs."""

    __tablename__ = "focus_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short name shown in matrices and kits; unique, compared without case
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: what the area means and what to look for
    description: Mapped[str] = mapped_column(Text, default="")
    #: when the area was created
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    guidance: Mapped[list[FocusAreaGuidance]] = relationship(
        back_populates="focus_area", cascade="all, delete-orphan", lazy="selectin"
    )

    def guidance_for(self, rating: Rating) -> str:
        return next((g.text for g in self.guidance if g.rating == rating.value), "")

    @property
    def guidance_rows(self) -> list[tuple[Rating, str]]:
        """(rating, text) for every level, best first; empty text where none is written yet."""
        return [(r, self.guidance_for(r)) for r in RATINGS_BEST_FIRST]

    @property
    def missing_guidance(self) -> list[Rating]:
        return [r for r, text in self.guidance_rows if not text.strip()]

    def __repr__(self) -> str:
        return f"<FocusArea {self.id} {self.name}>"


class FocusAreaGuidance(db.Model):
    """What one rating level looks like for one focus area."""

    __tablename__ = "focus_area_guidance"
    __table_args__ = (one_of("rating", Rating),)

    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id")
    #: one of Rating
    rating: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: what an answer at this level sounds like
    text: Mapped[str] = mapped_column(Text, default="")

    focus_area: Mapped[FocusArea] = relationship(back_populates="guidance")


class JobFocusArea(db.Model):
    """A focus area a job needs assessed in its second round."""

    __tablename__ = "job_focus_areas"

    #: the job
    job_id: Mapped[int] = link_key("jobs.id")
    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id", "RESTRICT", index=True)
    #: order on the job page and in the coverage matrix, from 0
    position: Mapped[int] = mapped_column(default=0)

    job: Mapped[Job] = relationship()
    focus_area: Mapped[FocusArea] = relationship(lazy="joined")


class Question(db.Model):
    """An interview question tagged with a focus area and a kind, with follow-up probes."""

    __tablename__ = "questions"
    __table_args__ = (one_of("kind", QuestionKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the question as the interviewer asks it
    text: Mapped[str] = mapped_column(Text)
    #: one of QuestionKind
    kind: Mapped[str] = mapped_column(String(16))
    #: the competency the question gives evidence for
    focus_area_id: Mapped[int] = mapped_column(ForeignKey("focus_areas.id", ondelete="RESTRICT"), index=True)
    #: follow-up probes, one per line
    probes: Mapped[str] = mapped_column(Text, default="")
    #: set for a question written for one loop only (not in the shared bank)
    loop_id: Mapped[int | None] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: an archived bank question is no longer offered; kits that use it keep it
    is_archived: Mapped[bool] = mapped_column(default=False)
    #: who wrote it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was written
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: last change
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    focus_area: Mapped[FocusArea] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    kind_label = LabelOf("kind", QuestionKind)

    @property
    def probe_list(self) -> list[str]:
        return [line.strip() for line in self.probes.splitlines() if line.strip()]


class Qualification(db.Model):
    """A focus area a person is trained to assess, or (shadowing) is still learning to."""

    __tablename__ = "qualifications"

    #: the person
    user_id: Mapped[int] = link_key("users.id")
    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id", index=True)
    #: a trainee: attends sessions on this area as a shadow and does not assess it yet
    is_shadowing: Mapped[bool] = mapped_column(default=False)
    #: when this was last set
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    user: Mapped[User] = relationship()
    focus_area: Mapped[FocusArea] = relationship(lazy="joined")


class PlanSessionFocusArea(db.Model):
    """A focus area one step of a job's interview plan covers; new loops copy it to their session."""

    __tablename__ = "plan_session_focus_areas"

    #: the plan step
    plan_session_id: Mapped[int] = link_key("plan_sessions.id")
    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id", "RESTRICT", index=True)

    focus_area: Mapped[FocusArea] = relationship(lazy="joined")
