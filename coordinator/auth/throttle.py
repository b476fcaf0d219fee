"""Sign-in limits, kept in the database so every worker and host shares them.

For an account: after 3 failures within 15 minutes each further try must wait 2, 4, 8 ... seconds after the last
failure; after 10 failures the account's sign-in is refused for the rest of the window. For an address: 30 failures
within 15 minutes, then refused. Refusals are 429s with Retry-After.
"""

from __future__ import annotations

from datetime import timedelta

from coordinator.audit.models import LoginAttempt
from coordinator.ratelimit import Counter, wait_seconds
from coordinator.timeutil import now_utc

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3
ACCOUNT_LOCK_FAILURES = 10
ADDRESS_LOCK_FAILURES = 30
KEEP = timedelta(days=1)

_attempts = Counter(LoginAttempt, WINDOW, KEEP)
_failed = LoginAttempt.succeeded.is_(False)


def retry_after(email: str, ip: str) -> int | None:
    """Seconds the caller must wait before another try, or None to go ahead."""
    now = now_utc()
    account = _attempts.tally(LoginAttempt.email == email, _failed, now=now)
    if account.count >= ACCOUNT_LOCK_FAILURES:
        return _attempts.until_window_clears(account, now)
    if account.count >= FREE_FAILURES and account.newest is not None:
        wait = timedelta(seconds=2 ** (account.count - FREE_FAILURES + 1)) - (now - account.newest)
        if wait.total_seconds() > 0:
            return wait_seconds(wait)
    if _attempts.tally(LoginAttempt.ip == ip, _failed, now=now).count >= ADDRESS_LOCK_FAILURES:
        return int(WINDOW.total_seconds())
    return None


def note(email: str, ip: str, succeeded: bool) -> None:
    _attempts.note(now_utc(), email=email[:254], ip=ip[:45], succeeded=succeeded)
    if succeeded:
        # A good sign-in clears the account's recent failures.
        _attempts.forget(LoginAttempt.email == email, _failed)
