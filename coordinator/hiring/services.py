"""Rules for jobs and candidates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage, Job, JobStatus
from coordinator.timeutil import is_valid_timezone


class HiringError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class JobData:
    title: str
    department: str
    hiring_manager_id: int
    recruiter_id: int
    status: str = JobStatus.OPEN.value
    #: None keeps the job's current setting (24 for a new job)
    feedback_due_hours: int | None = None


@dataclass(frozen=True)
class CandidateData:
    name: str
    email: str
    timezone: str
    job_id: int
    stage: str = CandidateStage.TO_SCHEDULE.value
    first_interview_emphasis: str = ""
    probe_further: str = ""


def users_with_role(role: Role) -> list[User]:
    from coordinator.auth.models import UserRole

    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == role.value, User.is_enabled).order_by(User.name)
    ))


def _check_job(data: JobData) -> None:
    manager = db.session.get(User, data.hiring_manager_id)
    if manager is None or not manager.has_role(Role.HIRING_MANAGER):
        raise HiringError("Choose a hiring manager from the list.", "hiring_manager_id")
    recruiter = db.session.get(User, data.recruiter_id)
    if recruiter is None or not recruiter.has_role(Role.RECRUITER):
        raise HiringError("Choose a recruiter from the list.", "recruiter_id")
    if data.status not in {s.value for s in JobStatus}:
        raise HiringError("Choose a status from the list.", "status")
    if data.feedback_due_hours is not None and not 1 <= data.feedback_due_hours <= 336:
        raise HiringError("Between 1 hour and 336 hours (two weeks).", "feedback_due_hours")


def create_job(data: JobData) -> Job:
    _check_job(data)
    job = Job(title=data.title, department=data.department, hiring_manager_id=data.hiring_manager_id,
              recruiter_id=data.recruiter_id, status=data.status, feedback_due_hours=data.feedback_due_hours or 24)
    db.session.add(job)
    db.session.flush()
    return job


def update_job(job: Job, data: JobData) -> None:
    _check_job(data)
    job.title, job.department, job.status = data.title, data.department, data.status
    job.hiring_manager_id, job.recruiter_id = data.hiring_manager_id, data.recruiter_id
    if data.feedback_due_hours is not None:
        job.feedback_due_hours = data.feedback_due_hours
    db.session.flush()


def _check_candidate(data: CandidateData) -> None:
    if not is_valid_timezone(data.timezone):
        raise HiringError("Choose a time zone from the list.", "timezone")
    if db.session.get(Job, data.job_id) is None:
        raise HiringError("Choose a job from the list.", "job_id")
    if data.stage not in {s.value for s in CandidateStage}:
        raise HiringError("Choose a stage from the list.", "stage")


def create_candidate(data: CandidateData) -> Candidate:
    _check_candidate(data)
    candidate = Candidate(**data.__dict__)
    candidate.email = data.email.strip().lower()
    db.session.add(candidate)
    db.session.flush()
    return candidate


def update_candidate(candidate: Candidate, data: CandidateData) -> None:
    _check_candidate(data)
    for key, value in data.__dict__.items():
        setattr(candidate, key, value)
    candidate.email = data.email.strip().lower()
    db.session.flush()
    from coordinator.loops.state import settle  # loops sit above hiring; a stage set by hand must fit the loops

    settle(candidate)


def search_candidates(base: Select, text: str = "", stage: str = "", job_id: int | None = None) -> Select:
    """Narrow a candidate query by free text (name or email), stage and job."""
    query = base.options(joinedload(Candidate.job))
    text = text.strip()
    if text:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(func.lower(Candidate.name).like(pattern, escape="\\"),
                                Candidate.email.like(pattern, escape="\\")))
    if stage in {s.value for s in CandidateStage}:
        query = query.where(Candidate.stage == stage)
    if job_id:
        query = query.where(Candidate.job_id == job_id)
    return query.order_by(Candidate.name)
