"""Every page of the page benchmark (and the signed-in floor) issues the same number of SQL statements on an
organisation and on one twice its size: no query per row. The budgets are today's counts, so a new query per page
shows up here first."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bench import orgdata
from bench.bench_pages import FLOOR, PAGES, _path, install_floor
from coordinator import create_app
from coordinator.extensions import db
from tests.conftest import _config

DOUBLE = dataclasses.replace(
    orgdata.SMALL, **{f: 2 * getattr(orgdata.SMALL, f) for f in (
        "interviewers", "recruiters", "managers", "jobs", "candidates", "busy_per_interviewer", "scorecards",
        "reminders")})

#: the most statements each page may issue (the signed-in user and roles are one of them); before issue 19 the
#: large organisation's were 4 / 17 / 39 / 22 / 22 / 25 / 25 / 14 / 6 for the floor and the eight pages,
#: 25 for the board
BUDGET = {
    "signed-in floor": 1,
    "recruiter dashboard": 12,
    "loop page": 30,
    "find times": 16,
    "interview kit": 18,
    "scorecard form": 21,
    "debrief": 19,
    "my interviews": 11,
    "candidate search": 3,
    "scheduling board": 19,
}


@pytest.fixture(scope="module")
def organisations(seed_template: Callable[..., tuple[Path, Any]]) -> dict[str, tuple[Path, dict]]:
    def build(size: orgdata.Size) -> Callable[[Any], dict]:
        return lambda app: orgdata.build(size, seed=7).__dict__
    return {"single": seed_template("pages1", build(orgdata.SMALL)),
            "double": seed_template("pages2", build(DOUBLE))}


def _counts(template: Path, org: dict, folder: Path) -> dict[str, int]:
    folder.mkdir()
    shutil.copy(template, folder / "app.sqlite3")
    app = create_app(_config(f"sqlite:///{folder / 'app.sqlite3'}", folder, WTF_CSRF_ENABLED=False))
    install_floor(app)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    emails = {"recruiter": org["recruiter_email"], "manager": org["manager_email"],
              "interviewer": org["interviewer_email"]}
    counted: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counted.append(statement)

    with app.app_context():  # requests run outside it: each has its own `g`, as in production
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        out = {}
        for page in [FLOOR, *PAGES]:
            if page.endpoint and page.endpoint not in endpoints:
                continue
            client = app.test_client()
            login = client.post("/login", data={"email": emails[page.who], "password": orgdata.PASSWORD})
            assert login.status_code == 302
            client.get(_path(page, org))  # once before counting: nothing cached for the first request only
            counted.clear()
            response = client.get(_path(page, org))
            assert response.status_code == 200, page.name
            out[page.name] = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    return out


def test_each_page_issues_the_same_queries_when_the_organisation_doubles(organisations, tmp_path):
    single = _counts(*organisations["single"], tmp_path / "a")
    double = _counts(*organisations["double"], tmp_path / "b")
    assert single == double
    over = {name: (n, BUDGET[name]) for name, n in single.items() if n > BUDGET[name]}
    assert not over, f"pages over their query budget (count, budget): {over}"
