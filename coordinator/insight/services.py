"""The reports and the calibration, computed in SQL aggregates over a period and a scope of jobs.

Every function takes a `Scope` (the period's first and last UTC day, and a SELECT of the job ids it covers) and
runs a fixed number of aggregate queries, whatever the data size: no rows are loaded one by one. What each report
counts, and by which date it picks its rows:

* loops created in the period (a cohort): time to schedule, reschedules and cancels, the funnel, self-booking;
* interviews (interviewer seats of booked sessions) starting in the period: interviewer load;
* interviewer seats of booked sessions that ended in the period (and by now): scorecards;
* loops whose promised decision date falls in the period: decisions;
* scorecards submitted in the period: calibration.

Weeks are ISO weeks in UTC (Monday to Sunday), days are UTC days: an interview at 23:30 in New York counts on the
next UTC day. Durations are in hours; percentiles interpolate between the closest ranks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    union_all,
)

from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.hiring.models import Candidate, Job
from coordinator.insight import stats
from coordinator.insight.sql import day_number, epoch, tenths
from coordinator.loops.models import (
    Loop,
    LoopEvent,
    LoopSession,
    LoopStatus,
    ParticipantRole,
    SessionInterviewer,
    SessionStatus,
)
from coordinator.portal.models import CandidateLink, CandidatePortal
from coordinator.scorecards.models import Decision, LoopDecision, Scorecard, ScorecardArea, ScorecardStatus

#: the history actions counted as changes, with their labels
CHANGE_ACTIONS = {"rescheduled": "Rescheduled", "replaced": "Interviewer replaced",
                  "session_cancelled": "Session cancelled", "loop_cancelled": "Loop cancelled"}
#: who the history names when the candidate acted on their own page
CANDIDATE_ACTOR = "Candidate"
#: calibration: an interviewer needs compared ratings on at least this many candidates to be described at all
MIN_CANDIDATES = 5
#: the longest period a report covers
MAX_PERIOD_DAYS = 366
PERCENTILES = (0.5, 0.9)

HOUR_BUCKETS: tuple[tuple[float, str], ...] = ((24, "< 1 day"), (48, "1–2 days"), (96, "2–4 days"),
                                               (168, "4–7 days"), (336, "1–2 weeks"), (float("inf"), "2 weeks +"))
FEEDBACK_BUCKETS: tuple[tuple[float, str], ...] = ((4, "< 4 h"), (12, "4–12 h"), (24, "12–24 h"), (48, "1–2 days"),
                                                   (96, "2–4 days"), (float("inf"), "4 days +"))
DAY_BUCKETS: tuple[tuple[float, str], ...] = ((2, "1 day"), (4, "2–3 days"), (8, "4–7 days"),
                                              (float("inf"), "8 days +"))


@dataclass(frozen=True)
class Scope:
    """What a report covers: UTC days `first` to `last` (both included) and the jobs `job_ids` selects."""

    first: date
    last: date
    job_ids: Select

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def weeks(self) -> float:
        return ((self.last - self.first).days + 1) / 7


def job_scope(visible_jobs: Select, job_id: int | None = None, department: str | None = None) -> Select:
    """The ids of the jobs a report covers: those `visible_jobs` (permissions.visible_jobs) selects, narrowed to one
    job or one department when asked."""
    jobs = visible_jobs.subquery()
    query = select(jobs.c.id)
    if job_id is not None:
        query = query.where(jobs.c.id == job_id)
    if department:
        query = query.where(jobs.c.department == department)
    return query


# --- shared pieces -----------------------------------------------------------------------------------------------

def _hours(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    return (epoch(later) - epoch(earlier)) / 3600.0


def _in_scope(scope: Scope) -> ColumnElement:
    return Candidate.job_id.in_(scope.job_ids)


def _cohort(scope: Scope) -> ColumnElement:
    return and_(_in_scope(scope), Loop.created_dt >= scope.start, Loop.created_dt < scope.end)


@dataclass
class Distribution:
    """A measure's count, mean, median, 90th percentile and its counts per bucket."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    buckets: list[tuple[str, int]] = field(default_factory=list)


