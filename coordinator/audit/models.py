"""Audit events. Never scorecard text, never passwords: actions, targets and short sanitized details."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created", "created_dt"), Index("ix_audit_events_action", "action"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: who acted; None when signed out or for the system (the label says who then)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: the actor as text: a user's email at the time, "system", or the email typed at a failed sign-in
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    #: what happened, a short dotted name: auth.login, auth.login_failed, scorecard.viewed, ...
    action: Mapped[str] = mapped_column(String(48))
    #: the kind of thing acted on: user, candidate, loop, scorecard, ...
    target_type: Mapped[str] = mapped_column(String(32), default="")
    #: its id, when it has one
    target_id: Mapped[int | None] = mapped_column()
    #: the client address
    ip: Mapped[str] = mapped_column(String(45), default="")
    #: a short sanitized detail (single line, no personal text)
    detail: Mapped[str] = mapped_column(String(500), default="")

    actor: Mapped[User | None] = relationship()


class LoginAttempt(db.Model):
    """One sign-in attempt, kept a day, so limits hold across every worker and host."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_created", "email", "created_dt"),
                      Index("ix_login_attempts_ip_created", "ip", "created_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the email typed, normalised (it may not belong to any user)
    email: Mapped[str] = mapped_column(String(254))
    #: the client address
    ip: Mapped[str] = mapped_column(String(45))
    #: whether the password (and second factor) was right
    succeeded: Mapped[bool] = mapped_column(default=False)


class RolePolicy(db.Model):
    """Per-role security settings an admin sets."""

    __tablename__ = "role_policies"

    #: one of Role
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: everyone holding the role must use an authenticator app to sign in
    requires_totp: Mapped[bool] = mapped_column(default=False)
