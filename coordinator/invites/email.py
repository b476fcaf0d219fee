"""iMIP (RFC 6047) e-mail for calendar invites, and a plain SMTP sender.

`build_invite_email` is pure: it returns an `email.message.EmailMessage` shaped the way Gmail, Outlook,
Apple Mail and Thunderbird all recognise an invitation::

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; method=REQUEST; charset=UTF-8     (base64: the CRLFs of the .ics arrive untouched)
      application/ics; name=invite.ics                   (attachment, filename=invite.ics)

`send_message` delivers one message with smtplib and turns every failure into `DeliveryError`, whose
`code`/`permanent` an outbox can store to decide whether to retry. Queueing and retries are not here.
"""

from __future__ import annotations

import html as _html
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from coordinator.invites.ical_data import InviteError, InvitePerson, _line
from coordinator.mail import Mailbox, MessageError, new_message

__all__ = [
    "DeliveryError",
    "SMTPSettings",
    "build_invite_email",
    "ics_method",
    "send_message",
]

_METHOD_RE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


def ics_method(ics: bytes) -> str | None:
    """The METHOD of an iCalendar object (its first METHOD line), upper-cased, or None."""
    m = _METHOD_RE.search(ics)
    return m.group(1).decode("ascii").upper() if m else None


def _mailbox(person: InvitePerson) -> Mailbox:
    return _line(person.name), person.email or ""


def build_invite_email(
    *,
    ics: bytes,
    sender: InvitePerson,
    to: Sequence[InvitePerson],
    subject: str,
    text: str,
    html: str | None = None,
    method: str | None = None,
    reply_to: InvitePerson | None = None,
    date: datetime | None = None,
    message_id: str | None = None,
    filename: str = "invite.ics",
) -> EmailMessage:
    """An iMIP message carrying `ics` (bytes from `coordinator.invites.ical`).

    `method` defaults to the METHOD inside `ics` and must match it when given (RFC 6047 2.4). `html`
    defaults to the escaped `text`. Names and the subject are reduced to one line, so no header can be
    injected; an address that is not a valid addr-spec raises InviteError. `date` and `message_id` are
    written only when given (the function reads no clock and invents no id).
    """
    found = ics_method(ics)
    if found is None:
        raise InviteError("the calendar has no METHOD: an e-mailed invite needs REQUEST, CANCEL, ...")
    if method is not None and method.upper() != found:
        raise InviteError(f"method {method!r} does not match METHOD:{found} inside the calendar")
    if not to:
        raise InviteError("an invite needs at least one recipient")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}\.ics", filename):
        raise InviteError(f"unsafe attachment filename {filename!r}")

    try:
        msg = new_message(sender=_mailbox(sender), to=[_mailbox(p) for p in to], subject=subject,
                          reply_to=_mailbox(reply_to) if reply_to is not None else None, date=date,
                          message_id=message_id)
    except MessageError as exc:
        raise InviteError(str(exc)) from exc

    msg.set_content(text)
    if html is None:
        body = _html.escape(text)
        html = f'<html><body><pre style="font-family: inherit; white-space: pre-wrap">{body}</pre></body></html>'
    msg.add_alternative(html, subtype="html")
    msg.add_alternative(ics, maintype="text", subtype="calendar", params={"method": found, "charset": "UTF-8"})
    msg.add_attachment(ics, maintype="application", subtype="ics", filename=filename)
    for part in msg.walk():  # EmailMessage gives each part it creates its own MIME-Version: top level only
        if part is not msg:
            del part["MIME-Version"]
    return msg


# ------------------------------------------------------------------------------------------------ SMTP


@dataclass(frozen=True, slots=True)
class SMTPSettings:
    """How to reach the SMTP server. security: "starttls" (submission, port 587), "tls" (implicit TLS,
    port 465) or "none" (plain, e.g. a local relay). Credentials are used when `username` is set."""

    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise ValueError(f"security must be 'starttls', 'tls' or 'none', not {self.security!r}")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")


class DeliveryError(Exception):
    """A message could not be handed to the SMTP server.

    `code` is the SMTP reply code when the server gave one (550, 421, ...), `permanent` tells an outbox
    whether retrying can help (5xx replies, authentication and configuration problems are permanent;
    4xx replies, timeouts and connection failures are not). `str(error)` is a one-line summary to store.
    """

    def __init__(
        self, message: str, *, code: int | None = None, permanent: bool = False, refused: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.refused: dict[str, tuple[int, str]] = refused or {}


def _reply_text(resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return " ".join(text.split())


def send_message(msg: EmailMessage, settings: SMTPSettings) -> dict[str, tuple[int, str]]:
    """Send `msg` to its To/Cc/Bcc recipients. Returns the recipients the server refused while accepting
    others (smtplib's partial-failure dict, text decoded); raises DeliveryError when nothing was sent."""
    context = settings.ssl_context or ssl.create_default_context()
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=settings.local_hostname,
                timeout=settings.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                settings.host, settings.port, local_hostname=settings.local_hostname, timeout=settings.timeout
            )
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        recips = {r: (code, _reply_text(resp)) for r, (code, resp) in exc.recipients.items()}
        codes = [code for code, _ in recips.values()]
        summary = "; ".join(f"{r}: {code} {text}" for r, (code, text) in recips.items())
        raise DeliveryError(
            f"all recipients refused: {summary}",
            code=max(codes) if codes else None,
            permanent=bool(codes) and all(c >= 500 for c in codes),
            refused=recips,
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP authentication failed: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            code=exc.smtp_code,
            permanent=True,
        ) from exc
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, HELO refused, ...
        raise DeliveryError(
            f"SMTP server refused the message: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            code=exc.smtp_code,
            permanent=exc.smtp_code >= 500,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP server does not support what the settings need: {exc}", permanent=True) from exc
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"TLS certificate of {settings.host} not trusted: {exc}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections, DNS
        raise DeliveryError(f"could not talk to {settings.host}:{settings.port}: {exc!r}", permanent=False) from exc
    return {r: (code, _reply_text(resp)) for r, (code, resp) in refused.items()}
