"""The dashboard: what needs someone's action now.

For the hiring team (recruiters, hiring managers, admins): loops that are not scheduled yet, candidates without a
loop, scorecards overdue (who, since when), debriefs ready for a decision, decisions due within 2 days or overdue.
For interviewers: their next interviews and the scorecards they still owe. Each list is a fixed number of queries,
however many loops there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.auth.permissions import visible_jobs
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage, Job
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionInterviewer, SessionStatus
from coordinator.reminders import rules
from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardStatus

#: most rows per list
LIMIT = 50
#: a decision shows up this many days before the promised date
DECISION_HORIZON_DAYS = rules.DECISION_SOON_DAYS


@dataclass
class Overdue:
    """A scorecard that is late: whose, for which session, due since when."""

    session: LoopSession
    user: User
    due: datetime


@dataclass
class LoopAction:
    loop: Loop
    #: not_scheduled | scorecards_overdue | debrief_ready | decision_due
    kind: str
    overdue: list[Overdue] = field(default_factory=list)
    #: days until the promised decision date (negative: overdue)
    days_left: int | None = None
    sessions_booked: int = 0
    sessions_total: int = 0


@dataclass(frozen=True)
class TeamCounts:
    """How many of each the dashboard would list, counted in SQL (the home page shows only these)."""

    not_scheduled: int
    without_loop: int
    scorecards_overdue: int  # scorecards, not loops
    debrief_ready: int
    decisions_due: int
    #: open entries: declines, proposals, what candidates did (coordinator.invites.notices)
    notices: int = 0
    #: booked sessions starting within 24 hours with someone who has not answered their invite
    unanswered: int = 0

    @property
    def count(self) -> int:
        return (self.not_scheduled + self.without_loop + self.scorecards_overdue + self.debrief_ready
                + self.decisions_due + self.notices + self.unanswered)


@dataclass
class TeamDashboard:
    not_scheduled: list[LoopAction]
    without_loop: list[Candidate]
    scorecards_overdue: list[LoopAction]
    debrief_ready: list[LoopAction]
    decisions_due: list[LoopAction]
    #: how many there are in all (each list shows the first LIMIT)
    totals: TeamCounts
    #: open notices, newest first (a decline carries its replacement options)
    notices: list = field(default_factory=list)
    #: sessions within 24 hours that someone has not answered: (session, [people])
    unanswered: list[tuple[LoopSession, list[User]]] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(len(a.overdue) for a in self.scorecards_overdue)


def shows_team_dashboard(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)


def team_loops(user: User) -> Select:
    """Loops the user coordinates or decides on: those of the jobs they may see, and loops they organise."""
    jobs = visible_jobs(user).subquery()
    return (select(Loop).join(Candidate, Candidate.id == Loop.candidate_id)
            .where(or_(Candidate.job_id.in_(select(jobs.c.id)), Loop.recruiter_id == user.id),
                   Loop.status != LoopStatus.CANCELLED.value))


def _loop_options():
    return (joinedload(Loop.candidate).joinedload(Candidate.job), selectinload(Loop.sessions))


def _scope(user: User) -> tuple[list[int] | None, Select]:
    """The ids of the loops in scope (one query), and a select of those loops by id: the databases plan every list
    from the few loops in scope instead of scanning every session and scorecard of the organisation. An admin's
    scope is every loop: no list of ids (None), which would only be longer than the tables it filters."""
    if user.has_role(Role.ADMIN):
        return None, select(Loop).where(Loop.status != LoopStatus.CANCELLED.value)
    ids = list(db.session.scalars(team_loops(user).with_only_columns(Loop.id)))
    return ids, select(Loop).where(Loop.id.in_(_ids(ids)))


def _without_loop(user: User) -> Select:
    jobs = visible_jobs(user).subquery()
    has_loop = exists().where(Loop.candidate_id == Candidate.id)
    return select(Candidate).where(Candidate.job_id.in_(select(jobs.c.id)),
                                   Candidate.stage == CandidateStage.TO_SCHEDULE.value, ~has_loop)


def _decided():
    return exists().where(LoopDecision.loop_id == Loop.id)


def _decisions_due(scope: Select, today) -> Select:
    return scope.where(Loop.decision_due_on.is_not(None),
                       Loop.decision_due_on <= today + timedelta(days=DECISION_HORIZON_DAYS), ~_decided())


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def team_dashboard(user: User, *, now: datetime | None = None, tz: str | None = None) -> TeamDashboard:
    now = now or timeutil.now_utc()
    tz = tz or user.timezone
    today = timeutil.to_local(now, tz).date()
    ids, scope = _scope(user)

    planning = db.session.scalars(
        scope.where(Loop.status == LoopStatus.PLANNING.value).order_by(Loop.created_dt).limit(LIMIT)
        .options(*_loop_options())).unique().all()
    not_scheduled = []
    for loop in planning:
        active = loop.active_sessions
        not_scheduled.append(LoopAction(loop, "not_scheduled", sessions_total=len(active),
                                        sessions_booked=sum(1 for s in active if s.is_booked)))

    without_loop = list(db.session.scalars(
        _without_loop(user).order_by(Candidate.created_dt).limit(LIMIT).options(joinedload(Candidate.job))))

    due_loops = db.session.scalars(
        _decisions_due(scope, today).order_by(Loop.decision_due_on).limit(LIMIT).options(*_loop_options())
    ).unique().all()
    decisions_due = [LoopAction(loop, "decision_due", days_left=(loop.decision_due_on - today).days)
                     for loop in due_loops]

    overdue_by_loop = _overdue_scorecards(ids, now)
    scorecards_overdue = [LoopAction(loop, "scorecards_overdue", overdue=items)
                          for loop, items in overdue_by_loop.values()]
    scorecards_overdue.sort(key=lambda a: min(o.due for o in a.overdue))

    debrief_ready = _debrief_ready(scope, _decided())
    return TeamDashboard(not_scheduled, without_loop, scorecards_overdue[:LIMIT], debrief_ready, decisions_due,
                         _totals(user, ids, scope, now, today), _open_notices(ids), _unanswered(ids, now))


def team_counts(user: User, *, now: datetime | None = None, tz: str | None = None) -> TeamCounts:
    """The dashboard's numbers without loading its rows (the home page shows only these)."""
    now = now or timeutil.now_utc()
    ids, scope = _scope(user)
    return _totals(user, ids, scope, now, timeutil.to_local(now, tz or user.timezone).date())


