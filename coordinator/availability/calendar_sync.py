"""Live calendars: connecting, choosing calendars, disconnecting, syncing busy times, and the write-back queue.

Services flush and never commit (the request, or `availability.jobs`, commits). A sync runs in two halves so
that the network and the parsing can run in worker threads while one thread owns the database session:

* `plans_due` (database, main thread) reads what each due connection needs: its credentials, its calendars'
  stored markers, its owner's zone and range, as plain values (`ConnectionPlan`);
* `fetch` (worker thread, no database) asks the server what changed (one PROPFIND on the calendar home for
  every calendar's ctag; then sync-collection or etags for the changed ones, calendar-multiget for their
  events) and expands the changed events with the import's own rules (`calendar_import.parse_busy_times`:
  all-day, transparent, cancelled, declined, tentative, floating times in the person's zone, same range);
* `apply` (database, main thread) writes the outcome in bulk: objects deleted (their busy rows go with them),
  objects inserted, busy rows inserted, markers and sync state updated.

Events whose UID is one of coordinator's own (the interview invites, and the write-back, which uses the same UID)
are stored but never become busy rows: the booked interview already blocks the person (`SessionInterviewer`).
A failed attempt keeps every busy row as it was and retries with back-off; pages say since when it is stale.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.availability import calendar_import, credentials
from coordinator.availability.caldav_client import CalendarSourceError, Delta, RemoteCalendar
from coordinator.availability.calendar_sources import open_source
from coordinator.availability.models import (
    BusyBlock,
    CalendarConnection,
    CalendarImport,
    CalendarObject,
    CalendarWrite,
    SyncedCalendar,
)
from coordinator.availability.services import AvailabilityError, _clean_summary, _lock, import_range
from coordinator.extensions import db

log = logging.getLogger("coordinator.calendars")

SYNCED = "caldav"
PARSE_CHUNK = 500
"""calendar objects expanded per call of the import's reader (its limits are per call)"""
MAX_BACKOFF = timedelta(hours=6)
STALE_AFTER = timedelta(hours=1)
"""Find times warns when someone's busy times are older than this"""
_CHUNK = 500


def sync_interval() -> timedelta:
    return timedelta(minutes=max(0.1, float(current_app.config.get("CALENDAR_SYNC_MINUTES") or 10)))


def _timeout() -> float:
    return float(current_app.config.get("CALENDAR_TIMEOUT_SECONDS") or 20)


def own_uid_suffix() -> str:
    """'@<host of BASE_URL>': the right-hand side of every UID coordinator writes (invites, write-back)."""
    from coordinator.invites.services import uid_domain

    return "@" + uid_domain()


# --- connecting -----------------------------------------------------------------------------------------------


def connection_of(user: User | int) -> CalendarConnection | None:
    user_id = user if isinstance(user, int) else user.id
    return db.session.scalar(select(CalendarConnection).where(CalendarConnection.user_id == user_id))


def connect(user: User, server_url: str, username: str, password: str) -> CalendarConnection:
    """Check the account with the server (discovery) and store it with every event calendar counted as busy.

    Raises AvailabilityError (on the field to fix) and stores nothing when the address, the password, the server
    or its certificate is wrong. Replaces an earlier connection of the person."""
    username, password = (username or "").strip(), password or ""
    if not username:
        raise AvailabilityError("Enter the user name of your calendar account.", "username")
    if not password:
        raise AvailabilityError("Enter the app password of your calendar account.", "password")
    try:
        from coordinator.availability.caldav_client import CalDAVSession

        session = CalDAVSession(server_url, username, password, timeout=_timeout())
        found = session.discover()
    except CalendarSourceError as exc:
        raise AvailabilityError(exc.message, "password" if exc.kind == "auth" else "server_url") from None
    events = [c for c in found.calendars if c.has_events]
    if not events:
        raise AvailabilityError("This account has no calendar with events; create one at your provider first.",
                                "server_url")
    _lock(User, user.id)
    old = connection_of(user)
    if old is not None:
        _remove(old)
    now = timeutil.now_utc()
    conn = CalendarConnection(user_id=user.id, kind="caldav", server_url=session.url, username=username[:255],
                              secret=credentials.encrypt(password), principal_url=found.principal_url,
                              home_url=found.home_url, created_dt=now, next_sync_dt=now)
    db.session.add(conn)
    db.session.flush()
    db.session.execute(insert(SyncedCalendar), [
        {"connection_id": conn.id, "url": c.url, "name": c.name, "is_busy": True, "is_write": False,
         "ctag": "", "sync_token": ""} for c in events])  # nosec B105 - no token yet
    db.session.flush()
    db.session.refresh(conn)
    return conn


