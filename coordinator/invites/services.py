"""Invites for loops: from loop rows to the e-mails a change puts into the outbox.

Queueing (`queue_for_change`, `queue_for_session_edit`, `queue_for_settings`) runs inside the request that
changed the loop: it adds outbox rows and flushes, and the request's single commit stores them together with
the change, or neither. Nothing here sends while a page waits; `invites.jobs.deliver_due` (run by the scheduler
process, or `flask send-outbox`) does, through `invites.delivery`. Downloads and feeds are in `invites.feeds`;
`LoopData` (loop rows as the invite builder's plain data) serves all three.

What goes out for a change (RFC 5546):
* interviewers: a REQUEST per (session, person) for every booked or moved session, and for sessions whose
  people changed (the remaining people get the new attendee list); a CANCEL with STATUS:CANCELLED per person
  of a cancelled session; to someone taken off a session, a CANCEL that lists only them. SEQUENCE is
  `LoopSession.ical_sequence`, which the loop services bump on every change attendees see. One session per
  e-mail: Outlook and Gmail act on the first VEVENT of an iTIP message only.
* the candidate: their events under the loop's grouping (session, back-to-back block, day) are compared with
  what they were last sent (`CandidateInviteEvent`): a new or changed event gets a REQUEST (SEQUENCE one past
  the last sent), an event that is gone (a cancelled session, a block that split, a day left empty, another
  grouping) gets a CANCEL. No interviewer address, kit link or internal note ever goes to the candidate.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import insert, select
from werkzeug.routing import BuildError

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.invites import ical
from coordinator.invites.candidate_message import candidate_message
from coordinator.invites.email import build_invite_email
from coordinator.invites.models import CandidateInviteEvent, OutboxKind, OutboxMessage, OutboxStatus
from coordinator.invites.texts import TEXTS
from coordinator.loops.changes import Change, ChangeKind
from coordinator.loops.kinds import SessionKind
from coordinator.loops.models import Loop, LoopSession, ParticipantRole, SessionStatus
from coordinator.mail import one_line
from coordinator.timeutil import format_day, format_instant, format_times, format_when, now_utc, to_local

log = logging.getLogger(__name__)

_GROUPINGS = {"session": ical.Grouping.PER_SESSION, "block": ical.Grouping.PER_BLOCK, "day": ical.Grouping.PER_DAY}
_FINGERPRINT_SKIP = re.compile(rb"^(?:DTSTAMP|SEQUENCE)[:;][^\r\n]*\r\n", re.MULTILINE)
_FINGERPRINT_STAMP = datetime(2000, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------------------------- URLs, UIDs


def base_url() -> str:
    return str(current_app.config.get("BASE_URL") or "http://localhost").rstrip("/")


def uid_domain() -> str:
    """The host of BASE_URL: the right-hand side of every UID and Message-ID (stable per installation)."""
    host = (urlsplit(base_url()).hostname or "").lower()
    return host if host and re.fullmatch(r"[a-z0-9.-]+", host) else "coordinator.invalid"


def app_url(endpoint: str, **values: Any) -> str:
    """An absolute link into the app, from BASE_URL (never from the request: e-mails outlive it)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base_url() + path


def session_uid(session_id: int) -> str:
    return ical.stable_uid("session", session_id, "interviewers", uid_domain())


def session_candidate_uid(session_id: int) -> str:
    return ical.stable_uid("session", session_id, "candidate", uid_domain())


def loop_candidate_uid(loop_id: int) -> str:
    return ical.stable_uid("loop", loop_id, "candidate", uid_domain())


#: where an interviewer's kit lives, when the kits feature is installed (first found wins)
KIT_ENDPOINTS = ("kits.show", "kits.kit")


def kit_url(loop: Loop, session: LoopSession, user_id: int) -> str:
    """The interviewer's kit page when the kits feature provides one (`KIT_ENDPOINTS`, filled from loop_id,
    session_id and user_id), else the loop page."""
    known = {"loop_id": loop.id, "session_id": session.id, "user_id": user_id}
    for endpoint in KIT_ENDPOINTS:
        if endpoint not in current_app.view_functions:
            continue
        for rule in current_app.url_map.iter_rules(endpoint):
            if rule.arguments <= known.keys():
                try:
                    return app_url(endpoint, **{k: known[k] for k in rule.arguments})
                except BuildError:  # pragma: no cover - a rule we could not fill
                    continue
    return app_url("loops.show", loop_id=loop.id)


