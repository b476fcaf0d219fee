"""Who assesses what in a loop: focus areas and questions per interviewer, the coverage check, the one-click
suggestion, interview kits, and the coverage rule at booking.

Services check, add and flush; the caller commits. The rules themselves are the plain functions of
`kits.coverage`; this module turns rows into their input and their answers back into rows.

An interviewer without an assignment of their own assesses the areas their session is planned to cover (copied
from the job's interview plan). When one interviewer of a session is replaced, the newcomer takes over the
assignment of the one who left until somebody saves a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from coordinator.auth.models import User
from coordinator.dbtypes import sync_links
from coordinator.extensions import db
from coordinator.focus import services as focus_services
from coordinator.focus.models import FocusArea, Question
from coordinator.kits.coverage import (
    MAX_AREAS_PER_INTERVIEWER,
    Area,
    Coverage,
    QuestionInfo,
    Slot,
    check_coverage,
    suggest_areas,
    suggest_questions,
)
from coordinator.kits.models import (
    AssignmentFocusArea,
    AssignmentQuestion,
    InterviewerAssignment,
    SessionFocusArea,
)
from coordinator.kits.timing import TimingStep, timing_plan
from coordinator.loops import services
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, PlanSession, SessionStatus

MAX_QUESTIONS_PER_KIT = 20
LoopError = services.LoopError


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- reading: the coverage of a loop -------------------------------------------------------------------------------

@dataclass
class Column:
    """One assessor of the loop, as the matrix and the kits show them."""

    index: int
    session: LoopSession
    #: None for an interviewer the engine picks from the pool at booking
    user: User | None
    slot: Slot
    assignment: InterviewerAssignment | None = None
    #: the name of the replaced interviewer whose assignment this one takes over
    inherited_from: str | None = None

    @property
    def questions(self) -> list[Question]:
        return [q.question for q in self.assignment.questions] if self.assignment else []

    @property
    def is_default(self) -> bool:
        return self.slot.is_default


@dataclass
class LoopCoverage:
    loop: Loop
    #: the job's focus areas, in the job's order
    areas: list[FocusArea]
    #: areas somebody assesses that the job does not use
    extra_areas: list[FocusArea]
    columns: list[Column]
    coverage: Coverage
    #: {session id: the areas the session is planned to cover}
    planned: dict[int, list[FocusArea]] = field(default_factory=dict)

    @property
    def warnings(self):
        return self.coverage.warnings

    @property
    def uncovered(self) -> list[Area]:
        return self.coverage.uncovered

    @property
    def groups(self) -> list[tuple[LoopSession, list[Column]]]:
        """The columns grouped by session, in loop order (for the two-row matrix header)."""
        result: list[tuple[LoopSession, list[Column]]] = []
        for column in self.columns:
            if result and result[-1][0] is column.session:
                result[-1][1].append(column)
            else:
                result.append((column.session, [column]))
        return result

    def cell(self, area_id: int, column: Column) -> str | None:
        """'assigned', 'planned' (from the session plan) or None."""
        if area_id not in column.slot.area_ids:
            return None
        return "planned" if column.slot.is_default else "assigned"

    def problem(self, area_id: int, column: Column) -> str | None:
        return self.coverage.cell_problem(area_id, column.index)

    def column_for(self, session_id: int, user_id: int) -> Column | None:
        return next((c for c in self.columns if c.session.id == session_id and c.user is not None
                     and c.user.id == user_id), None)

    def columns_of(self, user_id: int) -> list[Column]:
        return [c for c in self.columns if c.user is not None and c.user.id == user_id]


def _interviewers(session: LoopSession) -> list[User]:
    return [p.user for p in session.participants if p.role == ParticipantRole.INTERVIEWER.value]


def _pool_picks_pending(session: LoopSession) -> int:
    if session.is_booked or not session.pool or not session.pool_count:
        return 0
    picked = sum(1 for p in session.participants if p.is_from_pool and p.role == ParticipantRole.INTERVIEWER.value)
    return max(0, session.pool_count - picked)


def session_planned_areas(session_ids: Sequence[int]) -> dict[int, list[FocusArea]]:
    result: dict[int, list[FocusArea]] = {i: [] for i in session_ids}
    if session_ids:
        for row in db.session.scalars(select(SessionFocusArea).where(SessionFocusArea.session_id.in_(session_ids))):
            result[row.session_id].append(row.focus_area)
    return result


def _assignments(session_ids: Sequence[int]) -> dict[tuple[int, int], InterviewerAssignment]:
    if not session_ids:
        return {}
    rows = db.session.scalars(select(InterviewerAssignment).where(InterviewerAssignment.session_id.in_(session_ids)))
    return {(a.session_id, a.user_id): a for a in rows}


def loop_coverage(loop: Loop) -> LoopCoverage:
    """Who covers what in the loop's sessions that are not cancelled, and every warning about it."""
    areas = focus_services.job_focus_areas(loop.candidate.job_id)
    order = {a.id: n for n, a in enumerate(areas)}
    sessions = [s for s in loop.sessions if s.status != SessionStatus.CANCELLED.value]
    ids = [s.id for s in sessions]
    planned = session_planned_areas(ids)
    for session_id in planned:
        planned[session_id].sort(key=lambda a: (order.get(a.id, len(order)), a.name))
    assigned = _assignments(ids)
    people = {u.id for s in sessions for u in _interviewers(s)}
    levels = focus_services.qualifications_of(people)
    names: dict[int, FocusArea] = {a.id: a for a in areas}
    columns: list[Column] = []
    for session in sessions:
        current = _interviewers(session)
        here = {uid: a for (sid, uid), a in assigned.items() if sid == session.id}
        orphans = [a for uid, a in here.items() if uid not in {u.id for u in current}]
        unassigned = [u for u in current if u.id not in here]
        heir = unassigned[0] if len(orphans) == 1 and len(unassigned) == 1 else None
        planned_ids = tuple(a.id for a in planned[session.id])
        for user in current:
            assignment = here.get(user.id) or (orphans[0] if user is heir else None)
            if assignment is not None:
                for a in assignment.focus_areas:
                    names.setdefault(a.id, a)
                area_ids = tuple(a.focus_area_id for a in assignment.areas)
                kinds = tuple(q.question.kind for q in assignment.questions)
            else:
                area_ids, kinds = planned_ids, ()
            level = levels.get(user.id, {})
            slot = Slot(session_id=session.id, session_title=session.title, session_kind=session.kind,
                        user_id=user.id, name=user.name, area_ids=area_ids, question_kinds=kinds,
                        is_default=assignment is None,
                        qualified=frozenset(a for a, lv in level.items() if lv == focus_services.QUALIFIED),
                        shadowing=frozenset(a for a, lv in level.items() if lv == focus_services.SHADOWING))
            columns.append(Column(len(columns), session, user, slot, assignment,
                                  inherited_from=orphans[0].user.name if user is heir else None))
        for _ in range(_pool_picks_pending(session)):
            slot = Slot(session_id=session.id, session_title=session.title, session_kind=session.kind, user_id=None,
                        name="From the pool", area_ids=planned_ids, is_default=True)
            columns.append(Column(len(columns), session, None, slot))
    extra_names = {i: a.name for i, a in names.items() if i not in order}
    coverage = check_coverage([Area(a.id, a.name) for a in areas], [c.slot for c in columns], extra_names)
    return LoopCoverage(loop=loop, areas=areas, extra_areas=[names[a.id] for a in coverage.extra_areas],
                        columns=columns, coverage=coverage, planned=planned)