def choose_calendars(user: User, busy_ids: Iterable[int], write_id: int | None) -> CalendarConnection:
    """Which calendars count as busy and which one (or none) receives the interviews. A calendar no longer
    ticked loses its busy times now; a newly ticked one is read in full at the next sync (right away)."""
    conn = connection_of(user)
    if conn is None:
        raise AvailabilityError("Connect a calendar first.")
    busy = {int(i) for i in busy_ids}
    known = {c.id for c in conn.calendars}
    if not busy <= known or (write_id is not None and write_id not in known):
        raise AvailabilityError("Choose among the calendars listed.")
    for cal in conn.calendars:
        if cal.is_busy and cal.id not in busy:
            db.session.execute(delete(CalendarObject).where(CalendarObject.calendar_id == cal.id))
        if cal.is_busy != (cal.id in busy):
            cal.ctag, cal.sync_token, cal.range_start_dt = "", "", None
        cal.is_busy = cal.id in busy
        cal.is_write = cal.id == write_id
    conn.next_sync_dt = timeutil.now_utc()
    db.session.flush()
    return conn


def _remove(conn: CalendarConnection) -> int:
    removed = db.session.scalar(
        select(func.count(BusyBlock.id)).join(CalendarObject, CalendarObject.id == BusyBlock.object_id)
        .join(SyncedCalendar, SyncedCalendar.id == CalendarObject.calendar_id)
        .where(SyncedCalendar.connection_id == conn.id)) or 0
    cal_ids = select(SyncedCalendar.id).where(SyncedCalendar.connection_id == conn.id)
    obj_ids = select(CalendarObject.id).where(CalendarObject.calendar_id.in_(cal_ids))
    db.session.execute(delete(BusyBlock).where(BusyBlock.object_id.in_(obj_ids)))
    db.session.execute(delete(CalendarObject).where(CalendarObject.calendar_id.in_(cal_ids)))
    db.session.execute(delete(SyncedCalendar).where(SyncedCalendar.connection_id == conn.id))
    db.session.execute(delete(CalendarWrite).where(CalendarWrite.user_id == conn.user_id,
                                                   CalendarWrite.done_dt.is_(None)))
    db.session.delete(conn)
    db.session.flush()
    return removed


def disconnect(user: User) -> int | None:
    """Delete the connection, its stored password and every busy time read through it; how many busy times
    went (None when there was no connection)."""
    _lock(User, user.id)
    conn = connection_of(user)
    if conn is None:
        return None
    return _remove(conn)


# --- what the pages show --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarStatus:
    """A connection as the pages show it: never the password, never event titles."""

    server_host: str
    username: str
    calendars: list[SyncedCalendar]
    last_ok_dt: datetime | None
    last_attempt_dt: datetime | None
    error: str
    next_sync_dt: datetime

    @property
    def is_stale(self) -> bool:
        return bool(self.error)

    @property
    def write_calendar(self) -> SyncedCalendar | None:
        return next((c for c in self.calendars if c.is_write), None)


def status_of(user: User) -> CalendarStatus | None:
    conn = connection_of(user)
    if conn is None:
        return None
    from urllib.parse import urlsplit

    return CalendarStatus(urlsplit(conn.server_url).hostname or conn.server_url, conn.username, list(conn.calendars),
                          conn.last_ok_dt, conn.last_attempt_dt, conn.last_error, conn.next_sync_dt)


