"""The candidate marks when they can interview on a week grid in their zone; the recruiter's search sees it at once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coordinator import timeutil
from coordinator.availability import services as availability
from coordinator.availability.models import CandidateWindow
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.loops.models import LoopEvent
from coordinator.portal import services
from tests.helpers import text_of


def slots(day: date, start: str, end: str) -> list[str]:
    """The grid's values for the half-hours from start to end (wall clock) on a day."""
    out = []
    at = datetime.combine(day, time.fromisoformat(start))
    stop = datetime.combine(day, time.fromisoformat(end))
    while at < stop:
        out.append(at.strftime("%Y-%m-%dT%H:%M"))
        at += timedelta(minutes=30)
    return out


def windows(candidate_id: int, source: str | None = None) -> list[tuple[datetime, datetime, str]]:
    query = select(CandidateWindow.start_dt, CandidateWindow.end_dt, CandidateWindow.source).where(
        CandidateWindow.candidate_id == candidate_id).order_by(CandidateWindow.start_dt)
    if source:
        query = query.where(CandidateWindow.source == source)
    return [tuple(row) for row in db.session.execute(query)]


@pytest.fixture
def setup(team, make_loop, link_for):
    loop = make_loop()
    return loop, link_for(loop), loop.window_first_day


def test_the_grid_is_a_plain_form_in_the_candidates_zone(app, setup, anon):
    loop, token, monday = setup
    page = anon.get(f"/c/{token}/availability")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Europe/London" in text_of(page)
    assert f'value="{monday.isoformat()}T09:00"' in html  # a checkbox per half-hour, no script needed
    assert html.count('name="slot"') >= 5 * 20
    assert '<script src="/static/candidate.js" defer></script>' in html and "<script>" not in html

    india = anon.get(f"/c/{token}/availability?tz=Asia/Kolkata")
    assert "Asia/Kolkata (IST, UTC+05:30)" in text_of(india)
    assert f'value="{monday.isoformat()}T14:00"' in india.get_data(as_text=True)


def test_marked_half_hours_become_windows_in_utc_and_the_search_uses_them(app, setup, anon, team):
    loop, token, monday = setup
    data = {"tz": "Asia/Kolkata", "slot": slots(monday, "13:00", "18:00") + slots(monday, "20:00", "21:00")}
    response = anon.post(f"/c/{token}/availability", data=data)
    assert response.status_code == 302
    assert "tz=Asia/Kolkata" in response.headers["Location"]
    saved = windows(team["candidate"].id)
    base = datetime.combine(monday, time(0), tzinfo=UTC)
    assert saved == [(base + timedelta(hours=7, minutes=30), base + timedelta(hours=12, minutes=30), "candidate"),
                     (base + timedelta(hours=14, minutes=30), base + timedelta(hours=15, minutes=30), "candidate")]
    db.session.refresh(team["candidate"])
    assert team["candidate"].timezone == "Asia/Kolkata"  # the candidate told us where they are
    assert "The candidate marked 6 hours" in " ".join(e.summary for e in db.session.scalars(select(LoopEvent)))

    result, _sessions = loops.find_times(db.session.get(type(loop), loop.id))
    assert result.options
    for option in result.options:
        for ps in option.sessions:
            assert any(s <= ps.start and ps.end <= e for s, e, _src in saved)

    home = text_of(anon.get(f"/c/{token}?tz=Asia/Kolkata"))
    assert "You have marked 6 hours so far." in home
    again = anon.get(f"/c/{token}/availability?tz=Asia/Kolkata").get_data(as_text=True)
    assert re.search(rf'value="{monday.isoformat()}T13:00"[^>]*checked', again)


def test_saving_again_replaces_the_candidates_own_windows_but_not_the_recruiters(app, setup, anon, team):
    loop, token, monday = setup
    candidate = team["candidate"]
    recruiter_start = timeutil.local_to_utc(monday + timedelta(days=1), time(9), "Europe/London")
    availability.add_candidate_window(candidate, recruiter_start, recruiter_start + timedelta(hours=3))
    db.session.commit()
    page = anon.get(f"/c/{token}/availability").get_data(as_text=True)
    assert "already noted by your recruiter" in page
    anon.post(f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(monday, "09:00", "12:00")})
    anon.post(f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(monday, "14:00", "15:00")})
    mine = windows(candidate.id, "candidate")
    assert len(mine) == 1 and mine[0][1] - mine[0][0] == timedelta(hours=1)
    assert len(windows(candidate.id, "recruiter")) == 1


