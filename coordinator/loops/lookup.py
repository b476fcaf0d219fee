"""The loop (and session) a page asks for: 404 when there is no such thing, 403 when a rule refuses the signed-in
user. Shared by every page under a loop (loops, kits, scorecards, the candidate page's panel)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from coordinator.auth.permissions import require
from coordinator.loops.models import Loop, LoopSession
from coordinator.loops.services import load_loop


def loop_or_404(loop_id: int, *rules: Callable[..., bool]) -> Loop:
    """The loop with its sessions and people loaded; each rule (`can_...(user, loop)`) must allow the user."""
    loop = load_loop(loop_id)
    if loop is None:
        abort(404)
    for rule in rules:
        require(rule(current_user, loop))
    return loop


def session_or_404(loop: Loop, session_id: int) -> LoopSession:
    """One of the loop's sessions (a session of another loop is a 404 too)."""
    session = next((s for s in loop.sessions if s.id == session_id), None)
    if session is None:
        abort(404)
    return session
