"""The outbox every invite e-mail goes through, what the candidate was last sent, and private calendar feeds.

* `OutboxMessage`: one e-mail, stored as the exact bytes that will be sent. Pages only add rows (in the same
  transaction as the change that caused them); the scheduler process delivers them (`invites.jobs.deliver_due`).
* `CandidateInviteEvent`: one event in the candidate's calendar as they were last sent it. The candidate's
  events follow the loop's grouping (a session, a back-to-back block, a day), so when sessions move, a block
  can change shape or vanish; comparing the new plan with these rows says what to update and what to cancel.
* `CalendarFeed`: a user's private feed token, stored only as its SHA-256 hash.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) delivery attempt
    HELD = "held"  # no SMTP server is configured: kept, readable in the app, sent once one is
    REVIEW = "review"  # waits for the recruiter to look and press Send (a loop without "send at once")
    SENDING = "sending"  # claimed by a deliverer; back to due when its claim expires (a crashed process)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # refused for good, or out of attempts; a recruiter may retry it

    @property
    def label(self) -> str:
        return {"pending": "Waiting", "held": "Held (no mail server)",
                "review": "Waiting for your Send", "sending": "Sending", "sent": "Sent",
                "failed": "Failed"}[self.value]


class OutboxKind(StrEnum):
    INTERVIEWER_INVITE = "interviewer_invite"
    INTERVIEWER_UPDATE = "interviewer_update"
    INTERVIEWER_CANCEL = "interviewer_cancel"
    INTERVIEWER_REMOVED = "interviewer_removed"
    CANDIDATE_INVITE = "candidate_invite"
    CANDIDATE_UPDATE = "candidate_update"
    CANDIDATE_CANCEL = "candidate_cancel"
    # reminders (coordinator.reminders): plain e-mails, no calendar part
    INTERVIEWER_REMINDER = "interviewer_reminder"
    TEAM_REMINDER = "team_reminder"
    CANDIDATE_REMINDER = "candidate_reminder"
    # the candidate's private page (coordinator.portal): the link, a plain e-mail
    CANDIDATE_LINK = "candidate_link"

    @property
    def label(self) -> str:
        return {
            "interviewer_invite": "Interviewer invite", "interviewer_update": "Interviewer update",
            "interviewer_cancel": "Interviewer cancellation", "interviewer_removed": "Taken off a session",
            "candidate_invite": "Candidate invite", "candidate_update": "Candidate update",
            "candidate_cancel": "Candidate cancellation", "interviewer_reminder": "Interviewer reminder",
            "team_reminder": "Hiring team reminder", "candidate_reminder": "Candidate reminder",
            "candidate_link": "Candidate's private link",
        }[self.value]

    @property
    def audience(self) -> str:
        return self.value.split("_", 1)[0]


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class OutboxMessage(db.Model):
    """One e-mail to one recipient, from the moment a page caused it until the SMTP server accepted it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(OutboxStatus)})", name="status_known"),
        CheckConstraint(f"kind IN ({_in(OutboxKind)})", name="kind_known"),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        Index("ix_outbox_messages_due", "status", "next_attempt_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the message is (one of OutboxKind); its audience is the part before the first underscore
    kind: Mapped[str] = mapped_column(String(32))
    #: the loop that caused it; kept (NULL) if the loop is deleted, so the delivery record stays
    loop_id: Mapped[int | None] = mapped_column(ForeignKey("loops.id", ondelete="SET NULL"), index=True)
    #: the one address it goes to
    recipient: Mapped[str] = mapped_column(String(254))
    #: the recipient's name as written in the To header
    recipient_name: Mapped[str] = mapped_column(String(160), default="")
    #: the Subject header
    subject: Mapped[str] = mapped_column(String(300))
    #: iTIP method of the calendar part: REQUEST or CANCEL; empty for a message without one (a reminder)
    method: Mapped[str] = mapped_column(String(8), default="REQUEST")
    #: UID of the calendar event it carries
    ical_uid: Mapped[str] = mapped_column(String(255), default="")
    #: SEQUENCE of that event in this message
    ical_sequence: Mapped[int] = mapped_column(default=0)
    #: the complete RFC 5322 message as it will be handed to the SMTP server; empty when it could not be built
    message: Mapped[bytes] = mapped_column(LargeBinary)
    #: one of OutboxStatus
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    #: delivery attempts made so far
    attempts: Mapped[int] = mapped_column(default=0)
    #: why the last attempt failed (or why the message could not be built), one line
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: when it is next due (pending, held) or when a claim on it expires (sending); None once sent or failed
    next_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the change that caused it was made
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    #: when the SMTP server accepted it
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return OutboxStatus(self.status).label

    @property
    def kind_label(self) -> str:
        return OutboxKind(self.kind).label

    @property
    def audience(self) -> str:
        return OutboxKind(self.kind).audience

    @property
    def can_retry(self) -> bool:
        return self.status == OutboxStatus.FAILED.value and bool(self.message)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.recipient} {self.status}>"


class CandidateInviteEvent(db.Model):
    """One event of the candidate's calendar as last sent: its UID, SEQUENCE, sessions, times and content."""

    __tablename__ = "candidate_invite_events"
    __table_args__ = (UniqueConstraint("loop_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the event's UID (per session, per block or per day)
    uid: Mapped[str] = mapped_column(String(255))
    #: the SEQUENCE last sent for it
    sequence: Mapped[int] = mapped_column(default=0)
    #: the loop sessions it covered, as sorted comma-separated ids
    session_ids: Mapped[str] = mapped_column(String(1000), default="")
    #: its start as last sent
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: its end as last sent
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: its SUMMARY as last sent (named again in a later cancellation)
    summary: Mapped[str] = mapped_column(String(300), default="")
    #: hash of what the candidate saw (everything but DTSTAMP and SEQUENCE): a change means an update is due
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    #: a CANCEL was the last thing sent for it
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    #: when it was last sent
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class CalendarFeed(db.Model):
    """A user's private calendar feed. The token itself is shown once, when made; only its hash is kept."""

    __tablename__ = "calendar_feeds"

    #: whose feed (one per user; a new token replaces the old one)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: hex SHA-256 of the token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: when the token was made
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when a calendar last fetched the feed
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
