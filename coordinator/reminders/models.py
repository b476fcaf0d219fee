"""Reminders: one row per message to send at a moment (what, for whom, about which loop, due when).

The rows are the record, the scheduler process only the clock. `services.sync_loops` derives the rows a loop needs
from the loop's state (`rules.plan`) and upserts them by `key`; `reminders.jobs.process_due` claims the due ones, puts
the message into the outbox and marks them sent in the same transaction. A reminder that is no longer wanted is
`cancelled` (the loop moved, a decision was recorded); one that is due but cannot or should not go out is
`skipped`, and `reason` says why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelOf
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import Loop
from coordinator.reminders.kinds import ReminderKind, ReminderStatus
from coordinator.timeutil import now_utc


class Reminder(db.Model):
    """One reminder to one person (a user or the candidate) about one loop."""

    __tablename__ = "reminders"
    __table_args__ = (
        one_of("kind", ReminderKind),
        one_of("status", ReminderStatus),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        # The poll: pending rows whose due time has come, earliest first.
        Index("ix_reminders_due", "status", "due_dt"),
        Index("ix_reminders_user_due", "user_id", "due_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one of ReminderKind
    kind: Mapped[str] = mapped_column(String(32))
    #: idempotency key: what, for whom, about which event at which time (rules.plan makes it); scheduling the same
    #: reminder twice finds this row instead of adding another
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: the recipient when it is a user (interviewer, recruiter, hiring manager)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the recipient when it is the candidate
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    #: the loop it is about; NULL once the loop is deleted (the reminder is then skipped, its record stays)
    loop_id: Mapped[int | None] = mapped_column(ForeignKey("loops.id", ondelete="SET NULL"), index=True)
    #: the session it is about, when it is about one
    session_id: Mapped[int | None] = mapped_column(ForeignKey("loop_sessions.id", ondelete="SET NULL"))
    #: whose scorecard it is about (the scorecard is the pair session + this interviewer: its row appears only
    #: when first saved); for the interviewer's own reminders, the recipient
    about_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the moment it is about: the session's start or end, the scorecard's due time, the decision date (UTC)
    event_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when to send it (UTC): the rule's time, moved out of the recipient's night
    due_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: one of ReminderStatus
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PENDING.value)
    #: times the poll took it up (1 once sent); a message that cannot be built is retried a few times
    attempts: Mapped[int] = mapped_column(default=0)
    #: why the last attempt to build the message failed, one line
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: why it was cancelled or skipped, in words for the people who read the list
    reason: Mapped[str] = mapped_column(Text, default="")
    #: when it went into the outbox
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the outbox message it became
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    #: when it was first scheduled
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: last change (scheduled again, moved, sent, cancelled)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    candidate: Mapped[Candidate | None] = relationship()
    about_user: Mapped[User | None] = relationship(foreign_keys=[about_user_id])
    outbox_message: Mapped[OutboxMessage | None] = relationship()
    loop: Mapped[Loop | None] = relationship()

    @property
    def kind_enum(self) -> ReminderKind:
        return ReminderKind(self.kind)

    kind_label = LabelOf("kind", ReminderKind)
    status_label = LabelOf("status", ReminderStatus)

    @property
    def about_line(self) -> str:
        """What it is about, in a few words: 'Ada Lovelace · Jonas Weber's scorecard'."""
        parts = []
        if self.loop is not None:
            parts.append(self.loop.candidate.name)
        if self.about_user is not None and self.about_user_id != self.user_id:
            parts.append(f"{self.about_user.name}'s scorecard")
        return " · ".join(parts) or "a deleted loop"

    @property
    def recipient_name(self) -> str:
        if self.user is not None:
            return self.user.name
        if self.candidate is not None:
            return f"{self.candidate.name} (candidate)"
        return "—"

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.kind} {self.status} due {self.due_dt:%Y-%m-%d %H:%M}Z>"