# --- writing: one interviewer's assignment -------------------------------------------------------------------------

def _require_open(session: LoopSession) -> None:
    if session.loop.status == LoopStatus.CANCELLED.value or session.status == SessionStatus.CANCELLED.value:
        raise LoopError("This session is cancelled; its kits can no longer change.")


def _write(session: LoopSession, user: User, area_ids: Sequence[int], question_ids: Sequence[int],
           actor: User | None) -> InterviewerAssignment:
    assignment = db.session.scalar(select(InterviewerAssignment).where(
        InterviewerAssignment.session_id == session.id, InterviewerAssignment.user_id == user.id))
    if assignment is None:
        assignment = InterviewerAssignment(session_id=session.id, user_id=user.id)
        db.session.add(assignment)
    assignment.updated_by_id = actor.id if actor else None
    sync_links({a.focus_area_id: a for a in assignment.areas}, area_ids,
               lambda i, at: assignment.areas.append(AssignmentFocusArea(focus_area_id=i, position=at)),
               assignment.areas.remove)
    sync_links({q.question_id: q for q in assignment.questions}, question_ids,
               lambda i, at: assignment.questions.append(AssignmentQuestion(question_id=i, position=at)),
               assignment.questions.remove)
    # Assignments of people who left the session go once someone saves the session's kits anew.
    current = {u.id for u in _interviewers(session)}
    for stale in db.session.scalars(select(InterviewerAssignment).where(
            InterviewerAssignment.session_id == session.id, InterviewerAssignment.user_id.not_in(current))):
        db.session.delete(stale)
    db.session.flush()
    return assignment


