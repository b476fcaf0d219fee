"""Plain data the scheduling engine reads and writes.

Everything here is framework-free on purpose: the views and the database layer translate their rows into these
objects, the engine proposes times, and the views translate the answer back. Instants are timezone-aware and
stored in UTC; wall-clock notions (working hours, "one day", "one week") are always interpreted in the zone of
the person they belong to, through :mod:`coordinator.timeutil`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from coordinator import timeutil
from coordinator.loops.kinds import Arrangement, SessionKind

__all__ = [
    "ARRANGEMENTS",
    "SESSION_KINDS",
    "CandidateAvailability",
    "FindResult",
    "Interval",
    "InterviewerCalendar",
    "LoopRequest",
    "Option",
    "Person",
    "PlacedSession",
    "PlacementCheck",
    "Reason",
    "Replacement",
    "SessionSpec",
    "office_hours",
    "window_from_dates",
]

SESSION_KINDS = tuple(k.value for k in SessionKind)
ARRANGEMENTS = tuple(a.value for a in Arrangement)

WorkingHours = Mapping[int, Sequence[tuple[time, time]]]


def _freeze(obj: object, *names: str) -> None:
    """Store the named sequence fields of a frozen dataclass as tuples, so what the caller handed the engine cannot
    change under it."""
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """A half-open span of time [start, end), normalised to UTC.

    Half-open so that a meeting ending at 10:00 and one starting at 10:00 do not overlap. ``label`` says what
    the time is ("the interview 'System design'", a calendar event's summary) for messages; it takes no part in
    comparing intervals.
    """

    start: datetime
    end: datetime
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        start, end = timeutil.as_utc(self.start), timeutil.as_utc(self.end)
        if end < start:
            raise ValueError(f"interval ends before it starts: {start.isoformat()} > {end.isoformat()}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class InterviewerCalendar:
    """What the engine knows about one interviewer (or shadow) for the planning window.

    ``busy`` holds everything that blocks them (calendar imports, manual busy time, existing interviews);
    ``interviews`` holds the already-booked interviews again so they can be counted against the load limits
    (they are treated as busy even if the caller forgot to put them in ``busy``). Buffers are minutes the person
    wants free before and after each interview; they keep interviews away from busy blocks and from each other.
    ``busy_spans`` is more busy time, as (start, end) Unix seconds (start rounded down, end up): the form the
    engine computes with, read that way from the database (``loops.booking.calendars_for``) so that thousands of
    blocks cost no datetime each. Both kinds block alike.
    """

    id: int
    name: str
    tz: str
    working_hours: WorkingHours
    busy: Sequence[Interval] = ()
    interviews: Sequence[Interval] = ()
    max_per_day: int = 2
    max_per_week: int = 5
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    busy_spans: Sequence[tuple[int, int]] = ()

    def __post_init__(self) -> None:
        _freeze(self, "busy", "interviews", "busy_spans")
        object.__setattr__(self, "working_hours", {int(k): tuple(v) for k, v in dict(self.working_hours).items()})


Person = InterviewerCalendar
"""Alias: in the engine every participant (interviewer or shadow) is described by their calendar."""


def office_hours(start: time = time(9), end: time = time(17), weekdays: Iterable[int] = range(5)) -> WorkingHours:
    """The common case of the same local window on each working day (Monday=0)."""
    return {d: ((start, end),) for d in weekdays}


@dataclass(frozen=True)
class CandidateAvailability:
    """When the candidate can interview. ``windows=None`` means "whenever the interviewers can".

    The zone matters even without windows: a back-to-back loop must fit on one day *of the candidate's* and the
    option grid is aligned to the candidate's clock.
    """

    tz: str
    windows: Sequence[Interval] | None = None

    def __post_init__(self) -> None:
        if self.windows is not None:
            _freeze(self, "windows")


@dataclass(frozen=True)
class SessionSpec:
    """One interview in the loop.

    Interviewers are ``interviewer_ids`` (always present) plus ``pool_count`` people the engine picks from
    ``pool_ids``. Shadows sit in without scoring; they must be free and the session counts towards their load
    limits like any other interview. ``prep_min`` (practicals) is the candidate's preparation time; it is
    informational only and does not block anyone's calendar.
    """

    title: str
    kind: str
    duration_min: int
    interviewer_ids: tuple[int, ...] = ()
    pool_ids: tuple[int, ...] = ()
    pool_count: int = 1
    shadow_ids: tuple[int, ...] = ()
    prep_min: int = 0

    def __post_init__(self) -> None:
        _freeze(self, "interviewer_ids", "pool_ids", "shadow_ids")

    @property
    def interviewer_count(self) -> int:
        """How many people score this session: the fixed ones plus the pool picks."""
        return len(self.interviewer_ids) + (self.pool_count if self.pool_ids else 0)

    @property
    def all_person_ids(self) -> tuple[int, ...]:
        return self.interviewer_ids + self.pool_ids + self.shadow_ids


def window_from_dates(first_day: date, last_day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC window covering whole local days ``first_day``..``last_day`` (inclusive) in ``tz``."""
    start, _ = timeutil.local_day_bounds(first_day, tz)
    _, end = timeutil.local_day_bounds(last_day, tz)
    return start, end


@dataclass(frozen=True)
class LoopRequest:
    """A loop to place: ordered sessions, the candidate, the window and the arrangement rules.

    back_to_back: all sessions in one block on one candidate-local day, exactly ``buffer_min`` apart; when the
    next session would make continuous interviewing exceed ``max_continuous_min``, the gap before it is
    ``long_break_min`` instead. spread: sessions in order, at least ``buffer_min`` apart, at most
    ``max_sessions_per_day`` per candidate-local day. Start times are on a ``granularity_min`` grid counted from
    local midnight in the candidate's zone.
    """

    sessions: tuple[SessionSpec, ...]
    candidate: CandidateAvailability
    window_start: datetime
    window_end: datetime
    arrangement: str = "back_to_back"
    buffer_min: int = 10
    max_continuous_min: int = 180
    long_break_min: int = 30
    granularity_min: int = 15
    options_wanted: int = 5
    max_sessions_per_day: int = 2
    min_option_gap_min: int = 60
    max_options_per_day: int = 2

    def __post_init__(self) -> None:
        _freeze(self, "sessions")

    @classmethod
    def for_dates(cls, first_day: date, last_day: date, tz: str, **kwargs: object) -> LoopRequest:
        """Build a request whose window is whole days ``first_day``..``last_day`` in ``tz``."""
        start, end = window_from_dates(first_day, last_day, tz)
        return cls(window_start=start, window_end=end, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PlacedSession:
    """A session with a concrete time and concrete people (fixed interviewers first, then pool picks)."""

    session_index: int
    start: datetime
    end: datetime
    interviewer_ids: tuple[int, ...]
    shadow_ids: tuple[int, ...] = ()

    @property
    def person_ids(self) -> tuple[int, ...]:
        return self.interviewer_ids + self.shadow_ids


@dataclass(frozen=True)
class Option:
    """One proposal for the whole loop.

    ``load_max``/``load_variance`` describe fairness: for every participant and every ISO week (their zone) the
    option touches, the number of interviews they would have that week including this option; lower is fairer.
    Among staffings at the same times the engine keeps the one whose descending load vector is smallest (lowest
    maximum, then the most even spread). ``idle_gap_min`` is the candidate's waiting time between sessions on
    the same day. ``sort_key`` is the ranking: earliest start, then fewer days, then fairer load, then less
    idle time.
    """

    sessions: tuple[PlacedSession, ...]
    days: int
    load_max: int
    load_variance: float
    idle_gap_min: int
    sort_key: tuple = field(repr=False)

    @property
    def start(self) -> datetime:
        return self.sessions[0].start

    @property
    def end(self) -> datetime:
        return max(s.end for s in self.sessions)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the engine could not offer (more) options, phrased so a coordinator knows what to change."""

    code: str
    message: str
    person_id: int | None = None


@dataclass(frozen=True)
class FindResult:
    """Options (best first) or reasons. ``exhausted``: the node budget ended the search before it was complete,
    so an empty answer only means "none found in ``combinations`` tries", not "nothing fits"."""

    options: list[Option]
    reasons: list[Reason]
    combinations: int = 0
    exhausted: bool = False

    @property
    def found(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True, slots=True)
class Replacement:
    """A colleague who could take over a session, with the load they already carry (in their own zone)."""

    person_id: int
    name: str
    interviews_that_day: int
    interviews_that_week: int


@dataclass(frozen=True)
class PlacementCheck:
    """Result of checking a hand-placed itinerary.

    ``conflicts`` are hard (someone would be in two places at once) and must be fixed; ``problems`` are soft
    (outside working hours, over a load limit, outside the candidate's windows, inside a buffer) and may be
    accepted with an override reason.
    """

    conflicts: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.problems
