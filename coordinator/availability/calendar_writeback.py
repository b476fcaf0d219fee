"""Write-back: each interview lands in the calendar its interviewer chose for them, through a queue that loop
changes fill (`after_loop_change`, a follower of `loops.changes`) and the scheduler works (`availability.jobs`);
what is written is decided from the session as it is when the queue is worked."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.availability import credentials
from coordinator.availability.caldav_client import CalendarSourceError
from coordinator.availability.calendar_sources import open_source
from coordinator.availability.calendar_sync import MAX_BACKOFF, _timeout, connection_of
from coordinator.availability.models import (
    CalendarConnection,
    CalendarWrite,
    SyncedCalendar,
)
from coordinator.extensions import db

log = logging.getLogger("coordinator.calendars")

MAX_WRITE_ATTEMPTS = 8


def after_loop_change(change) -> int:
    """The follower of loops (`loops.changes.follow`): queue a write for every person on a changed session who
    chose a calendar for their interviews. What is written (the event, or its removal) is decided when the queue
    is worked, from the session as it is then. Returns how many writes were queued."""
    from coordinator.loops.changes import ChangeKind
    from coordinator.loops.models import LoopSession, SessionInterviewer

    if change.kind is ChangeKind.PROGRESS:
        return 0
    if change.kind is ChangeKind.SESSION_EDIT:
        session_ids = [change.session_id] if change.session_id else []
    elif change.kind is ChangeKind.SETTINGS:
        session_ids = list(change.places_before)
    else:
        session_ids = [*change.booked, *change.cancelled, *(s for s, _u in change.removed),
                       *(s for s, _u in change.added)]
    if not session_ids:
        return 0
    pairs = {(s, u) for s, u in db.session.execute(
        select(SessionInterviewer.session_id, SessionInterviewer.user_id)
        .join(LoopSession, LoopSession.id == SessionInterviewer.session_id)
        .where(SessionInterviewer.session_id.in_(session_ids)))}
    pairs.update(change.removed)
    if not pairs:
        return 0
    writers = set(db.session.scalars(
        select(CalendarConnection.user_id).join(SyncedCalendar, SyncedCalendar.connection_id == CalendarConnection.id)
        .where(CalendarConnection.user_id.in_({u for _s, u in pairs}), SyncedCalendar.is_write.is_(True))))
    now = timeutil.now_utc()
    rows = [{"user_id": u, "session_id": s, "created_dt": now, "next_attempt_dt": now, "attempts": 0,
             "outcome": "", "last_error": ""} for s, u in sorted(pairs) if u in writers]
    if rows:
        db.session.execute(insert(CalendarWrite), rows)
    return len(rows)


@dataclass
class WriteReport:
    written: int = 0
    removed: int = 0
    skipped: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"written {self.written}, removed {self.removed}, skipped {self.skipped}, retrying {self.retrying}"

    @property
    def acted(self) -> bool:
        return bool(self.written or self.removed or self.retrying)


def due_writes(now: datetime, limit: int = 200) -> list[tuple[int, int]]:
    """(user id, session id) pairs with a write waiting, oldest first."""
    rows = db.session.execute(
        select(CalendarWrite.user_id, CalendarWrite.session_id, func.min(CalendarWrite.id))
        .where(CalendarWrite.done_dt.is_(None), CalendarWrite.next_attempt_dt <= now)
        .group_by(CalendarWrite.user_id, CalendarWrite.session_id).order_by(func.min(CalendarWrite.id)).limit(limit))
    return [(u, s) for u, s, _first in rows]


def _event_for(user_id: int, session_id: int, now: datetime) -> tuple[str, bytes | None]:
    """The session's UID and, while the person is on it and it is booked, the event to store (else None)."""
    from coordinator.invites import services as invites
    from coordinator.invites.ical import InviteError, interviewer_invite, storable_resources
    from coordinator.loops.models import LoopSession, SessionStatus

    uid = invites.session_uid(session_id)
    session = db.session.get(LoopSession, session_id)
    if session is None or not session.is_booked or session.status == SessionStatus.CANCELLED.value:
        return uid, None
    if not any(p.user_id == user_id and p.is_active for p in session.participants):
        return uid, None
    user = db.session.get(User, user_id)
    data = invites.LoopData(session.loop, details_for=user_id)
    loop = data.invite_loop([session], tz=user.timezone if user else None)
    try:
        ics = interviewer_invite(loop, user.email if user else None, stamp=now, session_uids=[uid])
    except InviteError:
        return uid, None
    return uid, storable_resources(ics)[uid]


def write_one(user_id: int, session_id: int, now: datetime, report: WriteReport) -> None:
    """Write (or remove) one session in the person's chosen calendar and mark its queued rows done; on a failure
    they are retried with back-off, and given up after MAX_WRITE_ATTEMPTS. The caller commits."""
    # only the rows seen now: one queued while this write is under way is worked next time
    seen = db.session.scalars(select(CalendarWrite.id).where(
        CalendarWrite.user_id == user_id, CalendarWrite.session_id == session_id,
        CalendarWrite.done_dt.is_(None))).all()
    pending = (CalendarWrite.id.in_(seen),)
    conn = connection_of(user_id)
    target = next((c for c in conn.calendars if c.is_write), None) if conn else None
    if conn is None or target is None:
        report.skipped += 1
        db.session.execute(update(CalendarWrite).where(*pending).values(done_dt=now, outcome="skipped"))
        return
    uid, data = _event_for(user_id, session_id, now)
    try:
        source = open_source(conn.kind, conn.id, conn.server_url, conn.username, credentials.decrypt(conn.secret),
                             timeout=_timeout(), purpose="write")
        if data is None:
            source.delete(target.url, uid)
            report.removed += 1
        else:
            source.put(target.url, uid, data)
            report.written += 1
    except (CalendarSourceError, credentials.UnreadableSecret) as exc:
        message = getattr(exc, "message", str(exc))
        attempts = db.session.scalar(select(func.max(CalendarWrite.attempts)).where(*pending)) or 0
        give_up = attempts + 1 >= MAX_WRITE_ATTEMPTS
        db.session.execute(update(CalendarWrite).where(*pending).values(
            attempts=attempts + 1, last_error=message[:1000],
            next_attempt_dt=now + min(timedelta(minutes=2 ** attempts), MAX_BACKOFF),
            done_dt=now if give_up else None, outcome="failed" if give_up else ""))
        report.errors.append(f"user {user_id}, session {session_id}: {message}")
        if not give_up:
            report.retrying += 1
        return
    db.session.execute(update(CalendarWrite).where(*pending).values(
        done_dt=now, outcome="delete" if data is None else "put", last_error=""))
