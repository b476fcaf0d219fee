"""The board's rules: placing a session as a draft (checked at once by the booking checks), and booking every
draft when the recruiter confirms.

A draft is a `BoardDraft` row: nothing is booked and nobody is invited until `confirm`, which hands the drafts to
`loops.booking.book` (the same checks, the same history, the same followers as any booking). Every check here is
the booking's `check` or the engine's; the page's script only says which session went to which slot.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from coordinator.auth.models import User
from coordinator.board.models import BoardDraft
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopSession, ParticipantRole
from coordinator.scheduling import Interval, find_replacements
from coordinator.timeutil import now_utc

REASON_LIMIT = 2000


@dataclass
class Move:
    """What placing a session came to: saved (`draft`), refused (`conflicts`), or waiting for a reason to accept
    `problems` (soft ones not accepted before)."""

    draft: BoardDraft | None = None
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_saved(self) -> bool:
        return self.draft is not None


def drafts_of(loop: Loop) -> dict[int, BoardDraft]:
    """The loop's drafts by session id."""
    return {d.session_id: d for d in db.session.scalars(select(BoardDraft).where(BoardDraft.loop_id == loop.id))}


def _named(session: LoopSession) -> tuple[int, ...]:
    return tuple(
        p.user_id for p in session.participants if p.role == ParticipantRole.INTERVIEWER.value and not p.is_from_pool
    )


def _shadows(session: LoopSession) -> tuple[int, ...]:
    return tuple(p.user_id for p in session.participants if p.role == ParticipantRole.SHADOW.value)


def _picks(session: LoopSession, draft: BoardDraft | None) -> list[int]:
    """Who the session has from its pool now: the draft's picks, else the booked ones."""
    pool = {u.id for u in session.pool}
    if draft is not None:
        return [uid for uid in draft.interviewers if uid in pool and uid not in _named(session)]
    return [
        p.user_id
        for p in session.participants
        if p.is_from_pool and p.role == ParticipantRole.INTERVIEWER.value and p.user_id in pool
    ]


def placements(loop: Loop, drafts: dict[int, BoardDraft]) -> list[loops.Placement]:
    """The drafts as booking placements."""
    active = {s.id for s in loops.sessions_to_place(loop)}
    return [
        loops.Placement(d.session_id, d.start_dt, d.interviewers, d.shadows)
        for d in drafts.values()
        if d.session_id in active
    ]


def _choose_people(
    session: LoopSession, start: datetime, draft: BoardDraft | None, person_id: int | None
) -> tuple[int, ...]:
    """Named interviewers, then pool picks: the person dropped on (if in the pool) first, then the earlier picks,
    topped up with the pool members the engine finds free and least loaded at that time."""
    named = _named(session)
    pool_ids = [u.id for u in session.pool if u.id not in named]
    picks = _picks(session, draft)
    if person_id is not None and person_id not in named and person_id not in _shadows(session):
        if person_id not in pool_ids:
            raise loops.LoopError("That person is not in this session's pool. Add them to the session first.")
        picks = [person_id, *[p for p in picks if p != person_id]]
    wanted = session.pool_count if pool_ids else 0
    picks = picks[:wanted]
    if len(picks) < wanted:
        end = start + timedelta(minutes=session.duration_min)
        others = [uid for uid in pool_ids if uid not in picks]
        calendars = loops.calendars_for(others, start, end, exclude_loop_id=session.loop_id, labelled=True)
        free = find_replacements(Interval(start, end), list(calendars.values()), exclude_ids=picks)
        picks += [r.person_id for r in free][: wanted - len(picks)]
    return named + tuple(picks)


def _check_time(start: datetime) -> None:
    if start.tzinfo is None:
        raise loops.LoopError("Times must carry a time zone.")
    if start < now_utc():
        raise loops.LoopError("Choose a time in the future.")
    if start > now_utc() + timedelta(days=loops.MAX_BOOKING_AHEAD_DAYS):
        raise loops.LoopError("Place at most two years ahead.")


def place(
    loop: Loop, session: LoopSession, start: datetime, actor: User, person_id: int | None = None, reason: str = ""
) -> Move:
    """Put `session` at `start` on the board (with `person_id` picked from its pool, when given). Hard conflicts
    refuse; soft problems not accepted before need `reason`. Nothing is booked."""
    loops.require_editable(loop)
    if session not in loops.sessions_to_place(loop):
        raise loops.LoopError("That session is cancelled; it cannot be placed.")
    _check_time(start)
    drafts = drafts_of(loop)
    draft = drafts.get(session.id)
    people = _choose_people(session, start, draft, person_id)
    mine = loops.Placement(session.id, start, people, _shadows(session))
    others = [p for p in placements(loop, drafts) if p.session_id != session.id]
    return _save(loop, [*others, mine], [mine], drafts, actor, reason)