# ------------------------------------------------------------------------------------------- loop -> data


def _person(user: User) -> ical.InvitePerson:
    return ical.InvitePerson(user.name, user.email, user.job_title or "")


def reply_address() -> str:
    """COORDINATOR_REPLY_ADDRESS: where calendars send their answers (empty: answers are not read)."""
    return parseaddr(str(current_app.config.get("REPLY_ADDRESS") or ""))[1].strip()


def organizer(recruiter: User) -> ical.InvitePerson:
    """The ORGANIZER of every event: the reply address acting for the recruiter (SENT-BY) when one is configured,
    so Outlook, Gmail, Apple Calendar and Thunderbird send their REPLY there; else the recruiter."""
    address = reply_address()
    if not address:
        return _person(recruiter)
    return ical.InvitePerson(recruiter.name, address, recruiter.job_title or "", sent_by=recruiter.email)


def video_link(value: str) -> str | None:
    """The session's video link when it is a web address people can click, else None."""
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in value) else None


_Focus = tuple[dict[tuple[int, int], tuple[str, ...]], dict[int, tuple[str, ...]]]


def focus_areas(session_ids: Iterable[int]) -> _Focus:
    """(areas assigned to (session, person), areas planned for a session) when the focus-area feature exists."""
    ids = list(set(session_ids))
    if not ids:
        return {}, {}
    try:
        from coordinator.kits.models import InterviewerAssignment, SessionFocusArea
    except ImportError:  # pragma: no cover - the focus-area feature is not installed
        return {}, {}
    assigned = {
        (a.session_id, a.user_id): tuple(f.name for f in a.focus_areas)
        for a in db.session.scalars(select(InterviewerAssignment).where(InterviewerAssignment.session_id.in_(ids)))
    }
    planned: dict[int, list[str]] = defaultdict(list)
    for row in db.session.scalars(select(SessionFocusArea).where(SessionFocusArea.session_id.in_(ids))):
        planned[row.session_id].append(row.focus_area.name)
    return assigned, {sid: tuple(sorted(names)) for sid, names in planned.items()}


class LoopData:
    """Turns one loop's rows into the invite builder's dataclasses, with the per-person extras cached."""

    def __init__(self, loop: Loop, *, details_for: int | None = None, with_details: bool = True,
                 focus: _Focus | None = None) -> None:
        self.loop = loop
        self.candidate = loop.candidate
        self.details_for = details_for
        self.with_details = with_details
        if focus is None:
            focus = focus_areas(s.id for s in loop.sessions) if with_details else ({}, {})
        self._assigned, self._planned = focus

    def organizer(self) -> ical.InvitePerson:
        return organizer(self.loop.recruiter)

    def _interviewer(self, session: LoopSession, user: User) -> ical.SessionInterviewer:
        if not self.with_details or (self.details_for is not None and user.id != self.details_for):
            return ical.SessionInterviewer(_person(user))
        areas = self._assigned.get((session.id, user.id), self._planned.get(session.id, ()))
        return ical.SessionInterviewer(_person(user), areas, kit_url(self.loop, session, user.id))

    def session(self, s: LoopSession, tz: str) -> ical.InviteSession | None:
        """The session as the builder sees it, displayed in `tz`; None while it has no time."""
        if s.start_dt is None or s.end_dt is None:
            return None
        interviewers = [p.user for p in s.participants if p.role == ParticipantRole.INTERVIEWER.value]
        shadows = [self._interviewer(s, p.user) for p in s.participants if p.role == ParticipantRole.SHADOW.value]
        return ical.InviteSession(
            uid=session_uid(s.id),
            candidate_uid=session_candidate_uid(s.id),
            sequence=s.ical_sequence,
            start=s.start_dt,
            end=s.end_dt,
            tz=tz,
            title=s.title,
            kind=s.kind,
            location=s.where or "",
            video_url=video_link(s.video),
            interviewers=tuple(self._interviewer(s, u) for u in interviewers),
            shadow=shadows[0] if shadows else None,
            more_shadows=tuple(shadows[1:]),
            prep_instructions=s.prep_instructions or "",
            status="CANCELLED" if s.status == SessionStatus.CANCELLED.value else "CONFIRMED",
        )

    def invite_loop(self, sessions: Iterable[LoopSession], tz: str | None = None) -> ical.InviteLoop:
        """An InviteLoop of these sessions; interviewer-side times shown in `tz` (default: the candidate's)."""
        zone = tz or self.candidate.timezone
        built = [x for x in (self.session(s, zone) for s in sessions) if x is not None]
        return ical.InviteLoop(
            candidate=ical.InvitePerson(self.candidate.name, self.candidate.email),
            candidate_tz=self.candidate.timezone,
            job_title=self.candidate.job.title,
            organizer=self.organizer(),
            sessions=tuple(built),
            candidate_uid=loop_candidate_uid(self.loop.id),
            grouping=_GROUPINGS.get(self.loop.candidate_grouping, ical.Grouping.PER_SESSION),
            block_gap=timedelta(minutes=max(15, self.loop.buffer_min or 0)),
        )


