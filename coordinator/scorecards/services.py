"""Scorecard rules: which areas an interviewer scores, due dates and states, saving drafts, submitting and
amending without lost updates, the debrief aggregation (plain functions over plain data), the decision and the CSV.

Services add and flush; the view commits once. Who may read what is decided by the independence rule,
`coordinator.auth.permissions.feedback_access`; the functions here that list scorecards take its answer.
Scorecard events go to the audit log, never to the loop's history: that history is shown to every interviewer
of the loop, and who has submitted (or what was decided) must not reach one who has not submitted yet.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.auth.permissions import FeedbackAccess
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, JobFocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.hiring.models import CandidateStage, Job
from coordinator.kits.models import AssignmentFocusArea, InterviewerAssignment, SessionFocusArea
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionStatus
from coordinator.scorecards.models import (
    STAR_FIELDS,
    Decision,
    LoopDecision,
    Scorecard,
    ScorecardArea,
    ScorecardRevision,
    ScorecardStatus,
)

#: longest evidence or notes field, in characters (a long answer is a few thousand)
TEXT_MAX = 20_000
#: longest reason (not assessed, amendment) and decision rationale
REASON_MAX = 2_000
RATIONALE_MAX = 10_000
FEEDBACK_DUE_HOURS_MAX = 14 * 24
TEXT_FIELDS = tuple(name for name, _, _ in STAR_FIELDS) + ("notes",)


class ScorecardError(ValueError):
    """A rule was broken. `errors` maps (area id or None, field name) to a message for the form."""

    def __init__(self, message: str, errors: Mapping[tuple[int | None, str], str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


class StaleScorecard(Exception):
    """The scorecard changed since the form was loaded (another tab, another device): nothing was written."""

    def __init__(self, saved: Scorecard | None) -> None:
        super().__init__("The scorecard was changed elsewhere since this page was loaded.")
        self.saved = saved


# --- which areas an interviewer scores -------------------------------------------------------------------------------

def job_area_order(job_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(JobFocusArea.focus_area_id, JobFocusArea.position)
                                   .where(JobFocusArea.job_id == job_id)).all())


def scorers(session: LoopSession) -> list[User]:
    """The people who score a session: its interviewers, not its shadows."""
    return [p.user for p in session.participants if p.role == ParticipantRole.INTERVIEWER.value]


def assigned_areas(sessions: Sequence[LoopSession], order: Mapping[int, int] | None = None
                   ) -> dict[tuple[int, int], list[FocusArea]]:
    """{(session id, interviewer id): the focus areas they score}, for every interviewer of these sessions.

    An interviewer's own assignment counts; without one, the areas the session is planned to cover. When one
    interviewer of a session was replaced and exactly one newcomer has no assignment, the newcomer takes over the
    assignment of the one who left (as their interview kit does). Three queries whatever the number of sessions.
    """
    ids = [s.id for s in sessions]
    if not ids:
        return {}
    order = order or {}
    assignments = db.session.scalars(
        select(InterviewerAssignment).where(InterviewerAssignment.session_id.in_(ids))
        .options(lazyload(InterviewerAssignment.questions),
                 selectinload(InterviewerAssignment.areas).joinedload(AssignmentFocusArea.focus_area)
                 .lazyload(FocusArea.guidance))).all()
    planned: dict[int, list[FocusArea]] = {i: [] for i in ids}
    for row in db.session.scalars(select(SessionFocusArea).where(SessionFocusArea.session_id.in_(ids)).options(
            joinedload(SessionFocusArea.focus_area).lazyload(FocusArea.guidance))):
        planned[row.session_id].append(row.focus_area)
    for areas in planned.values():
        areas.sort(key=lambda a: (order.get(a.id, len(order)), a.name))
    result: dict[tuple[int, int], list[FocusArea]] = {}
    for session in sessions:
        here = {a.user_id: a for a in assignments if a.session_id == session.id}
        current = scorers(session)
        orphans = [a for uid, a in here.items() if uid not in {u.id for u in current}]
        unassigned = [u for u in current if u.id not in here]
        heir = unassigned[0].id if len(orphans) == 1 and len(unassigned) == 1 else None
        for user in current:
            assignment = here.get(user.id) or (orphans[0] if user.id == heir else None)
            if assignment is not None:
                result[(session.id, user.id)] = [row.focus_area for row in assignment.areas]
            else:
                result[(session.id, user.id)] = list(planned[session.id])
    return result


def areas_for(session: LoopSession, user: User) -> list[FocusArea]:
    return assigned_areas([session], job_area_order(session.loop.candidate.job_id)).get((session.id, user.id), [])


# --- due dates and states --------------------------------------------------------------------------------------------

class CardState(StrEnum):
    PENDING = "pending"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"pending": "Not started", "draft": "Draft", "submitted": "Submitted",
                "overdue": "Overdue"}[self.value]


def due_dt(session: LoopSession, job: Job) -> datetime | None:
    """A scorecard is due `job.feedback_due_hours` (24 by default) after its session ends."""
    if session.end_dt is None:
        return None
    return session.end_dt + timedelta(hours=job.feedback_due_hours or 24)


def card_state(status: str | None, due: datetime | None, now: datetime) -> CardState:
    if status == ScorecardStatus.SUBMITTED.value:
        return CardState.SUBMITTED
    if due is not None and now > due:
        return CardState.OVERDUE
    return CardState.DRAFT if status == ScorecardStatus.DRAFT.value else CardState.PENDING


@dataclass
class Seat:
    """One scorecard a loop expects (or got): a scoring interviewer of a session."""

    session: LoopSession
    user: User
    scorecard: Scorecard | None
    due: datetime | None
    state: CardState
    #: the interviewer no longer scores this session (replaced), but had submitted
    is_former: bool = False

    @property
    def key(self) -> tuple[int, int]:
        return (self.session.id, self.user.id)

    @property
    def is_late(self) -> bool:
        card = self.scorecard
        return bool(card and card.submitted_dt and self.due and card.submitted_dt > self.due)


def loop_scorecards(loop: Loop) -> list[Scorecard]:
    """Every scorecard of the loop with its areas (two queries)."""
    return list(db.session.scalars(select(Scorecard).where(Scorecard.loop_id == loop.id).options(
        selectinload(Scorecard.areas).joinedload(ScorecardArea.focus_area).lazyload(FocusArea.guidance))))


def loop_seats(loop: Loop, cards: Iterable[Scorecard], now: datetime | None = None) -> list[Seat]:
    """The scorecards the loop expects, in itinerary order: the interviewers of its booked sessions, plus submitted
    scorecards of interviewers who were replaced since. (A session still being planned expects none yet.)"""
    now = now or timeutil.now_utc()
    job = loop.candidate.job
    by_key = {(c.session_id, c.interviewer_id): c for c in cards}
    seats: list[Seat] = []
    for session in loop.sessions:
        if session.status != SessionStatus.BOOKED.value:
            continue
        due = due_dt(session, job)
        current = scorers(session)
        for user in current:
            card = by_key.get((session.id, user.id))
            seats.append(Seat(session, user, card, due, card_state(card.status if card else None, due, now)))
        for card in by_key.values():
            if card.session_id == session.id and card.is_submitted and card.interviewer_id not in {
                    u.id for u in current}:
                seats.append(Seat(session, card.interviewer, card, due, CardState.SUBMITTED, is_former=True))
    return seats


def visible_seats(seats: Iterable[Seat], access: FeedbackAccess) -> list[Seat]:
    """The seats a viewer may know about: the independence rule applied to a listing."""
    return [s for s in seats if access.can_read(s.user.id)]


def my_seats(user: User, now: datetime | None = None) -> list[Seat]:
    """Every session the user scores that has started, newest first, with its scorecard state."""
    from coordinator.loops.models import SessionInterviewer

    now = now or timeutil.now_utc()
    sessions = db.session.scalars(
        select(LoopSession).join(SessionInterviewer, SessionInterviewer.session_id == LoopSession.id)
        .join(Loop, Loop.id == LoopSession.loop_id)
        .where(SessionInterviewer.user_id == user.id,
               SessionInterviewer.role == ParticipantRole.INTERVIEWER.value,
               LoopSession.status == SessionStatus.BOOKED.value, LoopSession.start_dt <= now,
               Loop.status != LoopStatus.CANCELLED.value)
        .order_by(LoopSession.start_dt.desc()).limit(200)
        .options(selectinload(LoopSession.loop).selectinload(Loop.candidate))
    ).all()
    if not sessions:
        return []
    cards = {c.session_id: c for c in db.session.scalars(select(Scorecard).where(
        Scorecard.interviewer_id == user.id, Scorecard.session_id.in_([s.id for s in sessions]))
        .options(lazyload(Scorecard.areas)))}
    jobs = {j.id: j for j in db.session.scalars(select(Job).where(
        Job.id.in_({s.loop.candidate.job_id for s in sessions})))}
    seats = []
    for session in sessions:
        card = cards.get(session.id)
        due = due_dt(session, jobs[session.loop.candidate.job_id])
        seats.append(Seat(session, user, card, due, card_state(card.status if card else None, due, now)))
    return seats


# --- what the form sends, as plain data ------------------------------------------------------------------------------

@dataclass
class AreaInput:
    focus_area_id: int
    rating: str | None = None
    is_not_assessed: bool = False
    not_assessed_reason: str = ""
    situation: str = ""
    task: str = ""
    action: str = ""
    result: str = ""
    notes: str = ""

    @property
    def has_evidence(self) -> bool:
        return any(getattr(self, name).strip() for name, _, _ in STAR_FIELDS)

    @property
    def is_empty(self) -> bool:
        return not (self.rating or self.is_not_assessed or self.not_assessed_reason.strip()
                    or any(getattr(self, name).strip() for name in TEXT_FIELDS))


@dataclass
class ScorecardInput:
    recommendation: str | None = None
    takeaways: str = ""
    areas: list[AreaInput] = field(default_factory=list)

    def area(self, focus_area_id: int) -> AreaInput | None:
        return next((a for a in self.areas if a.focus_area_id == focus_area_id), None)


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\x00", "")


def input_from(card: Scorecard | None, areas: Sequence[FocusArea]) -> ScorecardInput:
    """What a form shows for a scorecard: the saved values, one field set per area."""
    data = ScorecardInput(recommendation=card.recommendation if card else None,
                          takeaways=card.takeaways if card else "")
    for area in areas:
        row = card.area(area.id) if card else None
        data.areas.append(AreaInput(
            focus_area_id=area.id, rating=row.rating if row else None,
            is_not_assessed=row.is_not_assessed if row else False,
            not_assessed_reason=row.not_assessed_reason if row else "",
            **{name: getattr(row, name) if row else "" for name in TEXT_FIELDS}))
    return data


def check_caps(data: ScorecardInput) -> dict[tuple[int | None, str], str]:
    """Rules every save obeys, draft or not: values on their scales and texts within their length."""
    errors: dict[tuple[int | None, str], str] = {}
    if data.recommendation and data.recommendation not in {r.value for r in Recommendation}:
        errors[(None, "recommendation")] = "Choose a recommendation from the scale."
    if len(data.takeaways) > TEXT_MAX:
        errors[(None, "takeaways")] = _too_long(data.takeaways, TEXT_MAX)
    for area in data.areas:
        if area.rating and area.rating not in {r.value for r in Rating}:
            errors[(area.focus_area_id, "rating")] = "Choose a rating from the scale."
        if len(area.not_assessed_reason) > REASON_MAX:
            errors[(area.focus_area_id, "not_assessed_reason")] = _too_long(area.not_assessed_reason, REASON_MAX)
        for name in TEXT_FIELDS:
            value = getattr(area, name)
            if len(value) > TEXT_MAX:
                errors[(area.focus_area_id, name)] = _too_long(value, TEXT_MAX)
    return errors


def _too_long(value: str, limit: int) -> str:
    return f"Keep this under {limit:,} characters (it has {len(value):,}). Move the rest to your own notes."


def submission_problems(data: ScorecardInput, required_area_ids: Sequence[int]
                        ) -> dict[tuple[int | None, str], str]:
    """What stops a submission: every assigned area rated (with evidence) or marked not assessed (with a
    reason), and an overall recommendation. Areas outside `required_area_ids` left empty are dropped."""
    errors = check_caps(data)
    required = set(required_area_ids)
    for area in data.areas:
        if area.focus_area_id not in required and area.is_empty:
            continue
        key = area.focus_area_id
        if area.rating and area.is_not_assessed:
            errors.setdefault((key, "rating"), "Either rate this area or mark it not assessed, not both.")
        elif area.is_not_assessed:
            if not area.not_assessed_reason.strip():
                errors.setdefault((key, "not_assessed_reason"), "Say why you could not assess this area.")
        elif not area.rating:
            errors.setdefault((key, "rating"), "Rate this area, or mark it not assessed and say why.")
        elif not area.has_evidence:
            errors.setdefault((key, "situation"), "Write the evidence for this rating: at least one of Situation, "
                                                  "Task, Action and Result.")
    present = {a.focus_area_id for a in data.areas}
    for missing in required - present:
        errors[(missing, "rating")] = "Rate this area, or mark it not assessed and say why."
    if not data.recommendation:
        errors.setdefault((None, "recommendation"), "Choose your overall recommendation.")
    return errors


# --- writing ---------------------------------------------------------------------------------------------------------

def locked_scorecard(session_id: int, user_id: int) -> Scorecard | None:
    """The scorecard row, locked for the rest of the transaction (PostgreSQL: FOR UPDATE; SQLite: the writing
    transaction already holds the write lock), with its current values even if loaded before."""
    return db.session.scalar(select(Scorecard).where(Scorecard.session_id == session_id,
                                                     Scorecard.interviewer_id == user_id)
                             .with_for_update().execution_options(populate_existing=True))


def _check_version(card: Scorecard | None, expected_version: int) -> None:
    current = card.version if card is not None else 0
    if expected_version != current:
        raise StaleScorecard(card)


def _apply(card: Scorecard, data: ScorecardInput, keep_area_ids: Sequence[int]) -> None:
    """Write the values onto the scorecard; areas are ordered as `keep_area_ids`, other rows go."""
    card.recommendation = data.recommendation or None
    card.takeaways = _clean(data.takeaways)
    wanted = list(dict.fromkeys(keep_area_ids))
    rows = {row.focus_area_id: row for row in card.areas}
    for area_id, row in rows.items():
        if area_id not in wanted:
            card.areas.remove(row)
    for position, area_id in enumerate(wanted):
        values = data.area(area_id) or AreaInput(area_id)
        row = rows.get(area_id)
        if row is None:
            row = ScorecardArea(focus_area_id=area_id)
            card.areas.append(row)
        row.position = position
        row.rating = values.rating or None
        row.is_not_assessed = bool(values.is_not_assessed)
        row.not_assessed_reason = _clean(values.not_assessed_reason).strip()
        for name in TEXT_FIELDS:
            setattr(row, name, _clean(getattr(values, name)))


def _new_card(session: LoopSession, user: User, now: datetime) -> Scorecard:
    card = Scorecard(loop_id=session.loop_id, session_id=session.id, interviewer_id=user.id,
                     status=ScorecardStatus.DRAFT.value, version=0, created_dt=now, updated_dt=now)
    db.session.add(card)
    return card


def _require_open(session: LoopSession) -> None:
    if session.loop.status == LoopStatus.CANCELLED.value or session.status == SessionStatus.CANCELLED.value:
        raise ScorecardError("This interview was cancelled; it takes no scorecard.")
    if session.status != SessionStatus.BOOKED.value or session.start_dt is None:
        raise ScorecardError("This interview is not booked yet; its scorecard opens once it is.")


def save_draft(session: LoopSession, user: User, data: ScorecardInput, expected_version: int,
               area_ids: Sequence[int]) -> Scorecard:
    """Save without checking completeness (only scales and lengths). A submitted scorecard is locked."""
    _require_open(session)
    card = locked_scorecard(session.id, user.id)
    _check_version(card, expected_version)
    if card is not None and card.is_submitted:
        raise ScorecardError("This scorecard is submitted and locked. To change it, amend it and give a reason.")
    errors = check_caps(data)
    if errors:
        raise ScorecardError("Some fields are too long or off the scale; nothing was saved.", errors)
    now = timeutil.now_utc()
    if card is None:
        card = _new_card(session, user, now)
    # Keep what was typed for an area no longer assigned, so nothing is lost; drop such rows once empty.
    keep = list(area_ids) + [a.focus_area_id for a in data.areas
                             if a.focus_area_id not in area_ids and not a.is_empty]
    _apply(card, data, keep)
    card.version += 1
    card.updated_dt = now
    db.session.flush()
    audit("scorecard.draft_saved", "scorecard", card.id, detail=f"version={card.version}")
    return card


def _snapshot(card: Scorecard, names: Mapping[int, str]) -> list[dict]:
    return [{"focus_area_id": row.focus_area_id, "name": names.get(row.focus_area_id, ""), "rating": row.rating,
             "is_not_assessed": row.is_not_assessed, "not_assessed_reason": row.not_assessed_reason,
             **{name: getattr(row, name) for name in TEXT_FIELDS}} for row in card.areas]


def _add_revision(card: Scorecard, user: User, reason: str, names: Mapping[int, str], now: datetime) -> None:
    card.revision += 1
    db.session.add(ScorecardRevision(scorecard_id=card.id, number=card.revision, created_dt=now, author_id=user.id,
                                     reason=reason, recommendation=card.recommendation or "",
                                     takeaways=card.takeaways, areas=_snapshot(card, names)))


def submit(session: LoopSession, user: User, data: ScorecardInput, expected_version: int,
           areas: Sequence[FocusArea]) -> Scorecard:
    """Check completeness, lock the scorecard and keep its content as revision 1."""
    _require_open(session)
    now = timeutil.now_utc()
    if session.start_dt > now:
        raise ScorecardError("You can submit once the interview has started. Save a draft until then.")
    card = locked_scorecard(session.id, user.id)
    _check_version(card, expected_version)
    if card is not None and card.is_submitted:
        raise ScorecardError("This scorecard is already submitted. To change it, amend it and give a reason.")
    area_ids = [a.id for a in areas]
    errors = submission_problems(data, area_ids)
    if errors:
        raise ScorecardError("The scorecard is not complete yet; it was not submitted.", errors)
    if card is None:
        card = _new_card(session, user, now)
    keep = area_ids + [a.focus_area_id for a in data.areas if a.focus_area_id not in area_ids and not a.is_empty]
    _apply(card, data, keep)
    card.status = ScorecardStatus.SUBMITTED.value
    card.version += 1
    card.updated_dt = card.submitted_dt = now
    db.session.flush()
    _add_revision(card, user, "", _area_names(card, areas), now)
    candidate = session.loop.candidate
    if candidate.stage == CandidateStage.SCHEDULED.value:
        candidate.stage = CandidateStage.DEBRIEF.value
    db.session.flush()
    audit("scorecard.submitted", "scorecard", card.id, detail="revision=1")
    return card


def amend(session: LoopSession, user: User, data: ScorecardInput, expected_version: int, reason: str) -> Scorecard:
    """Change a submitted scorecard: the same completeness rules, a reason, and a new revision."""
    card = locked_scorecard(session.id, user.id)
    if card is None or not card.is_submitted:
        raise ScorecardError("Only a submitted scorecard can be amended; save your draft instead.")
    _check_version(card, expected_version)
    reason = _clean(reason).strip()
    errors = submission_problems(data, [row.focus_area_id for row in card.areas])
    if not reason:
        errors[(None, "reason")] = "Say why you are amending a submitted scorecard; the history keeps it."
    elif len(reason) > REASON_MAX:
        errors[(None, "reason")] = _too_long(reason, REASON_MAX)
    if errors:
        raise ScorecardError("The amendment was not saved; the submitted scorecard is unchanged.", errors)
    now = timeutil.now_utc()
    _apply(card, data, [row.focus_area_id for row in card.areas])
    card.version += 1
    card.updated_dt = now
    db.session.flush()
    _add_revision(card, user, reason, _area_names(card, []), now)
    db.session.flush()
    audit("scorecard.amended", "scorecard", card.id, detail=f"revision={card.revision}")
    return card


def _area_names(card: Scorecard, areas: Sequence[FocusArea]) -> dict[int, str]:
    names = {a.id: a.name for a in areas}
    for row in card.areas:
        if row.focus_area_id not in names:
            names[row.focus_area_id] = row.focus_area.name
    return names


# --- the debrief: plain functions over plain data --------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One expected scorecard in the debrief matrix."""

    key: tuple[int, int]
    session_title: str
    interviewer: str
    state: CardState
    due: datetime | None = None
    submitted_dt: datetime | None = None
    is_late: bool = False
    recommendation: Recommendation | None = None
    takeaways: str = ""


