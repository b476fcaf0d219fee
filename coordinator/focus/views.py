"""Focus areas, the question bank, qualifications, and a job's focus areas and interview plan."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from coordinator.auth.models import User
from coordinator.auth.permissions import (
    can_edit_interview_library,
    can_edit_job_interviewing,
    can_edit_qualifications,
    can_view_interview_library,
    can_view_job,
)
from coordinator.extensions import db
from coordinator.focus import services
from coordinator.focus.forms import FocusAreaForm, JobFocusAreasForm, PlanStepForm, QuestionForm
from coordinator.focus.models import FocusArea, Qualification, Question
from coordinator.focus.question_kind import QuestionKind
from coordinator.focus.rating import RATINGS_BEST_FIRST, Rating
from coordinator.forms import choices, form_status
from coordinator.hiring.models import Job
from coordinator.loops import picker
from coordinator.loops.models import PlanSession
from coordinator.web import (
    FORM_EXPIRED,
    allowed,
    allowed_or_404,
    discard_changes,
    done,
    refused,
    require_valid,
    submitted,
)

bp = Blueprint("focus", __name__)


@bp.app_context_processor
def _job_helpers():
    """Job pages show the job's focus areas and interview plan."""
    return {"job_focus_areas": services.job_focus_areas, "job_plan": _plan_rows}


def _plan_rows(job: Job) -> list[tuple[PlanSession, list[FocusArea]]]:
    steps = services.plan_of(job)
    areas = services.plan_step_areas(steps)
    return [(s, areas[s.id]) for s in steps]


# --- focus areas ---------------------------------------------------------------------------------------------------

@bp.route("/focus-areas")
@allowed(can_view_interview_library)
def areas():
    text = request.args.get("q", "")[:100]
    rows = db.session.scalars(services.search_focus_areas(text).limit(300)).all()
    ids = [a.id for a in rows]
    question_counts = dict(db.session.execute(
        select(Question.focus_area_id, func.count()).where(Question.focus_area_id.in_(ids), Question.loop_id.is_(None),
                                                           Question.is_archived.is_(False))
        .group_by(Question.focus_area_id)).all()) if ids else {}
    qualified_counts = dict(db.session.execute(
        select(Qualification.focus_area_id, func.count()).where(Qualification.focus_area_id.in_(ids),
                                                                Qualification.is_shadowing.is_(False))
        .group_by(Qualification.focus_area_id)).all()) if ids else {}
    return render_template("focus/areas.html", areas=rows, q=text, question_counts=question_counts,
                           qualified_counts=qualified_counts, can_edit=can_edit_interview_library(current_user))


def _area_data(form: FocusAreaForm) -> services.FocusAreaData:
    return services.FocusAreaData(
        name=form.name.data or "", description=form.description.data or "",
        guidance={r: getattr(form, f"guidance_{r.value}").data or "" for r in Rating},
    )


def _area_form(area: FocusArea | None = None) -> FocusAreaForm:
    form = FocusAreaForm(obj=area)
    if area is not None and request.method == "GET":
        for rating in Rating:
            getattr(form, f"guidance_{rating.value}").data = area.guidance_for(rating)
    return form


@bp.route("/focus-areas/new", methods=["GET", "POST"])
@allowed(can_edit_interview_library)
def add_area():
    form = _area_form()
    job = db.session.get(Job, request.args.get("job", type=int) or 0)
    if job is not None and not can_edit_job_interviewing(current_user, job):
        job = None
    if form.validate_on_submit():
        try:
            area = services.create_focus_area(_area_data(form))
            if job is not None:  # created from a job page: the job uses it straight away
                services.set_job_focus_areas(job, [a.id for a in services.job_focus_areas(job)] + [area.id])
        except services.FocusError as exc:
            refused(form, exc)
        else:
            if job is not None:
                flash(f"“{area.name}” is created and added to {job.title}.", "success")
                return redirect(url_for("focus.job_areas", job_id=job.id))
            flash(f"“{area.name}” is created.", "success")
            return redirect(url_for("focus.area", area_id=area.id))
    return render_template("focus/area_form.html", form=form, area=None, job=job,
                           ratings=RATINGS_BEST_FIRST), form_status(form)