# ------------------------------------------------------------------------------------------- composing


def mail_sender(on_behalf_of: User | None = None) -> ical.InvitePerson:
    """MAIL_FROM's address; the name says whose invite it is ("Rita Okafor via coordinator"), and replies go to
    that person (Reply-To), the ORGANIZER of the events."""
    name, addr = parseaddr(str(current_app.config.get("MAIL_FROM") or "coordinator@localhost"))
    name = name or "coordinator"
    if on_behalf_of is not None:
        name = f"{one_line(on_behalf_of.name, 120)} via {name}"
    return ical.InvitePerson(name, addr or "coordinator@localhost")


def smtp_configured() -> bool:
    """An SMTP server is set (COORDINATOR_SMTP_HOST); without one, messages are held in the outbox."""
    return bool((current_app.config.get("SMTP_HOST") or "").strip())


def _render(template: str, **context: Any) -> str:
    return current_app.jinja_env.get_template(template).render(one_line=one_line, **context)


def _short_when(start: datetime, tz: str) -> str:
    return format_instant(start, tz, "%a %d %b, %H:%M")


@dataclass
class _Queue:
    """The messages one change produced, and what was skipped (with why)."""

    now: datetime
    loop: Loop
    messages: list[OutboxMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: hold what is built for the recruiter's Send (the loop is not "send at once")
    review: bool = False
    _unsent: dict[tuple[str, str], list[OutboxMessage]] | None = None

    def supersede(self, uid: str, recipient: str) -> str | None:
        """Changes coalesce: a message to the same person about the same event that has not gone out yet (held for
        review, or waiting less than INVITE_COALESCE_MINUTES) is dropped for the new one. The kind of the oldest one
        dropped, or None: an invite never sent keeps the new message an invite."""
        if self._unsent is None:
            window = timedelta(minutes=float(current_app.config.get("INVITE_COALESCE_MINUTES") or 0))
            waiting = (OutboxStatus.PENDING.value, OutboxStatus.HELD.value)
            self._unsent = defaultdict(list)
            for row in db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.loop_id == self.loop.id,
                    OutboxMessage.status.in_([OutboxStatus.REVIEW.value, *waiting]))
                .order_by(OutboxMessage.id)
            ):
                if row.status == OutboxStatus.REVIEW.value or (window and row.created_dt >= self.now - window):
                    self._unsent[(row.ical_uid, row.recipient.lower())].append(row)
        rows = self._unsent.pop((uid, recipient.lower()), [])
        for row in rows:
            db.session.delete(row)
        return rows[0].kind if rows else None

    def add(self, *, kind: OutboxKind, to: ical.InvitePerson, subject: str, build_ics, audience: str,
            context: dict[str, Any], uid: str, sequence: int) -> OutboxMessage:
        """Build the e-mail now (the bytes that will be sent) and add an outbox row. Bad data (an address that
        is not one) gives a failed row that says why, never an exception: the change itself goes through."""
        method = "CANCEL" if kind in (OutboxKind.INTERVIEWER_CANCEL, OutboxKind.INTERVIEWER_REMOVED,
                                      OutboxKind.CANDIDATE_CANCEL) else "REQUEST"
        row = OutboxMessage(
            kind=kind.value, loop_id=self.loop.id, recipient=one_line(to.email, 254),
            recipient_name=one_line(to.name, 160), subject=one_line(subject), method=method, ical_uid=uid,
            ical_sequence=sequence, created_dt=self.now, attempts=0,
        )
        try:
            ics = build_ics()
            context = {**context, "base_url": base_url()}
            msg = build_invite_email(
                ics=ics, sender=mail_sender(self.loop.recruiter), to=[to], subject=subject,
                text=TEXTS[audience](context), html=_render(f"invites/email/{audience}.html", **context),
                reply_to=self.organizer, date=self.now, message_id=f"<outbox.{uuid.uuid4().hex}@{uid_domain()}>",
                filename="cancellation.ics" if method == "CANCEL" else "invite.ics",
            )
        except ical.InviteError as exc:
            log.warning("outbox: could not build a %s for %r (loop %s): %s", kind.value, to.email, self.loop.id, exc)
            row.message, row.status, row.next_attempt_dt = b"", OutboxStatus.FAILED.value, None
            row.last_error = one_line(f"Could not build the message: {exc}", 1000)
        else:
            row.message = msg.as_bytes()
            row.next_attempt_dt = self.now
            if self.review:
                row.status, row.last_error = OutboxStatus.REVIEW.value, ""
            else:
                row.status = (OutboxStatus.PENDING if smtp_configured() else OutboxStatus.HELD).value
                row.last_error = "" if smtp_configured() else "No mail server is configured (COORDINATOR_SMTP_HOST)."
        db.session.add(row)
        self.messages.append(row)
        return row

    @property
    def organizer(self) -> ical.InvitePerson:
        return _person(self.loop.recruiter)


