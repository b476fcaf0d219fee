"""Rules of the candidate's private page. No request objects here; services flush, the caller commits once.

* The link: an unguessable token (``secrets.token_urlsafe(32)``), stored only as its SHA-256 hash, looked up by
  hash and compared in constant time; it expires after the days the recruiter chose and can be revoked; a new
  link revokes the loop's earlier ones.
* Rate limits, kept in the database so every worker shares them: per token presented and per client address.
* Availability: the candidate marks half-hours on a week grid in their zone, within the loop's date range; the
  marks become ``CandidateWindow(source='candidate')`` rows in UTC, which the recruiter's find-times reads at once.
* Self-booking: the engine's options for the whole loop (``loops.services.find_times``), each signed so that the
  candidate can only book what the engine offered them; booking goes through ``loops.services.book`` (the same
  transaction and the same no-double-booking guarantee as the recruiter's). One reschedule, up to 24 hours before.
* Itinerary and timeline: what the candidate may see (names and job titles, never addresses or internal notes).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.availability import services as availability
from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.models import OutboxKind
from coordinator.invites.services import enqueue_emails, mail_sender, outbox_values, uid_domain
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionKind, SessionStatus
from coordinator.mail import MessageError, build_email
from coordinator.portal.models import CandidateLink, CandidateNote, CandidatePortal, CandidatePortalHit
from coordinator.scheduling import window_from_dates
from coordinator.timeutil import now_utc

# --- errors --------------------------------------------------------------------------------------------------------


class PortalError(ValueError):
    """Something the candidate (or recruiter) asked for cannot be done; the message says what to do instead."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TimeTaken(PortalError):
    """The chosen option is no longer free, or no longer on offer (shown as 409 with fresh options)."""

    status = 409


# --- the link ------------------------------------------------------------------------------------------------------

TOKEN_BYTES = 32
DEFAULT_LINK_DAYS = 14
MAX_LINK_DAYS = 60
_NO_HASH = "0" * 64  # compared against when no row matched, so every lookup does the same work


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8", "replace")).hexdigest()


def find_link(token: str, now: datetime | None = None) -> CandidateLink | None:
    """The working link for this token, or None: wrong, expired, revoked and mangled tokens look the same."""
    digest = hash_token(token)
    link = db.session.scalar(select(CandidateLink).where(CandidateLink.token_hash == digest))
    same = hmac.compare_digest(link.token_hash if link is not None else _NO_HASH, digest)
    if link is None or not same or not link.is_usable(now or now_utc()):
        return None
    return link


def portal_of(loop: Loop) -> CandidatePortal:
    """The loop's page settings; defaults (not saved) when the recruiter has not touched them."""
    portal = db.session.get(CandidatePortal, loop.id)
    if portal is None:
        portal = CandidatePortal(loop_id=loop.id, allow_self_booking=False, link_days=DEFAULT_LINK_DAYS,
                                 what_to_expect="", reschedules_used=0)
    return portal


def _saved_portal(loop: Loop) -> CandidatePortal:
    portal = db.session.get(CandidatePortal, loop.id)
    if portal is None:
        portal = CandidatePortal(loop_id=loop.id, allow_self_booking=False, link_days=DEFAULT_LINK_DAYS,
                                 what_to_expect="", reschedules_used=0, updated_dt=now_utc())
        db.session.add(portal)
    return portal


def active_link(loop: Loop) -> CandidateLink | None:
    now = now_utc()
    return db.session.scalar(
        select(CandidateLink).where(CandidateLink.loop_id == loop.id, CandidateLink.revoked_dt.is_(None),
                                    CandidateLink.expires_dt > now)
        .order_by(CandidateLink.created_dt.desc()).limit(1)
    )


def latest_link(loop: Loop) -> CandidateLink | None:
    return db.session.scalar(select(CandidateLink).where(CandidateLink.loop_id == loop.id)
                             .order_by(CandidateLink.created_dt.desc(), CandidateLink.id.desc()).limit(1))


def _check_days(days: int | None) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_LINK_DAYS:
        raise PortalError(f"A link works for 1 to {MAX_LINK_DAYS} days.", "days")
    return days


def create_link(loop: Loop, actor: User, days: int) -> tuple[CandidateLink, str]:
    """A new private link for the loop's candidate; earlier links stop working. Returns (link, token): the token
    exists only in what is returned here (it goes into the e-mail and is shown to the recruiter once)."""
    days = _check_days(days)
    if loop.status == LoopStatus.CANCELLED.value:
        raise PortalError("This loop is cancelled; there is nothing for the candidate to see.")
    now = now_utc()
    db.session.execute(update(CandidateLink).where(CandidateLink.loop_id == loop.id,
                                                   CandidateLink.revoked_dt.is_(None)).values(revoked_dt=now))
    token = new_token()
    link = CandidateLink(loop_id=loop.id, token_hash=hash_token(token), created_dt=now, created_by_id=actor.id,
                         expires_dt=now + timedelta(days=days), sent_to=loop.candidate.email)
    db.session.add(link)
    portal = _saved_portal(loop)
    portal.link_days = days
    loops.record(loop, actor, "candidate_link", f"Sent the candidate a private link to their page, valid for "
                                                f"{days} day{'s' if days != 1 else ''}.")
    audit("candidate_link.created", "loop", loop.id, f"valid {days} days")
    db.session.flush()
    return link, token


