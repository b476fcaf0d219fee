"""Settings, read from COORDINATOR_* environment variables.

Development needs nothing: SQLite and a generated secret key live in the instance folder. Production
(COORDINATOR_ENV=production) refuses to start without an explicit secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "COORDINATOR_"


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which setting to fix."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(name: str, default: float) -> float:
    value = _env(name)
    try:
        return float(value) if value is not None else default
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number, not {value!r}") from exc


def _positive_int(name: str) -> int | None:
    value = _env(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _proxy_hops() -> int:
    value = _env("PROXY_HOPS", "0")
    try:
        hops = int(value)  # type: ignore[arg-type]
    except ValueError:
        hops = -1
    if not 0 <= hops <= 5:
        raise ConfigError(
            f"{ENV_PREFIX}PROXY_HOPS must be the number of proxies in front of the app (0 to 5), not {value!r}"
        )
    return hops


def _dev_secret_key(instance_path: Path) -> str:
    """Generate a secret once and keep it, so sessions survive restarts in development."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the settings dict from the environment."""
    instance = Path(instance_path)
    env = _env("ENV", "development")
    is_production = env == "production"
    secret_key = _env("SECRET_KEY")
    if not secret_key:
        if is_production:
            raise ConfigError("COORDINATOR_SECRET_KEY must be set when COORDINATOR_ENV=production")
        secret_key = _dev_secret_key(instance)
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'coordinator.sqlite3'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "ENV_NAME": env,
        "IS_PRODUCTION": is_production,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(_env("SECURE_COOKIES"), default=is_production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(_env("SECURE_COOKIES"), default=is_production),
        "PERMANENT_SESSION_LIFETIME": int(_env("SESSION_HOURS", "8")) * 3600,  # type: ignore[arg-type]
        "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
        "MAX_CONTENT_LENGTH": int(_env("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),  # type: ignore[arg-type]
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000"),
        "DEFAULT_TIMEZONE": _env("DEFAULT_TIMEZONE", "Europe/Berlin"),
        "PASSWORD_LINK_HOURS": int(_env("PASSWORD_LINK_HOURS", "72")),  # type: ignore[arg-type]
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": int(_env("SMTP_PORT", "587")),  # type: ignore[arg-type]
        "SMTP_SECURITY": _env("SMTP_SECURITY", "starttls"),  # starttls | tls | none
        "SMTP_USERNAME": _env("SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "MAIL_FROM": _env("MAIL_FROM", "coordinator@localhost"),
        # Replies (invites.replies): the address calendars send their answers to (the invites' ORGANIZER, with
        # the recruiter as SENT-BY); unset, the recruiter is the ORGANIZER and answers are not read. The
        # listener (`flask inbound`) that the mail server hands that address's mail to over LMTP (or SMTP).
        "REPLY_ADDRESS": _env("REPLY_ADDRESS"),
        "INBOUND_HOST": _env("INBOUND_HOST", "127.0.0.1"),
        "INBOUND_PORT": int(_float("INBOUND_PORT", 8025)),
        "INBOUND_PROTOCOL": _env("INBOUND_PROTOCOL", "lmtp"),  # lmtp | smtp
        "INBOUND_MAX_BYTES": int(_float("INBOUND_MAX_BYTES", 2 * 1024 * 1024)),
        "QUERY_COUNT_HEADER": _bool(_env("QUERY_COUNT_HEADER")),
        # Argon2id cost for new password hashes (unset: argon2-cffi's defaults, RFC 9106's second profile, which
        # production should keep unless sign-in is measurably too slow on its hardware); existing hashes carry
        # their own cost and keep verifying. The test suite's servers set a cheap cost.
        "ARGON2_TIME_COST": _positive_int("ARGON2_TIME_COST"),
        "ARGON2_MEMORY_KIB": _positive_int("ARGON2_MEMORY_KIB"),
        "ARGON2_PARALLELISM": _positive_int("ARGON2_PARALLELISM"),
        # Reverse proxies in front of the app (deploy/: nginx, so 1). The client's address, scheme and host are
        # then taken from that many X-Forwarded-For/-Proto/-Host entries, counted from the right (the ones our own
        # proxies appended); 0 trusts none of them. Rate limits and the audit log use that address.
        "PROXY_HOPS": _proxy_hops(),
        # Sent (and failed) e-mails are kept in the outbox this many days, then deleted: they hold candidates'
        # names, itineraries and private links. 0 keeps them.
        "OUTBOX_KEEP_DAYS": int(_float("OUTBOX_KEEP_DAYS", 90)),
        # How long a deliverer's claim on an e-mail lasts unless it renews it (it does, every third, while alive):
        # the longest a killed scheduler's e-mails wait before another delivery round sends them.
        "OUTBOX_CLAIM_SECONDS": _float("OUTBOX_CLAIM_SECONDS", 25),
        # Reminders (the scheduler process): how often due ones are sent into the outbox, how often every loop's
        # reminders are reconciled with the loop, and how many are sent per transaction.
        "REMINDER_INTERVAL_SECONDS": _float("REMINDER_INTERVAL_SECONDS", 30),
        "REMINDER_SYNC_INTERVAL_SECONDS": _float("REMINDER_SYNC_INTERVAL_SECONDS", 600),
        "REMINDER_BATCH_SIZE": int(_float("REMINDER_BATCH_SIZE", 500)),
        # The API: calls one key may make per minute (then 429 with Retry-After), and how often the scheduler
        # sends due webhook deliveries.
        "API_RATE_PER_MINUTE": int(_float("API_RATE_PER_MINUTE", 600)),
        "WEBHOOK_INTERVAL_SECONDS": _float("WEBHOOK_INTERVAL_SECONDS", 15),
        # Live calendars (CalDAV): the Fernet key that encrypts stored app passwords (derived from SECRET_KEY when
        # unset), how often the scheduler syncs every connected calendar, how many servers it talks to at once,
        # and how long it waits for one answer.
        "CALENDAR_KEY": _env("CALENDAR_KEY"),
        "CALENDAR_SYNC_MINUTES": _float("CALENDAR_SYNC_MINUTES", 10),
        "CALENDAR_SYNC_WORKERS": int(_float("CALENDAR_SYNC_WORKERS", 4)),
        "CALENDAR_TIMEOUT_SECONDS": _float("CALENDAR_TIMEOUT_SECONDS", 20),
        # New loops send their invites the moment they are booked (true), or hold them for the recruiter to look
        # at and press Send (false, the default); each loop's settings can change it.
        "SEND_INVITES_AT_ONCE": _bool(_env("SEND_INVITES_AT_ONCE")),
        # Invite changes to the same person within this many minutes go out as one message (0: each at once).
        "INVITE_COALESCE_MINUTES": _float("INVITE_COALESCE_MINUTES", 3),
        # A meeting service that needs no account: "https://meet.jit.si" makes a room per loop on request.
        "VIDEO_BASE_URL": _env("VIDEO_BASE_URL", ""),
    }
