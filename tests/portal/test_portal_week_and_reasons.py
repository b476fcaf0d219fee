"""The candidate's week grid opens on a week with a weekday to choose, and a candidate whose marked times are too
short is told why, as the recruiter is (#22)."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import text_of
from tests.portal.test_portal_availability import slots


def _opening_week(html: str) -> str:
    sections = html.split('<section class="week"')[1:]
    opening = [s for s in sections if s.split(">", 1)[0].endswith(" data-start")]
    assert len(opening) == 1
    return opening[0]


def test_a_range_starting_on_a_saturday_opens_on_the_week_with_weekdays(app, team, make_loop, link_for, anon):
    monday = make_loop().window_first_day  # a throwaway loop, for next Monday
    loop = make_loop(first=monday - timedelta(days=2), days=9)  # Saturday to the Sunday after
    token = link_for(loop)
    html = anon.get(f"/c/{token}/availability").get_data(as_text=True)
    assert html.count('<section class="week"') == 2  # the weekend-only week is still there, to go back to
    assert f'value="{monday.isoformat()}T09:00"' in _opening_week(html)


def test_the_page_opens_on_the_week_with_marks(app, team, make_loop, link_for, anon):
    monday = make_loop().window_first_day
    loop = make_loop(first=monday, days=14)
    token = link_for(loop)
    later = monday + timedelta(days=8)
    anon.post(f"/c/{token}/availability", data={"tz": "Europe/London", "slot": slots(later, "09:00", "12:00")})
    html = anon.get(f"/c/{token}/availability").get_data(as_text=True)
    assert f'value="{later.isoformat()}T09:00"' in _opening_week(html)


def test_marked_times_too_short_for_the_loop_are_explained(app, team, make_loop, link_for, anon):
    loop = make_loop()  # back to back: 45 + 10 + 60 minutes
    token = link_for(loop, allow_self_booking=True)
    monday = loop.window_first_day
    assert anon.post(f"/c/{token}/availability",
                     data={"tz": "Europe/London", "slot": slots(monday, "10:00", "11:00")}).status_code == 302
    text = text_of(anon.get(f"/c/{token}/book"))
    assert "No time works for everyone" in text
    assert "The times you marked are all shorter than the 1h 55m back-to-back block (the longest is 60 minutes)." \
        in text
    assert "candidate" not in text.split("No time works")[1].split("Mark my times")[0]