def revoke_links(loop: Loop, actor: User) -> int:
    now = now_utc()
    count = db.session.execute(
        update(CandidateLink).where(CandidateLink.loop_id == loop.id, CandidateLink.revoked_dt.is_(None),
                                    CandidateLink.expires_dt > now).values(revoked_dt=now)
    ).rowcount or 0
    if count:
        loops.record(loop, actor, "candidate_link", "Revoked the candidate's private link.")
        audit("candidate_link.revoked", "loop", loop.id)
    db.session.flush()
    return count


def portal_url(token: str) -> str:
    """The absolute link the candidate gets (from COORDINATOR_BASE_URL, never from the request's Host)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/c/{token}"


@dataclass(frozen=True)
class LinkMessage:
    """The e-mail that carries the private link: the outbox sends it, or the recruiter's own mail program."""

    to_name: str
    to_address: str
    subject: str
    text: str

    def html(self) -> str:
        paragraphs = []
        for block in self.text.split("\n\n"):
            body = escape(block).replace("\n", "<br>")
            if block.startswith(("http://", "https://")):
                body = f'<a href="{escape(block)}">Open your interview page</a>'
            paragraphs.append(f"<p>{body}</p>")
        return f'<html><body style="font-family: sans-serif; line-height: 1.5">{"".join(paragraphs)}</body></html>'


def link_message(loop: Loop, url: str, expires_dt: datetime) -> LinkMessage:
    """What the candidate reads: why the page is theirs, the link, until when it works, in their own zone."""
    candidate = loop.candidate
    first = candidate.name.split(" ")[0]
    until = timeutil.format_instant(expires_dt, candidate.timezone, "%A %d %B %Y")
    booking = " or choose a time for all your interviews" if portal_of(loop).allow_self_booking else ""
    text = (f"Hello {first},\n\nthis private page is yours for the second round: tell us when you can interview"
            f"{booking}, and find your itinerary once it is booked.\n\n{url}\n\nThe link works until {until}. "
            f"Please do not forward it.\n\nBest regards,\n{loop.recruiter.name}")
    return LinkMessage(to_name=candidate.name, to_address=candidate.email,
                       subject=f"Your second-round interviews for {candidate.job.title}", text=text)


def email_link(loop: Loop, link: CandidateLink, message: LinkMessage, *, now: datetime | None = None) -> int:
    """Queue the link's e-mail in the outbox, in the caller's transaction (it leaves only if the link is saved);
    the recruiter's name is on it and replies go to them. Returns the outbox message id. Raises PortalError when
    the candidate's address cannot carry mail."""
    now = now or now_utc()
    sender = mail_sender(loop.recruiter)
    try:
        data = build_email(
            sender=(sender.name, sender.email), to=(message.to_name, message.to_address), subject=message.subject,
            text=message.text, html=message.html(), reply_to=(loop.recruiter.name, loop.recruiter.email), date=now,
            message_id=f"<candidate-link.{link.id}.{link.token_hash[:12]}@{uid_domain()}>",
            boundary=f"=_coordinator_link_{link.id}", headers=[("Auto-Submitted", "auto-generated")])
    except MessageError as exc:
        raise PortalError(f"The link could not be e-mailed to {message.to_address!r}: it is not a usable address. "
                          "Correct the candidate's e-mail address and send a new link.") from exc
    (message_id,) = enqueue_emails([outbox_values(
        kind=OutboxKind.CANDIDATE_LINK, loop_id=loop.id, recipient=message.to_address, recipient_name=message.to_name,
        subject=message.subject, message=data, now=now)])
    return message_id


# --- recruiter settings --------------------------------------------------------------------------------------------

WHAT_TO_EXPECT_MAX = 4000

DEFAULT_WHAT_TO_EXPECT = """\
A second interview goes deeper than the first. You will meet several people, one after another or over a few \
days, and each conversation has its own focus.

The formats: a one-on-one is a conversation with one interviewer; in a panel two or more interviewers talk with \
you together; a practical is a hands-on exercise, and what to prepare for it is written next to that session.

Many questions ask for an example from your own work ("Tell me about a time when..."). A good way to answer is \
STAR: the Situation, your Task, the Action you took, and the Result. Concrete examples, including what you \
learned when something went wrong, help the team much more than general answers.

Bring your own questions: every session leaves time for them. For example: what would success look like in the \
first six months? How does the team make decisions and handle disagreement? What is the biggest challenge the \
team faces right now?

Interviewers take notes so that they remember your answers; that is normal. If you need an adjustment \
(accessibility, a break between sessions, another format), tell your recruiter: it is never held against you."""


