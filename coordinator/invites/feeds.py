"""Calendars people read rather than receive: .ics downloads from a loop's pages, and each user's private feed.

A feed is reached by a secret token (only its hash is stored) and lists the user's interviews from a day ago on,
with '-feed' UIDs so that it never collides with the invites the same events arrived in. Built events are cached
per process (`FEED_EVENT_CACHE`): calendars poll feeds often and most events do not change between two polls.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import re
import secrets
import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import MutableMapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from coordinator.auth.models import User
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.ical import (
    CancelledEvent,
    InviteError,
    candidate_cancelled_calendar,
    candidate_summary,
    feed_calendar,
    loop_calendar,
    plan_candidate_events,
)
from coordinator.invites.models import CalendarFeed, CandidateInviteEvent
from coordinator.invites.services import LoopData, app_url, focus_areas
from coordinator.loops.models import Loop, LoopSession, LoopStatus, SessionStatus
from coordinator.loops.models import SessionInterviewer as Participant
from coordinator.timeutil import now_utc

log = logging.getLogger(__name__)

#: how far back the feed reaches (so today's finished interviews stay visible)
FEED_PAST = timedelta(days=1)
#: most sessions in one feed
FEED_LIMIT = 2000

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")


# --------------------------------------------------------------------------------------------- downloads


def session_download(loop: Loop, session: LoopSession, viewer: User, *, now: datetime | None = None) -> bytes:
    """One session as a .ics for the hiring team (METHOD:PUBLISH, the interviewers' UID), in the viewer's zone."""
    data = LoopData(loop)
    iloop = data.invite_loop([session], viewer.timezone)
    if not iloop.sessions:
        raise InviteError("This session is not booked yet, so it has no time to put in a calendar.")
    return loop_calendar(iloop, stamp=now or now_utc(), audience="internal")


def loop_download(loop: Loop, viewer: User, *, now: datetime | None = None) -> bytes:
    data = LoopData(loop)
    iloop = data.invite_loop([s for s in loop.sessions if s.start_dt], viewer.timezone)
    if not iloop.sessions:
        raise InviteError("No session of this loop is booked yet.")
    return loop_calendar(iloop, stamp=now or now_utc(), audience="internal")


def candidate_download(loop: Loop, *, now: datetime | None = None) -> bytes:
    """The candidate's events under the loop's grouping, as their invites have them: nothing internal.

    Once the whole loop is cancelled, the events the candidate holds come back cancelled (same UIDs, the
    SEQUENCE of the cancellation), so the file still does something useful in their calendar."""
    data = LoopData(loop, with_details=False)
    iloop = data.invite_loop([s for s in loop.sessions if s.is_booked])
    rows = list(db.session.scalars(select(CandidateInviteEvent).where(CandidateInviteEvent.loop_id == loop.id)
                                   .order_by(CandidateInviteEvent.start_dt, CandidateInviteEvent.uid)))
    if not iloop.sessions:
        if loop.status == LoopStatus.CANCELLED.value:
            return _cancelled_download(data, rows, now or now_utc())
        raise InviteError("No session of this loop is booked yet.")
    sent = {row.uid: row.sequence for row in rows}
    return loop_calendar(iloop, stamp=now or now_utc(), audience="candidate", sequences=sent)


def _cancelled_download(data: LoopData, rows: list[CandidateInviteEvent], now: datetime) -> bytes:
    """The cancelled loop's events as the candidate was last sent them (or, if no invitation was ever sent, as
    the download planned them from the sessions, whose SEQUENCE the cancellation raised)."""
    iloop = data.invite_loop([])
    events = [CancelledEvent(r.uid, r.sequence, r.start_dt, r.end_dt, r.summary) for r in rows if r.is_cancelled]
    if not events:
        was_booked = [dataclasses.replace(s, status="CONFIRMED") for s in data.invite_loop(
            [s for s in data.loop.sessions if s.status == SessionStatus.CANCELLED.value]).sessions]
        planned = dataclasses.replace(iloop, sessions=tuple(was_booked))
        events = [CancelledEvent(ev.uid, ev.sequence, ev.start, ev.end, candidate_summary(planned, ev))
                  for ev in plan_candidate_events(planned)] if was_booked else []
    if not events:
        raise InviteError("Nothing of this loop was booked before it was cancelled.")
    return candidate_cancelled_calendar(iloop, events, stamp=now, note="This interview is cancelled.")


def ics_filename(*parts: object) -> str:
    """A download name made only of ASCII letters, digits and dashes: 'interview-zoe-unal-12.ics'."""
    text = "-".join(str(p) for p in parts if str(p))
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60].strip("-")
    return f"{slug or 'calendar'}.ics"


# ------------------------------------------------------------------------------------------------- feeds


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_feed_token(user: User, *, now: datetime | None = None) -> str:
    """Make a new feed token for the user, replacing (and so revoking) any earlier one. Only its hash is
    stored: show the returned token once."""
    token = secrets.token_urlsafe(32)
    row = db.session.get(CalendarFeed, user.id)
    if row is None:
        row = CalendarFeed(user_id=user.id)
        db.session.add(row)
    row.token_hash, row.created_dt, row.last_used_dt = _token_hash(token), now or now_utc(), None
    db.session.flush()
    return token


def revoke_feed(user: User) -> bool:
    row = db.session.get(CalendarFeed, user.id)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def feed_url(token: str) -> str:
    return app_url("invites.feed", token=token)


def user_for_feed_token(token: str) -> User | None:
    """The enabled user whose current feed token this is, else None (wrong, revoked, malformed: all alike)."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    digest = _token_hash(token)
    row = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.is_enabled else None


