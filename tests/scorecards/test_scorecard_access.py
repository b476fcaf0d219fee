"""Every scorecard and debrief route, GET and POST, as every kind of person: who gets through and who gets a
403/404 (or the sign-in page). A route of the blueprint missing from the table below fails the test, so a new
route cannot ship without its rule."""

from __future__ import annotations

from flask import url_for

from coordinator.extensions import db
from coordinator.loops.models import SessionInterviewer
from tests.helpers import login
from tests.scorecards.support import build_world, form_data, person

PANEL_SCORERS = {"ian", "jonas", "kim"}
TEAM = {"manager", "recruiter"}

#: (endpoint, method) -> who gets through; everyone else gets 403/404 (signed out: the sign-in page).
#: The scorecard read is Ian's (submitted); Jonas has submitted too, Kim has not.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("scorecards.mine", "GET"): {"ian", "jonas", "kim", "manager", "sam", "olga", "priya"},
    ("scorecards.edit", "GET"): PANEL_SCORERS,
    ("scorecards.edit", "POST"): PANEL_SCORERS,
    ("scorecards.autosave", "POST"): PANEL_SCORERS,
    ("scorecards.amend", "GET"): PANEL_SCORERS,
    ("scorecards.amend", "POST"): PANEL_SCORERS,
    ("scorecards.show", "GET"): {"ian", "jonas"} | TEAM,
    ("scorecards.debrief", "GET"): TEAM,
    ("scorecards.debrief_print", "GET"): TEAM,
    ("scorecards.debrief_csv", "GET"): TEAM,
    ("scorecards.decide", "POST"): TEAM,
}
ROLES = ["anonymous", "admin", "recruiter", "other_recruiter", "manager", "ian", "jonas", "kim", "sam", "priya",
         "olga"]


def test_every_scorecard_route_as_every_role(app):
    world = build_world()
    kim = person("Kim Lee", *world.jonas.roles)
    db.session.flush()
    world.panel.participants.append(SessionInterviewer(user_id=kim.id, role="interviewer", is_active=True,
                                                       start_dt=world.panel.start_dt, end_dt=world.panel.end_dt))
    db.session.commit()
    users = {"admin": world.admin, "recruiter": world.recruiter, "other_recruiter": world.other_recruiter,
             "manager": world.manager, "ian": world.ian, "jonas": world.jonas, "kim": kim, "sam": world.sam,
             "priya": world.priya, "olga": world.olga}
    ian_areas = [world.areas["Problem solving"], world.areas["System design"]]
    jonas_areas = [world.areas["System design"], world.areas["Communication"]]
    for who, areas in (("ian", ian_areas), ("jonas", jonas_areas)):
        response = login(app.test_client(), users[who]).post(
            f"/scorecards/session/{world.panel.id}", data=form_data(areas, action="submit"))
        assert response.status_code == 302, who

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("scorecards.")]
    walked = {(r.endpoint, m) for r in rules for m in r.methods & {"GET", "POST"}}
    assert walked == set(ALLOWED), f"routes without a rule in this test: {walked - set(ALLOWED)}"

    values = {"loop_id": world.loop.id, "session_id": world.panel.id, "user_id": world.ian.id}
    clients = {who: login(app.test_client(), user) for who, user in users.items()}
    clients["anonymous"] = app.test_client()
    failures = []
    for rule in rules:
        with app.test_request_context():
            path = url_for(rule.endpoint, **{k: v for k, v in values.items() if k in rule.arguments})
        for method in sorted(rule.methods & {"GET", "POST"}):
            for who in ROLES:
                client = clients[who]
                if method == "GET":
                    response = client.get(path)
                else:  # a harmless payload: a draft with nothing in it, a decision without a rationale
                    response = client.post(path, data={"version": "0", "action": "save", "outcome": "hire"})
                code = response.status_code
                if who == "anonymous":
                    ok, expected = code == 302 and "/login" in response.headers["Location"], "the sign-in page"
                elif who in ALLOWED[(rule.endpoint, method)]:
                    ok, expected = code < 500 and code not in (401, 403, 404), "through"
                else:
                    ok, expected = code in (403, 404), "403/404"
                if not ok:
                    failures.append(f"{method} {path} as {who}: {code}, expected {expected}")
    assert failures == []
