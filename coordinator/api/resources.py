"""The resources under /api/v1/ (flask-smorest blueprints): thin views that check the key's scope and the
service user's rights (auth.permissions), call the services and shape the JSON with api.schemas."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_smorest import Api, Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.api import services
from coordinator.api.http import (
    IDEMPOTENCY_DOC,
    IF_MATCH_DOC,
    api_user,
    check_if_match,
    idempotent,
    scoped,
    with_etag,
)
from coordinator.api.schemas import (
    BookSchema,
    ByLoopQuery,
    CancelSchema,
    CandidatePage,
    CandidatePatchSchema,
    CandidateQuery,
    CandidateSchema,
    DecisionPage,
    FindTimesResultSchema,
    FindTimesSchema,
    FocusAreaPage,
    JobPage,
    JobPatchSchema,
    JobSchema,
    ListQuery,
    LoopCreateSchema,
    LoopPage,
    LoopQuery,
    LoopSchema,
    ProblemSchema,
    ScorecardPage,
)
from coordinator.auth import permissions as rules
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job
from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

V1 = "/api/v1"
ERRORS = {"description": "A problem (RFC 9457)", "schema": ProblemSchema, "content_type": "application/problem+json"}


class ProblemApi(Api):
    """flask-smorest without its own error handlers: errors.py answers every error under /api/ with
    problem+json (api.http.render_error), the rest of the site keeps its pages. Its error responses are described
    as problems too, and there is no catch-all "default" response: every status an operation gives is listed."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        return None


def _blueprint(name: str, description: str) -> Blueprint:
    return Blueprint(f"api_{name}", __name__, url_prefix=V1, description=description)


jobs_bp = _blueprint("jobs", "Jobs (requisitions).")
candidates_bp = _blueprint("candidates", "Candidates, found by their id here or your ATS's external_id.")
loops_bp = _blueprint("loops", "Interview loops and their sessions: create from the job's plan, find times, book, "
                               "cancel.")
focus_bp = _blueprint("focus_areas", "Focus areas interviewers assess.")
scorecards_bp = _blueprint("scorecards", "Submitted scorecards (never drafts); needs the scorecards:read scope.")
decisions_bp = _blueprint("decisions", "Hiring decisions recorded after a loop's debrief.")
BLUEPRINTS = (jobs_bp, candidates_bp, loops_bp, focus_bp, scorecards_bp, decisions_bp)



def _scope_first(resource: str):
    def check() -> None:
        """The key's scope is checked before the body is read: a key without it learns nothing more."""
        scoped(resource, "read" if request.method in ("GET", "HEAD") else "write")
    return check


for _bp, _resource in zip(BLUEPRINTS, ("jobs", "candidates", "loops", "focus_areas", "scorecards", "decisions"),
                          strict=True):
    _bp.before_request(_scope_first(_resource))