@dataclass(frozen=True)
class BusySource:
    """Where one person's busy times come from, and as of when (for Find times and the day view)."""

    label: str  # "Live calendar", "Imported file", "Added by hand", "No calendar"
    as_of: datetime | None = None
    error: str = ""

    def age(self, now: datetime) -> timedelta | None:
        return now - self.as_of if self.as_of else None

    def is_old(self, now: datetime) -> bool:
        age = self.age(now)
        return bool(self.error) or (age is not None and age > STALE_AFTER)

    def describe(self, now: datetime) -> str:
        """"Live calendar, synced 4 min ago", "Live calendar, stale: last synced 3 h ago", "Imported file, 2 days
        old", "Added by hand", "No calendar"."""
        age = self.age(now)
        if self.label == "Live calendar":
            if age is None:
                return "Live calendar, not synced yet"
            text = f"synced {timeutil.format_age(age)} ago" if age >= timedelta(minutes=1) else "synced just now"
            return f"Live calendar, {'stale: last ' if self.error else ''}{text}"
        if self.label == "Imported file" and age is not None:
            return f"Imported file, {timeutil.format_age(age)} old" if age >= timedelta(minutes=1) \
                else "Imported file, just now"
        return self.label


SOURCE_LABELS = {"manual": "added by hand", "import": "imported file", SYNCED: "live calendar"}


def busy_sources_for(user_ids: Iterable[int]) -> dict[int, list[BusySource]]:
    """Per person, every source of busy times: a live calendar (as of its last good sync), an imported file (as of
    the import), times added by hand; 'No calendar' when there is none. Three queries."""
    ids = sorted({int(i) for i in user_ids})
    out: dict[int, list[BusySource]] = {i: [] for i in ids}
    if not ids:
        return out
    for user_id, last_ok, error in db.session.execute(
            select(CalendarConnection.user_id, CalendarConnection.last_ok_dt, CalendarConnection.last_error)
            .where(CalendarConnection.user_id.in_(ids))):
        out[user_id].append(BusySource("Live calendar", last_ok, error or ("" if last_ok else "not synced yet")))
    for user_id, imported in db.session.execute(
            select(CalendarImport.user_id, CalendarImport.imported_dt).where(CalendarImport.user_id.in_(ids))):
        out[user_id].append(BusySource("Imported file", imported))
    manual = set(db.session.scalars(select(BusyBlock.user_id).where(
        BusyBlock.user_id.in_(ids), BusyBlock.source == "manual", BusyBlock.end_dt > timeutil.now_utc()).distinct()))
    for user_id in ids:
        if user_id in manual:
            out[user_id].append(BusySource("Added by hand"))
        if not out[user_id]:
            out[user_id].append(BusySource("No calendar"))
    return out


# --- sync: plan (database) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarPlan:
    id: int
    url: str
    ctag: str
    sync_token: str
    expanded: bool  # the stored objects were expanded for today's range
    etags: dict[str, str] | None  # only for calendars synced without a sync-token


@dataclass(frozen=True)
class ConnectionPlan:
    id: int
    user_id: int
    kind: str
    server_url: str
    username: str
    password: str
    home_url: str
    tz: str
    email: str
    range_start: datetime
    range_end: datetime
    own_suffix: str
    timeout: float
    calendars: tuple[CalendarPlan, ...]


@dataclass
class CalendarOutcome:
    id: int
    delta: Delta | None = None  # None: unchanged since the last sync
    gone: bool = False  # the calendar no longer exists on the server
    objects: list[dict] = field(default_factory=list)  # {"href", "etag", "uid", "data"} to store
    blocks: list[calendar_import.BusyBlock] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ConnectionOutcome:
    plan: ConnectionPlan
    calendars: list[CalendarOutcome] = field(default_factory=list)
    error: str = ""
    requests: int = 0
    seconds: float = 0.0


@dataclass
class SyncReport:
    connections: int = 0
    failed: int = 0
    calendars_changed: int = 0
    objects: int = 0
    busy_rows: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"synced {self.connections} connections ({self.failed} failed), {self.calendars_changed} calendars "
                f"changed, {self.objects} events stored, {self.busy_rows} busy times, {self.requests} requests")