@dataclass(frozen=True)
class Cell:
    """One interviewer's entry for one area: rated, not assessed, or assigned but not submitted yet."""

    rating: Rating | None = None
    is_not_assessed: bool = False
    reason: str = ""
    evidence: tuple[tuple[str, str], ...] = ()
    notes: str = ""
    is_pending: bool = False


@dataclass
class AreaSummary:
    area_id: int
    name: str
    ratings: list[Rating]
    #: max - min, in points of the 4-point scale
    spread: int
    mean: float | None
    #: the rating the team agrees on (nearest the mean), None when split across the middle or unrated
    consensus: Rating | None
    flags: list[str]
    #: (interviewer, reason) of those who marked it not assessed
    not_assessed: list[tuple[str, str]]
    #: interviewers it is assigned to who have not submitted yet
    pending: int

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)

    @property
    def nobody_assessed(self) -> bool:
        return not self.ratings

    @property
    def consensus_label(self) -> str:
        if not self.ratings:
            return "—"
        return self.consensus.label if self.consensus else "Split"


@dataclass
class Debrief:
    areas: list[tuple[int, str]]
    columns: list[Column]
    cells: dict[tuple[int, tuple[int, int]], Cell]
    summaries: list[AreaSummary]
    #: [(recommendation, count)] best first, including zeros
    tally: list[tuple[Recommendation, int]]
    recommendation_flags: list[str]

    @property
    def submitted(self) -> list[Column]:
        return [c for c in self.columns if c.state == CardState.SUBMITTED]

    @property
    def missing(self) -> list[Column]:
        return [c for c in self.columns if c.state != CardState.SUBMITTED]

    @property
    def overdue(self) -> list[Column]:
        return [c for c in self.columns if c.state == CardState.OVERDUE]

    @property
    def flagged(self) -> list[AreaSummary]:
        return [s for s in self.summaries if s.flags]

    @property
    def unassessed(self) -> list[AreaSummary]:
        return [s for s in self.summaries if not s.ratings]

    def cell(self, area_id: int, column: Column) -> Cell | None:
        return self.cells.get((area_id, column.key))


