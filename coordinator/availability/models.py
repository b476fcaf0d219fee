"""Busy times (typed or imported), the record of the last calendar import, and the candidate's windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class BusyBlock(db.Model):
    """Time a person cannot interview: entered by hand or imported from their calendar."""

    __tablename__ = "busy_blocks"
    __table_args__ = (
        CheckConstraint("start_dt < end_dt", name="start_before_end"),
        CheckConstraint("source IN ('manual', 'import')", name="source_known"),
        Index("ix_busy_blocks_user_start", "user_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose time this is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: start (UTC)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: end (UTC)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 'manual' or 'import'; a new import replaces the blocks of the previous one
    source: Mapped[str] = mapped_column(String(8), default="manual")
    #: a short label for the day view ("Busy" for private events)
    summary: Mapped[str] = mapped_column(String(200), default="Busy")

    user: Mapped[User] = relationship()


class CalendarImport(db.Model):
    """The last calendar file a person imported, with what could not be read."""

    __tablename__ = "calendar_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose calendar; one import per person, replaced by the next
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: the uploaded file's name, for the person's reference
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: when it was imported
    imported_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: events found in the file
    event_count: Mapped[int] = mapped_column(default=0)
    #: busy blocks created in the import range
    block_count: Mapped[int] = mapped_column(default=0)
    #: what could not be read, one message per line
    problems: Mapped[str] = mapped_column(Text, default="")


class CandidateWindow(db.Model):
    """A time the candidate can interview."""

    __tablename__ = "candidate_windows"
    __table_args__ = (CheckConstraint("start_dt < end_dt", name="start_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose window
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    #: start (UTC)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: end (UTC)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: entered by the recruiter or by the candidate on their page
    source: Mapped[str] = mapped_column(String(16), default="recruiter")
