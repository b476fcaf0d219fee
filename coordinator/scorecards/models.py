"""Scorecards (one per interviewer and session), their submitted revisions, and the loop's hiring decision.

A scorecard row appears the first time its interviewer saves it; until then it is "pending". Its areas are the
focus areas the interviewer was assigned (see `services.assigned_areas`). A draft changes freely; a submitted
scorecard is locked, and every submission or amendment is kept as a revision row with its full content.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelledEnum, LabelOf
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.loops.models import Loop, LoopSession
from coordinator.timeutil import now_utc


class ScorecardStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class CardState(LabelledEnum):
    """A scorecard as lists and the debrief show it: its stored status, or not started / overdue by the clock."""

    PENDING = "pending", "Not started"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    OVERDUE = "overdue", "Overdue"


class Decision(LabelledEnum):
    """What the hiring team decides after the debrief."""

    HIRE = "hire", "Hire"
    NO_HIRE = "no_hire", "No hire"
    ANOTHER_ROUND = "another_round", "Another round"


#: the STAR parts of the evidence, in order, with their labels and what each asks for
STAR_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("situation", "Situation", "The context the candidate described or worked in."),
    ("task", "Task", "What they had to achieve, and their part in it."),
    ("action", "Action", "What they did themselves: decisions, steps, trade-offs."),
    ("result", "Result", "What came of it, ideally measurable; what they learned."),
)


class Scorecard(db.Model):
    """One interviewer's feedback on one session."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("session_id", "interviewer_id"),
        one_of("status", ScorecardStatus),
        one_of("recommendation", Recommendation),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop (the session's, kept here so a debrief reads a loop's scorecards with one query)
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the session it is about
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"))
    #: who writes it: an interviewer of the session (shadows do not score)
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: one of ScorecardStatus
    status: Mapped[str] = mapped_column(String(16), default=ScorecardStatus.DRAFT.value)
    #: overall recommendation, one of Recommendation; None until chosen
    recommendation: Mapped[str | None] = mapped_column(String(16))
    #: the interviewer's key takeaways
    takeaways: Mapped[str] = mapped_column(Text, default="")
    #: bumped by every save, so a save from a stale tab is refused (409) instead of overwriting
    version: Mapped[int] = mapped_column(default=1)
    #: number of the latest submitted revision; 0 while never submitted
    revision: Mapped[int] = mapped_column(default=0)
    #: first saved
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: last saved (draft, submission or amendment)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: first submitted; None while a draft
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    loop: Mapped[Loop] = relationship()
    session: Mapped[LoopSession] = relationship()
    interviewer: Mapped[User] = relationship()
    areas: Mapped[list[ScorecardArea]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="ScorecardArea.position",
        lazy="selectin",
    )
    revisions: Mapped[list[ScorecardRevision]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="ScorecardRevision.number",
    )

    @property
    def is_submitted(self) -> bool:
        return self.status == ScorecardStatus.SUBMITTED.value

    recommendation_label = LabelOf("recommendation", Recommendation)

    def area(self, focus_area_id: int) -> ScorecardArea | None:
        return next((a for a in self.areas if a.focus_area_id == focus_area_id), None)


class ScorecardArea(db.Model):
    """The rating and evidence for one focus area on one scorecard."""

    __tablename__ = "scorecard_areas"
    __table_args__ = (one_of("rating", Rating),)

    #: the scorecard
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), primary_key=True)
    #: the focus area
    focus_area_id: Mapped[int] = mapped_column(ForeignKey("focus_areas.id", ondelete="RESTRICT"), primary_key=True,
                                               index=True)
    #: order on the scorecard, from 0 (the assignment's order)
    position: Mapped[int] = mapped_column(default=0)
    #: one of Rating; None when not (yet) rated
    rating: Mapped[str | None] = mapped_column(String(16))
    #: the interviewer could not assess this area (the reason says why)
    is_not_assessed: Mapped[bool] = mapped_column(default=False)
    #: why it was not assessed
    not_assessed_reason: Mapped[str] = mapped_column(Text, default="")
    #: STAR evidence: the situation
    situation: Mapped[str] = mapped_column(Text, default="")
    #: STAR evidence: the task
    task: Mapped[str] = mapped_column(Text, default="")
    #: STAR evidence: the candidate's actions
    action: Mapped[str] = mapped_column(Text, default="")
    #: STAR evidence: the result
    result: Mapped[str] = mapped_column(Text, default="")
    #: free notes beside the evidence
    notes: Mapped[str] = mapped_column(Text, default="")

    scorecard: Mapped[Scorecard] = relationship(back_populates="areas")
    focus_area: Mapped[FocusArea] = relationship(lazy="joined")

    @property
    def has_evidence(self) -> bool:
        return any((getattr(self, name) or "").strip() for name, _, _ in STAR_FIELDS)


class ScorecardRevision(db.Model):
    """A submitted state of a scorecard: number 1 is the first submission, every amendment adds one."""

    __tablename__ = "scorecard_revisions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),
                      one_of("recommendation", Recommendation))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the scorecard
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    #: 1, 2, ... in the order submitted
    number: Mapped[int]
    #: when it was submitted
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: who submitted it (the interviewer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: why it was amended; empty for the first submission
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the overall recommendation then
    recommendation: Mapped[str] = mapped_column(String(16))
    #: the key takeaways then
    takeaways: Mapped[str] = mapped_column(Text, default="")
    #: every area as it was: [{focus_area_id, name, rating, is_not_assessed, not_assessed_reason, situation, task,
    #: action, result, notes}, ...]
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    scorecard: Mapped[Scorecard] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()

    recommendation_label = LabelOf("recommendation", Recommendation)


class LoopDecision(db.Model):
    """The hiring team's decision after a loop's debrief. A later decision (after another round) adds a row."""

    __tablename__ = "loop_decisions"
    __table_args__ = (one_of("outcome", Decision),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop decided on
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: one of Decision
    outcome: Mapped[str] = mapped_column(String(16))
    #: why, in the decider's words
    rationale: Mapped[str] = mapped_column(Text, default="")
    #: who recorded it
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    decided_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    decided_by: Mapped[User | None] = relationship()

    outcome_label = LabelOf("outcome", Decision)
