"""Admin pages: the audit log and the per-role security policy."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.audit import services as audit
from coordinator.audit.models import AuditEvent, RolePolicy
from coordinator.auth import services as auth_services
from coordinator.auth.permissions import can_manage_users
from coordinator.auth.roles import Role
from coordinator.auth.totp import requires_totp
from coordinator.extensions import db
from coordinator.web import allowed, keep_own_session

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
                           names=audit.target_names(events),
                           next_before=events[-1].id if len(events) == PAGE else None)


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


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
        newly_required = {r for r in wanted if not (policies.get(r) and policies[r].requires_totp)}
        for role in Role:
            policy = policies.get(role.value) or RolePolicy(role=role.value)
            db.session.add(policy)
            policy.requires_totp = role.value in wanted
        audit.record("security.policy_changed", detail="totp_required=" + ",".join(sorted(wanted)))
        # Whoever holds a newly required role is signed out everywhere and asked for the factor at the next sign-in.
        signed_out = auth_services.end_sessions_of_role_holders(newly_required)
        if any(user.id == current_user.id for user in signed_out):
            keep_own_session(current_user)
            if requires_totp(current_user) and not current_user.has_totp:
                session["must_enroll_totp"] = True
        flash("Security settings saved."
              + (f" {_people(len(signed_out))} holding a newly required role must sign in again." if signed_out
                 else ""), "success")
        return redirect(url_for("audit.security"))
    return render_template("audit/security.html", policies=policies, roles=list(Role))