def place_option(loop: Loop, chosen: Sequence[loops.Placement], actor: User, reason: str = "") -> Move:
    """Put every session of a Find times option on the board at once (to adjust before booking)."""
    loops.require_editable(loop)
    if not chosen:
        raise loops.LoopError("Nothing to place.")
    for p in chosen:
        _check_time(p.start)
    drafts = drafts_of(loop)
    ids = {p.session_id for p in chosen}
    others = [p for p in placements(loop, drafts) if p.session_id not in ids]
    return _save(loop, [*others, *chosen], list(chosen), drafts, actor, reason)


def _save(
    loop: Loop,
    everything: list[loops.Placement],
    changed: list[loops.Placement],
    drafts: dict[int, BoardDraft],
    actor: User,
    reason: str,
) -> Move:
    result, _ = loops.check(loop, everything, moving=[p.session_id for p in changed])
    if result.conflicts:
        return Move(conflicts=result.conflicts)
    accepted = {line for d in drafts.values() for line in d.problems}
    new = [p for p in result.problems if p not in accepted]
    if new and not reason.strip():
        return Move(problems=new)
    saved = None
    for p in changed:
        draft = drafts.get(p.session_id)
        if draft is None:
            draft = BoardDraft(session_id=p.session_id, loop_id=loop.id)
            db.session.add(draft)
        draft.start_dt = p.start
        draft.interviewer_ids = ",".join(str(i) for i in p.interviewer_ids)
        draft.shadow_ids = ",".join(str(i) for i in p.shadow_ids)
        draft.accepted_problems = "\n".join(result.problems)
        if reason.strip():
            draft.reason = reason.strip()[:REASON_LIMIT]
        draft.updated_by_id, draft.updated_dt = actor.id, now_utc()
        saved = draft
    db.session.flush()
    return Move(draft=saved)


def unplace(loop: Loop, session: LoopSession) -> None:
    """Take a session's draft off the board (a booked session goes back to its booked time)."""
    loops.require_editable(loop)
    db.session.execute(delete(BoardDraft).where(BoardDraft.session_id == session.id))


def discard(loop: Loop) -> int:
    """Forget every draft of the loop; how many there were."""
    result = db.session.execute(delete(BoardDraft).where(BoardDraft.loop_id == loop.id))
    return result.rowcount or 0


def pending_problems(loop: Loop, drafts: dict[int, BoardDraft]) -> tuple[list[str], list[str]]:
    """(conflicts, soft problems) of booking every draft now: what the confirm step shows."""
    chosen = placements(loop, drafts)
    if not chosen:
        return [], []
    result, _ = loops.check(loop, chosen)
    return result.conflicts, result.problems


def confirm(loop: Loop, actor: User, reason: str = "") -> loops.Change:
    """Book every draft as one booking (its checks, history and invites), then drop the drafts. The reasons
    given on the board for soft problems count as the override reason, with `reason` added."""
    from coordinator.kits import services as assignments  # kits imports loops; the board sits above both

    drafts = drafts_of(loop)
    chosen = placements(loop, drafts)
    if not chosen:
        raise loops.LoopError("Nothing is placed on the board yet. Drag a session to a time first.")
    reasons = list(dict.fromkeys(r for r in [*(d.reason for d in drafts.values()), reason.strip()] if r))
    why = " ".join(reasons)
    assignments.require_coverage(loop, chosen, actor, why)
    ids = {p.session_id for p in chosen}
    booked_before = any(s.is_booked for s in loops.sessions_to_place(loop) if s.id in ids)
    change = loops.book(loop, chosen, actor, why, action="rescheduled" if booked_before else "booked")
    discard(loop)
    return change


def video_room_url(loop: Loop) -> str:
    """A unique meeting room for the loop at the configured provider (a Jitsi Meet base URL needs no account)."""
    base = str(current_app.config.get("VIDEO_BASE_URL") or "").strip().rstrip("/")
    if not base.lower().startswith(("https://", "http://")):
        raise loops.LoopError("No meeting service is configured (COORDINATOR_VIDEO_BASE_URL).")
    return f"{base}/Interview-{loop.id}-{secrets.token_hex(8)}"


def add_video_link(loop: Loop, actor: User) -> loops.Change:
    """Give the loop a video link of its own (the sessions without one use it), through the loop's settings, so
    the history records it and booked sessions' invites are updated."""
    if loop.video_url:
        raise loops.LoopError("This loop already has a video link.")
    settings = loops.LoopSettings(
        arrangement=loop.arrangement,
        buffer_min=loop.buffer_min,
        candidate_grouping=loop.candidate_grouping,
        location=loop.location,
        video_url=video_room_url(loop),
        window_first_day=loop.window_first_day,
        window_last_day=loop.window_last_day,
        decision_due_on=loop.decision_due_on,
        send_at_once=loop.send_at_once,
    )
    return loops.update_settings(loop, settings, actor)