@bp.route("/focus-areas/<int:area_id>")
@allowed(can_view_interview_library)
def area(area_id: int):
    area = db.get_or_404(FocusArea, area_id)
    questions = db.session.scalars(services.search_questions(area_id=area.id)).all()
    return render_template("focus/area.html", area=area, usage=services.area_usage(area), questions=questions,
                           can_edit=can_edit_interview_library(current_user), delete_form=FlaskForm())


@bp.route("/focus-areas/<int:area_id>/edit", methods=["GET", "POST"])
@allowed(can_edit_interview_library)
def edit_area(area_id: int):
    area = db.get_or_404(FocusArea, area_id)
    form = _area_form(area)
    response = submitted(form, services.FocusError, lambda: services.update_focus_area(area, _area_data(form)),
                         lambda _: done(f"“{area.name}” is saved.", url_for("focus.area", area_id=area.id)))
    return response or (render_template("focus/area_form.html", form=form, area=area, job=None,
                                        usage=services.area_usage(area), ratings=RATINGS_BEST_FIRST),
                        form_status(form))


@bp.route("/focus-areas/<int:area_id>/delete", methods=["POST"])
@allowed(can_edit_interview_library)
def delete_area(area_id: int):
    area = db.get_or_404(FocusArea, area_id)
    require_valid(FlaskForm(), FORM_EXPIRED)
    name = area.name
    try:
        services.delete_focus_area(area)
    except services.FocusError as exc:
        abort(400, description=str(exc))
    flash(f"“{name}” is deleted.", "success")
    return redirect(url_for("focus.areas"))


# --- the question bank ---------------------------------------------------------------------------------------------

@bp.route("/questions")
@allowed(can_view_interview_library)
def questions():
    text = request.args.get("q", "")[:200]
    area_id = request.args.get("area", type=int)
    kind = request.args.get("kind", "")
    archived = request.args.get("archived") == "1"
    query = services.search_questions(text, area_id, kind, include_archived=archived)
    if archived:
        query = query.where(Question.is_archived.is_(True))
    rows = db.session.scalars(query.limit(300)).all()
    return render_template("focus/questions.html", questions=rows, q=text, area_id=area_id, kind=kind,
                           archived=archived, areas=services.all_focus_areas(), kinds=QuestionKind.choices(),
                           can_edit=can_edit_interview_library(current_user), archive_form=FlaskForm())


def _question_form(question: Question | None = None) -> QuestionForm:
    form = QuestionForm(obj=question)
    form.focus_area_id.choices = choices([(0, "Choose…")] + [(a.id, a.name) for a in services.all_focus_areas()])
    return form


def _question_data(form: QuestionForm) -> services.QuestionData:
    return services.QuestionData(text=form.text.data or "", kind=form.kind.data,
                                 focus_area_id=form.focus_area_id.data or None, probes=form.probes.data or "")


def _question_page(form: QuestionForm, question: Question | None):
    return render_template("focus/question_form.html", form=form, question=question,
                           kinds=list(QuestionKind)), form_status(form)


@bp.route("/questions/new", methods=["GET", "POST"])
@allowed(can_edit_interview_library)
def add_question():
    form = _question_form()
    if request.method == "GET":
        form.focus_area_id.data = request.args.get("area", type=int) or 0
        if request.args.get("kind") in {k.value for k in QuestionKind}:
            form.kind.data = request.args["kind"]
    response = submitted(form, services.FocusError,
                         lambda: services.create_question(_question_data(form), current_user),
                         lambda question: done(f"The question is in the bank under {question.focus_area.name}.",
                                               url_for("focus.questions", area=question.focus_area_id)))
    return response or _question_page(form, None)