def effective_area_ids(session: LoopSession, user: User) -> list[int]:
    column = loop_coverage(session.loop).column_for(session.id, user.id)
    return list(column.slot.area_ids) if column else []


def save_assignment(session: LoopSession, user: User, area_ids: Sequence[int] | None, question_ids: Sequence[int],
                    actor: User, new_question: focus_services.QuestionData | None = None) -> InterviewerAssignment:
    """Set one interviewer's focus areas (1 to 3 of the job's; None keeps them as they are) and questions (bank
    questions or ones written for this loop, each about one of their areas), optionally writing a new question
    for this loop. Everything is checked before anything is written."""
    _require_open(session)
    loop = session.loop
    if user not in _interviewers(session):
        raise LoopError(f"{user.name} does not interview in “{session.title}”.")
    job_areas = {a.id: a for a in focus_services.job_focus_areas(loop.candidate.job_id)}
    if area_ids is None:
        area_ids = effective_area_ids(session, user)
    else:
        area_ids = list(dict.fromkeys(area_ids))
        unknown = [i for i in area_ids if i not in job_areas]
        if unknown:
            area = db.session.get(FocusArea, unknown[0])
            raise LoopError(f"{area.name} is not one of this job's focus areas." if area
                            else "Choose focus areas from the list.", "area_ids")
        if not area_ids:
            raise LoopError(f"Give {user.name} at least one focus area.", "area_ids")
        if len(area_ids) > MAX_AREAS_PER_INTERVIEWER:
            raise LoopError(f"Give at most {MAX_AREAS_PER_INTERVIEWER} focus areas to one interviewer, so each gets "
                            "real depth.", "area_ids")
    question_ids = list(dict.fromkeys(question_ids))
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))} \
        if question_ids else {}
    current = db.session.scalar(select(InterviewerAssignment).where(
        InterviewerAssignment.session_id == session.id, InterviewerAssignment.user_id == user.id))
    already = {q.question_id for q in current.questions} if current else set()
    for question_id in question_ids:
        q = questions.get(question_id)
        if q is None or q.loop_id not in (None, loop.id):
            raise LoopError("Choose questions from the list.", "question_ids")
        if q.is_archived and q.id not in already:
            raise LoopError(f"“{_short(q.text)}” is archived; choose another question.", "question_ids")
        if q.focus_area_id not in area_ids:
            raise LoopError(f"“{_short(q.text)}” is about {q.focus_area.name}, which is not one of "
                            f"{user.name}'s focus areas here.", "question_ids")
    if len(question_ids) + (1 if new_question else 0) > MAX_QUESTIONS_PER_KIT:
        raise LoopError(f"A kit holds at most {MAX_QUESTIONS_PER_KIT} questions.", "question_ids")
    if new_question is not None:
        try:
            written = focus_services.create_question(new_question, actor, loop_id=loop.id,
                                                     allowed_area_ids=area_ids, field_prefix="new_")
        except focus_services.FocusError as exc:
            raise LoopError(str(exc), exc.field) from exc
        question_ids.append(written.id)
    before = effective_area_ids(session, user)
    assignment = _write(session, user, area_ids, question_ids, actor)
    if list(before) != list(area_ids):
        focus_changed(session)
    names = ", ".join(job_areas[i].name for i in area_ids if i in job_areas)
    services.record(loop, actor, "focus_assigned",
                    f"{user.name} covers {names} in '{session.title}' with {len(question_ids)} "
                    f"question{'s' if len(question_ids) != 1 else ''}.")
    db.session.flush()
    return assignment


