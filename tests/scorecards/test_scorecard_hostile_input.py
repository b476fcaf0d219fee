"""The scorecard form fed valid input with one or two fields mutated into hostile values (hypothesis): never a 500,
every 400 names a field, and a refused save leaves the stored scorecard as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from coordinator.extensions import db
from coordinator.scorecards.models import Scorecard, ScorecardRevision
from tests.helpers import login
from tests.scorecards.support import build_world, form_data

HOSTILE = st.one_of(
    st.sampled_from(["", " ", "x" * 25_000, "-1", "0", "99999999999", "not_assessed", "strong_yes", "superb",
                     "\x00", "a\r\nInjected: header", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "😀" * 60,
                     "\u202e\u2028", "null", "[]"]),
    st.text(max_size=200),
    st.lists(st.text(max_size=10), min_size=2, max_size=3),
)


def _snapshot(world):
    db.session.expire_all()
    card = db.session.scalar(select(Scorecard).where(Scorecard.interviewer_id == world.ian.id))
    db.session.rollback()
    if card is None:
        return None
    return (card.version, card.status, card.takeaways, card.recommendation,
            tuple((a.focus_area_id, a.rating, a.situation, a.not_assessed_reason) for a in card.areas))


def test_the_scorecard_form_survives_hostile_input(app):
    world = build_world()
    areas = [world.areas["Problem solving"], world.areas["System design"]]
    client = login(app.test_client(), world.ian)
    url = f"/scorecards/session/{world.panel.id}"
    assert client.post(url, data=form_data(areas, action="save")).status_code == 302

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(action=st.sampled_from(["save", "submit"]), fields=st.lists(st.sampled_from(sorted(form_data(
        areas, action="save"))), min_size=1, max_size=2, unique=True), values=st.lists(HOSTILE, min_size=2,
                                                                                       max_size=2))
    def run(action, fields, values):
        before = _snapshot(world)
        data = form_data(areas, version=before[0], action=action)
        for field, value in zip(fields, values, strict=False):
            data[field] = value
        response = client.post(url, data=data)
        assert response.status_code < 500, (data, response.status_code)
        html = response.get_data(as_text=True)
        if response.status_code == 400:
            assert 'class="field-error"' in html or 'class="flash flash-error"' in html, fields
            partial_submit = "Not submitted yet" in html  # an incomplete submission keeps the typing as the draft
            if not partial_submit:
                assert _snapshot(world) == before, (fields, response.status_code)
        if response.status_code == 409:
            assert _snapshot(world) == before
        if response.status_code == 302 and action == "submit":  # submitted: back to a draft for the next example
            db.session.execute(delete(ScorecardRevision))
            db.session.execute(update(Scorecard).values(status="draft", revision=0, submitted_dt=None))
            db.session.commit()

    run()