def _totals(user: User, ids: list[int] | None, scope: Select, now: datetime, today) -> TeamCounts:
    """The lists' own conditions, counted in SQL."""
    due_hours = func.coalesce(Job.feedback_due_hours, rules.FEEDBACK_DUE_HOURS)
    ends = db.session.execute(
        _overdue_seats(ids, now).with_only_columns(LoopSession.end_dt, due_hours)
        .join(Loop, Loop.id == LoopSession.loop_id).join(Candidate, Candidate.id == Loop.candidate_id)
        .join(Job, Job.id == Candidate.job_id)).all()
    return TeamCounts(
        not_scheduled=_count(scope.where(Loop.status == LoopStatus.PLANNING.value)),
        without_loop=_count(_without_loop(user)),
        scorecards_overdue=sum(1 for end, hours in ends if end + timedelta(hours=int(hours)) < now),
        debrief_ready=_count(_debrief_ready_query(scope, _decided(), expected=False)),
        decisions_due=_count(_decisions_due(scope, today)),
        notices=_count(_notices_query(ids)),
        unanswered=_count(_unanswered_query(ids, now).with_only_columns(LoopSession.id).distinct()),
    )


#: a booked session starting this soon with someone who has not answered is listed
UNANSWERED_HOURS = 24


def _notices_query(loop_ids: list[int] | None) -> Select:
    from coordinator.invites.models import Notice

    query = select(Notice).join(Loop, Loop.id == Notice.loop_id).where(
        Notice.done_dt.is_(None), Loop.status != LoopStatus.CANCELLED.value)
    return query if loop_ids is None else query.where(Notice.loop_id.in_(_ids(loop_ids)))


def _open_notices(loop_ids: list[int] | None) -> list:
    from coordinator.invites.models import Notice, Proposal

    return list(db.session.scalars(
        _notices_query(loop_ids).order_by(Notice.created_dt.desc(), Notice.id.desc()).limit(LIMIT)
        .options(joinedload(Notice.loop).joinedload(Loop.candidate).joinedload(Candidate.job),
                 joinedload(Notice.session).selectinload(LoopSession.participants), joinedload(Notice.user),
                 joinedload(Notice.proposal).load_only(Proposal.status, Proposal.start_dt, Proposal.end_dt))
    ).unique())


def _unanswered_query(loop_ids: list[int] | None, now: datetime) -> Select:
    from coordinator.loops.models import Answer

    query = (select(SessionInterviewer).join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
             .where(LoopSession.status == SessionStatus.BOOKED.value, SessionInterviewer.is_active,
                    SessionInterviewer.answer == Answer.NEEDS_ACTION.value, LoopSession.start_dt > now,
                    LoopSession.start_dt <= now + timedelta(hours=UNANSWERED_HOURS)))
    return query if loop_ids is None else query.where(LoopSession.loop_id.in_(_ids(loop_ids)))


def _unanswered(loop_ids: list[int] | None, now: datetime) -> list[tuple[LoopSession, list[User]]]:
    seats = db.session.scalars(
        _unanswered_query(loop_ids, now).order_by(LoopSession.start_dt, SessionInterviewer.id).limit(LIMIT * 8)
        .options(joinedload(SessionInterviewer.user),
                 joinedload(SessionInterviewer.session).joinedload(LoopSession.loop).joinedload(Loop.candidate)
                 .joinedload(Candidate.job))).all()
    grouped: dict[int, tuple[LoopSession, list[User]]] = {}
    for seat in seats:
        grouped.setdefault(seat.session_id, (seat.session, []))[1].append(seat.user)
    return list(grouped.values())[:LIMIT]


