"""The route walk for keys: every /api/v1 route, called with a key of each scope. A key lacking the resource's
scope (read for GET, write for the rest) gets 403 before anything else is read; a key holding it never gets 401 or
403; nothing ever answers 500."""

from __future__ import annotations

import pytest

from coordinator import create_app
from coordinator.auth.permissions import api_scope_names, key_allows
from coordinator.extensions import db
from coordinator.loops import services as loops
from tests.api.support import bearer, make_key


def _api_routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": "/tmp"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint.startswith("api_") and rule.endpoint.split(".")[0] != "api_admin":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}")


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), list(_api_routes()))
def test_each_scope_on_each_route(app, org, rule_text, endpoint, method):
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    org["candidate"].external_id = "ats-1"
    db.session.commit()
    resource = endpoint.split(".")[0].removeprefix("api_")
    action = "read" if method == "GET" else "write"
    path = (rule_text.replace("<int:job_id>", str(org["job"].id))
            .replace("<int:candidate_id>", str(org["candidate"].id)).replace("<int:loop_id>", str(loop.id))
            .replace("<external_id>", "ats-1"))
    client = app.test_client()
    outcomes = {}
    for scope in api_scope_names():
        token = make_key(org["admin"], [scope], name=scope)
        answer = client.open(path, method=method, json={}, headers=bearer(token))
        assert answer.status_code < 500, (scope, answer.get_json())
        outcomes[scope] = answer.status_code
        if key_allows([scope], resource, action):
            assert answer.status_code not in (401, 403), (scope, answer.get_json())
        else:
            assert answer.status_code == 403, (scope, answer.status_code)
    assert any(code != 403 for code in outcomes.values()), f"no scope opens {method} {rule_text}"