def plans_due(now: datetime, *, user_id: int | None = None, limit: int = 5000) -> list[ConnectionPlan]:
    """The connections due for a sync (or the one of `user_id`, due or not), as plain values for `fetch`."""
    query = select(CalendarConnection, User).join(User, User.id == CalendarConnection.user_id)
    if user_id is not None:
        query = query.where(CalendarConnection.user_id == user_id)
    else:
        query = query.where(CalendarConnection.next_sync_dt <= now).order_by(CalendarConnection.next_sync_dt)
    rows = db.session.execute(query.limit(limit)).all()
    if not rows:
        return []
    conn_ids = [c.id for c, _u in rows]
    cals: dict[int, list[SyncedCalendar]] = {}
    for cal in db.session.scalars(select(SyncedCalendar).where(SyncedCalendar.connection_id.in_(conn_ids),
                                                               SyncedCalendar.is_busy.is_(True))):
        cals.setdefault(cal.connection_id, []).append(cal)
    # synced before without a sync-token: the server refused sync-collection, so the stored etags are compared
    need_etags = [c.id for group in cals.values() for c in group if not c.sync_token and c.range_start_dt]
    etags: dict[int, dict[str, str]] = {}
    for chunk in _chunks(need_etags):
        for cal_id, href, etag in db.session.execute(
                select(CalendarObject.calendar_id, CalendarObject.href, CalendarObject.etag)
                .where(CalendarObject.calendar_id.in_(chunk))):
            etags.setdefault(cal_id, {})[href] = etag
    suffix, timeout = own_uid_suffix(), _timeout()
    plans = []
    for conn, user in rows:
        start, end = import_range(user, timeutil.to_local(now, user.timezone).date())
        try:
            password = credentials.decrypt(conn.secret)
        except credentials.UnreadableSecret:
            password = ""  # nosec B105 - unreadable: the sync says connect again
        plans.append(ConnectionPlan(
            conn.id, user.id, conn.kind, conn.server_url, conn.username, password, conn.home_url, user.timezone,
            user.email, start, end, suffix, timeout,
            tuple(CalendarPlan(c.id, c.url, c.ctag, c.sync_token, c.range_start_dt == start,
                               etags.get(c.id, {}) if not c.sync_token and c.range_start_dt else None)
                  for c in cals.get(conn.id, []))))
    return plans


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- sync: fetch (worker thread, no database) -----------------------------------------------------------------------

_UID = re.compile(r"^UID[;:](?:[^:\r\n]*:)?(.*?)\r?$", re.MULTILINE)


def object_uid(data: str) -> str:
    """The UID of one calendar object resource (one UID per resource, RFC 4791 4.1)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", data)
    m = _UID.search(unfolded)
    return m.group(1).strip()[:500] if m else ""


def expand(plan: ConnectionPlan, datas: Sequence[str]) -> tuple[list[calendar_import.BusyBlock], list[str]]:
    """The busy blocks of these calendar objects in the plan's range, read by the import's rules; coordinator's
    own events (interviews, write-back) left out. Problems as the import words them."""
    blocks: list[calendar_import.BusyBlock] = []
    problems: list[str] = []
    for chunk in _chunks(list(datas), PARSE_CHUNK):
        try:
            result = calendar_import.parse_busy_times("\r\n".join(chunk).encode("utf-8"), plan.range_start,
                                                      plan.range_end, plan.tz, owner_email=plan.email)
        except calendar_import.CalendarImportError as exc:
            problems.append(exc.message)
            continue
        blocks.extend(b for b in result.busy if not b.uid.endswith(plan.own_suffix))
        problems.extend(result.problems)
    return blocks, problems


def same_url(url: str) -> str:
    """A collection address in one spelling (percent-encoding and the trailing slash vary between answers)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{unquote(parts.path).rstrip('/')}"


