"""What every loop service shares: its errors and limits, the loop's history, and the one hook that tells the
features following loops (invites, reminders; later calendar write-back, webhooks) that a loop changed.

A service that changes a loop records the change and calls `announce(change)` before it returns; the followers,
registered once at app start (coordinator/__init__.py), act in the same transaction: if one fails, the whole
change is rolled back with the request. loops never imports its followers.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coordinator.auth.models import User
from coordinator.errors import LOOP_CHANGED, ServiceError
from coordinator.extensions import db
from coordinator.loops.models import Loop, LoopEvent, LoopStatus
from coordinator.timeutil import now_utc

MAX_SESSION_MIN = 8 * 60
MAX_WINDOW_DAYS = 42
MAX_BOOKING_AHEAD_DAYS = 730
TEXT_LIMIT = 2000


class LoopError(ServiceError):
    """A rule about loops was broken; `field` names the form field to show it on."""


class BookingConflict(LoopError):
    """Someone would be in two places at once (shown as 409)."""

    status = 409

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


class LoopChanged(LoopError):
    """The loop changed after the page (or request) that asks for this change read it: nothing is overwritten,
    the user sees the loop as it is now (409)."""

    status = 409
    MESSAGE = LOOP_CHANGED

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class NeedsOverride(LoopError):
    """Soft problems (outside hours, over a limit) that need an explicit reason to accept."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems), "override_reason")
        self.problems = list(problems)


class ChangeKind(enum.Enum):
    """Which kind of change, so each follower does what that kind calls for."""

    BOOKING = "booking"  #: sessions booked, moved, cancelled, or people replaced (the lists say which)
    SETTINGS = "settings"  #: the loop's settings (place, video link, grouping, days, decision date)
    SESSION_EDIT = "session_edit"  #: a session's title, place or preparation
    PROGRESS = "progress"  #: a scorecard or the decision came in: only what follows progress moves


@dataclass
class Change:
    """What a change did, for the followers of loops (invites, reminders) to act on."""

    loop_id: int
    kind: ChangeKind = ChangeKind.BOOKING
    booked: list[int] = field(default_factory=list)  # session ids newly booked or moved
    cancelled: list[int] = field(default_factory=list)  # session ids cancelled
    removed: list[tuple[int, int]] = field(default_factory=list)  # (session id, user id) taken off a session
    added: list[tuple[int, int]] = field(default_factory=list)  # (session id, user id) put on a session
    #: SETTINGS: where each booked session happened before (place, video link), taken before the change
    places_before: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: SESSION_EDIT: the session that changed
    session_id: int | None = None
    #: what each follower returned, by its name (the candidate page tells whether an invitation went out)
    results: dict[str, Any] = field(default_factory=dict)
    #: the request asked for what is already so: nothing was written, recorded or announced
    nothing_changed: bool = False

    NOTHING_CHANGED = "Already booked at these times; nothing changed."
    #: the e-mails go out at once even when the loop holds them for the recruiter's Send (the candidate booked
    #: on their own page and waits for their invitation)
    send_now: bool = False


def record(loop: Loop, actor: User | None, action: str, summary: str, reason: str = "",
           actor_label: str = "") -> LoopEvent:
    event = LoopEvent(loop=loop, actor_id=actor.id if actor else None, actor_label=actor_label, action=action,
                      summary=summary, reason=reason.strip()[:TEXT_LIMIT], created_dt=now_utc())
    db.session.add(event)
    return event


def require_editable(loop: Loop) -> None:
    if loop.status == LoopStatus.CANCELLED.value:
        raise LoopError("This loop is cancelled; create a new loop instead.")
    if loop.status == LoopStatus.COMPLETED.value:
        raise LoopError("This loop is completed (its interviews are over or it is decided); create a new loop for "
                        "another round.")


def places(loop: Loop) -> dict[int, tuple[str, str]]:
    """Where each booked session happens (place, video link): taken before a settings change, for comparison."""
    return {s.id: (s.where or "", s.video or "") for s in loop.sessions if s.is_booked}


# --- the hook ------------------------------------------------------------------------------------------------------

Follower = Callable[[Change], Any]
_followers: dict[str, Follower] = {}


def follow(name: str, follower: Follower) -> None:
    """Call `follower` with every change from now on (registered at app start; the same name replaces)."""
    _followers[name] = follower


def announce(change: Change) -> Change:
    """Tell every follower, in the caller's transaction (flushed first, so they read the change)."""
    db.session.flush()
    for name, follower in _followers.items():
        change.results[name] = follower(change)
    return change


def progressed(loop_id: int) -> Change:
    """A scorecard or the decision came in: what follows a loop's progress (its reminders) moves."""
    return announce(Change(loop_id=loop_id, kind=ChangeKind.PROGRESS))
