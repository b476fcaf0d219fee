"""The OpenAPI 3.1 document flask-smorest generates from the schemas: valid, and describing every API route."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def _document(app):
    answer = app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.get_json()


def test_the_document_is_valid_openapi_3_1(app):
    spec = _document(app)
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_api_route_is_described(app):
    paths = _document(app)["paths"]
    described = {(path, method.upper()) for path, ops in paths.items() for method in ops
                 if method in ("get", "post", "put", "patch", "delete")}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ("api-docs.openapi_json", "api_admin.docs"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes <= described, sorted(routes - described)
    assert described <= routes, sorted(described - routes)


def test_errors_are_described_as_problems(app):
    paths = _document(app)["paths"]
    answer = paths["/api/v1/jobs/{job_id}"]["patch"]["responses"]
    assert {"200", "401", "403", "404", "412", "422", "428", "429"} <= set(answer)
    assert "application/problem+json" in answer["412"]["content"]
    assert any(p["name"] == "If-Match" for p in paths["/api/v1/jobs/{job_id}"]["patch"]["parameters"])
    assert any(p["name"] == "Idempotency-Key" for p in paths["/api/v1/candidates"]["post"]["parameters"])
