"""Rules for focus areas, the question bank, qualifications and a job's interview plan.

Services check, add and flush; the caller commits once. A broken rule raises `FocusError` before anything is
written, with the form field to show it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, delete, exists, func, or_, select

from coordinator.auth.models import User, UserRole
from coordinator.auth.roles import Role
from coordinator.dbtypes import sync_links
from coordinator.extensions import db
from coordinator.focus.models import (
    FocusArea,
    FocusAreaGuidance,
    JobFocusArea,
    PlanSessionFocusArea,
    Qualification,
    Question,
)
from coordinator.focus.question_kind import QuestionKind
from coordinator.focus.rating import Rating
from coordinator.hiring.models import Job
from coordinator.kits.coverage import MAX_AREAS_PER_INTERVIEWER, Area, Coverage, Slot, check_coverage
from coordinator.loops.models import PlanSession, SessionKind

NAME_MAX = 80
TEXT_MAX = 4000
MAX_PLAN_STEPS = 12
MAX_PANEL = 8
MAX_SESSION_MIN = 8 * 60


class FocusError(ValueError):
    """A rule was broken; `field` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


# --- focus areas ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FocusAreaData:
    name: str
    description: str = ""
    guidance: Mapping[Rating, str] = field(default_factory=dict)


def _check_area(data: FocusAreaData, area: FocusArea | None = None) -> str:
    name = " ".join(data.name.split())
    if not name:
        raise FocusError("Give the focus area a name.", "name")
    if len(name) > NAME_MAX:
        raise FocusError(f"Keep the name under {NAME_MAX} characters.", "name")
    clash = db.session.scalar(select(FocusArea).where(func.lower(FocusArea.name) == name.lower()))
    if clash is not None and clash is not area:
        raise FocusError(f"There is already a focus area called “{clash.name}”; use that one.", "name")
    for rating, text in data.guidance.items():
        if not isinstance(rating, Rating):
            raise FocusError("Unknown rating level.")
        if len(text) > TEXT_MAX:
            raise FocusError(f"Keep the guidance under {TEXT_MAX} characters.", f"guidance_{rating.value}")
    if len(data.description) > TEXT_MAX:
        raise FocusError(f"Keep the description under {TEXT_MAX} characters.", "description")
    return name


def _apply_area(area: FocusArea, name: str, data: FocusAreaData) -> None:
    area.name, area.description = name, _clean(data.description)
    current = {g.rating: g for g in area.guidance}
    for rating in Rating:
        text = _clean(data.guidance.get(rating, ""))
        row = current.get(rating.value)
        if row is None:
            area.guidance.append(FocusAreaGuidance(rating=rating.value, text=text))
        else:
            row.text = text


def create_focus_area(data: FocusAreaData) -> FocusArea:
    name = _check_area(data)
    area = FocusArea()
    _apply_area(area, name, data)
    db.session.add(area)
    db.session.flush()
    return area


def update_focus_area(area: FocusArea, data: FocusAreaData) -> None:
    name = _check_area(data, area)
    _apply_area(area, name, data)
    db.session.flush()


@dataclass(frozen=True)
class AreaUsage:
    jobs: list[Job]
    questions: int
    qualified: list[User]
    shadowing: list[User]
    #: plan steps, loop sessions and interviewer assignments that name the area
    other_uses: int

    @property
    def is_used(self) -> bool:
        return bool(self.jobs or self.questions or self.other_uses)


def area_usage(area: FocusArea) -> AreaUsage:
    from coordinator.kits.models import AssignmentFocusArea, SessionFocusArea

    jobs = list(db.session.scalars(
        select(Job).join(JobFocusArea, JobFocusArea.job_id == Job.id)
        .where(JobFocusArea.focus_area_id == area.id).order_by(Job.title)
    ))
    questions = db.session.scalar(select(func.count()).select_from(Question).where(
        Question.focus_area_id == area.id, Question.loop_id.is_(None))) or 0
    loop_questions = db.session.scalar(select(func.count()).select_from(Question).where(
        Question.focus_area_id == area.id, Question.loop_id.is_not(None))) or 0
    quals = db.session.scalars(
        select(Qualification).join(User, User.id == Qualification.user_id)
        .where(Qualification.focus_area_id == area.id).order_by(User.name)
    ).all()
    other = loop_questions + sum(
        db.session.scalar(select(func.count()).select_from(model).where(model.focus_area_id == area.id)) or 0
        for model in (PlanSessionFocusArea, SessionFocusArea, AssignmentFocusArea)
    )
    return AreaUsage(jobs=jobs, questions=questions,
                     qualified=[q.user for q in quals if not q.is_shadowing],
                     shadowing=[q.user for q in quals if q.is_shadowing], other_uses=other)


