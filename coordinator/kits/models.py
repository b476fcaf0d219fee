"""Who assesses what in a loop: the focus areas a session covers, and each interviewer's areas and questions.

Kept beside the loop tables rather than inside them: a session's planned areas (copied from the job's interview
plan) and an interviewer's assignment (areas and questions, which make up their interview kit). An assignment is
keyed by (session, person), so it survives a reschedule with the same people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, link_key
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, Question
from coordinator.loops.models import LoopSession
from coordinator.timeutil import now_utc


class SessionFocusArea(db.Model):
    """A focus area a loop session is planned to cover; whoever interviews in it assesses it unless assigned
    otherwise."""

    __tablename__ = "session_focus_areas"

    #: the session
    session_id: Mapped[int] = link_key("loop_sessions.id")
    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id", "RESTRICT", index=True)

    session: Mapped[LoopSession] = relationship()
    focus_area: Mapped[FocusArea] = relationship(lazy="joined")


class InterviewerAssignment(db.Model):
    """One interviewer's focus areas and questions in one session: the content of their interview kit."""

    __tablename__ = "interviewer_assignments"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"), index=True)
    #: the interviewer
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: who saved it last
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was saved last
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    session: Mapped[LoopSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    areas: Mapped[list[AssignmentFocusArea]] = relationship(
        cascade="all, delete-orphan", order_by="AssignmentFocusArea.position", lazy="selectin"
    )
    questions: Mapped[list[AssignmentQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="AssignmentQuestion.position", lazy="selectin"
    )

    @property
    def focus_areas(self) -> list[FocusArea]:
        return [a.focus_area for a in self.areas]


class AssignmentFocusArea(db.Model):
    """A focus area an interviewer assesses in a session."""

    __tablename__ = "assignment_focus_areas"

    #: the assignment
    assignment_id: Mapped[int] = link_key("interviewer_assignments.id")
    #: the area
    focus_area_id: Mapped[int] = link_key("focus_areas.id", "RESTRICT", index=True)
    #: order in the kit, from 0
    position: Mapped[int] = mapped_column(default=0)

    focus_area: Mapped[FocusArea] = relationship(lazy="joined")


class AssignmentQuestion(db.Model):
    """A question an interviewer asks in a session (from the bank, or written for this loop)."""

    __tablename__ = "assignment_questions"

    #: the assignment
    assignment_id: Mapped[int] = link_key("interviewer_assignments.id")
    #: the question
    question_id: Mapped[int] = link_key("questions.id", index=True)
    #: order in the kit, from 0
    position: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship(lazy="joined")
