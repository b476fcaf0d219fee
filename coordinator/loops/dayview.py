"""The day view: every participant of a loop across the hours of one day, so a coordinator sees why a time works.

Rows are people (the candidate first); each row shows working hours, busy times, other interviews and this loop's
booked or proposed sessions, positioned on the viewer's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from coordinator.availability import calendar_sync
from coordinator.availability import services as availability
from coordinator.hiring.models import Candidate
from coordinator.loops import services
from coordinator.loops.models import Loop
from coordinator.timeutil import format_clock, format_times, local_day_bounds, local_to_utc, now_utc, to_local

#: how the day view names where a busy time comes from
BUSY_SOURCES = {"manual": "added by hand", "import": "imported calendar file", "caldav": "live calendar"}


@dataclass
class Segment:
    kind: str  # working | busy | interview | booked | proposed | window
    left: float  # percent of the row
    width: float
    label: str
    title: str


@dataclass
class Row:
    name: str
    detail: str
    tz: str
    segments: list[Segment] = field(default_factory=list)
    #: their answers to this loop's invites ("Accepted 'Pairing'")
    answers: list[str] = field(default_factory=list)
    #: where the person's busy times come from and how old they are ("Live calendar, synced 4 min ago")
    sources: str = ""
    sources_old: bool = False


@dataclass
class DayView:
    day: date
    tz: str
    hours: list[tuple[float, str]]  # (left percent, "09:00")
    rows: list[Row]
    is_empty: bool


def build_day_view(loop: Loop, day: date, tz: str, proposed: Sequence[services.Placement] = ()) -> DayView:
    day_start, day_end = local_day_bounds(day, tz)
    sessions = {s.id: s for s in loop.sessions}
    people: dict[int, object] = {}
    for s in loop.sessions:
        for p in s.participants:
            people.setdefault(p.user_id, p.user)
        for u in s.pool:
            people.setdefault(u.id, u)
    for placement in proposed:
        for uid in (*placement.interviewer_ids, *placement.shadow_ids):
            people.setdefault(uid, None)
    calendars = services.calendars_for(people.keys(), day_start, day_end, exclude_loop_id=loop.id)
    busy = availability.busy_with_sources(calendars.keys(), day_start, day_end)
    origins = calendar_sync.busy_sources_for(calendars.keys())
    now = now_utc()

    # Show the hours anyone works that day (at least 08:00-18:00 on the viewer's clock).
    span_start, span_end = local_to_utc(day, time(8), tz), local_to_utc(day, time(18), tz)
    working: dict[int, list[tuple[datetime, datetime]]] = {}
    for uid, cal in calendars.items():
        spans = []
        for offset in (-1, 0, 1):  # the person's local days that touch the viewer's day
            local_day = to_local(day_start, cal.tz).date() + timedelta(days=offset)
            for start_t, end_t in cal.working_hours.get(local_day.weekday(), ()):
                s, e = local_to_utc(local_day, start_t, cal.tz), local_to_utc(local_day, end_t, cal.tz)
                s, e = max(s, day_start), min(e, day_end)
                if s < e:
                    spans.append((s, e))
                    span_start, span_end = min(span_start, s), max(span_end, e)
        working[uid] = spans
    span_start = max(day_start, span_start - timedelta(hours=1))
    span_end = min(day_end, span_end + timedelta(hours=1))
    total = (span_end - span_start).total_seconds()

    def segment(kind: str, s: datetime, e: datetime, label: str, person_tz: str | None) -> Segment | None:
        s, e = max(s, span_start), min(e, span_end)
        if s >= e:
            return None
        title = f"{label}: {format_times(s, e, tz)}"
        if person_tz and person_tz != tz:
            title += f" ({format_times(s, e, person_tz)})"
        return Segment(kind, round((s - span_start).total_seconds() / total * 100, 3),
                       round((e - s).total_seconds() / total * 100, 3), label, title)

    rows: list[Row] = []
    candidate: Candidate = loop.candidate
    cand_row = Row(candidate.name, "Candidate", candidate.timezone)
    windows = services.candidate_availability(candidate, day_start, day_end).windows
    for w in windows or ():
        seg = segment("window", w.start, w.end, "Can interview", candidate.timezone)
        if seg:
            cand_row.segments.append(seg)
    rows.append(cand_row)

    def add_loop_sessions(row: Row, uid: int | None, person_tz: str) -> None:
        for s in loop.active_sessions:
            if s.is_booked and (uid is None or any(p.user_id == uid and p.is_active for p in s.participants)):
                seg = segment("booked", s.start_dt, s.end_dt, s.title, person_tz)
                if seg:
                    row.segments.append(seg)
        for placement in proposed:
            if uid is None or uid in placement.interviewer_ids or uid in placement.shadow_ids:
                session = sessions.get(placement.session_id)
                if session is None:
                    continue
                seg = segment("proposed", placement.start,
                              placement.start + timedelta(minutes=session.duration_min),
                              session.title, person_tz)
                if seg:
                    seg.title = "Proposed: " + seg.title
                if seg:
                    row.segments.append(seg)

    add_loop_sessions(cand_row, None, candidate.timezone)
    for uid, cal in sorted(calendars.items(), key=lambda kv: kv[1].name):
        user = people.get(uid)
        row = Row(cal.name, getattr(user, "job_title", "") or "", cal.tz,
                  sources="; ".join(o.describe(now) for o in origins.get(uid, ())),
                  sources_old=any(o.is_old(now) for o in origins.get(uid, ())))
        row.answers = [f"{p.answer_label} '{s.title}'" for s in loop.active_sessions if s.is_booked
                       for p in s.participants if p.user_id == uid and p.is_active]
        for s, e in working.get(uid, ()):
            seg = segment("working", s, e, "Working hours", cal.tz)
            if seg:
                row.segments.append(seg)
        for start, end, source in busy.get(uid, ()):
            seg = segment("busy", start, end, f"Busy ({BUSY_SOURCES.get(source, source)})", cal.tz)
            if seg:
                row.segments.append(seg)
        for iv in cal.interviews:
            seg = segment("interview", iv.start, iv.end, "Another interview", cal.tz)
            if seg:
                row.segments.append(seg)
        add_loop_sessions(row, uid, cal.tz)
        rows.append(row)

    hours = []
    tick = to_local(span_start, tz).replace(minute=0, second=0, microsecond=0)
    while tick.astimezone(span_start.tzinfo) < span_end:
        at = tick.astimezone(span_start.tzinfo)
        if at >= span_start:
            hours.append((round((at - span_start).total_seconds() / total * 100, 3), format_clock(at, tz)))
        tick = to_local(at + timedelta(hours=1), tz)
    is_empty = not any(seg.kind in ("booked", "proposed") for row in rows for seg in row.segments)
    return DayView(day=day, tz=tz, hours=hours, rows=rows, is_empty=is_empty)