def _page_response(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    """A page: its items are dumped by the page schema that @response names."""
    return {"items": items, "next_cursor": next_cursor}


def _not_found(what: str) -> services.ApiError:
    return services.ApiError(f"No {what} with this id that this key may see.", 404)


def _common(blp: Blueprint):
    """The error responses every operation may give."""
    def decorate(view):
        for code in (400, 401, 403, 404, 422, 429):
            view = blp.alt_response(code, **ERRORS)(view)
        return view
    return decorate


# --- jobs ----------------------------------------------------------------------------------------------------------

def _job_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not rules.can_view_job(api_user(), job):
        raise _not_found("job")
    return job


@jobs_bp.route("/jobs", methods=["GET"])
@jobs_bp.arguments(ListQuery, location="query", as_kwargs=True)
@jobs_bp.response(200, JobPage)
@_common(jobs_bp)
def list_jobs(cursor=None, limit=50, updated_since=None):
    """Jobs this key may see, oldest change first."""
    scoped("jobs")
    result = services.page(rules.visible_jobs(api_user()), Job.updated_dt, Job.id, cursor=cursor, limit=limit,
                           updated_since=updated_since)
    return _page_response(result.items, result.next_cursor)


@jobs_bp.route("/jobs", methods=["POST"])
@idempotent
@jobs_bp.doc(parameters=[IDEMPOTENCY_DOC])
@jobs_bp.arguments(JobSchema)
@jobs_bp.response(201, JobSchema)
@_common(jobs_bp)
def create_job(values):
    """Create a job."""
    scoped("jobs", "write")
    if not rules.can_create_job(api_user()):
        raise services.ApiError("This key may not create jobs.", 403)
    job = services.create_job(values)
    return with_etag(JobSchema().dump(job), 201, {"Location": url_for("api_jobs.get_job", job_id=job.id)})


@jobs_bp.route("/jobs/<int:job_id>", methods=["GET"])
@jobs_bp.response(200, JobSchema)
@_common(jobs_bp)
def get_job(job_id: int):
    """One job, with its ETag."""
    scoped("jobs")
    return with_etag(JobSchema().dump(_job_or_404(job_id)))


@jobs_bp.route("/jobs/<int:job_id>", methods=["PATCH"])
@jobs_bp.doc(parameters=[{**IF_MATCH_DOC, "required": True}])
@jobs_bp.arguments(JobPatchSchema)
@jobs_bp.response(200, JobSchema)
@jobs_bp.alt_response(412, **ERRORS)
@jobs_bp.alt_response(428, **ERRORS)
@_common(jobs_bp)
def update_job(changes, job_id: int):
    """Change a job: send If-Match with its ETag."""
    scoped("jobs", "write")
    job = _job_or_404(job_id)
    if not rules.can_edit_job(api_user(), job):
        raise services.ApiError("This key may not change this job.", 403)
    check_if_match(JobSchema().dump(job), required=True)
    return with_etag(JobSchema().dump(services.update_job(job, changes)))


# --- candidates ----------------------------------------------------------------------------------------------------

def _candidate_or_404(candidate_id: int) -> Candidate:
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or not rules.can_view_candidate(api_user(), candidate):
        raise _not_found("candidate")
    return candidate


@candidates_bp.route("/candidates", methods=["GET"])
@candidates_bp.arguments(CandidateQuery, location="query", as_kwargs=True)
@candidates_bp.response(200, CandidatePage)
@_common(candidates_bp)
def list_candidates(cursor=None, limit=50, updated_since=None, external_id=None, job_id=None):
    """Candidates this key may see; filter by external_id to find one by your ATS's id."""
    scoped("candidates")
    query = rules.visible_candidates(api_user())
    if external_id is not None:
        query = query.where(Candidate.external_id == external_id)
    if job_id is not None:
        query = query.where(Candidate.job_id == job_id)
    result = services.page(query, Candidate.updated_dt, Candidate.id, cursor=cursor, limit=limit,
                           updated_since=updated_since)
    return _page_response(result.items, result.next_cursor)


@candidates_bp.route("/candidates", methods=["POST"])
@idempotent
@candidates_bp.doc(parameters=[IDEMPOTENCY_DOC])
@candidates_bp.arguments(CandidateSchema)
@candidates_bp.response(201, CandidateSchema)
@candidates_bp.alt_response(409, **ERRORS)
@_common(candidates_bp)
def create_candidate(values):
    """Add a candidate to a job."""
    scoped("candidates", "write")
    if not rules.can_create_candidate(api_user()):
        raise services.ApiError("This key may not create candidates.", 403)
    candidate = services.create_candidate(values, api_user())
    return with_etag(CandidateSchema().dump(candidate), 201,
                     {"Location": url_for("api_candidates.get_candidate", candidate_id=candidate.id)})


@candidates_bp.route("/candidates/<int:candidate_id>", methods=["GET"])
@candidates_bp.response(200, CandidateSchema)
@_common(candidates_bp)
def get_candidate(candidate_id: int):
    """One candidate, with its ETag."""
    scoped("candidates")
    return with_etag(CandidateSchema().dump(_candidate_or_404(candidate_id)))


@candidates_bp.route("/candidates/by-external-id/<external_id>", methods=["GET"])
@candidates_bp.response(200, CandidateSchema)
@_common(candidates_bp)
def get_candidate_by_external_id(external_id: str):
    """The candidate with your ATS's id."""
    scoped("candidates")
    candidate = db.session.scalar(select(Candidate).where(Candidate.external_id == external_id))
    if candidate is None or not rules.can_view_candidate(api_user(), candidate):
        raise services.ApiError("No candidate with this external_id that this key may see.", 404)
    return with_etag(CandidateSchema().dump(candidate))


@candidates_bp.route("/candidates/<int:candidate_id>", methods=["PATCH"])
@candidates_bp.doc(parameters=[{**IF_MATCH_DOC, "required": True}])
@candidates_bp.arguments(CandidatePatchSchema)
@candidates_bp.response(200, CandidateSchema)
@candidates_bp.alt_response(409, **ERRORS)
@candidates_bp.alt_response(412, **ERRORS)
@candidates_bp.alt_response(428, **ERRORS)
@_common(candidates_bp)
def update_candidate(changes, candidate_id: int):
    """Change a candidate: send If-Match with its ETag."""
    scoped("candidates", "write")
    candidate = _candidate_or_404(candidate_id)
    if not rules.can_edit_candidate(api_user(), candidate):
        raise services.ApiError("This key may not change this candidate.", 403)
    check_if_match(CandidateSchema().dump(candidate), required=True)
    return with_etag(CandidateSchema().dump(services.update_candidate(candidate, changes, api_user())))


# --- loops ---------------------------------------------------------------------------------------------------------

def _loop_options():
    return (selectinload(Loop.candidate),
            selectinload(Loop.sessions).selectinload(LoopSession.participants).selectinload(SessionInterviewer.user))


def _loop_page_options():
    """A page of loops to show only, in one query per level whatever the page's size: the candidate's job, the
    sessions, their people and those people's names (nothing else of them: a request that changes loops loads
    them whole, `_loop_options`)."""
    return (selectinload(Loop.candidate).load_only(Candidate.id, Candidate.job_id),
            selectinload(Loop.sessions).selectinload(LoopSession.participants).selectinload(SessionInterviewer.user)
            .load_only(User.id, User.name).lazyload(User.role_rows))


def _loop_or_404(loop_id: int) -> Loop:
    loop = db.session.scalar(select(Loop).where(Loop.id == loop_id).options(*_loop_options()))
    if loop is None or not rules.can_view_loop(api_user(), loop):
        raise _not_found("loop")
    return loop


def _managed_loop(loop_id: int) -> Loop:
    scoped("loops", "write")
    loop = _loop_or_404(loop_id)
    if not rules.can_manage_loop(api_user(), loop):
        raise services.ApiError("This key may not change this loop.", 403)
    check_if_match(LoopSchema().dump(loop), required=False)
    return loop


@loops_bp.route("/loops", methods=["GET"])
@loops_bp.arguments(LoopQuery, location="query", as_kwargs=True)
@loops_bp.response(200, LoopPage)
@_common(loops_bp)
def list_loops(cursor=None, limit=50, updated_since=None, candidate_id=None, status=None):
    """Loops this key may see with their sessions, oldest change first: poll with updated_since and follow
    next_cursor."""
    scoped("loops")
    query = rules.visible_loops(api_user()).options(*_loop_page_options())
    if candidate_id is not None:
        query = query.where(Loop.candidate_id == candidate_id)
    if status is not None:
        query = query.where(Loop.status == status)
    result = services.page(query, Loop.updated_dt, Loop.id, cursor=cursor, limit=limit,
                           updated_since=updated_since)
    return _page_response(result.items, result.next_cursor)


@loops_bp.route("/loops", methods=["POST"])
@idempotent
@loops_bp.doc(parameters=[IDEMPOTENCY_DOC])
@loops_bp.arguments(LoopCreateSchema)
@loops_bp.response(201, LoopSchema)
@_common(loops_bp)
def create_loop(values):
    """Create a loop for a candidate, its sessions copied from the job's interview plan."""
    from coordinator.loops import services as loops

    scoped("loops", "write")
    candidate = db.session.get(Candidate, values["candidate_id"])
    if candidate is None or not rules.can_view_candidate(api_user(), candidate):
        raise services.ApiError("No candidate with this id that this key may see.", 422, "candidate_id")
    if not rules.can_create_loop(api_user(), candidate):
        raise services.ApiError("This key may not create loops for this candidate.", 403)
    loop = loops.create_loop(candidate, api_user())
    db.session.flush()
    loop = _loop_or_404(loop.id)
    return with_etag(LoopSchema().dump(loop), 201, {"Location": url_for("api_loops.get_loop", loop_id=loop.id)})


@loops_bp.route("/loops/<int:loop_id>", methods=["GET"])
@loops_bp.response(200, LoopSchema)
@_common(loops_bp)
def get_loop(loop_id: int):
    """One loop with its sessions, with its ETag."""
    scoped("loops")
    return with_etag(LoopSchema().dump(_loop_or_404(loop_id)))


@loops_bp.route("/loops/<int:loop_id>/cancel", methods=["POST"])
@loops_bp.doc(parameters=[IF_MATCH_DOC])
@loops_bp.arguments(CancelSchema)
@loops_bp.response(200, LoopSchema)
@loops_bp.alt_response(412, **ERRORS)
@_common(loops_bp)
def cancel_loop(values, loop_id: int):
    """Cancel the loop: its booked sessions are cancelled and the attendees told."""
    from coordinator.loops import services as loops

    loop = _managed_loop(loop_id)
    loops.cancel_loop(loop, api_user(), values["reason"])
    return with_etag(LoopSchema().dump(_loop_or_404(loop_id)))


@loops_bp.route("/loops/<int:loop_id>/find-times", methods=["POST"])
@loops_bp.arguments(FindTimesSchema)
@loops_bp.response(200, FindTimesResultSchema)
@_common(loops_bp)
def find_times(values, loop_id: int):
    """The scheduling engine's best options for the loop's sessions; book one with POST .../book."""
    from coordinator.loops import services as loops

    loop = _managed_loop(loop_id)
    result, sessions = loops.find_times(loop, values.get("first_day"), values.get("last_day"), values["options"])
    options = [{"days": option.days, "sessions": [
        {"session_id": sessions[ps.session_index].id, "start": ps.start, "end": ps.end,
         "interviewer_ids": list(ps.interviewer_ids), "shadow_ids": list(ps.shadow_ids)}
        for ps in option.sessions]} for option in result.options]
    return {"options": options, "reasons": [r.message for r in result.reasons], "exhausted": result.exhausted}


@loops_bp.route("/loops/<int:loop_id>/book", methods=["POST"])
@idempotent
@loops_bp.doc(parameters=[IDEMPOTENCY_DOC, IF_MATCH_DOC])
@loops_bp.arguments(BookSchema)
@loops_bp.response(200, LoopSchema)
@loops_bp.alt_response(409, **ERRORS)
@loops_bp.alt_response(412, **ERRORS)
@_common(loops_bp)
def book(values, loop_id: int):
    """Book (or move) the loop's sessions at an option from find-times. Conflicts are refused (409); soft problems
    need override_reason (422)."""
    from coordinator.loops import services as loops

    loop = _managed_loop(loop_id)
    placements = [loops.Placement(p["session_id"], p["start"], tuple(p["interviewer_ids"]), tuple(p["shadow_ids"]))
                  for p in values["sessions"]]
    try:
        loops.book(loop, placements, api_user(), values["override_reason"])
    except loops.NeedsOverride as exc:
        raise services.ApiError(str(exc), 422, "override_reason") from exc
    return with_etag(LoopSchema().dump(_loop_or_404(loop_id)))


# --- focus areas ---------------------------------------------------------------------------------------------------

@focus_bp.route("/focus-areas", methods=["GET"])
@focus_bp.arguments(ListQuery, location="query", as_kwargs=True)
@focus_bp.response(200, FocusAreaPage)
@_common(focus_bp)
def list_focus_areas(cursor=None, limit=50, updated_since=None):
    """Every focus area, in the order they were made."""
    from coordinator.focus.models import FocusArea

    scoped("focus_areas")
    if not rules.can_view_interview_library(api_user()):
        raise services.ApiError("This key may not read focus areas.", 403)
    result = services.page(select(FocusArea), FocusArea.created_dt, FocusArea.id, cursor=cursor, limit=limit,
                           updated_since=updated_since, when_of=lambda a: a.created_dt)
    return _page_response(result.items, result.next_cursor)


# --- scorecards and decisions --------------------------------------------------------------------------------------

def _visible_loop_ids():
    return select(rules.visible_loops(api_user()).subquery().c.id)


@scorecards_bp.route("/scorecards", methods=["GET"])
@scorecards_bp.arguments(ByLoopQuery, location="query", as_kwargs=True)
@scorecards_bp.response(200, ScorecardPage)
@_common(scorecards_bp)
def list_scorecards(cursor=None, limit=50, updated_since=None, loop_id=None):
    """Submitted scorecards of the loops this key may see, as last submitted (amendments included); drafts
    never."""
    from coordinator.scorecards.models import Scorecard, ScorecardStatus

    scoped("scorecards")
    query = (select(Scorecard).where(Scorecard.status == ScorecardStatus.SUBMITTED.value,
                                     Scorecard.loop_id.in_(_visible_loop_ids()))
             .options(selectinload(Scorecard.revisions), selectinload(Scorecard.interviewer)))
    if loop_id is not None:
        loop = _loop_or_404(loop_id)
        if not rules.key_can_read_scorecards(api_user(), g_scopes(), loop):
            raise services.ApiError("This key may not read this loop's scorecards.", 403)
        query = query.where(Scorecard.loop_id == loop_id)
    result = services.page(query, Scorecard.updated_dt, Scorecard.id, cursor=cursor, limit=limit,
                           updated_since=updated_since)
    items = [services.submitted_scorecard(card) for card in result.items]
    return _page_response(items, result.next_cursor)


@decisions_bp.route("/decisions", methods=["GET"])
@decisions_bp.arguments(ByLoopQuery, location="query", as_kwargs=True)
@decisions_bp.response(200, DecisionPage)
@_common(decisions_bp)
def list_decisions(cursor=None, limit=50, updated_since=None, loop_id=None):
    """Hiring decisions of the loops this key may see, in the order they were recorded."""
    from coordinator.scorecards.models import LoopDecision

    scoped("decisions")
    query = select(LoopDecision).where(LoopDecision.loop_id.in_(_visible_loop_ids()))
    if loop_id is not None:
        loop = _loop_or_404(loop_id)
        if not rules.key_can_read_decisions(api_user(), g_scopes(), loop):
            raise services.ApiError("This key may not read this loop's decisions.", 403)
        query = query.where(LoopDecision.loop_id == loop_id)
    result = services.page(query, LoopDecision.decided_dt, LoopDecision.id, cursor=cursor, limit=limit,
                           updated_since=updated_since, when_of=lambda d: d.decided_dt)
    return _page_response(result.items, result.next_cursor)


def g_scopes() -> frozenset[str]:
    from flask import g

    return g.api_scopes