def update_settings(loop: Loop, actor: User, allow_self_booking: bool, what_to_expect: str) -> None:
    """Self-booking on or off, and the "what to expect" text. (How long links work is chosen when sending one.)"""
    text = (what_to_expect or "").replace("\r\n", "\n").strip()
    if len(text) > WHAT_TO_EXPECT_MAX:
        raise PortalError(f"Keep “what to expect” under {WHAT_TO_EXPECT_MAX} characters.", "what_to_expect")
    if text == DEFAULT_WHAT_TO_EXPECT.strip():
        text = ""
    portal = _saved_portal(loop)
    changes = []
    if bool(portal.allow_self_booking) != bool(allow_self_booking):
        changes.append("allowed self-booking" if allow_self_booking else "turned self-booking off")
    if (portal.what_to_expect or "") != text:
        changes.append("changed “what to expect”")
    portal.allow_self_booking, portal.what_to_expect = bool(allow_self_booking), text
    portal.updated_dt = now_utc()
    if changes:
        loops.record(loop, actor, "candidate_page", "Candidate page: " + ", ".join(changes) + ".")
    db.session.flush()


def what_to_expect(portal: CandidatePortal) -> str:
    return portal.what_to_expect or DEFAULT_WHAT_TO_EXPECT


# --- rate limits ---------------------------------------------------------------------------------------------------

RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 20
"""Wrong tokens one address may present in the window before every candidate page refuses it."""
MAX_REQUESTS_PER_ADDRESS = 600
MAX_REQUESTS_PER_TOKEN = 300
HITS_KEPT = timedelta(days=1)


def retry_after(token_hash: str, ip: str) -> int | None:
    """Seconds to wait before the next request with this token or from this address, or None to go ahead."""
    now = now_utc()
    since = now - RATE_WINDOW
    by_token, token_oldest = db.session.execute(
        select(func.count(CandidatePortalHit.id), func.min(CandidatePortalHit.created_dt))
        .where(CandidatePortalHit.token_hash == token_hash, CandidatePortalHit.created_dt > since)
    ).one()
    by_ip, failures, ip_oldest = db.session.execute(
        select(func.count(CandidatePortalHit.id),
               func.coalesce(func.sum(db.case((CandidatePortalHit.failed.is_(True), 1), else_=0)), 0),
               func.min(CandidatePortalHit.created_dt))
        .where(CandidatePortalHit.ip == ip, CandidatePortalHit.created_dt > since)
    ).one()
    waits = []
    if by_token >= MAX_REQUESTS_PER_TOKEN and token_oldest is not None:
        waits.append(token_oldest + RATE_WINDOW - now)
    if (by_ip >= MAX_REQUESTS_PER_ADDRESS or failures >= MAX_FAILURES_PER_ADDRESS) and ip_oldest is not None:
        waits.append(ip_oldest + RATE_WINDOW - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits).total_seconds()))


def note_hit(token_hash: str, ip: str, failed: bool) -> None:
    now = now_utc()
    db.session.add(CandidatePortalHit(created_dt=now, token_hash=token_hash, ip=ip[:45], failed=failed))
    db.session.execute(delete(CandidatePortalHit).where(CandidatePortalHit.created_dt < now - HITS_KEPT))


# --- time zones ----------------------------------------------------------------------------------------------------

# Browsers report some zones by their old names (Chromium: Asia/Calcutta); show people the current ones.
_CURRENT_NAMES = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv", "America/Buenos_Aires":
    "America/Argentina/Buenos_Aires", "Atlantic/Faeroe": "Atlantic/Faroe", "Pacific/Truk": "Pacific/Chuuk",
    "America/Godthab": "America/Nuuk", "Asia/Dacca": "Asia/Dhaka", "Asia/Thimbu": "Asia/Thimphu",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Africa/Asmera": "Africa/Asmara", "Etc/UTC": "UTC",
}


def clean_zone(name: str | None) -> str | None:
    """The IANA zone for a name a browser or form sent, or None when there is no such zone."""
    name = (name or "").strip()
    name = _CURRENT_NAMES.get(name, name)
    return name if timeutil.is_valid_timezone(name) else None


def require_zone(name: str | None) -> str:
    zone = clean_zone(name)
    if zone is None:
        shown = (name or "").strip()[:64]
        raise PortalError(f"We do not know the time zone “{shown}”. Choose yours from the list." if shown
                          else "Choose your time zone from the list.", "tz")
    return zone