# ----------------------------------------------------------------------------------------- interviewers


def _session_context(data: LoopData, s: LoopSession, user: User) -> dict[str, Any]:
    tz = user.timezone
    me = next((p for p in s.participants if p.user_id == user.id), None)
    assigned = data._assigned.get((s.id, user.id), data._planned.get(s.id, ()))
    others = [p.user for p in s.participants if p.user_id != user.id]
    return {
        "recipient": user, "loop": data.loop, "session": s, "candidate": data.candidate,
        "job_title": data.candidate.job.title, "kind_label": SessionKind.label_of(s.kind),
        "when": format_when(s.start_dt, s.end_dt, tz) if s.start_dt else "", "tz": tz,
        "where": s.where, "video": video_link(s.video),
        "is_shadow": me is not None and me.role == ParticipantRole.SHADOW.value,
        "interviewers": [p.user for p in s.participants if p.role == ParticipantRole.INTERVIEWER.value],
        "shadows": [p.user for p in s.participants if p.role == ParticipantRole.SHADOW.value],
        "others": others, "focus_areas": assigned, "kit_url": kit_url(data.loop, s, user.id),
        "loop_url": app_url("loops.show", loop_id=data.loop.id), "recruiter": data.loop.recruiter,
    }


def _interviewer_subject(prefix: str, data: LoopData, s: LoopSession, tz: str) -> str:
    when = _short_when(s.start_dt, tz) if s.start_dt else ""
    return f"{prefix}: Interview with {one_line(data.candidate.name, 120)} — {one_line(s.title, 80)} ({when})"


