"""Loops, their sessions and interviewers, and the loop history.

No double-booking is enforced by the database: on PostgreSQL an exclusion constraint over (user_id, time range)
of active session_interviewers rows, created by the migration (it is PostgreSQL-only, so it is not declared on the
model); on SQLite the booking transaction takes the write lock first and checks overlaps inside it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelledEnum, LabelOf
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.loops.kinds import Arrangement, SessionKind
from coordinator.timeutil import now_utc

__all__ = ["Answer", "Arrangement", "CandidateInviteGrouping", "Loop", "LoopEvent", "LoopSession", "LoopStatus",
           "ParticipantRole", "PlanSession", "SessionInterviewer", "SessionKind", "SessionStatus"]


class LoopStatus(LabelledEnum):
    PLANNING = "planning", "Planning"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class SessionStatus(LabelledEnum):
    PLANNED = "planned", "Not booked"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"


class ParticipantRole(LabelledEnum):
    INTERVIEWER = "interviewer", "Interviewer"
    SHADOW = "shadow", "Shadow"


class Answer(LabelledEnum):
    """A person's answer to their invite (the iCalendar PARTSTAT their calendar sent back in a REPLY)."""

    NEEDS_ACTION = "needs_action", "No answer yet"
    ACCEPTED = "accepted", "Accepted"
    TENTATIVE = "tentative", "Tentative"
    DECLINED = "declined", "Declined"

    @classmethod
    def from_partstat(cls, partstat: str) -> Answer | None:
        """ACCEPTED -> accepted, ...; None for a PARTSTAT a REPLY should not carry (DELEGATED, garbage)."""
        return {"NEEDS-ACTION": cls.NEEDS_ACTION, "ACCEPTED": cls.ACCEPTED, "TENTATIVE": cls.TENTATIVE,
                "DECLINED": cls.DECLINED}.get(partstat.strip().upper())


class CandidateInviteGrouping(LabelledEnum):
    """How the candidate's calendar shows the loop."""

    SESSION = "session", "One event per session"
    BLOCK = "block", "One event per back-to-back block"
    DAY = "day", "One event per day"