def _bad(monday: date) -> list[tuple[dict, str]]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return [
        ({"tz": "Mars/Olympus_Mons", "slot": slots(monday, "09:00", "10:00")},
         "We do not know the time zone “Mars/Olympus_Mons”"),
        ({"tz": "", "slot": slots(monday, "09:00", "10:00")}, "Choose your time zone from the list."),
        ({"tz": "Europe/London", "slot": slots(yesterday, "09:00", "10:00")}, "is already over"),
        ({"tz": "Europe/London", "slot": slots(monday + timedelta(days=30), "09:00", "10:00")},
         "outside the days we are planning for"),
        ({"tz": "Europe/London", "slot": slots(monday + timedelta(days=9), "09:00", "10:00")},
         "outside the days we are planning for"),
        ({"tz": "Europe/London", "slot": ["tomorrow at nine"]}, "could not be read"),
        ({"tz": "Europe/London", "slot": [f"{monday.year}-13-01T09:00"]}, "not a real date or time"),
        ({"tz": "Europe/London", "slot": [f"{monday.isoformat()}T09:15"]}, "half-hours"),
        ({"tz": "Europe/London"}, "Mark at least one half-hour"),
        ({"tz": "Europe/London", "slot": ["x"] * (services.MAX_SLOTS + 1)}, "more half-hours than the range holds"),
    ]


def test_bad_availability_gets_a_clear_400_and_changes_nothing(app, setup, anon, team):
    loop, token, monday = setup
    anon.post(f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(monday, "09:00", "11:00")})
    before = windows(team["candidate"].id)
    assert len(before) == 1
    for data, message in _bad(monday):
        good = slots(monday + timedelta(days=2), "09:00", "10:00")  # a good half-hour next to the bad one
        response = anon.post(f"/c/{token}/availability", data={**data, "slot": good + data.get("slot", [])}
                             if "Mark at least" not in message else data)
        assert response.status_code == 400, message
        assert message in text_of(response), (message, text_of(response)[:600])
        assert response.headers["Cache-Control"] == "no-store"
        assert windows(team["candidate"].id) == before, message
    db.session.refresh(team["candidate"])
    assert team["candidate"].timezone == "Europe/London"


def test_a_refused_form_shows_the_marks_again(app, setup, anon):
    loop, token, monday = setup
    marks = slots(monday, "10:00", "11:00")
    response = anon.post(f"/c/{token}/availability", data={"tz": "Europe/London",
                                                           "slot": [*marks, f"{monday.isoformat()}T09:15"]})
    assert response.status_code == 400
    assert re.search(rf'value="{monday.isoformat()}T10:00"[^>]*checked', response.get_data(as_text=True))


def test_without_the_csrf_token_nothing_is_saved(app, setup, anon, team):
    loop, token, monday = setup
    response = anon.post(f"/c/{token}/availability", data={"tz": "Europe/London",
                                                           "slot": slots(monday, "09:00", "10:00")}, csrf=False)
    assert response.status_code == 400 and "nothing was saved" in text_of(response)
    assert windows(team["candidate"].id) == []


def test_an_unknown_zone_in_the_address_is_a_400_page(app, setup, anon):
    loop, token, _monday = setup
    response = anon.get(f"/c/{token}/availability?tz=Nowhere/Atlantis")
    assert response.status_code == 400
    assert "We do not know the time zone “Nowhere/Atlantis”" in text_of(response)
    assert anon.get(f"/c/{token}?tz=Asia/Calcutta").status_code == 200  # the old name of Asia/Kolkata
    assert "Asia/Kolkata" in text_of(anon.get(f"/c/{token}?tz=Asia/Calcutta"))


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(services.PortalError, match="does not exist in Europe/London: the clocks change"):
        services.parse_slots(["2030-03-31T01:30"], "Europe/London")
    assert services.parse_slots(["2030-03-31T02:00"], "Europe/London") == [datetime(2030, 3, 31, 1, tzinfo=UTC)]


def test_adjacent_half_hours_merge_into_windows_of_at_most_a_day():
    start = datetime(2030, 1, 7, tzinfo=UTC)
    halves = [start + timedelta(minutes=30 * i) for i in range(50)]  # 25 hours in a row
    merged = services.merge_slots(halves)
    assert merged == [(start, start + timedelta(days=1)), (start + timedelta(days=1), start + timedelta(hours=25))]


def _us_spring_change() -> date:
    """The next second Sunday of March (US clocks go 02:00 -> 03:00) at least a week ahead."""
    today = datetime.now(UTC).date()
    for year in (today.year, today.year + 1):
        first = date(year, 3, 1)
        day = first + timedelta(days=(6 - first.weekday()) % 7 + 7)
        if day > today + timedelta(days=7):
            return day
    raise AssertionError("unreachable")


def test_the_grid_has_no_cells_for_times_the_clocks_skip(app, team, make_loop):
    sunday = _us_spring_change()
    loop = make_loop(first=sunday - timedelta(days=6), days=7)
    grid = services.availability_grid(loop, "America/New_York")
    day = next(d for w in grid.weeks for d in w.days if d.day == sunday)
    states = {c.value[-5:]: c.state for c in day.cells}
    assert states["02:00"] == states["02:30"] == "none"
    assert states["03:00"] == "open" and states["01:30"] == "open"