def _queue_interviewers(q: _Queue, data: LoopData, change) -> None:
    by_id = {s.id: s for s in data.loop.sessions}
    cancelled = [sid for sid in dict.fromkeys(change.cancelled) if sid in by_id]
    added = set(change.added)
    touched = (dict.fromkeys([*change.booked, *(sid for sid, _ in change.added), *(sid for sid, _ in change.removed)]))
    for sid in touched:
        s = by_id.get(sid)
        if s is None or sid in cancelled or not s.is_booked:
            continue
        if not any(p.role == ParticipantRole.INTERVIEWER.value for p in s.participants):
            reason = f"'{s.title}' has no interviewers: no interviewer invite was sent for it."
            log.info("outbox: loop %s session %s: %s", data.loop.id, s.id, reason)
            q.skipped.append(reason)
            continue
        for p in s.participants:
            user = p.user
            dropped = q.supersede(session_uid(s.id), user.email)
            is_new = s.ical_sequence == 0 or (sid, user.id) in added or dropped == OutboxKind.INTERVIEWER_INVITE.value
            kind = OutboxKind.INTERVIEWER_INVITE if is_new else OutboxKind.INTERVIEWER_UPDATE
            iloop = data.invite_loop([s], user.timezone)
            q.add(
                kind=kind, to=_person(user),
                subject=_interviewer_subject("Invitation" if is_new else "Updated", data, s, user.timezone),
                build_ics=lambda iloop=iloop, user=user, s=s: ical.interviewer_invite(
                    iloop, user.email, stamp=q.now, method="REQUEST", session_uids=[session_uid(s.id)]),
                audience="interviewer",
                context={**_session_context(data, s, user), "action": "invite" if is_new else "update"},
                uid=session_uid(s.id), sequence=s.ical_sequence,
            )
    for sid, user_id in dict.fromkeys(change.removed):
        s = by_id.get(sid)
        user = db.session.get(User, user_id)
        if s is None or user is None or sid in cancelled or s.start_dt is None:
            continue
        if q.supersede(session_uid(s.id), user.email) == OutboxKind.INTERVIEWER_INVITE.value:
            continue  # their invitation never went out: nothing to take back
        iloop = data.invite_loop([s], user.timezone)
        q.add(
            kind=OutboxKind.INTERVIEWER_REMOVED, to=_person(user),
            subject=_interviewer_subject("No longer needed", data, s, user.timezone),
            build_ics=lambda iloop=iloop, user=user, s=s: ical.interviewer_uninvite(
                iloop, session_uid(s.id), _person(user), stamp=q.now),
            audience="interviewer",
            context={**_session_context(data, s, user), "action": "removed"},
            uid=session_uid(s.id), sequence=s.ical_sequence,
        )
    for sid in cancelled:
        s = by_id[sid]
        if s.start_dt is None:
            continue
        if not any(p.role == ParticipantRole.INTERVIEWER.value for p in s.participants):
            q.skipped.append(f"'{s.title}' has no interviewers: no interviewer cancellation was sent for it.")
            continue
        for p in s.participants:
            user = p.user
            if q.supersede(session_uid(s.id), user.email) == OutboxKind.INTERVIEWER_INVITE.value:
                continue  # their invitation never went out: nothing to take back
            iloop = data.invite_loop([s], user.timezone)
            q.add(
                kind=OutboxKind.INTERVIEWER_CANCEL, to=_person(user),
                subject=_interviewer_subject("Cancelled", data, s, user.timezone),
                build_ics=lambda iloop=iloop, user=user, s=s: ical.interviewer_invite(
                    iloop, user.email, stamp=q.now, method="CANCEL", session_uids=[session_uid(s.id)]),
                audience="interviewer",
                context={**_session_context(data, s, user), "action": "cancel"},
                uid=session_uid(s.id), sequence=s.ical_sequence,
            )


# -------------------------------------------------------------------------------------------- candidate


def _fingerprint(ics: bytes) -> str:
    return hashlib.sha256(_FINGERPRINT_SKIP.sub(b"", ics)).hexdigest()


def _candidate_items(iloop: ical.InviteLoop, event: ical.CandidateEvent, by_uid: dict[str, LoopSession]) -> list[dict]:
    tz = iloop.candidate_tz
    items = []
    for inv in event.sessions:
        s = by_uid[inv.uid]
        items.append({
            "title": s.title, "kind_label": SessionKind.label_of(s.kind),
            "day": format_day(to_local(inv.start, tz).date(), long=True),
            "times": format_times(inv.start, inv.end, tz),
            "when": format_when(inv.start, inv.end, tz), "where": s.where, "video": video_link(s.video),
            "interviewers": [i.person for i in inv.interviewers], "shadows": [i.person for i in inv.shadows],
            "prep": s.prep_instructions if s.kind == "practical" else "", "duration_min": s.duration_min,
        })
    return items


def _candidate_subject(kind: OutboxKind, job_title: str, start: datetime, tz: str, many: bool) -> str:
    """'Your interview for Data Engineer — Mon 30 Nov, 10:00 GMT', 'Updated: your interviews for ...'."""
    what = f"{'interviews' if many else 'interview'} for {one_line(job_title, 120)} — {_short_when(start, tz)}"
    prefix = {OutboxKind.CANDIDATE_UPDATE: "Updated: your ", OutboxKind.CANDIDATE_CANCEL: "Cancelled: your "}
    return prefix.get(kind, "Your ") + what


def _candidate_base(data: LoopData) -> dict[str, Any]:
    loop = data.loop
    return {"candidate": data.candidate, "job_title": data.candidate.job.title, "tz": data.candidate.timezone,
            "recruiter": loop.recruiter, "grouping": loop.candidate_grouping}


def _candidate_plan(data: LoopData) -> tuple[ical.InviteLoop, list[ical.CandidateEvent], dict[str, LoopSession]]:
    booked = [s for s in data.loop.sessions if s.status == SessionStatus.BOOKED.value and s.start_dt]
    iloop = data.invite_loop(booked)
    plan = ical.plan_candidate_events(iloop) if iloop.sessions else []
    return iloop, plan, {session_uid(s.id): s for s in booked}


