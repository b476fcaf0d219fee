"""The private link: the token is the only key. Hashed at rest, compared in constant time, expiring, revocable;
a wrong, expired, revoked or mangled token is the same 404; rate limits; private headers on every response."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from coordinator.extensions import db
from coordinator.portal import access, services
from coordinator.portal.models import CandidateLink, CandidatePortalHit
from coordinator.timeutil import now_utc
from tests.helpers import text_of


def private_headers_ok(response) -> bool:
    return (response.headers.get("Cache-Control") == "no-store"
            and response.headers.get("Referrer-Policy") == "no-referrer")


def test_a_working_link_opens_the_candidates_page(app, team, make_loop, link_for, anon):
    loop = make_loop()
    token = link_for(loop)
    response = anon.get(f"/c/{token}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Hello Ada" in page and "Senior Data Engineer" in page and "Rita Recruiter" in page
    assert private_headers_ok(response)
    assert "noindex" in response.headers["X-Robots-Tag"]
    link = db.session.scalar(select(CandidateLink))
    assert link.last_used_dt is not None


def test_the_token_is_unguessable_and_only_its_hash_is_stored(app, team, make_loop, link_for):
    loop = make_loop()
    token = link_for(loop)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    link = db.session.scalar(select(CandidateLink))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dump = "\n".join(str(row) for table in ("candidate_links", "candidate_portals", "loop_events", "audit_events")
                     for row in db.session.execute(text(f"SELECT * FROM {table}")))  # noqa: S608
    assert token not in dump


def _bad_tokens(app, team, make_loop, link_for) -> dict[str, str]:
    loop = make_loop()
    expired = link_for(loop, days=1)
    db.session.scalar(select(CandidateLink).order_by(CandidateLink.id.desc())).expires_dt = now_utc() - timedelta(
        seconds=1)
    db.session.commit()
    other_loop = make_loop()
    revoked = link_for(other_loop)
    services.revoke_links(other_loop, team["recruiter"])
    db.session.commit()
    replaced_loop = make_loop()
    replaced = link_for(replaced_loop)
    current = link_for(replaced_loop)  # a new link revokes the old one
    return {"expired": expired, "revoked": revoked, "replaced": replaced, "wrong": services.new_token(),
            "mangled": current[:-2] + "!~", "truncated": current[:20], "long": "A" * 3000, "unicode": "ünïcødé",
            "dots": "..", "current": current}


def test_wrong_expired_revoked_and_mangled_tokens_get_the_same_404(app, team, make_loop, link_for, anon,
                                                                    monkeypatch):
    monkeypatch.setattr(access, "MAX_FAILURES_PER_ADDRESS", 1000)  # this test fails on purpose many times
    tokens = _bad_tokens(app, team, make_loop, link_for)
    assert anon.get(f"/c/{tokens.pop('current')}").status_code == 200
    bodies = {}
    for kind, token in tokens.items():
        for path in ("", "/availability", "/book", "/calendar.ics"):
            response = anon.get(f"/c/{token}{path}")
            assert response.status_code == 404, (kind, path)
            assert private_headers_ok(response), (kind, path)
            bodies[(kind, path)] = response.get_data(as_text=True)
        response = anon.post(f"/c/{token}/book", data={"option": "x"})
        assert response.status_code == 404
        bodies[(kind, "post")] = response.get_data(as_text=True)
    assert len(set(bodies.values())) == 1  # byte for byte the same page: no hint which kind it was
    page = next(iter(bodies.values()))
    assert "This link does not work" in page and "expired" not in page.lower() and "revoked" not in page.lower()


@pytest.mark.parametrize("path", ["/c/", "/c", "/c/%2F..%2F", "/c/abc/def/ghi", "/c/abc%00def"])
def test_odd_paths_under_c_are_the_same_404_with_private_headers(app, anon, path):
    response = anon.get(f"/c/{services.new_token()}")
    reference = response.get_data(as_text=True)
    response = anon.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert private_headers_ok(response)
    assert "This link does not work" in text_of(response)
    assert response.get_data(as_text=True) == reference


def test_an_unknown_path_under_a_good_token_is_a_404_too(app, team, make_loop, link_for, anon):
    token = link_for(make_loop())
    response = anon.get(f"/c/{token}/admin")
    assert response.status_code == 404 and "This link does not work" in text_of(response)


def test_failed_lookups_from_one_address_are_refused_with_429(app, team, make_loop, link_for, anon, monkeypatch):
    monkeypatch.setattr(access, "MAX_FAILURES_PER_ADDRESS", 3)
    token = link_for(make_loop())
    for _ in range(3):
        assert anon.get(f"/c/{services.new_token()}").status_code == 404
    refused = anon.get(f"/c/{token}")  # even a good token: this address is guessing
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert private_headers_ok(refused)
    assert "Please wait a moment" in text_of(refused)
    other_address = app.test_client()
    assert other_address.get(f"/c/{token}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200


def test_one_token_is_limited_across_addresses(app, team, make_loop, link_for, monkeypatch):
    monkeypatch.setattr(access, "MAX_REQUESTS_PER_TOKEN", 4)
    token = link_for(make_loop())
    statuses = [app.test_client().get(f"/c/{token}", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
                for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_old_hits_are_forgotten(app, team, make_loop, link_for, anon, monkeypatch):
    monkeypatch.setattr(access, "MAX_FAILURES_PER_ADDRESS", 2)
    for _ in range(2):
        anon.get(f"/c/{services.new_token()}")
    for hit in db.session.scalars(select(CandidatePortalHit)):
        hit.created_dt -= services.RATE_WINDOW + timedelta(seconds=1)
    db.session.commit()
    token = link_for(make_loop())
    assert anon.get(f"/c/{token}").status_code == 200


# --- the recruiter's side ------------------------------------------------------------------------------------------

def test_the_recruiter_sends_a_link_sees_it_once_and_can_revoke_it(app, team, make_loop, client_for, anon):
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    panel = text_of(recruiter.get(f"/loops/{loop.id}"))
    assert "Candidate page" in panel and "Not sent yet" in panel
    response = recruiter.post(f"/loops/{loop.id}/candidate-page/link", data={"days": "7"})
    assert response.status_code == 200
    page = text_of(response)
    assert "it is not shown again" in page
    url = re.search(r'value="([^"]+/c/[^"]+)"', response.get_data(as_text=True)).group(1)
    token = url.rsplit("/", 1)[1]
    assert url.startswith("http://localhost/c/")  # from BASE_URL, not the request's Host header
    mailto = re.search(r'href="(mailto:[^"]+)"', response.get_data(as_text=True)).group(1)
    assert mailto.startswith(f"mailto:{team['candidate'].email}?subject=") and token in mailto
    link = db.session.scalar(select(CandidateLink))
    assert link.expires_dt - link.created_dt == timedelta(days=7)
    assert anon.get(f"/c/{token}").status_code == 200
    assert "Works until" in text_of(recruiter.get(f"/loops/{loop.id}"))

    assert recruiter.post(f"/loops/{loop.id}/candidate-page/revoke").status_code == 302
    assert anon.get(f"/c/{token}").status_code == 404
    assert "Revoked" in text_of(recruiter.get(f"/loops/{loop.id}"))


@pytest.mark.parametrize("days", ["0", "61", "-3", "x", ""])
def test_link_lengths_outside_1_to_60_days_are_refused(app, team, make_loop, client_for, days):
    loop = make_loop()
    response = client_for(team["recruiter"]).post(f"/loops/{loop.id}/candidate-page/link", data={"days": days})
    assert response.status_code == 400
    assert "1 to 60 days" in text_of(response)
    assert db.session.scalar(select(CandidateLink)) is None


def test_only_who_manages_the_loop_sends_or_revokes_links(app, team, make_loop, client_for):
    loop = make_loop()
    for person in ("other_recruiter", "interviewer", "manager"):
        client = client_for(team[person])
        assert client.post(f"/loops/{loop.id}/candidate-page/link", data={"days": "7"}).status_code in (403, 404)
        assert client.post(f"/loops/{loop.id}/candidate-page/revoke").status_code in (403, 404)
        assert client.post(f"/loops/{loop.id}/candidate-page/settings",
                           data={"allow_self_booking": "y"}).status_code in (403, 404)
    assert db.session.scalar(select(CandidateLink)) is None
    assert "Candidate page" not in text_of(client_for(team["manager"]).get(f"/loops/{loop.id}"))


def test_a_cancelled_loop_gets_no_link(app, team, make_loop, client_for):
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    recruiter.post(f"/loops/{loop.id}/cancel", data={"reason": "Candidate withdrew"})
    response = recruiter.post(f"/loops/{loop.id}/candidate-page/link", data={"days": "7"})
    assert response.status_code == 400 and "cancelled" in text_of(response)


def test_settings_are_saved_and_bad_ones_refused(app, team, make_loop, client_for):
    loop = make_loop()
    recruiter = client_for(team["recruiter"])
    ok = recruiter.post(f"/loops/{loop.id}/candidate-page/settings",
                        data={"allow_self_booking": "y", "what_to_expect": "Bring water."})
    assert ok.status_code == 302
    portal = services.portal_of(loop)
    assert portal.allow_self_booking and portal.what_to_expect == "Bring water."
    too_long = recruiter.post(f"/loops/{loop.id}/candidate-page/settings",
                              data={"what_to_expect": "x" * 4001})
    assert too_long.status_code == 400
    assert services.portal_of(loop).what_to_expect == "Bring water."