def distributions(measures: dict[str, Select], edges: Sequence[tuple[float, str]]) -> dict[str, Distribution]:
    """Each measure (a SELECT of one column of numbers, NULLs ignored) summarised from grouped counts, in one query
    for all of them: the values grouped by tenths (count and sum per group, GROUP BY), then count, mean, buckets and
    percentiles here from at most a few thousand groups. A percentile reads each group as its mean, so it is exact
    for whole values and within 0.1 of the exact one otherwise."""
    parts = [select(literal(name).label("m"), q.subquery().c[0].label("v")) for name, q in measures.items()]
    values = union_all(*parts).subquery()
    key = tenths(values.c.v).label("k")
    groups: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for m, k, n, total in db.session.execute(
            select(values.c.m, key, func.count(), func.sum(values.c.v)).where(values.c.v.is_not(None))
            .group_by(values.c.m, key)):
        groups[m].append((k, n, float(total)))
    return {name: summarise(groups.get(name, []), edges) for name in measures}


def summarise(groups: Sequence[tuple[int, int, float]], edges: Sequence[tuple[float, str]]) -> Distribution:
    """A Distribution from (group key, count, sum) rows: each group read as its mean."""
    d = Distribution(buckets=[(label, 0) for _, label in edges])
    ordered = sorted((total / n, n, total) for _, n, total in groups if n)
    d.count = sum(n for _, n, _ in ordered)
    if not d.count:
        return d
    d.mean = sum(total for _, _, total in ordered) / d.count
    for value, n, _ in ordered:
        b = next(i for i, (bound, _) in enumerate(edges) if value < bound or i == len(edges) - 1)
        d.buckets[b] = (d.buckets[b][0], d.buckets[b][1] + n)
    wanted = {r for p in PERCENTILES for r in stats.rank_positions(d.count, p)[:2]}
    by_rank: dict[int, float] = {}
    seen = 0
    for value, n, _ in ordered:
        by_rank.update({r: value for r in wanted if seen <= r < seen + n})
        seen += n
    d.median = stats.percentile_from_ranks(d.count, 0.5, by_rank)
    d.p90 = stats.percentile_from_ranks(d.count, 0.9, by_rank)
    return d


# --- time to schedule ----------------------------------------------------------------------------------------------

@dataclass
class TimeToSchedule:
    loops: int
    booked: int
    to_booking: Distribution
    to_loop: Distribution


def time_to_schedule(scope: Scope) -> TimeToSchedule:
    """Loops created in the period: hours from creation to their first booking (the history's first "booked"), and
    to the start of their first booked interview. 2 queries."""
    booked = (select(LoopEvent.loop_id, func.min(LoopEvent.created_dt).label("at"))
              .where(LoopEvent.action == "booked").group_by(LoopEvent.loop_id).subquery())
    first = (select(LoopSession.loop_id, func.min(LoopSession.start_dt).label("at"))
             .where(LoopSession.status == SessionStatus.BOOKED.value).group_by(LoopSession.loop_id).subquery())
    base = select(Loop.id).select_from(Loop).join(Candidate, Candidate.id == Loop.candidate_id).where(_cohort(scope))
    loops = db.session.scalar(select(func.count()).select_from(base.subquery()))
    found = distributions({
        "booking": base.with_only_columns(_hours(booked.c.at, Loop.created_dt))
        .join(booked, booked.c.loop_id == Loop.id),
        "loop": base.with_only_columns(_hours(first.c.at, Loop.created_dt)).join(first, first.c.loop_id == Loop.id),
    }, HOUR_BUCKETS)
    return TimeToSchedule(loops or 0, found["booking"].count, found["booking"], found["loop"])