def _add_candidate_event(q: _Queue, data: LoopData, iloop: ical.InviteLoop, event: ical.CandidateEvent,
                         by_uid: dict[str, LoopSession], kind: OutboxKind, sequence: int) -> None:
    """Queue the candidate's invitation (or update) of one event of their calendar."""
    tz = data.candidate.timezone
    items = _candidate_items(iloop, event, by_uid)
    when = format_when(event.start, event.end, tz)
    q.add(
        kind=kind, to=ical.InvitePerson(data.candidate.name, data.candidate.email),
        subject=_candidate_subject(kind, data.candidate.job.title, event.start, tz, len(items) > 1),
        build_ics=lambda: ical.candidate_invite(iloop, stamp=q.now, only_uids=[event.uid],
                                                sequences={event.uid: sequence}),
        audience="candidate",
        context={**_candidate_base(data), "action": "invite" if kind is OutboxKind.CANDIDATE_INVITE else "update",
                 "items": items, "when": when, "message": candidate_message(data.loop, event.start)},
        uid=event.uid, sequence=sequence,
    )


def _queue_candidate(q: _Queue, data: LoopData) -> None:
    loop = data.loop
    iloop, plan, by_uid = _candidate_plan(data)
    state = {row.uid: row for row in db.session.scalars(
        select(CandidateInviteEvent).where(CandidateInviteEvent.loop_id == loop.id))}
    candidate = ical.InvitePerson(data.candidate.name, data.candidate.email)
    tz = data.candidate.timezone
    base = _candidate_base(data)
    for event in plan:
        row = state.get(event.uid)
        try:
            probe = ical.candidate_invite(iloop, stamp=_FINGERPRINT_STAMP, only_uids=[event.uid],
                                     sequences={event.uid: 0})
        except ical.InviteError as exc:
            probe = b""
            log.warning("outbox: loop %s candidate event %s cannot be built: %s", loop.id, event.uid, exc)
        fingerprint = _fingerprint(probe) if probe else ""
        if row is not None and not row.is_cancelled and fingerprint and row.fingerprint == fingerprint:
            continue
        # before the new state row is added: the lookup flushes
        never_sent = q.supersede(event.uid, data.candidate.email) == OutboxKind.CANDIDATE_INVITE.value
        if row is None:
            sequence, kind = event.sequence, OutboxKind.CANDIDATE_INVITE
            row = CandidateInviteEvent(loop_id=loop.id, uid=event.uid)
            db.session.add(row)
        else:
            sequence = max(row.sequence + 1, event.sequence)
            kind = OutboxKind.CANDIDATE_INVITE if row.is_cancelled or never_sent else OutboxKind.CANDIDATE_UPDATE
        _add_candidate_event(q, data, iloop, event, by_uid, kind, sequence)
        row.sequence, row.is_cancelled, row.fingerprint = sequence, False, fingerprint
        row.session_ids = ",".join(str(by_uid[s.uid].id) for s in event.sessions)
        row.start_dt, row.end_dt, row.updated_dt = event.start, event.end, q.now
        row.summary = one_line(ical.candidate_summary(iloop, event), 300)
    planned = {event.uid for event in plan}
    for uid, row in state.items():
        if uid in planned or row.is_cancelled:
            continue
        sequence = row.sequence + 1
        row.sequence, row.is_cancelled, row.updated_dt = sequence, True, q.now
        if q.supersede(uid, data.candidate.email) == OutboxKind.CANDIDATE_INVITE.value:
            continue  # the invitation never went out: nothing to take back
        q.add(
            kind=OutboxKind.CANDIDATE_CANCEL, to=candidate,
            subject=_candidate_subject(OutboxKind.CANDIDATE_CANCEL, data.candidate.job.title, row.start_dt, tz,
                                       "," in row.session_ids),
            build_ics=lambda row=row, sequence=sequence: ical.candidate_cancel(
                iloop, row.uid, sequence=sequence, start=row.start_dt, end=row.end_dt, summary=row.summary,
                stamp=q.now, note=_cancel_note(loop, row, plan)),
            audience="candidate",
            context={**base, "action": "cancel", "items": [], "when": format_when(row.start_dt, row.end_dt, tz),
                     "replaced": bool(plan and _overlaps_plan(row, plan)), "summary": row.summary},
            uid=row.uid, sequence=sequence,
        )