def consensus_of(ratings: Sequence[Rating]) -> Rating | None:
    """The rating nearest the mean when every rating is on the same side of the scale (ties go to the less
    extreme one); None when ratings straddle the middle or there are none."""
    if not ratings or len({r.is_positive for r in ratings}) > 1:
        return None
    mean = sum(r.score for r in ratings) / len(ratings)
    return min(Rating, key=lambda r: (abs(r.score - mean), abs(r.score - 2.5)))


def summarize_area(area_id: int, name: str, cells: Sequence[tuple[str, Cell]]) -> AreaSummary:
    """Spread, consensus and disagreement flags of one area from its cells [(interviewer, cell)]."""
    ratings = [c.rating for _, c in cells if c.rating is not None]
    scores = [r.score for r in ratings]
    spread = max(scores) - min(scores) if scores else 0
    flags = []
    if spread >= 2:
        low, high = min(ratings, key=lambda r: r.score), max(ratings, key=lambda r: r.score)
        flags.append(f"Ratings {spread} points apart ({low.label} and {high.label})")
    if any(r.is_positive for r in ratings) and not all(r.is_positive for r in ratings):
        flags.append("Yes and No side by side")
    return AreaSummary(
        area_id=area_id, name=name, ratings=ratings, spread=spread,
        mean=round(sum(scores) / len(scores), 1) if scores else None, consensus=consensus_of(ratings),
        flags=flags, not_assessed=[(who, c.reason) for who, c in cells if c.is_not_assessed],
        pending=sum(1 for _, c in cells if c.is_pending))