def set_session_areas(session: LoopSession, area_ids: Sequence[int], actor: User) -> None:
    """The areas a session is planned to cover: what its interviewers (and pool picks) assess by default."""
    _require_open(session)
    area_ids = list(dict.fromkeys(area_ids))
    job_areas = {a.id: a for a in focus_services.job_focus_areas(session.loop.candidate.job_id)}
    unknown = [i for i in area_ids if i not in job_areas]
    if unknown:
        area = db.session.get(FocusArea, unknown[0])
        raise LoopError(f"{area.name} is not one of this job's focus areas." if area
                        else "Choose focus areas from the list.", "area_ids")
    seats = max(1, len(_interviewers(session)) + _pool_picks_pending(session))
    if len(area_ids) > MAX_AREAS_PER_INTERVIEWER * seats:
        raise LoopError(f"“{session.title}” has {seats} interviewer{'s' if seats != 1 else ''}; plan at most "
                        f"{MAX_AREAS_PER_INTERVIEWER * seats} focus areas for it.", "area_ids")
    before = {u.id: effective_area_ids(session, u) for u in _interviewers(session)} if session.is_booked else {}
    _plan_areas(session, area_ids)
    services.record(session.loop, actor, "focus_planned",
                    f"'{session.title}' covers {', '.join(job_areas[i].name for i in area_ids) or 'no focus area'}.")
    db.session.flush()
    if before and before != {u.id: effective_area_ids(session, u) for u in _interviewers(session)}:
        focus_changed(session)


def _plan_areas(session: LoopSession, area_ids: Sequence[int]) -> None:
    current = {r.focus_area_id: r for r in db.session.scalars(
        select(SessionFocusArea).where(SessionFocusArea.session_id == session.id))}
    sync_links(current, area_ids, lambda i, _: db.session.add(SessionFocusArea(session_id=session.id, focus_area_id=i)),
               db.session.delete, ordered=False)
    db.session.flush()
    db.session.expire(session)


def focus_changed(session: LoopSession) -> None:
    """A booked session's interviewers now cover other focus areas, which their invites name: queue an invite
    update through the loop's "after a change" path (the invites follow it like any session edit)."""
    if not session.is_booked:
        return
    session.ical_sequence += 1
    services.announce(services.Change(loop_id=session.loop_id, kind=services.ChangeKind.SESSION_EDIT,
                                      session_id=session.id))


def copy_plan_focus_areas(plan: Sequence[PlanSession], sessions: Sequence[LoopSession]) -> None:
    """A new loop's sessions cover what the plan steps they were copied from cover (same order)."""
    steps = focus_services.plan_step_areas(list(plan))
    for step, session in zip(plan, sessions, strict=False):
        for area in steps.get(step.id, []):
            db.session.add(SessionFocusArea(session_id=session.id, focus_area_id=area.id))
    db.session.flush()


# --- the one-click suggestion --------------------------------------------------------------------------------------