def _overlaps_plan(row: CandidateInviteEvent, plan: Sequence[ical.CandidateEvent]) -> bool:
    """Some session of this old event is still in the new plan (the event changed shape, it is not gone)."""
    old = {x for x in row.session_ids.split(",") if x}
    return any(session_uid(int(x)) in {s.uid for ev in plan for s in ev.sessions} for x in old)


def _cancel_note(loop: Loop, row: CandidateInviteEvent, plan: Sequence[ical.CandidateEvent]) -> str:
    if plan and _overlaps_plan(row, plan):
        return "Your interviews were rearranged; the updated invitation replaces this event."
    return "This interview is cancelled."


# ------------------------------------------------------------------------------------------ entry points


@dataclass
class Queued:
    """What a change put into the outbox."""

    messages: list[OutboxMessage]
    skipped: list[str]


def queue_for_change(change, *, now: datetime | None = None) -> Queued:
    """Queue the e-mails a loop change (a `loops.services.Change`) calls for. Call it after the loop service
    and before the request's commit, so the messages are stored with the change or not at all."""
    loop = db.session.get(Loop, change.loop_id)
    if loop is None:  # pragma: no cover - the change names a loop that exists
        return Queued([], [])
    db.session.flush()
    q = _Queue(now=now or now_utc(), loop=loop, review=not loop.send_at_once and not getattr(change, "send_now", False))
    data = LoopData(loop)
    _queue_interviewers(q, data, change)
    _queue_candidate(q, data)
    db.session.flush()
    return Queued(q.messages, q.skipped)


def after_loop_change(change: Change) -> Queued:
    """The follower of loops (`loops.changes.follow`): the invites a change calls for. A settings change updates
    the sessions whose place moved, a session edit that session, a booking, move, cancellation or replacement
    what it names; progress (scorecards, decisions) sends none."""
    if change.kind is ChangeKind.SETTINGS:
        return queue_for_settings(db.session.get(Loop, change.loop_id), change.places_before)
    if change.kind is ChangeKind.SESSION_EDIT:
        return queue_for_session_edit(db.session.get(LoopSession, change.session_id))
    if change.kind is ChangeKind.BOOKING:
        return queue_for_change(change)
    return Queued([], [])


def queue_for_session_edit(session: LoopSession, *, now: datetime | None = None) -> Queued:
    """After `loops.services.update_session`: a booked session's title, place or preparation changed."""
    if not session.is_booked:
        return Queued([], [])
    return queue_for_change(Change(loop_id=session.loop_id, booked=[session.id]), now=now)


def queue_for_settings(loop: Loop, before: dict[int, tuple[str, str]], *, now: datetime | None = None) -> Queued:
    """After `loops.services.update_settings`: sessions that took the loop's place or video link and now show
    another get an update (their SEQUENCE is bumped here, as the loop services do for their own changes); the
    candidate's calendar follows a new grouping."""
    moved = [s.id for s in loop.sessions if s.is_booked and (s.where or "", s.video or "") != before.get(s.id)]
    for s in loop.sessions:
        if s.id in moved:
            s.ical_sequence += 1
    return queue_for_change(Change(loop_id=loop.id, booked=moved), now=now)


def outbox_values(*, kind: OutboxKind, loop_id: int | None, recipient: str, recipient_name: str, subject: str,
                  message: bytes, now: datetime) -> dict[str, Any]:
    """The outbox row of one ready-made e-mail without a calendar part (a reminder): waiting for delivery when a
    mail server is configured, else held (readable, sent once one is)."""
    configured = smtp_configured()
    return {
        "kind": kind.value, "loop_id": loop_id, "recipient": one_line(recipient, 254),
        "recipient_name": one_line(recipient_name, 160), "subject": one_line(subject), "method": "",
        "ical_uid": "", "ical_sequence": 0, "message": message, "attempts": 0, "created_dt": now,
        "next_attempt_dt": now, "sent_dt": None,
        "status": (OutboxStatus.PENDING if configured else OutboxStatus.HELD).value,
        "last_error": "" if configured else "No mail server is configured (COORDINATOR_SMTP_HOST).",
    }


def enqueue_emails(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Add ready-made e-mails (`outbox_values`) to the outbox in the caller's transaction, in one statement;
    their ids, in order."""
    if not rows:
        return []
    result = db.session.execute(
        insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True), list(rows))
    return list(result.scalars())

