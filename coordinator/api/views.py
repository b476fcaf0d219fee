"""Admin pages for the API: keys (made and shown once, listed, revoked) and webhook endpoints (registered with
their secret shown once, their deliveries with the receiver's answers, switched off and on); and the API's
readable description at /api/v1/docs."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from coordinator import web
from coordinator.api import services, webhooks
from coordinator.api.forms import ApiKeyForm, WebhookForm
from coordinator.api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from coordinator.audit import services as audit
from coordinator.auth.permissions import can_manage_api
from coordinator.extensions import db
from coordinator.web import allowed, require_valid, submitted

bp = Blueprint("api_admin", __name__)


class _ButtonForm(FlaskForm):
    """A button's POST: only the CSRF token."""


@bp.route("/settings/api")
@allowed(can_manage_api)
def index():
    return render_template("api/index.html", keys=services.list_keys(), endpoints=webhooks.list_endpoints())


@bp.route("/settings/api/keys/new", methods=["GET", "POST"])
@allowed(can_manage_api)
def new_key():
    form = ApiKeyForm()

    def shown_once(new: services.NewKey):
        audit.record("api_key.created", "api_key", new.key.id, detail=f"scopes={','.join(new.key.scopes)}")
        return render_template("api/key_created.html", key=new.key, token=new.token)

    answer = submitted(form, services.ApiError, lambda: services.create_key(form.name.data, form.scopes.data,
                                                                            current_user), shown_once)
    if answer is not None:
        return answer
    return render_template("api/key_form.html", form=form), 400 if form.errors else 200


@bp.route("/settings/api/keys/<int:key_id>/revoke", methods=["POST"])
@allowed(can_manage_api)
def revoke_key(key_id: int):
    key = db.get_or_404(ApiKey, key_id)
    require_valid(_ButtonForm())
    services.revoke_key(key)
    audit.record("api_key.revoked", "api_key", key.id)
    return web.done(f"The key “{key.name}” is revoked; calls with it are refused from now on.",
                    url_for("api_admin.index"))


@bp.route("/settings/api/webhooks/new", methods=["GET", "POST"])
@allowed(can_manage_api)
def new_webhook():
    form = WebhookForm()

    def shown_once(new: webhooks.NewEndpoint):
        audit.record("webhook.created", "webhook", new.endpoint.id, detail=",".join(new.endpoint.events))
        return render_template("api/webhook_created.html", endpoint=new.endpoint, secret=new.secret)

    answer = submitted(form, webhooks.WebhookError, lambda: webhooks.create_endpoint(
        form.url.data, form.events.data, form.description.data, current_user), shown_once)
    if answer is not None:
        return answer
    return render_template("api/webhook_form.html", form=form), 400 if form.errors else 200


@bp.route("/settings/api/webhooks/<int:endpoint_id>")
@allowed(can_manage_api)
def webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return render_template("api/webhook.html", endpoint=endpoint, deliveries=webhooks.recent_deliveries(endpoint))


@bp.route("/settings/api/webhooks/<int:endpoint_id>/toggle", methods=["POST"])
@allowed(can_manage_api)
def toggle_webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    require_valid(_ButtonForm())
    webhooks.set_enabled(endpoint, not endpoint.is_enabled, "Switched off by an admin.")
    audit.record("webhook.enabled" if endpoint.is_enabled else "webhook.disabled", "webhook", endpoint.id)
    state = "on" if endpoint.is_enabled else "off"
    return web.done(f"Deliveries to {endpoint.url} are {state}.", url_for("api_admin.webhook", endpoint_id=endpoint.id))


@bp.route("/settings/api/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
@allowed(can_manage_api)
def retry_delivery(endpoint_id: int, delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    if delivery.endpoint_id != endpoint_id:
        return redirect(url_for("api_admin.webhook", endpoint_id=endpoint_id)), 303
    require_valid(_ButtonForm())
    return web.refused_back(webhooks.WebhookError, lambda: webhooks.retry(delivery),
                            "The delivery is due again; the scheduler sends it within a minute.",
                            url_for("api_admin.webhook", endpoint_id=endpoint_id))


@bp.route("/api/v1/docs")
def docs():
    """The API's description as a page (served here, no script from elsewhere)."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                                   "description": op.get("description", ""), "tags": op.get("tags", []),
                                   "parameters": op.get("parameters", []),
                                   "responses": sorted(op.get("responses", {}))})
    return render_template("api/docs.html", spec=spec, operations=operations)