def suggest(loop: Loop, actor: User) -> LoopCoverage:
    """Give every named interviewer focus areas so that each of the job's areas is covered once, by qualified
    people where possible, and questions from the bank for each area (keeping fitting questions already picked)."""
    if loop.status == LoopStatus.CANCELLED.value:
        raise LoopError("This loop is cancelled.")
    cov = loop_coverage(loop)
    if not cov.areas:
        raise LoopError("This job has no focus areas yet. Choose them on the job page first.")
    if not cov.columns:
        raise LoopError("This loop has no interviewers or pools yet. Add sessions with people first.")
    planned = {sid: [a.id for a in areas] for sid, areas in cov.planned.items()}
    before = {(c.session.id, c.user.id): list(c.slot.area_ids) for c in cov.columns if c.user is not None}
    new_areas = suggest_areas([Area(a.id, a.name) for a in cov.areas], [c.slot for c in cov.columns], planned)
    bank = db.session.scalars(focus_services.search_questions().where(
        Question.focus_area_id.in_([a.id for a in cov.areas]))).all()
    bank_infos = [QuestionInfo(q.id, q.focus_area_id, q.kind) for q in bank]
    taken: set[int] = set()
    kinds: list[str] = []
    pooled: dict[int, list[int]] = {}
    changed: set[int] = set()
    for column in cov.columns:
        if column.user is None:  # a pool pick to come: their session plans the areas, the pick gets them at booking
            pooled.setdefault(column.session.id, []).extend(
                a for a in new_areas[column.index] if a not in pooled.get(column.session.id, []))
            continue
        area_ids = list(new_areas[column.index])
        if area_ids and area_ids != before[(column.session.id, column.user.id)]:
            changed.add(column.session.id)
        current = [QuestionInfo(q.id, q.focus_area_id, q.kind) for q in column.questions]
        question_ids = suggest_questions(area_ids, current, bank_infos, frozenset(taken), kinds)
        by_id = {q.id: q for q in [*current, *bank_infos]}
        taken.update(question_ids)
        kinds.extend(by_id[i].kind for i in question_ids)
        if area_ids:
            _write(column.session, column.user, area_ids, question_ids, actor)
    by_id = {c.session.id: c.session for c in cov.columns}
    for session_id, area_ids in pooled.items():
        if area_ids and sorted(area_ids) != sorted(planned.get(session_id, [])):
            _plan_areas(by_id[session_id], area_ids)
    services.record(loop, actor, "focus_suggested",
                    "Suggested focus areas and questions for every interviewer"
                    + (" and the areas of the sessions whose people come from a pool." if pooled else "."))
    db.session.flush()
    for session_id in sorted(changed):
        focus_changed(by_id[session_id])
    db.session.expire_all()
    return loop_coverage(services.load_loop(loop.id))


# --- kits at booking -----------------------------------------------------------------------------------------------

def after_loop_change(change: services.Change) -> list[str]:
    """The follower of loops: everyone newly booked into a session (pool picks included) who has no kit of their
    own gets one at once: the areas their session plans (or inherits) and questions from the bank for them."""
    if change.kind is not services.ChangeKind.BOOKING or not (change.booked or change.added):
        return []
    loop = db.session.get(Loop, change.loop_id)
    if loop is None or loop.status == LoopStatus.CANCELLED.value:
        return []
    sessions = set(change.booked) | {sid for sid, _ in change.added}
    cov = loop_coverage(loop)
    todo = [c for c in cov.columns if c.user is not None and c.assignment is None and c.slot.area_ids
            and c.session.id in sessions and c.session.is_booked]
    if not todo:
        return []
    bank = [QuestionInfo(q.id, q.focus_area_id, q.kind) for q in db.session.scalars(
        focus_services.search_questions().where(Question.focus_area_id.in_([a.id for a in cov.areas])))]
    taken = {q.id for c in cov.columns for q in c.questions}
    kinds = [q.kind for c in cov.columns for q in c.questions]
    filled = []
    for column in todo:
        area_ids = list(column.slot.area_ids)[:MAX_AREAS_PER_INTERVIEWER]
        question_ids = suggest_questions(area_ids, [], bank, frozenset(taken), kinds)
        by_id = {q.id: q for q in bank}
        taken.update(question_ids)
        kinds.extend(by_id[i].kind for i in question_ids)
        _write(column.session, column.user, area_ids, question_ids, None)
        filled.append(f"{column.user.name} ('{column.session.title}')")
    services.record(loop, None, "kits_filled", "Kits ready for " + ", ".join(filled) + ".", actor_label="Coordinator")
    db.session.flush()
    return filled


