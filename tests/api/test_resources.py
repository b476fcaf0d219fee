"""The resources as an ATS uses them: create and change with ETags, replay with Idempotency-Key, find a candidate
by the ATS's id, create a loop from the job's plan, find times and book one, cancel, page through changes, and read
submitted scorecards (never drafts) and decisions."""

from __future__ import annotations

from datetime import timedelta

from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import PlanSession
from coordinator.scorecards.models import LoopDecision, Scorecard, ScorecardRevision
from coordinator.timeutil import now_utc
from tests.api.support import bearer, make_key


def _client(app, org, scopes=None):
    token = make_key(org["admin"], scopes)
    client = app.test_client()
    return client, token


def test_jobs_created_read_and_changed_with_if_match(app, org):
    client, token = _client(app, org)
    body = {"title": "Staff Engineer", "department": "Payments", "hiring_manager_id": org["manager"].id,
            "recruiter_id": org["recruiter"].id}
    created = client.post("/api/v1/jobs", json=body, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    job = created.get_json()
    assert job["status"] == "open" and job["created_at"].endswith("Z")
    assert created.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    read = client.get(created.headers["Location"], headers=bearer(token))
    etag = read.headers["ETag"]
    assert read.get_json() == job and etag == created.headers["ETag"]
    # no If-Match: 428; a stale one: 412, and nothing changed
    assert client.patch(f"/api/v1/jobs/{job['id']}", json={"title": "X"}, headers=bearer(token)).status_code == 428
    changed = client.patch(f"/api/v1/jobs/{job['id']}", json={"status": "on_hold"},
                           headers=bearer(token, **{"If-Match": etag}))
    assert changed.status_code == 200 and changed.get_json()["status"] == "on_hold"
    assert changed.headers["ETag"] != etag
    stale = client.patch(f"/api/v1/jobs/{job['id']}", json={"title": "Lost update"},
                         headers=bearer(token, **{"If-Match": etag}))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    now = client.get(f"/api/v1/jobs/{job['id']}", headers=bearer(token)).get_json()
    assert now["title"] == "Staff Engineer" and now["status"] == "on_hold"
    # a service refusal names the field
    wrong = client.post("/api/v1/jobs", json={**body, "recruiter_id": org["manager"].id}, headers=bearer(token))
    assert wrong.status_code == 422 and "recruiter_id" in wrong.get_json()["errors"]


def test_idempotency_key_replays_and_creates_once(app, org):
    client, token = _client(app, org)
    body = {"name": "Katherine Johnson", "email": "kj@example.org", "timezone": "America/New_York",
            "job_id": org["job"].id, "external_id": "gh-4711"}
    headers = bearer(token, **{"Idempotency-Key": "create-kj-1"})
    first = client.post("/api/v1/candidates", json=body, headers=headers)
    again = client.post("/api/v1/candidates", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    found = client.get("/api/v1/candidates?external_id=gh-4711", headers=bearer(token)).get_json()
    assert [c["id"] for c in found["items"]] == [first.get_json()["id"]]
    by_id = client.get("/api/v1/candidates/by-external-id/gh-4711", headers=bearer(token))
    assert by_id.status_code == 200 and by_id.get_json()["name"] == "Katherine Johnson"
    other = client.post("/api/v1/candidates", json={**body, "name": "Someone else"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["detail"]
    duplicate = client.post("/api/v1/candidates", json={**body, "email": "k2@example.org"}, headers=bearer(token))
    assert duplicate.status_code == 409 and "external_id" in duplicate.get_json()["errors"]


def test_candidate_patch_with_etag(app, org):
    client, token = _client(app, org)
    path = f"/api/v1/candidates/{org['candidate'].id}"
    etag = client.get(path, headers=bearer(token)).headers["ETag"]
    changed = client.patch(path, json={"external_id": "lever-9", "stage": "scheduled"},
                           headers=bearer(token, **{"If-Match": etag}))
    assert changed.status_code == 200 and changed.get_json()["external_id"] == "lever-9"
    unknown = client.patch(path, json={"shoe_size": 42}, headers=bearer(token, **{"If-Match": changed.headers["ETag"]}))
    assert unknown.status_code == 422 and "shoe_size" in unknown.get_json()["errors"]["json"]


def test_a_loop_from_the_plan_found_times_booked_and_cancelled(app, org):
    db.session.add(PlanSession(job_id=org["job"].id, position=0, title="System design", kind="one_on_one",
                               duration_min=60, interviewer_count=1))
    db.session.commit()
    client, token = _client(app, org)
    created = client.post("/api/v1/loops", json={"candidate_id": org["candidate"].id}, headers=bearer(token))
    assert created.status_code == 201
    loop = created.get_json()
    assert [s["title"] for s in loop["sessions"]] == ["System design"] and loop["status"] == "planning"
    session_id = loop["sessions"][0]["id"]
    # name the interviewer (the plan had none) through the loop services, as the loop page would
    from coordinator.loops.models import Loop, LoopSession
    row = db.session.get(LoopSession, session_id)
    loops.update_session(row, loops.SessionData(title="System design", kind="one_on_one", duration_min=60,
                                                interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    db.session.commit()
    found = client.post(f"/api/v1/loops/{loop['id']}/find-times", json={"options": 2}, headers=bearer(token))
    assert found.status_code == 200, found.get_json()
    options = found.get_json()["options"]
    assert options and options[0]["sessions"][0]["interviewer_ids"] == [org["interviewer"].id]
    chosen = [{k: s[k] for k in ("session_id", "start", "interviewer_ids", "shadow_ids")}
              for s in options[0]["sessions"]]
    stale_etag = client.get(f"/api/v1/loops/{loop['id']}", headers=bearer(token)).headers["ETag"]
    booked = client.post(f"/api/v1/loops/{loop['id']}/book", json={"sessions": chosen}, headers=bearer(token))
    assert booked.status_code == 200, booked.get_json()
    assert booked.get_json()["status"] == "scheduled"
    assert booked.get_json()["sessions"][0]["start"] == chosen[0]["start"]
    refused = client.post(f"/api/v1/loops/{loop['id']}/cancel", json={"reason": "Withdrew"},
                          headers=bearer(token, **{"If-Match": stale_etag}))
    assert refused.status_code == 412
    assert db.session.get(Loop, loop["id"]).status == "scheduled"
    cancelled = client.post(f"/api/v1/loops/{loop['id']}/cancel", json={"reason": "Withdrew"},
                            headers=bearer(token, **{"If-Match": booked.headers["ETag"]}))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_loops_page_by_cursor_and_updated_since(app, org):
    for _ in range(5):
        loops.create_loop(org["candidate"], org["recruiter"])
    db.session.commit()
    client, token = _client(app, org)
    seen, cursor, pages = [], None, 0
    while True:
        answer = client.get("/api/v1/loops?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                            headers=bearer(token)).get_json()
        seen += [loop["id"] for loop in answer["items"]]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5 and pages == 3
    later = (now_utc() + timedelta(minutes=5)).isoformat()
    empty = client.get("/api/v1/loops", query_string={"updated_since": later}, headers=bearer(token))
    assert empty.get_json() == {"items": [], "next_cursor": None}


def test_scorecards_only_submitted_only_with_the_scope(app, org):
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData(title="Chat", kind="one_on_one", duration_min=30,
                                                        interviewer_ids=(org["interviewer"].id,)), org["recruiter"])
    db.session.flush()
    now = now_utc()
    draft = Scorecard(loop_id=loop.id, session_id=session.id, interviewer_id=org["manager"].id, status="draft",
                      recommendation="hire", takeaways="DRAFT TEXT", created_dt=now, updated_dt=now)
    done = Scorecard(loop_id=loop.id, session_id=session.id, interviewer_id=org["interviewer"].id,
                     status="submitted", recommendation="strong_hire", takeaways="Current row", revision=1,
                     created_dt=now, updated_dt=now, submitted_dt=now)
    db.session.add_all([draft, done])
    db.session.flush()
    db.session.add(ScorecardRevision(scorecard_id=done.id, number=1, created_dt=now, author_id=org["interviewer"].id,
                                     recommendation="strong_hire", takeaways="Clear thinker", areas=[]))
    db.session.add(LoopDecision(loop_id=loop.id, outcome="hire", rationale="Strong loop",
                                decided_by_id=org["manager"].id, decided_dt=now))
    db.session.commit()
    client, token = _client(app, org, ["scorecards:read", "decisions:read"])
    cards = client.get(f"/api/v1/scorecards?loop_id={loop.id}", headers=bearer(token)).get_json()["items"]
    assert [(c["id"], c["takeaways"], c["revision"]) for c in cards] == [(done.id, "Clear thinker", 1)]
    assert "DRAFT TEXT" not in client.get("/api/v1/scorecards", headers=bearer(token)).get_data(as_text=True)
    decisions = client.get("/api/v1/decisions", headers=bearer(token)).get_json()["items"]
    assert [(d["loop_id"], d["outcome"]) for d in decisions] == [(loop.id, "hire")]
    _, loops_only = _client(app, org, ["loops:read"])
    assert client.get("/api/v1/scorecards", headers=bearer(loops_only)).status_code == 403


def test_focus_areas_listed(app, org):
    from coordinator.focus.models import FocusArea

    db.session.add(FocusArea(name="System design", description="Trade-offs"))
    db.session.commit()
    client, token = _client(app, org, ["focus_areas:read"])
    items = client.get("/api/v1/focus-areas", headers=bearer(token)).get_json()["items"]
    assert [a["name"] for a in items] == ["System design"]