class PlanSession(db.Model):
    """One step of a job's default interview plan; new loops copy the plan."""

    __tablename__ = "plan_sessions"
    __table_args__ = (
        one_of("kind", SessionKind),
        CheckConstraint("duration_min > 0 AND duration_min <= 480", name="duration_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the job whose plan this is
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    #: order in the loop, from 0
    position: Mapped[int] = mapped_column(default=0)
    #: what the session is called in itineraries ("System design")
    title: Mapped[str] = mapped_column(String(120))
    #: one of SessionKind
    kind: Mapped[str] = mapped_column(String(16))
    #: length of the session
    duration_min: Mapped[int]
    #: how many interviewers score it (2+ for a panel)
    interviewer_count: Mapped[int] = mapped_column(default=1)
    #: the candidate's preparation time for a practical (informational)
    prep_min: Mapped[int] = mapped_column(default=0)
    #: what the candidate should prepare (practicals)
    prep_instructions: Mapped[str] = mapped_column(Text, default="")

    job: Mapped[Job] = relationship()
    pool: Mapped[list[User]] = relationship(secondary="plan_session_pool", order_by="User.name")

    kind_label = LabelOf("kind", SessionKind)


plan_session_pool = db.Table(
    "plan_session_pool",
    db.Column("plan_session_id", db.ForeignKey("plan_sessions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Loop(db.Model):
    """A candidate's second-round loop: ordered sessions, how they are arranged, and their state."""

    __tablename__ = "loops"
    __table_args__ = (
        one_of("status", LoopStatus),
        one_of("arrangement", Arrangement),
        one_of("candidate_grouping", CandidateInviteGrouping, name="grouping_known"),
        CheckConstraint("buffer_min >= 0 AND buffer_min <= 120", name="buffer_range"),
        Index("ix_loops_updated", "updated_dt", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose loop this is
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    #: organizer of the invites; the job's recruiter when the loop was created
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: one of Arrangement
    arrangement: Mapped[str] = mapped_column(String(16), default=Arrangement.BACK_TO_BACK.value)
    #: one of LoopStatus
    status: Mapped[str] = mapped_column(String(16), default=LoopStatus.PLANNING.value, index=True)
    #: minutes between back-to-back sessions
    buffer_min: Mapped[int] = mapped_column(default=10)
    #: how the candidate's invites group the sessions; one of CandidateInviteGrouping
    candidate_grouping: Mapped[str] = mapped_column(String(16), default=CandidateInviteGrouping.SESSION.value)
    #: default room or address for the sessions
    location: Mapped[str] = mapped_column(String(200), default="")
    #: default video link for the sessions
    video_url: Mapped[str] = mapped_column(String(500), default="")
    #: first day (candidate's zone) to look for times
    window_first_day: Mapped[date | None] = mapped_column(Date)
    #: last day (candidate's zone) to look for times
    window_last_day: Mapped[date | None] = mapped_column(Date)
    #: the date the team promised the candidate a decision by
    decision_due_on: Mapped[date | None] = mapped_column(Date)
    #: when the loop was created
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: invites go out the moment the loop is booked; otherwise they wait in the outbox for the recruiter's Send
    send_at_once: Mapped[bool] = mapped_column(default=False, server_default=sa_true())
    #: the candidate's e-mail text for this loop (placeholders filled at sending); empty: the job's
    candidate_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: bumped on every change, so a stale form is refused instead of overwriting
    version: Mapped[int] = mapped_column(default=1)
    #: last change to the loop or its sessions (every change bumps `version`, so the row is written): the API's
    #: updated_since filter and cursor
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    candidate: Mapped[Candidate] = relationship()
    recruiter: Mapped[User] = relationship()
    sessions: Mapped[list[LoopSession]] = relationship(
        back_populates="loop", cascade="all, delete-orphan", order_by="LoopSession.position"
    )
    events: Mapped[list[LoopEvent]] = relationship(
        back_populates="loop", cascade="all, delete-orphan", order_by="LoopEvent.created_dt.desc()"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def job(self) -> Job:
        return self.candidate.job

    status_label = LabelOf("status", LoopStatus)
    arrangement_label = LabelOf("arrangement", Arrangement)

    @property
    def active_sessions(self) -> list[LoopSession]:
        return [s for s in self.sessions if s.status != SessionStatus.CANCELLED.value]

    @property
    def start_dt(self) -> datetime | None:
        starts = [s.start_dt for s in self.active_sessions if s.start_dt]
        return min(starts) if starts else None


class LoopSession(db.Model):
    __tablename__ = "loop_sessions"
    __table_args__ = (
        one_of("kind", SessionKind),
        one_of("status", SessionStatus),
        CheckConstraint("duration_min > 0 AND duration_min <= 480", name="duration_range"),
        CheckConstraint("end_dt IS NULL OR start_dt < end_dt", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop it belongs to
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: order in the loop, from 0
    position: Mapped[int] = mapped_column(default=0)
    #: what the session is called ("System design")
    title: Mapped[str] = mapped_column(String(120))
    #: one of SessionKind
    kind: Mapped[str] = mapped_column(String(16))
    #: planned length
    duration_min: Mapped[int]
    #: how many interviewers to pick from the pool, on top of the fixed ones
    pool_count: Mapped[int] = mapped_column(default=0)
    #: the candidate's preparation time for a practical (informational)
    prep_min: Mapped[int] = mapped_column(default=0)
    #: what the candidate should prepare; shown in their itinerary and invite
    prep_instructions: Mapped[str] = mapped_column(Text, default="")
    #: room or address; the loop's when empty
    location: Mapped[str] = mapped_column(String(200), default="")
    #: video link; the loop's when empty
    video_url: Mapped[str] = mapped_column(String(500), default="")
    #: one of SessionStatus
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.PLANNED.value)
    #: booked start (UTC); None until booked
    start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: booked end (UTC)
    end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: iCalendar SEQUENCE of this session's invites; bumped whenever attendees see a change
    ical_sequence: Mapped[int] = mapped_column(default=0)
    #: why a soft problem (outside hours, over a limit) was accepted at booking
    override_reason: Mapped[str] = mapped_column(Text, default="")

    loop: Mapped[Loop] = relationship(back_populates="sessions")
    participants: Mapped[list[SessionInterviewer]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionInterviewer.id"
    )
    pool: Mapped[list[User]] = relationship(secondary="session_pool", order_by="User.name")

    kind_label = LabelOf("kind", SessionKind)
    status_label = LabelOf("status", SessionStatus)

    @property
    def is_booked(self) -> bool:
        return self.status == SessionStatus.BOOKED.value

    @property
    def interviewers(self) -> list[User]:
        return [p.user for p in self.participants if p.role == ParticipantRole.INTERVIEWER.value]

    @property
    def shadows(self) -> list[User]:
        return [p.user for p in self.participants if p.role == ParticipantRole.SHADOW.value]

    @property
    def where(self) -> str:
        return self.location or self.loop.location

    def seat_of(self, user_id: int) -> SessionInterviewer | None:
        """That person's seat in this session (their role, their answer to the invite), if they have one."""
        return next((p for p in self.participants if p.user_id == user_id), None)

    @property
    def video(self) -> str:
        return self.video_url or self.loop.video_url


session_pool = db.Table(
    "session_pool",
    db.Column("session_id", db.ForeignKey("loop_sessions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class SessionInterviewer(db.Model):
    """A person in a session. While the session is booked the row is active and carries the booked time, so the
    database can refuse two active rows of one person that overlap."""

    __tablename__ = "session_interviewers"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        one_of("role", ParticipantRole),
        one_of("answer", Answer),
        CheckConstraint("NOT is_active OR (start_dt IS NOT NULL AND end_dt IS NOT NULL AND start_dt < end_dt)",
                        name="active_has_time"),
        Index("ix_session_interviewers_user_active", "user_id", "is_active", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"), index=True)
    #: the person
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: interviewer (scores) or shadow (attends, does not score)
    role: Mapped[str] = mapped_column(String(16), default=ParticipantRole.INTERVIEWER.value)
    #: picked by the engine from the session's pool (re-picked on reschedule), not named by the recruiter
    is_from_pool: Mapped[bool] = mapped_column(default=False)
    #: true while the session is booked: the row then blocks the person's calendar
    is_active: Mapped[bool] = mapped_column(default=False)
    #: booked start, copied from the session
    start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: booked end, copied from the session
    end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: their answer to the invite (one of Answer), from their calendar's REPLY; back to needs_action on a move
    answer: Mapped[str] = mapped_column(String(16), default=Answer.NEEDS_ACTION.value,
                                        server_default=Answer.NEEDS_ACTION.value)
    #: when that answer arrived
    answer_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[LoopSession] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()

    answer_label = LabelOf("answer", Answer)


class LoopEvent(db.Model):
    """One entry of a loop's history: who did what, when, and why."""

    __tablename__ = "loop_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the user who acted; None for the candidate or the system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: how to name the actor when there is no user ("Candidate", "System")
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: a short machine name: created, booked, rescheduled, cancelled, replaced, ...
    action: Mapped[str] = mapped_column(String(32))
    #: what changed, in words
    summary: Mapped[str] = mapped_column(Text, default="")
    #: why, when the user gave a reason
    reason: Mapped[str] = mapped_column(Text, default="")

    loop: Mapped[Loop] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def actor_name(self) -> str:
        return self.actor.name if self.actor else (self.actor_label or "System")