def fetch(plan: ConnectionPlan) -> ConnectionOutcome:
    """Ask the server what changed in the plan's calendars and expand it; never raises (the error is kept)."""
    started = time.perf_counter()
    outcome = ConnectionOutcome(plan)
    source = None
    try:
        if not plan.password:
            raise CalendarSourceError("The stored password can no longer be read (the encryption key changed); "
                                      "connect the calendar again.", "auth")
        source = open_source(plan.kind, plan.id, plan.server_url, plan.username, plan.password,
                             timeout=plan.timeout)
        before = source.requests
        remote = {same_url(url): found for url, found in
                  (source.calendars(plan.home_url) if plan.calendars else {}).items()}
        for cal in plan.calendars:
            found = remote.get(same_url(cal.url))
            if found is None:
                outcome.calendars.append(CalendarOutcome(cal.id, gone=True))
                continue
            if found.ctag and found.ctag == cal.ctag:
                if not cal.expanded:  # unchanged, but a new day: re-read the stored events, ask nothing more
                    outcome.calendars.append(CalendarOutcome(cal.id, delta=Delta(ctag=cal.ctag,
                                                                                 sync_token=cal.sync_token)))
                continue  # unchanged: nothing to ask, nothing to write
            outcome.calendars.append(_fetch_calendar(plan, source, cal, found))
        outcome.requests = source.requests - before
    except CalendarSourceError as exc:
        outcome.error = exc.message
    except Exception as exc:  # noqa: BLE001 - a server's odd answer must not stop the other connections
        log.exception("calendar sync of connection %s failed", plan.id)
        outcome.error = f"The calendar server's answer could not be read ({type(exc).__name__})."
    outcome.seconds = time.perf_counter() - started
    return outcome


def _fetch_calendar(plan: ConnectionPlan, source, cal: CalendarPlan, found: RemoteCalendar) -> CalendarOutcome:
    token = cal.sync_token
    delta = source.changes(found, token, cal.etags)
    if not found.ctag and not delta.changed and not delta.deleted and token and cal.expanded:
        return CalendarOutcome(cal.id, delta=delta)
    objects = [{"href": href, "etag": etag[:255], "uid": object_uid(data), "data": data}
               for href, (etag, data) in delta.changed.items()]
    blocks, problems = expand(plan, [o["data"] for o in objects])
    return CalendarOutcome(cal.id, delta=delta, objects=objects, blocks=blocks, problems=problems)


# --- sync: apply (database, main thread) ------------------------------------------------------------------------


def apply(outcome: ConnectionOutcome, now: datetime, report: SyncReport | None = None) -> SyncReport:
    """Write one connection's outcome in the caller's transaction: on an error only the sync state (busy times
    stay as they were), else the changed objects and their busy rows, in bulk."""
    report = report if report is not None else SyncReport()
    plan = outcome.plan
    conn = db.session.get(CalendarConnection, plan.id)
    if conn is None:  # disconnected while the sync ran
        return report
    report.connections += 1
    report.requests += outcome.requests
    conn.last_attempt_dt = now
    if outcome.error:
        report.failed += 1
        report.errors.append(f"connection {plan.id}: {outcome.error}")
        conn.failures += 1
        conn.last_error = outcome.error[:1000]
        conn.next_sync_dt = now + min(sync_interval() * (2 ** min(conn.failures - 1, 10)), MAX_BACKOFF)
        db.session.flush()
        return report
    for cal_outcome in outcome.calendars:
        _apply_calendar(plan, cal_outcome, report)
    conn.failures, conn.last_error, conn.last_ok_dt = 0, "", now
    conn.next_sync_dt = now + sync_interval()
    db.session.flush()
    return report


def is_quiet(outcome: ConnectionOutcome) -> bool:
    """Nothing changed and nothing failed: only the sync state moves on (`mark_quiet`, in bulk)."""
    return not outcome.error and not outcome.calendars


def mark_quiet(outcomes: Sequence[ConnectionOutcome], now: datetime, report: SyncReport | None = None) -> SyncReport:
    """Record a good sync with no change for many connections in ONE statement (what a quiet pass writes)."""
    report = report if report is not None else SyncReport()
    ids = [o.plan.id for o in outcomes]
    if ids:
        db.session.execute(update(CalendarConnection).where(CalendarConnection.id.in_(ids)).values(
            last_attempt_dt=now, last_ok_dt=now, failures=0, last_error="", next_sync_dt=now + sync_interval()))
        report.connections += len(ids)
        report.requests += sum(o.requests for o in outcomes)
    return report


