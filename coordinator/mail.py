"""The one e-mail builder: every message coordinator sends (invites, reminders, the candidate's link) is an
`email.message.EmailMessage` begun here, so headers are written, encoded and guarded against injection one way.

Pure: plain values in, a message or its bytes out; no Flask, no database, no clock (`date` and `message_id` are
given). Names and subjects are reduced to one line before they become headers, non-ASCII text is encoded by the
standard library (RFC 2047 in headers, quoted-printable in bodies), and an address that is not a plain
local@domain raises MessageError.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email import policy as _policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from coordinator.timeutil import as_utc

__all__ = ["MessageError", "Mailbox", "build_email", "is_address", "new_message", "one_line"]

#: (display name, address)
Mailbox = tuple[str, str]

_ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_MESSAGE_ID_RE = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_BOUNDARY_RE = re.compile(r"[A-Za-z0-9'()+_,./:=?-]{1,70}")


class MessageError(ValueError):
    """The message cannot be built (an address that is not one, a malformed Message-ID)."""


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line (runs of whitespace, line breaks included, become one space), at most `limit` long."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_address(value: str) -> bool:
    """A plain addr-spec (local@domain) we are willing to write into a header."""
    return bool(value) and len(value) <= 254 and bool(_ADDRESS_RE.match(value)) and ".." not in value


def _mailbox(box: Mailbox, what: str) -> Address:
    name, address = box
    address = (address or "").strip()
    if not is_address(address):
        raise MessageError(f"{what}: not a usable e-mail address: {address!r}")
    return Address(display_name=one_line(name, 160), addr_spec=address)


def new_message(*, sender: Mailbox, to: Sequence[Mailbox], subject: str, reply_to: Mailbox | None = None,
                date: datetime | None = None, message_id: str | None = None,
                headers: Sequence[tuple[str, str]] = ()) -> EmailMessage:
    """A message with its headers and no body yet (the caller adds the parts). `date` and `message_id` are
    written only when given; `headers` are extra (name, value) pairs, each value reduced to one line."""
    if not to:
        raise MessageError("a message needs at least one recipient")
    msg = EmailMessage(policy=_policy.SMTP)
    msg["From"] = _mailbox(sender, "sender")
    msg["To"] = [_mailbox(box, "recipient") for box in to]
    if reply_to is not None:
        msg["Reply-To"] = _mailbox(reply_to, "reply_to")
    msg["Subject"] = one_line(subject, 900)
    if date is not None:
        msg["Date"] = format_datetime(as_utc(date))
    if message_id is not None:
        if not _MESSAGE_ID_RE.match(message_id):
            raise MessageError(f"not a Message-ID: {message_id!r}")
        msg["Message-ID"] = message_id
    for name, value in headers:
        msg[name] = one_line(value, 900)
    return msg


def build_email(*, sender: Mailbox, to: Mailbox, subject: str, text: str, html: str, reply_to: Mailbox | None,
                date: datetime, message_id: str, boundary: str, headers: Sequence[tuple[str, str]] = ()) -> bytes:
    """The RFC 5322 bytes of a multipart/alternative e-mail (text and HTML, UTF-8, quoted-printable), CRLF line
    ends, 7-bit clean: what a reminder or the candidate's link e-mail stores in the outbox.

    `sender`, `to` and `reply_to` are (name, address); the MIME `boundary` is given, so the same reminder is the
    same bytes."""
    if not _BOUNDARY_RE.fullmatch(boundary):
        raise MessageError(f"not a MIME boundary: {boundary!r}")
    msg = new_message(sender=sender, to=[to], subject=subject, reply_to=reply_to, date=date, message_id=message_id,
                      headers=headers)
    msg.set_content(text.replace("\r\n", "\n"), cte="quoted-printable")
    msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", cte="quoted-printable")
    msg.set_boundary(boundary)
    for part in msg.iter_parts():  # EmailMessage gives each part it creates its own MIME-Version: top level only
        del part["MIME-Version"]
    return msg.as_bytes()