def _bank_question_or_404(question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    if question.loop_id is not None:
        abort(404)  # written for one loop: edited in that loop's kit, not here
    return question


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allowed(can_edit_interview_library)
def edit_question(question_id: int):
    question = _bank_question_or_404(question_id)
    form = _question_form(question)
    response = submitted(form, services.FocusError, lambda: services.update_question(question, _question_data(form)),
                         lambda _: done("The question is saved. Kits that use it show the new wording.",
                                        url_for("focus.questions", area=question.focus_area_id)))
    return response or _question_page(form, question)


@bp.route("/questions/<int:question_id>/archive", methods=["POST"])
@allowed(can_edit_interview_library)
def archive_question(question_id: int):
    question = _bank_question_or_404(question_id)
    require_valid(FlaskForm(), FORM_EXPIRED)
    archive = request.form.get("archive", "1") == "1"
    services.set_archived(question, archive)
    flash("The question is archived: no longer offered, kept in the kits that use it." if archive
          else "The question is back in the bank.", "success")
    return redirect(url_for("focus.questions", area=question.focus_area_id, archived="" if archive else None))


# --- qualifications ------------------------------------------------------------------------------------------------

@bp.route("/qualifications")
@allowed(can_view_interview_library)
def qualifications():
    people = services.interviewers()
    levels = services.qualifications_of(u.id for u in people)
    areas = services.all_focus_areas()
    return render_template("focus/qualifications.html", people=people, levels=levels, areas=areas,
                           can_edit=can_edit_qualifications(current_user))


@bp.route("/qualifications/<int:user_id>/edit", methods=["GET", "POST"])
@allowed(can_edit_qualifications)
def edit_qualifications(user_id: int):
    person = db.get_or_404(User, user_id)
    areas = services.all_focus_areas()
    form = FlaskForm()
    levels = services.qualifications_of([person.id])[person.id]
    error = None
    if request.method == "POST":
        require_valid(form, FORM_EXPIRED)
        wanted: dict[int, str] = {}
        for area in areas:
            value = request.form.get(f"area_{area.id}", "")
            if value not in ("", services.QUALIFIED, services.SHADOWING):
                abort(400, description="Choose “not yet”, “qualified” or “shadowing” for each area.")
            if value:
                wanted[area.id] = value
        try:
            services.set_qualifications(person, wanted)
        except services.FocusError as exc:
            discard_changes()
            error, levels = str(exc), wanted
        else:
            flash(f"{person.name}'s qualifications are saved.", "success")
            return redirect(url_for("focus.qualifications"))
    return render_template("focus/qualifications_form.html", person=person, areas=areas, levels=levels, form=form,
                           error=error), 400 if error else 200


# --- a job's focus areas -------------------------------------------------------------------------------------------

def _job_or_404(job_id: int, edit: bool = False) -> Job:
    rules = (can_view_job, can_edit_job_interviewing) if edit else (can_view_job,)
    return allowed_or_404(Job, job_id, *rules)


@bp.route("/jobs/<int:job_id>/focus-areas", methods=["GET", "POST"])
@login_required
def job_areas(job_id: int):
    job = _job_or_404(job_id, edit=True)
    form = JobFocusAreasForm()
    all_areas = services.all_focus_areas()
    current = services.job_focus_areas(job)
    form.area_ids.choices = choices((a.id, a.name) for a in all_areas)
    if request.method == "GET":
        form.area_ids.data = [a.id for a in current]
    if form.validate_on_submit():
        chosen = list(dict.fromkeys(form.area_ids.data or []))
        # keep the job's order, new ones at the end in the list's order (unknown ids last: the service refuses them)
        listed = {a.id: n for n, a in enumerate(all_areas)}
        kept = [a.id for a in current if a.id in chosen]
        ordered = kept + sorted((i for i in chosen if i not in kept), key=lambda i: listed.get(i, len(listed)))
        try:
            notes = services.set_job_focus_areas(job, ordered)
        except services.FocusError as exc:
            refused(form, exc)
        else:
            flash("The job's focus areas are saved." + ("".join(" " + n for n in notes)), "success")
            return redirect(url_for("hiring.job", job_id=job.id))
    return render_template("focus/job_areas.html", job=job, form=form, areas=all_areas), form_status(form)


# --- a job's interview plan ----------------------------------------------------------------------------------------

@bp.route("/jobs/<int:job_id>/plan")
@login_required
def plan(job_id: int):
    job = _job_or_404(job_id)
    steps = services.plan_of(job)
    return render_template("focus/plan.html", job=job, rows=_plan_rows(job),
                           coverage=services.plan_coverage(job, steps),
                           areas=services.job_focus_areas(job), can_edit=can_edit_job_interviewing(current_user, job),
                           total_min=sum(s.duration_min for s in steps), move_form=FlaskForm())


def _step_form(job: Job, step: PlanSession | None = None) -> PlanStepForm:
    form = PlanStepForm(obj=step)
    job_areas = services.job_focus_areas(job)
    form.focus_area_ids.choices = choices((a.id, a.name) for a in job_areas)
    people = services.interviewers()
    form.pool_ids.choices = choices((u.id, f"{u.name} — {u.job_title}" if u.job_title else u.name) for u in people)
    if step is not None and request.method == "GET":
        form.pool_ids.data = [u.id for u in step.pool]
        form.focus_area_ids.data = [a.id for a in services.plan_step_areas([step])[step.id]]
    return form


def _step_data(form: PlanStepForm) -> services.PlanStepData:
    return services.PlanStepData(
        title=form.title.data or "", kind=form.kind.data, duration_min=form.duration_min.data or 0,
        interviewer_count=form.interviewer_count.data or 0, pool_ids=tuple(form.pool_ids.data or ()),
        pool_from_qualified=bool(form.pool_from_qualified.data),
        focus_area_ids=tuple(form.focus_area_ids.data or ()), prep_min=form.prep_min.data or 0,
        prep_instructions=form.prep_instructions.data or "",
    )


def _step_page(job: Job, form: PlanStepForm, step: PlanSession | None):
    people = services.interviewers()
    levels = services.qualifications_of(u.id for u in people)
    # The picker lists the step's own focus areas first; a plan has no window, so it does not say who is free.
    chosen = [i for i in (form.focus_area_ids.data or ()) if isinstance(i, int)]
    facts = picker.people_facts(people, relevant_area_ids=chosen)
    return render_template("focus/step_form.html", job=job, form=form, step=step, people=people, levels=levels,
                           job_areas=services.job_focus_areas(job), people_facts=facts), form_status(form)


@bp.route("/jobs/<int:job_id>/plan/new", methods=["GET", "POST"])
@login_required
def add_step(job_id: int):
    job = _job_or_404(job_id, edit=True)
    form = _step_form(job)
    return submitted(form, services.FocusError, lambda: services.add_plan_step(job, _step_data(form)),
                     lambda step: done(f"“{step.title}” is added to the plan. New loops for {job.title} start with it.",
                                       url_for("focus.plan", job_id=job.id))) or _step_page(job, form, None)


def _step_or_404(job_id: int, step_id: int) -> tuple[Job, PlanSession]:
    """A step of the plan of a job the user may edit (a step of another job's plan is a 404)."""
    job = _job_or_404(job_id, edit=True)
    step = db.session.get(PlanSession, step_id)
    if step is None or step.job_id != job.id:
        abort(404)
    return job, step


@bp.route("/jobs/<int:job_id>/plan/<int:step_id>/edit", methods=["GET", "POST"])
@login_required
def edit_step(job_id: int, step_id: int):
    job, step = _step_or_404(job_id, step_id)
    form = _step_form(job, step)
    return submitted(form, services.FocusError, lambda: services.update_plan_step(step, _step_data(form)),
                     lambda _: done(f"“{step.title}” is saved. Loops created from now on use it; existing loops keep "
                                    "theirs.", url_for("focus.plan", job_id=job.id))) or _step_page(job, form, step)


@bp.route("/jobs/<int:job_id>/plan/<int:step_id>/delete", methods=["POST"])
@login_required
def delete_step(job_id: int, step_id: int):
    job, step = _step_or_404(job_id, step_id)
    require_valid(FlaskForm(), FORM_EXPIRED)
    title = step.title
    services.remove_plan_step(step)
    flash(f"“{title}” is removed from the plan. Existing loops keep their sessions.", "success")
    return redirect(url_for("focus.plan", job_id=job.id))


@bp.route("/jobs/<int:job_id>/plan/<int:step_id>/move", methods=["POST"])
@login_required
def move_step(job_id: int, step_id: int):
    job, step = _step_or_404(job_id, step_id)
    require_valid(FlaskForm(), FORM_EXPIRED)
    services.move_plan_step(step, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("focus.plan", job_id=job.id))
