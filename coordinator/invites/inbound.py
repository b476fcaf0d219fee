"""The reply address's listener (`flask --app coordinator inbound`): a small LMTP (or SMTP) server that the
company's mail server hands the reply address's mail to.

It does as little as it can while a sender waits: each message is stored (`invites.replies.store`, one short
write transaction) and answered 250, or 451 when the database cannot take it (the mail server keeps it and tries
again), or 552 when it is larger than COORDINATOR_INBOUND_MAX_BYTES (aiosmtpd's own limit, before anything is
stored). A reader thread in the same process reads what was stored in batches (`invites.jobs.read_replies`);
the scheduler runs the same reader every minute as a fallback. Nothing a sender sends can stop the listener:
aiosmtpd answers broken commands itself, and the reader refuses unreadable mail with a reason.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from flask import Flask

log = logging.getLogger(__name__)

#: recipients one message may name (the reply address, perhaps an alias or two)
MAX_RECIPIENTS = 20


class Reader:
    """The thread that reads stored replies in batches whenever the listener stored something (or every
    `poll` seconds): a flood of 1,000 replies is read as a few batches, not 1,000 transactions."""

    def __init__(self, app: Flask, poll: float = 30.0, gather: float = 0.25, batch: int = 200) -> None:
        self.app = app
        self.batch = batch  # smaller than the scheduler's: the listener's own stores wait while a batch is applied
        self.poll = poll
        self.gather = gather
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replies-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from coordinator.extensions import db
        from coordinator.invites.jobs import read_replies

        while not self._stop.is_set():
            self._wake.wait(self.poll)
            # let the rest of a burst arrive: a flood is read in a few large batches (one query per batch for the
            # sessions, one calendar read for its declines), not one transaction per message
            self._stop.wait(self.gather)
            self._wake.clear()
            with self.app.app_context():
                try:
                    read = read_replies(batch=self.batch)
                    if read:
                        log.info("read %s replies", read)
                finally:
                    db.session.remove()


class Handler:
    """aiosmtpd handler: accept the message, store it, wake the reader."""

    def __init__(self, app: Flask, reader: Reader | None, lmtp: bool) -> None:
        self.app = app
        self.reader = reader
        self.lmtp = lmtp

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _store(self, content: bytes, mail_from: str) -> int:
        from coordinator.dblock import write_transaction
        from coordinator.extensions import db
        from coordinator.invites.replies import store

        with self.app.app_context():
            try:
                with write_transaction():
                    row = store(content, mail_from or "")
                    db.session.commit()
                return row.id
            finally:
                db.session.remove()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):  # pragma: no cover - decode_data is off, aiosmtpd gives bytes
            content = content.encode("utf-8", "surrogateescape")
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._store, content, envelope.mail_from)
        except Exception:  # noqa: BLE001 - the database is away: the mail server keeps the message and retries
            log.exception("inbound: could not store a message")
            reply = "451 4.3.0 Cannot store the message now; try again later"
        else:
            reply = "250 2.0.0 Message accepted"
            if self.reader is not None:
                self.reader.wake()
        if self.lmtp:  # RFC 2033: one reply per accepted recipient
            return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))
        return reply


class InboundController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP or SMTP."""

    def __init__(self, handler: Handler, *, lmtp: bool, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)


def build(
    app: Flask,
    host: str,
    port: int,
    *,
    protocol: str = "lmtp",
    max_bytes: int | None = None,
    reader: Reader | None = None,
) -> InboundController:
    """The listener, not started yet (`.start()`, `.stop()`)."""
    lmtp = protocol.lower() == "lmtp"
    limit = int(max_bytes or app.config.get("INBOUND_MAX_BYTES") or 2 * 1024 * 1024)
    handler = Handler(app, reader, lmtp)
    return InboundController(
        handler, lmtp=lmtp, hostname=host, port=port, data_size_limit=limit, ident="coordinator replies"
    )