def tally_recommendations(recommendations: Iterable[Recommendation | None]) -> tuple[list[tuple[Recommendation, int]],
                                                                                     list[str]]:
    given = [r for r in recommendations if r is not None]
    counts = Counter(given)
    flags = []
    if any(r.is_positive for r in given) and not all(r.is_positive for r in given):
        flags.append("Hire and no-hire recommendations side by side")
    return [(r, counts.get(r, 0)) for r in reversed(Recommendation)], flags


def aggregate(areas: Sequence[tuple[int, str]], columns: Sequence[Column],
              cells: Mapping[tuple[int, tuple[int, int]], Cell]) -> Debrief:
    """The debrief of a loop from plain data: the matrix, a summary per area, the tally of recommendations."""
    summaries = []
    names = {c.key: c.interviewer for c in columns}
    for area_id, name in areas:
        area_cells = [(names[c.key], cells[(area_id, c.key)]) for c in columns if (area_id, c.key) in cells]
        summaries.append(summarize_area(area_id, name, area_cells))
    tally, flags = tally_recommendations(c.recommendation for c in columns if c.state == CardState.SUBMITTED)
    return Debrief(areas=list(areas), columns=list(columns), cells=dict(cells), summaries=summaries, tally=tally,
                   recommendation_flags=flags)


