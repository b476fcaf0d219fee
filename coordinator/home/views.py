"""Home: what each role needs to see first."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from coordinator.auth.models import User
from coordinator.auth.permissions import visible_candidates, visible_jobs
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage, Job, JobStatus
from coordinator.loops.services import upcoming_interviews

bp = Blueprint("home", __name__)


@bp.route("/healthz")
def healthz():
    """Liveness for load balancers and the benchmark's ceiling: no database, no template, no session."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    context: dict = {}
    if current_user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER):
        # the cards name each job's hiring manager and recruiter: loaded with the jobs, not one query per person
        context["jobs"] = db.session.scalars(
            visible_jobs(current_user).where(Job.status == JobStatus.OPEN.value).order_by(Job.title)
            .options(joinedload(Job.hiring_manager), joinedload(Job.recruiter))
        ).unique().all()
        candidates = visible_candidates(current_user).subquery()
        counts = dict(db.session.execute(
            select(candidates.c.job_id, func.count()).group_by(candidates.c.job_id)
        ).all())
        context["candidate_counts"] = counts
        context["to_schedule"] = db.session.scalars(
            visible_candidates(current_user)
            .where(Candidate.stage == CandidateStage.TO_SCHEDULE.value)
            .order_by(Candidate.created_dt)
            .limit(20)
        ).all()
    if current_user.has_role(Role.ADMIN):
        context["user_count"] = db.session.scalar(select(func.count(User.id)))
        context["disabled_count"] = db.session.scalar(
            select(func.count(User.id)).where(User.is_enabled.is_(False))
        )
    if current_user.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER):
        context["my_interviews"] = upcoming_interviews(current_user)
    return render_template("home/index.html", **context)
