"""Availability through the test client: busy times by hand and from calendar files, load limits, candidate
windows, who may do what, and the one-query read the scheduler uses.

The clock stands at Thursday 5 March 2026, 09:00 UTC (see tests/loops/conftest.py) unless a test moves it.
Expected instants are written out by hand.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from coordinator.auth.roles import Role
from coordinator.availability import calendar_import
from coordinator.availability import services as availability
from coordinator.availability.models import BusyBlock, CalendarImport, CandidateWindow
from coordinator.extensions import db
from coordinator.scheduling import Interval
from tests.helpers import text_of

DATA = Path(__file__).resolve().parent.parent / "availability" / "data"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spans(user, source: str | None = None) -> list[tuple[datetime, datetime]]:
    query = select(BusyBlock).where(BusyBlock.user_id == user.id).order_by(BusyBlock.start_dt, BusyBlock.end_dt)
    if source:
        query = query.where(BusyBlock.source == source)
    return [(b.start_dt, b.end_dt) for b in db.session.scalars(query)]


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def add_busy(client, user, **fields):
    return client.post(f"/availability/{user.id}/busy", data=fields)


def upload(client, user, data: bytes, filename: str = "calendar.ics"):
    return client.post(f"/availability/{user.id}/import", data={"calendar_file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.fixture
def berliner(make_user):
    return make_user(Role.INTERVIEWER, name="Anna Schmidt", email="anna.schmidt@example.com",
                     timezone="Europe/Berlin")


# --- the page -------------------------------------------------------------------------------------------------


def test_my_availability_shows_hours_zone_limits_and_an_empty_state(org, client_for, clock):
    response = client_for(org["interviewer"]).get("/availability")
    assert response.status_code == 200
    page = text_of(response)
    assert "My availability" in page
    assert "Times in Asia/Kolkata (your time now: Thu 05 Mar 2026, 14:30 IST)" in page
    assert "Monday 09:00 – 17:00" in page and "Sunday Day off" in page
    assert "Change your working hours and time zone on your profile" in page
    assert 'href="/profile"' in response.get_data(as_text=True)
    assert "Busy times · next 4 weeks, Thu 5 Mar – Wed 1 Apr 2026" in page
    assert "No busy times in the next 4 weeks." in page
    assert "No calendar imported yet." in page
    html = response.get_data(as_text=True)
    assert input_value(html, "max_per_day") == "2" and input_value(html, "max_per_week") == "5"
    assert input_value(html, "buffer_before_min") == "0"


def test_everyone_signed_in_has_availability_in_the_navigation(org, client_for, clock):
    for who in ("interviewer", "recruiter", "admin", "manager"):
        page = client_for(org[who]).get("/").get_data(as_text=True)
        assert '<a href="/availability">Availability</a>' in page, who
    mine = client_for(org["interviewer"]).get("/availability").get_data(as_text=True)
    assert '<a href="/availability" aria-current="page">Availability</a>' in mine


def test_signed_out_visitors_are_sent_to_sign_in(app, org):
    response = app.test_client().get("/availability")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- busy times by hand ---------------------------------------------------------------------------------------


def test_busy_time_after_the_european_clock_change_is_two_hours_off_utc(berliner, client_for, clock):
    client = client_for(berliner)
    response = add_busy(client, berliner, day="2026-03-30", start="09:00", end="10:00")
    assert response.status_code == 302 and response.headers["Location"] == "/availability#busy"
    response = add_busy(client, berliner, day="2026-03-27", start="09:00", end="10:00", summary="Dentist")
    assert response.status_code == 302
    assert spans(berliner) == [(utc(2026, 3, 27, 8), utc(2026, 3, 27, 9)), (utc(2026, 3, 30, 7), utc(2026, 3, 30, 8))]
    page = text_of(client.get("/availability"))
    assert "Fri 27 Mar 09:00 – 10:00 CET Dentist Added by hand" in page
    assert "Mon 30 Mar 09:00 – 10:00 CEST Busy Added by hand" in page


def test_busy_times_in_the_us_week_of_9_march(make_user, client_for, clock):
    new_yorker = make_user(Role.INTERVIEWER, timezone="America/New_York")
    client = client_for(new_yorker)
    for day in ("2026-03-06", "2026-03-09", "2026-03-10"):
        assert add_busy(client, new_yorker, day=day, start="09:00", end="10:30").status_code == 302
    assert spans(new_yorker) == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 15, 30)),  # EST, UTC-5
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 14, 30)),  # EDT, UTC-4 from Sunday 8 March
        (utc(2026, 3, 10, 13), utc(2026, 3, 10, 14, 30)),
    ]
    page = text_of(client.get("/availability"))
    assert "Fri 6 Mar 09:00 – 10:30 EST" in page and "Mon 9 Mar 09:00 – 10:30 EDT" in page


def test_a_block_across_the_clock_change_names_both_abbreviations(berliner, client_for, clock):
    client = client_for(berliner)
    assert add_busy(client, berliner, day="2026-03-29", start="01:00", end="04:00").status_code == 302
    assert spans(berliner) == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]  # two real hours
    assert "Sun 29 Mar 01:00 CET – 04:00 CEST" in text_of(client.get("/availability"))


def test_all_day_blocks_cover_the_local_days(berliner, client_for, clock):
    client = client_for(berliner)
    assert add_busy(client, berliner, day="2026-03-29", all_day="y").status_code == 302  # a 23-hour day
    assert add_busy(client, berliner, day="2026-03-10", until="2026-03-12", all_day="y",
                    summary="Offsite").status_code == 302
    assert spans(berliner) == [(utc(2026, 3, 9, 23), utc(2026, 3, 12, 23)),
                               (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))]
    page = text_of(client.get("/availability"))
    assert "Sun 29 Mar All day Busy" in page
    assert "Tue 10 Mar All day, Tue 10 Mar – Thu 12 Mar Offsite" in page


def test_an_evening_block_into_the_next_day(berliner, client_for, clock):
    client = client_for(berliner)
    response = add_busy(client, berliner, day="2026-03-10", until="2026-03-11", start="22:00", end="02:00")
    assert response.status_code == 302
    assert spans(berliner) == [(utc(2026, 3, 10, 21), utc(2026, 3, 11, 1))]
    assert "Tue 10 Mar 22:00 – Wed 11 Mar, 02:00 CET" in text_of(client.get("/availability"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2026-03-10", "start": "10:00", "end": "09:00"}, "The end must be after the start."),
        ({"day": "2026-03-10", "start": "10:00", "end": "10:00"}, "This time range is empty"),
        ({"day": "2026-03-29", "start": "02:00", "end": "03:00"}, "a skipped hour does not exist"),
        ({"day": "2026-03-06", "until": "2026-03-20", "all_day": "y"}, "at most 14 days long"),
        ({"day": "2026-03-10", "start": "25:99", "end": "10:00"}, "Enter a time such as 09:30."),
        ({"day": "2026-03-10", "start": "nine", "end": "10:00"}, "Enter a time such as 09:30."),
        ({"day": "2026-02-30", "start": "09:00", "end": "10:00"}, "Enter a date such as 2026-03-30."),
        ({"day": "", "start": "09:00", "end": "10:00"}, "Choose the date."),
        ({"day": "2026-03-10", "end": "10:00"}, "Give a start time, or tick “All day”."),
        ({"day": "2026-03-10", "start": "09:00"}, "Give an end time, or tick “All day”."),
        ({"day": "2026-03-10", "until": "2026-03-09", "all_day": "y"}, "The last day must not be before"),
        ({"day": "2026-03-04", "start": "09:00", "end": "10:00"}, "This time is already over"),
        ({"day": "2026-03-10", "start": "09:00", "end": "10:00", "summary": "a\nb"}, "Use a single line"),
        ({"day": "2028-04-01", "start": "09:00", "end": "10:00"}, "Choose a date within the next two years."),
        ({"day": "9999-12-31", "all_day": "y"}, "Choose a date within the next two years."),
        ({"day": "0001-01-01", "start": "00:00", "end": "10:00"}, "Choose a date within the next two years."),
    ],
    ids=["reversed", "empty", "dst-gap", "over-14-days", "hour-25", "words", "feb-30", "no-date", "no-start",
         "no-end", "until-before", "past", "newline", "too-far", "year-9999", "year-1"],
)
def test_bad_busy_times_are_field_errors_and_nothing_is_saved(berliner, client_for, clock, fields, message):
    client = client_for(berliner)
    assert add_busy(client, berliner, day="2026-03-12", start="09:00", end="10:00").status_code == 302
    response = add_busy(client, berliner, **fields)
    assert response.status_code == 400
    assert message in text_of(response)
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert spans(berliner) == [(utc(2026, 3, 12, 8), utc(2026, 3, 12, 9))]  # what was saved is still there


def test_duplicates_are_not_added_twice_but_overlaps_are_kept(berliner, client_for, clock):
    client = client_for(berliner)
    add_busy(client, berliner, day="2026-03-12", start="09:00", end="10:00")
    response = add_busy(client, berliner, day="2026-03-12", start="09:00", end="10:00")
    assert response.status_code == 302
    assert "already on the list" in text_of(client.get("/availability"))
    add_busy(client, berliner, day="2026-03-12", start="09:30", end="11:00")
    assert spans(berliner) == [(utc(2026, 3, 12, 8), utc(2026, 3, 12, 9)),
                               (utc(2026, 3, 12, 8, 30), utc(2026, 3, 12, 10))]


def test_delete_a_busy_time_needs_a_csrf_token_and_an_existing_block(berliner, make_user, client_for, clock):
    client = client_for(berliner)
    add_busy(client, berliner, day="2026-03-12", start="09:00", end="10:00")
    block_id = db.session.scalar(select(BusyBlock.id).where(BusyBlock.user_id == berliner.id))
    assert client.post(f"/availability/{berliner.id}/busy/{block_id}/delete", csrf=False).status_code == 400
    assert len(spans(berliner)) == 1

    someone = make_user(Role.INTERVIEWER)
    assert client.post(f"/availability/{berliner.id}/busy/999999/delete").status_code == 404
    assert client.post(f"/availability/{someone.id}/busy/{block_id}/delete").status_code == 403
    assert client.get(f"/availability/{berliner.id}/busy/{block_id}/delete").status_code == 405

    response = client.post(f"/availability/{berliner.id}/busy/{block_id}/delete")
    assert response.status_code == 302
    assert spans(berliner) == []
    assert "Busy time removed: Thu 12 Mar, 09:00 – 10:00 CET." in text_of(client.get("/availability"))
    assert client.post(f"/availability/{berliner.id}/busy/{block_id}/delete").status_code == 404


# --- load limits and buffers ----------------------------------------------------------------------------------


def test_load_limits_are_saved(berliner, client_for, clock):
    client = client_for(berliner)
    response = client.post(f"/availability/{berliner.id}/limits", data={
        "max_per_day": "3", "max_per_week": "8", "buffer_before_min": "10", "buffer_after_min": "15"})
    assert response.status_code == 302 and response.headers["Location"] == "/availability#limits"
    db.session.refresh(berliner)
    assert (berliner.max_interviews_per_day, berliner.max_interviews_per_week,
            berliner.buffer_before_min, berliner.buffer_after_min) == (3, 8, 10, 15)
    assert "Load limits and buffers are saved." in text_of(client.get("/availability"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_per_day", "0", "Choose a number from 1 to 8."),
        ("max_per_day", "9", "Choose a number from 1 to 8."),
        ("max_per_week", "26", "Choose a number from 1 to 25."),
        ("buffer_before_min", "-5", "Choose a number from 0 to 60."),
        ("buffer_after_min", "61", "Choose a number from 0 to 60."),
        ("max_per_day", "two", "Give a whole number from 1 to 8."),
        ("max_per_week", "", "Give a number from 1 to 25."),
        ("buffer_after_min", "2.5", "Give a whole number from 0 to 60."),
    ],
)
def test_load_limits_out_of_range_are_field_errors(berliner, client_for, clock, field, value, message):
    data = {"max_per_day": "3", "max_per_week": "8", "buffer_before_min": "10", "buffer_after_min": "15", field: value}
    response = client_for(berliner).post(f"/availability/{berliner.id}/limits", data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    db.session.refresh(berliner)
    assert (berliner.max_interviews_per_day, berliner.max_interviews_per_week) == (2, 5)


def test_set_load_limits_checks_ranges_itself(berliner, app):
    with pytest.raises(availability.AvailabilityError) as info:
        availability.set_load_limits(berliner, availability.LoadLimits(2, 5, 0, 90))
    assert info.value.field == "buffer_after_min"
    with pytest.raises(availability.AvailabilityError):
        availability.set_load_limits(berliner, availability.LoadLimits(True, 5, 0, 0))  # type: ignore[arg-type]


# --- calendar import ------------------------------------------------------------------------------------------


def test_import_a_google_export_and_see_blocks_and_problems(berliner, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))  # Monday 2 March
    client = client_for(berliner)
    response = upload(client, berliner, (DATA / "google_export.ics").read_bytes(), "anna.schmidt@example.com.ics")
    assert response.status_code == 302 and response.headers["Location"] == "/availability#busy"

    record = db.session.scalar(select(CalendarImport).where(CalendarImport.user_id == berliner.id))
    assert record.filename == "anna.schmidt@example.com.ics"
    assert record.event_count == 13
    assert record.problems == "Skipped event 'Offsite planning': no start time"
    imported = db.session.scalars(select(BusyBlock).where(BusyBlock.user_id == berliner.id)
                                  .order_by(BusyBlock.start_dt)).all()
    assert record.block_count == len(imported) == 25  # 26 busy minus the all-hands Anna declined
    assert {b.source for b in imported} == {"import"}
    assert (imported[0].start_dt, imported[0].end_dt, imported[0].summary) == (
        utc(2026, 3, 3, 9), utc(2026, 3, 3, 9, 30), "Team standup")
    assert "Company all-hands" not in {b.summary for b in imported}

    page = text_of(client.get("/availability"))
    assert "Imported “anna.schmidt@example.com.ics”: 25 busy times from 13 events." in page
    assert "Tomorrow, Tue 3 Mar 10:00 – 10:30 CET Team standup Imported file" in page
    assert "Tue 24 Mar 11:00 – 11:30 CET Team standup" in page  # the one moved instance
    assert "Sun 29 Mar 07:30 – 08:15 CEST Gym" in page  # after the European change
    assert "Tue 31 Mar" not in page  # four weeks: Monday 2 to Sunday 29 March
    assert "Last import: “anna.schmidt@example.com.ics”, Mon 2 Mar 2026, 09:00 CET" in page
    assert "Not everything could be read: Skipped event 'Offsite planning': no start time" in page
    assert "Remove" not in page.split("Busy times")[1].split("Add a busy time")[0]  # imported: no remove button


def test_reimport_replaces_the_previous_import_and_keeps_manual_blocks(berliner, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))
    client = client_for(berliner)
    add_busy(client, berliner, day="2026-03-12", start="12:00", end="13:00", summary="Lunch with Ben")
    assert upload(client, berliner, (DATA / "google_export.ics").read_bytes()).status_code == 302
    assert upload(client, berliner, (DATA / "damaged_events.ics").read_bytes(), "work.ics").status_code == 302

    summaries = db.session.scalars(select(BusyBlock.summary).where(BusyBlock.user_id == berliner.id,
                                                                   BusyBlock.source == "import")).all()
    assert sorted(summaries) == ["Count and until", "Count and until", "End before start", "February 30th",
                                 "Still imported"]
    assert spans(berliner, "manual") == [(utc(2026, 3, 12, 11), utc(2026, 3, 12, 12))]
    assert db.session.scalar(select(func.count()).select_from(CalendarImport)) == 1
    record = db.session.scalar(select(CalendarImport))
    assert (record.filename, record.event_count, record.block_count) == ("work.ics", 14, 5)
    page = text_of(client.get("/availability"))
    assert "Some events could not be read" in page
    assert "Skipped 3 events with an unknown time zone 'Foo/Bar'" in page
    assert "Ignored the repeat rule of 'February 30th': it never produces a date" in page
    assert "Lunch with Ben" in page


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (PNG, "holiday.png", "This file is not an iCalendar (.ics) file."),
        (b"\x00\xff" * 300, "calendar.ics", "This file is not an iCalendar (.ics) file."),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "cut.ics", "incomplete"),
        (b"", "empty.ics", "This file is empty."),
        (b"PK\x03\x04" + b"\x00" * 50, "calendar.zip", "This is a ZIP archive"),
    ],
    ids=["png", "garbage", "truncated", "empty", "zip"],
)
def test_a_file_that_cannot_be_read_changes_nothing(berliner, client_for, clock, data, filename, message):
    clock.set(utc(2026, 3, 2, 8))
    client = client_for(berliner)
    assert upload(client, berliner, (DATA / "google_export.ics").read_bytes(), "good.ics").status_code == 302
    before = spans(berliner)

    response = upload(client, berliner, data, filename)
    assert response.status_code == 400
    assert message in text_of(response)
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert spans(berliner) == before and len(before) == 25
    assert db.session.scalar(select(CalendarImport.filename)) == "good.ics"


def test_no_file_chosen_is_a_field_error(berliner, client_for, clock):
    response = client_for(berliner).post(f"/availability/{berliner.id}/import", data={},
                                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a calendar file (.ics) to import." in text_of(response)


def test_files_over_the_cap_are_refused(berliner, client_for, clock, monkeypatch, app):
    client = client_for(berliner)
    monkeypatch.setattr(calendar_import, "MAX_ICS_BYTES", 2048)
    response = upload(client, berliner, (DATA / "google_export.ics").read_bytes())
    assert response.status_code == 400
    assert "This file is too large" in text_of(response)
    assert spans(berliner) == []

    app.config["MAX_CONTENT_LENGTH"] = 4096  # larger than the whole request allows: the 413 page
    response = upload(client, berliner, b"BEGIN:VCALENDAR\r\n" + b" " * 10_000)
    assert response.status_code == 413
    assert "The upload is too large" in text_of(response)


def test_the_filename_is_cleaned(berliner, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))
    client = client_for(berliner)
    name = "/home/anna/../Kalender\x07 März\u2028.ics"
    assert upload(client, berliner, (DATA / "apple_export.ics").read_bytes(), name).status_code == 302
    assert db.session.scalar(select(CalendarImport.filename)) == "Kalender März .ics"
    assert availability.clean_filename("../" + "x" * 300 + ".ics").endswith("….ics")
    assert len(availability.clean_filename("x" * 300 + ".ics")) == availability.FILENAME_MAX_CHARS
    assert availability.clean_filename("///") == "calendar.ics"


def test_removing_the_import_keeps_manual_blocks(berliner, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))
    client = client_for(berliner)
    add_busy(client, berliner, day="2026-03-12", start="12:00", end="13:00")
    upload(client, berliner, (DATA / "outlook_export.ics").read_bytes())
    assert len(spans(berliner, "import")) == 11
    response = client.post(f"/availability/{berliner.id}/import/delete")
    assert response.status_code == 302
    assert spans(berliner, "import") == [] and len(spans(berliner, "manual")) == 1
    assert db.session.scalar(select(func.count()).select_from(CalendarImport)) == 0
    assert "The imported calendar is removed (11 busy times)." in text_of(client.get("/availability"))
    assert client.post(f"/availability/{berliner.id}/import/delete").status_code == 404


def test_others_see_imported_events_as_busy_without_their_titles(org, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))
    ian = org["interviewer"]
    client = client_for(ian)
    upload(client, ian, (DATA / "outlook_export.ics").read_bytes())
    add_busy(client, ian, day="2026-03-12", start="09:00", end="10:00", summary="School run")
    assert "Quarterly business review" in text_of(client.get("/availability"))
    page = text_of(client_for(org["recruiter"]).get(f"/availability/{ian.id}"))
    assert "Quarterly business review" not in page and "Sync with New York office" not in page
    assert "Wed 4 Mar 18:30 – 19:30 IST Wed 4 Mar, 14:00 – 15:00 CET Busy Imported file" in page
    assert "School run Added by hand" in page  # typed into coordinator, visible by design

    upload(client, ian, (DATA / "damaged_events.ics").read_bytes())
    page = text_of(client_for(org["recruiter"]).get(f"/availability/{ian.id}"))
    assert "Not everything could be read; Ian Interviewer sees which events on their own page." in page
    assert "Planning A" not in page
    assert "Skipped 3 events with an unknown time zone 'Foo/Bar'" in text_of(client.get("/availability"))


def test_imported_blocks_cannot_be_deleted_one_by_one(berliner, client_for, clock):
    clock.set(utc(2026, 3, 2, 8))
    client = client_for(berliner)
    upload(client, berliner, (DATA / "outlook_export.ics").read_bytes())
    block_id = db.session.scalar(select(BusyBlock.id).where(BusyBlock.user_id == berliner.id))
    assert client.post(f"/availability/{berliner.id}/busy/{block_id}/delete").status_code == 404
    assert len(spans(berliner)) == 11


# --- who may see and change what ------------------------------------------------------------------------------


def test_an_interviewer_cannot_open_or_change_someone_elses_availability(org, client_for, clock):
    client = client_for(org["interviewer"])
    other = org["manager"]
    assert client.get(f"/availability/{other.id}").status_code == 403
    assert client.get(f"/availability?user={other.id}").status_code == 302  # the redirect then says 403
    assert client.get(f"/availability?user={other.id}", follow_redirects=True).status_code == 403
    for path, data in [("limits", {"max_per_day": "8", "max_per_week": "25", "buffer_before_min": "0",
                                   "buffer_after_min": "0"}),
                       ("busy", {"day": "2026-03-12", "start": "09:00", "end": "10:00"}),
                       ("import/delete", {})]:
        assert client.post(f"/availability/{other.id}/{path}", data=data).status_code == 403
    assert upload(client, other, (DATA / "apple_export.ics").read_bytes()).status_code == 403
    assert spans(other) == []
    assert "Show the availability of" not in client.get("/availability").get_data(as_text=True)


def test_recruiters_open_and_edit_interviewers_but_not_other_staff(org, client_for, clock):
    client = client_for(org["recruiter"])
    interviewer = org["interviewer"]
    response = client.get(f"/availability/{interviewer.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Availability of Ian Interviewer" in page
    assert "Times in Asia/Kolkata (their time now: Thu 05 Mar 2026, 14:30 IST), with your time (Europe/Berlin)" in page
    assert "Ian Interviewer changes these on their profile." in page
    assert add_busy(client, interviewer, day="2026-03-12", start="09:00", end="10:00").status_code == 302
    assert spans(interviewer) == [(utc(2026, 3, 12, 3, 30), utc(2026, 3, 12, 4, 30))]  # entered in Kolkata time
    page = text_of(client.get(f"/availability/{interviewer.id}"))
    assert "Time (Asia/Kolkata) Your time (Europe/Berlin)" in page
    assert "Thu 12 Mar 09:00 – 10:00 IST Thu 12 Mar, 04:30 – 05:30 CET" in page

    # the chooser lists the people a recruiter may open: interviewers, and themself
    html = client.get("/availability").get_data(as_text=True)
    assert f'<option value="{interviewer.id}">Ian Interviewer</option>' in html
    assert "Oscar Otherrecruiter" not in html and "Alex Admin" not in html
    assert client.get(f"/availability/{org['other_recruiter'].id}").status_code == 403
    assert client.get(f"/availability/{org['admin'].id}").status_code == 403
    assert client.get(f"/availability/{org['manager'].id}").status_code == 200  # also an interviewer


def test_admins_open_anyone_and_link_to_the_user_form(org, client_for, clock):
    client = client_for(org["admin"])
    response = client.get(f"/availability/{org['recruiter'].id}")
    assert response.status_code == 200
    assert f'href="/users/{org["recruiter"].id}/edit"' in response.get_data(as_text=True)
    response = client.post(f"/availability/{org['recruiter'].id}/limits", data={
        "max_per_day": "1", "max_per_week": "1", "buffer_before_min": "0", "buffer_after_min": "60"})
    assert response.headers["Location"] == f"/availability/{org['recruiter'].id}#limits"
    assert client.get(f"/availability/{org['admin'].id}").headers["Location"] == "/availability"


def test_unknown_ids_are_404(org, client_for, clock):
    client = client_for(org["admin"])
    assert client.get("/availability/999999").status_code == 404
    assert client.get("/availability?user=999999", follow_redirects=True).status_code == 404
    assert client.post("/availability/999999/busy", data={"day": "2026-03-12"}).status_code == 404
    assert client.post("/candidates/999999/windows", data={}).status_code == 404
    assert client.get("/candidates/999999/windows").status_code == 404
    candidate = org["candidate"]
    assert client.post(f"/candidates/{candidate.id}/windows/999999/delete").status_code == 404
    huge = 10**22  # past any database integer: still a 404, never a database error
    admin = org["admin"]
    for url in (f"/availability/{huge}", f"/availability?user={huge}", f"/candidates/{huge}/windows"):
        assert client.get(url, follow_redirects=True).status_code == 404, url
    assert client.post(f"/availability/{admin.id}/busy/{huge}/delete").status_code == 404
    assert client.post(f"/candidates/{candidate.id}/windows/{huge}/delete").status_code == 404


# --- candidate windows ----------------------------------------------------------------------------------------


@pytest.fixture
def kolkata_candidate(org, make_candidate):
    return make_candidate(name="Rohan Gupta", job=org["job"], timezone="Asia/Kolkata")


def test_candidate_windows_are_entered_and_shown_in_the_candidates_zone(org, kolkata_candidate, client_for, clock):
    client = client_for(org["recruiter"])  # Europe/Berlin
    url = f"/candidates/{kolkata_candidate.id}"
    assert "No windows yet" in text_of(client.get(url))
    response = client.post(f"{url}/windows", data={"day": "2026-03-30", "start": "14:00", "end": "17:00"})
    assert response.status_code == 302 and response.headers["Location"] == f"{url}#windows"
    window = db.session.scalar(select(CandidateWindow))
    assert (window.start_dt, window.end_dt) == (utc(2026, 3, 30, 8, 30), utc(2026, 3, 30, 11, 30))

    page = text_of(client.get(url))
    assert "Window added: Mon 30 Mar, 14:00 – 17:00 IST (the candidate's time)." in page
    assert "When the candidate can interview" in page
    assert "Candidate's time (Asia/Kolkata) Your time (Europe/Berlin)" in page
    assert "Mon 30 Mar, 14:00 – 17:00 IST Mon 30 Mar, 10:30 – 13:30 CEST" in page

    # the same window again is not added twice; the hiring manager may add windows too
    client.post(f"{url}/windows", data={"day": "2026-03-30", "start": "14:00", "end": "17:00"})
    assert db.session.scalar(select(func.count()).select_from(CandidateWindow)) == 1
    manager = client_for(org["manager"])
    response = manager.post(f"{url}/windows", data={"day": "2026-03-31", "start": "09:00", "end": "11:00"})
    assert response.status_code == 302
    assert [(w.start, w.end) for w in availability.candidate_windows_for(kolkata_candidate.id, utc(2026, 3, 1),
                                                                          utc(2026, 4, 1))] == [
        (utc(2026, 3, 30, 8, 30), utc(2026, 3, 30, 11, 30)), (utc(2026, 3, 31, 3, 30), utc(2026, 3, 31, 5, 30))]

    response = client.post(f"{url}/windows/{window.id}/delete")
    assert response.status_code == 302
    assert "Window removed: Mon 30 Mar, 14:00 – 17:00 IST (the candidate's time)." in text_of(client.get(url))
    assert db.session.scalar(select(func.count()).select_from(CandidateWindow)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2026-03-04", "start": "09:00", "end": "10:00"}, "This time is already over"),
        ({"day": "2026-03-10", "start": "17:00", "end": "09:00"}, "The end must be after the start."),
        ({"day": "2026-03-10", "start": "09:00"}, "Give an end time."),
        ({"day": "2026-03-10", "start": "9 am", "end": "10:00"}, "Enter a time such as 09:30."),
        ({"start": "09:00", "end": "10:00"}, "Choose the date."),
        ({"day": "9999-12-31", "start": "23:00", "end": "23:30"}, "Choose a date within the next two years."),
    ],
    ids=["past", "reversed", "no-end", "bad-time", "no-date", "year-9999"],
)
def test_bad_candidate_windows_are_field_errors(org, kolkata_candidate, client_for, clock, fields, message):
    client = client_for(org["recruiter"])
    response = client.post(f"/candidates/{kolkata_candidate.id}/windows", data=fields)
    assert response.status_code == 400
    page = text_of(response)
    assert message in page and "When the candidate can interview" in page and "Rohan Gupta" in page
    assert db.session.scalar(select(func.count()).select_from(CandidateWindow)) == 0


def test_candidate_windows_follow_the_candidate_rules(org, kolkata_candidate, client_for, clock):
    url = f"/candidates/{kolkata_candidate.id}/windows"
    data = {"day": "2026-03-30", "start": "14:00", "end": "17:00"}
    assert client_for(org["interviewer"]).post(url, data=data).status_code == 403
    assert client_for(org["other_recruiter"]).post(url, data=data).status_code == 403
    assert client_for(org["other_recruiter"]).get(url).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CandidateWindow)) == 0
    client_for(org["recruiter"]).post(url, data=data)
    window_id = db.session.scalar(select(CandidateWindow.id))
    other = org["other_candidate"]
    assert client_for(org["admin"]).post(f"/candidates/{other.id}/windows/{window_id}/delete").status_code == 404
    assert client_for(org["other_recruiter"]).post(f"{url}/{window_id}/delete").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CandidateWindow)) == 1


# --- the scheduler's read -------------------------------------------------------------------------------------


def test_busy_blocks_for_many_people_takes_one_query(app, make_user):
    people = [make_user(Role.INTERVIEWER) for _ in range(25)]
    for i, person in enumerate(people):
        db.session.add_all([
            BusyBlock(user_id=person.id, start_dt=utc(2026, 3, 10, 9 + i % 5), end_dt=utc(2026, 3, 10, 10 + i % 5),
                      source="manual"),
            BusyBlock(user_id=person.id, start_dt=utc(2026, 3, 9, 8), end_dt=utc(2026, 3, 9, 9), source="import"),
            BusyBlock(user_id=person.id, start_dt=utc(2026, 4, 20), end_dt=utc(2026, 4, 21), source="import"),
        ])
    db.session.commit()
    ids = [p.id for p in people] + [999999]

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = availability.busy_blocks_for(ids, utc(2026, 3, 9, 9), utc(2026, 3, 11))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == 1
    assert set(result) == set(ids)
    assert result[999999] == []
    first = people[0].id
    # the block ending exactly at the range start is left out (half-open), the April one is outside
    assert result[first] == [Interval(utc(2026, 3, 10, 9), utc(2026, 3, 10, 10))]
    assert result[people[3].id] == [Interval(utc(2026, 3, 10, 12), utc(2026, 3, 10, 13))]
    assert availability.busy_blocks_for([], utc(2026, 3, 9), utc(2026, 3, 11)) == {}
    wide = availability.busy_blocks_for([first], utc(2026, 3, 1), utc(2026, 5, 1))[first]
    assert [i.start for i in wide] == [utc(2026, 3, 9, 8), utc(2026, 3, 10, 9), utc(2026, 4, 20)]
