"""Rules of the candidate's private page. No request objects here; services flush, the request commits once.

* The link and the rate limits: portal.access. Availability (the week grid in the candidate's zone): portal.grid.
  Both are importable from here.
* Self-booking: the engine's options for the whole loop (``loops.services.find_times``), each signed so that the
  candidate can only book what the engine offered them; booking goes through ``loops.services.book`` (the same
  transaction and the same no-double-booking guarantee as the recruiter's), and is announced to the loop's
  followers (invites, reminders) like any other change. One reschedule, up to 24 hours before.
* Itinerary and timeline: what the candidate may see (names and job titles, never addresses or internal notes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopSession, LoopStatus, ParticipantRole, SessionKind, SessionStatus
from coordinator.portal.access import (  # noqa: F401 - the candidate page's services, importable from one place
    DEFAULT_LINK_DAYS,
    HITS_KEPT,
    MAX_FAILURES_PER_ADDRESS,
    MAX_LINK_DAYS,
    MAX_REQUESTS_PER_ADDRESS,
    MAX_REQUESTS_PER_TOKEN,
    RATE_WINDOW,
    TOKEN_BYTES,
    LinkMessage,
    PortalError,
    TimeTaken,
    active_link,
    create_link,
    email_link,
    find_link,
    hash_token,
    latest_link,
    link_message,
    new_token,
    note_hit,
    portal_of,
    portal_url,
    retry_after,
    revoke_links,
    saved_portal,
)
from coordinator.portal.grid import (  # noqa: F401
    MAX_SLOTS,
    SLOT,
    Cell,
    DateRange,
    Grid,
    GridDay,
    Week,
    adopt_zone,
    availability_grid,
    clean_zone,
    date_range,
    merge_slots,
    parse_slots,
    range_text,
    require_zone,
    save_availability,
)
from coordinator.portal.models import CandidateNote, CandidatePortal
from coordinator.timeutil import now_utc

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
    portal = saved_portal(loop)
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
    """An offered option, signed, with the loop's version then: booking it after the loop changed is a 409."""
    return _serializer().dumps({"loop": loop.id, "v": loop.version, "p": loops.encode_option(sessions, option)})


def _signed_data(loop: Loop, signed: str) -> dict:
    try:
        data = _serializer().loads(signed or "", max_age=OPTION_MAX_AGE_S)
    except SignatureExpired:
        raise TimeTaken("These times were offered over an hour ago and may have gone; here are the times free "
                        "now.") from None
    except BadSignature:
        raise PortalError("The chosen time could not be read. Choose one of the times below.") from None
    if not isinstance(data, dict) or data.get("loop") != loop.id:
        raise PortalError("The chosen time could not be read. Choose one of the times below.")
    return data


def read_option(loop: Loop, signed: str) -> list[loops.Placement]:
    """The placements of an option this page offered (signed by the server), or TimeTaken when it is too old
    to trust and PortalError when it was not ours."""
    data = _signed_data(loop, signed)
    try:
        return loops.decode_option(data.get("p"))
    except ValueError:
        raise PortalError("The chosen time could not be read. Choose one of the times below.") from None


def option_version(loop: Loop, signed: str) -> int | None:
    """The loop's version when the option was offered (None for an option signed before versions were)."""
    version = _signed_data(loop, signed).get("v")
    return version if isinstance(version, int) else None


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


#: the engine's reasons a candidate may read (about their own time only; never about an interviewer's)
CANDIDATE_REASONS = ("candidate_window_short", "candidate_unavailable")


def _for_candidate(message: str) -> str:
    return (message.replace("The candidate's windows are", "The times you marked are")
            .replace("The candidate has", "You have").replace("The window is", "The days we plan for are")
            .replace("the candidate's", "your"))


def offered_options(loop: Loop, wanted: int = 5) -> list[OfferedOption]:
    """The engine's best options for the whole loop (the same search as the recruiter's), signed for this page;
    for a reschedule, the current times are left out."""
    return offered_with_reasons(loop, wanted)[0]


