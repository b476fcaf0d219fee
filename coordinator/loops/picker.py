"""The people picker's facts: for everyone who may be chosen as an interviewer, pool member or shadow, what a
recruiter weighs when choosing them (their zone, the focus areas they are qualified for or shadowing, their
interviews this week against their weekly limit, and whether they are free in the loop's window).

Everything is read in a constant number of queries, whatever the number of people: the qualifications in one, this
week's interviews in one, and the calendars for the window in the engine's own loader (`calendars_for`). Whether
someone is free is the engine's answer (`free_starts`), not a rule written again here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, Qualification
from coordinator.loops.booking import calendars_for, search_window
from coordinator.loops.changes import LoopError
from coordinator.loops.models import Loop, SessionInterviewer
from coordinator.scheduling import free_starts
from coordinator.timeutil import format_day, format_days, format_instant, now_utc, to_local, zone_label


@dataclass(frozen=True)
class AreaFact:
    name: str
    shadowing: bool
    #: one of the areas this session (or job) is about: listed first
    relevant: bool


@dataclass(frozen=True)
class Window:
    """The loop's window the picker asks about: whole days, the length of the session to fit, and the loop whose
    own sessions do not count as busy (they are being placed again)."""

    start: datetime
    end: datetime
    duration_min: int
    loop_id: int | None = None
    #: the candidate's zone, in which the window's days are named
    tz: str = "UTC"


@dataclass(frozen=True)
class PersonFacts:
    id: int
    name: str
    job_title: str
    zone: str
    areas: tuple[AreaFact, ...]
    week_count: int
    week_limit: int
    #: None when there is no window to ask about (a job's interview plan)
    free: bool | None
    #: "Free from Tue 8 Dec, 09:00" / "Not free in Mon 7 – Fri 18 Dec"
    free_text: str

    @property
    def week_text(self) -> str:
        return f"{self.week_count} of {self.week_limit} interviews this week"

    @property
    def at_limit(self) -> bool:
        return self.week_count >= self.week_limit

    @property
    def search_text(self) -> str:
        """What typing in the picker matches: name, title, focus areas and zone."""
        return " ".join([self.name, self.job_title, self.zone, *(a.name for a in self.areas)]).lower()


def loop_window(loop: Loop, duration_min: int | None) -> Window | None:
    """The loop's window (its own days, else the next two weeks, as Find times uses), for a session this long;
    None for a window Find times would refuse too."""
    try:
        start, end = search_window(loop)
    except LoopError:
        return None
    return Window(start, end, max(1, min(duration_min or 45, 480)), loop.id, loop.candidate.timezone)


def people_facts(people: Sequence[User], *, window: Window | None = None, relevant_area_ids: Iterable[int] = (),
                 viewer_tz: str = "UTC", now: datetime | None = None) -> dict[int, PersonFacts]:
    """{person id: their facts}, for these people, in their order."""
    ids = [u.id for u in people]
    if not ids:
        return {}
    now = now or now_utc()
    relevant = set(relevant_area_ids)
    areas = _areas_of(ids, relevant)
    week = _interviews_this_week(people, now)
    first_free = _first_free(ids, window, now) if window else {}
    zones: dict[str, str] = {}  # most of a company shares a handful of zones
    out: dict[int, PersonFacts] = {}
    for u in people:
        zone = zones.get(u.timezone) or zones.setdefault(u.timezone, zone_label(u.timezone, now))
        free: bool | None = None
        free_text = ""
        if window is not None:
            at = first_free.get(u.id)
            free = at is not None
            free_text = f"Free from {_when(at, viewer_tz)}" if at else f"Not free {_days(window)}"
        out[u.id] = PersonFacts(
            id=u.id, name=u.name, job_title=u.job_title or "", zone=zone,
            areas=tuple(areas.get(u.id, ())), week_count=week[u.id], week_limit=u.max_interviews_per_week,
            free=free, free_text=free_text,
        )
    return out


#: the first look covers this many days of the window; only people not free in them are looked at further
FIRST_LOOK_DAYS = 3


def _first_free(ids: list[int], window: Window, now: datetime) -> dict[int, datetime]:
    """{person id: the first instant they could begin the session in the window}, for those who can at all.

    Most people are free within the window's first days, and reading a fortnight of everyone's busy time costs
    far more than answering: so the first days are read for everyone, and the rest of the window only for those
    not free in them (the second look starts a session's length before the first ends, so a session across the
    boundary is not missed). At most two rounds of the engine's loader: a constant number of queries."""
    start, end = max(window.start, now), window.end
    found: dict[int, datetime] = {}
    if end <= start:
        return found
    cut = min(end, start + timedelta(days=FIRST_LOOK_DAYS))
    looks = [(ids, start, cut)]
    if cut < end:
        looks.append(([], max(start, cut - timedelta(minutes=window.duration_min)), end))
    for n, (who, lo, hi) in enumerate(looks):
        if n:
            who = [i for i in ids if i not in found]
        if not who:
            break
        for uid, cal in calendars_for(who, lo, hi, exclude_loop_id=window.loop_id).items():
            starts = free_starts(cal, lo, hi, window.duration_min)
            if starts:
                found[uid] = starts[0].start
    return found


def _when(dt: datetime, tz: str) -> str:
    """"Thu 11 Mar, 09:00 GMT"."""
    return f"{format_day(to_local(dt, tz).date(), year=False)}, {format_instant(dt, tz, '%H:%M')}"


def _days(window: Window) -> str:
    first = to_local(window.start, window.tz).date()
    last = to_local(window.end - timedelta(seconds=1), window.tz).date()
    return f"on {format_day(first, year=False)}" if first == last else f"between {format_days(first, last)}"


def _areas_of(ids: list[int], relevant: set[int]) -> dict[int, list[AreaFact]]:
    """Each person's qualifications, the session's own areas first, then by name: one query."""
    found: dict[int, list[AreaFact]] = {}
    rows = db.session.execute(
        select(Qualification.user_id, Qualification.is_shadowing, FocusArea.id, FocusArea.name)
        .join(FocusArea, FocusArea.id == Qualification.focus_area_id)
        .where(Qualification.user_id.in_(ids))
    )
    for uid, shadowing, area_id, name in rows:
        found.setdefault(uid, []).append(AreaFact(name, bool(shadowing), area_id in relevant))
    for facts in found.values():
        facts.sort(key=lambda a: (not a.relevant, a.shadowing, a.name.lower()))
    return found


def _interviews_this_week(people: Sequence[User], now: datetime) -> Counter[int]:
    """Booked interviews (shadowing included, as the limits count them) in each person's current ISO week, Monday
    to Sunday in their own zone: one query over the days around now, counted per person's zone."""
    ids = [u.id for u in people]
    rows = db.session.execute(
        select(SessionInterviewer.user_id, SessionInterviewer.start_dt)
        .where(SessionInterviewer.user_id.in_(ids), SessionInterviewer.is_active,
               SessionInterviewer.start_dt > now - timedelta(days=8),
               SessionInterviewer.start_dt < now + timedelta(days=8))
    ).all()
    zones = {u.id: u.timezone for u in people}
    this_week = {uid: to_local(now, tz).isocalendar()[:2] for uid, tz in zones.items()}
    counts: Counter[int] = Counter()
    for uid, start in rows:
        if to_local(start, zones[uid]).isocalendar()[:2] == this_week[uid]:
            counts[uid] += 1
    return counts
