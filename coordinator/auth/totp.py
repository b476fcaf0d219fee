"""The optional second factor: time-based one-time codes from an authenticator app (pyotp), QR codes (segno)."""

from __future__ import annotations

from functools import lru_cache

import pyotp
import segno

from coordinator.auth.models import User
from coordinator.timeutil import now_utc

ISSUER = "coordinator"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


@lru_cache(maxsize=16)
def qr_data_uri(uri: str) -> str:
    """The QR code the authenticator app scans, as an SVG data URI for an <img>. Kept for the last few URIs: the
    setup page shows the same one again after every wrong code, and drawing it is most of that page's time."""
    return segno.make(uri, error="m").svg_data_uri(scale=5)


def verify(secret: str, code: str, last_counter: int | None) -> int | None:
    """The accepted time step, or None. One step of clock drift either way; a used code is refused."""
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = now_utc()
    counter_now = totp.timecode(now)
    for step in (0, -1, 1):
        counter = counter_now + step
        if last_counter is not None and counter <= last_counter:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(counter), code):
            return counter
    return None


def requires_totp(user: User) -> bool:
    """Whether a role the user holds makes the second factor mandatory."""
    from sqlalchemy import select

    from coordinator.audit.models import RolePolicy
    from coordinator.extensions import db

    roles = [r.value for r in user.roles]
    return bool(db.session.scalar(
        select(RolePolicy.role).where(RolePolicy.role.in_(roles), RolePolicy.requires_totp).limit(1)
    ))