# --- reschedules and cancels ---------------------------------------------------------------------------------------

@dataclass
class ChangeKind:
    action: str
    label: str
    events: int
    loops: int
    per_loop: float


@dataclass
class ChangeReason:
    action: str
    label: str
    reason: str
    count: int


@dataclass
class Changes:
    loops: int
    kinds: list[ChangeKind]
    reasons: list[ChangeReason]


def changes(scope: Scope, top_reasons: int = 30) -> Changes:
    """Loops created in the period: their reschedules, replacements and cancellations (any time), per loop and by
    the reason given (reasons compared without case or surrounding space). 3 queries."""
    loops = db.session.scalar(select(func.count(Loop.id)).join(Candidate, Candidate.id == Loop.candidate_id)
                              .where(_cohort(scope))) or 0
    of_cohort = (select(LoopEvent.id).select_from(LoopEvent).join(Loop, Loop.id == LoopEvent.loop_id)
                 .join(Candidate, Candidate.id == Loop.candidate_id)
                 .where(_cohort(scope), LoopEvent.action.in_(CHANGE_ACTIONS)))
    counted = dict(((a, (n, m)) for a, n, m in db.session.execute(
        of_cohort.with_only_columns(LoopEvent.action, func.count(), func.count(distinct(LoopEvent.loop_id)))
        .group_by(LoopEvent.action))))
    kinds = [ChangeKind(a, label, counted.get(a, (0, 0))[0], counted.get(a, (0, 0))[1],
                        counted.get(a, (0, 0))[0] / loops if loops else 0.0) for a, label in CHANGE_ACTIONS.items()]
    key = func.lower(func.trim(LoopEvent.reason))
    reasons = [ChangeReason(a, CHANGE_ACTIONS[a], (shown or "").strip() or "(no reason given)", n)
               for a, shown, n in db.session.execute(
                   of_cohort.with_only_columns(LoopEvent.action, func.min(LoopEvent.reason), func.count().label("n"))
                   .group_by(LoopEvent.action, key).order_by(func.count().desc(), LoopEvent.action)
                   .limit(top_reasons))]
    return Changes(loops, kinds, reasons)


# --- interviewer load ----------------------------------------------------------------------------------------------

@dataclass
class PersonLoad:
    user_id: int
    name: str
    interviews: int
    weeks_active: int
    busiest_week: int
    weekly_limit: int
    weeks_over_limit: int
    per_week: float


@dataclass
class Load:
    weeks: float
    people: list[PersonLoad]
    per_week: Distribution


LOAD_BUCKETS: tuple[tuple[float, str], ...] = ((0.5, "< 0.5"), (1, "0.5–1"), (2, "1–2"), (3, "2–3"), (5, "3–5"),
                                               (float("inf"), "5 +"))


