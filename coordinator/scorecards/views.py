"""Scorecard pages: my scorecards, writing (drafts, autosave, submit), reading, amending, and the debrief with its
CSV, print view and decision. Every route asks the independence rule (`feedback_access`) before anything else."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coordinator import timeutil
from coordinator.audit.services import record as audit
from coordinator.audit.services import record_now as audit_now
from coordinator.auth.models import User
from coordinator.auth.permissions import (
    FeedbackAccess,
    can_list_my_scorecards,
    feedback_access,
    require,
)
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.focus.rating import RATINGS_BEST_FIRST, Rating, Recommendation
from coordinator.loops import changes as loop_changes
from coordinator.loops.lookup import loop_or_404, session_or_404
from coordinator.loops.models import Loop, LoopSession
from coordinator.loops.services import load_loop
from coordinator.scorecards import services
from coordinator.scorecards.debrief import build_debrief, csv_export
from coordinator.scorecards.decision import STAGE_AFTER, decision_state, decisions_of, latest_decision, record_decision
from coordinator.scorecards.forms import (
    NOT_ASSESSED,
    DecisionForm,
    ScorecardForm,
    input_of,
    put_errors,
    scorecard_form,
)
from coordinator.scorecards.models import STAR_FIELDS, CardState, Decision, Scorecard, ScorecardRevision
from coordinator.web import allowed, discard_changes, persist_apart, require_valid, viewer_timezone

bp = Blueprint("scorecards", __name__)


# --- loading, with the independence rule first ---------------------------------------------------------------------

def _loop(loop_id: int) -> tuple[Loop, FeedbackAccess]:
    loop = loop_or_404(loop_id)
    return loop, feedback_access(current_user, loop)


def _card(session_id: int, user_id: int) -> Scorecard | None:
    return db.session.scalar(select(Scorecard).where(Scorecard.session_id == session_id,
                                                     Scorecard.interviewer_id == user_id))


def _writable(session_id: int) -> tuple[Loop, LoopSession, Scorecard | None]:
    """The signed-in interviewer's own scorecard of a session they score in (None before their first save);
    nobody writes anyone else's."""
    loop_id = db.session.scalar(select(LoopSession.loop_id).where(LoopSession.id == session_id))
    if loop_id is None:
        abort(404)
    loop, access = _loop(loop_id)
    session = session_or_404(loop, session_id)
    require(access.can_write(session.id, current_user.id))
    return loop, session, _card(session.id, current_user.id)


def _audited(body: str, action: str, target_type: str, target_id: int, detail: str = "") -> str:
    """Record a read in the audit log, in a writing transaction of its own, once the page is rendered."""
    persist_apart(lambda: audit(action, target_type, target_id, detail=detail))
    return body


def _form_areas(session: LoopSession, card: Scorecard | None) -> tuple[list[FocusArea], list[FocusArea]]:
    """(the areas assigned now, the areas the form shows): a draft keeps areas that were typed into but are no
    longer assigned; a submitted scorecard keeps its own areas."""
    assigned = services.areas_for(session, current_user)
    if card is None:
        return assigned, assigned
    if card.is_submitted:
        return assigned, [row.focus_area for row in card.areas]
    shown = list(assigned)
    shown += [row.focus_area for row in card.areas if row.focus_area_id not in {a.id for a in assigned}]
    return assigned, shown


def _context(loop: Loop, session: LoopSession, card: Scorecard | None, user: User) -> dict:
    due = services.due_dt(session, loop.candidate.job)
    state = services.card_state(card.status if card else None, due, timeutil.now_utc())
    return {"loop": loop, "session": session, "card": card, "author": user, "due": due, "state": state,
            "ratings": list(Rating), "ratings_best_first": RATINGS_BEST_FIRST, "recommendations": list(Recommendation),
            "rating_of": {r.value: r for r in Rating}, "rec_of": {r.value: r for r in Recommendation},
            "star_fields": STAR_FIELDS, "not_assessed": NOT_ASSESSED, "viewer_tz": viewer_timezone()}


# --- my scorecards -------------------------------------------------------------------------------------------------

@bp.route("/scorecards")
@allowed(can_list_my_scorecards)
def mine():
    seats = services.my_seats(current_user)
    to_write = sorted((s for s in seats if s.state != CardState.SUBMITTED),
                      key=lambda s: s.due or s.session.start_dt)
    done = [s for s in seats if s.state == CardState.SUBMITTED]
    return render_template("scorecards/mine.html", to_write=to_write, done=done, now=timeutil.now_utc())


# --- writing -------------------------------------------------------------------------------------------------------

