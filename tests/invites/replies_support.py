"""Calendar answers as real clients write them, a booked loop to answer, and the listener on a loopback port.

The four clients differ in where the calendar part sits and how it is encoded (what each sends for Accept /
Decline / Propose new time, reduced to the MIME shape and iCalendar properties that matter):
* Outlook: multipart/alternative, text/plain + `text/calendar; method=REPLY`, base64; no ORGANIZER in the REPLY.
* Gmail: multipart/mixed [multipart/alternative [text/plain, text/html, text/calendar 7bit], invite.ics base64].
* Apple Calendar: multipart/mixed, text/plain + the text/calendar part as an attachment (iCal-….ics), quoted-printable.
* Thunderbird: multipart/mixed [multipart/alternative [text/plain, text/calendar QP], invite.ics attachment].
* attachment only: text/plain + application/ics (no method parameter), base64.
"""

from __future__ import annotations

import quopri
import smtplib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import encoders
from email import policy as email_policy
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid

import pytest
from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import func, select

from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.invites import inbound
from coordinator.invites.models import InboundMessage, InboundStatus
from coordinator.invites.services import session_uid
from coordinator.loops import services as loops
from coordinator.timeutil import local_to_utc
from tests.helpers import new_candidate, new_job, new_user
from tests.invites.outbox_support import free_port

REPLY_ADDRESS = "replies@coordinator.test"
PRODIDS = {
    "outlook": "Microsoft Exchange Server 2010",
    "gmail": "-//Google Inc//Google Calendar 70.9054//EN",
    "apple": "-//Apple Inc.//macOS 14.4//EN",
    "thunderbird": "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
    "attachment": "-//Example Corp//Calendar 1.0//EN",
}
CLIENTS = tuple(PRODIDS)


def reply_ics(
    client: str,
    uid: str,
    sequence: int,
    attendee: str,
    partstat: str = "ACCEPTED",
    *,
    method: str = "REPLY",
    name: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    comment: str = "",
) -> bytes:
    cal = Calendar()
    cal.add("PRODID", PRODIDS[client])
    cal.add("VERSION", "2.0")
    cal.add("METHOD", method)
    ev = Event()
    ev.add("UID", uid)
    ev.add("SEQUENCE", sequence)
    ev.add("DTSTAMP", datetime.now(UTC))
    ev.add("DTSTART", start or datetime(2030, 1, 7, 10, tzinfo=UTC))
    ev.add("DTEND", end or (start or datetime(2030, 1, 7, 10, tzinfo=UTC)) + timedelta(hours=1))
    ev.add("SUMMARY", "Interview")
    if client != "outlook":  # Outlook.com's REPLY carries no ORGANIZER (nextcloud/server#53949)
        org = vCalAddress(f"mailto:{REPLY_ADDRESS}")
        org.params["CN"] = "Rita Recruiter"
        ev.add("ORGANIZER", org)
    att = vCalAddress(f"mailto:{attendee}")
    att.params["PARTSTAT"] = partstat
    if name:
        att.params["CN"] = name
    ev.add("ATTENDEE", att)
    if comment:
        ev.add("COMMENT", comment)
    cal.add_component(ev)
    return cal.to_ical()


