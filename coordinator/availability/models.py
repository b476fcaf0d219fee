"""Busy times (typed, imported or synced), the record of the last calendar import, live calendar connections and
their write-back queue, and the candidate's windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
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
        CheckConstraint("source IN ('manual', 'import', 'caldav')", name="source_known"),
        Index("ix_busy_blocks_user_start", "user_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose time this is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: start (UTC)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: end (UTC)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 'manual', 'import' (a new import replaces the blocks of the previous one) or 'caldav' (a live calendar)
    source: Mapped[str] = mapped_column(String(8), default="manual")
    #: for 'caldav': the calendar object (one event or series) it was expanded from; goes with it
    object_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_objects.id", ondelete="CASCADE"), index=True)
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


class CalendarConnection(db.Model):
    """A person's live calendar account (CalDAV today; the `kind` leaves room for Google and Microsoft 365).

    The app password is stored Fernet-encrypted (`availability.credentials`) and never shown again. The sync state
    says when the last attempt and the last good sync were, and when the next attempt is due (back-off)."""

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose calendars; one connection per person
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: 'caldav'
    kind: Mapped[str] = mapped_column(String(16), default="caldav")
    #: the server address the person typed
    server_url: Mapped[str] = mapped_column(String(1000))
    #: the user name on that server
    username: Mapped[str] = mapped_column(String(255))
    #: the app password, encrypted (Fernet token)
    secret: Mapped[str] = mapped_column(Text)
    #: found by discovery: the principal and its calendar home
    principal_url: Mapped[str] = mapped_column(String(1000), default="")
    home_url: Mapped[str] = mapped_column(String(1000), default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the last sync attempt, and the last one that succeeded (busy times are as of then)
    last_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the last attempt failed ('' after a good one); never holds credentials
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: attempts failed in a row (the back-off grows with it)
    failures: Mapped[int] = mapped_column(default=0)
    #: when the scheduler syncs it next
    next_sync_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    calendars: Mapped[list[SyncedCalendar]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SyncedCalendar.name")


class SyncedCalendar(db.Model):
    """One calendar of a connection: whether it counts as busy, whether interviews are written to it, and the
    server's change markers as of the last sync (ctag, sync-token)."""

    __tablename__ = "synced_calendars"
    __table_args__ = (UniqueConstraint("connection_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    #: the calendar collection's address
    url: Mapped[str] = mapped_column(String(1000))
    #: its display name
    name: Mapped[str] = mapped_column(String(200), default="")
    #: its events count as busy
    is_busy: Mapped[bool] = mapped_column(default=True)
    #: booked interviews are written here (at most one per connection)
    is_write: Mapped[bool] = mapped_column(default=False)
    #: the collection's ctag and sync-token as of the last sync ('' before the first)
    ctag: Mapped[str] = mapped_column(String(1000), default="")
    sync_token: Mapped[str] = mapped_column(String(1000), default="")
    #: the first day (UTC instant) of the range the stored objects were expanded for; a new day re-expands
    range_start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    connection: Mapped[CalendarConnection] = relationship(back_populates="calendars")


class CalendarObject(db.Model):
    """One calendar object resource (an event or a recurring series) as last read, kept so that a new day
    re-expands it without asking the server, and so that an etag tells whether it changed."""

    __tablename__ = "calendar_objects"
    __table_args__ = (UniqueConstraint("calendar_id", "href"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("synced_calendars.id", ondelete="CASCADE"))
    href: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str] = mapped_column(String(255), default="")
    uid: Mapped[str] = mapped_column(String(500), default="")
    #: the iCalendar text
    data: Mapped[str] = mapped_column(Text, default="")


class CalendarWrite(db.Model):
    """A booked session to write to (or remove from) a person's chosen calendar; the scheduler works the queue
    and decides put or delete from the session's state at that moment, so a burst of changes is one write."""

    __tablename__ = "calendar_writes"
    __table_args__ = (Index("ix_calendar_writes_due", "done_dt", "next_attempt_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the session (no foreign key: a deleted session's event must still be removed)
    session_id: Mapped[int] = mapped_column()
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when it was written or given up; None while waiting
    done_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 'put', 'delete' or 'skipped' once done
    outcome: Mapped[str] = mapped_column(String(16), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