def delete_focus_area(area: FocusArea) -> None:
    usage = area_usage(area)
    if usage.is_used:
        where = []
        if usage.jobs:
            where.append(f"{len(usage.jobs)} job{'s' if len(usage.jobs) != 1 else ''}")
        if usage.questions:
            where.append(f"{usage.questions} bank question{'s' if usage.questions != 1 else ''}")
        if usage.other_uses:
            where.append("interview plans or loops")
        raise FocusError(f"“{area.name}” is still used by {', '.join(where)}; it can only be deleted when "
                         "nothing uses it.")
    db.session.delete(area)
    db.session.flush()


def all_focus_areas() -> list[FocusArea]:
    return list(db.session.scalars(select(FocusArea).order_by(func.lower(FocusArea.name))))


def search_focus_areas(text: str = "") -> Select:
    query = select(FocusArea)
    text = text.strip()
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(FocusArea.name).like(pattern, escape="\\"),
                                func.lower(FocusArea.description).like(pattern, escape="\\")))
    return query.order_by(func.lower(FocusArea.name))


# --- a job's focus areas -------------------------------------------------------------------------------------------

def job_focus_areas(job: Job | int) -> list[FocusArea]:
    job_id = job if isinstance(job, int) else job.id
    return list(db.session.scalars(
        select(FocusArea).join(JobFocusArea, JobFocusArea.focus_area_id == FocusArea.id)
        .where(JobFocusArea.job_id == job_id).order_by(JobFocusArea.position, FocusArea.name)
    ))


def set_job_focus_areas(job: Job, area_ids: Sequence[int]) -> list[str]:
    """Make these the job's focus areas, in this order. Areas taken away are also taken off the job's interview
    plan; returns what was taken off, in words."""
    ids = list(dict.fromkeys(area_ids))
    if len(ids) > 20:
        raise FocusError("A second round that assesses more than 20 areas assesses none well; choose fewer.",
                         "area_ids")
    known = {a.id: a for a in db.session.scalars(select(FocusArea).where(FocusArea.id.in_(ids)))} if ids else {}
    if len(known) != len(ids):
        raise FocusError("Choose focus areas from the list.", "area_ids")
    rows = {r.focus_area_id: r for r in db.session.scalars(select(JobFocusArea).where(JobFocusArea.job_id == job.id))}
    removed_ids = set(rows) - set(ids)
    notes = []
    if removed_ids:
        steps = plan_of(job)
        links = db.session.scalars(select(PlanSessionFocusArea).where(
            PlanSessionFocusArea.plan_session_id.in_([s.id for s in steps] or [0]),
            PlanSessionFocusArea.focus_area_id.in_(removed_ids))).all()
        titles = {s.id: s.title for s in steps}
        for link in links:
            notes.append(f"{link.focus_area.name} is no longer covered by “{titles[link.plan_session_id]}”.")
            db.session.delete(link)
    sync_links(rows, ids, lambda i, at: db.session.add(JobFocusArea(job_id=job.id, focus_area_id=i, position=at)),
               db.session.delete)
    db.session.flush()
    return notes


# --- the question bank ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionData:
    text: str
    kind: str
    focus_area_id: int | None
    probes: str = ""


def check_question(data: QuestionData, allowed_area_ids: Iterable[int] | None = None,
                   field_prefix: str = "") -> FocusArea:
    """The rules for one question; returns its focus area."""
    if not _clean(data.text):
        raise FocusError("Write the question; it cannot be empty.", field_prefix + "text")
    if len(data.text) > TEXT_MAX:
        raise FocusError(f"Keep the question under {TEXT_MAX} characters.", field_prefix + "text")
    if data.kind not in {k.value for k in QuestionKind}:
        raise FocusError("Choose the kind of question from the list.", field_prefix + "kind")
    area = db.session.get(FocusArea, data.focus_area_id) if data.focus_area_id else None
    if area is None:
        raise FocusError("Choose the focus area the question gives evidence for.", field_prefix + "focus_area_id")
    if allowed_area_ids is not None and area.id not in set(allowed_area_ids):
        raise FocusError(f"{area.name} is not one of the focus areas here; tag the question with one of them.",
                         field_prefix + "focus_area_id")
    if len(data.probes) > TEXT_MAX:
        raise FocusError(f"Keep the probes under {TEXT_MAX} characters.", field_prefix + "probes")
    return area


