"""Invite pages: the outbox, .ics downloads from a loop, and each user's private calendar feed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from coordinator.auth.permissions import (
    can_download_candidate_invites,
    can_manage_loop,
    can_retry_outbox_message,
    can_view_loop,
    can_view_outbox,
    can_view_outbox_message,
    require,
    visible_outbox,
)
from coordinator.extensions import db
from coordinator.invites import candidate_message, delivery, feeds, notices, replies, services
from coordinator.invites import review as held_messages
from coordinator.invites.forms import CandidateMessageForm, SendForm
from coordinator.invites.ical import InviteError
from coordinator.invites.models import Notice, OutboxMessage, OutboxStatus, Proposal
from coordinator.loops.changes import LoopError
from coordinator.loops.lookup import loop_or_404, session_or_404
from coordinator.timeutil import now_utc
from coordinator.web import FORM_EXPIRED, allowed, done, refused_back, require_valid

bp = Blueprint("invites", __name__)

PAGE_SIZE = 100


# --- the outbox ------------------------------------------------------------------------------------------------

@bp.route("/outbox")
@allowed(can_view_outbox)
def outbox():
    status = request.args.get("status", "")
    query = visible_outbox(current_user)
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == status)
    else:
        status = ""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows = db.session.scalars(
        query.order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    counts_query = visible_outbox(current_user).with_only_columns(OutboxMessage.status, func.count()) \
        .group_by(OutboxMessage.status).order_by(None)
    counts = dict(db.session.execute(counts_query).all())
    return render_template("invites/outbox.html", messages=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
                           page=page, status=status, statuses=list(OutboxStatus), counts=counts,
                           mail_configured=services.smtp_configured())


def _message_or_404(message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    require(can_view_outbox_message(current_user, row))
    return row


@bp.route("/outbox/<int:message_id>")
@login_required
def message(message_id: int):
    row = _message_or_404(message_id)
    return render_template("invites/message.html", message=row, parts=delivery.parsed(row),
                           mail_configured=services.smtp_configured(),
                           can_retry=row.can_retry and can_retry_outbox_message(current_user, row))


@bp.route("/outbox/<int:message_id>/invite.ics")
@login_required
def message_ics(message_id: int):
    row = _message_or_404(message_id)
    ics = delivery.parsed(row)["ics"]
    if not ics:
        abort(404)
    return _ics_response(ics.encode("utf-8"), feeds.ics_filename("message", row.id, row.method.lower()))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@login_required
def retry(message_id: int):
    row = _message_or_404(message_id)
    require(can_retry_outbox_message(current_user, row))
    if not row.can_retry:
        flash("Only a failed message can be sent again.", "error")
        return redirect(url_for("invites.message", message_id=row.id)), 303
    delivery.retry_message(row)
    if services.smtp_configured():
        flash("The message is queued again; it goes out within a minute.", "success")
    else:
        flash("The message is queued again, but no mail server is configured: it stays held.", "warning")
    return redirect(url_for("invites.message", message_id=row.id))


# --- downloads ---------------------------------------------------------------------------------------------------

def _ics_response(ics: bytes, filename: str, *, inline: bool = False) -> Response:
    response = Response(ics, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_invite(message: str):
    return render_template("errors/error.html", code=404, title="There is no calendar file yet", hint=message), 404


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/invite.ics")
@login_required
def session_ics(loop_id: int, session_id: int):
    """One session as the hiring team sees it (focus areas and kit links of its interviewers)."""
    loop = loop_or_404(loop_id, can_view_loop)
    session = session_or_404(loop, session_id)
    try:
        ics = feeds.session_download(loop, session, current_user)
    except InviteError as exc:
        return _no_invite(str(exc))
    return _ics_response(ics, feeds.ics_filename("interview", loop.candidate.name, session.title, session.id))


@bp.route("/loops/<int:loop_id>/invites.ics")
@login_required
def loop_ics(loop_id: int):
    """Every session of the loop in one file, as the hiring team sees them."""
    loop = loop_or_404(loop_id, can_view_loop)
    try:
        ics = feeds.loop_download(loop, current_user)
    except InviteError as exc:
        return _no_invite(str(exc))
    return _ics_response(ics, feeds.ics_filename("interview-loop", loop.candidate.name, loop.id))


@bp.route("/loops/<int:loop_id>/candidate.ics")
@login_required
def candidate_ics(loop_id: int):
    """The candidate's calendar of the loop, as their invites have it: nothing internal."""
    loop = loop_or_404(loop_id, can_view_loop)
    require(can_download_candidate_invites(current_user, loop))
    try:
        ics = feeds.candidate_download(loop)
    except InviteError as exc:
        return _no_invite(str(exc))
    return _ics_response(ics, feeds.ics_filename("candidate", loop.candidate.name, loop.id))


