"""Who may see and do what: the one place every view, download and listing asks.

Rules:
- admin: manages users; may see and correct every job and candidate (to reassign owners).
- recruiter: coordinates the jobs they recruit for; creates jobs and candidates.
- hiring manager: sees and edits the jobs they own and those jobs' candidates.
- interviewer: sees only what they take part in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import Select, false, or_, select

from coordinator.auth.roles import Role

if TYPE_CHECKING:
    from coordinator.auth.models import User
    from coordinator.hiring.models import Candidate, Job


def require(allowed: bool) -> None:
    """Stop the request with a 403 page when a rule says no."""
    if not allowed:
        abort(403)


def can_manage_users(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def can_create_job(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.RECRUITER)


def can_create_candidate(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.RECRUITER)


def can_view_job(user: User, job: Job) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    if user.has_role(Role.RECRUITER) and job.recruiter_id == user.id:
        return True
    return user.has_role(Role.HIRING_MANAGER) and job.hiring_manager_id == user.id


def can_edit_job(user: User, job: Job) -> bool:
    return can_view_job(user, job)


def can_view_candidate(user: User, candidate: Candidate) -> bool:
    return can_view_job(user, candidate.job)


def can_edit_candidate(user: User, candidate: Candidate) -> bool:
    return can_view_job(user, candidate.job)


def can_add_candidate_to_job(user: User, job: Job) -> bool:
    return can_create_candidate(user) and can_edit_job(user, job)


def visible_jobs(user: User) -> Select:
    """A query of the jobs the user may see, for listings and choice fields."""
    from coordinator.hiring.models import Job

    query = select(Job)
    if user.has_role(Role.ADMIN):
        return query
    conditions = []
    if user.has_role(Role.RECRUITER):
        conditions.append(Job.recruiter_id == user.id)
    if user.has_role(Role.HIRING_MANAGER):
        conditions.append(Job.hiring_manager_id == user.id)
    if not conditions:
        return query.where(false())
    return query.where(or_(*conditions))


def visible_candidates(user: User) -> Select:
    from coordinator.hiring.models import Candidate

    jobs = visible_jobs(user).subquery()
    return select(Candidate).where(Candidate.job_id.in_(select(jobs.c.id)))


def can_view_availability(user: User, owner: User) -> bool:
    """Working hours, load limits and busy times: the person themself, admins, and recruiters for interviewers
    (the people they schedule)."""
    if not user.is_authenticated:
        return False
    if user.id == owner.id or user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.RECRUITER) and owner.has_role(Role.INTERVIEWER)


def can_edit_availability(user: User, owner: User) -> bool:
    """Load limits, buffers, busy times and calendar imports: whoever may see them."""
    return can_view_availability(user, owner)


def can_choose_availability_owner(user: User) -> bool:
    """Admins and recruiters may open other people's availability from a list."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER)


def can_edit_candidate_windows(user: User, candidate: Candidate) -> bool:
    """When the candidate can interview: whoever may edit the candidate."""
    return can_edit_candidate(user, candidate)


# --- loops ---------------------------------------------------------------------------------------------------------

def is_on_loop(user: User, loop) -> bool:
    """Takes part in one of the loop's sessions (as interviewer or shadow)."""
    return any(p.user_id == user.id for s in loop.sessions for p in s.participants)


def can_view_loop(user: User, loop) -> bool:
    return can_view_job(user, loop.candidate.job) or is_on_loop(user, loop)


def can_manage_loop(user: User, loop) -> bool:
    """Plan, book, change and cancel: the job's recruiter (or the loop's organizer) and admins."""
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.RECRUITER) and user.id in (loop.candidate.job.recruiter_id, loop.recruiter_id)


def can_create_loop(user: User, candidate: Candidate) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.RECRUITER) and candidate.job.recruiter_id == user.id


def can_manage_candidate_page(user: User, loop) -> bool:
    """Send or revoke the candidate's private link, allow self-booking, write "what to expect", read their
    thank-you notes: whoever manages the loop. (The candidate's page itself has no sign-in: its link is the key.)"""
    return can_manage_loop(user, loop)


def visible_loops(user: User) -> Select:
    """Loops of the jobs the user may see, plus the loops the user takes part in."""
    from coordinator.hiring.models import Candidate
    from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

    jobs = visible_jobs(user).subquery()
    on_loop = (select(LoopSession.loop_id).join(SessionInterviewer, SessionInterviewer.session_id == LoopSession.id)
               .where(SessionInterviewer.user_id == user.id))
    return (select(Loop).join(Candidate, Candidate.id == Loop.candidate_id)
            .where(or_(Candidate.job_id.in_(select(jobs.c.id)), Loop.id.in_(on_loop))))


# --- focus areas, question bank, qualifications, interview plans and kits --------------------------------------------

def can_view_interview_library(user: User) -> bool:
    """Focus areas, their rating guidance and the question bank: everyone signed in (interviewers prepare with
    them)."""
    return user.is_authenticated


