"""The one e-mail builder: every message coordinator sends (invites, reminders, the candidate's link) is an
`email.message.EmailMessage` begun here, so headers are written, encoded and guarded against injection one way.

Pure: plain values in, a message or its bytes out; no Flask, no database, no clock (`date` and `message_id` are
given). Names and subjects are reduced to one line before they become headers, non-ASCII text is encoded by the
standard library (RFC 2047 in headers, quoted-printable in bodies), and an address that is not a plain
local@domain raises MessageError.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from datetime import datetime
from email import policy as _policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache

from coordinator.timeutil import as_utc

__all__ = ["MessageError", "Mailbox", "build_email", "is_address", "new_message", "one_line"]

#: (display name, address)
Mailbox = tuple[str, str]

_POLICY = _policy.SMTP

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


def _mailbox(box: Mailbox, what: str) -> Mailbox:
    name, address = box
    address = (address or "").strip()
    if not is_address(address):
        raise MessageError(f"{what}: not a usable e-mail address: {address!r}")
    return one_line(name, 160), address


# A display name the standard library writes as it is: atext and spaces, no encoded-word marker.
_PLAIN_NAME_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")
# A Message-ID the standard library writes as it is: dot-atom text on both sides (no comment, no quoting).
_PLAIN_MESSAGE_ID_RE = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+>")


def _as_written(name: str, value: str | tuple[Mailbox, ...]) -> str | None:
    """The value when the standard library would write it unchanged (ASCII, nothing to quote or encode, short
    enough not to fold), else None. Most reminder headers are such, and the header registry costs ~0.3 ms a
    header; `_standard` stays the reference (a test compares the two)."""
    if isinstance(value, tuple):
        if len(value) != 1:
            return None
        display, address = value[0]
        if not _PLAIN_NAME_RE.fullmatch(display) or "=?" in display:
            return None
        value = f"{display} <{address}>" if display else address
    elif not (value.isascii() and value.isprintable()) or "=?" in value:
        return None
    elif name == "Message-ID" and not _PLAIN_MESSAGE_ID_RE.fullmatch(value):
        return None
    return value if len(name) + 2 + len(value) <= 78 else None


def _standard(name: str, value: str | tuple[Mailbox, ...]) -> str:
    """A header's value as the standard library writes it: RFC 2047 encoded words where it is not ASCII,
    addresses quoted, folded at 78 characters."""
    parsed = [Address(display_name=n, addr_spec=a) for n, a in value] if isinstance(value, tuple) else value
    text = _POLICY.header_factory(name, parsed).fold(policy=_POLICY)
    return text[len(name) + 2:].rstrip("\r\n")


@lru_cache(maxsize=4096)
def _folded(name: str, value: str | tuple[Mailbox, ...]) -> str:
    """`_standard`, computed once per value (a batch of reminders shares its sender, reply-to, date and links)."""
    written = _as_written(name, value)
    return written if written is not None else _standard(name, value)


def _set(msg: EmailMessage, name: str, value: str | tuple[Mailbox, ...]) -> None:
    msg.set_raw(name, _folded(name, value))


def new_message(*, sender: Mailbox, to: Sequence[Mailbox], subject: str, reply_to: Mailbox | None = None,
                date: datetime | None = None, message_id: str | None = None,
                headers: Sequence[tuple[str, str]] = ()) -> EmailMessage:
    """A message with its headers and no body yet (the caller adds the parts). `date` and `message_id` are
    written only when given; `headers` are extra (name, value) pairs, each value reduced to one line."""
    if not to:
        raise MessageError("a message needs at least one recipient")
    msg = EmailMessage(policy=_POLICY)
    _set(msg, "From", (_mailbox(sender, "sender"),))
    _set(msg, "To", tuple(_mailbox(box, "recipient") for box in to))
    if reply_to is not None:
        _set(msg, "Reply-To", (_mailbox(reply_to, "reply_to"),))
    _set(msg, "Subject", one_line(subject, 900))
    if date is not None:
        _set(msg, "Date", format_datetime(as_utc(date)))
    if message_id is not None:
        if not _MESSAGE_ID_RE.match(message_id):
            raise MessageError(f"not a Message-ID: {message_id!r}")
        _set(msg, "Message-ID", message_id)
    for name, value in headers:
        _set(msg, name, one_line(value, 900))
    return msg


class _Structure(str):
    """A MIME structure header we write ourselves (ASCII, short: Content-Type, Content-Transfer-Encoding,
    MIME-Version), kept as written. The generator reads Content-Type again for every part it writes; a value
    that carries its own `fold` is neither parsed nor refolded each time."""

    def __new__(cls, name: str, value: str) -> _Structure:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: _policy.Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def _structure(msg: EmailMessage, name: str, value: str) -> None:
    msg.set_raw(name, _Structure(name, value))


def _text_part(subtype: str, text: str) -> EmailMessage:
    """A text/<subtype> part, UTF-8, quoted-printable (ASCII stays readable, lines at most 76 characters)."""
    part = EmailMessage(policy=_POLICY)
    _structure(part, "Content-Type", f'text/{subtype}; charset="utf-8"')
    _structure(part, "Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True).decode("ascii"))
    return part


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
    _structure(msg, "MIME-Version", "1.0")
    _structure(msg, "Content-Type", f'multipart/alternative; boundary="{boundary}"')
    msg.set_payload([_text_part("plain", text), _text_part("html", html)])
    return msg.as_bytes()
