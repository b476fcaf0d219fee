"""Sign-in, sign-out, the profile and user administration."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coordinator.audit import services as audit
from coordinator.audit.services import client_ip
from coordinator.auth import services, totp
from coordinator.auth.forms import LoginForm, ProfileForm, SetPasswordForm, TotpForm, UserForm
from coordinator.auth.models import User
from coordinator.auth.permissions import can_manage_users
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.forms import apply_service_error
from coordinator.ratelimit import too_many
from coordinator.timeutil import now_utc
from coordinator.web import allowed, keep_own_session, refused

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot be used to redirect elsewhere."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not urlsplit(target).netloc):
        return target
    return url_for("home.index")


PENDING_2FA_SECONDS = 300


def _too_many(wait: int):
    return too_many(render_template("errors/error.html", code=429, title="Too many sign-in attempts",
                                    hint=f"For your safety, wait {wait} seconds before trying again."), wait)


def _complete_login(user: User, target: str | None):
    """The credentials are right: start a fresh session (nothing from before carries over)."""
    session.clear()
    session.permanent = True
    login_user(user)
    if services.complete_sign_in(user, client_ip()):
        session["must_enroll_totp"] = True
        flash("Your role requires a second factor. Set up your authenticator app to continue.", "warning")
        return redirect(url_for("auth.two_factor"))
    return redirect(_safe_next(target))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.check_password(form.email.data, form.password.data, client_ip())
        except services.SignInThrottled as exc:
            return _too_many(exc.wait)
        except services.AccountError as exc:
            apply_service_error(form, exc)
        else:
            if not user.has_totp:
                return _complete_login(user, request.args.get("next"))
            session.clear()
            session["pending_2fa"] = {"token": user.session_token, "at": now_utc().timestamp(),
                                      "next": request.args.get("next")}
            return redirect(url_for("auth.verify_totp"))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" or not form.errors else 400


@bp.route("/login/verify", methods=["GET", "POST"])
def verify_totp():
    """The second step of signing in for users with an authenticator app."""
    pending = session.get("pending_2fa")
    if not pending or now_utc().timestamp() - pending.get("at", 0) > PENDING_2FA_SECONDS:
        session.pop("pending_2fa", None)
        flash("Sign in again.", "info")
        return redirect(url_for("auth.login"))
    user = db.session.scalar(select(User).where(User.session_token == pending["token"]))
    if user is None or not user.is_enabled or not user.has_totp:
        session.pop("pending_2fa", None)
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            services.check_second_factor(user, form.code.data, client_ip())
        except services.SignInThrottled as exc:
            return _too_many(exc.wait)
        except services.AccountError as exc:
            apply_service_error(form, exc)
        else:
            return _complete_login(user, pending.get("next"))
    return render_template("auth/verify_totp.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record("auth.logout", "user", current_user.id)
    current_user.revoke_sessions()  # server-side: a copy of this cookie (or any other) no longer signs anyone in
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Turn the authenticator-app second factor on or off."""
    form = TotpForm()
    required = totp.requires_totp(current_user)
    if not current_user.has_totp:
        secret = session.get("totp_setup_secret") or totp.new_secret()
        session["totp_setup_secret"] = secret
        if form.validate_on_submit():
            counter = totp.verify(secret, form.code.data, None)
            if counter is None:
                form.code.errors = [*form.code.errors, "That code is not right. Check the time on your phone."]
            else:
                current_user.totp_secret, current_user.totp_last_counter = secret, counter
                session.pop("totp_setup_secret", None)
                session.pop("must_enroll_totp", None)
                audit.record("auth.totp_enabled", "user", current_user.id)
                flash("Two-factor sign-in is on. You will be asked for a code at every sign-in.", "success")
                return redirect(url_for("auth.profile"))
        uri = totp.provisioning_uri(current_user, secret)
        return render_template("auth/two_factor.html", form=form, enabled=False, secret=secret,
                               qr=totp.qr_data_uri(uri), required=required), 400 if form.errors else 200
    if form.validate_on_submit():
        if required:
            abort(403)
        counter = totp.verify(current_user.totp_secret, form.code.data, current_user.totp_last_counter)
        if counter is None:
            form.code.errors = [*form.code.errors, "That code is not right."]
        else:
            current_user.totp_secret, current_user.totp_last_counter = None, None
            audit.record("auth.totp_disabled", "user", current_user.id)
            flash("Two-factor sign-in is off.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/two_factor.html", form=form, enabled=True, required=required), \
        400 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.fill_hours(services.working_hours_dict(current_user))
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.job_title = form.job_title.data or ""
        current_user.timezone = form.timezone.data
        services.set_working_hours(current_user, form.hours_dict())
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form), 400 if form.errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    user = services.user_for_password_token(
        token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_LINK_HOURS"]
    )
    if user is None:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)  # ends the user's sessions
        audit.record("user.password_set", "user", user.id, actor=user)
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user), 400 if form.errors else 200


