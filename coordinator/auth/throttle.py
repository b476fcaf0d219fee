"""Sign-in limits, kept in the database so every worker and host shares them.

For an account: after 3 failures within 15 minutes each further try must wait 2, 4, 8 ... seconds after the last
failure; after 10 failures the account's sign-in is refused for the rest of the window. For an address: 30 failures
within 15 minutes, then refused. Refusals are 429s with Retry-After.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select

from coordinator.audit.models import LoginAttempt
from coordinator.extensions import db
from coordinator.timeutil import now_utc

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3
ACCOUNT_LOCK_FAILURES = 10
ADDRESS_LOCK_FAILURES = 30
KEEP = timedelta(days=1)


def retry_after(email: str, ip: str) -> int | None:
    """Seconds the caller must wait before another try, or None to go ahead."""
    now = now_utc()
    since = now - WINDOW
    failures, last = db.session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.created_dt))
        .where(LoginAttempt.email == email, LoginAttempt.created_dt > since, LoginAttempt.succeeded.is_(False))
    ).one()
    if failures >= ACCOUNT_LOCK_FAILURES:
        oldest = db.session.scalar(
            select(func.min(LoginAttempt.created_dt))
            .where(LoginAttempt.email == email, LoginAttempt.created_dt > since, LoginAttempt.succeeded.is_(False))
        )
        return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
    if failures >= FREE_FAILURES and last is not None:
        wait = timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)) - (now - last)
        if wait.total_seconds() > 0:
            return math.ceil(wait.total_seconds())
    by_address = db.session.scalar(
        select(func.count(LoginAttempt.id))
        .where(LoginAttempt.ip == ip, LoginAttempt.created_dt > since, LoginAttempt.succeeded.is_(False))
    )
    if by_address >= ADDRESS_LOCK_FAILURES:
        return int(WINDOW.total_seconds())
    return None


def note(email: str, ip: str, succeeded: bool) -> None:
    now = now_utc()
    db.session.add(LoginAttempt(created_dt=now, email=email[:254], ip=ip[:45], succeeded=succeeded))
    if succeeded:
        # A good sign-in clears the account's recent failures.
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_dt < now - KEEP))
