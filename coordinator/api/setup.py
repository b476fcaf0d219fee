"""Wiring the API into the app: flask-smorest and its OpenAPI 3.1 document, the resource blueprints (no CSRF:
they take no cookie), the admin pages, problem+json errors under /api/, and the webhooks following loops."""

from __future__ import annotations

from flask import Flask

API_CONFIG = {
    "API_TITLE": "coordinator API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def init_app(app: Flask) -> None:
    from coordinator import errors
    from coordinator.api import http, resources, views, webhooks
    from coordinator.extensions import csrf
    from coordinator.loops import changes

    for name, value in API_CONFIG.items():
        app.config.setdefault(name, value)
    api = resources.ProblemApi(app, spec_kwargs={
        "info": {"description": "JSON over HTTP for an ATS. Authenticate with `Authorization: Bearer <key>` (an "
                                "admin makes keys under Settings → API). Times are ISO-8601 in UTC; lists page by "
                                "cursor; errors are application/problem+json (RFC 9457)."},
        "security": [{"bearer": []}],
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for blueprint in resources.BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(views.bp)
    http.init_app(app)
    errors.render_under(http.PREFIX, http.render_error)
    changes.follow("webhooks", webhooks.after_loop_change)