def build_debrief(loop: Loop, now: datetime | None = None) -> tuple[Debrief, list[Seat]]:
    """Read the loop's scorecards and assignments (a fixed number of queries) and aggregate them. Only submitted
    scorecards contribute ratings; an interviewer's draft shows as missing."""
    now = now or timeutil.now_utc()
    job = loop.candidate.job
    order = job_area_order(job.id)
    cards = loop_scorecards(loop)
    seats = loop_seats(loop, cards, now)
    live_sessions = [s for s in loop.sessions if s.status == SessionStatus.BOOKED.value]
    assigned = assigned_areas(live_sessions, order)
    area_names: dict[int, str] = {}
    if order:
        area_names.update(db.session.execute(select(FocusArea.id, FocusArea.name)
                                             .where(FocusArea.id.in_(list(order)))).all())
    columns: list[Column] = []
    cells: dict[tuple[int, tuple[int, int]], Cell] = {}
    for seat in seats:
        card = seat.scorecard
        submitted = card is not None and card.is_submitted
        recommendation = Recommendation(card.recommendation) if submitted and card.recommendation else None
        columns.append(Column(key=seat.key, session_title=seat.session.title, interviewer=seat.user.name,
                              state=seat.state, due=seat.due, submitted_dt=card.submitted_dt if card else None,
                              is_late=seat.is_late, recommendation=recommendation,
                              takeaways=card.takeaways if submitted else ""))
        if submitted:
            for row in card.areas:
                area_names.setdefault(row.focus_area_id, row.focus_area.name)
                cells[(row.focus_area_id, seat.key)] = Cell(
                    rating=Rating(row.rating) if row.rating else None, is_not_assessed=row.is_not_assessed,
                    reason=row.not_assessed_reason,
                    evidence=tuple((label, getattr(row, name)) for name, label, _ in STAR_FIELDS),
                    notes=row.notes)
        else:
            for area in assigned.get(seat.key, []):
                area_names.setdefault(area.id, area.name)
                cells[(area.id, seat.key)] = Cell(is_pending=True)
    area_list = sorted(area_names.items(), key=lambda item: (order.get(item[0], len(order)), item[1]))
    return aggregate(area_list, columns, cells), seats


