"""Jobs (requisitions) and the candidates in their second round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelledEnum, LabelOf
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class JobStatus(LabelledEnum):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold"
    FILLED = "filled", "Filled"
    CLOSED = "closed", "Closed"


class CandidateStage(LabelledEnum):
    """Where the candidate is in the second round; coordinator starts once the first round is passed."""

    TO_SCHEDULE = "to_schedule", "To schedule"
    SCHEDULED = "scheduled", "Scheduled"
    DEBRIEF = "debrief", "In debrief"
    OFFER = "offer", "Offer"
    HIRED = "hired", "Hired"
    NOT_HIRED = "not_hired", "Not hired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (one_of("status", JobStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the role as advertised ("Senior Data Engineer")
    title: Mapped[str] = mapped_column(String(160))
    #: owning department ("Data Platform")
    department: Mapped[str] = mapped_column(String(120))
    #: owns the job: sees its loops and all of their feedback, records the decision
    hiring_manager_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: coordinates the job's loops
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: one of JobStatus
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.OPEN.value)
    #: when the requisition was opened here
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: hours after a session ends by which its scorecards are due (1 to 336, checked by the form and service)
    feedback_due_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    #: the candidate's invite e-mail text with {placeholders}; empty: the standard text
    candidate_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: last change to the job (the API's updated_since filter)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc, index=True)

    hiring_manager: Mapped[User] = relationship(foreign_keys=[hiring_manager_id])
    recruiter: Mapped[User] = relationship(foreign_keys=[recruiter_id])
    candidates: Mapped[list[Candidate]] = relationship(back_populates="job", order_by="Candidate.name")

    status_label = LabelOf("status", JobStatus)


class Candidate(db.Model):
    __tablename__ = "candidates"
    __table_args__ = (one_of("stage", CandidateStage),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: full name as the candidate writes it
    name: Mapped[str] = mapped_column(String(160))
    #: where invites and the candidate's private link go
    email: Mapped[str] = mapped_column(String(254))
    #: the candidate's IANA zone; their itinerary is shown in it
    timezone: Mapped[str] = mapped_column(String(64))
    #: the job they interview for
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="RESTRICT"), index=True)
    #: one of CandidateStage
    stage: Mapped[str] = mapped_column(String(16), default=CandidateStage.TO_SCHEDULE.value, index=True)
    #: what the first interview emphasised (skills, projects the candidate spoke about)
    first_interview_emphasis: Mapped[str] = mapped_column(Text, default="")
    #: what the second round should probe further
    probe_further: Mapped[str] = mapped_column(Text, default="")
    #: when the candidate was added
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: last change to the record
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc, index=True)
    #: the candidate's id in the ATS that sent them (the API finds candidates by it); unique when set
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)

    job: Mapped[Job] = relationship(back_populates="candidates")

    stage_label = LabelOf("stage", CandidateStage)
