"""A candidate who books their own loop on their private page gets the same reminders as a recruiter's booking."""

from __future__ import annotations

import html
import re

from tests.portal.conftest import anon, link_for, make_loop, team  # noqa: F401 - fixtures
from tests.reminders.support import kinds, rows


def test_self_booking_schedules_the_loops_reminders(app, team, make_loop, link_for, anon):  # noqa: F811
    loop = make_loop()
    token = link_for(loop, allow_self_booking=True)
    page = anon.get(f"/c/{token}/book")
    options = [html.unescape(v) for v in re.findall(r'name="option" value="([^"]+)"', page.get_data(as_text=True))]
    assert options
    response = anon.post(f"/c/{token}/book", data={"option": options[0], "tz": "Europe/London"})
    assert response.status_code == 302
    scheduled = kinds(rows(loop.id, status="pending"))
    assert scheduled.count("prep_hour") == 3  # the manager, Jonas and Priya
    assert "candidate_day" in scheduled and "decision_today" in scheduled
