"""Helpers for the outbox, delivery, flow and feed tests: a recording SMTP server, booking loops through the pages,
and reading what arrived with independent parsers (icalendar, vobject)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy

import icalendar
import pytest
import vobject
from aiosmtpd.controller import Controller
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.invites.models import OutboxMessage
from coordinator.loops.models import LoopSession
from coordinator.timeutil import local_to_utc, to_local


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps what arrived. `rcpt_reply` refuses recipients (all, or those in `refuse`);
    `stall` makes DATA hang (a server that times out)."""

    def __init__(self, rcpt_reply: str | None = None, refuse=(), stall: float = 0) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.rcpt_reply = rcpt_reply
        self.refuse = set(refuse)
        self.stall = stall

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply and (not self.refuse or address in self.refuse):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall:
            await asyncio.sleep(self.stall)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[Arrived]:
        return [Arrived.parse(content, rcpt) for _, rcpt, content in self.envelopes]


@pytest.fixture
def smtp_server():
    """Start a real SMTP server (aiosmtpd) on 127.0.0.1 and a free port: `port = smtp_server(Recorder())`."""
    controllers = []

    def start(handler: Recorder) -> int:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


def use_smtp(app, port: int, timeout: float = 5) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", SMTP_TIMEOUT=timeout,
                      MAIL_FROM="Coordinator <invites@coordinator.test>")


@dataclass
class Arrived:
    """One e-mail as it arrived, with its calendar read by two independent parsers."""

    msg: object
    rcpt: list[str]
    ics: bytes
    method: str
    text: str
    html: str
    events: dict = field(default_factory=dict)  # uid -> {start, end, sequence, status, attendees} (icalendar)
    vevents: dict = field(default_factory=dict)  # the same, read by vobject

    @classmethod
    def parse(cls, content: bytes, rcpt: list[str]) -> Arrived:
        msg = message_from_bytes(content, policy=email_policy.default)
        calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
        ics = calendar.get_payload(decode=True)
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        return cls(msg, rcpt, ics, calendar.get_param("method"), text, html, read_icalendar(ics), read_vobject(ics))

    @property
    def to(self) -> str:
        return self.msg["To"].addresses[0].addr_spec

    @property
    def subject(self) -> str:
        return str(self.msg["Subject"])

    @property
    def event(self) -> dict:
        (only,) = self.events.values()
        return only

    @property
    def uid(self) -> str:
        (only,) = self.events
        return only


def _addr(value) -> str:
    return str(value).removeprefix("mailto:").removeprefix("MAILTO:").lower()


def read_icalendar(ics: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(ics)
    out: dict = {}
    for ev in cal.walk("VEVENT"):
        attendees = ev.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        out[str(ev["UID"])] = {
            "start": ev.decoded("DTSTART").astimezone(UTC), "end": ev.decoded("DTEND").astimezone(UTC),
            "sequence": int(ev.get("SEQUENCE", 0)), "status": str(ev.get("STATUS")) if ev.get("STATUS") else None,
            "attendees": {_addr(a) for a in attendees}, "summary": str(ev.get("SUMMARY", "")),
            "description": str(ev.get("DESCRIPTION", "")),
        }
    return out


def read_vobject(ics: bytes) -> dict:
    cal = vobject.readOne(ics.decode("utf-8"))
    out = {}
    for ev in cal.vevent_list:
        attendees = getattr(ev, "attendee_list", [])
        out[ev.uid.value] = {
            "start": ev.dtstart.value.astimezone(UTC), "end": ev.dtend.value.astimezone(UTC),
            "sequence": int(ev.sequence.value) if hasattr(ev, "sequence") else 0,
            "status": ev.status.value if hasattr(ev, "status") else None,
            "attendees": {_addr(a.value) for a in attendees},
        }
    return out


def method_of(ics: bytes) -> str | None:
    cal = icalendar.Calendar.from_ical(ics)
    return str(cal["METHOD"]) if "METHOD" in cal else None


# --- loops through the pages ------------------------------------------------------------------------------------

def next_weekday(weekday: int = 0, at_least_days: int = 3) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def new_loop(client, candidate) -> str:
    response = client.post(f"/candidates/{candidate.id}/loops")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def add_session(client, loop_url: str, **fields) -> LoopSession:
    data = {"title": "Hiring manager", "kind": "one_on_one", "duration_min": "45", **fields}
    response = client.post(loop_url + "/sessions/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(LoopSession).order_by(LoopSession.id.desc())).first()


def place(client, loop_url: str, session: LoopSession, start_utc: datetime, interviewer_ids, tz: str) -> None:
    """Book (or move) a session by hand at `start_utc`, as a recruiter working in `tz`."""
    local = to_local(start_utc, tz)
    response = client.post(f"{loop_url}/sessions/{session.id}/place", data={
        "day": local.date().isoformat(), "start": local.strftime("%H:%M"),
        "interviewer_ids": [str(i) for i in interviewer_ids], "override_reason": "Agreed with everyone",
    })
    assert response.status_code == 302, response.get_data(as_text=True)


def at(day, hour: int, minute: int = 0, tz: str = "Europe/Berlin") -> datetime:
    return local_to_utc(day, time(hour, minute), tz)


def outbox(**where) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(db.session.scalars(query))