def zone_label(tz: str) -> str:
    """'Asia/Kolkata (IST, UTC+05:30)' as of now."""
    local = timeutil.to_local(now_utc(), tz)
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    abbr = local.tzname() or ""
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{tz.replace('_', ' ')} ({abbr + ', ' if abbr and not abbr.startswith(('+', '-')) else ''}{utc})"


# --- availability --------------------------------------------------------------------------------------------------

SLOT = timedelta(minutes=30)
_SLOT_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$")
MAX_SLOTS = 50 * 48  # more than any range holds


@dataclass(frozen=True)
class DateRange:
    """The instants the candidate may mark or book: [start, end), from the loop's days (candidate's zone)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date


def date_range(loop: Loop, tz: str | None = None) -> DateRange:
    """The days the candidate may mark or book, from now on: the recruiter's days (else the next two weeks),
    read as days in ``tz``, the zone the candidate sees (their zone on record by default)."""
    tz = tz or loop.candidate.timezone
    today = timeutil.to_local(now_utc(), tz).date()
    first = loop.window_first_day or today + timedelta(days=1)
    last = loop.window_last_day or first + timedelta(days=13)
    if last < first or (last - first).days > loops.MAX_WINDOW_DAYS:  # settings refuse this; be safe anyway
        first, last = today + timedelta(days=1), today + timedelta(days=14)
    start, end = window_from_dates(first, last, tz)
    return DateRange(start=max(start, now_utc()), end=end, first_day=first, last_day=last)


@dataclass
class Cell:
    value: str  # "YYYY-MM-DDTHH:MM", the wall-clock start in the grid's zone
    label: str  # "Tue 31 Mar, 09:00–09:30"
    state: str  # "open" | "chosen" | "recruiter" | "closed" (outside the range or past) | "none" (no such time)


@dataclass
class GridDay:
    day: date
    cells: list[Cell]
    is_open: bool


@dataclass
class Week:
    monday: date
    days: list[GridDay]
    chosen: int = 0

    @property
    def title(self) -> str:
        sunday = self.monday + timedelta(days=6)
        if self.monday.month == sunday.month:
            return f"{self.monday.day}–{sunday.strftime('%d %B %Y').lstrip('0')}"
        return f"{self.monday.strftime('%d %b').lstrip('0')} – {sunday.strftime('%d %b %Y').lstrip('0')}"


@dataclass
class Grid:
    tz: str
    weeks: list[Week]
    row_times: list[time]
    range: DateRange
    chosen_count: int = 0
    recruiter_count: int = 0


def _slot_start(day: date, at: time, tz: str) -> datetime | None:
    """The instant of a wall-clock half-hour, or None when clocks skip it that day."""
    start = timeutil.local_to_utc(day, at, tz)
    local = timeutil.to_local(start, tz)
    if local.date() != day or local.time().replace(tzinfo=None) != at:
        return None
    return start


def _hour_span(loop: Loop, tz: str, rng: DateRange) -> tuple[int, int]:
    """The local hours (in tz) worth showing: the interviewers' working hours over the range, at least 8-18."""
    hours: set[int] = set()
    people: dict[int, User] = {}
    for s in loops.sessions_to_place(loop):
        for p in s.participants:
            people[p.user_id] = p.user
        for u in s.pool:
            people[u.id] = u
    for user in people.values():
        for wh in user.working_hours:
            # one representative day per weekday is enough (DST moves it by an hour at most: pad by one)
            day = rng.first_day + timedelta(days=(wh.weekday - rng.first_day.weekday()) % 7)
            try:
                a = timeutil.to_local(timeutil.local_to_utc(day, wh.start_time, user.timezone), tz)
                b = timeutil.to_local(timeutil.local_to_utc(day, wh.end_time, user.timezone), tz)
            except (timeutil.InvalidTimeZone, OverflowError):
                continue
            if b.date() != a.date() or b <= a:
                return 0, 24
            hours.update(range(a.hour, b.hour + (1 if b.minute else 0)))
    first = min([*hours, 8])
    last = max([h + 1 for h in hours] + [18])
    return max(0, first), min(24, last)