def _apply_calendar(plan: ConnectionPlan, out: CalendarOutcome, report: SyncReport) -> None:
    if out.gone:
        _delete_objects(out.id, None)
        db.session.execute(delete(SyncedCalendar).where(SyncedCalendar.id == out.id))
        report.calendars_changed += 1
        return
    delta = out.delta
    assert delta is not None
    report.calendars_changed += 1
    cal = db.session.get(SyncedCalendar, out.id)
    if cal is None:
        return
    if delta.complete:
        keep = set(delta.unchanged)
        stored = db.session.scalars(select(CalendarObject.href).where(CalendarObject.calendar_id == out.id)).all()
        gone = [h for h in stored if h not in keep]
    else:
        gone = list({*delta.deleted, *(o["href"] for o in out.objects)})
    _delete_objects(out.id, gone)
    if not cal.range_start_dt or cal.range_start_dt != plan.range_start:
        # the range moved (or this is the first sync): unchanged objects are re-read for the new range
        kept_ids = db.session.scalars(select(CalendarObject.id).where(CalendarObject.calendar_id == out.id)).all()
        if kept_ids:
            _reexpand(plan, out.id, report)
    ids: dict[str, int] = {}
    for chunk in _chunks(out.objects):
        rows = [{"calendar_id": out.id, **o} for o in chunk]
        result = db.session.execute(insert(CalendarObject).returning(
            CalendarObject.id, CalendarObject.uid, sort_by_parameter_order=True), rows)
        ids.update((uid, oid) for oid, uid in result.all())
    report.objects += len(out.objects)
    report.busy_rows += _insert_blocks(plan.user_id, ids, out.blocks)
    cal.ctag = delta.ctag
    cal.sync_token = delta.sync_token
    cal.range_start_dt = plan.range_start


def _insert_blocks(user_id: int, ids: dict[str, int], blocks: Iterable[calendar_import.BusyBlock]) -> int:
    rows = [{"user_id": user_id, "start_dt": b.start, "end_dt": b.end, "source": SYNCED,
             "summary": _clean_summary(b.summary), "object_id": ids[b.uid]}
            for b in blocks if b.uid in ids and b.end > b.start]
    for chunk in _chunks(rows, 2000):
        db.session.execute(insert(BusyBlock), list(chunk))
    return len(rows)


def _delete_objects(calendar_id: int, hrefs: Sequence[str] | None) -> None:
    """Delete these objects of a calendar (all when None) and their busy rows (explicitly: bulk deletes do not
    wait for the database's ON DELETE CASCADE on every engine setting)."""
    if hrefs is None:
        objs = select(CalendarObject.id).where(CalendarObject.calendar_id == calendar_id)
        db.session.execute(delete(BusyBlock).where(BusyBlock.object_id.in_(objs)))
        db.session.execute(delete(CalendarObject).where(CalendarObject.calendar_id == calendar_id))
        return
    for chunk in _chunks(list(hrefs)):
        objs = select(CalendarObject.id).where(CalendarObject.calendar_id == calendar_id,
                                               CalendarObject.href.in_(chunk))
        db.session.execute(delete(BusyBlock).where(BusyBlock.object_id.in_(objs)))
        db.session.execute(delete(CalendarObject).where(CalendarObject.calendar_id == calendar_id,
                                                        CalendarObject.href.in_(chunk)))


def _reexpand(plan: ConnectionPlan, calendar_id: int, report: SyncReport) -> None:
    """A new day: read the stored objects again for the moved range (no request to the server)."""
    objs = select(CalendarObject.id).where(CalendarObject.calendar_id == calendar_id)
    db.session.execute(delete(BusyBlock).where(BusyBlock.object_id.in_(objs)))
    rows = db.session.execute(select(CalendarObject.id, CalendarObject.uid, CalendarObject.data)
                              .where(CalendarObject.calendar_id == calendar_id)).all()
    blocks, _problems = expand(plan, [data for _id, _uid, data in rows])
    report.busy_rows += _insert_blocks(plan.user_id, {uid: oid for oid, uid, _data in rows}, blocks)
    db.session.execute(update(SyncedCalendar).where(SyncedCalendar.id == calendar_id)
                       .values(range_start_dt=plan.range_start))


def sync_now(user: User) -> SyncReport:
    """Sync one person's connection right away, in the caller's transaction (the "Sync now" button)."""
    now = timeutil.now_utc()
    report = SyncReport()
    for plan in plans_due(now, user_id=user.id):
        apply(fetch(plan), now, report)
    return report
