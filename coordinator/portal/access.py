"""Who may open the candidate's page: the private link (an unguessable token, stored only as its SHA-256 hash,
looked up by hash and compared in constant time; it expires after the days the recruiter chose and can be
revoked; a new link revokes the loop's earlier ones), the e-mail that carries it, and the rate limits per token
presented and per client address (coordinator.ratelimit, counted in the database so every worker shares them).
Services flush, the request commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from flask import current_app
from sqlalchemy import select, update

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.auth.models import User
from coordinator.errors import ServiceError
from coordinator.extensions import db
from coordinator.invites.models import OutboxKind
from coordinator.invites.services import enqueue_emails, mail_sender, outbox_values, uid_domain
from coordinator.loops import services as loops
from coordinator.loops.models import Loop, LoopStatus
from coordinator.mail import MessageError, build_email
from coordinator.portal.models import CandidateLink, CandidatePortal, CandidatePortalHit
from coordinator.ratelimit import Counter
from coordinator.timeutil import now_utc

# --- errors --------------------------------------------------------------------------------------------------------


class PortalError(ServiceError):
    """Something the candidate (or recruiter) asked for cannot be done; the message says what to do instead."""


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


def saved_portal(loop: Loop) -> CandidatePortal:
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
    portal = saved_portal(loop)
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


# --- rate limits ---------------------------------------------------------------------------------------------------

RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 20
"""Wrong tokens one address may present in the window before every candidate page refuses it."""
MAX_REQUESTS_PER_ADDRESS = 600
MAX_REQUESTS_PER_TOKEN = 300
HITS_KEPT = timedelta(days=1)


def _hits() -> Counter:
    return Counter(CandidatePortalHit, RATE_WINDOW, HITS_KEPT)


def retry_after(token_hash: str, ip: str) -> int | None:
    """Seconds to wait before the next request with this token or from this address, or None to go ahead."""
    now = now_utc()
    hits = _hits()
    by_token = hits.tally(CandidatePortalHit.token_hash == token_hash, now=now)
    by_ip = hits.tally(CandidatePortalHit.ip == ip, now=now, flag=CandidatePortalHit.failed)
    waits = []
    if by_token.count >= MAX_REQUESTS_PER_TOKEN and by_token.oldest is not None:
        waits.append(hits.until_window_clears(by_token, now))
    if (by_ip.count >= MAX_REQUESTS_PER_ADDRESS or by_ip.flagged >= MAX_FAILURES_PER_ADDRESS) \
            and by_ip.oldest is not None:
        waits.append(hits.until_window_clears(by_ip, now))
    return max(waits) if waits else None


def note_hit(token_hash: str, ip: str, failed: bool) -> None:
    _hits().note(now_utc(), token_hash=token_hash, ip=ip[:45], failed=failed)