def availability_grid(loop: Loop, tz: str, chosen_values: Sequence[str] | None = None) -> Grid:
    """The week grid in the candidate's zone: every half-hour of the range's days, with what is marked.

    ``chosen_values`` (wall-clock starts as posted) replaces the saved marks, to show a refused form again.
    """
    rng = date_range(loop, tz)
    now = now_utc()
    first_local = timeutil.to_local(rng.start, tz).date()
    last_local = timeutil.to_local(rng.end - timedelta(seconds=1), tz).date()
    first_hour, last_hour = _hour_span(loop, tz, rng)
    row_times = [time(h, m) for h in range(first_hour, last_hour) for m in (0, 30)]
    windows = db.session.execute(
        select(CandidateWindow.start_dt, CandidateWindow.end_dt, CandidateWindow.source)
        .where(CandidateWindow.candidate_id == loop.candidate_id, CandidateWindow.end_dt > rng.start,
               CandidateWindow.start_dt < rng.end)
    ).all()
    wanted = set(chosen_values) if chosen_values is not None else None

    def state_of(start: datetime) -> str:
        end = start + SLOT
        if start < rng.start or end > rng.end or start < now:
            return "closed"
        by_recruiter = any(s <= start and end <= e for s, e, src in windows if src != "candidate")
        if by_recruiter:
            return "recruiter"
        if wanted is not None:
            return "chosen" if timeutil.to_local(start, tz).strftime("%Y-%m-%dT%H:%M") in wanted else "open"
        return "chosen" if any(s <= start and end <= e for s, e, src in windows if src == "candidate") else "open"

    weeks: list[Week] = []
    grid = Grid(tz=tz, weeks=weeks, row_times=row_times, range=rng)
    monday = first_local - timedelta(days=first_local.weekday())
    while monday <= last_local:
        week = Week(monday=monday, days=[])
        for offset in range(7):
            day = monday + timedelta(days=offset)
            cells = []
            for at in row_times:
                value = f"{day.isoformat()}T{at.strftime('%H:%M')}"
                start = _slot_start(day, at, tz)
                if start is None:
                    cells.append(Cell(value, "", "none"))
                    continue
                end_local = timeutil.to_local(start + SLOT, tz)
                label = f"{_day(day)}, {at.strftime('%H:%M')}–{end_local.strftime('%H:%M')}"
                state = state_of(start)
                cells.append(Cell(value, label, state))
                if state == "chosen":
                    week.chosen += 1
                    grid.chosen_count += 1
                elif state == "recruiter":
                    grid.recruiter_count += 1
            week.days.append(GridDay(day, cells, any(c.state in ("open", "chosen", "recruiter") for c in cells)))
        if any(d.is_open for d in week.days):
            weeks.append(week)
        monday += timedelta(days=7)
    return grid


def parse_slots(values: Sequence[str], tz: str) -> list[datetime]:
    """UTC starts of the posted half-hours; a clear PortalError for anything that is not one."""
    if len(values) > MAX_SLOTS:
        raise PortalError("That is more half-hours than the range holds. Reload the page and try again.")
    starts = set()
    for raw in values:
        m = _SLOT_RE.match(raw or "")
        if m is None:
            raise PortalError("One of the marked times could not be read. Reload the page and mark them again.")
        y, mo, d, h, mi = (int(x) for x in m.groups())
        try:
            day, at = date(y, mo, d), time(h, mi)
        except ValueError:
            raise PortalError("One of the marked times is not a real date or time. Reload the page and try "
                              "again.") from None
        if mi not in (0, 30):
            raise PortalError("Times are marked in half-hours (on :00 or :30).")
        start = _slot_start(day, at, tz)
        if start is None:
            raise PortalError(f"{_day(day)}, {at.strftime('%H:%M')} does not exist in "
                              f"{tz.replace('_', ' ')}: the clocks change that night.")
        starts.add(start)
    return sorted(starts)