def can_edit_interview_library(user: User) -> bool:
    """Create and change focus areas and bank questions: recruiters, hiring managers and admins."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)


def can_edit_qualifications(user: User) -> bool:
    """Say who is trained to assess which focus area: recruiters, hiring managers and admins."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)


def can_edit_job_interviewing(user: User, job: Job) -> bool:
    """A job's focus areas and default interview plan: whoever may edit the job."""
    return can_edit_job(user, job)


def can_assign_focus(user: User, loop) -> bool:
    """Assign focus areas and questions to a loop's interviewers: who manages the loop, and the job's hiring
    manager."""
    if can_manage_loop(user, loop):
        return True
    return user.has_role(Role.HIRING_MANAGER) and loop.candidate.job.hiring_manager_id == user.id


def can_view_kits(user: User, loop) -> bool:
    """Interview kits of a loop: the hiring team (the job's people, admins, the loop's organizer) and everyone who
    takes part in the loop. Nobody else."""
    return can_view_loop(user, loop) or can_manage_loop(user, loop)


def can_edit_kit(user: User, loop, session, kit_user_id: int) -> bool:
    """Change a kit's questions: who assigns focus, and the interviewer themself for their own kit in a session
    they interview in. Only who assigns focus may change the focus areas."""
    if can_assign_focus(user, loop):
        return True
    return user.id == kit_user_id and any(
        p.user_id == user.id and p.role == "interviewer" for p in session.participants
    )


# --- invites: the outbox and downloads -----------------------------------------------------------------------------

def can_view_outbox(user: User) -> bool:
    """The outbox page: admins (every message) and recruiters (the messages of the loops they coordinate)."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER)


def visible_outbox(user: User) -> Select:
    """Outbox messages the user may read: all for admins; for recruiters, those of loops they coordinate (the
    job's recruiter or the loop's organizer)."""
    from coordinator.hiring.models import Candidate, Job
    from coordinator.invites.models import OutboxMessage
    from coordinator.loops.models import Loop

    query = select(OutboxMessage)
    if user.has_role(Role.ADMIN):
        return query
    if not user.has_role(Role.RECRUITER):
        return query.where(false())
    mine = (select(Loop.id).join(Candidate, Candidate.id == Loop.candidate_id).join(Job, Job.id == Candidate.job_id)
            .where(or_(Job.recruiter_id == user.id, Loop.recruiter_id == user.id)))
    return query.where(OutboxMessage.loop_id.in_(mine))


def can_view_outbox_message(user: User, message) -> bool:
    if not can_view_outbox(user):
        return False
    if user.has_role(Role.ADMIN):
        return True
    if message.loop_id is None:
        return False
    from coordinator.extensions import db
    from coordinator.loops.models import Loop

    loop = db.session.get(Loop, message.loop_id)
    return loop is not None and can_manage_loop(user, loop)


def can_retry_outbox_message(user: User, message) -> bool:
    """Send a failed message again: whoever may read it."""
    return can_view_outbox_message(user, message)


def can_download_candidate_invites(user: User, loop) -> bool:
    """The candidate's version of the loop's calendar: the hiring team of the job (recruiter, hiring manager,
    admins), not every interviewer on the loop."""
    return can_view_job(user, loop.candidate.job)


# --- data protection -----------------------------------------------------------------------------------------------

def can_manage_privacy(user: User) -> bool:
    """Export a candidate's data, erase a candidate, set retention: admins."""
    return user.is_authenticated and user.has_role(Role.ADMIN)


# --- scorecards: the independence rule -----------------------------------------------------------------------------
#
# Feedback is independent: an interviewer sees no other scorecard of a loop, not even its ratings or how many there
# are, until they have submitted every scorecard of their own in that loop. The job's recruiter (and the loop's
# organizer, a recruiter) and the job's hiring manager see every scorecard. Admins see none unless they also hold
# one of those roles for the job: the admin role manages accounts, it does not join a hiring team. Shadows do not
# score and see no scorecard. Everyone else sees nothing. `feedback_access` is that rule; every scorecard page,
# download and listing asks it (the debrief, its CSV and print view and the decision: `sees_all`).


class FeedbackAccess:
    """What one user may read and write of one loop's scorecards (the answer of `feedback_access`)."""

    __slots__ = ("user_id", "sees_all", "seats", "submitted")

    def __init__(self, user_id: int | None, sees_all: bool, seats: frozenset[int], submitted: frozenset[int]) -> None:
        #: the viewer
        self.user_id = user_id
        #: recruiter or hiring manager of the job: reads every scorecard, runs the debrief, records the decision
        self.sees_all = sees_all
        #: ids of the loop's sessions (not cancelled) the viewer scores in
        self.seats = seats
        #: ids of those sessions whose scorecard the viewer has submitted
        self.submitted = submitted

    @property
    def is_scorer(self) -> bool:
        return bool(self.seats)

    @property
    def has_submitted_all(self) -> bool:
        return self.is_scorer and self.seats <= self.submitted

    @property
    def sees_colleagues(self) -> bool:
        """May read scorecards written by other people."""
        return self.sees_all or self.has_submitted_all

    def can_read(self, author_id: int) -> bool:
        """May read the scorecards written by `author_id` in this loop (content, ratings, state)."""
        if self.user_id is not None and author_id == self.user_id and self.is_scorer:
            return True
        return self.sees_colleagues

    def can_write(self, session_id: int, author_id: int) -> bool:
        """Only the interviewer themself writes their scorecard, in a session they score in."""
        return self.user_id is not None and author_id == self.user_id and session_id in self.seats