def _ids(ids: list[int]):
    """An IN list of loop ids, its numbers written into the SQL (no limit on bound parameters however many)."""
    return bindparam("loop_ids", ids, expanding=True, literal_execute=True)


def _overdue_seats(loop_ids: list[int] | None, now: datetime) -> Select:
    """Interviewer seats of these loops' booked sessions that ended over an hour ago with no submitted scorecard
    (each job's own deadline, at least that hour, is applied to the rows)."""
    submitted = exists().where(Scorecard.session_id == SessionInterviewer.session_id,
                               Scorecard.interviewer_id == SessionInterviewer.user_id,
                               Scorecard.status == ScorecardStatus.SUBMITTED.value)
    query = (select(SessionInterviewer).join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
             .where(LoopSession.status == SessionStatus.BOOKED.value,
                    SessionInterviewer.role == ParticipantRole.INTERVIEWER.value, SessionInterviewer.is_active,
                    LoopSession.end_dt < now - timedelta(hours=1), ~submitted))
    return query if loop_ids is None else query.where(LoopSession.loop_id.in_(_ids(loop_ids)))


def _overdue_scorecards(loop_ids: list[int] | None, now: datetime) -> dict[int, tuple[Loop, list[Overdue]]]:
    """Scorecards past due and not submitted, of these loops, grouped by loop."""
    seats = db.session.scalars(
        _overdue_seats(loop_ids, now).order_by(LoopSession.end_dt).limit(LIMIT * 8)
        .options(joinedload(SessionInterviewer.user),
                 joinedload(SessionInterviewer.session).joinedload(LoopSession.loop).joinedload(Loop.candidate)
                 .joinedload(Candidate.job))
    ).all()
    grouped: dict[int, tuple[Loop, list[Overdue]]] = {}
    for seat in seats:
        session = seat.session
        job = session.loop.candidate.job
        due = session.end_dt + timedelta(hours=int(getattr(job, "feedback_due_hours", None)
                                                   or rules.FEEDBACK_DUE_HOURS))
        if due >= now:
            continue
        grouped.setdefault(session.loop_id, (session.loop, []))[1].append(Overdue(session, seat.user, due))
    return grouped


def _debrief_ready_query(scope: Select, decided, *, expected: bool = True) -> Select:
    """Loops whose every expected scorecard is submitted and that have no decision yet, with how many are expected
    (unless `expected` is False: counting the loops needs no count per loop).

    The expected scorecards are those of the active interviewers of the loop's booked sessions (at least one). The
    test and the count run in SQL (one query), so only the loops listed are loaded."""
    def seats() -> Select:
        return (select(SessionInterviewer.id).join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
                .where(LoopSession.loop_id == Loop.id, LoopSession.status == SessionStatus.BOOKED.value,
                       SessionInterviewer.role == ParticipantRole.INTERVIEWER.value, SessionInterviewer.is_active))

    submitted = exists().where(Scorecard.session_id == SessionInterviewer.session_id,
                               Scorecard.interviewer_id == SessionInterviewer.user_id,
                               Scorecard.status == ScorecardStatus.SUBMITTED.value)
    ready = scope.where(~decided, seats().exists(), ~seats().where(~submitted).exists())
    if not expected:
        return ready.with_only_columns(Loop.id)
    return ready.add_columns(
        seats().with_only_columns(func.count(SessionInterviewer.id)).correlate(Loop).scalar_subquery())


def _debrief_ready(scope: Select, decided) -> list[LoopAction]:
    rows = db.session.execute(
        _debrief_ready_query(scope, decided)
        .order_by(Loop.decision_due_on.is_(None), Loop.decision_due_on, Loop.id).limit(LIMIT)
        .options(joinedload(Loop.candidate).joinedload(Candidate.job))
    ).all()
    return [LoopAction(loop, "debrief_ready", sessions_total=count) for loop, count in rows]


@dataclass
class InterviewerDashboard:
    next_interviews: list[LoopSession]
    scorecards_due: list  # scorecards.services.Seat


def interviewer_dashboard(user: User, *, now: datetime | None = None) -> InterviewerDashboard:
    from coordinator.loops.services import upcoming_interviews
    from coordinator.scorecards.models import CardState
    from coordinator.scorecards.services import my_seats

    now = now or timeutil.now_utc()
    seats = [s for s in my_seats(user, now) if s.state != CardState.SUBMITTED and not s.is_former]
    seats.sort(key=lambda s: (s.due is None, s.due))
    return InterviewerDashboard(upcoming_interviews(user, limit=10), seats)


def shows_interviewer_dashboard(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER)


def decision_words(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left > 0:
        return f"due in {days_left} day{'s' if days_left != 1 else ''}"
    if days_left == 0:
        return "due today"
    return f"overdue by {-days_left} day{'s' if days_left != -1 else ''}"


__all__ = ["InterviewerDashboard", "LoopAction", "Overdue", "TeamDashboard", "decision_words",
           "interviewer_dashboard", "shows_interviewer_dashboard", "shows_team_dashboard", "team_dashboard"]