def _render_edit(loop, session, card, form, status: int = 200, conflict: Scorecard | None = None,
                 amending: bool = False):
    context = _context(loop, session, card, current_user)
    saved = None
    if conflict is not None:
        areas = [a for a, _ in form.area_fields]
        saved = services.input_from(conflict, areas)
    assigned_ids = {a.id for a in services.areas_for(session, current_user)}
    return render_template("scorecards/edit.html", form=form, conflict=conflict, saved=saved, amending=amending,
                           assigned_ids=assigned_ids, **context), status


@bp.route("/scorecards/session/<int:session_id>", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    loop, session, card = _writable(session_id)
    user_id = current_user.id
    if card is not None and card.is_submitted and request.method == "GET":
        return redirect(url_for("scorecards.show", loop_id=loop.id, session_id=session.id, user_id=user_id))
    assigned, shown = _form_areas(session, card)
    if request.method == "GET":
        form = scorecard_form(shown, services.input_from(card, shown), card.version if card else 0)
        return _render_edit(loop, session, card, form)
    form = scorecard_form(shown)
    require_valid(form)  # the CSRF token; everything else is the service's to judge
    version = form.posted_version()
    if version is None:
        form.form_errors.append("The form was damaged. Reload the page; your saved draft is unchanged.")
        return _render_edit(loop, session, card, form, 400)
    submitting = request.form.get("action") == "submit"
    data, area_ids = input_of(form), [a.id for a in assigned]
    try:
        if submitting:
            try:
                card = services.submit(session, current_user, data, version, assigned)
            except services.ScorecardError as exc:
                if not exc.errors or services.check_caps(data):
                    raise
                # Incomplete: keep what was typed as the draft (nothing is lost), and say what is missing.
                card = persist_apart(lambda: services.save_draft(session, current_user, data, version, area_ids))
                form.version.data = str(card.version)
                put_errors(form, exc.errors)
                form.form_errors.append("Not submitted yet: complete the fields marked below. What you typed is "
                                        "saved as your draft.")
                return _render_edit(loop, session, card, form, 400)
        else:
            card = services.save_draft(session, current_user, data, version, area_ids)
    except services.StaleScorecard:
        return _conflict(loop, session, form)
    except IntegrityError:  # two first saves at once: the other one made the row
        return _conflict(loop, session, form)
    except services.ScorecardError as exc:
        discard_changes()
        put_errors(form, exc.errors)
        form.form_errors.append(str(exc) + (" Your saved draft is unchanged." if exc.errors else ""))
        return _render_edit(loop, session, _card(session.id, user_id), form, 400)
    if submitting:
        loop_changes.progressed(loop.id)  # its reminders stop; the last one in makes the debrief ready
    if submitting:
        access = feedback_access(current_user, loop)
        flash("Scorecard submitted. " + ("You can now read your colleagues' scorecards of this loop."
                                         if access.has_submitted_all else
                                         "Submit your other scorecards of this loop to read your colleagues'."),
              "success")
        return redirect(url_for("scorecards.show", loop_id=loop.id, session_id=session.id, user_id=user_id))
    flash(f"Draft saved at {timeutil.format_instant(card.updated_dt, viewer_timezone(), '%H:%M')}. "
          "Nobody else sees it until you submit.", "success")
    return redirect(url_for("scorecards.edit", session_id=session.id))


def _conflict(loop: Loop, session: LoopSession, form: ScorecardForm):
    """409: the scorecard changed since the page was loaded. Show what was typed beside what is saved, with the
    saved version in the form so that saving again is a deliberate overwrite."""
    discard_changes()
    saved = _card(session.id, current_user.id)
    if saved is not None:
        form.version.data = str(saved.version)
    persist_apart(lambda: audit("scorecard.conflict", "scorecard", saved.id if saved else None))  # a 409 keeps it
    amending = saved is not None and saved.is_submitted
    return _render_edit(loop, session, saved, form, 409, conflict=saved, amending=amending)


@bp.route("/scorecards/session/<int:session_id>/autosave", methods=["POST"])
@login_required
def autosave(session_id: int):
    """The page saves the draft by itself when the interviewer leaves it (scorecard.js); form in, JSON out."""
    loop, session, card = _writable(session_id)
    assigned, shown = _form_areas(session, card)
    form = scorecard_form(shown)
    if not form.validate_on_submit():
        return jsonify(ok=False, message="The page expired; reload it before typing more."), 400
    version = form.posted_version()
    if version is None:
        return jsonify(ok=False, message="The form was damaged; reload the page."), 400
    try:
        card = services.save_draft(session, current_user, input_of(form), version, [a.id for a in assigned])
    except (services.StaleScorecard, IntegrityError):
        return jsonify(ok=False, conflict=True,
                       message="This scorecard was changed in another tab. Save the draft to compare both "
                               "versions; nothing was overwritten."), 409
    except services.ScorecardError as exc:
        return jsonify(ok=False, message=str(exc),
                       errors={f"area_{a}-{n}" if a else n: m for (a, n), m in exc.errors.items()}), 400
    return jsonify(ok=True, version=card.version,
                   saved_at=timeutil.format_instant(card.updated_dt, viewer_timezone(), "%H:%M"))


@bp.route("/scorecards/session/<int:session_id>/amend", methods=["GET", "POST"])
@login_required
def amend(session_id: int):
    loop, session, card = _writable(session_id)
    user_id = current_user.id
    if card is None or not card.is_submitted:
        if request.method == "GET":
            return redirect(url_for("scorecards.edit", session_id=session.id))
        flash("Only a submitted scorecard can be amended; this one is still a draft, shown below.", "error")
        return redirect(url_for("scorecards.edit", session_id=session.id), 303)
    areas = [row.focus_area for row in card.areas]
    if request.method == "GET":
        form = scorecard_form(areas, services.input_from(card, areas), card.version)
        return _render_edit(loop, session, card, form, amending=True)
    form = scorecard_form(areas)
    require_valid(form)
    version = form.posted_version()
    if version is None:
        form.form_errors.append("The form was damaged. Reload the page; your scorecard is unchanged.")
        return _render_edit(loop, session, card, form, 400, amending=True)
    try:
        card = services.amend(session, current_user, input_of(form), version, form.reason.data or "")
    except services.StaleScorecard:
        return _conflict(loop, session, form)
    except services.ScorecardError as exc:
        discard_changes()
        put_errors(form, exc.errors)
        form.form_errors.append(str(exc))
        return _render_edit(loop, session, _card(session.id, user_id), form, 400, amending=True)
    flash(f"Scorecard amended (revision {card.revision}). The history keeps every revision.", "success")
    return redirect(url_for("scorecards.show", loop_id=loop.id, session_id=session.id, user_id=user_id))


# --- reading -------------------------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/scorecards/<int:user_id>")
@login_required
def show(loop_id: int, session_id: int, user_id: int):
    loop, access = _loop(loop_id)
    if not access.can_read(user_id) and access.is_scorer and not access.sees_all:
        # An interviewer of this loop who has not submitted yet: say why, and where to go instead.
        pending = [s for s in loop.sessions if s.id in access.seats - access.submitted]
        audit_now("access.denied", detail=f"{request.method} {request.path} (own scorecard not submitted)")
        return render_template("scorecards/not_yet.html", loop=loop, pending=pending), 403
    require(access.can_read(user_id))
    session = session_or_404(loop, session_id)
    card = _card(session.id, user_id)
    author = next((u for u in services.scorers(session) if u.id == user_id), None)
    if author is None and card is not None and card.is_submitted:
        author = card.interviewer  # replaced since, but their submitted scorecard stays readable
    if author is None:
        abort(404)
    is_own = user_id == current_user.id
    if is_own and access.can_write(session.id, user_id) and (card is None or not card.is_submitted):
        return redirect(url_for("scorecards.edit", session_id=session.id))
    revisions: list[ScorecardRevision] = []
    if card is not None and card.is_submitted:
        revisions = list(db.session.scalars(select(ScorecardRevision).where(ScorecardRevision.scorecard_id == card.id)
                                            .order_by(ScorecardRevision.number.desc())))
    context = _context(loop, session, card, author)
    body = render_template("scorecards/show.html", revisions=revisions, is_own=is_own,
                           can_amend=is_own and access.can_write(session.id, user_id), access=access, **context)
    if card is not None and not is_own:
        return _audited(body, "scorecard.viewed", "scorecard", card.id)
    return body


# --- the debrief ---------------------------------------------------------------------------------------------------

def _debrief_loop(loop_id: int) -> Loop:
    loop, access = _loop(loop_id)
    require(access.sees_all)
    return loop


def _debrief_context(loop: Loop) -> dict:
    now = timeutil.now_utc()
    debrief, seats = build_debrief(loop, now)
    decisions = decisions_of(loop)
    decision = decisions[0] if decisions else None
    tz = viewer_timezone()
    return {"loop": loop, "debrief": debrief, "seats": seats, "decision": decision, "decisions": decisions,
            "decision_state": decision_state(loop, decision, tz, now), "viewer_tz": tz, "now": now,
            "ratings": list(Rating), "star_fields": STAR_FIELDS, "decision_choices": list(Decision),
            "stage_after": STAGE_AFTER}


@bp.route("/loops/<int:loop_id>/debrief")
@login_required
def debrief(loop_id: int):
    loop = _debrief_loop(loop_id)
    context = _debrief_context(loop)
    form = DecisionForm()
    body = render_template("scorecards/debrief.html", form=form, **context)
    return _audited(body, "debrief.viewed", "loop", loop.id)


@bp.route("/loops/<int:loop_id>/debrief/print")
@login_required
def debrief_print(loop_id: int):
    loop = _debrief_loop(loop_id)
    body = render_template("scorecards/debrief_print.html", printed_by=current_user.name, **_debrief_context(loop))
    return _audited(body, "debrief.printed", "loop", loop.id)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "candidate"


@bp.route("/loops/<int:loop_id>/debrief.csv")
@login_required
def debrief_csv(loop_id: int):
    loop = _debrief_loop(loop_id)
    debrief, _ = build_debrief(loop)
    body = "\ufeff" + csv_export(loop, debrief)  # the BOM makes spreadsheet programs read UTF-8
    filename = f"debrief-{_slug(loop.candidate.name)}-{timeutil.now_utc():%Y-%m-%d}.csv"
    _audited("", "debrief.exported", "loop", loop.id, detail="csv")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"})


@bp.route("/loops/<int:loop_id>/debrief/decision", methods=["POST"])
@login_required
def decide(loop_id: int):
    loop = _debrief_loop(loop_id)
    form = DecisionForm()
    require_valid(form)
    debrief, _ = build_debrief(loop)
    try:
        record_decision(loop, form.outcome.data or "", form.rationale.data or "", current_user,
                        missing=len(debrief.missing), accept_missing=bool(form.accept_missing.data),
                        seen_decision=form.seen_decision.data)
    except services.ScorecardError as exc:
        discard_changes()
        put_errors(form, exc.errors)  # type: ignore[arg-type]
        if not exc.errors:
            form.form_errors.append(str(exc))
        loop = load_loop(loop_id)
        # a decision recorded meanwhile (409): theirs shows as the decision, yours stays in the form below it
        return render_template("scorecards/debrief.html", form=form, **_debrief_context(loop)), exc.status
    loop_changes.progressed(loop.id)  # the decision reminders stop
    flash("Decision recorded.", "success")
    return redirect(url_for("scorecards.debrief", loop_id=loop_id) + "#decision")


# --- panels on other pages -----------------------------------------------------------------------------------------

@bp.app_template_global("scorecard_panel")
def scorecard_panel(loop: Loop) -> dict:
    """What the loop page shows about scorecards, filtered by the independence rule."""
    access = feedback_access(current_user, loop)
    if not (access.sees_all or access.is_scorer):
        return {"visible": False}
    now = timeutil.now_utc()
    seats = services.loop_seats(loop, services.loop_scorecards(loop), now)
    if not seats:  # nothing booked yet: no scorecard is expected, nothing to show
        return {"visible": False}
    shown = services.visible_seats(seats, access)
    decision = latest_decision(loop) if access.sees_colleagues else None
    return {"visible": True, "access": access, "seats": shown,
            "mine": [s for s in seats if s.user.id == current_user.id and not s.is_former],
            "decision": decision, "decision_state": decision_state(loop, decision, viewer_timezone(), now),
            "submitted": sum(1 for s in shown if s.state == CardState.SUBMITTED)}


@bp.app_template_global("scorecards_due")
def scorecards_due() -> list[services.Seat]:
    """The signed-in interviewer's scorecards still to write, most urgent first (home page)."""
    if not can_list_my_scorecards(current_user):
        return []
    seats = [s for s in services.my_seats(current_user) if s.state != CardState.SUBMITTED]
    return sorted(seats, key=lambda s: s.due or s.session.start_dt)[:10]


@bp.app_template_filter("relative")
def relative(when: datetime | None, now: datetime | None = None) -> str:
    """'in 5 hours', '2 days ago'."""
    if when is None:
        return ""
    seconds = (when - (now or timeutil.now_utc())).total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    if seconds < 3600:
        amount, unit = max(1, round(seconds / 60)), "minute"
    elif seconds < 48 * 3600:
        amount, unit = round(seconds / 3600), "hour"
    else:
        amount, unit = round(seconds / 86400), "day"
    text = f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"in {text}" if ahead else f"{text} ago"
