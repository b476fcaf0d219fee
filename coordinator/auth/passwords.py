"""Password hashing (Argon2id through argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("coordinator-dummy-password")


def configure(time_cost: int | None = None, memory_kib: int | None = None, parallelism: int | None = None) -> None:
    """Change the Argon2id cost (the test suite uses a cheaper one; production keeps the defaults).

    Existing hashes carry their own parameters and keep verifying.
    """
    global _hasher, _DUMMY_HASH
    if time_cost is None and memory_kib is None and parallelism is None:
        return
    default = PasswordHasher()
    _hasher = PasswordHasher(time_cost=time_cost or default.time_cost, memory_cost=memory_kib or default.memory_cost,
                             parallelism=parallelism or default.parallelism)
    _DUMMY_HASH = _hasher.hash("coordinator-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _verify_dummy(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None
