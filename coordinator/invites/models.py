"""The outbox every invite e-mail goes through, what the candidate was last sent, and private calendar feeds.

* `OutboxMessage`: one e-mail, stored as the exact bytes that will be sent. Pages only add rows (in the same
  transaction as the change that caused them); the scheduler process delivers them (`invites.jobs.deliver_due`).
* `CandidateInviteEvent`: one event in the candidate's calendar as they were last sent it. The candidate's
  events follow the loop's grouping (a session, a back-to-back block, a day), so when sessions move, a block
  can change shape or vanish; comparing the new plan with these rows says what to update and what to cancel.
* `CalendarFeed`: a user's private feed token, stored only as its SHA-256 hash.
* `InboundMessage`: one e-mail that reached the reply address (the `flask inbound` listener stores it, then
  `invites.replies` reads it): what it was, and what became of it (applied, ignored and why, refused).
* `Proposal`: a COUNTER (another time an attendee proposed) for the recruiter to accept or refuse.
* `Notice`: an entry of "Needs action" for the loop's recruiter (a decline with its replacement options, a
  proposal, what the candidate did on their page), and whether the recruiter was e-mailed about it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelOf
from coordinator.extensions import db
from coordinator.loops.models import Loop, LoopSession
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
    # to the loop's recruiter (coordinator.invites.notices): a decline with its fix, what the candidate did
    RECRUITER_NOTICE = "recruiter_notice"

    @property
    def label(self) -> str:
        return {
            "interviewer_invite": "Interviewer invite", "interviewer_update": "Interviewer update",
            "interviewer_cancel": "Interviewer cancellation", "interviewer_removed": "Taken off a session",
            "candidate_invite": "Candidate invite", "candidate_update": "Candidate update",
            "candidate_cancel": "Candidate cancellation", "interviewer_reminder": "Interviewer reminder",
            "team_reminder": "Hiring team reminder", "candidate_reminder": "Candidate reminder",
            "candidate_link": "Candidate's private link", "recruiter_notice": "Notice to the recruiter",
        }[self.value]

    @property
    def audience(self) -> str:
        return self.value.split("_", 1)[0]


class OutboxMessage(db.Model):
    """One e-mail to one recipient, from the moment a page caused it until the SMTP server accepted it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        one_of("status", OutboxStatus),
        one_of("kind", OutboxKind),
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

    status_label = LabelOf("status", OutboxStatus)
    kind_label = LabelOf("kind", OutboxKind)

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
    #: the candidate's answer from their calendar's REPLY (one of loops.models.Answer)
    answer: Mapped[str] = mapped_column(String(16), default="needs_action", server_default="needs_action")
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


class InboundStatus(StrEnum):
    PENDING = "pending"  # stored by the listener, not read yet
    APPLIED = "applied"  # an answer or a proposal was recorded
    IGNORED = "ignored"  # read, but not applied (old SEQUENCE, not that attendee, unknown UID, ...): `outcome` says why
    REFUSED = "refused"  # not an iTIP message that could be read (broken MIME, no calendar part)


