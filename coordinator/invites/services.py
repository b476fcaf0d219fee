"""Invites for loops: from loop rows to e-mails in the outbox, delivery, downloads and private feeds.

Queueing (`queue_for_change`, `queue_for_session_edit`, `queue_for_settings`) runs inside the request that
changed the loop: it adds outbox rows and flushes, and the request's single commit stores them together with
the change, or neither. Nothing here sends while a page waits; `deliver_due` (run by the scheduler process, or
`flask send-outbox`) does, in its own short transactions.

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
import hmac
import logging
import re
import secrets
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from coordinator.auth.models import User
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.email import DeliveryError, SMTPSettings, build_invite_email, send_message
from coordinator.invites.ical import (
    CandidateEvent,
    Grouping,
    InviteError,
    InviteLoop,
    InvitePerson,
    InviteSession,
    SessionInterviewer,
    candidate_cancel,
    candidate_invite,
    candidate_summary,
    feed_calendar,
    interviewer_invite,
    interviewer_uninvite,
    loop_calendar,
    plan_candidate_events,
    stable_uid,
)
from coordinator.invites.models import (
    CalendarFeed,
    CandidateInviteEvent,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from coordinator.loops.kinds import SessionKind
from coordinator.loops.models import Loop, LoopSession, ParticipantRole, SessionStatus
from coordinator.loops.models import SessionInterviewer as Participant
from coordinator.timeutil import format_instant, format_range, now_utc, to_local

log = logging.getLogger(__name__)

#: delivery attempts before a message that keeps failing temporarily is marked failed
MAX_ATTEMPTS = 8
#: wait after the first temporary failure; doubled after each further one
BACKOFF_BASE = timedelta(minutes=1)
#: longest wait between two attempts
BACKOFF_CAP = timedelta(hours=4)
#: how long a deliverer owns the messages it claimed; after that (a crashed process) they are due again
CLAIM_LEASE = timedelta(minutes=10)
#: messages claimed per round
BATCH_SIZE = 50
#: how far back the feed reaches (so today's finished interviews stay visible)
FEED_PAST = timedelta(days=1)
#: most sessions in one feed
FEED_LIMIT = 2000

_GROUPINGS = {"session": Grouping.PER_SESSION, "block": Grouping.PER_BLOCK, "day": Grouping.PER_DAY}
_FINGERPRINT_SKIP = re.compile(rb"^(?:DTSTAMP|SEQUENCE)[:;][^\r\n]*\r\n", re.MULTILINE)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
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
    return stable_uid("session", session_id, "interviewers", uid_domain())


def session_candidate_uid(session_id: int) -> str:
    return stable_uid("session", session_id, "candidate", uid_domain())


def loop_candidate_uid(loop_id: int) -> str:
    return stable_uid("loop", loop_id, "candidate", uid_domain())


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


def _person(user: User) -> InvitePerson:
    return InvitePerson(user.name, user.email, user.job_title or "")


def _video(value: str) -> str | None:
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in value) else None


_Focus = tuple[dict[tuple[int, int], tuple[str, ...]], dict[int, tuple[str, ...]]]


def _focus_areas(session_ids: Iterable[int]) -> _Focus:
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


class _LoopData:
    """Turns one loop's rows into the invite builder's dataclasses, with the per-person extras cached."""

    def __init__(self, loop: Loop, *, details_for: int | None = None, with_details: bool = True,
                 focus: _Focus | None = None) -> None:
        self.loop = loop
        self.candidate = loop.candidate
        self.details_for = details_for
        self.with_details = with_details
        if focus is None:
            focus = _focus_areas(s.id for s in loop.sessions) if with_details else ({}, {})
        self._assigned, self._planned = focus

    def organizer(self) -> InvitePerson:
        return _person(self.loop.recruiter)

    def _interviewer(self, session: LoopSession, user: User) -> SessionInterviewer:
        if not self.with_details or (self.details_for is not None and user.id != self.details_for):
            return SessionInterviewer(_person(user))
        areas = self._assigned.get((session.id, user.id), self._planned.get(session.id, ()))
        return SessionInterviewer(_person(user), areas, kit_url(self.loop, session, user.id))

    def session(self, s: LoopSession, tz: str) -> InviteSession | None:
        """The session as the builder sees it, displayed in `tz`; None while it has no time."""
        if s.start_dt is None or s.end_dt is None:
            return None
        interviewers = [p.user for p in s.participants if p.role == ParticipantRole.INTERVIEWER.value]
        shadows = [self._interviewer(s, p.user) for p in s.participants if p.role == ParticipantRole.SHADOW.value]
        return InviteSession(
            uid=session_uid(s.id),
            candidate_uid=session_candidate_uid(s.id),
            sequence=s.ical_sequence,
            start=s.start_dt,
            end=s.end_dt,
            tz=tz,
            title=s.title,
            kind=s.kind,
            location=s.where or "",
            video_url=_video(s.video),
            interviewers=tuple(self._interviewer(s, u) for u in interviewers),
            shadow=shadows[0] if shadows else None,
            more_shadows=tuple(shadows[1:]),
            prep_instructions=s.prep_instructions or "",
            status="CANCELLED" if s.status == SessionStatus.CANCELLED.value else "CONFIRMED",
        )

    def invite_loop(self, sessions: Iterable[LoopSession], tz: str | None = None) -> InviteLoop:
        """An InviteLoop of these sessions; interviewer-side times shown in `tz` (default: the candidate's)."""
        zone = tz or self.candidate.timezone
        built = [x for x in (self.session(s, zone) for s in sessions) if x is not None]
        return InviteLoop(
            candidate=InvitePerson(self.candidate.name, self.candidate.email),
            candidate_tz=self.candidate.timezone,
            job_title=self.candidate.job.title,
            organizer=self.organizer(),
            sessions=tuple(built),
            candidate_uid=loop_candidate_uid(self.loop.id),
            grouping=_GROUPINGS.get(self.loop.candidate_grouping, Grouping.PER_SESSION),
            block_gap=timedelta(minutes=max(15, self.loop.buffer_min or 0)),
        )


# ------------------------------------------------------------------------------------------- composing


def mail_sender(on_behalf_of: User | None = None) -> InvitePerson:
    """MAIL_FROM's address; the name says whose invite it is ("Rita Okafor via coordinator"), and replies go to
    that person (Reply-To), the ORGANIZER of the events."""
    name, addr = parseaddr(str(current_app.config.get("MAIL_FROM") or "coordinator@localhost"))
    name = name or "coordinator"
    if on_behalf_of is not None:
        name = f"{_one_line(on_behalf_of.name, 120)} via {name}"
    return InvitePerson(name, addr or "coordinator@localhost")


def smtp_settings() -> SMTPSettings | None:
    """The SMTP server from the configuration, or None when none is set (messages are then held).
    A setting that cannot work raises ValueError."""
    cfg = current_app.config
    host = (cfg.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    return SMTPSettings(
        host=host,
        port=int(cfg.get("SMTP_PORT") or 587),
        security=str(cfg.get("SMTP_SECURITY") or "starttls").strip().lower(),
        username=cfg.get("SMTP_USERNAME") or None,
        password=cfg.get("SMTP_PASSWORD") or None,
        timeout=float(cfg.get("SMTP_TIMEOUT") or 30),
    )


def smtp_configured() -> bool:
    """An SMTP server is set (COORDINATOR_SMTP_HOST); without one, messages are held in the outbox."""
    return bool((current_app.config.get("SMTP_HOST") or "").strip())


def _render(template: str, **context: Any) -> str:
    return current_app.jinja_env.get_template(template).render(one_line=_one_line, **context)


def _who(person: Any) -> str:
    """'Jonas Weber (Staff Engineer)': a name and job title, never an address."""
    name, title = _one_line(person.name, 160), _one_line(getattr(person, "job_title", "") or "", 120)
    return f"{name} ({title})" if title else name


def _interviewer_text(c: dict[str, Any]) -> str:
    """The plain-text part of an interviewer e-mail (the HTML part says the same)."""
    s, action = c["session"], c["action"]
    candidate = _one_line(c["candidate"].name, 160)
    role = "shadow" if c["is_shadow"] else "interview"
    opening = {
        "invite": f"You are invited to {role} {candidate} for {_one_line(c['job_title'])}.",
        "update": "An interview you are part of has changed. The details below are up to date; the attached "
                  "invitation updates the event in your calendar.",
        "cancel": "This interview is cancelled. The attached cancellation removes it from your calendar.",
        "removed": "You are no longer needed for this interview: someone else takes your place. The attached "
                   "cancellation removes it from your calendar.",
    }[action]
    lines = [f"Hello {_one_line(c['recipient'].name, 160)},", "", opening, "",
             f"Candidate: {candidate} ({_one_line(c['job_title'])})",
             f"Session:   {_one_line(s.title)} — {c['kind_label']}, {s.duration_min} min",
             f"When:      {c['when']} (your time zone, {c['tz']})"]
    if c["where"]:
        lines.append(f"Where:     {_one_line(c['where'])}")
    if c["video"]:
        lines.append(f"Video:     {c['video']}")
    if action in ("invite", "update"):
        lines += ["", "Interviewers: " + "; ".join(_who(u) for u in c["interviewers"])]
        if c["shadows"]:
            lines.append("Shadowing:    " + "; ".join(_who(u) for u in c["shadows"]))
        if c["focus_areas"]:
            lines.append("Your focus areas: " + ", ".join(_one_line(a) for a in c["focus_areas"]))
        if c["kit_url"] != c["loop_url"]:
            lines.append(f"Your interview kit: {c['kit_url']}")
    lines += ["", f"Loop page: {c['loop_url']}", "",
              f"{_who(c['recruiter'])}, recruiter — reply to this e-mail to reach them."]
    return "\n".join(lines) + "\n"


def _candidate_text(c: dict[str, Any]) -> str:
    """The plain-text part of a candidate e-mail: names and job titles of the interviewers, no addresses,
    no kit, no internal notes; times in the candidate's zone, named."""
    action, job = c["action"], _one_line(c["job_title"])
    lines = [f"Dear {_one_line(c['candidate'].name, 160)},", ""]
    if action == "invite":
        lines.append(f"Thank you for making time for the next interviews for the {job} role. Here is your plan; "
                     "the attached invitation adds it to your calendar.")
    elif action == "update":
        lines.append(f"Your interview plan for the {job} role has changed. Here it is as it stands now; the "
                     "attached invitation updates the event in your calendar.")
    elif c.get("replaced"):
        lines.append(f"Your interviews for the {job} role were rearranged, so the calendar event for {c['when']} "
                     "is replaced: you receive the updated invitation in a separate e-mail. The attached "
                     "cancellation removes the old event.")
    else:
        lines.append(f"Your interview for the {job} role on {c['when']} is cancelled, and the attached "
                     "cancellation removes it from your calendar. We are sorry for the change; your recruiter "
                     "will be in touch.")
    if c["items"]:
        lines += ["", f"All times are in your time zone ({c['tz']})."]
        day = None
        for it in c["items"]:
            if it["day"] != day:
                day = it["day"]
                lines += ["", day]
            lines.append(f"  {it['times']}  {_one_line(it['title'])} ({it['kind_label']}, {it['duration_min']} min)")
            if it["interviewers"]:
                lines.append("      With: " + "; ".join(_who(p) for p in it["interviewers"]))
            if it["shadows"]:
                lines.append("      Also joining to observe: " + "; ".join(_who(p) for p in it["shadows"]))
            if it["where"]:
                lines.append(f"      Where: {_one_line(it['where'])}")
            if it["video"]:
                lines.append(f"      Video link: {it['video']}")
            if it["prep"]:
                lines.append("      How to prepare: " + it["prep"].strip().replace("\n", "\n      "))
    recruiter = c["recruiter"]
    lines += ["", "If a time does not work for you, or you have a question, reply to this e-mail.", "",
              "Kind regards,", _who(recruiter)]
    return "\n".join(lines) + "\n"


_TEXTS = {"interviewer": _interviewer_text, "candidate": _candidate_text}


def _when(start: datetime, end: datetime, tz: str) -> str:
    """'Mon 30 Nov 2026, 09:00–09:45 CET'."""
    return format_range(start, end, tz, "%a %d %b %Y, %H:%M")


def _short_when(start: datetime, tz: str) -> str:
    return format_instant(start, tz, "%a %d %b, %H:%M")


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Queue:
    """The messages one change produced, and what was skipped (with why)."""

    now: datetime
    loop: Loop
    messages: list[OutboxMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, *, kind: OutboxKind, to: InvitePerson, subject: str, build_ics, audience: str,
            context: dict[str, Any], uid: str, sequence: int) -> OutboxMessage:
        """Build the e-mail now (the bytes that will be sent) and add an outbox row. Bad data (an address that
        is not one) gives a failed row that says why, never an exception: the change itself goes through."""
        method = "CANCEL" if kind in (OutboxKind.INTERVIEWER_CANCEL, OutboxKind.INTERVIEWER_REMOVED,
                                      OutboxKind.CANDIDATE_CANCEL) else "REQUEST"
        row = OutboxMessage(
            kind=kind.value, loop_id=self.loop.id, recipient=_one_line(to.email, 254),
            recipient_name=_one_line(to.name, 160), subject=_one_line(subject), method=method, ical_uid=uid,
            ical_sequence=sequence, created_dt=self.now, attempts=0,
        )
        try:
            ics = build_ics()
            context = {**context, "base_url": base_url()}
            msg = build_invite_email(
                ics=ics, sender=mail_sender(self.loop.recruiter), to=[to], subject=subject,
                text=_TEXTS[audience](context), html=_render(f"invites/email/{audience}.html", **context),
                reply_to=self.organizer, date=self.now, message_id=f"<outbox.{uuid.uuid4().hex}@{uid_domain()}>",
                filename="cancellation.ics" if method == "CANCEL" else "invite.ics",
            )
        except InviteError as exc:
            log.warning("outbox: could not build a %s for %r (loop %s): %s", kind.value, to.email, self.loop.id, exc)
            row.message, row.status, row.next_attempt_dt = b"", OutboxStatus.FAILED.value, None
            row.last_error = _one_line(f"Could not build the message: {exc}", 1000)
        else:
            row.message = msg.as_bytes()
            row.status = (OutboxStatus.PENDING if smtp_configured() else OutboxStatus.HELD).value
            row.next_attempt_dt = self.now
            row.last_error = "" if smtp_configured() else "No mail server is configured (COORDINATOR_SMTP_HOST)."
        db.session.add(row)
        self.messages.append(row)
        return row

    @property
    def organizer(self) -> InvitePerson:
        return _person(self.loop.recruiter)


# ----------------------------------------------------------------------------------------- interviewers


def _session_context(data: _LoopData, s: LoopSession, user: User) -> dict[str, Any]:
    tz = user.timezone
    me = next((p for p in s.participants if p.user_id == user.id), None)
    assigned = data._assigned.get((s.id, user.id), data._planned.get(s.id, ()))
    others = [p.user for p in s.participants if p.user_id != user.id]
    return {
        "recipient": user, "loop": data.loop, "session": s, "candidate": data.candidate,
        "job_title": data.candidate.job.title, "kind_label": SessionKind.label_of(s.kind),
        "when": _when(s.start_dt, s.end_dt, tz) if s.start_dt else "", "tz": tz,
        "where": s.where, "video": _video(s.video),
        "is_shadow": me is not None and me.role == ParticipantRole.SHADOW.value,
        "interviewers": [p.user for p in s.participants if p.role == ParticipantRole.INTERVIEWER.value],
        "shadows": [p.user for p in s.participants if p.role == ParticipantRole.SHADOW.value],
        "others": others, "focus_areas": assigned, "kit_url": kit_url(data.loop, s, user.id),
        "loop_url": app_url("loops.show", loop_id=data.loop.id), "recruiter": data.loop.recruiter,
    }


def _interviewer_subject(prefix: str, data: _LoopData, s: LoopSession, tz: str) -> str:
    when = _short_when(s.start_dt, tz) if s.start_dt else ""
    return f"{prefix}: Interview with {_one_line(data.candidate.name, 120)} — {_one_line(s.title, 80)} ({when})"


def _queue_interviewers(q: _Queue, data: _LoopData, change) -> None:
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
            is_new = s.ical_sequence == 0 or (sid, user.id) in added
            kind = OutboxKind.INTERVIEWER_INVITE if is_new else OutboxKind.INTERVIEWER_UPDATE
            iloop = data.invite_loop([s], user.timezone)
            q.add(
                kind=kind, to=_person(user),
                subject=_interviewer_subject("Invitation" if is_new else "Updated", data, s, user.timezone),
                build_ics=lambda iloop=iloop, user=user, s=s: interviewer_invite(
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
        iloop = data.invite_loop([s], user.timezone)
        q.add(
            kind=OutboxKind.INTERVIEWER_REMOVED, to=_person(user),
            subject=_interviewer_subject("No longer needed", data, s, user.timezone),
            build_ics=lambda iloop=iloop, user=user, s=s: interviewer_uninvite(
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
            iloop = data.invite_loop([s], user.timezone)
            q.add(
                kind=OutboxKind.INTERVIEWER_CANCEL, to=_person(user),
                subject=_interviewer_subject("Cancelled", data, s, user.timezone),
                build_ics=lambda iloop=iloop, user=user, s=s: interviewer_invite(
                    iloop, user.email, stamp=q.now, method="CANCEL", session_uids=[session_uid(s.id)]),
                audience="interviewer",
                context={**_session_context(data, s, user), "action": "cancel"},
                uid=session_uid(s.id), sequence=s.ical_sequence,
            )


# -------------------------------------------------------------------------------------------- candidate


def _fingerprint(ics: bytes) -> str:
    return hashlib.sha256(_FINGERPRINT_SKIP.sub(b"", ics)).hexdigest()


def _candidate_items(iloop: InviteLoop, event: CandidateEvent, by_uid: dict[str, LoopSession]) -> list[dict]:
    tz = iloop.candidate_tz
    items = []
    for inv in event.sessions:
        s = by_uid[inv.uid]
        local = to_local(inv.start, tz)
        items.append({
            "title": s.title, "kind_label": SessionKind.label_of(s.kind),
            "day": f"{local:%A} {local.day} {local:%B %Y}",
            "times": f"{local:%H:%M}–{to_local(inv.end, tz):%H:%M} {to_local(inv.end, tz).tzname()}",
            "when": _when(inv.start, inv.end, tz), "where": s.where, "video": _video(s.video),
            "interviewers": [i.person for i in inv.interviewers], "shadows": [i.person for i in inv.shadows],
            "prep": s.prep_instructions if s.kind == "practical" else "", "duration_min": s.duration_min,
        })
    return items


def _candidate_subject(kind: OutboxKind, job_title: str, start: datetime, tz: str, many: bool) -> str:
    """'Your interview for Data Engineer — Mon 30 Nov, 10:00 GMT', 'Updated: your interviews for ...'."""
    what = f"{'interviews' if many else 'interview'} for {_one_line(job_title, 120)} — {_short_when(start, tz)}"
    prefix = {OutboxKind.CANDIDATE_UPDATE: "Updated: your ", OutboxKind.CANDIDATE_CANCEL: "Cancelled: your "}
    return prefix.get(kind, "Your ") + what


def _queue_candidate(q: _Queue, data: _LoopData) -> None:
    loop = data.loop
    booked = [s for s in loop.sessions if s.status == SessionStatus.BOOKED.value and s.start_dt]
    iloop = data.invite_loop(booked)
    plan = plan_candidate_events(iloop) if iloop.sessions else []
    by_uid = {session_uid(s.id): s for s in booked}
    state = {row.uid: row for row in db.session.scalars(
        select(CandidateInviteEvent).where(CandidateInviteEvent.loop_id == loop.id))}
    candidate = InvitePerson(data.candidate.name, data.candidate.email)
    tz = data.candidate.timezone
    base = {"candidate": data.candidate, "job_title": data.candidate.job.title, "tz": tz,
            "recruiter": loop.recruiter, "grouping": loop.candidate_grouping}
    for event in plan:
        row = state.get(event.uid)
        try:
            probe = candidate_invite(iloop, stamp=_FINGERPRINT_STAMP, only_uids=[event.uid],
                                     sequences={event.uid: 0})
        except InviteError as exc:
            probe = b""
            log.warning("outbox: loop %s candidate event %s cannot be built: %s", loop.id, event.uid, exc)
        fingerprint = _fingerprint(probe) if probe else ""
        if row is not None and not row.is_cancelled and fingerprint and row.fingerprint == fingerprint:
            continue
        if row is None:
            sequence, kind = event.sequence, OutboxKind.CANDIDATE_INVITE
            row = CandidateInviteEvent(loop_id=loop.id, uid=event.uid)
            db.session.add(row)
        else:
            sequence = max(row.sequence + 1, event.sequence)
            kind = OutboxKind.CANDIDATE_INVITE if row.is_cancelled else OutboxKind.CANDIDATE_UPDATE
        items = _candidate_items(iloop, event, by_uid)
        q.add(
            kind=kind, to=candidate,
            subject=_candidate_subject(kind, data.candidate.job.title, event.start, tz, len(items) > 1),
            build_ics=lambda event=event, sequence=sequence: candidate_invite(
                iloop, stamp=q.now, only_uids=[event.uid], sequences={event.uid: sequence}),
            audience="candidate",
            context={**base, "action": "invite" if kind is OutboxKind.CANDIDATE_INVITE else "update",
                     "items": items, "when": _when(event.start, event.end, tz)},
            uid=event.uid, sequence=sequence,
        )
        row.sequence, row.is_cancelled, row.fingerprint = sequence, False, fingerprint
        row.session_ids = ",".join(str(by_uid[s.uid].id) for s in event.sessions)
        row.start_dt, row.end_dt, row.updated_dt = event.start, event.end, q.now
        row.summary = _one_line(candidate_summary(iloop, event), 300)
    planned = {event.uid for event in plan}
    for uid, row in state.items():
        if uid in planned or row.is_cancelled:
            continue
        sequence = row.sequence + 1
        q.add(
            kind=OutboxKind.CANDIDATE_CANCEL, to=candidate,
            subject=_candidate_subject(OutboxKind.CANDIDATE_CANCEL, data.candidate.job.title, row.start_dt, tz,
                                       "," in row.session_ids),
            build_ics=lambda row=row, sequence=sequence: candidate_cancel(
                iloop, row.uid, sequence=sequence, start=row.start_dt, end=row.end_dt, summary=row.summary,
                stamp=q.now, note=_cancel_note(loop, row, plan)),
            audience="candidate",
            context={**base, "action": "cancel", "items": [], "when": _when(row.start_dt, row.end_dt, tz),
                     "replaced": bool(plan and _overlaps_plan(row, plan)), "summary": row.summary},
            uid=row.uid, sequence=sequence,
        )
        row.sequence, row.is_cancelled, row.updated_dt = sequence, True, q.now


def _overlaps_plan(row: CandidateInviteEvent, plan: Sequence[CandidateEvent]) -> bool:
    """Some session of this old event is still in the new plan (the event changed shape, it is not gone)."""
    old = {x for x in row.session_ids.split(",") if x}
    return any(session_uid(int(x)) in {s.uid for ev in plan for s in ev.sessions} for x in old)


def _cancel_note(loop: Loop, row: CandidateInviteEvent, plan: Sequence[CandidateEvent]) -> str:
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
    q = _Queue(now=now or now_utc(), loop=loop)
    data = _LoopData(loop)
    _queue_interviewers(q, data, change)
    _queue_candidate(q, data)
    db.session.flush()
    return Queued(q.messages, q.skipped)


def queue_for_session_edit(session: LoopSession, *, now: datetime | None = None) -> Queued:
    """After `loops.services.update_session`: a booked session's title, place or preparation changed."""
    from coordinator.loops.services import Change

    if not session.is_booked:
        return Queued([], [])
    return queue_for_change(Change(loop_id=session.loop_id, booked=[session.id]), now=now)


def settings_snapshot(loop: Loop) -> dict[int, tuple[str, str]]:
    """Where each booked session happens (place, video link), to compare after the loop's settings change."""
    return {s.id: (s.where or "", s.video or "") for s in loop.sessions if s.is_booked}


def queue_for_settings(loop: Loop, before: dict[int, tuple[str, str]], *, now: datetime | None = None) -> Queued:
    """After `loops.services.update_settings`: sessions that took the loop's place or video link and now show
    another get an update (their SEQUENCE is bumped here, as the loop services do for their own changes); the
    candidate's calendar follows a new grouping."""
    from coordinator.loops.services import Change

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
        "kind": kind.value, "loop_id": loop_id, "recipient": _one_line(recipient, 254),
        "recipient_name": _one_line(recipient_name, 160), "subject": _one_line(subject), "method": "",
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


# ---------------------------------------------------------------------------------------------- delivery


@dataclass
class DeliveryReport:
    """What one `deliver_due` round did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, failed {self.failed}, "
                f"held {self.held}")


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4, ... minutes, at most BACKOFF_CAP."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def _due(now: datetime):
    waiting = and_(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.HELD.value]),
                   OutboxMessage.next_attempt_dt <= now)
    abandoned = and_(OutboxMessage.status == OutboxStatus.SENDING.value, OutboxMessage.next_attempt_dt <= now)
    return or_(waiting, abandoned)


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due messages for this deliverer, atomically: on PostgreSQL the rows are locked
    (FOR UPDATE SKIP LOCKED, so a concurrent deliverer takes others), on SQLite the transaction holds the
    write lock. Claimed rows are 'sending' until the lease ends; the attempt is counted now."""
    with write_transaction():
        ids = list(db.session.scalars(
            select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
            .limit(limit).with_for_update(skip_locked=True)
        ))
        if ids:
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                .values(status=OutboxStatus.SENDING.value, next_attempt_dt=now + CLAIM_LEASE,
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    return ids


def _hold_all(now: datetime, reason: str) -> int:
    with write_transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.HELD.value]))
            .values(status=OutboxStatus.HELD.value, last_error=reason)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return result.rowcount or 0


def _record(message_id: int, now: datetime, *, error: DeliveryError | None, report: DeliveryReport) -> None:
    with write_transaction():
        row = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if row is None:  # pragma: no cover - deleted meanwhile
            db.session.commit()
            return
        if error is None:
            row.status, row.sent_dt, row.next_attempt_dt, row.last_error = OutboxStatus.SENT.value, now, None, ""
            report.sent += 1
        elif error.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_dt = OutboxStatus.FAILED.value, None
            prefix = "" if error.permanent else f"Gave up after {row.attempts} attempts. "
            row.last_error = _one_line(prefix + str(error), 1000)
            report.failed += 1
        else:
            row.status, row.next_attempt_dt = OutboxStatus.PENDING.value, now + backoff(row.attempts)
            row.last_error = _one_line(str(error), 1000)
            report.retrying += 1
        db.session.commit()


def deliver_due(now: datetime | None = None, *, limit: int = BATCH_SIZE, settings: SMTPSettings | None = None,
                rounds: int = 20) -> DeliveryReport:
    """Send the messages that are due, then record what happened to each. Never raises.

    Runs its own short transactions (call it outside one; anything uncommitted is committed first). Sending
    happens outside any transaction. A permanent refusal (5xx, authentication, TLS trust) fails the message
    at once; a temporary one (4xx, timeout, no connection) is retried after `backoff(attempts)` until
    MAX_ATTEMPTS. Without an SMTP server configured, pending messages become held and stay readable.
    """
    report = DeliveryReport()
    now = now or now_utc()
    try:
        db.session.commit()
        if settings is None:
            try:
                settings = smtp_settings()
            except ValueError as exc:
                report.held += _hold_all(now, _one_line(f"The mail settings cannot work: {exc}", 1000))
                report.errors.append(str(exc))
                return report
            if settings is None:
                report.held += _hold_all(now, "No mail server is configured (COORDINATOR_SMTP_HOST).")
                return report
        for _ in range(max(1, rounds)):
            ids = _claim(now, limit)
            if not ids:
                break
            report.claimed += len(ids)
            for message_id in ids:
                _deliver_one(message_id, now, settings, report)
            if len(ids) < limit:
                break
    except Exception as exc:  # noqa: BLE001 - the scheduler must keep running whatever happens
        log.exception("outbox: delivery round failed")
        report.errors.append(repr(exc))
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  # pragma: no cover
            log.exception("outbox: rollback failed")
    return report


def _deliver_one(message_id: int, now: datetime, settings: SMTPSettings, report: DeliveryReport) -> None:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    raw = bytes(row.message) if row is not None and row.message else b""
    recipient = row.recipient if row is not None else "?"
    db.session.commit()  # no transaction stays open while the SMTP server is talked to
    error: DeliveryError | None = None
    if not raw:
        error = DeliveryError("The message is empty: it could not be built.", permanent=True)
    else:
        try:
            msg = message_from_bytes(raw, _class=EmailMessage, policy=email_policy.SMTP)
            refused = send_message(msg, settings)
            if refused:
                error = DeliveryError("; ".join(f"{r}: {code} {text}" for r, (code, text) in refused.items()),
                                      permanent=all(code >= 500 for code, _ in refused.values()))
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - whatever smtplib or the parser raises is a temporary failure
            error = DeliveryError(f"unexpected error: {exc!r}", permanent=False)
    if error is None:
        log.info("outbox: sent message %s to %s", message_id, recipient)
    else:
        log.warning("outbox: message %s to %s not sent (%s): %s", message_id, recipient,
                    "permanent" if error.permanent else "temporary", error)
    _record(message_id, now, error=error, report=report)


def purge_old(keep_days: int, *, now: datetime | None = None) -> int:
    """Delete e-mails sent (or failed for good) more than `keep_days` ago: the outbox is a delivery record, not an
    archive, and its messages carry candidates' details and private links. Waiting and held ones always stay."""
    if keep_days <= 0:
        return 0
    cutoff = (now or now_utc()) - timedelta(days=keep_days)
    result = db.session.execute(
        delete(OutboxMessage).where(or_(
            and_(OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_dt < cutoff),
            and_(OutboxMessage.status == OutboxStatus.FAILED.value, OutboxMessage.created_dt < cutoff))))
    return result.rowcount or 0


def retry_message(row: OutboxMessage, *, now: datetime | None = None) -> None:
    """A failed message gets a fresh set of attempts, due now (the scheduler sends it on its next round)."""
    if not row.can_retry:
        raise ValueError("Only a failed message that could be built can be sent again.")
    row.status = (OutboxStatus.PENDING if smtp_configured() else OutboxStatus.HELD).value
    row.attempts, row.next_attempt_dt = 0, now or now_utc()
    db.session.flush()


def parsed(row: OutboxMessage) -> dict[str, Any]:
    """What the outbox page shows of a stored message: headers, the text part, the .ics."""
    if not row.message:
        return {"text": "", "html": "", "ics": "", "headers": []}
    msg = message_from_bytes(bytes(row.message), _class=EmailMessage, policy=email_policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    calendar = next((p for p in msg.walk() if p.get_content_type() == "text/calendar"), None)
    ics = calendar.get_payload(decode=True).decode("utf-8", "replace") if calendar is not None else ""
    headers = [(name, str(msg[name])) for name in ("From", "Reply-To", "To", "Subject", "Date", "Message-ID")
               if msg[name]]
    return {"text": text.get_content() if text is not None else "", "html": html.get_content() if html else "",
            "ics": ics, "headers": headers}


# --------------------------------------------------------------------------------------------- downloads


def session_download(loop: Loop, session: LoopSession, viewer: User, *, now: datetime | None = None) -> bytes:
    """One session as a .ics for the hiring team (METHOD:PUBLISH, the interviewers' UID), in the viewer's zone."""
    data = _LoopData(loop)
    iloop = data.invite_loop([session], viewer.timezone)
    if not iloop.sessions:
        raise InviteError("This session is not booked yet, so it has no time to put in a calendar.")
    return loop_calendar(iloop, stamp=now or now_utc(), audience="internal")


def loop_download(loop: Loop, viewer: User, *, now: datetime | None = None) -> bytes:
    data = _LoopData(loop)
    iloop = data.invite_loop([s for s in loop.sessions if s.start_dt], viewer.timezone)
    if not iloop.sessions:
        raise InviteError("No session of this loop is booked yet.")
    return loop_calendar(iloop, stamp=now or now_utc(), audience="internal")


def candidate_download(loop: Loop, *, now: datetime | None = None) -> bytes:
    """The candidate's events under the loop's grouping, as their invites have them: nothing internal."""
    data = _LoopData(loop, with_details=False)
    iloop = data.invite_loop([s for s in loop.sessions if s.is_booked])
    if not iloop.sessions:
        raise InviteError("No session of this loop is booked yet.")
    sent = {row.uid: row.sequence for row in db.session.scalars(
        select(CandidateInviteEvent).where(CandidateInviteEvent.loop_id == loop.id))}
    return loop_calendar(iloop, stamp=now or now_utc(), audience="candidate", sequences=sent)


def ics_filename(*parts: object) -> str:
    """A download name made only of ASCII letters, digits and dashes: 'interview-zoe-unal-12.ics'."""
    import unicodedata

    text = "-".join(str(p) for p in parts if str(p))
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60].strip("-")
    return f"{slug or 'calendar'}.ics"


# ------------------------------------------------------------------------------------------------- feeds


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_feed_token(user: User, *, now: datetime | None = None) -> str:
    """Make a new feed token for the user, replacing (and so revoking) any earlier one. Only its hash is
    stored: show the returned token once."""
    token = secrets.token_urlsafe(32)
    row = db.session.get(CalendarFeed, user.id)
    if row is None:
        row = CalendarFeed(user_id=user.id)
        db.session.add(row)
    row.token_hash, row.created_dt, row.last_used_dt = _token_hash(token), now or now_utc(), None
    db.session.flush()
    return token


def revoke_feed(user: User) -> bool:
    row = db.session.get(CalendarFeed, user.id)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def feed_url(token: str) -> str:
    return app_url("invites.feed", token=token)


def user_for_feed_token(token: str) -> User | None:
    """The enabled user whose current feed token this is, else None (wrong, revoked, malformed: all alike)."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    digest = _token_hash(token)
    row = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.is_enabled else None


def touch_feed(user_id: int, now: datetime) -> None:
    """Note when a calendar last fetched the feed (at most every few minutes: a feed is polled often).
    Runs its own write transaction; call it after the feed is built."""
    db.session.commit()
    with write_transaction():
        db.session.execute(
            update(CalendarFeed).where(CalendarFeed.user_id == user_id,
                                       or_(CalendarFeed.last_used_dt.is_(None),
                                           CalendarFeed.last_used_dt < now - timedelta(minutes=5)))
            .values(last_used_dt=now).execution_options(synchronize_session=False)
        )
        db.session.commit()


def feed_sessions(user: User, now: datetime) -> list[LoopSession]:
    """The user's interviews from a day ago on: booked ones, and cancelled ones (shown as cancelled)."""
    return list(db.session.scalars(
        select(LoopSession).join(Participant, Participant.session_id == LoopSession.id)
        .where(Participant.user_id == user.id, LoopSession.start_dt.is_not(None),
               LoopSession.end_dt >= now - FEED_PAST,
               LoopSession.status.in_([SessionStatus.BOOKED.value, SessionStatus.CANCELLED.value]))
        .order_by(LoopSession.start_dt).limit(FEED_LIMIT)
        .options(
            selectinload(LoopSession.participants).selectinload(Participant.user),
            selectinload(LoopSession.loop).selectinload(Loop.candidate).selectinload(Candidate.job),
            selectinload(LoopSession.loop).selectinload(Loop.recruiter),
        )
    ))


class _EventCache(MutableMapping):
    """A small thread-safe LRU mapping for `feed_calendar`'s per-event cache (one per process)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value = self._data.get(key, default)
            if value is not default:
                self._data.move_to_end(key)
            return value

    def __getitem__(self, key):
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __delitem__(self, key) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self):
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


#: built feed events, shared by all feeds of this process (about 1.5 kB an event)
FEED_EVENT_CACHE = _EventCache(maxsize=20_000)


def feed_ics(user: User, *, now: datetime | None = None) -> bytes:
    """The user's private feed (no METHOD; '-feed' UIDs so it never collides with the invites)."""
    now = now or now_utc()
    by_loop: dict[int, list[LoopSession]] = defaultdict(list)
    loops: dict[int, Loop] = {}
    for s in feed_sessions(user, now):
        by_loop[s.loop_id].append(s)
        loops[s.loop_id] = s.loop
    invite_loops = []
    focus = _focus_areas(s.id for sessions in by_loop.values() for s in sessions)
    for loop_id, sessions in by_loop.items():
        data = _LoopData(loops[loop_id], details_for=user.id, focus=focus)
        try:
            invite_loops.append(data.invite_loop(sessions, user.timezone))
        except InviteError as exc:  # one bad loop must not take the whole feed down
            log.warning("feed: loop %s left out of %s's feed: %s", loop_id, user.email, exc)
    return feed_calendar(invite_loops, stamp=now, viewer_email=user.email,
                         name=f"Interviews — {user.name}", refresh=timedelta(hours=1), cache=FEED_EVENT_CACHE)