def feedback_access(user: User, loop, submitted_session_ids=None) -> FeedbackAccess:
    """THE independence rule for `loop`'s scorecards. `submitted_session_ids` (the sessions whose scorecard the
    user has submitted) may be passed by a caller that already loaded them; otherwise it is read here."""
    if not getattr(user, "is_authenticated", False):
        return FeedbackAccess(None, False, frozenset(), frozenset())
    job = loop.candidate.job
    sees_all = ((user.has_role(Role.RECRUITER) and user.id in (job.recruiter_id, loop.recruiter_id))
                or (user.has_role(Role.HIRING_MANAGER) and job.hiring_manager_id == user.id))
    seats = frozenset(s.id for s in loop.sessions if s.status != "cancelled"
                      for p in s.participants if p.user_id == user.id and p.role == "interviewer")
    if not seats:
        return FeedbackAccess(user.id, sees_all, seats, frozenset())
    if submitted_session_ids is None:
        from coordinator.extensions import db
        from coordinator.scorecards.models import Scorecard, ScorecardStatus

        submitted_session_ids = db.session.scalars(select(Scorecard.session_id).where(
            Scorecard.loop_id == loop.id, Scorecard.interviewer_id == user.id,
            Scorecard.status == ScorecardStatus.SUBMITTED.value)).all()
    return FeedbackAccess(user.id, sees_all, seats, frozenset(submitted_session_ids) & seats)


def can_list_my_scorecards(user: User) -> bool:
    """The "My scorecards" page: whoever can be put on a loop as an interviewer."""
    return getattr(user, "is_authenticated", False) and user.has_role(Role.INTERVIEWER, Role.HIRING_MANAGER)


# --- reminders and the dashboard -------------------------------------------------------------------------------------

def can_view_loop_reminders(user: User, loop) -> bool:
    """Who is reminded of what and when for a loop, and what was skipped and why: the hiring team (the job's
    recruiter and hiring manager, the loop's organizer) and admins."""
    return can_view_job(user, loop.candidate.job) or can_manage_loop(user, loop)


# --- the API: keys act as service users ------------------------------------------------------------------------------
#
# An API key (api.models.ApiKey) acts as its own service user, who holds the admin role: the rules above then let it
# see and change what an admin may (every job, candidate and loop), and nothing about people (no API route manages
# users). The key's scopes narrow that per resource: `<resource>:read` reads, `<resource>:write` creates and changes
# (and reads too). Scorecards follow the independence rule for people; a key is not an interviewer, so it reads
# scorecards only with the `scorecards:read` scope, and only submitted ones (never drafts), of the loops it may see.

#: resource -> the actions a key may be granted on it
API_SCOPES: dict[str, tuple[str, ...]] = {
    "jobs": ("read", "write"),
    "candidates": ("read", "write"),
    "loops": ("read", "write"),
    "focus_areas": ("read",),
    "scorecards": ("read",),
    "decisions": ("read",),
}


def api_scope_names() -> list[str]:
    return [f"{resource}:{action}" for resource, actions in API_SCOPES.items() for action in actions]


def key_allows(scopes: list[str] | frozenset[str], resource: str, action: str) -> bool:
    """Whether a key with `scopes` may `action` ("read" or "write") `resource`; write includes read."""
    granted = set(scopes)
    if action == "read":
        return f"{resource}:read" in granted or f"{resource}:write" in granted
    return f"{resource}:{action}" in granted


def can_manage_api(user: User) -> bool:
    """Create and revoke API keys, register webhook endpoints and read their deliveries: admins (people only)."""
    return can_manage_users(user) and not getattr(user, "is_service", False)


def key_can_read_scorecards(user: User, scopes, loop) -> bool:
    """Submitted scorecards of `loop` through the API: a key with the scorecards scope whose service user may see
    the loop. Drafts never (the API's query reads submitted ones only)."""
    return key_allows(scopes, "scorecards", "read") and can_view_loop(user, loop)


def key_can_read_decisions(user: User, scopes, loop) -> bool:
    return key_allows(scopes, "decisions", "read") and can_view_loop(user, loop)


# --- insight: reports and calibration --------------------------------------------------------------------------------

def can_view_insight(user: User) -> bool:
    """The reports page: recruiters and hiring managers (over the jobs `visible_jobs` gives them) and admins (all).
    Interviewers see none of it."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)


def can_view_calibration(user: User) -> bool:
    """How each interviewer rates against the panel: the hiring team only, i.e. the recruiters and hiring managers
    of the jobs it is computed over (`visible_jobs`) and admins; never interviewers, so never a rater's peers."""
    return can_view_insight(user)