def merge_slots(starts: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """Adjacent half-hours as windows, none longer than a day."""
    windows: list[tuple[datetime, datetime]] = []
    for start in starts:
        end = start + SLOT
        if windows and windows[-1][1] == start and end - windows[-1][0] <= availability.MAX_WINDOW_LENGTH:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def save_availability(loop: Loop, raw_zone: str | None, values: Sequence[str]) -> list[tuple[datetime, datetime]]:
    """Replace the candidate's own windows in the loop's range with the posted half-hours (zone ``raw_zone``).

    Everything is checked before anything is written: an unknown zone, a time that cannot be read, one in the
    past or outside the range, or nothing marked at all is a PortalError and nothing changes.
    """
    tz = require_zone(raw_zone)
    candidate: Candidate = loop.candidate
    rng = date_range(loop, tz)
    now = now_utc()
    starts = parse_slots(values, tz)
    if not starts:
        raise PortalError("Mark at least one half-hour you can do. If none of these days work for you, tell "
                          "your recruiter.")
    for start in starts:
        when = timeutil.format_instant(start, tz, "%a %d %b, %H:%M")
        if start < now:
            raise PortalError(f"{when} is already over; mark times in the future.")
        if start < rng.start or start + SLOT > rng.end:
            raise PortalError(f"{when} is outside the days we are planning for "
                              f"({_range_text(rng, tz)}). Mark times within them.")
    windows = merge_slots(starts)
    mine = db.session.scalars(
        select(CandidateWindow).where(CandidateWindow.candidate_id == candidate.id,
                                      CandidateWindow.source == "candidate", CandidateWindow.end_dt > rng.start,
                                      CandidateWindow.start_dt < rng.end)
    ).all()
    for window in mine:
        availability.delete_candidate_window(candidate, window.id)
    for start, end in windows:
        try:
            availability.add_candidate_window(candidate, start, end, source="candidate")
        except availability.AvailabilityError as exc:
            raise PortalError(exc.message) from exc
    _adopt_zone(loop, tz)
    hours = len(starts) / 2
    loops.record(loop, None, "candidate_windows",
                 f"The candidate marked {hours:g} hour{'s' if hours != 1 else ''} they can interview "
                 f"({len(windows)} window{'s' if len(windows) != 1 else ''}, {tz.replace('_', ' ')}).",
                 actor_label="Candidate")
    audit("candidate.availability", "loop", loop.id, f"{len(windows)} windows", actor_label="candidate")
    db.session.flush()
    return windows


def _adopt_zone(loop: Loop, tz: str) -> None:
    """The candidate told us where they are: their itinerary and invites follow that zone from now on."""
    candidate = loop.candidate
    if candidate.timezone != tz:
        old = candidate.timezone
        candidate.timezone = tz
        loops.record(loop, None, "candidate_zone",
                     f"The candidate's time zone is now {tz.replace('_', ' ')} (was {old.replace('_', ' ')}).",
                     actor_label="Candidate")


def _range_text(rng: DateRange, tz: str) -> str:
    a = timeutil.to_local(rng.start, tz).date()
    b = timeutil.to_local(rng.end - timedelta(seconds=1), tz).date()
    return f"{_day(a)} to {_day(b, year=True)}"


def _day(d: date, year: bool = False) -> str:
    """'Mon 7 Dec' (no leading zero), with the year when asked."""
    return f"{d.strftime('%a')} {d.day} {d.strftime('%b')}" + (f" {d.year}" if year else "")


def range_text(loop: Loop, tz: str) -> str:
    return _range_text(date_range(loop, tz), tz)


# --- self-booking --------------------------------------------------------------------------------------------------

RESCHEDULE_NOTICE = timedelta(hours=24)
MAX_RESCHEDULES = 1
OPTION_MAX_AGE_S = 3600
_OPTION_SALT = "candidate-option"


@dataclass
class BookingState:
    can_book: bool = False
    can_reschedule: bool = False
    why_not: str = ""

    @property
    def can_choose(self) -> bool:
        return self.can_book or self.can_reschedule


def booking_state(loop: Loop, portal: CandidatePortal, now: datetime | None = None) -> BookingState:
    """May the candidate book the loop, or move it (once, up to 24 hours before), on their page right now?"""
    now = now or now_utc()
    active = loops.sessions_to_place(loop)
    if loop.status == LoopStatus.CANCELLED.value or not active:
        return BookingState(why_not="There is nothing to book for this loop.")
    if not portal.allow_self_booking:
        return BookingState(why_not="Your recruiter will propose the times.")
    booked = [s for s in active if s.is_booked]
    if not booked:
        if _coverage_gaps(loop):
            return BookingState(why_not="Your recruiter is still preparing the interviews. Please check back soon, "
                                        "or tell us when you can.")
        return BookingState(can_book=True)
    if len(booked) != len(active):
        return BookingState(why_not="Your recruiter is arranging the times with you.")
    if portal.reschedules_used >= MAX_RESCHEDULES:
        return BookingState(why_not="You have already moved your interviews once; for another change, write to "
                                    "your recruiter.")
    first = min(s.start_dt for s in booked)
    if first - now < RESCHEDULE_NOTICE:
        return BookingState(why_not="Your interviews start in less than 24 hours, so they can no longer be moved "
                                    "here; if something came up, write to your recruiter.")
    return BookingState(can_reschedule=True)


def _coverage_gaps(loop: Loop) -> bool:
    """Focus areas nobody in the loop covers: the recruiter books such a loop only with a reason, which the
    candidate cannot give, so self-booking waits until the hiring team has covered them."""
    from coordinator.kits.services import loop_coverage  # it imports loops.services, as we do

    return bool(loop_coverage(loop).uncovered)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_OPTION_SALT)


def sign_option(loop: Loop, sessions: Sequence[LoopSession], option) -> str:
    return _serializer().dumps({
        "loop": loop.id,
        "p": [[sessions[ps.session_index].id, ps.start.isoformat(), list(ps.interviewer_ids), list(ps.shadow_ids)]
              for ps in option.sessions],
    })