class InboundMessage(db.Model):
    """One e-mail that reached the reply address, and what became of it: the record that every message in was
    seen, applied or ignored with a reason (the loop's history says the same in words)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        one_of("status", InboundStatus),
        Index("ix_inbound_messages_pending", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when the listener accepted it
    received_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the envelope sender (MAIL FROM)
    envelope_from: Mapped[str] = mapped_column(String(254), default="")
    #: the message as received (emptied once read: the outcome is what is kept)
    raw: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    #: its size in bytes
    size: Mapped[int] = mapped_column(default=0)
    #: one of InboundStatus
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.PENDING.value)
    #: the From address, once read
    from_address: Mapped[str] = mapped_column(String(254), default="")
    #: the iTIP METHOD (REPLY, COUNTER, ...), once read
    method: Mapped[str] = mapped_column(String(16), default="")
    #: the UID it answers, once read
    ical_uid: Mapped[str] = mapped_column(String(255), default="")
    #: the SEQUENCE it answers
    ical_sequence: Mapped[int | None] = mapped_column()
    #: what was done with it, or why not, one line
    outcome: Mapped[str] = mapped_column(Text, default="")
    #: the loop it concerned, when it named one
    loop_id: Mapped[int | None] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: when it was read
    processed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Proposal(db.Model):
    """Another time for a session, proposed by an attendee's calendar (iTIP COUNTER)."""

    __tablename__ = "reply_proposals"
    __table_args__ = (
        one_of("status", ProposalStatus),
        CheckConstraint("start_dt < end_dt", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the session it would move
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"), index=True)
    #: who proposed it (None: the candidate)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: how to name who proposed it
    proposer: Mapped[str] = mapped_column(String(160), default="")
    #: the proposed start
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the proposed end
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: their note (COMMENT), one paragraph
    comment: Mapped[str] = mapped_column(Text, default="")
    #: one of ProposalStatus
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.OPEN.value)
    #: the session's SEQUENCE it answered: a proposal for an older version of the session cannot be accepted
    sequence: Mapped[int] = mapped_column(default=0)
    #: when it arrived
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when the recruiter accepted or refused it
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeKind(StrEnum):
    DECLINED = "declined"  # an interviewer declined: the entry carries the replacement options
    PROPOSAL = "proposal"  # an attendee proposed another time
    CANDIDATE_ANSWER = "candidate_answer"  # the candidate's calendar answered (declined, tentative)
    AVAILABILITY = "availability"  # the candidate marked when they can interview
    SELF_BOOKED = "self_booked"  # the candidate booked the loop on their page
    MOVED = "moved"  # the candidate moved the loop on their page
    THANK_YOU = "thank_you"  # the candidate wrote a thank-you note

    @property
    def label(self) -> str:
        return {"declined": "Declined", "proposal": "Another time proposed", "candidate_answer": "Candidate answered",
                "availability": "Availability marked", "self_booked": "Loop booked by the candidate",
                "moved": "Loop moved by the candidate", "thank_you": "Thank-you note"}[self.value]

    @property
    def from_candidate_page(self) -> bool:
        """Batched into one e-mail per candidate per 15 minutes (`invites.notices.send_due`)."""
        return self in (NoticeKind.AVAILABILITY, NoticeKind.SELF_BOOKED, NoticeKind.MOVED, NoticeKind.THANK_YOU)


class Notice(db.Model):
    """One entry of the recruiter's "Needs action", until they mark it done (or it resolves itself: the decliner
    was replaced, the proposal decided)."""

    __tablename__ = "notices"
    __table_args__ = (
        one_of("kind", NoticeKind),
        Index("ix_notices_open", "done_dt", "loop_id"),
        Index("ix_notices_unsent", "emailed_dt", "candidate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one of NoticeKind
    kind: Mapped[str] = mapped_column(String(24))
    #: the loop
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the loop's candidate (the e-mails are batched per candidate)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    #: the session it is about, if one
    session_id: Mapped[int | None] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"))
    #: the interviewer it is about (who declined, who proposed)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the proposal it is about
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("reply_proposals.id", ondelete="CASCADE"))
    #: what happened, in words
    summary: Mapped[str] = mapped_column(Text, default="")
    #: a decline's replacement options when it arrived, as JSON [[user id, name, job title, interviews that week]]
    options: Mapped[str] = mapped_column(Text, default="")
    #: when it happened
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when the recruiter was e-mailed about it (None: not yet)
    emailed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it stopped needing action
    done_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    loop: Mapped[Loop] = relationship()
    session: Mapped[LoopSession | None] = relationship()
    user: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()

    @property
    def kind_label(self) -> str:
        return NoticeKind(self.kind).label

    @property
    def replacement_options(self) -> list[dict]:
        """A decline's replacement options as stored: [{"id", "name", "title", "week"}]."""
        import json

        try:
            return [dict(zip(("id", "name", "title", "week"), item, strict=False)) for item in json.loads(self.options)]
        except (ValueError, TypeError):
            return []
