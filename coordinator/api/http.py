"""The API's HTTP plumbing: bearer keys (no cookie, no CSRF), problem+json errors (RFC 9457) for every 4xx and
5xx under /api/, rate limits per key, an audit event for every call, ETag/If-Match and Idempotency-Key."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request
from werkzeug.exceptions import HTTPException

from coordinator.api import services
from coordinator.auth.permissions import key_allows

PREFIX = "/api/"
#: reachable without a key: the description and its page
PUBLIC_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")
PROBLEM_TYPE = "application/problem+json"


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def problem(status: int, detail: str | None = None, *, errors: Any = None,
            headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem: type, title, status, detail, instance (and per-field errors)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail or title, "instance": request.path}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_error(code: int, detail: str | None, exc: BaseException | None) -> Response:
    """errors.py calls this for every error under /api/."""
    errors = None
    headers: dict[str, str] = {}
    if isinstance(exc, HTTPException):
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")
        if messages:
            # webargs: {"json": {...}} or {"query": {...}}, per location
            errors = messages
            detail = detail or "The request did not validate; see errors."
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="coordinator"'
        if detail is None and exc.description != type(exc).description:
            detail = exc.description
    if isinstance(exc, services.ApiError) and exc.field:
        errors = {exc.field: [exc.message]}
    if code >= 500:
        detail = "Something went wrong on our side; the error has been logged."
    return problem(code, detail, errors=errors, headers=headers)


def scoped(resource: str, action: str = "read") -> None:
    """403 unless the calling key holds the scope."""
    if not key_allows(g.api_scopes, resource, action):
        raise services.ApiError(f"This key lacks the {resource}:{action} scope.", 403)


def api_user():
    return g.api_user


# --- ETags ---------------------------------------------------------------------------------------------------------

def etag_of(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()


def with_etag(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = make_response(json.dumps(data), status)
    response.mimetype = "application/json"
    response.set_etag(etag_of(data))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def check_if_match(current: Any, *, required: bool) -> None:
    """A change sent with If-Match must name the item's current ETag (else 412, nothing changed); PATCH must send
    one (428)."""
    if not request.if_match:
        if required:
            raise services.ApiError("Send If-Match with the ETag you read, so a stale update cannot overwrite "
                                    "a newer one.", 428)
        return
    if request.if_match.star_tag:
        return
    if not request.if_match.contains(etag_of(current)):
        raise services.ApiError("The item changed since you read it (its ETag differs); read it again and "
                                "retry. Nothing was changed.", 412)


# --- Idempotency-Key -----------------------------------------------------------------------------------------------

IDEMPOTENCY_DOC = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string", "maxLength": 255},
                   "description": "Sent again with the same request, the stored response is replayed and nothing "
                                  "is created twice (kept 24 hours)."}
IF_MATCH_DOC = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
                "description": "The ETag you read; a stale one is refused with 412."}


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Creating calls: with an Idempotency-Key, a successful response is stored (in the same transaction as what it
    created) and replayed for the same key and request."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ikey = request.headers.get("Idempotency-Key")
        if ikey is None:
            return view(*args, **kwargs)
        ikey = ikey.strip()
        if not ikey or len(ikey) > 255:
            raise services.ApiError("Idempotency-Key is 1 to 255 characters.", 400)
        fingerprint = services.request_fingerprint(request.method, request.path, request.get_data())
        stored = services.stored_response(g.api_key_id, ikey, fingerprint)
        if stored is not None:
            replay = Response(stored.body, stored.status, mimetype="application/json")
            for name, value in stored.headers.items():
                replay.headers[name] = value
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            kept = {k: v for k, v in response.headers.items() if k in ("Location", "ETag")}
            services.store_response(g.api_key_id, ikey, fingerprint, response.status_code,
                                    response.get_data(as_text=True), kept)
        return response
    return wrapper


# --- the hooks -----------------------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    @app.before_request
    def authenticate():
        if not is_api_request() or request.path in PUBLIC_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        key = services.key_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            g.api_denied = True
            return problem(401, "Send a valid API key as 'Authorization: Bearer <key>'.",
                           headers={"WWW-Authenticate": 'Bearer realm="coordinator"'})
        g.api_key_id, g.api_user, g.api_scopes = key.id, key.user, frozenset(key.scopes)
        g.api_actor = SimpleNamespace(id=key.user.id, email=key.user.email)  # for the audit record, after commit
        wait = services.rate_wait(key.id, int(current_app.config.get("API_RATE_PER_MINUTE")
                                              or services.RATE_PER_MINUTE))
        if wait is not None:
            g.api_throttled = True
            return problem(429, f"Too many calls with this key; wait {wait} seconds.",
                           headers={"Retry-After": str(wait)})
        return None

    @app.after_request
    def account(response: Response) -> Response:
        if not is_api_request():
            return response
        response.headers["Cache-Control"] = "no-store"
        if request.path in PUBLIC_PATHS:
            return response
        _audit(response.status_code)
        return response


def _audit(status: int) -> None:
    """Every call with a key is counted for its rate limit and written to the audit log, in a short transaction of
    its own (the request's own transaction has ended; a refused call is logged too)."""
    from coordinator.audit.services import clean, record
    from coordinator.web import persist_apart

    what = clean(f"{request.method} {request.full_path.rstrip('?')} -> {status}")
    key_id = g.get("api_key_id")

    def write() -> None:
        if key_id is None:
            record("api.unauthorized", detail=what, actor_label="anonymous")
            return
        if not g.get("api_throttled"):
            services.note_call(key_id)
        record("api.call", "api_key", key_id, detail=what, actor=g.api_actor)

    try:
        persist_apart(write)
    except Exception:  # noqa: BLE001 - the log must not turn an answer into a 500
        current_app.logger.exception("api: could not record %s", what)