def read_option(loop: Loop, signed: str) -> list[loops.Placement]:
    """The placements of an option this page offered (signed by the server), or TimeTaken when it is too old
    to trust and PortalError when it was not ours."""
    try:
        data = _serializer().loads(signed or "", max_age=OPTION_MAX_AGE_S)
    except SignatureExpired:
        raise TimeTaken("These times were offered over an hour ago and may have gone; here are the times free "
                        "now.") from None
    except BadSignature:
        raise PortalError("The chosen time could not be read. Choose one of the times below.") from None
    try:
        if data["loop"] != loop.id:
            raise ValueError("another loop")
        return [loops.Placement(int(s), timeutil.as_utc(datetime.fromisoformat(t)), tuple(int(i) for i in ids),
                                tuple(int(i) for i in shadows)) for s, t, ids, shadows in data["p"]]
    except (KeyError, TypeError, ValueError):
        raise PortalError("The chosen time could not be read. Choose one of the times below.") from None


@dataclass
class OptionSession:
    title: str
    kind_label: str
    start: datetime
    end: datetime
    people: list[tuple[str, str]]


@dataclass
class OfferedOption:
    signed: str
    start: datetime
    end: datetime
    days: int
    sessions: list[OptionSession] = field(default_factory=list)


def offered_options(loop: Loop, wanted: int = 5) -> list[OfferedOption]:
    """The engine's best options for the whole loop (the same search as the recruiter's), signed for this page;
    for a reschedule, the current times are left out."""
    try:
        result, sessions = loops.find_times(loop, options_wanted=wanted + 1)
    except loops.LoopError:
        return []
    current = {(s.id, s.start_dt) for s in sessions if s.is_booked}
    ids = {pid for o in result.options for ps in o.sessions for pid in ps.person_ids}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    offered = []
    for option in result.options:
        if current and {(sessions[ps.session_index].id, ps.start) for ps in option.sessions} == current:
            continue
        rows = [OptionSession(title=sessions[ps.session_index].title,
                              kind_label=sessions[ps.session_index].kind_label, start=ps.start, end=ps.end,
                              people=[(people[i].name, people[i].job_title) for i in ps.interviewer_ids
                                      if i in people])
                for ps in option.sessions]
        offered.append(OfferedOption(signed=sign_option(loop, sessions, option), start=option.start,
                                     end=option.end, days=option.days, sessions=rows))
    return offered[:wanted]


def self_book(loop: Loop, portal: CandidatePortal, signed: str, raw_zone: str | None = None) -> loops.Change:
    """Book (or move, once) the whole loop at an option the page offered. Must run in a writing transaction
    (a POST request): ``loops.services.book`` checks and writes under the same lock as the recruiter's booking.

    TimeTaken when someone took one of its people in the meantime or the option is stale; PortalError when the
    candidate may not book now.
    """
    tz = clean_zone(raw_zone) if raw_zone else None
    state = booking_state(loop, portal)
    if not state.can_choose:
        raise PortalError(state.why_not or "Booking is not possible on this page.")
    placements = read_option(loop, signed)
    active = {s.id for s in loops.sessions_to_place(loop)}
    if {p.session_id for p in placements} != active or len(placements) != len(active):
        raise TimeTaken("The interviews were changed since these times were offered; here are the times free now.")
    rescheduling = state.can_reschedule
    from coordinator.kits.services import booking_gaps

    if booking_gaps(loop, placements):
        raise PortalError("Your recruiter is still preparing the interviews, so they cannot be booked yet.")
    try:
        change = loops.book(loop, placements, None, "", actor_label="Candidate",
                            action="rescheduled" if rescheduling else "booked")
    except loops.BookingConflict as exc:
        raise TimeTaken("Someone took one of these times a moment ago, so nothing was booked. Here are the "
                        "times free now.") from exc
    except loops.NeedsOverride as exc:
        raise TimeTaken("These times no longer fit everyone's calendar, so nothing was booked. Here are the "
                        "times free now.") from exc
    except loops.LoopError as exc:
        raise PortalError(str(exc)) from exc
    saved = _saved_portal(loop)
    saved.self_booked_dt = now_utc()
    if rescheduling:
        saved.reschedules_used = (saved.reschedules_used or 0) + 1
    if tz:
        _adopt_zone(loop, tz)
    audit("candidate.rescheduled" if rescheduling else "candidate.booked", "loop", loop.id,
          actor_label="candidate")
    db.session.flush()
    return change


# --- itinerary and timeline ----------------------------------------------------------------------------------------

KIND_EXPLAINED = {
    SessionKind.ONE_ON_ONE.value: "A conversation with one interviewer.",
    SessionKind.PANEL.value: "Two or more interviewers talk with you together.",
    SessionKind.PRACTICAL.value: "A hands-on exercise.",
}


@dataclass
class Person:
    id: int
    name: str
    job_title: str
    is_observer: bool = False


@dataclass
class ItineraryItem:
    title: str
    kind_label: str
    kind_explained: str
    duration_min: int
    start: datetime | None
    end: datetime | None
    people: list[Person]
    location: str
    video_url: str
    prep_min: int
    prep_instructions: str


