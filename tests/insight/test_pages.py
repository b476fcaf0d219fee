"""/insight as the hiring team sees it: every report with its chart, table and CSV; a wrong filter is a 400 that
says why; interviewers see none of it; CSV cells that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import io

import pytest

from coordinator import timeutil
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.insight.tables import safe_cell
from tests.helpers import login, new_user, text_of
from tests.insight.support import NOW, build_reports_org

PERIOD = "first=2026-03-02&last=2026-03-15"


@pytest.fixture
def data(app):
    timeutil.set_clock(lambda: NOW)
    try:
        yield build_reports_org()
    finally:
        timeutil.set_clock(None)


def test_the_recruiter_sees_every_report_with_chart_table_and_csv(app, data):
    client = login(app.test_client(), data["recruiter"])
    response = client.get(f"/insight?{PERIOD}&job={data['job_a'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    for title in ("Time to schedule", "Reschedules and cancels", "Interviewer load", "Scorecards",
                  "Decisions by the promised date", "Funnel per job", "Candidate self-booking", "Calibration"):
        assert title in page
    assert html.count("<svg class=\"chart\"") >= 8 and html.count("Download CSV") == 8
    assert "Median 24 h to book" in page and "25% submitted within 24 hours" in page
    assert "33% decided by the promised date" in page
    assert "<title>Ian Interviewer · overdue: 2</title>" in html  # a bar's tooltip: overdue scorecards by person
    assert 'href="/insight" aria-current="page">Insight</a>' in html  # the nav link


def test_csv_has_the_table_rows(app, data):
    client = login(app.test_client(), data["recruiter"])
    response = client.get(f"/insight/load.csv?{PERIOD}&job={data['job_a'].id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["person", "interviews"]
    assert rows[1][:2] == ["Ian Interviewer", "3"]


def test_csv_defuses_formulas(app, data):
    data["hannah"].name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    client = login(app.test_client(), data["recruiter"])
    body = client.get(f"/insight/load.csv?{PERIOD}").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert [safe_cell(v) for v in ("+1", "-x", "@a", "ok", -1.5)] == ["'+1", "'-x", "'@a", "ok", -1.5]


@pytest.mark.parametrize("query, message", [
    ("first=2026-03-15&last=2026-03-02", "The end of the period comes before its start."),
    ("first=yesterday", "Not a valid date value."),
    ("first=2024-01-01&last=2026-03-01", "Choose a period of at most 366 days."),
    ("job=999999", "Not a valid choice."),
])
def test_a_wrong_filter_is_a_400_that_says_why(app, data, query, message):
    client = login(app.test_client(), data["recruiter"])
    response = client.get(f"/insight?{query}")
    assert response.status_code == 400
    assert message in text_of(response)
    assert client.get(f"/insight/schedule.csv?{query}").status_code == 400


def test_an_interviewer_sees_none_of_it_and_another_recruiter_none_of_this_job(app, data):
    client = login(app.test_client(), data["ian"])
    assert client.get("/insight").status_code == 403
    assert client.get("/insight/calibration.csv").status_code == 403
    assert 'href="/insight"' not in client.get("/").get_data(as_text=True)
    other = login(app.test_client(), new_user(Role.RECRUITER, name="Other Recruiter"))
    assert other.get(f"/insight?{PERIOD}&job={data['job_a'].id}").status_code == 400  # not a job they may choose
    page = text_of(other.get(f"/insight?{PERIOD}"))
    assert "Ian Interviewer" not in page and "Data Engineer" not in page
