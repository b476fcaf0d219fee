"""Accounts: users, the roles they hold and their working hours."""

from __future__ import annotations

import secrets
from datetime import datetime, time

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.roles import Role
from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.timeutil import now_utc

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sign-in name, stored lower-case
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: how colleagues and candidates see this person
    name: Mapped[str] = mapped_column(String(120))
    #: shown to candidates so they can prepare ("Staff Engineer, Payments")
    job_title: Mapped[str] = mapped_column(String(120), default="")
    #: IANA zone the person works in; every time they see is shown in it
    timezone: Mapped[str] = mapped_column(String(64))
    #: Argon2id hash; None until the user sets a password through a link
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: a disabled user cannot sign in and loses any open session
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: part of the login cookie; changing it signs the user out everywhere
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    #: when the account was created
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: last successful sign-in
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: most interviews a day (in their zone) the scheduler may give them
    max_interviews_per_day: Mapped[int] = mapped_column(default=2, server_default="2")
    #: most interviews an ISO week (in their zone)
    max_interviews_per_week: Mapped[int] = mapped_column(default=5, server_default="5")
    #: minutes kept free before each interview
    buffer_before_min: Mapped[int] = mapped_column(default=0, server_default="0")
    #: minutes kept free after each interview
    buffer_after_min: Mapped[int] = mapped_column(default=0, server_default="0")
    #: base32 secret of the authenticator app; None while the second factor is off
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: the last accepted TOTP time step, so a code cannot be used twice
    totp_last_counter: Mapped[int | None] = mapped_column()
    #: an API key's service user (api.models.ApiKey): never signs in, not listed with the people
    is_service: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    #: loaded when asked for: pages load dozens of people (interviewers, managers) whose roles they never read;
    #: the signed-in user's come with it (web.load_user), and lists that show roles load them with the users
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    working_hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="WorkingHours.weekday"
    )

    # Flask-Login
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_enabled

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        mine = self.roles
        return any(r in mine for r in roles)

    def set_roles(self, roles: set[Role]) -> None:
        current = {Role(r.role): r for r in self.role_rows}
        for role, row in current.items():
            if role not in roles:
                self.role_rows.remove(row)
        for role in roles - set(current):
            self.role_rows.append(UserRole(role=role.value))

    @property
    def role_labels(self) -> list[str]:
        return [r.label for r in sorted(self.roles, key=lambda r: list(Role).index(r))]

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None

    def revoke_sessions(self) -> None:
        """Invalidate every login cookie issued so far."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'recruiter', 'hiring_manager', 'interviewer')", name="role_known"
        ),
    )

    #: the user holding the role
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: one of Role
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class WorkingHours(db.Model):
    """One working window on one weekday, in the user's own time zone."""

    __tablename__ = "working_hours"
    __table_args__ = (
        UniqueConstraint("user_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose hours these are
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: 0 = Monday ... 6 = Sunday
    weekday: Mapped[int]
    #: local wall-clock start
    start_time: Mapped[time]
    #: local wall-clock end (same day)
    end_time: Mapped[time]

    user: Mapped[User] = relationship(back_populates="working_hours")

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.weekday]