def _people(session: LoopSession) -> list[Person]:
    rows = [p for p in session.participants if p.role == ParticipantRole.INTERVIEWER.value]
    rows += [p for p in session.participants if p.role == ParticipantRole.SHADOW.value]
    return [Person(p.user.id, p.user.name, p.user.job_title or "", p.role == ParticipantRole.SHADOW.value)
            for p in rows]


def itinerary(loop: Loop) -> list[ItineraryItem]:
    """The sessions as the candidate may see them: booked ones by time with their people; before booking, the
    plan (titles, formats, lengths) without people."""
    active = loops.sessions_to_place(loop)
    ordered = sorted(active, key=lambda s: (s.start_dt or datetime.max.replace(tzinfo=timeutil.UTC), s.position))
    items = []
    for s in ordered:
        items.append(ItineraryItem(
            title=s.title, kind_label=s.kind_label, kind_explained=KIND_EXPLAINED.get(s.kind, ""),
            duration_min=s.duration_min, start=s.start_dt if s.is_booked else None,
            end=s.end_dt if s.is_booked else None, people=_people(s) if s.is_booked else [],
            location=s.where if s.is_booked else "", video_url=s.video if s.is_booked else "", prep_min=s.prep_min,
            prep_instructions=s.prep_instructions,
        ))
    return items


def is_over(loop: Loop, now: datetime | None = None) -> bool:
    booked = [s for s in loops.sessions_to_place(loop) if s.is_booked]
    return bool(booked) and max(s.end_dt for s in booked) <= (now or now_utc())


def people_met(loop: Loop, now: datetime | None = None) -> list[Person]:
    """Everyone in the loop's sessions that have ended, once each, in the order the candidate met them."""
    now = now or now_utc()
    seen: dict[int, Person] = {}
    for s in sorted((s for s in loops.sessions_to_place(loop) if s.is_booked and s.end_dt <= now),
                    key=lambda s: s.start_dt):
        for person in _people(s):
            seen.setdefault(person.id, person)
    return list(seen.values())


# --- thank-you notes -----------------------------------------------------------------------------------------------

NOTE_MAX = 2000
MAX_NOTES_PER_LOOP = 30
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def add_note(loop: Loop, to_user_id: int | None, body: str) -> CandidateNote:
    met = {p.id: p for p in people_met(loop)} if is_over(loop) else {}
    if not met:
        raise PortalError("Thank-you notes can be written once your interviews are over.")
    if to_user_id not in met:
        raise PortalError("Choose one of the people you met.", "to_user_id")
    text = _CONTROL.sub(" ", (body or "").replace("\r\n", "\n")).strip()
    if not text:
        raise PortalError("Write your note first.", "body")
    if len(text) > NOTE_MAX:
        raise PortalError(f"Keep the note under {NOTE_MAX} characters.", "body")
    count = db.session.scalar(select(func.count(CandidateNote.id)).where(CandidateNote.loop_id == loop.id))
    if count >= MAX_NOTES_PER_LOOP:
        raise PortalError("You have sent many notes already; for more, write to your recruiter.")
    note = CandidateNote(loop_id=loop.id, to_user_id=to_user_id, body=text, created_dt=now_utc())
    db.session.add(note)
    loops.record(loop, None, "candidate_note", f"The candidate wrote a thank-you note for {met[to_user_id].name}.",
                 actor_label="Candidate")
    db.session.flush()
    return note


def notes_of(loop: Loop) -> list[CandidateNote]:
    return list(db.session.scalars(select(CandidateNote).where(CandidateNote.loop_id == loop.id)
                                   .order_by(CandidateNote.created_dt)))


def mark_passed_on(loop: Loop, note_id: int, actor: User) -> CandidateNote:
    note = db.session.get(CandidateNote, note_id)
    if note is None or note.loop_id != loop.id:
        raise PortalError("That note is not part of this loop.")
    if note.passed_on_dt is None:
        note.passed_on_dt = now_utc()
        loops.record(loop, actor, "candidate_note", f"Passed on the candidate's note to {note.to_user.name}.")
    db.session.flush()
    return note


def sessions_status_text(loop: Loop) -> str:
    booked = [s for s in loops.sessions_to_place(loop) if s.status == SessionStatus.BOOKED.value]
    return f"{len(booked)} of {len(loops.sessions_to_place(loop))} sessions booked"


# --- the calendar download -----------------------------------------------------------------------------------------


def candidate_calendar(loop: Loop) -> bytes:
    """The candidate's booked sessions as one .ics file: the same events (UIDs, grouping, sequences) as their
    invites, built by coordinator.invites, with nothing internal in them."""
    from coordinator.invites.feeds import candidate_download
    from coordinator.invites.ical import InviteError

    try:
        return candidate_download(loop)
    except InviteError as exc:
        raise PortalError("Nothing is booked yet, so there is nothing to add to your calendar.") from exc