# --- the rule at booking -------------------------------------------------------------------------------------------

def booking_gaps(loop: Loop, placements: Sequence[services.Placement]) -> list[str]:
    """Why booking these placements needs an override: the loop would be scheduled with focus areas nobody
    covers. Moving sessions that are booked already does not ask again."""
    booking_new = any(
        not s.is_booked for s in loop.sessions if s.id in {p.session_id for p in placements}
    )
    if not booking_new:
        return []
    uncovered = loop_coverage(loop).uncovered
    if not uncovered:
        return []
    names = [a.name for a in uncovered]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return [f"Nobody in this loop covers {listed}. Assign {'it' if len(names) == 1 else 'them'} to an interviewer "
            "on the loop page, or give a reason to schedule anyway."]


def require_coverage(loop: Loop, placements: Sequence[services.Placement], actor: User, reason: str) -> None:
    """Call before `loops.services.book`: refuses (NeedsOverride, with the booking's own soft problems too) a booking
    that leaves focus areas uncovered unless a reason is given, and writes an accepted reason to the history."""
    gaps = booking_gaps(loop, placements)
    if not gaps:
        return
    if not reason.strip():
        result, _ = services.check(loop, placements)
        if result.conflicts:
            return  # the booking refuses those first; coverage comes up again on the next try
        raise services.NeedsOverride([*gaps, *result.problems])
    services.record(loop, actor, "coverage_override", "Scheduled with focus areas uncovered: " + gaps[0], reason)


# --- kits ----------------------------------------------------------------------------------------------------------

@dataclass
class Kit:
    loop: Loop
    session: LoopSession
    user: User
    column: Column
    areas: list[FocusArea]
    questions: list[Question]
    #: everyone else on the loop: (session, person or None for a pool pick, their areas, is this session)
    others: list[tuple[LoopSession, User | None, list[FocusArea], bool]]
    shadows: list[User]
    timing: list[TimingStep]

    @property
    def questions_by_area(self) -> list[tuple[FocusArea, list[Question]]]:
        grouped = [(a, [q for q in self.questions if q.focus_area_id == a.id]) for a in self.areas]
        strays = [q for q in self.questions if q.focus_area_id not in {a.id for a in self.areas}]
        if strays:
            grouped.append((strays[0].focus_area, strays))
        return grouped


def kit_for(loop: Loop, session: LoopSession, user: User) -> Kit | None:
    """The kit of one interviewer in one session; None when they do not interview in it."""
    cov = loop_coverage(loop)
    column = cov.column_for(session.id, user.id)
    if column is None:
        return None
    by_id = {a.id: a for a in [*cov.areas, *cov.extra_areas]}
    areas = [by_id[i] for i in column.slot.area_ids if i in by_id]
    questions = column.questions
    others = [(c.session, c.user, [by_id[i] for i in c.slot.area_ids if i in by_id], c.session.id == session.id)
              for c in cov.columns if c is not column]
    plan = timing_plan(session.duration_min, session.kind,
                       [(_short(q.text, 90), q.focus_area.name) for q in questions],
                       [a.name for a in areas], session.start_dt)
    return Kit(loop=loop, session=session, user=user, column=column, areas=areas, questions=questions,
               others=others, shadows=session.shadows, timing=plan)


def loop_only_questions(loop: Loop) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.loop_id == loop.id).order_by(Question.id)))