def _probe_text(probes: str) -> str:
    return "\n".join(line.strip() for line in _clean(probes).splitlines() if line.strip())


def create_question(data: QuestionData, actor: User | None, loop_id: int | None = None,
                    allowed_area_ids: Iterable[int] | None = None, field_prefix: str = "") -> Question:
    check_question(data, allowed_area_ids, field_prefix)
    question = Question(text=_clean(data.text), kind=data.kind, focus_area_id=data.focus_area_id,
                        probes=_probe_text(data.probes), loop_id=loop_id,
                        created_by_id=actor.id if actor else None)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(question: Question, data: QuestionData) -> None:
    check_question(data)
    question.text, question.kind = _clean(data.text), data.kind
    question.focus_area_id, question.probes = data.focus_area_id, _probe_text(data.probes)
    db.session.flush()


def set_archived(question: Question, archived: bool) -> None:
    if question.loop_id is not None:
        raise FocusError("This question was written for one loop and is not in the bank.")
    question.is_archived = archived
    db.session.flush()


def search_questions(text: str = "", area_id: int | None = None, kind: str = "",
                     include_archived: bool = False) -> Select:
    """Bank questions (never the ones written for one loop), narrowed by text, focus area and kind."""
    query = select(Question).join(FocusArea, FocusArea.id == Question.focus_area_id).where(Question.loop_id.is_(None))
    if not include_archived:
        query = query.where(Question.is_archived.is_(False))
    text = text.strip()
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(Question.text).like(pattern, escape="\\"),
                                func.lower(Question.probes).like(pattern, escape="\\")))
    if area_id:
        query = query.where(Question.focus_area_id == area_id)
    if kind in {k.value for k in QuestionKind}:
        query = query.where(Question.kind == kind)
    return query.order_by(func.lower(FocusArea.name), Question.kind, Question.id)


# --- qualifications ------------------------------------------------------------------------------------------------

QUALIFIED, SHADOWING = "qualified", "shadowing"


def interviewers() -> list[User]:
    """Everyone who can interview (interviewers and hiring managers), enabled, by name."""
    return list(db.session.scalars(
        select(User).where(User.is_enabled, exists().where(
            UserRole.user_id == User.id, UserRole.role.in_([Role.INTERVIEWER.value, Role.HIRING_MANAGER.value])))
        .order_by(User.name)
    ))


def qualifications_of(user_ids: Iterable[int]) -> dict[int, dict[int, str]]:
    """{user id: {focus area id: 'qualified' | 'shadowing'}}."""
    ids = list(set(user_ids))
    result: dict[int, dict[int, str]] = {i: {} for i in ids}
    if not ids:
        return result
    for q in db.session.scalars(select(Qualification).where(Qualification.user_id.in_(ids))):
        result[q.user_id][q.focus_area_id] = SHADOWING if q.is_shadowing else QUALIFIED
    return result


def set_qualifications(user: User, levels: Mapping[int, str]) -> None:
    """Set what the person may assess: {area id: 'qualified' | 'shadowing'}; areas left out are cleared."""
    if not user.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER):
        raise FocusError(f"{user.name} does not interview (no interviewer role); give them the role first.")
    known = {a.id for a in db.session.scalars(select(FocusArea).where(FocusArea.id.in_(list(levels))))} \
        if levels else set()
    if set(levels) - known:
        raise FocusError("Choose focus areas from the list.")
    if any(level not in (QUALIFIED, SHADOWING) for level in levels.values()):
        raise FocusError("Choose “qualified” or “shadowing” for each area.")
    current = {q.focus_area_id: q for q in db.session.scalars(
        select(Qualification).where(Qualification.user_id == user.id))}
    for area_id, row in current.items():
        if area_id not in levels:
            db.session.delete(row)
    for area_id, level in levels.items():
        row = current.get(area_id)
        if row is None:
            db.session.add(Qualification(user_id=user.id, focus_area_id=area_id, is_shadowing=level == SHADOWING))
        else:
            row.is_shadowing = level == SHADOWING
    db.session.flush()


