"""Coverage of a loop's focus areas, assignments per interviewer, and printable interview kits."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from coordinator.auth.permissions import (
    can_assign_focus,
    can_edit_job_interviewing,
    can_edit_kit,
    can_view_kits,
    require,
)
from coordinator.extensions import db
from coordinator.focus import services as focus_services
from coordinator.focus.models import FocusArea, Question
from coordinator.focus.rating import RATINGS_BEST_FIRST
from coordinator.forms import choices
from coordinator.kits import services as assignments
from coordinator.kits.forms import AssignmentForm, SessionAreasForm
from coordinator.kits.timing import STAR
from coordinator.loops import services
from coordinator.loops.lookup import loop_or_404, session_or_404
from coordinator.loops.models import Loop, LoopSession, ParticipantRole
from coordinator.web import FORM_EXPIRED, discard_changes, refused, refused_back, require_valid, viewer_timezone

bp = Blueprint("kits", __name__)


@bp.app_context_processor
def _loop_page_helpers():
    """The loop page shows the coverage matrix and the kits through `kit_panel(loop)`."""
    return {"kit_panel": _kit_panel}


def _kit_panel(loop: Loop) -> dict:
    if not can_view_kits(current_user, loop):
        return {"visible": False}
    return {"visible": True, "cov": assignments.loop_coverage(loop), "can_assign": can_assign_focus(current_user, loop),
            "can_edit_job": can_edit_job_interviewing(current_user, loop.candidate.job), "form": FlaskForm()}


def _loop_or_404(loop_id: int) -> Loop:
    return loop_or_404(loop_id, can_view_kits)


def _interviewer_or_404(session: LoopSession, user_id: int):
    person = next((p.user for p in session.participants
                   if p.user_id == user_id and p.role == ParticipantRole.INTERVIEWER.value), None)
    if person is None:
        abort(404)
    return person



# --- coverage and assignment ---------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/coverage")
@login_required
def coverage(loop_id: int):
    loop = _loop_or_404(loop_id)
    cov = assignments.loop_coverage(loop)
    return render_template("kits/coverage.html", loop=loop, cov=cov, can_assign=can_assign_focus(current_user, loop),
                           can_edit_job=can_edit_job_interviewing(current_user, loop.candidate.job),
                           form=FlaskForm(), viewer_tz=viewer_timezone())


@bp.route("/loops/<int:loop_id>/coverage/suggest", methods=["POST"])
@login_required
def suggest(loop_id: int):
    loop = _loop_or_404(loop_id)
    require(can_assign_focus(current_user, loop))
    require_valid(FlaskForm(), FORM_EXPIRED)
    try:
        cov = assignments.suggest(loop, current_user)
    except services.LoopError as exc:
        discard_changes()
        flash(str(exc), "error")
        return redirect(url_for("kits.coverage", loop_id=loop_id))
    if cov.uncovered:
        flash("Suggested what the loop allows. Still uncovered: " + ", ".join(a.name for a in cov.uncovered)
              + ". Add an interviewer who is qualified, or give the area to someone with room.", "warning")
    else:
        flash("Suggested: every focus area is covered once. Check the warnings, then adjust any kit.", "success")
    if request.form.get("next") == "loop":
        return redirect(url_for("loops.show", loop_id=loop_id))
    return redirect(url_for("kits.coverage", loop_id=loop_id))


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/focus", methods=["POST"])
@login_required
def session_areas(loop_id: int, session_id: int):
    loop = _loop_or_404(loop_id)
    require(can_assign_focus(current_user, loop))
    session = session_or_404(loop, session_id)
    form = SessionAreasForm()
    require_valid(form, "Choose focus areas from the list.")
    return refused_back(services.LoopError,
                        lambda: assignments.set_session_areas(session, form.area_ids.data or [], current_user),
                        f"Saved what “{session.title}” covers.", url_for("kits.coverage", loop_id=loop_id))


# --- kits ----------------------------------------------------------------------------------------------------------

@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/kits/<int:user_id>")
@login_required
def kit(loop_id: int, session_id: int, user_id: int):
    loop = _loop_or_404(loop_id)
    session = session_or_404(loop, session_id)
    person = _interviewer_or_404(session, user_id)
    the_kit = assignments.kit_for(loop, session, person)
    if the_kit is None:
        abort(404)
    return render_template("kits/kit.html", kit=the_kit, loop=loop, session=session, person=person,
                           ratings=RATINGS_BEST_FIRST, star=STAR, viewer_tz=viewer_timezone(),
                           can_edit=can_edit_kit(current_user, loop, session, user_id),
                           is_own=person.id == current_user.id, can_assign=can_assign_focus(current_user, loop))


def _question_groups(loop: Loop, job_areas: list[FocusArea], selected: list[Question]
                     ) -> list[tuple[FocusArea, list[Question]]]:
    """Questions to choose from, per focus area of the job: the bank's, this loop's own, and any already chosen."""
    ids = [a.id for a in job_areas]
    pool = list(db.session.scalars(focus_services.search_questions().where(Question.focus_area_id.in_(ids)))) \
        if ids else []
    pool += [q for q in assignments.loop_only_questions(loop) if q.focus_area_id in ids]
    known = {q.id for q in pool}
    pool += [q for q in selected if q.id not in known]
    areas = list(job_areas) + [q.focus_area for q in selected if q.focus_area_id not in ids]
    groups, seen = [], set()
    for area in areas:
        if area.id in seen:
            continue
        seen.add(area.id)
        groups.append((area, [q for q in pool if q.focus_area_id == area.id]))
    return groups


@bp.route("/loops/<int:loop_id>/sessions/<int:session_id>/kits/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(loop_id: int, session_id: int, user_id: int):
    loop = _loop_or_404(loop_id)
    session = session_or_404(loop, session_id)
    person = _interviewer_or_404(session, user_id)
    require(can_edit_kit(current_user, loop, session, user_id))
    cov = assignments.loop_coverage(loop)
    column = cov.column_for(session.id, person.id)
    if column is None:
        abort(404)  # a cancelled session has no kits
    change_areas = can_assign_focus(current_user, loop)
    job_areas = cov.areas
    current_areas = [a for a in [*cov.areas, *cov.extra_areas] if a.id in column.slot.area_ids]
    area_list = job_areas + [a for a in current_areas if a not in job_areas]
    form = AssignmentForm()
    form.area_ids.choices = choices((a.id, a.name) for a in area_list)
    groups = _question_groups(loop, job_areas, column.questions)
    form.question_ids.choices = choices((q.id, q.text) for _, qs in groups for q in qs)
    form.new_focus_area_id.choices = choices([(0, "Choose…")] + [(a.id, a.name) for a in job_areas])
    if request.method == "GET":
        form.area_ids.data = list(column.slot.area_ids)
        form.question_ids.data = [q.id for q in column.questions]
        if len(column.slot.area_ids) == 1:
            form.new_focus_area_id.data = column.slot.area_ids[0]
    if form.validate_on_submit():
        new_question = None
        if (form.new_text.data or "").strip() or (form.new_probes.data or "").strip():
            new_question = focus_services.QuestionData(
                text=form.new_text.data or "", kind=form.new_kind.data,
                focus_area_id=form.new_focus_area_id.data or None, probes=form.new_probes.data or "")
        try:
            assignments.save_assignment(session, person, form.area_ids.data or [] if change_areas else None,
                                        form.question_ids.data or [], current_user, new_question)
        except services.LoopError as exc:
            refused(form, exc)
        else:
            whose = "Your" if person.id == current_user.id else f"{person.name}’s"
            flash(f"{whose} kit for “{session.title}” is saved.", "success")
            return redirect(url_for("kits.kit", loop_id=loop.id, session_id=session.id, user_id=person.id))
    levels = focus_services.qualifications_of([person.id])[person.id]
    selected_areas = set(form.area_ids.data or [])
    return render_template("kits/edit.html", loop=loop, session=session, person=person, form=form, groups=groups,
                           area_list=area_list, levels=levels, change_areas=change_areas,
                           selected_areas=selected_areas, column=column, job_area_ids={a.id for a in job_areas}), \
        400 if form.errors or form.form_errors else 200

