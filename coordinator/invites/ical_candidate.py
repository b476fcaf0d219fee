"""The candidate's invites: their sessions grouped as the recruiter chose (per session, per back-to-back block,
per day), the candidate the only ATTENDEE, interviewers by name and job title only, times in the candidate's zone.
No interviewer address, kit link or internal note is ever written. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from coordinator.invites.ical_builder import _Builder, _check_method, _location, _where_lines, _who
from coordinator.invites.ical_data import (
    KINDS,
    CandidateEvent,
    Grouping,
    InviteError,
    InviteLoop,
    InviteSession,
    _line,
    _text,
    _uri,
    derive_uid,
)
from coordinator.timeutil import as_utc, format_day, format_times, format_when, to_local


def plan_candidate_events(loop: InviteLoop, grouping: Grouping | str | None = None) -> list[CandidateEvent]:
    """The candidate's events under a grouping (default: the loop's), cancelled sessions left out.

    UIDs: per session `session.candidate_uid`; per block `derive_uid(first session's candidate_uid,
    "block")`; per day `derive_uid(loop.candidate_uid, "day-YYYYMMDD")` (the day in the candidate's zone).
    SEQUENCE defaults to the highest SEQUENCE of the sessions inside. Compare the plan of the old and new
    loop to find events to update (same UID: bump SEQUENCE via `sequences=`) and to cancel (UID gone).
    """
    grouping = Grouping(grouping or loop.grouping)
    active = [s for s in loop.sessions if s.status != "CANCELLED"]
    groups: list[tuple[str, list[InviteSession]]] = []
    if grouping is Grouping.PER_SESSION:
        groups = [(s.candidate_uid, [s]) for s in active]
    elif grouping is Grouping.PER_BLOCK:
        end: datetime | None = None
        for s in active:
            if end is not None and s.start - end <= loop.block_gap:
                groups[-1][1].append(s)
                end = max(end, s.end)
            else:
                groups.append((derive_uid(s.candidate_uid, "block"), [s]))
                end = s.end
    else:
        by_day: dict[date, list[InviteSession]] = {}
        for s in active:
            by_day.setdefault(to_local(s.start, loop.candidate_tz).date(), []).append(s)
        groups = [(derive_uid(loop.candidate_uid, f"day-{d:%Y%m%d}"), ss) for d, ss in sorted(by_day.items())]
    return [CandidateEvent(uid, tuple(ss), max(s.sequence for s in ss)) for uid, ss in groups]


def _candidate_session_lines(loop: InviteLoop, s: InviteSession, indent: str = "") -> list[str]:
    lines = []
    if s.interviewers:
        lines.append(indent + "Interviewers: " + "; ".join(_who(i.person) for i in s.interviewers))
    if s.shadows:
        lines.append(indent + "Also joining (observing): " + "; ".join(_who(p.person) for p in s.shadows))
    lines += [indent + line for line in _where_lines(s)]
    if s.kind == "practical" and s.prep_instructions.strip():
        lines.append(indent + "How to prepare: " + _text(s.prep_instructions).replace("\n", "\n" + indent))
    if s.description.strip():
        lines.append(indent + _text(s.description).replace("\n", "\n" + indent))
    return lines


def _candidate_texts(loop: InviteLoop, ev: CandidateEvent, grouping: Grouping) -> tuple[str, str]:
    tz = loop.candidate_tz
    job = _line(loop.job_title)
    zone_note = f"All times are in your time zone ({tz})."
    if grouping is Grouping.PER_SESSION:
        s = ev.sessions[0]
        summary = f"Interview: {KINDS[s.kind]} — {job}"
        lines = [
            f"{KINDS[s.kind]} interview for {job}: {_line(s.title)}",
            f"When: {format_when(s.start, s.end, tz)} (your time zone, {tz})",
            *_candidate_session_lines(loop, s),
        ]
    else:
        n = len(ev.sessions)
        if grouping is Grouping.PER_BLOCK:
            summary = f"Interviews — {job}" + (f" ({n} sessions)" if n > 1 else "")
            head = f"Your interviews for {job}: {n} session{'s' if n > 1 else ''}"
        else:
            day = format_day(to_local(ev.start, tz).date(), long=True)
            summary = f"Interview day — {job}"
            head = f"Your interview day for {job}, {day}: {n} session{'s' if n > 1 else ''}"
        lines = [head, f"From {format_when(ev.start, ev.end, tz)}. {zone_note}"]
        prev_end = None
        for s in ev.sessions:
            if prev_end is not None and s.start > prev_end:
                lines.append(f"  (break: {int((s.start - prev_end).total_seconds() // 60)} min)")
            lines += ["", f"{format_times(s.start, s.end, tz)} — {KINDS[s.kind]}: {_line(s.title)}"]
            lines += _candidate_session_lines(loop, s, indent="  ")
            prev_end = s.end
    lines += ["", f"Questions? Your recruiter is {_line(loop.organizer.name)}."]
    return summary, "\n".join(lines)


def _candidate_location(ev: CandidateEvent) -> tuple[str, str | None]:
    locations = {_location(s) for s in ev.sessions} - {""}
    videos = {_uri(s.video_url, "video_url") for s in ev.sessions} - {None}
    location = locations.pop() if len(locations) == 1 else ("See the itinerary" if locations else "")
    return location, (videos.pop() if len(videos) == 1 else None)


def candidate_invite(
    loop: InviteLoop,
    *,
    stamp: datetime,
    method: str = "REQUEST",
    grouping: Grouping | str | None = None,
    sequences: Mapping[str, int] | None = None,
    only_uids: Iterable[str] | None = None,
) -> bytes:
    """iTIP REQUEST or CANCEL for the candidate, grouped per session, per block or per day.

    The candidate is the only ATTENDEE; no interviewer address, kit link or internal note is written.
    `sequences` overrides the SEQUENCE of planned events by UID (needed when a block or day changed without
    its sessions' SEQUENCE rising); `only_uids` keeps only those planned events (e.g. one per e-mail, or the
    events that disappeared from the new plan, built from the *old* loop with method CANCEL).
    """
    method = _check_method(method)
    grouping = Grouping(grouping or loop.grouping)
    plan = plan_candidate_events(loop, grouping)
    if only_uids is not None:
        keep = set(only_uids)
        plan = [ev for ev in plan if ev.uid in keep]
    if not plan:
        raise InviteError("the candidate has no (matching) sessions to invite to")
    b = _Builder(stamp)
    for ev in plan:
        _add_candidate_event(b, loop, ev, grouping, method, (sequences or {}).get(ev.uid, ev.sequence))
    return b.to_ical(method)


def candidate_summary(loop: InviteLoop, event: CandidateEvent, grouping: Grouping | str | None = None) -> str:
    """The SUMMARY the candidate sees for a planned event (to name it in an e-mail, or to keep for a later
    `candidate_cancel`)."""
    return _line(_candidate_texts(loop, event, Grouping(grouping or loop.grouping))[0])


def candidate_cancel(
    loop: InviteLoop,
    uid: str,
    *,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    stamp: datetime,
    note: str = "",
) -> bytes:
    """iTIP CANCEL for a candidate event that is no longer in the loop's plan.

    A block that split or merged, a day left without sessions, a session cancelled or a grouping changed:
    the event the candidate holds has no counterpart in the new plan, so it is described from what the
    candidate was last sent (UID, times, summary). Bump `sequence` past the one last sent. The candidate is
    the only ATTENDEE; STATUS:CANCELLED.
    """
    b = _Builder(stamp)
    _add_cancelled_event(b, loop, CancelledEvent(uid, sequence, start, end, summary), note)
    return b.to_ical("CANCEL")


@dataclass(frozen=True)
class CancelledEvent:
    """A candidate event as last sent, now cancelled: its UID, the SEQUENCE of the cancellation, times, SUMMARY."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str


def candidate_cancelled_calendar(
    loop: InviteLoop, events: Iterable[CancelledEvent], *, stamp: datetime, note: str = ""
) -> bytes:
    """The candidate's download once nothing of the loop is left (METHOD:PUBLISH, like the download it replaces).

    Each event keeps the UID the candidate's calendar holds and carries STATUS:CANCELLED with the SEQUENCE of
    the cancellation (one past the last invitation or download), so a calendar that imported the earlier file,
    or received the invitations, applies it and marks the interviews cancelled.
    """
    b = _Builder(stamp)
    for event in events:
        _add_cancelled_event(b, loop, event, note)
    if not b.events:
        raise InviteError("the candidate holds no events to cancel")
    return b.to_ical("PUBLISH", {"X-WR-CALNAME": f"Interviews: {_line(loop.candidate.name)}"})


def _add_cancelled_event(b: _Builder, loop: InviteLoop, event: CancelledEvent, note: str) -> None:
    uid, sequence = event.uid, event.sequence
    try:
        start_utc, end_utc = as_utc(event.start), as_utc(event.end)
    except ValueError as exc:
        raise InviteError(f"candidate event {uid}: {exc}") from exc
    if end_utc <= start_utc:
        raise InviteError(f"candidate event {uid} ends before it starts")
    if not isinstance(sequence, int) or sequence < 0:
        raise InviteError(f"SEQUENCE must be a non-negative integer, not {sequence!r}")
    lines = [f"Cancelled: {format_when(start_utc, end_utc, loop.candidate_tz)} (your time zone, {loop.candidate_tz})"]
    if note.strip():
        lines += ["", _text(note)]
    lines += ["", f"Questions? Your recruiter is {_line(loop.organizer.name)}."]
    b.event(
        uid=uid,
        sequence=sequence,
        start=start_utc,
        end=end_utc,
        tz=loop.candidate_tz,
        summary=event.summary or f"Interview — {_line(loop.job_title)}",
        description="\n".join(lines),
        location="",
        url=None,
        organizer=loop.organizer,
        attendees=[(loop.candidate, "REQ-PARTICIPANT")],
        status="CANCELLED",
    )


def _add_candidate_event(
    b: _Builder, loop: InviteLoop, ev: CandidateEvent, grouping: Grouping, method: str | None, sequence: int
) -> None:
    summary, description = _candidate_texts(loop, ev, grouping)
    location, url = _candidate_location(ev)
    statuses = {s.status for s in ev.sessions}
    status = "CANCELLED" if method == "CANCEL" else ("TENTATIVE" if "TENTATIVE" in statuses else "CONFIRMED")
    b.event(
        uid=ev.uid,
        sequence=sequence,
        start=ev.start,
        end=ev.end,
        tz=loop.candidate_tz,
        summary=summary,
        description=description,
        location=location,
        url=url,
        organizer=loop.organizer,
        attendees=[(loop.candidate, "REQ-PARTICIPANT")],
        status=status,
    )
