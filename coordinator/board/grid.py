"""What the board shows: one row per person (the candidate, the named interviewers and shadows, the pool members)
across a day or a week in the viewer's zone, with working hours, busy times (and where they came from), other
interviews, the candidate's windows, this loop's sessions (booked, placed on the board, or proposed by Find
times as ghosts) and the slots a session can be put in.

Positions are percentages of the row, computed here; the page only draws them. Every time shown goes through
`coordinator.timeutil`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.auth.models import User
from coordinator.availability.models import BusyBlock
from coordinator.board.models import BoardDraft
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopSession, ParticipantRole, SessionInterviewer
from coordinator.scheduling import Interval
from coordinator.timeutil import (
    format_clock,
    format_day,
    format_range,
    format_times,
    local_to_utc,
    to_local,
    zone_abbreviation,
    zone_name,
)

DAY, WEEK = "day", "week"
#: minutes per slot: half hours for a day, hours for a week (a week of half hours is too many targets)
SLOT_MIN = {DAY: 30, WEEK: 60}
BUSY_SOURCES = {"manual": "entered by hand", "import": "from their calendar file", "caldav": "from their calendar"}


@dataclass
class Segment:
    kind: str  # working | busy | interview | window
    left: float
    width: float
    title: str
    text: str = ""


@dataclass
class Chip:
    """A session of this loop on a row: booked, placed on the board (draft), or proposed by Find times (ghost)."""

    session_id: int
    title: str
    state: str  # booked | draft | ghost
    left: float
    width: float
    when: str  # in the viewer's zone
    hover: str  # with the row person's own time


@dataclass
class Slot:
    start: datetime
    iso: str
    label: str  # "Tue 8 Dec 10:00"
    day_index: int


@dataclass
class Row:
    key: str  # "candidate" or the user id
    kind: str  # candidate | interviewer | shadow | pool
    user_id: int | None
    name: str
    detail: str
    tz: str
    zone_text: str  # "Asia/Kolkata, IST (+4:30 on your clock)"
    pool_of: tuple[int, ...] = ()  # sessions whose pool this person is in
    segments: list[Segment] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)


@dataclass
class SessionCard:
    """One session in the list beside the board: where it is and who is in it, in words."""

    session: LoopSession
    state: str  # unplaced | booked | draft
    when: str
    when_candidate: str
    people: list[str]
    pool: list[tuple[int, str]]  # (user id, name) to pick from
    picked: tuple[int, ...]
    start_iso: str = ""  # where it is now, to preselect that time in its list


@dataclass
class DayHead:
    day: date
    label: str
    left: float
    width: float
    hours: list[tuple[float, str]]


@dataclass
class Board:
    loop: Loop
    tz: str
    mode: str
    first_day: date
    days: list[DayHead]
    slots: list[Slot]
    rows: list[Row]
    cards: list[SessionCard]
    drafts: dict[int, BoardDraft]
    ghost_count: int = 0

    @property
    def has_drafts(self) -> bool:
        return bool(self.drafts)

    @property
    def slot_width(self) -> float:
        return round(100 / len(self.slots), 4) if self.slots else 100


def _offset_text(person_tz: str, viewer_tz: str, at: datetime) -> str:
    mine = to_local(at, viewer_tz).utcoffset() or timedelta(0)
    theirs = to_local(at, person_tz).utcoffset() or timedelta(0)
    diff = int((theirs - mine).total_seconds() // 60)
    zone = f"{zone_name(person_tz)}, {zone_abbreviation(person_tz, at)}"
    if diff == 0:
        return f"{zone} (same clock as yours)"
    sign = "+" if diff > 0 else "−"
    h, m = divmod(abs(diff), 60)
    return f"{zone} ({sign}{h}:{m:02d} on your clock)"


@dataclass
class _Person:
    """What a row needs of a person: name, zone, working hours by weekday, other interviews in the range."""

    name: str
    tz: str
    job_title: str
    working_hours: dict[int, list[tuple[time, time]]]
    interviews: list[Interval]


def _people(ids: list[int], start: datetime, end: datetime, loop_id: int, drawn: list[int]) -> dict[int, _Person]:
    """The board's people in two queries (the booking's `calendars_for` also reads busy time and a week on either
    side for load limits, which the board draws from its own query, or does not need)."""
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)).options(selectinload(User.working_hours)))
    people = {}
    for user in users:
        hours: dict[int, list[tuple[time, time]]] = defaultdict(list)
        for wh in user.working_hours:
            hours[wh.weekday].append((wh.start_time, wh.end_time))
        people[user.id] = _Person(user.name, user.timezone, user.job_title or "", dict(hours), [])
    for uid, s, e in db.session.execute(
        select(SessionInterviewer.user_id, SessionInterviewer.start_dt, SessionInterviewer.end_dt)
        .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
        .where(SessionInterviewer.user_id.in_(drawn), SessionInterviewer.is_active, SessionInterviewer.end_dt > start,
               SessionInterviewer.start_dt < end, LoopSession.loop_id != loop_id)
    ):
        people[uid].interviews.append(Interval(s, e))
    return people


def _merged(blocks: list[tuple]) -> list[tuple]:
    """Busy blocks of one person with the same label and source that overlap or touch, as one block: the same
    busy time, drawn (and read out) once."""
    out: list[list] = []
    for s, e, source, summary in sorted(blocks, key=lambda b: (b[2], b[3], b[0])):
        last = out[-1] if out else None
        if last is not None and last[2] == source and last[3] == summary and s <= last[1]:
            last[1] = max(last[1], e)
        else:
            out.append([s, e, source, summary])
    return [tuple(b) for b in out]


def build_board(
    loop: Loop,
    first_day: date,
    tz: str,
    mode: str = DAY,
    drafts: dict[int, BoardDraft] | None = None,
    ghosts: Sequence[loops.Placement] = (),
    only: set[int] | None = None,
) -> Board:
    """The board of `loop` from `first_day` for a day or a week (`mode`), in the viewer's zone `tz`. With `only`,
    the rows of other people keep their names and zones but not their calendars (a move redraws only its rows)."""
    drafts = drafts or {}
    n_days = 7 if mode == WEEK else 1
    days = [first_day + timedelta(days=i) for i in range(n_days)]
    range_start = local_to_utc(days[0], time(0), tz)
    range_end = local_to_utc(days[-1] + timedelta(days=1), time(0), tz)
    sessions = loops.sessions_to_place(loop)
    by_id = {s.id: s for s in sessions}

    # people: named interviewers and shadows (and pool picks on a draft), then pool members
    role_of: dict[int, str] = {}
    pool_of: dict[int, list[int]] = defaultdict(list)
    for s in sessions:
        for p in s.participants:
            if p.is_from_pool and p.role == ParticipantRole.INTERVIEWER.value:
                continue
            role_of.setdefault(p.user_id, "interviewer" if p.role == ParticipantRole.INTERVIEWER.value else "shadow")
        for u in s.pool:
            pool_of[u.id].append(s.id)
    people_ids = list(dict.fromkeys([*role_of, *pool_of]))
    drawn = people_ids if only is None else [uid for uid in people_ids if uid in only]
    drawn_set = set(drawn)
    calendars = _people(people_ids, range_start, range_end, loop.id, drawn)
    users = {u.id: u for s in sessions for u in [*(p.user for p in s.participants), *s.pool]}

    # hours shown: whenever anyone works (on the viewer's clock), at least 08:00-18:00, an hour either side
    lo_hour, hi_hour = 8, 18
    working: dict[int, list[tuple[datetime, datetime]]] = {}
    for uid, cal in calendars.items():
        spans = []
        first_local = to_local(range_start, cal.tz).date() - timedelta(days=1)
        for k in range(n_days + 2):
            local_day = first_local + timedelta(days=k)
            for start_t, end_t in cal.working_hours.get(local_day.weekday(), ()):
                s, e = local_to_utc(local_day, start_t, cal.tz), local_to_utc(local_day, end_t, cal.tz)
                s, e = max(s, range_start), min(e, range_end)
                if s < e:
                    spans.append((s, e))
                    a, b = to_local(s, tz), to_local(e, tz)
                    lo_hour = min(lo_hour, a.hour)
                    hi_hour = max(hi_hour, 24 if b.date() > a.date() else b.hour + (1 if b.minute else 0))
        working[uid] = spans
    lo_hour, hi_hour = max(0, lo_hour - 1), min(24, hi_hour + 1)

    step = timedelta(minutes=SLOT_MIN[mode])
    per_day = (hi_hour - lo_hour) * 60 // SLOT_MIN[mode]
    windows: list[tuple[datetime, datetime]] = []
    slots: list[Slot] = []
    heads: list[DayHead] = []
    width = 100 / n_days
    for d, day in enumerate(days):
        ws = local_to_utc(day, time(lo_hour), tz)
        we = ws + step * per_day
        windows.append((ws, we))
        hours = []
        for k in range(per_day):
            at = ws + step * k
            slots.append(Slot(at, at.isoformat(), f"{format_day(day, year=False)} {format_clock(at, tz)}", d))
            if at.minute == 0 or SLOT_MIN[mode] >= 60:
                left = round(d * width + k / per_day * width, 3)
                hours.append((left, format_clock(at, tz)))
        heads.append(DayHead(day, format_day(day, year=False), round(d * width, 3), round(width, 3), hours))

    bounds = [(ws.timestamp(), we.timestamp()) for ws, we in windows]

    def spans(s: datetime, e: datetime) -> list[tuple[float, float]]:
        """Every (left, width) percent of a span, one per day window it touches (most spans touch one or none)."""
        a, b = s.timestamp(), e.timestamp()
        out = []
        for d, (ws, we) in enumerate(bounds):
            if b <= ws:
                break
            cs, ce = max(a, ws), min(b, we)
            if cs < ce:
                total = we - ws
                out.append((round(d * width + (cs - ws) / total * width, 3), round((ce - cs) / total * width, 3)))
        return out

    def place(s: datetime, e: datetime) -> tuple[float, float] | None:
        """(left, width) percent of the first day window the span touches; None outside the board."""
        found = spans(s, e)
        return found[0] if found else None

    def hover(s: datetime, e: datetime, person_tz: str) -> str:
        """The times on your clock (the column says the day), and on the person's own when it differs."""
        text = format_times(s, e, tz)
        if person_tz != tz:
            text += f" (their time: {format_times(s, e, person_tz)})"
        return text

    # this loop's sessions: where each is now (draft over booked) and the ghosts of an option
    placed: dict[int, tuple[datetime, datetime, tuple[int, ...], str]] = {}
    for s in sessions:
        d = drafts.get(s.id)
        if d is not None:
            placed[s.id] = (
                d.start_dt,
                d.start_dt + timedelta(minutes=s.duration_min),
                d.interviewers + d.shadows,
                "draft",
            )
        elif s.is_booked:
            placed[s.id] = (s.start_dt, s.end_dt, tuple(p.user_id for p in s.participants if p.is_active), "booked")
    ghost_rows = [
        (
            g.session_id,
            g.start,
            g.start + timedelta(minutes=by_id[g.session_id].duration_min),
            g.interviewer_ids + g.shadow_ids,
        )
        for g in ghosts
        if g.session_id in by_id
    ]

    def chips_for(uid: int | None, person_tz: str) -> list[Chip]:
        out = []
        for sid, (s, e, who, state) in placed.items():
            if uid is None or uid in who:
                pos = place(s, e)
                if pos:
                    out.append(
                        Chip(
                            sid,
                            by_id[sid].title,
                            state,
                            pos[0],
                            pos[1],
                            format_times(s, e, tz),
                            f"{by_id[sid].title}: {hover(s, e, person_tz)}",
                        )
                    )
        for sid, s, e, who in ghost_rows:
            if uid is None or uid in who:
                pos = place(s, e)
                if pos:
                    out.append(
                        Chip(
                            sid,
                            by_id[sid].title,
                            "ghost",
                            pos[0],
                            pos[1],
                            format_times(s, e, tz),
                            f"Proposed {by_id[sid].title}: {hover(s, e, person_tz)}",
                        )
                    )
        return out

    rows: list[Row] = []
    cand = loop.candidate
    cand_row = Row(
        "candidate",
        "candidate",
        None,
        cand.name,
        "Candidate",
        cand.timezone,
        _offset_text(cand.timezone, tz, range_start),
    )
    availability = loops.candidate_availability(cand, range_start, range_end)
    for w in availability.windows or ():
        for left, w_width in spans(w.start, w.end):
            cand_row.segments.append(
                Segment("window", left, w_width, "Can interview: " + hover(w.start, w.end, cand.timezone))
            )
    cand_row.chips = chips_for(None, cand.timezone)
    rows.append(cand_row)

    busy = defaultdict(list)
    if drawn:
        for uid, s, e, source, summary in db.session.execute(
            select(BusyBlock.user_id, BusyBlock.start_dt, BusyBlock.end_dt, BusyBlock.source, BusyBlock.summary).where(
                BusyBlock.user_id.in_(drawn), BusyBlock.end_dt > range_start, BusyBlock.start_dt < range_end
            )
        ):
            busy[uid].append((s, e, source, summary))
    busy = {uid: _merged(blocks) for uid, blocks in busy.items()}
    titles = {uid: person.job_title for uid, person in calendars.items()}

    def order(uid: int) -> tuple:
        return (0 if uid in role_of else 1, calendars[uid].name if uid in calendars else "")

    for uid in sorted(people_ids, key=order):
        cal = calendars.get(uid)
        if cal is None:
            continue
        kind = role_of.get(uid, "pool")
        pools = tuple(pool_of.get(uid, ()))
        detail = titles.get(uid) or ""
        if kind == "pool":
            detail = "Pool: " + ", ".join(f"'{by_id[sid].title}'" for sid in pools)
        elif kind == "shadow":
            detail = "Shadow" + (f" · {detail}" if detail else "")
        row = Row(str(uid), kind, uid, cal.name, detail, cal.tz, _offset_text(cal.tz, tz, range_start), pools)
        for s, e in working.get(uid, ()) if uid in drawn_set else ():
            pieces = spans(s, e)
            title = "Working hours: " + hover(s, e, cal.tz) if pieces else ""
            row.segments += [Segment("working", left, w, title) for left, w in pieces]
        for s, e, source, summary in busy.get(uid, ()):
            pieces = spans(s, e)
            if pieces:
                where = BUSY_SOURCES.get(source, source)
                title = f"{summary or 'Busy'} ({where}): {hover(s, e, cal.tz)}"
                row.segments += [Segment("busy", left, w, title, summary or "Busy") for left, w in pieces]
        for iv in cal.interviews:
            pieces = spans(iv.start, iv.end)
            if pieces:
                title = "Another interview: " + hover(iv.start, iv.end, cal.tz)
                row.segments += [Segment("interview", left, w, title, "Interview") for left, w in pieces]
        row.chips = chips_for(uid, cal.tz)
        rows.append(row)
        users.setdefault(uid, None)

    cards = []
    names = {uid: cal.name for uid, cal in calendars.items()}
    for s in sessions:
        state = placed[s.id][3] if s.id in placed else "unplaced"
        when = when_candidate = start_iso = ""
        who: tuple[int, ...] = ()
        if s.id in placed:
            start, end, who, _ = placed[s.id]
            start_iso = start.isoformat()
            when = format_range(start, end, tz)
            when_candidate = format_range(start, end, cand.timezone)
        else:
            who = tuple(p.user_id for p in s.participants if not p.is_from_pool)
        pool = [(u.id, u.name) for u in s.pool]
        pool_ids = {u.id for u in s.pool}
        cards.append(
            SessionCard(
                s,
                state,
                when,
                when_candidate,
                [names.get(uid) or "?" for uid in who],
                pool,
                tuple(uid for uid in who if uid in pool_ids),
                start_iso,
            )
        )
    return Board(loop, tz, mode, first_day, heads, slots, rows, cards, drafts, len(ghost_rows))
