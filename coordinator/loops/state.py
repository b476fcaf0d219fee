"""The one place a loop's status and its candidate's stage are worked out from what happened (#22).

A loop is *planning* until every session that is not cancelled is booked, *scheduled* while booked sessions are
still to come, *completed* once its last session has ended or a decision is recorded on it, and *cancelled* only
when cancelled (that is the one status set by hand, by cancelling).

The candidate's stage follows their newest loop that is not cancelled: none, or still planning -> To schedule;
scheduled -> Scheduled; completed (or a scorecard already submitted) -> In debrief; decided -> Offer / Not hired,
or To schedule again after "another round" (until a newer loop exists). The stages after the debrief that people
set by hand (Offer, Hired, Not hired, Withdrawn) are left alone unless a decision says otherwise.

Everything that changes a loop calls `settle(candidate)`; `settle_due()` catches up with the clock (a loop whose
last session ended in the night) from the scheduler process and at start-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select

from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.loops.models import Loop, LoopSession, LoopStatus, SessionStatus
from coordinator.timeutil import now_utc

#: the stages this module derives; the others are someone's decision and are left alone
DERIVED = {CandidateStage.TO_SCHEDULE.value, CandidateStage.SCHEDULED.value, CandidateStage.DEBRIEF.value}


def _decisions(loop_ids: list[int]) -> dict[int, str]:
    """{loop id: the outcome of the decision in force}."""
    from coordinator.scorecards.models import LoopDecision  # scorecards sit above loops; the model only

    out: dict[int, str] = {}
    if loop_ids:
        rows = db.session.execute(select(LoopDecision.loop_id, LoopDecision.outcome)
                                  .where(LoopDecision.loop_id.in_(loop_ids))
                                  .order_by(LoopDecision.decided_dt, LoopDecision.id))
        out.update((loop_id, outcome) for loop_id, outcome in rows)
    return out


def _scorecards_in(loop_ids: list[int]) -> set[int]:
    from coordinator.scorecards.models import Scorecard, ScorecardStatus

    if not loop_ids:
        return set()
    return set(db.session.scalars(
        select(LoopSession.loop_id).join(Scorecard, Scorecard.session_id == LoopSession.id)
        .where(LoopSession.loop_id.in_(loop_ids), Scorecard.status == ScorecardStatus.SUBMITTED.value)))


def loop_status(loop: Loop, decided: bool, now: datetime) -> str:
    """What the loop's status is, from its sessions, the clock and whether it is decided."""
    if loop.status == LoopStatus.CANCELLED.value:
        return loop.status
    sessions = [s for s in loop.sessions if s.status != SessionStatus.CANCELLED.value]
    if decided:
        return LoopStatus.COMPLETED.value
    if not sessions:
        return LoopStatus.CANCELLED.value if loop.sessions else LoopStatus.PLANNING.value
    if not all(s.status == SessionStatus.BOOKED.value for s in sessions):
        return LoopStatus.PLANNING.value
    if max(s.end_dt for s in sessions) <= now:
        return LoopStatus.COMPLETED.value
    return LoopStatus.SCHEDULED.value


def settle(candidate: Candidate, now: datetime | None = None) -> None:
    """Bring every loop's status and the candidate's stage in line with what happened (see the module's note)."""
    from coordinator.scorecards.models import Decision

    now = now or now_utc()
    loops = list(db.session.scalars(select(Loop).where(Loop.candidate_id == candidate.id)
                                    .order_by(Loop.created_dt, Loop.id)))
    ids = [lp.id for lp in loops]
    decisions = _decisions(ids)
    for lp in loops:
        status = loop_status(lp, lp.id in decisions, now)
        if lp.status != status:
            lp.status = status
    current = next((lp for lp in reversed(loops) if lp.status != LoopStatus.CANCELLED.value), None)
    outcome = decisions.get(current.id) if current is not None else None
    if outcome == Decision.HIRE.value:
        stage = CandidateStage.OFFER.value
    elif outcome == Decision.NO_HIRE.value:
        stage = CandidateStage.NOT_HIRED.value
    elif current is None or outcome == Decision.ANOTHER_ROUND.value or current.status == LoopStatus.PLANNING.value:
        stage = CandidateStage.TO_SCHEDULE.value
    elif current.status == LoopStatus.COMPLETED.value or current.id in _scorecards_in([current.id]):
        stage = CandidateStage.DEBRIEF.value
    else:
        stage = CandidateStage.SCHEDULED.value
    if candidate.stage in DERIVED and candidate.stage != stage:
        candidate.stage = stage
    db.session.flush()


def settle_due(now: datetime | None = None) -> int:
    """Settle every candidate whose loops or stage are behind the clock; how many were looked at."""
    now = now or now_utc()
    ended = (select(LoopSession.id).where(LoopSession.loop_id == Loop.id,
                                          LoopSession.status == SessionStatus.BOOKED.value,
                                          LoopSession.end_dt > now))
    behind = select(Loop.candidate_id).where(Loop.status == LoopStatus.SCHEDULED.value, ~exists(ended))
    has_loop = exists().where(Loop.candidate_id == Candidate.id, Loop.status != LoopStatus.CANCELLED.value)
    candidates = db.session.scalars(select(Candidate).where(or_(
        Candidate.id.in_(behind),
        (Candidate.stage.in_([CandidateStage.SCHEDULED.value, CandidateStage.DEBRIEF.value]) & ~has_loop),
    ))).all()
    for candidate in candidates:
        settle(candidate, now)
    return len(candidates)
