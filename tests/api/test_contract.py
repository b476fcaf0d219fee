"""Contract tests generated from the OpenAPI document (schemathesis) against the app: for every operation, requests
built from its schemas never get a 500, and every response matches what the document says (status, content type,
body schema)."""

from __future__ import annotations

from collections import defaultdict

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from coordinator.extensions import db
from coordinator.loops import services as loops
from tests.api.support import bearer, make_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_500_and_every_answer_as_documented(app, org):
    app.config["API_RATE_PER_MINUTE"] = 1_000_000
    loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()
    token = make_key(org["admin"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18  # every /api/v1 operation (test_openapi checks none is missing)
    failures = []
    seen: dict[str, set[int]] = defaultdict(set)
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=bearer(token))
            seen[case.operation.label].add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # the generated requests reached the views: some were answered, some refused by validation
    codes = set().union(*seen.values())
    assert 200 in codes and 422 in codes, dict(seen)