def _calendar(ics: bytes, method: str, encoding: str, attachment: str = "") -> MIMEBase:
    part = MIMEBase("text", "calendar", method=method, charset="utf-8")
    part.set_payload(ics)
    if encoding == "base64":
        encoders.encode_base64(part)
    elif encoding == "quoted-printable":
        part.set_payload(quopri.encodestring(ics).decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        part["Content-Transfer-Encoding"] = "7bit"
    if attachment:
        part.add_header("Content-Disposition", "attachment", filename=attachment)
    return part


def reply_email(
    client: str, ics: bytes, sender: str, *, method: str = "REPLY", to: str = REPLY_ADDRESS, name: str = ""
) -> bytes:
    """An e-mail carrying `ics` the way `client` sends it."""
    verb = {"REPLY": "Accepted", "COUNTER": "New time proposed"}.get(method, method)
    text = MIMEText(f"{verb}: Interview\n", "plain", "utf-8")
    if client == "outlook":
        msg = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(_calendar(ics, method, "base64"))
    elif client == "gmail":
        alt = MIMEMultipart("alternative")
        alt.attach(text)
        alt.attach(MIMEText(f"<p>{verb}</p>", "html", "utf-8"))
        alt.attach(_calendar(ics, method, "7bit"))
        msg = MIMEMultipart("mixed")
        msg.attach(alt)
        attachment = MIMEApplication(ics, "ics", name="invite.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        msg.attach(attachment)
    elif client == "apple":
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        msg.attach(_calendar(ics, method, "quoted-printable", attachment="iCal-20300107-1000.ics"))
    elif client == "thunderbird":
        alt = MIMEMultipart("alternative")
        alt.attach(text)
        alt.attach(_calendar(ics, method, "quoted-printable"))
        msg = MIMEMultipart("mixed")
        msg.attach(alt)
        attachment = MIMEApplication(ics, "ics", name="invite.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        msg.attach(attachment)
    else:  # the REPLY only as an attachment, no method parameter anywhere
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        attachment = MIMEApplication(ics, "ics", name="reply.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="reply.ics")
        msg.attach(attachment)
    msg["From"] = formataddr((name, sender)) if name else sender
    msg["To"] = to
    msg["Subject"] = f"{verb}: Interview"
    msg["Message-ID"] = make_msgid(domain="client.example")
    return msg.as_bytes(policy=email_policy.SMTP)  # CRLF line ends, as every client sends


# --- a booked loop ------------------------------------------------------------------------------------------------


def booked_loop(
    *, interviewers: int = 2, sessions: int = 1, days_ahead: int = 9, candidate=None, job=None, hour: int = 10
):
    """A loop with `sessions` booked one-on-ones/panels, through the loop services (the invites queue as usual)."""
    recruiter = (
        job.recruiter
        if job is not None
        else new_user(Role.RECRUITER, name="Rita Recruiter", email=f"rita{time.monotonic_ns()}@corp.example")
    )
    job = job or new_job(recruiter=recruiter)
    people = [new_user(Role.INTERVIEWER, name=f"Interviewer {n}") for n in range(interviewers)]
    spare = new_user(Role.INTERVIEWER, name="Sam Spare")
    candidate = candidate or new_candidate(job=job, email=f"cand{time.monotonic_ns()}@example.org")
    loop = loops.create_loop(candidate, recruiter)
    day = datetime.now(UTC).date() + timedelta(days=days_ahead)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    made = []
    for n in range(sessions):
        ids = tuple(p.id for p in people)
        made.append(
            loops.add_session(
                loop,
                loops.SessionData(
                    title=f"Session {n + 1}",
                    kind="panel" if len(ids) > 1 else "one_on_one",
                    duration_min=45,
                    interviewer_ids=ids,
                ),
                recruiter,
            )
        )
    db.session.flush()
    placements = [
        loops.Placement(
            s.id,
            local_to_utc(day, datetime.min.time().replace(hour=hour + n), "Europe/Berlin"),
            tuple(p.id for p in people),
        )
        for n, s in enumerate(made)
    ]
    loops.book(loop, placements, recruiter, override_reason="test")
    db.session.commit()
    return {
        "loop": loop,
        "sessions": made,
        "people": people,
        "recruiter": recruiter,
        "spare": spare,
        "candidate": candidate,
        "job": job,
        "uids": [session_uid(s.id) for s in made],
    }


# --- the listener -------------------------------------------------------------------------------------------------


@pytest.fixture
def listener(app) -> Iterator:
    """Start the reply listener on a free loopback port: `port = listener("lmtp")` (or "smtp"). Start it once the
    test's data is committed: on SQLite the test's own session and the listener's reader are two writers."""
    app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
    started = []

    def start(protocol: str = "lmtp", max_bytes: int = 2 * 1024 * 1024) -> int:
        reader = inbound.Reader(app, poll=5)
        reader.start()
        controller = inbound.build(app, "127.0.0.1", free_port(), protocol=protocol, max_bytes=max_bytes, reader=reader)
        controller.start()
        started.append((controller, reader))
        return controller.port

    yield start
    for controller, reader in started:
        controller.stop()
        reader.stop()


def send(port: int, protocol: str, messages: list[tuple[str, bytes]], to: str = REPLY_ADDRESS) -> list:
    """Send (envelope sender, bytes) messages over one connection; what each sendmail returned or raised."""
    results = []
    client = smtplib.LMTP("127.0.0.1", port) if protocol == "lmtp" else smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        for sender, raw in messages:
            try:
                results.append(client.sendmail(sender, [to], raw))
            except smtplib.SMTPException as exc:
                results.append(exc)
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            pass
    return results


def wait_read(expected: int, timeout: float = 60) -> None:
    """Until `expected` stored messages are read (the reader runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.commit()
        done = db.session.scalar(
            select(func.count(InboundMessage.id)).where(InboundMessage.status != InboundStatus.PENDING.value)
        )
        if done >= expected:
            db.session.expire_all()
            return
        assert time.monotonic() < deadline, f"only {done} of {expected} replies were read"
        time.sleep(0.05)