def qualified_for_all(area_ids: Iterable[int]) -> list[User]:
    """The people qualified (not shadowing) for every one of these areas, by name."""
    ids = set(area_ids)
    if not ids:
        return []
    people = interviewers()
    levels = qualifications_of(u.id for u in people)
    return [u for u in people if all(levels[u.id].get(a) == QUALIFIED for a in ids)]


# --- the job's interview plan --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanStepData:
    title: str
    kind: str
    duration_min: int
    interviewer_count: int = 1
    pool_ids: tuple[int, ...] = ()
    #: replace the pool by everyone qualified for the step's focus areas
    pool_from_qualified: bool = False
    focus_area_ids: tuple[int, ...] = ()
    prep_min: int = 0
    prep_instructions: str = ""


def plan_of(job: Job) -> list[PlanSession]:
    return list(db.session.scalars(
        select(PlanSession).where(PlanSession.job_id == job.id).order_by(PlanSession.position, PlanSession.id)
    ))


def plan_step_areas(steps: Sequence[PlanSession]) -> dict[int, list[FocusArea]]:
    """{plan step id: its focus areas}, ordered as the job orders them."""
    result: dict[int, list[FocusArea]] = {s.id: [] for s in steps}
    if not steps:
        return result
    rows = db.session.scalars(select(PlanSessionFocusArea).where(
        PlanSessionFocusArea.plan_session_id.in_([s.id for s in steps]))).all()
    job_order = {a.id: n for n, a in enumerate(job_focus_areas(steps[0].job_id))}
    for row in sorted(rows, key=lambda r: (job_order.get(r.focus_area_id, 99), r.focus_area.name)):
        result[row.plan_session_id].append(row.focus_area)
    return result


def _check_step(job: Job, data: PlanStepData, step: PlanSession | None = None) -> tuple[list[User], list[int]]:
    if not _clean(data.title):
        raise FocusError("Give the step a title.", "title")
    if len(data.title) > 120:
        raise FocusError("Keep the title under 120 characters.", "title")
    if data.kind not in {k.value for k in SessionKind}:
        raise FocusError("Choose a format from the list.", "kind")
    if not 0 < data.duration_min <= MAX_SESSION_MIN:
        raise FocusError("A session lasts between 1 minute and 8 hours.", "duration_min")
    count = data.interviewer_count
    if data.kind == SessionKind.ONE_ON_ONE.value and count != 1:
        raise FocusError("A one-on-one has exactly one interviewer.", "interviewer_count")
    if data.kind == SessionKind.PANEL.value and not 2 <= count <= MAX_PANEL:
        raise FocusError(f"A panel has 2 to {MAX_PANEL} interviewers.", "interviewer_count")
    if not 1 <= count <= MAX_PANEL:
        raise FocusError(f"A session has 1 to {MAX_PANEL} interviewers.", "interviewer_count")
    if not 0 <= data.prep_min <= MAX_SESSION_MIN:
        raise FocusError("Preparation time is between 0 minutes and 8 hours.", "prep_min")
    if len(data.prep_instructions) > TEXT_MAX:
        raise FocusError(f"Keep the preparation notes under {TEXT_MAX} characters.", "prep_instructions")
    area_ids = list(dict.fromkeys(data.focus_area_ids))
    job_areas = {a.id: a for a in job_focus_areas(job)}
    strangers = [i for i in area_ids if i not in job_areas]
    if strangers:
        area = db.session.get(FocusArea, strangers[0])
        raise FocusError(f"{area.name} is not one of this job's focus areas; add it to the job first."
                         if area else "Choose focus areas from the list.", "focus_area_ids")
    limit = MAX_AREAS_PER_INTERVIEWER * count
    if len(area_ids) > limit:
        raise FocusError(f"A step with {count} interviewer{'s' if count != 1 else ''} covers at most {limit} "
                         f"focus areas ({MAX_AREAS_PER_INTERVIEWER} each).", "focus_area_ids")
    if data.pool_from_qualified:
        if not area_ids:
            raise FocusError("Choose the step's focus areas first; the pool is everyone qualified for them.",
                             "pool_from_qualified")
        pool = qualified_for_all(area_ids)
        if len(pool) < count:
            names = " and ".join(job_areas[i].name for i in area_ids)
            raise FocusError(f"Only {len(pool)} {'person is' if len(pool) == 1 else 'people are'} qualified for "
                             f"{names}; the step needs {count}. Choose the pool by hand, or mark more people "
                             "qualified.", "pool_from_qualified")
    else:
        ids = list(dict.fromkeys(data.pool_ids))
        people = {u.id: u for u in interviewers() if u.id in set(ids)}
        if len(people) != len(ids):
            raise FocusError("Choose the pool from the list of interviewers.", "pool_ids")
        pool = [people[i] for i in ids]
        if pool and len(pool) < count:
            raise FocusError(f"The pool needs at least {count} people to pick {count} from.", "pool_ids")
    return pool, area_ids