def touch_feed(user_id: int, now: datetime) -> None:
    """Note when a calendar last fetched the feed (at most every few minutes: a feed is polled often).

    Written on a connection of its own, in its own short write transaction: a feed fetch is a read, and the note
    must neither wait for nor depend on the request's transaction."""
    with write_transaction(), db.engine.begin() as conn:
        conn.execute(
            update(CalendarFeed).where(CalendarFeed.user_id == user_id,
                                       or_(CalendarFeed.last_used_dt.is_(None),
                                           CalendarFeed.last_used_dt < now - timedelta(minutes=5)))
            .values(last_used_dt=now)
        )


def feed_sessions(user: User, now: datetime) -> list[LoopSession]:
    """The user's interviews from a day ago on: booked ones, and cancelled ones (shown as cancelled)."""
    return list(db.session.scalars(
        select(LoopSession).join(Participant, Participant.session_id == LoopSession.id)
        .where(Participant.user_id == user.id, LoopSession.start_dt.is_not(None),
               LoopSession.end_dt >= now - FEED_PAST,
               LoopSession.status.in_([SessionStatus.BOOKED.value, SessionStatus.CANCELLED.value]))
        .order_by(LoopSession.start_dt).limit(FEED_LIMIT)
        .options(
            selectinload(LoopSession.participants).selectinload(Participant.user),
            selectinload(LoopSession.loop).selectinload(Loop.candidate).selectinload(Candidate.job),
            selectinload(LoopSession.loop).selectinload(Loop.recruiter),
        )
    ))


class _EventCache(MutableMapping):
    """A small thread-safe LRU mapping for `feed_calendar`'s per-event cache (one per process)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value = self._data.get(key, default)
            if value is not default:
                self._data.move_to_end(key)
            return value

    def __getitem__(self, key):
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __delitem__(self, key) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self):
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


#: built feed events, shared by all feeds of this process (about 1.5 kB an event)
FEED_EVENT_CACHE = _EventCache(maxsize=20_000)


def feed_ics(user: User, *, now: datetime | None = None) -> bytes:
    """The user's private feed (no METHOD; '-feed' UIDs so it never collides with the invites)."""
    now = now or now_utc()
    by_loop: dict[int, list[LoopSession]] = defaultdict(list)
    loops: dict[int, Loop] = {}
    for s in feed_sessions(user, now):
        by_loop[s.loop_id].append(s)
        loops[s.loop_id] = s.loop
    invite_loops = []
    focus = focus_areas(s.id for sessions in by_loop.values() for s in sessions)
    for loop_id, sessions in by_loop.items():
        data = LoopData(loops[loop_id], details_for=user.id, focus=focus)
        try:
            invite_loops.append(data.invite_loop(sessions, user.timezone))
        except InviteError as exc:  # one bad loop must not take the whole feed down
            log.warning("feed: loop %s left out of %s's feed: %s", loop_id, user.email, exc)
    return feed_calendar(invite_loops, stamp=now, viewer_email=user.email,
                         name=f"Interviews — {user.name}", refresh=timedelta(hours=1), cache=FEED_EVENT_CACHE)
