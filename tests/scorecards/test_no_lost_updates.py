"""No lost updates, on SQLite and PostgreSQL: a save from a stale tab gets a 409 page showing both texts and
overwrites nothing; two saves at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.scorecards.models import Scorecard
from tests.helpers import login, text_of
from tests.scorecards.support import build_world, form_data, version_on


def _card(world) -> Scorecard:
    db.session.expire_all()
    return db.session.scalar(select(Scorecard).where(Scorecard.session_id == world.panel.id,
                                                     Scorecard.interviewer_id == world.ian.id))


def test_a_stale_tab_gets_both_texts_and_overwrites_nothing(any_db_app):
    world = build_world()
    areas = [world.areas["Problem solving"], world.areas["System design"]]
    solving = areas[0]
    url = f"/scorecards/session/{world.panel.id}"
    laptop, phone = login(any_db_app.test_client(), world.ian), login(any_db_app.test_client(), world.ian)
    # both open the form at version 0
    assert version_on(laptop.get(url)) == 0 and version_on(phone.get(url)) == 0
    saved = laptop.post(url, data=form_data(areas, version=0, evidence="LAPTOP TEXT"))
    assert saved.status_code == 302
    stale = phone.post(url, data=form_data(areas, version=0, evidence="PHONE TEXT"))
    assert stale.status_code == 409
    text = text_of(stale)
    assert "changed in another tab or on another device" in text and "Nothing was overwritten" in text
    assert f"{solving.name}: PHONE TEXT" in text  # yours, in the box
    assert f"Saved elsewhere: {solving.name}: LAPTOP TEXT" in text  # the saved text beside it
    assert _card(world).area(solving.id).situation == f"{solving.name}: LAPTOP TEXT"
    # the 409 page carries the saved version: saving again after merging is deliberate and works
    merged_version = version_on(stale)
    assert merged_version == _card(world).version
    merged = phone.post(url, data=form_data(areas, version=merged_version, evidence="MERGED TEXT"))
    assert merged.status_code == 302
    assert _card(world).area(solving.id).situation == f"{solving.name}: MERGED TEXT"


def test_a_stale_tab_after_a_submission_elsewhere_is_offered_an_amendment(any_db_app):
    world = build_world()
    areas = [world.areas["Problem solving"], world.areas["System design"]]
    url = f"/scorecards/session/{world.panel.id}"
    laptop, phone = login(any_db_app.test_client(), world.ian), login(any_db_app.test_client(), world.ian)
    assert laptop.post(url, data=form_data(areas, action="submit", evidence="SUBMITTED")).status_code == 302
    stale = phone.post(url, data=form_data(areas, version=0, evidence="LATE DRAFT"))
    assert stale.status_code == 409
    text = text_of(stale)
    assert "a change is now an amendment with a reason" in text and "Why are you amending it?" in text
    assert f'action="{url}/amend"' in stale.get_data(as_text=True)
    assert _card(world).status == "submitted" and "SUBMITTED" in _card(world).areas[0].situation


def _race(app, world, version: int) -> list[int]:
    areas = [world.areas["Problem solving"], world.areas["System design"]]
    url = f"/scorecards/session/{world.panel.id}"
    clients = [login(app.test_client(), world.ian) for _ in range(2)]
    payloads = [form_data(areas, version=version, evidence=f"TAB {n}") for n in range(2)]
    barrier = threading.Barrier(2)
    codes: list[int] = []
    lock = threading.Lock()

    def worker(client, n):
        barrier.wait(timeout=30)
        response = client.post(url, data=payloads[n])
        with lock:
            codes.append(response.status_code)

    db.session.commit()
    threads = [threading.Thread(target=worker, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(codes)


def test_two_saves_at_the_same_moment_one_wins_one_is_told(any_db_app):
    world = build_world()
    assert _race(any_db_app, world, 0) == [302, 409]  # the first save of all: one creates the row
    version = _card(world).version
    assert _race(any_db_app, world, version) == [302, 409]
    assert _card(world).version == version + 1
