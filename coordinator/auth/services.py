"""Account rules: creating users, signing in (throttle, password, second factor), passwords, working hours.
No request objects here: the caller passes the client address."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from coordinator.audit import services as audit
from coordinator.auth import throttle, totp
from coordinator.auth.models import User, UserRole, WorkingHours
from coordinator.auth.passwords import hash_password, password_problem, verify_password
from coordinator.auth.roles import Role
from coordinator.errors import ServiceError
from coordinator.extensions import db
from coordinator.timeutil import is_valid_timezone, now_utc
from coordinator.web import persist_apart

DEFAULT_WORKING_HOURS: dict[int, tuple[time, time]] = {d: (time(9), time(17)) for d in range(5)}


class AccountError(ServiceError):
    """A rule about accounts was broken; `field` names the form field to show it on."""


class SignInThrottled(AccountError):
    """Too many failed sign-ins for this account or address: try again in `wait` seconds (a 429)."""

    status = 429

    def __init__(self, wait: int) -> None:
        super().__init__(f"For your safety, wait {wait} seconds before trying again.")
        self.wait = wait


@dataclass(frozen=True)
class UserData:
    email: str
    name: str
    job_title: str
    timezone: str
    roles: frozenset[Role]
    is_enabled: bool = True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _check(data: UserData, user: User | None = None) -> None:
    if not is_valid_timezone(data.timezone):
        raise AccountError("Choose a time zone from the list.", "timezone")
    if not data.roles:
        raise AccountError("Give the user at least one role.", "roles")
    existing = find_user_by_email(data.email)
    if existing is not None and existing is not user:
        raise AccountError("Another user already has this email address.", "email")


def create_user(data: UserData, password: str | None = None,
                working_hours: dict[int, tuple[time, time]] | None = None) -> User:
    _check(data)
    user = User(
        email=normalise_email(data.email), name=data.name.strip(), job_title=data.job_title.strip(),
        timezone=data.timezone, is_enabled=data.is_enabled,
    )
    user.set_roles(set(data.roles))
    if password is not None:
        set_password(user, password)
    set_working_hours(user, DEFAULT_WORKING_HOURS if working_hours is None else working_hours)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, data: UserData) -> None:
    _check(data, user)
    user.email = normalise_email(data.email)
    user.name = data.name.strip()
    user.job_title = data.job_title.strip()
    user.timezone = data.timezone
    user.set_roles(set(data.roles))
    if user.is_enabled and not data.is_enabled:
        user.revoke_sessions()  # a disabled user must not stay signed in on an old cookie
    user.is_enabled = data.is_enabled
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """Set a new password; every session signed in with the old one ends (a stolen cookie dies with it). The view
    signs its own user in again when they changed their own password (`keep_own_session`)."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.revoke_sessions()


def end_sessions_of_role_holders(roles: set[str]) -> list[User]:
    """A role now requires the second factor: everyone holding it is signed out everywhere, so nobody keeps a
    session that was opened without it. Returns those users."""
    if not roles:
        return []
    holders = db.session.scalars(
        select(User).where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(sorted(roles)))))
    ).all()
    for user in holders:
        user.revoke_sessions()
    db.session.flush()
    return list(holders)


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; unknown email and wrong password are indistinguishable."""
    user = find_user_by_email(email) if email else None
    if user is None:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_enabled:
        return None
    return user


# --- signing in -------------------------------------------------------------------------------------------------
# A failure is counted and audited in a transaction of its own: the page that says so is an error and commits
# nothing, and the count must hold for the next try.

def _check_throttle(email: str, ip: str) -> None:
    wait = throttle.retry_after(email, ip)
    if wait:
        audit.record_now("auth.login_throttled", actor_label=email)
        raise SignInThrottled(wait)


def _count_failure(email: str, ip: str, action: str, user: User | None = None) -> None:
    def write() -> None:
        throttle.note(email, ip, succeeded=False)
        audit.record(action, "user" if user is not None else "", user.id if user is not None else None,
                     actor_label=email)

    persist_apart(write)


def check_password(email: str, password: str, ip: str) -> User:
    """The first step of signing in: the user for these credentials. SignInThrottled when this account or address
    must wait; AccountError (on `password`) for a wrong email or password, which is counted."""
    email = normalise_email(email)
    _check_throttle(email, ip)
    user = authenticate(email, password)
    if user is None:
        _count_failure(email, ip, "auth.login_failed")
        raise AccountError("Wrong email or password.", "password")
    return user


def check_second_factor(user: User, code: str, ip: str) -> None:
    """The second step for a user with an authenticator app: the code must be current and not used before.
    SignInThrottled or AccountError (on `code`, counted as a failed sign-in) otherwise."""
    _check_throttle(user.email, ip)
    counter = totp.verify(user.totp_secret, code, user.totp_last_counter)
    if counter is None:
        _count_failure(user.email, ip, "auth.totp_failed", user)
        raise AccountError("That code is not right. Use the current code from your app.", "code")
    user.totp_last_counter = counter


def complete_sign_in(user: User, ip: str) -> bool:
    """The credentials are right: note the sign-in (it clears the account's failures). True when the user's role
    requires a second factor they have not set up yet, so they must enrol before doing anything else."""
    user.last_login_dt = now_utc()
    throttle.note(user.email, ip, succeeded=True)
    audit.record("auth.login", "user", user.id, actor=user)
    return totp.requires_totp(user) and not user.has_totp


def set_working_hours(user: User, hours: dict[int, tuple[time, time]]) -> None:
    """Replace the user's weekly working hours (local times in their zone)."""
    for weekday, (start, end) in hours.items():
        if not 0 <= weekday <= 6:
            raise AccountError("Unknown weekday.", "working_hours")
        if start >= end:
            raise AccountError("Working hours must end after they start.", "working_hours")
    by_day = {wh.weekday: wh for wh in user.working_hours}
    for weekday, row in by_day.items():
        if weekday not in hours:
            user.working_hours.remove(row)
    for weekday, (start, end) in sorted(hours.items()):
        row = by_day.get(weekday)
        if row is None:
            user.working_hours.append(WorkingHours(weekday=weekday, start_time=start, end_time=end))
        else:
            row.start_time, row.end_time = start, end


def working_hours_dict(user: User) -> dict[int, tuple[time, time]]:
    return {wh.weekday: (wh.start_time, wh.end_time) for wh in user.working_hours}


# --- set-password links -------------------------------------------------------------------------------------
# The token carries a fingerprint of the current password hash: once a password is set the link stops working.

_LINK_SALT = "coordinator.set-password"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_password_token(user: User, secret_key: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_LINK_SALT).dumps([user.id, _fingerprint(user)])


def user_for_password_token(token: str, secret_key: str, max_age_hours: int) -> User | None:
    try:
        user_id, fingerprint = URLSafeTimedSerializer(secret_key, salt=_LINK_SALT).loads(
            token, max_age=max_age_hours * 3600
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_enabled or _fingerprint(user) != fingerprint:
        return None
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
