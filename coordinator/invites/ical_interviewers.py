"""The interviewers' invites: one VEVENT per session, ORGANIZER the recruiter, ATTENDEEs the interviewers
(REQ-PARTICIPANT) and the shadows (OPT-PARTICIPANT); the description is written for its recipient (their focus
areas, their kit link). Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from coordinator.invites.ical_builder import (
    _Builder,
    _check_method,
    _location,
    _status,
    _where_lines,
    _who,
)
from coordinator.invites.ical_data import (
    KINDS,
    InviteError,
    InviteLoop,
    InvitePerson,
    InviteSession,
    _line,
    _same_address,
    _text,
    _uri,
)
from coordinator.timeutil import format_when


def _panel_attendees(session: InviteSession) -> list[tuple[InvitePerson, str]]:
    out = [(i.person, "REQ-PARTICIPANT") for i in session.interviewers]
    out.extend((shadow.person, "OPT-PARTICIPANT") for shadow in session.shadows)
    return out


def _interviewer_summary(loop: InviteLoop, session: InviteSession) -> str:
    return f"Interview: {_line(loop.candidate.name)} — {KINDS[session.kind]} ({_line(loop.job_title)})"


def _interviewer_description(loop: InviteLoop, session: InviteSession, recipient: str | None) -> str:
    kind = KINDS[session.kind]
    lines = [
        f"{kind} interview with {_line(loop.candidate.name)} for {_line(loop.job_title)}",
        f"Session: {_line(session.title)}",
        f"When: {format_when(session.start, session.end, session.tz)}",
        *_where_lines(session),
    ]
    me = None
    if recipient is not None:
        me = next((p for p in session.people if _same_address(p.person.email, recipient)), None)
    if me is not None:
        if any(shadow is me for shadow in session.shadows):
            lines.append("You are shadowing this session.")
        if me.focus_areas:
            lines.append("Your focus areas: " + ", ".join(_line(f) for f in me.focus_areas))
        kit = _uri(me.kit_url, "kit_url")
        if kit:
            lines.append(f"Your interview kit: {kit}")
        lines.append("Interviewers: " + "; ".join(_who(i.person) for i in session.interviewers))
        if session.shadows:
            label = "Shadow" if len(session.shadows) == 1 else "Shadows"
            lines.append(f"{label}: " + "; ".join(_who(p.person) for p in session.shadows))
    else:
        lines.append("Interviewers:")
        for p in session.people:
            role = " [shadow]" if any(p is shadow for shadow in session.shadows) else ""
            item = f"- {_who(p.person)}{role}"
            if p.focus_areas:
                item += " — focus: " + ", ".join(_line(f) for f in p.focus_areas)
            kit = _uri(p.kit_url, "kit_url")
            if kit:
                item += f" — kit: {kit}"
            lines.append(item)
    if session.prep_instructions.strip():
        lines.append(f"Candidate's preparation instructions: {_text(session.prep_instructions)}")
    if session.description.strip():
        lines += ["", _text(session.description)]
    if session.internal_notes.strip():
        lines += ["", f"Internal notes (not shared with the candidate): {_text(session.internal_notes)}"]
    lines += ["", f"Recruiter: {_who(loop.organizer)}"]
    return "\n".join(lines)


def _add_interviewer_event(
    b: _Builder, loop: InviteLoop, session: InviteSession, recipient: str | None, method: str | None, uid: str
) -> None:
    b.event(
        uid=uid,
        sequence=session.sequence,
        start=session.start,
        end=session.end,
        tz=session.tz,
        summary=_interviewer_summary(loop, session),
        description=_interviewer_description(loop, session, recipient),
        location=_location(session),
        url=_uri(session.video_url, "video_url"),
        organizer=loop.organizer,
        attendees=_panel_attendees(session),
        status=_status(session, method),
    )


def _select_interviewer_sessions(
    loop: InviteLoop, recipient: str | None, session_uids: Iterable[str] | None, method: str | None
) -> list[InviteSession]:
    if session_uids is not None:
        wanted = list(dict.fromkeys(session_uids))
        sessions = [loop.session(uid) for uid in wanted]
    else:
        sessions = list(loop.sessions)
        if method == "REQUEST":
            sessions = [s for s in sessions if s.status != "CANCELLED"]
    if recipient is not None:
        sessions = [s for s in sessions if any(_same_address(p.person.email, recipient) for p in s.people)]
        if not sessions:
            raise InviteError(f"{recipient!r} is not an interviewer or shadow on the selected sessions")
    for s in sessions:
        if not s.interviewers:
            raise InviteError(f"session {s.uid} ({_line(s.title)!r}) has no interviewers: nobody to invite")
        if method == "REQUEST" and s.status == "CANCELLED":
            raise InviteError(f"session {s.uid} is cancelled: send a CANCEL, not a REQUEST")
    if not sessions:
        raise InviteError("no sessions to invite to")
    return sessions


def interviewer_invite(
    loop: InviteLoop,
    recipient_email: str | None = None,
    *,
    stamp: datetime,
    method: str = "REQUEST",
    session_uids: Iterable[str] | None = None,
) -> bytes:
    """iTIP REQUEST or CANCEL for interviewers: one VEVENT per session.

    With `recipient_email`, only the sessions that person is an interviewer or shadow on, and the description
    speaks to them (their focus areas, their kit link). Without it, every session, each description listing
    every interviewer's focus areas and kit. `session_uids` (interviewer-side UIDs) narrows the sessions; for
    e-mail send one session per message (Outlook and Gmail act on the first VEVENT of an iTIP message only).
    A REQUEST skips cancelled sessions unless they are named (then it is an error). CANCEL cancels the whole
    event for everybody (STATUS:CANCELLED); bump SEQUENCE first (`next_sequence`).

    Raises InviteError when a selected session has no interviewers.
    """
    method = _check_method(method)
    sessions = _select_interviewer_sessions(loop, recipient_email, session_uids, method)
    b = _Builder(stamp)
    for s in sessions:
        _add_interviewer_event(b, loop, s, recipient_email, method, s.uid)
    return b.to_ical(method)


def interviewer_uninvite(loop: InviteLoop, session_uid: str, removed: InvitePerson, *, stamp: datetime) -> bytes:
    """CANCEL for one interviewer taken off a session; the event stays for everybody else.

    As RFC 5546 3.2.5 says, the only ATTENDEE is the removed person and STATUS is absent (STATUS:CANCELLED
    would cancel the event for everybody). Send it with the same, bumped, SEQUENCE as the REQUEST that goes to
    the remaining interviewers with the new attendee list. `loop` is the loop after the change.
    """
    session = loop.session(session_uid)
    if any(_same_address(p.person.email, removed.email) for p in session.people):
        raise InviteError(f"{removed.email!r} is still on session {session.uid}")
    b = _Builder(stamp)
    b.event(
        uid=session.uid,
        sequence=session.sequence,
        start=session.start,
        end=session.end,
        tz=session.tz,
        summary=_interviewer_summary(loop, session),
        description=f"You are no longer an interviewer on this session.\nRecruiter: {_who(loop.organizer)}",
        location=_location(session),
        url=None,
        organizer=loop.organizer,
        attendees=[(removed, "REQ-PARTICIPANT")],
        status=None,
    )
    return b.to_ical("CANCEL")
