"""Reading what calendars send back to the reply address (iMIP, RFC 6047): a REPLY records that attendee's answer
on the session, a COUNTER becomes a proposal the recruiter may accept or refuse.

The listener (`invites.inbound`) only stores each message (`store`); `process_pending` reads the stored ones in
batches: every message of a batch is parsed once, the sessions and candidate events their UIDs name are loaded
in two queries, and the caller commits once per batch. A message is applied only when its UID is one of ours,
its SEQUENCE is the session's current one (or newer), its ATTENDEE is invited to that session and its From is
that attendee; anything else is ignored with the reason, in the loop's history when it names a loop and always
in `inbound_messages`. Nothing a sender writes can raise out of here: unreadable mail is refused with a reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.utils import parseaddr

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from coordinator.extensions import db
from coordinator.invites.models import (
    CandidateInviteEvent,
    InboundMessage,
    InboundStatus,
    NoticeKind,
    Proposal,
    ProposalStatus,
)
from coordinator.loops.changes import Change, ChangeKind, record
from coordinator.loops.models import Answer, Loop, LoopSession, LoopStatus, SessionInterviewer, SessionStatus
from coordinator.mail import one_line
from coordinator.timeutil import as_utc, format_range, now_utc

log = logging.getLogger(__name__)

#: how many stored messages one transaction reads
BATCH = 500
#: at most this many MIME parts are looked at (a message of 10,000 empty parts is not worth more)
MAX_PARTS = 50
_CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}
_SESSION_UID = re.compile(r"^session-(\d{1,18})-(interviewers|candidate)@([a-z0-9.-]+)$")
_WORDS = {
    Answer.ACCEPTED: "accepted",
    Answer.TENTATIVE: "tentatively accepted",
    Answer.DECLINED: "declined",
    Answer.NEEDS_ACTION: "has not decided on",
}


class Unreadable(ValueError):
    """Not an iTIP message coordinator can read (broken MIME, no calendar part, no VEVENT)."""


@dataclass(frozen=True)
class ReadReply:
    """What one e-mail said: its From, and the iTIP METHOD, UID, SEQUENCE, attendees with their PARTSTAT, and
    for a COUNTER the proposed times and comment."""

    from_address: str
    method: str
    uid: str
    sequence: int
    attendees: tuple[tuple[str, str], ...]  # (address, PARTSTAT), addresses case-folded
    start: datetime | None = None
    end: datetime | None = None
    comment: str = ""


# --- reading one message --------------------------------------------------------------------------------------------


def _address(value: object) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return parseaddr(text)[1].strip().casefold()


def _calendar_part(msg) -> tuple[bytes, str]:
    """The calendar bytes of a message and the method its Content-Type names: the text/calendar part inline, in a
    multipart/alternative, or only as an .ics attachment (Gmail, Outlook, Apple Mail, Thunderbird all differ)."""
    found: list[tuple[int, bytes, str]] = []
    for n, part in enumerate(msg.walk()):
        if n > MAX_PARTS:
            break
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if (
            ctype in _CALENDAR_TYPES
            or filename.endswith(".ics")
            or (ctype == "application/octet-stream" and filename.endswith(".ics"))
        ):
            payload = part.get_payload(decode=True)
            if payload:
                method = str(part.get_param("method") or "").upper()
                found.append((0 if ctype == "text/calendar" and method else 1, payload, method))
    if not found:
        raise Unreadable("no calendar part (text/calendar or an .ics attachment)")
    found.sort(key=lambda item: item[0])
    return found[0][1], found[0][2]


def _instant(value: object) -> datetime | None:
    """An aware UTC datetime from DTSTART/DTEND, or None for a date or a floating time (no zone to read it in)."""
    dt = getattr(value, "dt", None)
    if not isinstance(dt, datetime) or isinstance(dt, date) and not isinstance(dt, datetime):
        return None
    if dt.tzinfo is None:
        return None
    return as_utc(dt)


def read_message(raw: bytes) -> ReadReply:
    """Parse one e-mail; Unreadable with the reason when it is not an iTIP message we can read."""
    try:
        msg = message_from_bytes(raw, policy=email_policy.compat32)
        from_address = _address(msg.get("From", ""))
        data, part_method = _calendar_part(msg)
        cal = Calendar.from_ical(data)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile input may break the parsers in any way; it is refused
        raise Unreadable(f"the message could not be read: {type(exc).__name__}") from exc
    try:
        method = str(cal.get("METHOD") or part_method or "").upper()
        event = next(iter(cal.walk("VEVENT")), None)
        if event is None:
            raise Unreadable("the calendar has no event (VEVENT)")
        uid = str(event.get("UID") or "").strip()
        try:
            sequence = int(str(event.get("SEQUENCE", 0)))
        except ValueError:
            sequence = 0
        raw_attendees = event.get("ATTENDEE") or []
        if not isinstance(raw_attendees, list):
            raw_attendees = [raw_attendees]
        attendees = tuple(
            (_address(a), str(getattr(a, "params", {}).get("PARTSTAT", "")).upper()) for a in raw_attendees[:20]
        )
        start = end = None
        if method == "COUNTER":
            start = _instant(event.get("DTSTART"))
            end = _instant(event.get("DTEND"))
            duration = getattr(event.get("DURATION"), "dt", None)
            if start and end is None and isinstance(duration, timedelta):
                end = start + duration
        comment = one_line(str(event.get("COMMENT") or ""), 1000)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(f"the calendar could not be read: {type(exc).__name__}") from exc
    return ReadReply(from_address, method, uid[:255], sequence, attendees, start, end, comment)


# --- storing and processing ---------------------------------------------------------------------------------------


def store(raw: bytes, envelope_from: str = "") -> InboundMessage:
    """Keep one received message for `process_pending` (the listener commits right after, then answers 250)."""
    row = InboundMessage(
        raw=raw,
        size=len(raw),
        envelope_from=one_line(envelope_from, 254),
        status=InboundStatus.PENDING.value,
        received_dt=now_utc(),
    )
    db.session.add(row)
    return row


@dataclass
class Outcome:
    """What processing a batch did."""

    applied: int = 0
    ignored: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        return self.applied + self.ignored + self.refused


class _Batch:
    """The sessions and candidate events one batch of messages names, loaded in two queries."""

    def __init__(self, replies: Sequence[ReadReply], domain: str) -> None:
        self.domain = domain
        session_ids: set[int] = set()
        other: set[str] = set()
        for reply in replies:
            m = _SESSION_UID.match(reply.uid)
            if m and m.group(2) == "interviewers" and m.group(3) == domain:
                session_ids.add(int(m.group(1)))
            elif reply.uid.endswith("@" + domain):
                other.add(reply.uid)
        #: (session, person) declined in this batch: their replacement options are found together afterwards
        self.declines: list[tuple[LoopSession, object]] = []
        self.sessions: dict[int, LoopSession] = {}
        if session_ids:
            rows = db.session.scalars(
                select(LoopSession)
                .where(LoopSession.id.in_(session_ids))
                .options(
                    selectinload(LoopSession.participants).selectinload(SessionInterviewer.user),
                    selectinload(LoopSession.loop).selectinload(Loop.candidate),
                    selectinload(LoopSession.loop).selectinload(Loop.recruiter),
                )
            )
            self.sessions = {s.id: s for s in rows}
        self.candidate_events: dict[str, CandidateInviteEvent] = {}
        if other:
            events = db.session.scalars(select(CandidateInviteEvent).where(CandidateInviteEvent.uid.in_(other)))
            self.candidate_events = {e.uid: e for e in events}
            loop_ids = {e.loop_id for e in self.candidate_events.values()}
            self.loops = {
                loop.id: loop
                for loop in db.session.scalars(
                    select(Loop).where(Loop.id.in_(loop_ids)).options(selectinload(Loop.candidate))
                )
            }
        else:
            self.loops = {}

    def session_of(self, uid: str) -> LoopSession | None:
        m = _SESSION_UID.match(uid)
        if m and m.group(2) == "interviewers" and m.group(3) == self.domain:
            return self.sessions.get(int(m.group(1)))
        return None


def read_pending(limit: int = BATCH) -> list[tuple[int, ReadReply | None, str]]:
    """The oldest `limit` stored messages, parsed: (id, what it said or None, why it could not be read). Only
    reads the database, so the parsing (most of the work) happens before any write lock is taken."""
    rows = db.session.execute(
        select(InboundMessage.id, InboundMessage.raw)
        .where(InboundMessage.status == InboundStatus.PENDING.value)
        .order_by(InboundMessage.id)
        .limit(limit)
    ).all()
    out: list[tuple[int, ReadReply | None, str]] = []
    for row_id, raw in rows:
        try:
            out.append((row_id, read_message(bytes(raw)), ""))
        except Unreadable as exc:
            out.append((row_id, None, str(exc)))
    return out


def apply_read(read: Sequence[tuple[int, ReadReply | None, str]], *, now: datetime | None = None) -> Outcome:
    """Apply or ignore parsed messages (`read_pending`) in the caller's transaction; a message another reader
    finished meanwhile is skipped. The caller commits."""
    from coordinator.invites.services import uid_domain

    now = now or now_utc()
    outcome = Outcome()
    if not read:
        return outcome
    rows = {
        row.id: row
        for row in db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.id.in_([r[0] for r in read]), InboundMessage.status == InboundStatus.PENDING.value)
            .options(load_only(InboundMessage.id, InboundMessage.status))
        )
    }
    batch = _Batch([r for i, r, _ in read if r is not None and i in rows], uid_domain())
    for row_id, reply, error in read:
        row = rows.get(row_id)
        if row is None:
            continue
        row.processed_dt, row.raw = now, b""
        if reply is None:
            row.status, row.outcome = InboundStatus.REFUSED.value, one_line(error, 1000)
            outcome.refused += 1
            log.info("inbound %s refused: %s", row.id, error)
            continue
        row.from_address, row.method = reply.from_address[:254], reply.method[:16]
        row.ical_uid, row.ical_sequence = reply.uid, reply.sequence
        try:
            applied, why, loop_id = _apply(batch, reply, now)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
            log.exception("inbound %s could not be applied", row.id)
            applied, why, loop_id = False, f"could not be applied: {type(exc).__name__}", None
        row.loop_id, row.outcome = loop_id, one_line(why, 1000)
        row.status = (InboundStatus.APPLIED if applied else InboundStatus.IGNORED).value
        if applied:
            outcome.applied += 1
        else:
            outcome.ignored += 1
            log.info("inbound %s ignored: %s", row.id, why)
    if batch.declines:
        from coordinator.invites import notices

        notices.declined_many(batch.declines, now=now)
    db.session.flush()
    return outcome


def refuse(row_id: int, why: str, *, now: datetime | None = None) -> None:
    """A message that could not be applied even on its own: refused with the reason, so it is not read again."""
    row = db.session.get(InboundMessage, row_id)
    if row is not None and row.status == InboundStatus.PENDING.value:
        row.status, row.outcome, row.raw = InboundStatus.REFUSED.value, one_line(why, 1000), b""
        row.processed_dt = now or now_utc()


def process_pending(limit: int = BATCH, *, now: datetime | None = None) -> Outcome:
    """Read up to `limit` stored messages, oldest first, and apply or ignore each. The caller commits."""
    return apply_read(read_pending(limit), now=now)


# --- applying -------------------------------------------------------------------------------------------------------


def _ignore(loop: Loop | None, reply: ReadReply, why: str) -> tuple[bool, str, int | None]:
    if loop is not None:
        record(
            loop,
            None,
            "reply_ignored",
            f"Ignored a {reply.method or 'calendar'} from {reply.from_address or '?'}: {why}.",
            actor_label="Calendar reply",
        )
    return False, why, loop.id if loop is not None else None


def _apply(batch: _Batch, reply: ReadReply, now: datetime) -> tuple[bool, str, int | None]:
    if reply.method not in ("REPLY", "COUNTER"):
        return False, f"method {reply.method or 'none'} is not an answer (REPLY or COUNTER)", None
    session = batch.session_of(reply.uid)
    if session is not None:
        return _apply_interviewer(batch, session, reply, now)
    event = batch.candidate_events.get(reply.uid)
    if event is not None and event.loop_id in batch.loops:
        return _apply_candidate(batch.loops[event.loop_id], event, reply, now)
    return False, f"UID {reply.uid!r} is not one of this installation's events", None


def _who_answers(reply: ReadReply, invited: dict[str, object]) -> tuple[str, str] | str:
    """(address, PARTSTAT) of the invited attendee this message answers for, or why there is none: the ATTENDEE
    must be invited, and the From must be that attendee (a forged From answers for nobody)."""
    known = [(addr, ps) for addr, ps in reply.attendees if addr in invited]
    if not known:
        named = ", ".join(a for a, _ in reply.attendees) or "nobody"
        return f"the attendee ({named}) is not invited to it"
    for addr, ps in known:
        if addr == reply.from_address:
            return addr, ps
    return f"it comes from {reply.from_address or 'no address'}, not from the attendee {known[0][0]}"


def _apply_interviewer(
    batch: _Batch, session: LoopSession, reply: ReadReply, now: datetime
) -> tuple[bool, str, int | None]:
    loop = session.loop
    if loop.status == LoopStatus.CANCELLED.value or session.status == SessionStatus.CANCELLED.value:
        return _ignore(loop, reply, f"'{session.title}' is cancelled")
    if not session.is_booked or session.start_dt is None:
        return _ignore(loop, reply, f"'{session.title}' is not booked")
    if reply.sequence < session.ical_sequence:
        return _ignore(
            loop,
            reply,
            f"it answers an older version of '{session.title}' (SEQUENCE {reply.sequence}, "
            f"now {session.ical_sequence})",
        )
    invited = {p.user.email.strip().casefold(): p for p in session.participants if p.is_active}
    who = _who_answers(reply, invited)
    if isinstance(who, str):
        return _ignore(loop, reply, who)
    address, partstat = who
    seat = invited[address]
    when = format_range(session.start_dt, session.end_dt, loop.recruiter.timezone)
    if reply.method == "COUNTER":
        return _counter(session, seat, reply, now)
    answer = Answer.from_partstat(partstat)
    if answer is None:
        return _ignore(loop, reply, f"PARTSTAT {partstat or 'missing'} is not an answer")
    before = seat.answer
    seat.answer, seat.answer_dt = answer.value, now
    record(
        loop,
        None,
        "answer",
        f"{seat.user.name} {_WORDS[answer]} '{session.title}' ({when}).",
        actor_label=seat.user.name,
    )
    if answer is Answer.DECLINED and before != Answer.DECLINED.value:
        batch.declines.append((session, seat.user))
    return True, f"{seat.user.name}: {answer.label}", loop.id


def _counter(
    session: LoopSession, seat: SessionInterviewer, reply: ReadReply, now: datetime
) -> tuple[bool, str, int | None]:
    loop = session.loop
    if reply.start is None or reply.end is None or reply.end <= reply.start:
        return _ignore(loop, reply, "the proposed time has no zone or no end")
    if reply.end - reply.start > timedelta(hours=8) or reply.start < now:
        return _ignore(loop, reply, "the proposed time is in the past or longer than 8 hours")
    proposal = Proposal(
        loop_id=loop.id,
        session_id=session.id,
        user_id=seat.user_id,
        proposer=seat.user.name,
        start_dt=reply.start,
        end_dt=reply.end,
        comment=reply.comment,
        sequence=session.ical_sequence,
        status=ProposalStatus.OPEN.value,
        created_dt=now,
    )
    db.session.add(proposal)
    db.session.flush()
    when = format_range(reply.start, reply.end, loop.recruiter.timezone)
    record(
        loop,
        None,
        "proposal",
        f"{seat.user.name} proposed another time for '{session.title}': {when}."
        + (f" “{reply.comment}”" if reply.comment else ""),
        actor_label=seat.user.name,
    )
    from coordinator.invites import notices

    notices.proposed(proposal, session, now=now)
    return True, f"{seat.user.name} proposed {when}", loop.id


def _apply_candidate(
    loop: Loop, event: CandidateInviteEvent, reply: ReadReply, now: datetime
) -> tuple[bool, str, int | None]:
    candidate = loop.candidate
    if loop.status == LoopStatus.CANCELLED.value or event.is_cancelled:
        return _ignore(loop, reply, "that interview is cancelled")
    if reply.sequence < event.sequence:
        return _ignore(loop, reply, f"it answers an older invitation (SEQUENCE {reply.sequence}, now {event.sequence})")
    who = _who_answers(reply, {candidate.email.strip().casefold(): candidate})
    if isinstance(who, str):
        return _ignore(loop, reply, who)
    _address_, partstat = who
    when = format_range(event.start_dt, event.end_dt, loop.recruiter.timezone)
    from coordinator.invites import notices

    if reply.method == "COUNTER":
        if reply.start is None or reply.end is None or reply.end <= reply.start:
            return _ignore(loop, reply, "the proposed time has no zone or no end")
        proposed = format_range(reply.start, reply.end, loop.recruiter.timezone)
        summary = f"The candidate proposed another time for {event.summary or 'their interview'}: {proposed}." + (
            f" “{reply.comment}”" if reply.comment else ""
        )
        record(loop, None, "proposal", summary, actor_label="Candidate")
        notices.candidate_did(loop, NoticeKind.CANDIDATE_ANSWER, summary, now=now)
        return True, "the candidate proposed another time", loop.id
    answer = Answer.from_partstat(partstat)
    if answer is None:
        return _ignore(loop, reply, f"PARTSTAT {partstat or 'missing'} is not an answer")
    before = event.answer
    event.answer = answer.value
    summary = f"The candidate {_WORDS[answer]} the invitation for {event.summary or 'their interview'} ({when})."
    record(loop, None, "answer", summary, actor_label="Candidate")
    if answer in (Answer.DECLINED, Answer.TENTATIVE) and before != answer.value:
        notices.candidate_did(loop, NoticeKind.CANDIDATE_ANSWER, summary, now=now)
    return True, f"the candidate: {answer.label}", loop.id


# --- following loops ------------------------------------------------------------------------------------------------


def after_loop_change(change: Change) -> None:
    """The follower of loops: a session booked again or moved asks everyone anew (its invite goes out with
    RSVP), so their answers start over; a decline whose decliner left the session, or whose session moved or was
    cancelled, no longer needs action."""
    if change.kind is not ChangeKind.BOOKING:
        return None
    from coordinator.invites import notices

    moved = set(change.booked) | set(change.cancelled)
    if moved:
        for seat in db.session.scalars(select(SessionInterviewer).where(SessionInterviewer.session_id.in_(moved))):
            if seat.answer != Answer.NEEDS_ACTION.value:
                seat.answer, seat.answer_dt = Answer.NEEDS_ACTION.value, None
    notices.resolve_for_change(moved, change.removed)
    return None


# --- the recruiter decides on a proposal -----------------------------------------------------------------------------


def accept_proposal(proposal: Proposal, actor, reason: str = "") -> Change:
    """Move the session to the proposed time through the normal booking path (`loops.booking.book`: conflicts
    refused, soft problems need a reason, invites and reminders follow). LoopError when it cannot."""
    from coordinator.invites import notices
    from coordinator.loops.booking import Placement, book
    from coordinator.loops.changes import LoopError

    if proposal.status != ProposalStatus.OPEN.value:
        raise LoopError("This proposal was already decided.")
    session = db.session.get(LoopSession, proposal.session_id)
    if session is None or not session.is_booked:
        raise LoopError("That session is no longer booked; find a time for it instead.")
    if session.ical_sequence != proposal.sequence:
        raise LoopError("The session changed since this time was proposed; look at it again before moving it.")
    placement = Placement(
        session.id, proposal.start_dt, tuple(u.id for u in session.interviewers), tuple(u.id for u in session.shadows)
    )
    proposal.status, proposal.decided_dt = ProposalStatus.ACCEPTED.value, now_utc()
    change = book(session.loop, [placement], actor, override_reason=reason, action="rescheduled")
    record(
        session.loop, actor, "proposal_accepted", f"Accepted {proposal.proposer}'s proposed time for '{session.title}'."
    )
    notices.close_proposal(proposal.id)
    return change


def refuse_proposal(proposal: Proposal, actor) -> None:
    """Keep the session where it is; the proposal is closed and the history says so."""
    from coordinator.invites import notices
    from coordinator.loops.changes import LoopError

    if proposal.status != ProposalStatus.OPEN.value:
        raise LoopError("This proposal was already decided.")
    proposal.status, proposal.decided_dt = ProposalStatus.REFUSED.value, now_utc()
    session = db.session.get(LoopSession, proposal.session_id)
    record(
        session.loop,
        actor,
        "proposal_refused",
        f"Kept '{session.title}' where it is: refused {proposal.proposer}'s proposed time.",
    )
    notices.close_proposal(proposal.id)
    db.session.flush()
