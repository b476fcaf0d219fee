"""The page benchmark's organisation and page list stay valid: build the small organisation and open every page."""

from __future__ import annotations

from sqlalchemy import select

from bench import orgdata
from bench.bench_pages import FLOOR, PAGES, _path, install_floor
from coordinator.extensions import db
from coordinator.loops.models import SessionInterviewer


def test_small_organisation_builds_and_every_benchmarked_page_opens(app):
    org = orgdata.build(orgdata.SMALL, seed=7)
    assert org.counts["loops"] == orgdata.SMALL.candidates
    assert org.counts["busy_blocks"] == orgdata.SMALL.interviewers * orgdata.SMALL.busy_per_interviewer
    # the generator never double-books anyone
    rows = db.session.execute(select(SessionInterviewer.user_id, SessionInterviewer.start_dt,
                                     SessionInterviewer.end_dt).order_by("user_id", "start_dt")).all()
    for (u1, _s1, e1), (u2, s2, _e2) in zip(rows, rows[1:], strict=False):
        assert u1 != u2 or e1 <= s2
    install_floor(app)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    emails = {"recruiter": org.recruiter_email, "manager": org.manager_email, "interviewer": org.interviewer_email}
    for page in [FLOOR, *PAGES]:
        if page.endpoint and page.endpoint not in endpoints:
            continue
        client = app.test_client()
        assert client.post("/login", data={"email": emails[page.who], "password": orgdata.PASSWORD}).status_code == 302
        response = client.get(_path(page, org.__dict__))
        assert response.status_code == 200, (page.name, _path(page, org.__dict__))
        if page.name == "find times":  # the planning loop has options to show, not only "nothing fits"
            assert org.planning_options > 0 and "Book option 1" in response.get_data(as_text=True)
