"""Admin pages: the audit log and the per-role security policy."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.audit import services as audit
from coordinator.audit.models import AuditEvent, RolePolicy
from coordinator.auth.permissions import can_manage_users
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.web import allowed

bp = Blueprint("audit", __name__)
PAGE = 100


@bp.route("/audit")
@allowed(can_manage_users)
def log():
    action = request.args.get("action", "")[:48]
    who = request.args.get("who", "")[:254].strip().lower()
    before = request.args.get("before", type=int)
    query = select(AuditEvent).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if who:
        query = query.where(AuditEvent.actor_label.contains(who, autoescape=True))
    if before:
        query = query.where(AuditEvent.id < before)
    events = db.session.scalars(query.limit(PAGE)).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template("audit/log.html", events=events, action=action, who=who, actions=actions,
                           next_before=events[-1].id if len(events) == PAGE else None)


@bp.route("/admin/security", methods=["GET", "POST"])
@allowed(can_manage_users)
def security():
    policies = {p.role: p for p in db.session.scalars(select(RolePolicy))}
    if request.method == "POST":
        wanted = set(request.form.getlist("requires_totp"))
        unknown = wanted - {r.value for r in Role}
        if unknown:
            flash("Choose roles from the list.", "error")
            return render_template("audit/security.html", policies=policies, roles=list(Role)), 400
        for role in Role:
            policy = policies.get(role.value) or RolePolicy(role=role.value)
            db.session.add(policy)
            policy.requires_totp = role.value in wanted
        audit.record("security.policy_changed", detail="totp_required=" + ",".join(sorted(wanted)))
        flash("Security settings saved.", "success")
        return redirect(url_for("audit.security"))
    return render_template("audit/security.html", policies=policies, roles=list(Role))
