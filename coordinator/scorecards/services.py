"""Scorecard rules: which areas an interviewer scores, due dates and states, saving drafts, submitting and
amending without lost updates. The debrief is in `debrief` (its aggregation as plain functions, and the CSV), the
hiring decision in `decision`.

Services add and flush; the view commits once. Who may read what is decided by the independence rule,
`coordinator.auth.permissions.feedback_access`; the functions here that list scorecards take its answer.
Scorecard events go to the audit log, never to the loop's history: that history is shown to every interviewer
of the loop, and who has submitted (or what was decided) must not reach one who has not submitted yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.auth.permissions import FeedbackAccess
from coordinator.extensions import db
from coordinator.focus.models import FocusArea, JobFocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.hiring.models import Job
from coordinator.kits.models import AssignmentFocusArea, InterviewerAssignment, SessionFocusArea
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionStatus
from coordinator.loops.state import settle
from coordinator.scorecards.models import (
    STAR_FIELDS,
    CardState,
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
TEXT_FIELDS = tuple(name for name, _, _ in STAR_FIELDS) + ("notes",)


class ScorecardError(ValueError):
    """A rule was broken. `errors` maps (area id or None, field name) to a message for the form; `status` is the
    page's status."""

    status = 400

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


def clean_text(text: str | None) -> str:
    """Typed text as stored: browser line endings made plain, NUL characters (which PostgreSQL refuses) dropped."""
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
        errors[(None, "takeaways")] = too_long(data.takeaways, TEXT_MAX)
    for area in data.areas:
        if area.rating and area.rating not in {r.value for r in Rating}:
            errors[(area.focus_area_id, "rating")] = "Choose a rating from the scale."
        if len(area.not_assessed_reason) > REASON_MAX:
            errors[(area.focus_area_id, "not_assessed_reason")] = too_long(area.not_assessed_reason, REASON_MAX)
        for name in TEXT_FIELDS:
            value = getattr(area, name)
            if len(value) > TEXT_MAX:
                errors[(area.focus_area_id, name)] = too_long(value, TEXT_MAX)
    return errors


def too_long(value: str, limit: int) -> str:
    """The field message for a text over its limit; it says how long the text is, so nobody guesses."""
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
    card.takeaways = clean_text(data.takeaways)
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
        row.not_assessed_reason = clean_text(values.not_assessed_reason).strip()
        for name in TEXT_FIELDS:
            setattr(row, name, clean_text(getattr(values, name)))


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
    db.session.flush()
    settle(session.loop.candidate)
    audit("scorecard.submitted", "scorecard", card.id, detail="revision=1")
    return card


def amend(session: LoopSession, user: User, data: ScorecardInput, expected_version: int, reason: str) -> Scorecard:
    """Change a submitted scorecard: the same completeness rules, a reason, and a new revision."""
    card = locked_scorecard(session.id, user.id)
    if card is None or not card.is_submitted:
        raise ScorecardError("Only a submitted scorecard can be amended; save your draft instead.")
    _check_version(card, expected_version)
    reason = clean_text(reason).strip()
    errors = submission_problems(data, [row.focus_area_id for row in card.areas])
    if not reason:
        errors[(None, "reason")] = "Say why you are amending a submitted scorecard; the history keeps it."
    elif len(reason) > REASON_MAX:
        errors[(None, "reason")] = too_long(reason, REASON_MAX)
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
