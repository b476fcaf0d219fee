"""Admin pages: export a candidate's data, erase a candidate now, set the retention period."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coordinator.auth.permissions import can_manage_privacy
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.privacy import services
from coordinator.web import allowed

bp = Blueprint("privacy", __name__)
REASON_MAX = 500


@bp.route("/candidates/<int:candidate_id>/export")
@allowed(can_manage_privacy)
def export(candidate_id: int):
    candidate = db.get_or_404(Candidate, candidate_id)
    document = services.export(candidate, current_user)
    filename = re.sub(r"[^A-Za-z0-9]+", "-", candidate.name).strip("-").lower() or "candidate"
    return Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}-data.json"',
                             "Cache-Control": "no-store"})


@bp.route("/candidates/<int:candidate_id>/erase", methods=["GET", "POST"])
@allowed(can_manage_privacy)
def erase(candidate_id: int):
    candidate = db.get_or_404(Candidate, candidate_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        reason = (request.form.get("reason") or "").strip()
        if not reason:
            errors["reason"] = "Give the reason (for example: the candidate asked to be forgotten)."
        elif len(reason) > REASON_MAX:
            errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
        if request.form.get("confirm_name", "").strip() != candidate.name:
            errors["confirm_name"] = "Type the candidate's full name exactly, to confirm."
        if not errors:
            name = candidate.name
            rows = services.erase(candidate, current_user, reason)
            flash(f"{name} is erased: {rows} stored rows deleted. The audit log keeps an entry without the name.",
                  "success")
            return redirect(url_for("hiring.candidates"))
    counts, blanked = services.preview(candidate)
    return render_template("privacy/erase.html", candidate=candidate, errors=errors, counts=counts,
                           blanked=blanked), 400 if errors else 200


@bp.route("/admin/retention", methods=["GET", "POST"])
@allowed(can_manage_privacy)
def retention():
    error = None
    if request.method == "POST":
        raw = (request.form.get("not_hired_days") or "").strip()
        try:
            days = int(raw) if raw else None
            services.set_policy(days, current_user)
        except ValueError:
            error = "Give a whole number of days from 1 to 3650, or leave it empty to keep candidates."
        else:
            flash("Retention saved. The scheduler erases expired candidates once a day.", "success")
            return redirect(url_for("privacy.retention"))
    policy = services.policy()
    return render_template("privacy/retention.html", policy=policy, error=error,
                           due=services.expired_candidates()), 400 if error else 200