# --- user administration -------------------------------------------------------------------------------------

@bp.route("/users")
@allowed(can_manage_users)
def users():
    rows = db.session.scalars(select(User).where(User.is_service.is_(False)).order_by(User.name)
                              .options(selectinload(User.role_rows))).all()
    return render_template("auth/users.html", users=rows)


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(
        email=form.email.data, name=form.name.data, job_title=form.job_title.data or "",
        timezone=form.timezone.data, roles=frozenset(Role(r) for r in form.roles.data),
        is_enabled=form.is_enabled.data,
    )



@bp.route("/users/new", methods=["GET", "POST"])
@allowed(can_manage_users)
def add_user():
    form = UserForm()
    if request.method == "GET":
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
        form.roles.data = [Role.INTERVIEWER.value]
        form.fill_hours(services.DEFAULT_WORKING_HOURS)
    if form.validate_on_submit():
        try:
            user = services.create_user(_user_data(form), password=form.password.data or None,
                                        working_hours=form.hours_dict())
        except services.AccountError as exc:
            refused(form, exc)
        else:
            roles = ",".join(sorted(r.value for r in user.roles))
            audit.record("user.created", "user", user.id, detail=f"roles={roles}")
            if user.password_hash is None:
                return _show_password_link(user)
            flash(f"{user.name} can now sign in with the one-time password you set.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), 400 if form.errors or form.form_errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allowed(can_manage_users)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.is_service:  # an API key's service user: managed on the API page
        abort(404)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.roles.data = [r.value for r in user.roles]
        form.fill_hours(services.working_hours_dict(user))
    if form.validate_on_submit():
        if user.id == current_user.id and (Role.ADMIN.value not in form.roles.data or not form.is_enabled.data):
            form.roles.errors = [*form.roles.errors, "You cannot remove your own admin role or disable yourself."]
        else:
            try:
                services.update_user(user, _user_data(form))
                services.set_working_hours(user, form.hours_dict())
                if form.password.data:
                    services.set_password(user, form.password.data)  # ends every session of theirs
                    keep_own_session(user)
            except services.AccountError as exc:
                refused(form, exc)
            else:
                audit.record("user.updated", "user", user.id,
                             detail=f"roles={','.join(sorted(r.value for r in user.roles))} enabled={user.is_enabled}"
                             + (" password_set" if form.password.data else ""))
                flash(f"{user.name} is saved.", "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user), 400 if form.errors or form.form_errors else 200


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@allowed(can_manage_users)
def password_link(user_id: int):
    user = db.get_or_404(User, user_id)
    return _show_password_link(user)


def _show_password_link(user: User):
    audit.record("user.password_link", target_type="user", target_id=user.id)
    token = services.make_password_token(user, current_app.config["SECRET_KEY"])
    link = url_for("auth.set_password", token=token, _external=True)
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    return render_template("auth/password_link.html", user=user, link=link, hours=hours, now=now_utc())