# --- private calendar feed -----------------------------------------------------------------------------------

@bp.route("/feed/<token>.ics")
def feed(token: str):
    """A user's interviews for calendar subscription. No sign-in: the token is the key. A wrong or revoked token
    is a plain 404, the same whether or not such a user exists."""
    user = feeds.user_for_feed_token(token)
    if user is None:
        abort(404)
    now = now_utc()
    ics = feeds.feed_ics(user, now=now)
    feeds.touch_feed(user.id, now)
    response = _ics_response(ics, "interviews.ics", inline=True)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/profile/calendar-feed", methods=["POST"])
@login_required
def new_feed():
    """Make a new feed link (the old one stops working) and show it once: only its hash is kept."""
    had_one = feeds.feed_of(current_user) is not None
    token = feeds.new_feed_token(current_user)
    return render_template("invites/feed_created.html", url=feeds.feed_url(token), replaced=had_one)


@bp.route("/profile/calendar-feed/stop", methods=["POST"])
@login_required
def stop_feed():
    if feeds.revoke_feed(current_user):
        flash("Your calendar feed link no longer works. Calendars subscribed to it stop updating.", "success")
    return redirect(url_for("auth.profile"))


@bp.app_template_global()
def calendar_feed_of(user):
    """For the profile page: the user's feed row (when it was made, last fetched), or None."""
    return feeds.feed_of(user) if user is not None and getattr(user, "is_authenticated", False) else None



# --- answers: proposals and notices ----------------------------------------------------------------------------

def _managed(loop_id: int):
    return loop_or_404(loop_id, can_view_loop, can_manage_loop)


