"""The hiring decision after the debrief: recording it (with the candidate's stage it leads to), reading the loop's
decisions, and how it stands against the date the team promised the candidate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.loops.models import Loop, LoopStatus
from coordinator.loops.state import settle
from coordinator.scorecards.models import Decision, LoopDecision
from coordinator.scorecards.services import RATIONALE_MAX, ScorecardError, clean_text, too_long


def _newest_first(loop: Loop) -> Select[tuple[LoopDecision]]:
    return (select(LoopDecision).where(LoopDecision.loop_id == loop.id)
            .order_by(LoopDecision.decided_dt.desc(), LoopDecision.id.desc())
            .options(selectinload(LoopDecision.decided_by)))


def latest_decision(loop: Loop) -> LoopDecision | None:
    """The decision in force (a later one replaces an earlier one; both stay in the history)."""
    return db.session.scalar(_newest_first(loop).limit(1))


def decisions_of(loop: Loop) -> list[LoopDecision]:
    """Every decision recorded on the loop, newest first."""
    return list(db.session.scalars(_newest_first(loop)))


#: what a decision does to the candidate's stage (another round: back to To schedule, through loops.state.settle)
STAGE_AFTER = {Decision.HIRE: CandidateStage.OFFER, Decision.NO_HIRE: CandidateStage.NOT_HIRED}


class DecisionChanged(ScorecardError):
    """Someone recorded a decision after the decider's page showed the decision in force: nothing is recorded,
    the page shows theirs and keeps what this decider wrote (409)."""

    status = 409

    def __init__(self, current: LoopDecision) -> None:
        who = current.decided_by.name if current.decided_by else "Someone"
        super().__init__(f"{who} recorded “{current.outcome_label}” while you were deciding, so yours was not "
                         "recorded. Read theirs below; record yours again if you still decide otherwise.")
        self.current = current


#: `seen_decision` of a page that showed no decision yet
NO_DECISION = "none"


def _seen_differs(seen: str | None, current: LoopDecision | None) -> bool:
    if seen is None or seen == "":
        return False  # a form from before pages said what they showed: nothing to compare
    return seen != (str(current.id) if current is not None else NO_DECISION)


def record_decision(loop: Loop, outcome: str, rationale: str, actor: User, missing: int = 0,
                    accept_missing: bool = False, seen_decision: str | None = None) -> LoopDecision:
    """Record hire / no hire / another round with its rationale, and move the candidate's stage.

    Deciders take turns: the loop and the candidate are locked first (PostgreSQL: FOR UPDATE; SQLite: the
    write lock), so the newest decision and the candidate's stage are always written together. When the
    decision in force is not the one the decider's page showed (`seen_decision`: its id, or "none"), nothing
    is recorded: DecisionChanged (409).
    """
    from coordinator.loops.services import lock_loop  # loops' rule for taking turns on a loop

    lock_loop(loop)
    db.session.execute(select(Candidate.id).where(Candidate.id == loop.candidate_id).with_for_update())
    db.session.refresh(loop.candidate)
    current = latest_decision(loop)
    if _seen_differs(seen_decision, current):
        raise DecisionChanged(current)
    errors: dict[tuple[int | None, str], str] = {}
    if outcome not in {d.value for d in Decision}:
        errors[(None, "outcome")] = "Choose hire, no hire or another round."
    rationale = clean_text(rationale).strip()
    if not rationale:
        errors[(None, "rationale")] = "Write the rationale: what the decision rests on."
    elif len(rationale) > RATIONALE_MAX:
        errors[(None, "rationale")] = too_long(rationale, RATIONALE_MAX)
    if missing and not accept_missing:
        errors[(None, "accept_missing")] = (f"{missing} scorecard{'s are' if missing != 1 else ' is'} missing. "
                                            "Tick the box to decide without them, or wait for them.")
    if loop.status == LoopStatus.CANCELLED.value:
        raise ScorecardError("This loop is cancelled; no decision can be recorded on it.")
    if errors:
        raise ScorecardError("The decision was not recorded.", errors)
    decision = Decision(outcome)
    now = timeutil.now_utc()
    if current is not None and current.decided_dt > now:
        now = current.decided_dt  # never before the one it replaces (ties: the later row is the newer)
    row = LoopDecision(loop_id=loop.id, outcome=decision.value, rationale=rationale, decided_by_id=actor.id,
                       decided_dt=now)
    db.session.add(row)
    stage = STAGE_AFTER.get(decision)
    candidate = loop.candidate
    if stage is not None:
        candidate.stage = stage.value
    db.session.flush()
    settle(candidate)
    audit("debrief.decided", "loop", loop.id, detail=f"outcome={decision.value}")
    return row


def decision_state(loop: Loop, decision: LoopDecision | None, viewer_tz: str, now: datetime | None = None) -> str:
    """'Decided 2 days before the promised date', 'Due in 3 days', 'Overdue by 1 day' (in the viewer's zone)."""
    promised = loop.decision_due_on
    if promised is None:
        return ""
    today = timeutil.to_local(now or timeutil.now_utc(), viewer_tz).date()
    if decision is not None:
        decided_on = timeutil.to_local(decision.decided_dt, viewer_tz).date()
        days = (promised - decided_on).days
        return "on time" if days >= 0 else f"{-days} day{'s' if days != -1 else ''} after the promised date"
    days = (promised - today).days
    if days > 0:
        return f"due in {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"
