"""The candidate's private page: its link (the only key), its per-loop settings, its rate limits and the
thank-you notes candidates leave for the people they met.

The link's token is never stored: only its SHA-256 hash, looked up by hash and compared in constant time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.loops.models import Loop
from coordinator.timeutil import now_utc


class CandidatePortal(db.Model):
    """What the recruiter decided about a loop's candidate page, and what the candidate has used of it."""

    __tablename__ = "candidate_portals"
    __table_args__ = (
        CheckConstraint("link_days >= 1 AND link_days <= 60", name="link_days_range"),
        CheckConstraint("reschedules_used >= 0", name="reschedules_positive"),
    )

    #: the loop the page belongs to (one page per loop)
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), primary_key=True)
    #: the candidate may pick one of the engine's options for the whole loop and book it
    allow_self_booking: Mapped[bool] = mapped_column(default=False)
    #: how many days a new link works (the recruiter's last choice, offered again next time)
    link_days: Mapped[int] = mapped_column(default=14)
    #: "what to expect in a second interview", written by the recruiter; empty means the default text
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    #: times the candidate moved their booked loop themself (they may do it once)
    reschedules_used: Mapped[int] = mapped_column(default=0)
    #: when the candidate last booked or moved the loop on their page
    self_booked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last change of these settings
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    loop: Mapped[Loop] = relationship()


class CandidateLink(db.Model):
    """One private link to a loop's candidate page. A new link revokes the loop's earlier ones."""

    __tablename__ = "candidate_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop whose page it opens
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: hex SHA-256 of the token (the token itself exists only in the link that was sent)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: when it was made
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: who made it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: after this instant the link opens nothing
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when it was revoked (by hand, or by a newer link); None while it works
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the address it was sent to
    sent_to: Mapped[str] = mapped_column(String(254), default="")
    #: when the candidate last opened a page with it
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    loop: Mapped[Loop] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_dt is None and now < self.expires_dt


class CandidatePortalHit(db.Model):
    """One request to a candidate page, kept a day, so rate limits hold across every worker and host."""

    __tablename__ = "candidate_portal_hits"
    __table_args__ = (
        Index("ix_candidate_portal_hits_token_created", "token_hash", "created_dt"),
        Index("ix_candidate_portal_hits_ip_created", "ip", "created_dt"),
        Index("ix_candidate_portal_hits_created", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: hex SHA-256 of the token presented (right or wrong)
    token_hash: Mapped[str] = mapped_column(String(64))
    #: the client address
    ip: Mapped[str] = mapped_column(String(45))
    #: the token opened nothing (wrong, expired, revoked or mangled)
    failed: Mapped[bool] = mapped_column(default=False)


class CandidateNote(db.Model):
    """A thank-you note the candidate wrote after the loop, for the recruiter to pass on to one person."""

    __tablename__ = "candidate_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the loop
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: whom it is for (someone the candidate met in the loop)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the note, as the candidate wrote it (shown as plain text)
    body: Mapped[str] = mapped_column(Text)
    #: when it was written
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when the recruiter marked it as passed on; None until then
    passed_on_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    to_user: Mapped[User] = relationship()
