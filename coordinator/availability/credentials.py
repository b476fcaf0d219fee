"""App passwords of live calendars, encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The key is COORDINATOR_CALENDAR_KEY (a Fernet key: `python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`); when it is unset, one is derived with HKDF-SHA256 from SECRET_KEY, so a
development install needs nothing and a leaked database alone does not give the passwords away. Changing the key
(or the SECRET_KEY it is derived from) makes stored passwords unreadable: those connections then say "connect
again".
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["UnreadableSecret", "decrypt", "encrypt"]


class UnreadableSecret(ValueError):
    """The stored password cannot be decrypted with the configured key."""


def _fernet() -> Fernet:
    configured = (current_app.config.get("CALENDAR_KEY") or "").strip()
    if configured:
        try:
            return Fernet(configured.encode())
        except ValueError as exc:
            raise RuntimeError("COORDINATOR_CALENDAR_KEY is not a Fernet key (32 url-safe base64 bytes)") from exc
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"coordinator-calendar-credentials",
               info=b"fernet-key-v1").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise UnreadableSecret("the stored password cannot be read with the configured key") from exc