def latest_decision(loop: Loop) -> LoopDecision | None:
    return db.session.scalar(select(LoopDecision).where(LoopDecision.loop_id == loop.id)
                             .order_by(LoopDecision.decided_dt.desc(), LoopDecision.id.desc()).limit(1)
                             .options(selectinload(LoopDecision.decided_by)))


def decisions_of(loop: Loop) -> list[LoopDecision]:
    return list(db.session.scalars(select(LoopDecision).where(LoopDecision.loop_id == loop.id)
                                   .order_by(LoopDecision.decided_dt.desc(), LoopDecision.id.desc())
                                   .options(selectinload(LoopDecision.decided_by))))


# --- the decision ----------------------------------------------------------------------------------------------------

#: what a decision does to the candidate's stage (another round leaves it where it is)
STAGE_AFTER = {Decision.HIRE: CandidateStage.OFFER, Decision.NO_HIRE: CandidateStage.NOT_HIRED}


def record_decision(loop: Loop, outcome: str, rationale: str, actor: User, missing: int = 0,
                    accept_missing: bool = False) -> LoopDecision:
    """Record hire / no hire / another round with its rationale, and move the candidate's stage."""
    errors: dict[tuple[int | None, str], str] = {}
    if outcome not in {d.value for d in Decision}:
        errors[(None, "outcome")] = "Choose hire, no hire or another round."
    rationale = _clean(rationale).strip()
    if not rationale:
        errors[(None, "rationale")] = "Write the rationale: what the decision rests on."
    elif len(rationale) > RATIONALE_MAX:
        errors[(None, "rationale")] = _too_long(rationale, RATIONALE_MAX)
    if missing and not accept_missing:
        errors[(None, "accept_missing")] = (f"{missing} scorecard{'s are' if missing != 1 else ' is'} missing. "
                                            "Tick the box to decide without them, or wait for them.")
    if loop.status == LoopStatus.CANCELLED.value:
        raise ScorecardError("This loop is cancelled; no decision can be recorded on it.")
    if errors:
        raise ScorecardError("The decision was not recorded.", errors)
    decision = Decision(outcome)
    row = LoopDecision(loop_id=loop.id, outcome=decision.value, rationale=rationale, decided_by_id=actor.id,
                       decided_dt=timeutil.now_utc())
    db.session.add(row)
    stage = STAGE_AFTER.get(decision)
    candidate = loop.candidate
    if stage is not None:
        candidate.stage = stage.value
    db.session.flush()
    audit("debrief.decided", "loop", loop.id, detail=f"outcome={decision.value}")
    return row