@bp.route("/loops/<int:loop_id>/proposals/<int:proposal_id>/accept", methods=["POST"])
@login_required
def accept_proposal(loop_id: int, proposal_id: int):
    """Move the session to the time an attendee proposed (the normal booking path)."""
    loop = _managed(loop_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.loop_id != loop.id:
        abort(404)
    require_valid(FlaskForm(), FORM_EXPIRED)
    reason = (request.form.get("reason") or "")[:2000]
    return refused_back(LoopError, lambda: replies.accept_proposal(proposal, current_user, reason),
                        "The session moved to the proposed time; everyone gets the update.",
                        request.form.get("next_page") == "dashboard" and url_for("reminders.dashboard")
                        or url_for("loops.show", loop_id=loop.id))


@bp.route("/loops/<int:loop_id>/proposals/<int:proposal_id>/refuse", methods=["POST"])
@login_required
def refuse_proposal(loop_id: int, proposal_id: int):
    """Keep the session where it is."""
    loop = _managed(loop_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.loop_id != loop.id:
        abort(404)
    require_valid(FlaskForm(), FORM_EXPIRED)
    return refused_back(LoopError, lambda: replies.refuse_proposal(proposal, current_user),
                        "The session stays where it is.",
                        request.form.get("next_page") == "dashboard" and url_for("reminders.dashboard")
                        or url_for("loops.show", loop_id=loop.id))


@bp.route("/loops/<int:loop_id>/notices/<int:notice_id>/done", methods=["POST"])
@login_required
def notice_done(loop_id: int, notice_id: int):
    """The recruiter dealt with it: off "Needs action"."""
    loop = _managed(loop_id)
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.loop_id != loop.id:
        abort(404)
    require_valid(FlaskForm(), FORM_EXPIRED)
    notices.mark_done(notice, current_user)
    return done("Marked as done.", request.form.get("next_page") == "dashboard" and url_for("reminders.dashboard")
                or url_for("loops.show", loop_id=loop.id))


def _loop_replies(loop) -> dict:
    """The loop page's panel: open proposals and notices (declines with their options), for who manages the loop."""
    if not can_manage_loop(current_user, loop):
        return {"visible": False}
    from coordinator.invites.models import CandidateInviteEvent

    answers = list(db.session.scalars(select(CandidateInviteEvent).where(
        CandidateInviteEvent.loop_id == loop.id, CandidateInviteEvent.is_cancelled.is_(False))
        .order_by(CandidateInviteEvent.start_dt)))
    return {"visible": True, "notices": notices.open_for_loop(loop.id), "candidate_events": answers}


@bp.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(loop_replies=_loop_replies)
# --- send when ready: what a booking will send, held until the recruiter sends it ----------------------------------

@bp.route("/loops/<int:loop_id>/invites/review", methods=["GET", "POST"])
@login_required
def review(loop_id: int):
    """Every e-mail the loop's last changes will send, rendered with its invite, and the candidate's message to
    edit; nothing goes out before Send."""
    loop = loop_or_404(loop_id, can_view_loop, can_manage_loop)
    form = CandidateMessageForm()
    status = 200
    if request.method == "GET":
        form.message.data = candidate_message.message_template(loop)
    elif form.validate_on_submit():
        try:
            candidate_message.check_message_template(form.message.data or "")
        except ValueError as exc:
            form.message.errors = [*form.message.errors, str(exc)]
            status = 400
        else:
            loop.candidate_message = (form.message.data or "").strip()
            if form.for_job.data:
                loop.candidate.job.candidate_message = loop.candidate_message
            rebuilt = held_messages.rebuild_held_candidate_messages(loop)
            flash("The candidate's message is saved" + (" for this job's loops too" if form.for_job.data else "")
                  + (f"; {rebuilt} e-mail{'s' if rebuilt != 1 else ''} below show it." if rebuilt else "."),
                  "success")
            return redirect(url_for("invites.review", loop_id=loop.id))
    else:
        status = 400
    held = held_messages.held_for_review(loop)
    previews = [(row, delivery.parsed(row)) for row in held]
    return render_template("invites/review.html", loop=loop, previews=previews, form=form, button=SendForm(),
                           placeholders=candidate_message.PLACEHOLDERS,
                           mail_configured=services.smtp_configured()), status


@bp.route("/loops/<int:loop_id>/invites/send", methods=["POST"])
@login_required
def send_held(loop_id: int):
    loop = loop_or_404(loop_id, can_view_loop, can_manage_loop)
    require_valid(SendForm(), "The form expired; open the page again.")
    sent = held_messages.send_held(loop, current_user)
    if not sent:
        flash("Nothing was waiting to be sent.", "info")
    elif services.smtp_configured():
        flash(f"Sent: {sent} e-mail{'s' if sent != 1 else ''} go out within a minute.", "success")
    else:
        flash(f"{sent} e-mails are released, but no mail server is configured: they stay held in the outbox.",
              "warning")
    return redirect(url_for("loops.show", loop_id=loop.id))


@bp.route("/loops/<int:loop_id>/invites/hold", methods=["POST"])
@login_required
def hold_held(loop_id: int):
    loop = loop_or_404(loop_id, can_view_loop, can_manage_loop)
    require_valid(SendForm(), "The form expired; open the page again.")
    count = len(held_messages.held_for_review(loop))
    flash(f"Nothing was sent. {count} e-mail{'s' if count != 1 else ''} wait for your Send on this loop's page.",
          "info")
    return redirect(url_for("loops.show", loop_id=loop.id))


@bp.app_template_global()
def held_for_review_count(loop) -> int:
    """For the loop page: how many of its e-mails wait for the recruiter's Send."""
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.loop_id == loop.id, OutboxMessage.status == OutboxStatus.REVIEW.value)) or 0