def offered_with_reasons(loop: Loop, wanted: int = 5) -> tuple[list[OfferedOption], list[str]]:
    """`offered_options`, and when there are none, why, in the candidate's words: only the reasons about their
    own marked times (too short for the interviews, none left), as the recruiter is told them."""
    try:
        result, sessions = loops.find_times(loop, options_wanted=wanted + 1)
    except loops.LoopError:
        return [], []
    why = [] if result.options else list(dict.fromkeys(
        _for_candidate(r.message) for r in result.reasons if r.code in CANDIDATE_REASONS))
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
    return offered[:wanted], why


def self_book(loop: Loop, portal: CandidatePortal, signed: str, raw_zone: str | None = None) -> loops.Change:
    """Book (or move, once) the whole loop at an option the page offered. Must run in a writing transaction
    (a POST request): ``loops.services.book`` checks and writes under the same lock as the recruiter's booking.

    TimeTaken when someone took one of its people in the meantime or the option is stale; PortalError when the
    candidate may not book now.
    """
    tz = clean_zone(raw_zone) if raw_zone else None
    read_version = loops.lock_loop(loop)  # a recruiter's booking of this loop waits, or this one does
    placements = read_option(loop, signed)
    if loops.unchanged(loop, placements):
        return loops.Change(loop_id=loop.id, nothing_changed=True)
    state = booking_state(loop, portal)
    if not state.can_choose:
        raise PortalError(state.why_not or "Booking is not possible on this page.")
    seen = option_version(loop, signed)
    if loop.version != (read_version if seen is None else seen):
        raise TimeTaken("Your interviews were changed a moment ago, so nothing was booked. Here they are as "
                        "they are now.")
    active = {s.id for s in loops.sessions_to_place(loop)}
    if {p.session_id for p in placements} != active or len(placements) != len(active):
        raise TimeTaken("The interviews were changed since these times were offered; here are the times free now.")
    rescheduling = state.can_reschedule
    from coordinator.kits.services import booking_gaps

    if booking_gaps(loop, placements):
        raise PortalError("Your recruiter is still preparing the interviews, so they cannot be booked yet.")
    try:
        change = loops.book(loop, placements, None, "", actor_label="Candidate",
                            action="rescheduled" if rescheduling else "booked", announced=False,
                            seen_version=loop.version)
    except loops.BookingConflict as exc:
        raise TimeTaken("Someone took one of these times a moment ago, so nothing was booked. Here are the "
                        "times free now.") from exc
    except loops.NeedsOverride as exc:
        raise TimeTaken("These times no longer fit everyone's calendar, so nothing was booked. Here are the "
                        "times free now.") from exc
    except loops.LoopError as exc:
        raise PortalError(str(exc)) from exc
    saved = saved_portal(loop)
    saved.self_booked_dt = now_utc()
    if rescheduling:
        saved.reschedules_used = (saved.reschedules_used or 0) + 1
    if tz:
        adopt_zone(loop, tz)
    audit("candidate.rescheduled" if rescheduling else "candidate.booked", "loop", loop.id,
          actor_label="candidate")
    from coordinator.invites import notices
    from coordinator.invites.models import NoticeKind

    first = min(p.start for p in placements)
    when = timeutil.format_instant(first, loop.recruiter.timezone, "%a %d %b, %H:%M")
    notices.candidate_did(loop, NoticeKind.MOVED if rescheduling else NoticeKind.SELF_BOOKED,
                          f"{loop.candidate.name} {'moved' if rescheduling else 'booked'} the loop on their page: "
                          f"it starts {when}.")
    change.send_now = True  # the candidate chose: their invitation must not wait for the recruiter's Send
    return loops.announce(change)  # after the zone is adopted: the candidate's invitation is in their zone


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
    from coordinator.invites import notices
    from coordinator.invites.models import NoticeKind

    notices.candidate_did(loop, NoticeKind.THANK_YOU, f"{loop.candidate.name} wrote a thank-you note for "
                                                      f"{met[to_user_id].name}; pass it on from the loop page.")
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
