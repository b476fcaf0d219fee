"""Jobs and candidates: lists, detail pages and forms."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coordinator.auth.permissions import (
    can_add_candidate_to_job,
    can_create_candidate,
    can_create_job,
    can_create_loop,
    can_edit_candidate,
    can_edit_job,
    can_view_candidate,
    can_view_job,
    visible_candidates,
    visible_jobs,
)
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.forms import choices, form_status
from coordinator.hiring import services
from coordinator.hiring.forms import CandidateForm, JobForm
from coordinator.hiring.models import Candidate, CandidateStage, Job
from coordinator.loops.models import Loop
from coordinator.reminders import services as reminders
from coordinator.web import allowed, allowed_or_404, done, submitted

bp = Blueprint("hiring", __name__)


# --- jobs ------------------------------------------------------------------------------------------------------

@bp.route("/jobs")
@login_required
def jobs():
    rows = db.session.scalars(visible_jobs(current_user).order_by(Job.status, Job.title)).all()
    return render_template("hiring/jobs.html", jobs=rows, can_create=can_create_job(current_user))


def _job_form(job: Job | None = None) -> JobForm:
    form = JobForm(obj=job)
    form.hiring_manager_id.choices = choices((u.id, u.name) for u in services.users_with_role(Role.HIRING_MANAGER))
    form.recruiter_id.choices = choices((u.id, u.name) for u in services.users_with_role(Role.RECRUITER))
    if job is None and request.method == "GET" and current_user.has_role(Role.RECRUITER):
        form.recruiter_id.data = current_user.id
    return form


def _job_data(form: JobForm) -> services.JobData:
    return services.JobData(title=form.title.data, department=form.department.data,
                            hiring_manager_id=form.hiring_manager_id.data, recruiter_id=form.recruiter_id.data,
                            status=form.status.data, feedback_due_hours=form.feedback_due_hours.data)


@bp.route("/jobs/new", methods=["GET", "POST"])
@allowed(can_create_job)
def add_job():
    form = _job_form()
    response = submitted(form, services.HiringError, lambda: services.create_job(_job_data(form)),
                         lambda job: done(f"The job “{job.title}” is created.", url_for("hiring.job", job_id=job.id)))
    return response or (render_template("hiring/job_form.html", form=form, job=None), form_status(form))


@bp.route("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    job = allowed_or_404(Job, job_id, can_view_job)
    return render_template("hiring/job.html", job=job, can_edit=can_edit_job(current_user, job),
                           can_add_candidate=can_add_candidate_to_job(current_user, job))


@bp.route("/jobs/<int:job_id>/edit", methods=["GET", "POST"])
@login_required
def edit_job(job_id: int):
    job = allowed_or_404(Job, job_id, can_edit_job)
    form = _job_form(job)
    due_hours = job.feedback_due_hours

    def saved(_) -> Response:
        if job.feedback_due_hours != due_hours:
            reminders.after_job_change(job)  # the scorecard reminders of its loops move with the deadline
        return done("The job is saved.", url_for("hiring.job", job_id=job.id))

    response = submitted(form, services.HiringError, lambda: services.update_job(job, _job_data(form)), saved)
    return response or (render_template("hiring/job_form.html", form=form, job=job), form_status(form))


# --- candidates ------------------------------------------------------------------------------------------------

@bp.route("/candidates")
@login_required
def candidates():
    text = request.args.get("q", "")[:100]
    stage = request.args.get("stage", "")
    job_id = request.args.get("job", type=int)
    query = services.search_candidates(visible_candidates(current_user), text, stage, job_id)
    rows = db.session.scalars(query.limit(200)).all()
    jobs = db.session.scalars(visible_jobs(current_user).order_by(Job.title)).all()
    return render_template("hiring/candidates.html", candidates=rows, q=text, stage=stage, job_id=job_id,
                           jobs=jobs, stages=CandidateStage.choices(),
                           can_create=can_create_candidate(current_user))


def _candidate_form(candidate: Candidate | None = None) -> CandidateForm:
    form = CandidateForm(obj=candidate)
    jobs = db.session.scalars(visible_jobs(current_user).order_by(Job.title)).all()
    form.job_id.choices = choices((j.id, f"{j.title} — {j.department}") for j in jobs)
    return form


def _candidate_data(form: CandidateForm) -> services.CandidateData:
    return services.CandidateData(
        name=form.name.data, email=form.email.data, timezone=form.timezone.data, job_id=form.job_id.data,
        stage=form.stage.data, first_interview_emphasis=form.first_interview_emphasis.data or "",
        probe_further=form.probe_further.data or "",
    )


def _check_job_choice(form: CandidateForm, candidate: Candidate | None = None) -> bool:
    """The job must be one the user may add candidates to (keeping the current job is always allowed)."""
    job = db.session.get(Job, form.job_id.data) if form.job_id.data else None
    keeps_job = candidate is not None and job is not None and job.id == candidate.job_id
    if job is None or not (keeps_job or can_add_candidate_to_job(current_user, job)):
        form.job_id.errors = [*form.job_id.errors, "Choose one of your jobs."]
        return False
    return True


@bp.route("/candidates/new", methods=["GET", "POST"])
@allowed(can_create_candidate)
def add_candidate():
    form = _candidate_form()
    if request.method == "GET":
        form.job_id.data = request.args.get("job", type=int)
        form.timezone.data = current_user.timezone
    response = submitted(form, services.HiringError, lambda: services.create_candidate(_candidate_data(form)),
                         lambda candidate: done(f"{candidate.name} is added.",
                                                url_for("hiring.candidate", candidate_id=candidate.id)),
                         check=lambda: _check_job_choice(form))
    return response or (render_template("hiring/candidate_form.html", form=form, candidate=None), form_status(form))


@bp.route("/candidates/<int:candidate_id>")
@login_required
def candidate(candidate_id: int):
    candidate = allowed_or_404(Candidate, candidate_id, can_view_candidate)
    loops = db.session.scalars(
        select(Loop).where(Loop.candidate_id == candidate.id).order_by(Loop.created_dt.desc())
    ).all()
    return render_template("hiring/candidate.html", candidate=candidate, loops=loops,
                           can_edit=can_edit_candidate(current_user, candidate),
                           can_create_loop=can_create_loop(current_user, candidate))


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@login_required
def edit_candidate(candidate_id: int):
    candidate = allowed_or_404(Candidate, candidate_id, can_edit_candidate)
    form = _candidate_form(candidate)
    response = submitted(form, services.HiringError,
                         lambda: services.update_candidate(candidate, _candidate_data(form)),
                         lambda _: done("The candidate is saved.",
                                        url_for("hiring.candidate", candidate_id=candidate.id)),
                         check=lambda: _check_job_choice(form, candidate))
    return response or (render_template("hiring/candidate_form.html", form=form, candidate=candidate),
                        form_status(form))