# --- the CSV export --------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_HEADER = ("Candidate", "Job", "Session", "Interviewer", "Scorecard", "Submitted (UTC)", "Focus area", "Rating",
              "Score (1-4)", "Not assessed because", "Situation", "Task", "Action", "Result", "Notes",
              "Overall recommendation", "Key takeaways")


def debrief_csv(loop: Loop, debrief: Debrief) -> str:
    """One row per interviewer and focus area (one row for a scorecard without areas); drafts export no content."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    names = dict(debrief.areas)
    candidate, job = loop.candidate.name, loop.candidate.job.title
    for column in debrief.columns:
        submitted = column.submitted_dt.strftime("%Y-%m-%d %H:%M") if column.submitted_dt and \
            column.state == CardState.SUBMITTED else ""
        base = [candidate, job, column.session_title, column.interviewer, column.state.label, submitted]
        tail = [column.recommendation.label if column.recommendation else "", column.takeaways]
        rows = [(area_id, debrief.cells[(area_id, column.key)]) for area_id, _ in debrief.areas
                if (area_id, column.key) in debrief.cells]
        if not rows:
            writer.writerow([csv_cell(v) for v in base + [""] * 9 + tail])
        for area_id, cell in rows:
            evidence = dict(cell.evidence)
            writer.writerow([csv_cell(v) for v in base + [
                names.get(area_id, ""),
                cell.rating.label if cell.rating else ("Not assessed" if cell.is_not_assessed else ""),
                cell.rating.score if cell.rating else "", cell.reason,
                *(evidence.get(label, "") for _, label, _ in STAR_FIELDS), cell.notes] + tail])
    return out.getvalue()


def decision_state(loop: Loop, decision: LoopDecision | None, viewer_tz: str, now: datetime | None = None) -> str:
    """'Decided 2 days before the promised date', 'Due in 3 days', 'Overdue by 1 day' (in the viewer's zone)."""
    promised = loop.decision_due_on
    if promised is None:
        return ""
    today = timeutil.to_local(now or timeutil.now_utc(), viewer_tz).date()
    if decision is not None:
        decided_on = timeutil.to_local(decision.decided_dt, viewer_tz).date()
        days = (promised - decided_on).days
        return "on time" if days >= 0 else f"{-days} day{'s' if days != -1 else ''} after the promised date"
    days = (promised - today).days
    if days > 0:
        return f"due in {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"