def load(scope: Scope) -> Load:
    """Interviews (interviewer seats of booked sessions starting in the period) per person: in all, per week of the
    period, the busiest UTC week and the weeks over their weekly limit. Busiest first. 1 query."""
    week = ((day_number(LoopSession.start_dt) + 3) // 7).label("week")  # 1970-01-01 was a Thursday
    weekly = (select(SessionInterviewer.user_id, week, func.count().label("n"))
              .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
              .join(Loop, Loop.id == LoopSession.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
              .where(SessionInterviewer.role == ParticipantRole.INTERVIEWER.value,
                     LoopSession.status == SessionStatus.BOOKED.value,
                     LoopSession.start_dt >= scope.start, LoopSession.start_dt < scope.end, _in_scope(scope))
              .group_by(SessionInterviewer.user_id, week).subquery())
    rows = db.session.execute(
        select(User.id, User.name, User.max_interviews_per_week, func.sum(weekly.c.n), func.count(),
               func.max(weekly.c.n), func.sum(case((weekly.c.n > User.max_interviews_per_week, 1), else_=0)))
        .join(weekly, weekly.c.user_id == User.id)
        .group_by(User.id, User.name, User.max_interviews_per_week)
        .order_by(func.sum(weekly.c.n).desc(), User.name))
    weeks = scope.weeks
    people = [PersonLoad(uid, name, int(total), active, busiest, limit, int(over), int(total) / weeks)
              for uid, name, limit, total, active, busiest, over in rows]
    per_week = [p.per_week for p in people]
    dist = Distribution(count=len(people), buckets=[(label, 0) for _, label in LOAD_BUCKETS])
    if people:
        dist.mean = sum(per_week) / len(per_week)
        dist.median, dist.p90 = stats.percentile(per_week, 0.5), stats.percentile(per_week, 0.9)
        for value in per_week:
            n = next(i for i, (bound, _) in enumerate(LOAD_BUCKETS) if value < bound)
            dist.buckets[n] = (dist.buckets[n][0], dist.buckets[n][1] + 1)
    return Load(weeks, people, dist)


# --- scorecards ----------------------------------------------------------------------------------------------------

@dataclass
class PersonOverdue:
    user_id: int
    name: str
    seats: int
    overdue: int


@dataclass
class Scorecards:
    seats: int
    submitted: int
    within_24h: int
    late: int
    overdue: int
    delay: Distribution
    overdue_by_person: list[PersonOverdue]

    @property
    def share_within_24h(self) -> float | None:
        return self.within_24h / self.seats if self.seats else None


def scorecards(scope: Scope, now: datetime) -> Scorecards:
    """Interviewer seats of booked sessions that ended in the period (and by `now`): submitted, submitted within
    24 hours of the session's end, submitted after the job's due time (late), not submitted and past it (overdue);
    hours from the end to submission; overdue ones by person. 2 queries."""
    delay = _hours(Scorecard.submitted_dt, LoopSession.end_dt)
    due = epoch(LoopSession.end_dt) + Job.feedback_due_hours * 3600.0
    is_submitted = Scorecard.status == ScorecardStatus.SUBMITTED.value
    is_overdue = and_(or_(Scorecard.id.is_(None), Scorecard.status != ScorecardStatus.SUBMITTED.value),
                      due < now.timestamp())
    seats = (select(SessionInterviewer.user_id).select_from(SessionInterviewer)
             .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
             .join(Loop, Loop.id == LoopSession.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
             .join(Job, Job.id == Candidate.job_id)
             .outerjoin(Scorecard, and_(Scorecard.session_id == SessionInterviewer.session_id,
                                        Scorecard.interviewer_id == SessionInterviewer.user_id))
             .where(SessionInterviewer.role == ParticipantRole.INTERVIEWER.value,
                    LoopSession.status == SessionStatus.BOOKED.value,
                    LoopSession.end_dt >= scope.start, LoopSession.end_dt < min(scope.end, now), _in_scope(scope)))
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    people = db.session.execute(
        seats.with_only_columns(User.id, User.name, func.count(), one(is_submitted),
                                one(and_(is_submitted, delay <= 24)),
                                one(and_(is_submitted, epoch(Scorecard.submitted_dt) > due)), one(is_overdue))
        .join(User, User.id == SessionInterviewer.user_id).group_by(User.id, User.name)).all()
    total, submitted, within, late, overdue = (sum(int(row[i] or 0) for row in people) for i in range(2, 7))
    found = distributions({"delay": seats.with_only_columns(case((is_submitted, delay)))}, FEEDBACK_BUCKETS)
    by_person = sorted((PersonOverdue(uid, name, n, int(o)) for uid, name, n, _, _, _, o in people if o),
                       key=lambda p: (-p.overdue, p.name))
    return Scorecards(total, submitted, within, late, overdue, found["delay"], by_person)


# --- decisions -----------------------------------------------------------------------------------------------------

@dataclass
class Decisions:
    due: int
    on_time: int
    late: int
    open_overdue: int
    open_not_due: int
    days_late: Distribution

    @property
    def share_on_time(self) -> float | None:
        """Decided by the promised date, of the loops decided or past their date."""
        settled = self.on_time + self.late + self.open_overdue
        return self.on_time / settled if settled else None


def decisions(scope: Scope, now: datetime) -> Decisions:
    """Loops whose promised decision date is in the period: decided by that date (the first decision's UTC day),
    decided after it, still open past it, still open and not due; days late (decided late, and open ones so far).
    2 queries."""
    first = (select(LoopDecision.loop_id, func.min(LoopDecision.decided_dt).label("at"))
             .group_by(LoopDecision.loop_id).subquery())
    today = (now.date() - date(1970, 1, 1)).days
    due_day = day_number(Loop.decision_due_on)
    decided_day = day_number(first.c.at)
    base = (select(Loop.id).select_from(Loop).join(Candidate, Candidate.id == Loop.candidate_id)
            .outerjoin(first, first.c.loop_id == Loop.id)
            .where(_in_scope(scope), Loop.decision_due_on >= scope.first, Loop.decision_due_on <= scope.last,
                   Loop.status != LoopStatus.CANCELLED.value))
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    decided = first.c.at.is_not(None)
    total, on_time, late, open_overdue = db.session.execute(base.with_only_columns(
        func.count(), one(and_(decided, decided_day <= due_day)), one(and_(decided, decided_day > due_day)),
        one(and_(~decided, due_day < today)))).one()
    days_late = case((decided, decided_day - due_day), else_=today - due_day)
    found = distributions({"late": base.with_only_columns(case((days_late > 0, days_late)))}, DAY_BUCKETS)
    total, on_time, late, open_overdue = (int(x or 0) for x in (total, on_time, late, open_overdue))
    return Decisions(total, on_time, late, open_overdue, total - on_time - late - open_overdue, found["late"])


# --- funnel per job ------------------------------------------------------------------------------------------------

@dataclass
class AreaShort:
    focus_area_id: int
    name: str
    rated: int
    short: int

    @property
    def share(self) -> float:
        return self.short / self.rated if self.rated else 0.0


@dataclass
class JobFunnel:
    job_id: int
    title: str
    department: str
    loops: int
    held: int
    cancelled: int
    outcomes: dict[str, int]
    areas: list[AreaShort]

    @property
    def decided(self) -> int:
        return sum(self.outcomes.values())


def funnel(scope: Scope, now: datetime) -> list[JobFunnel]:
    """Per job, for loops created in the period: loops, held (every booked interview over by `now`), cancelled,
    the latest decision by kind, and per focus area the submitted ratings and how many fell short (No or Strong
    no). 3 queries."""
    last_end = (select(LoopSession.loop_id, func.max(LoopSession.end_dt).label("end"))
                .where(LoopSession.status == SessionStatus.BOOKED.value).group_by(LoopSession.loop_id).subquery())
    cohort = (select(Job.id).select_from(Job).join(Candidate, Candidate.job_id == Job.id)
              .join(Loop, Loop.candidate_id == Candidate.id)
              .where(_cohort(scope)))
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    jobs: dict[int, JobFunnel] = {}
    for job_id, title, department, loops, held, cancelled in db.session.execute(
            cohort.with_only_columns(Job.id, Job.title, Job.department, func.count(),
                                     one(and_(last_end.c.end.is_not(None), last_end.c.end <= now)),
                                     one(Loop.status == LoopStatus.CANCELLED.value))
            .outerjoin(last_end, last_end.c.loop_id == Loop.id)
            .group_by(Job.id, Job.title, Job.department).order_by(Job.title, Job.id)):
        jobs[job_id] = JobFunnel(job_id, title, department, loops, int(held or 0), int(cancelled or 0),
                                 {d.value: 0 for d in Decision}, [])
    latest = select(func.max(LoopDecision.id)).group_by(LoopDecision.loop_id)
    for job_id, outcome, n in db.session.execute(
            cohort.with_only_columns(Job.id, LoopDecision.outcome, func.count())
            .join(LoopDecision, LoopDecision.loop_id == Loop.id).where(LoopDecision.id.in_(latest))
            .group_by(Job.id, LoopDecision.outcome)):
        jobs[job_id].outcomes[outcome] = n
    short = ScorecardArea.rating.in_([Rating.STRONG_NO.value, Rating.NO.value])
    for job_id, area_id, name, rated, n in db.session.execute(
            cohort.with_only_columns(Job.id, FocusArea.id, FocusArea.name, func.count(), one(short))
            .join(Scorecard, Scorecard.loop_id == Loop.id)
            .join(ScorecardArea, ScorecardArea.scorecard_id == Scorecard.id)
            .join(FocusArea, FocusArea.id == ScorecardArea.focus_area_id)
            .where(Scorecard.status == ScorecardStatus.SUBMITTED.value, ScorecardArea.rating.is_not(None))
            .group_by(Job.id, FocusArea.id, FocusArea.name)):
        jobs[job_id].areas.append(AreaShort(area_id, name, rated, int(n or 0)))
    for job in jobs.values():
        job.areas.sort(key=lambda a: (-a.share, -a.short, a.name))
    return list(jobs.values())


# --- candidate self-booking ----------------------------------------------------------------------------------------

@dataclass
class SelfBooking:
    loops: int
    booked: int
    offered: int
    by_candidate: int
    link_to_booking: Distribution

    @property
    def share(self) -> float | None:
        """Booked by the candidate, of the loops booked."""
        return self.by_candidate / self.booked if self.booked else None


def self_booking(scope: Scope) -> SelfBooking:
    """Loops created in the period: booked at all, offered self-booking on the candidate's page, booked by the
    candidate there; hours from the first link sent to the candidate's booking. 2 queries."""
    booked = (select(LoopEvent.loop_id, func.min(LoopEvent.created_dt).label("at"))
              .where(LoopEvent.action == "booked").group_by(LoopEvent.loop_id).subquery())
    by_candidate = (select(LoopEvent.loop_id, func.min(LoopEvent.created_dt).label("at"))
                    .where(LoopEvent.action == "booked", LoopEvent.actor_id.is_(None),
                           LoopEvent.actor_label == CANDIDATE_ACTOR).group_by(LoopEvent.loop_id).subquery())
    link = (select(CandidateLink.loop_id, func.min(CandidateLink.created_dt).label("at"))
            .group_by(CandidateLink.loop_id).subquery())
    base = select(Loop.id).select_from(Loop).join(Candidate, Candidate.id == Loop.candidate_id).where(_cohort(scope))
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    loops, n_booked, offered, n_candidate = db.session.execute(
        base.with_only_columns(func.count(), one(booked.c.at.is_not(None)),
                               one(CandidatePortal.allow_self_booking.is_(True)), one(by_candidate.c.at.is_not(None)))
        .outerjoin(booked, booked.c.loop_id == Loop.id).outerjoin(by_candidate, by_candidate.c.loop_id == Loop.id)
        .outerjoin(CandidatePortal, CandidatePortal.loop_id == Loop.id)).one()
    found = distributions({"link": base.with_only_columns(_hours(by_candidate.c.at, link.c.at))
                          .join(by_candidate, by_candidate.c.loop_id == Loop.id)
                          .join(link, link.c.loop_id == Loop.id)}, HOUR_BUCKETS)
    return SelfBooking(int(loops or 0), int(n_booked or 0), int(offered or 0), int(n_candidate or 0), found["link"])


# --- calibration ---------------------------------------------------------------------------------------------------

@dataclass
class Calibration:
    user_id: int
    name: str
    candidates: int
    compared: int
    leniency: stats.MeanInterval | None
    decisions: int
    agreed: int

    @property
    def enough(self) -> bool:
        return self.candidates >= MIN_CANDIDATES and self.leniency is not None

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decisions if self.decisions else None


def _score(column: Any, scale: type) -> ColumnElement:
    return case(*[(column == member.value, member.score) for member in scale], else_=None)


def calibration(scope: Scope) -> list[Calibration]:
    """For every interviewer with submitted scorecards in the period (jobs in scope): leniency, the mean over the
    (candidate's loop, focus area) pairs they rated of their rating (1-4; their mean if they rated the pair twice)
    minus the mean of the other raters of that pair, with a 95% t interval; and agreement of their overall
    recommendation (hire or not) with the loop's latest decision (hire or no hire; another round left out).
    Fewer than MIN_CANDIDATES candidates compared: too few to say. By name, never ranked. 3 queries."""
    submitted = and_(Scorecard.status == ScorecardStatus.SUBMITTED.value, Scorecard.submitted_dt >= scope.start,
                     Scorecard.submitted_dt < scope.end)
    score = _score(ScorecardArea.rating, Rating)
    mine = (select(Scorecard.loop_id, ScorecardArea.focus_area_id, Scorecard.interviewer_id,
                   func.avg(score).label("s"))
            .join(ScorecardArea, ScorecardArea.scorecard_id == Scorecard.id)
            .join(Loop, Loop.id == Scorecard.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
            .where(submitted, _in_scope(scope), ScorecardArea.rating.is_not(None),
                   ScorecardArea.is_not_assessed.is_(False))
            .group_by(Scorecard.loop_id, ScorecardArea.focus_area_id, Scorecard.interviewer_id)).subquery()
    pair = (mine.c.loop_id, mine.c.focus_area_id)
    rated = select(mine.c.interviewer_id, mine.c.loop_id, mine.c.s,
                   func.sum(mine.c.s).over(partition_by=pair).label("total"),
                   func.count().over(partition_by=pair).label("raters")).subquery()
    diff = rated.c.s - (rated.c.total - rated.c.s) / (rated.c.raters - 1.0)
    compared = {uid: (loops, n, float(total), float(total_sq)) for uid, loops, n, total, total_sq in db.session.execute(
        select(rated.c.interviewer_id, func.count(distinct(rated.c.loop_id)), func.count(), func.sum(diff),
               func.sum(diff * diff))
        .where(rated.c.raters >= 2).group_by(rated.c.interviewer_id))}
    latest = select(func.max(LoopDecision.id)).group_by(LoopDecision.loop_id)
    says_hire = Scorecard.recommendation.in_([Recommendation.HIRE.value, Recommendation.STRONG_HIRE.value])
    agreed = {uid: (n, int(a or 0)) for uid, n, a in db.session.execute(
        select(Scorecard.interviewer_id, func.count(),
               func.sum(case((says_hire == (LoopDecision.outcome == Decision.HIRE.value), 1), else_=0)))
        .join(Loop, Loop.id == Scorecard.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
        .join(LoopDecision, LoopDecision.loop_id == Loop.id)
        .where(submitted, _in_scope(scope), LoopDecision.id.in_(latest), Scorecard.recommendation.is_not(None),
               LoopDecision.outcome.in_([Decision.HIRE.value, Decision.NO_HIRE.value]))
        .group_by(Scorecard.interviewer_id))}
    ids = set(compared) | set(agreed)
    names = {u: n for u, n in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))} if ids else {}
    out = []
    for uid in ids:
        loops, n, total, total_sq = compared.get(uid, (0, 0, 0.0, 0.0))
        decided, agree = agreed.get(uid, (0, 0))
        out.append(Calibration(uid, names.get(uid, "?"), loops, n, stats.mean_interval(n, total, total_sq),
                               decided, agree))
    out.sort(key=lambda c: (c.name.casefold(), c.user_id))
    return out
