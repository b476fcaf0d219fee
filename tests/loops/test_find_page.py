"""The find-times page tells a recruiter the truth: a stopped search is not "nothing fits", and a reason shown is
one whose change alone would make the loop fit."""

from __future__ import annotations

from coordinator.extensions import db
from coordinator.loops import booking
from tests.helpers import text_of
from tests.loops.test_loops import add_session, new_loop, options_on, recruiter, team  # noqa: F401 - fixtures


def test_a_search_that_runs_out_of_budget_says_how_far_it_got(app, team, recruiter, monkeypatch):  # noqa: F811
    loop_url = new_loop(recruiter, team["candidate"])
    pool = [str(team[k].id) for k in ("jonas", "priya", "emily")]
    for title in ("Intro", "Coding", "Design"):
        add_session(recruiter, loop_url, title=title, interviewer_ids=[], pool_ids=pool, pool_count="1")
    monkeypatch.setattr(booking, "FIND_NODE_BUDGET", 2)  # the guard itself, made tiny: no component is replaced
    page = recruiter.get(loop_url + "/find")
    text = text_of(page)
    assert page.status_code == 200 and options_on(page) == []
    assert "combinations; there may be more." in text
    assert "Nothing fits" not in text


def test_a_reason_on_the_page_is_the_one_change_that_would_make_it_fit(app, team, recruiter):  # noqa: F811
    """Jonas may do one interview a day and is in both sessions of a back-to-back loop (one day by definition)."""
    jonas = team["jonas"]
    jonas.max_interviews_per_day = 1
    db.session.commit()
    loop_url = new_loop(recruiter, team["candidate"])
    add_session(recruiter, loop_url, title="Intro", interviewer_ids=[str(jonas.id)])
    add_session(recruiter, loop_url, title="Wrap-up", interviewer_ids=[str(jonas.id)])
    text = text_of(recruiter.get(loop_url + "/find"))
    assert "Nothing fits between these days." in text
    assert "Jonas Weber" in text and "daily limit of 1 interview" in text
    assert "grid" not in text