def _apply_step(step: PlanSession, data: PlanStepData, pool: list[User], area_ids: list[int]) -> None:
    step.title, step.kind, step.duration_min = _clean(data.title), data.kind, data.duration_min
    step.interviewer_count, step.prep_min = data.interviewer_count, data.prep_min
    step.prep_instructions = _clean(data.prep_instructions)
    step.pool = sorted(pool, key=lambda u: u.name)
    db.session.flush()
    current = {r.focus_area_id: r for r in db.session.scalars(
        select(PlanSessionFocusArea).where(PlanSessionFocusArea.plan_session_id == step.id))}
    sync_links(current, area_ids,
               lambda i, _: db.session.add(PlanSessionFocusArea(plan_session_id=step.id, focus_area_id=i)),
               db.session.delete, ordered=False)
    db.session.flush()


def add_plan_step(job: Job, data: PlanStepData) -> PlanSession:
    steps = plan_of(job)
    if len(steps) >= MAX_PLAN_STEPS:
        raise FocusError(f"An interview plan has at most {MAX_PLAN_STEPS} steps.")
    pool, area_ids = _check_step(job, data)
    step = PlanSession(job_id=job.id, position=len(steps), title="", kind=data.kind, duration_min=1)
    db.session.add(step)
    _apply_step(step, data, pool, area_ids)
    return step


def update_plan_step(step: PlanSession, data: PlanStepData) -> None:
    pool, area_ids = _check_step(step.job, data, step)
    _apply_step(step, data, pool, area_ids)


def remove_plan_step(step: PlanSession) -> None:
    job = step.job
    db.session.execute(delete(PlanSessionFocusArea).where(PlanSessionFocusArea.plan_session_id == step.id))
    db.session.delete(step)
    db.session.flush()
    for position, s in enumerate(plan_of(job)):
        s.position = position
    db.session.flush()


def move_plan_step(step: PlanSession, delta: int) -> None:
    order = plan_of(step.job)
    i = order.index(step)
    j = max(0, min(len(order) - 1, i + delta))
    order.insert(j, order.pop(i))
    for position, s in enumerate(order):
        s.position = position
    db.session.flush()


@dataclass(frozen=True)
class PlanCoverage:
    coverage: Coverage
    #: {plan step id: pool members not qualified for the step's areas (all of them for one interviewer, at least
    #: one of them for a panel)}
    pool_not_qualified: Mapping[int, list[str]]


def plan_coverage(job: Job, steps: Sequence[PlanSession] | None = None) -> PlanCoverage:
    """Does the plan cover the job's focus areas? Each step counts as its interviewers, each assessing the
    step's areas; the pool's members are checked for qualification when the step picks from a pool."""
    steps = plan_of(job) if steps is None else steps
    areas = job_focus_areas(job)
    step_areas = plan_step_areas(steps)
    slots = []
    pool_levels = qualifications_of(u.id for s in steps for u in s.pool)
    for step in steps:
        ids = tuple(a.id for a in step_areas[step.id])
        for n in range(step.interviewer_count):
            label = "Interviewer" if step.interviewer_count == 1 else f"Interviewer {n + 1}"
            slots.append(Slot(session_id=step.id, session_title=step.title, session_kind=step.kind, user_id=None,
                              name=label, area_ids=ids))
    warnings_about_pool: dict[int, list[str]] = {}
    for step in steps:
        ids = [a.id for a in step_areas[step.id]]
        # One interviewer assesses every area of the step; panel members split them, so each needs one at least.
        need = all if step.interviewer_count == 1 else any
        unqualified = [u.name for u in step.pool if not need(pool_levels[u.id].get(a) == QUALIFIED for a in ids)]
        if unqualified and ids:
            warnings_about_pool[step.id] = unqualified
    return PlanCoverage(check_coverage([Area(a.id, a.name) for a in areas], slots), warnings_about_pool)
