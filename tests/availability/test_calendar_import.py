"""Calendar-file import: realistic exports from Google, Outlook and Apple, damaged files, and the guards.

Expected instants are written out by hand (what the interviewer would read off their calendar), not computed
with the code under test.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar.timezone import tzp

from coordinator.availability import calendar_import as ci
from coordinator.availability import ics_limits as limits
from coordinator.availability import ics_text
from coordinator.availability.calendar_import import (
    BusyBlock,
    CalendarImportError,
    ImportResult,
    parse_busy_times,
)
from coordinator.timeutil import InvalidTimeZone

DATA = Path(__file__).parent / "data"
BERLIN = ZoneInfo("Europe/Berlin")
# Six weeks around the European DST change of Sunday 29 March 2026 (the US changed on 8 March).
START = datetime(2026, 3, 2, tzinfo=BERLIN)
END = datetime(2026, 4, 13, tzinfo=BERLIN)
OWNER = "anna.schmidt@example.com"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def read(name: str, tz: str = "Europe/Berlin", **kwargs) -> ImportResult:
    return parse_busy_times((DATA / name).read_bytes(), START, END, tz, **kwargs)


def spans(result: ImportResult) -> list[tuple[datetime, datetime, str]]:
    return [(b.start, b.end, b.summary) for b in result.busy]


def calendar(*events: str, header: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{header}{body}END:VCALENDAR\r\n".encode()


def event(uid: str, start: str, end: str | None = None, **props: str) -> str:
    lines = [f"UID:{uid}", f"DTSTART{start}"]
    if end is not None:
        lines.append(f"DTEND{end}")
    lines += [f"{key.replace('_', '-')}:{value}" for key, value in props.items()]
    return "\r\n".join(lines)


def parse(data: bytes, tz: str = "UTC", start: datetime = START, end: datetime = END, **kw) -> ImportResult:
    return parse_busy_times(data, start, end, tz, **kw)


# ------------------------------------------------------------------------------------------ Google export


def test_google_export_gives_the_instants_the_interviewer_sees():
    result = read("google_export.ics", owner_email=OWNER)
    assert spans(result) == [
        (utc(2026, 3, 3, 9), utc(2026, 3, 3, 9, 30), "Team standup"),
        (utc(2026, 3, 5, 14), utc(2026, 3, 5, 14, 30), "1:1 with Maria"),
        (utc(2026, 3, 5, 14), utc(2026, 3, 5, 15), "Interview: backend candidate (system design)"),
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 9, 30), "Team standup"),
        (utc(2026, 3, 10, 12), utc(2026, 3, 10, 13), "Busy"),  # CLASS:PRIVATE hides the title
        (utc(2026, 3, 12, 14), utc(2026, 3, 12, 14, 30), "1:1 with Maria"),
        # all-day Mon 16 - Fri 20 March (DTEND 21st is exclusive), local Berlin days
        (utc(2026, 3, 15, 23), utc(2026, 3, 20, 23), "Vacation"),
        (utc(2026, 3, 24, 10), utc(2026, 3, 24, 10, 30), "Team standup"),  # moved to 11:00 CET
        # Gym: a UTC series in a calendar with X-WR-TIMEZONE repeats at 07:30 Berlin time
        (utc(2026, 3, 26, 6, 30), utc(2026, 3, 26, 7, 15), "Gym"),
        (utc(2026, 3, 26, 14), utc(2026, 3, 26, 14, 30), "1:1 with Maria"),
        (utc(2026, 3, 27, 6, 30), utc(2026, 3, 27, 7, 15), "Gym"),
        (utc(2026, 3, 28, 6, 30), utc(2026, 3, 28, 7, 15), "Gym"),
        (utc(2026, 3, 29, 5, 30), utc(2026, 3, 29, 6, 15), "Gym"),
        (utc(2026, 3, 30, 5, 30), utc(2026, 3, 30, 6, 15), "Gym"),
        (utc(2026, 3, 31, 5, 30), utc(2026, 3, 31, 6, 15), "Gym"),
        (utc(2026, 3, 31, 8), utc(2026, 3, 31, 8, 30), "Team standup"),  # 10:00 CEST
        (utc(2026, 4, 2, 13), utc(2026, 4, 2, 13, 30), "1:1 with Maria"),
        (utc(2026, 4, 7, 8), utc(2026, 4, 7, 8, 30), "Team standup"),
        (utc(2026, 4, 9, 13), utc(2026, 4, 9, 13, 30), "1:1 with Maria"),
    ]
    assert result.problems == ["Skipped event 'Offsite planning': no start time"]
    assert (result.event_count, result.skipped_count) == (13, 1)
    assert all(b.start.tzinfo is UTC and b.end.tzinfo is UTC for b in result.busy)
    assert [b.all_day for b in result.busy if b.summary == "Vacation"] == [True]


def test_weekly_standup_except_17_march_moved_on_24_march_across_dst():
    standup = [(s, e) for s, e, summary in spans(read("google_export.ics")) if summary == "Team standup"]
    assert standup == [
        (utc(2026, 3, 3, 9), utc(2026, 3, 3, 9, 30)),  # Tue 10:00 CET
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 9, 30)),
        # 17 March: EXDATE
        (utc(2026, 3, 24, 10), utc(2026, 3, 24, 10, 30)),  # RECURRENCE-ID override: 11:00 CET
        (utc(2026, 3, 31, 8), utc(2026, 3, 31, 8, 30)),  # clocks went forward on 29 March: 10:00 CEST
        (utc(2026, 4, 7, 8), utc(2026, 4, 7, 8, 30)),
    ]


def test_declined_meeting_only_frees_time_for_the_owner():
    def all_hands(result: ImportResult) -> list:
        return [s for s in spans(result) if s[2] == "Company all-hands"]

    assert all_hands(read("google_export.ics")) == [(utc(2026, 3, 11, 16), utc(2026, 3, 11, 17), "Company all-hands")]
    assert all_hands(read("google_export.ics", owner_email="someone.else@example.com")) != []
    assert all_hands(read("google_export.ics", owner_email="MAILTO:Anna.Schmidt@Example.com")) == []


# ----------------------------------------------------------------------------------------- Outlook export


def test_outlook_export_with_windows_zone_names_and_a_customized_zone():
    result = read("outlook_export.ics")
    assert spans(result) == [
        # "Eastern Standard Time" -> America/New_York: 10:00 EST, then EDT from 8 March
        (utc(2026, 3, 2, 15), utc(2026, 3, 2, 16), "Sync with New York office"),
        # "W. Europe Standard Time" -> Europe/Berlin
        (utc(2026, 3, 4, 13), utc(2026, 3, 4, 14), "Quarterly business review"),
        (utc(2026, 3, 9, 14), utc(2026, 3, 9, 15), "Sync with New York office"),
        (utc(2026, 3, 10, 8), utc(2026, 3, 10, 9), "Budget meeting"),  # MONTHLY;BYDAY=2TU; 14 April is out
        (utc(2026, 3, 11, 15), utc(2026, 3, 11, 16), "Architecture guild"),  # TENTATIVE blocks
        # "Customized Time Zone" only exists as the file's VTIMEZONE (+05:30)
        (utc(2026, 3, 12, 9, 30), utc(2026, 3, 12, 10, 30), "Sync with Bangalore team"),
        (utc(2026, 3, 16, 14), utc(2026, 3, 16, 15), "Sync with New York office"),
        (utc(2026, 3, 19, 7), utc(2026, 3, 19, 8), "Busy"),  # CLASS:PRIVATE
        # all-day OOF 25-26 March, local days in the interviewer's zone
        (utc(2026, 3, 24, 23), utc(2026, 3, 26, 23), "Conference in Lisbon"),
    ]
    # Not there: "Lunch" (BUSYSTATUS FREE) and "Working from home" (WORKINGELSEWHERE).
    assert result.problems == []
    assert (result.event_count, result.skipped_count) == (9, 0)


def test_outlook_busy_status_wins_over_transp():
    data = calendar(
        event(
            "a",
            ":20260303T090000Z",
            ":20260303T100000Z",
            SUMMARY="free but opaque",
            TRANSP="OPAQUE",
            X_MICROSOFT_CDO_BUSYSTATUS="FREE",
        ),
        event(
            "b",
            ":20260303T110000Z",
            ":20260303T120000Z",
            SUMMARY="out of office",
            TRANSP="TRANSPARENT",
            X_MICROSOFT_CDO_BUSYSTATUS="OOF",
        ),
    )
    assert [s[2] for s in spans(parse(data))] == ["out of office"]


def test_a_uploaded_vtimezone_does_not_leak_into_other_uploads_or_icalendar():
    def custom_zone_file(offset: str) -> bytes:
        return (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Coordinator Test Zone 7f3a\r\n"
            f"BEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:call\r\n"
            "DTSTART;TZID=Coordinator Test Zone 7f3a:20260303T120000\r\nDURATION:PT1H\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()

    assert parse(custom_zone_file("+0530")).busy[0].start == utc(2026, 3, 3, 6, 30)
    assert parse(custom_zone_file("-0300")).busy[0].start == utc(2026, 3, 3, 15)
    assert tzp.timezone("Coordinator Test Zone 7f3a") is None  # icalendar's process-wide cache untouched


def test_a_windows_zone_name_means_the_iana_zone_even_if_the_file_defines_it_differently():
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
        b"BEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\n"
        b"END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b"DTSTART;TZID=W. Europe Standard Time:20260303T120000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert parse(data).busy[0].start == utc(2026, 3, 3, 11)


# ------------------------------------------------------------------------------------------- Apple export


def test_apple_export_floating_times_are_the_interviewers_wall_clock():
    result = read("apple_export.ics")
    assert spans(result) == [
        (utc(2026, 3, 12, 8), utc(2026, 3, 12, 9), "Zahnarzt \u2615 \u2013 Kontrolle"),
        (utc(2026, 3, 18, 17), utc(2026, 3, 18, 18), "Yoga"),
        (utc(2026, 3, 19, 23), utc(2026, 3, 20, 23), "Moving day"),
        (utc(2026, 3, 25, 17), utc(2026, 3, 25, 18), "Yoga"),
        (utc(2026, 3, 30, 9, 30), utc(2026, 3, 30, 18, 15), "Flight LH 400 to New York"),  # Berlin -> New York
        (utc(2026, 4, 1, 16), utc(2026, 4, 1, 17), "Yoga"),  # floating UNTIL 1 April 18:00 includes it
    ]
    assert result.problems == []


def test_apple_export_read_for_an_interviewer_in_new_york():
    result = read("apple_export.ics", tz="America/New_York")
    assert spans(result) == [
        (utc(2026, 3, 12, 13), utc(2026, 3, 12, 14), "Zahnarzt \u2615 \u2013 Kontrolle"),  # 09:00 EDT
        (utc(2026, 3, 18, 22), utc(2026, 3, 18, 23), "Yoga"),
        (utc(2026, 3, 20, 4), utc(2026, 3, 21, 4), "Moving day"),
        (utc(2026, 3, 25, 22), utc(2026, 3, 25, 23), "Yoga"),
        (utc(2026, 3, 30, 9, 30), utc(2026, 3, 30, 18, 15), "Flight LH 400 to New York"),  # has TZIDs
        (utc(2026, 4, 1, 22), utc(2026, 4, 1, 23), "Yoga"),
    ]


# ------------------------------------------------------------------------------------ what blocks and what not


def test_all_day_event_blocks_the_local_day_even_on_a_23_hour_day():
    data = calendar(event("d", ";VALUE=DATE:20260329", ";VALUE=DATE:20260330", SUMMARY="Sunday"))
    assert spans(parse(data, "Europe/Berlin")) == [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), "Sunday")]
    no_end = calendar(event("d", ";VALUE=DATE:20260310", SUMMARY="Day"))
    assert spans(parse(no_end, "Asia/Tokyo")) == [(utc(2026, 3, 9, 15), utc(2026, 3, 10, 15), "Day")]


def test_transparent_cancelled_and_zero_length_events_do_not_block():
    data = calendar(
        event("t", ":20260303T090000Z", ":20260303T100000Z", SUMMARY="free", TRANSP="TRANSPARENT"),
        event("c", ":20260303T090000Z", ":20260303T100000Z", SUMMARY="called off", STATUS="CANCELLED"),
        event(
            "s",
            ":20260304T090000Z",
            ":20260304T093000Z",
            SUMMARY="series off",
            STATUS="CANCELLED",
            RRULE="FREQ=DAILY;COUNT=5",
        ),
        event("z", ":20260305T090000Z", SUMMARY="reminder"),
        event("b", ":20260306T090000Z", ":20260306T100000Z", SUMMARY="busy", TRANSP="OPAQUE", STATUS="CONFIRMED"),
    )
    result = parse(data)
    assert spans(result) == [(utc(2026, 3, 6, 9), utc(2026, 3, 6, 10), "busy")]
    assert result.problems == [] and result.event_count == 5


def test_a_single_instance_can_block_while_its_series_does_not():
    data = calendar(
        event(
            "s",
            ":20260302T090000Z",
            ":20260302T100000Z",
            SUMMARY="office hours",
            TRANSP="TRANSPARENT",
            RRULE="FREQ=DAILY;COUNT=3",
        ),
        event(
            "s",
            ":20260303T120000Z",
            ":20260303T130000Z",
            SUMMARY="office hours (booked)",
            RECURRENCE_ID="20260303T090000Z",
        ),
    )
    assert spans(parse(data)) == [(utc(2026, 3, 3, 12), utc(2026, 3, 3, 13), "office hours (booked)")]


def test_this_and_future_override_moves_the_rest_of_the_series():
    data = calendar(
        event("s", ":20260302T090000Z", ":20260302T100000Z", SUMMARY="sync", RRULE="FREQ=DAILY;COUNT=4"),
        "UID:s\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260304T090000Z\r\n"
        "DTSTART:20260304T140000Z\r\nDTEND:20260304T150000Z\r\nSUMMARY:sync (afternoons)",
    )
    assert [s[0] for s in spans(parse(data))] == [
        utc(2026, 3, 2, 9),
        utc(2026, 3, 3, 9),
        utc(2026, 3, 4, 14),
        utc(2026, 3, 5, 14),
    ]


def test_blocks_are_clipped_to_the_range_sorted_and_half_open():
    data = calendar(
        event("a", ":20260301T200000Z", ":20260302T020000Z", SUMMARY="overnight"),
        event("b", ":20260412T220000Z", ":20260413T050000Z", SUMMARY="late"),
        event("c", ":20260301T100000Z", ":20260301T230000Z", SUMMARY="ends exactly at the start"),
        event("d", ":20260305T100000Z", ":20260305T110000Z", SUMMARY="second"),
        event("e", ":20260305T090000Z", ":20260305T120000Z", SUMMARY="first"),
    )
    result = parse(data)  # START is 2026-03-01T23:00Z, END 2026-04-12T22:00Z
    assert spans(result) == [
        (utc(2026, 3, 1, 23), utc(2026, 3, 2, 2), "overnight"),
        (utc(2026, 3, 5, 9), utc(2026, 3, 5, 12), "first"),
        (utc(2026, 3, 5, 10), utc(2026, 3, 5, 11), "second"),
    ]


def test_summary_is_cleaned_and_truncated():
    long_title = "Interview loop " + "x" * 200
    data = calendar(
        event("a", ":20260303T090000Z", ":20260303T100000Z", SUMMARY=long_title),
        event("b", ":20260304T090000Z", ":20260304T100000Z", SUMMARY="  line\\nbreak  and  spaces "),
        event("c", ":20260305T090000Z", ":20260305T100000Z"),
        event("d", ":20260306T090000Z", ":20260306T100000Z", SUMMARY="Board meeting", CLASS="CONFIDENTIAL"),
    )
    summaries = [b.summary for b in parse(data).busy]
    assert len(summaries[0]) == ci.SUMMARY_MAX_CHARS and summaries[0].endswith("\u2026")
    assert summaries[1:] == ["line break and spaces", "Busy", "Busy"]


def test_until_as_a_date_includes_that_day_and_count_with_until_does_not_warn():
    data = calendar(
        event(
            "a",
            ";TZID=America/Los_Angeles:20260302T170000",
            ";TZID=America/Los_Angeles:20260302T180000",
            SUMMARY="class",
            RRULE="FREQ=DAILY;UNTIL=20260304",
        ),
        event(
            "b",
            ":20260310T090000Z",
            ":20260310T100000Z",
            SUMMARY="both",
            RRULE="FREQ=DAILY;UNTIL=20260401T000000Z;COUNT=2",
        ),
    )
    result = parse(data)  # runs under filterwarnings=error: dateutil deprecates COUNT together with UNTIL
    assert [s[0] for s in spans(result)] == [
        utc(2026, 3, 3, 1),
        utc(2026, 3, 4, 1),
        utc(2026, 3, 5, 1),
        utc(2026, 3, 10, 9),
        utc(2026, 3, 11, 9),
    ]


@pytest.mark.parametrize(
    ("tzid", "expected"),
    [
        ("Europe/Berlin", utc(2026, 3, 3, 11)),
        ("/freeassociation.sourceforge.net/Tzfile/Europe/Berlin", utc(2026, 3, 3, 11)),  # libical/Evolution
        ("/Europe/Berlin", utc(2026, 3, 3, 11)),
        ("Etc/GMT+5", utc(2026, 3, 3, 17)),  # valid IANA, though not offered in the app's zone picker
        ("US/Pacific", utc(2026, 3, 3, 20)),
        ("Eastern Standard Time", utc(2026, 3, 3, 17)),
        ("GMT", utc(2026, 3, 3, 12)),
    ],
)
def test_tzid_spellings(tzid, expected):
    data = calendar(event("a", f";TZID={tzid}:20260303T120000", SUMMARY="x", DURATION="PT1H"))
    result = parse(data)
    assert result.problems == []
    assert [b.start for b in result.busy] == [expected]


def test_several_calendars_in_one_file_todos_and_journals_are_ignored():
    one = calendar(event("a", ":20260303T090000Z", ":20260303T100000Z", SUMMARY="first"))
    two = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTART:20260304T090000Z\r\nDUE:20260304T100000Z\r\n"
        b"END:VTODO\r\nBEGIN:VJOURNAL\r\nUID:j\r\nDTSTART:20260304T090000Z\r\nEND:VJOURNAL\r\nBEGIN:VEVENT\r\n"
        b"UID:b\r\nDTSTART:20260305T090000Z\r\nDTEND:20260305T100000Z\r\nSUMMARY:second\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    result = parse(one + two)
    assert [s[2] for s in spans(result)] == ["first", "second"]
    assert result.event_count == 2


# ------------------------------------------------------------------------------------ damaged events, guards


def test_damaged_events_are_skipped_and_reported_grouped():
    started = time.perf_counter()
    result = read("damaged_events.ics")
    elapsed = time.perf_counter() - started
    assert result.problems == [
        "Skipped 3 events with an unknown time zone 'Foo/Bar' (e.g. 'Planning A', 'Planning B', 'Planning C')",
        "Skipped event 'Offsite': no start time",
        "Skipped event 'Typed by hand': unreadable start time",
        "Skipped event 'Fortnightly sync': unreadable repeat rule",
        "Skipped 3 events that repeat too often to import (e.g. 'Tick', 'Tock', 'April 31st')",
        "Ignored the repeat rule of 'February 30th': it never produces a date",
    ]
    assert spans(result) == [
        (utc(2026, 3, 2, 16), utc(2026, 3, 2, 16, 30), "Count and until"),
        (utc(2026, 3, 3, 9), utc(2026, 3, 3, 10), "Still imported"),  # despite a junk line inside it
        (utc(2026, 3, 3, 16), utc(2026, 3, 3, 16, 30), "Count and until"),
        (utc(2026, 3, 9, 12), utc(2026, 3, 9, 13), "February 30th"),  # DTSTART is always an occurrence
        (utc(2026, 3, 11, 11), utc(2026, 3, 11, 12), "End before start"),
    ]
    assert (result.event_count, result.skipped_count) == (14, 9)
    assert elapsed < 3, "runaway rules must be refused, not expanded"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=SECONDLY;COUNT=100000000",
        "FREQ=MINUTELY;INTERVAL=1",
        "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,15,30,45",
        "FREQ=HOURLY;UNTIL=20990101T000000Z",
    ],
)
def test_runaway_rules_are_refused_quickly(rule):
    data = calendar(event("r", ":19900101T000000Z", ":19900101T000001Z", SUMMARY="spam", RRULE=rule))
    started = time.perf_counter()
    result = parse(data)
    assert time.perf_counter() - started < 1
    assert result.busy == []
    assert result.problems == ["Skipped event 'spam': it repeats too often to import"]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;INTERVAL=7;BYDAY=MO",  # DTSTART is a Tuesday
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
        "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=YEARLY;BYYEARDAY=367",
    ],
)
def test_rules_that_never_fire_do_not_make_dateutil_search_until_9999(rule):
    data = calendar(event("r", ":20250107T090000Z", ":20250107T100000Z", SUMMARY="odd", RRULE=rule))
    started = time.perf_counter()
    result = parse(data)
    assert time.perf_counter() - started < 1.5
    assert result.busy == []
    assert result.problems in (
        ["Ignored the repeat rule of 'odd': it never produces a date"],
        ["Skipped event 'odd': unreadable repeat rule"],  # values outside the RFC ranges
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",  # never fires: dateutil would search until 9999 on every lookup
        "FREQ=YEARLY;BYMONTHDAY=1,2,3,4,5,6,7,8;BYMONTH=1,2,3,4,5",  # 40 transitions a year
    ],
)
def test_a_malicious_vtimezone_is_an_unknown_zone_not_a_hang(rule):
    data = (
        "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Evil\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        f"RRULE:{rule}\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:x\r\nDTSTART;TZID=Evil:20260303T120000\r\nDURATION:PT1H\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    started = time.perf_counter()
    result = parse(data)
    assert time.perf_counter() - started < 1
    assert result.problems == ["Skipped event 'x': unknown time zone 'Evil'"]


def test_occurrences_per_event_are_capped(monkeypatch):
    monkeypatch.setattr(limits, "MAX_OCCURRENCES_PER_EVENT", 5)
    rdates = ",".join(f"202603{day:02d}T090000Z" for day in range(3, 13))
    data = calendar(event("r", ":20260302T090000Z", ":20260302T100000Z", SUMMARY="many", RDATE=rdates))
    result = parse(data)
    assert len(result.busy) == 5
    assert result.problems == ["Only the first 5 times of 'many' in this period were imported."]


def test_total_busy_blocks_are_capped(monkeypatch):
    monkeypatch.setattr(limits, "MAX_BUSY_BLOCKS", 10)
    data = calendar(
        *(event(f"e{i}", f":202603{i:02d}T090000Z", ":20260330T100000Z", SUMMARY=f"e{i}") for i in range(2, 20))
    )
    result = parse(data)
    assert len(result.busy) == 10
    assert result.problems == [
        "This calendar has more than 10 busy times in this period; only part of it was imported."
    ]


def test_problems_are_capped():
    data = calendar(*(event(f"e{i}", f";TZID=Nowhere/Zone{i}:20260303T090000", SUMMARY=f"e{i}") for i in range(40)))
    result = parse(data)
    assert len(result.problems) == limits.MAX_PROBLEMS
    assert result.problems[-1] == "... and 21 more problems"
    assert result.skipped_count == 40


def test_events_to_read_are_capped_before_parsing(monkeypatch):
    monkeypatch.setattr(limits, "MAX_EVENTS", 3)
    near = [event(f"e{i}", f":2026030{i}T090000Z", f":2026030{i}T100000Z", SUMMARY=f"e{i}") for i in range(2, 6)]
    far = [event(f"f{i}", f":2025010{i}T090000Z", f":2025010{i}T100000Z", SUMMARY=f"f{i}") for i in range(1, 9)]
    assert parse(calendar(*near[:3], *far)).event_count == 11  # far-away events do not count
    with pytest.raises(CalendarImportError, match="more than 3 events"):
        parse(calendar(*near))


def test_processing_time_budget(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PROCESSING_SECONDS", -1)
    with pytest.raises(CalendarImportError, match="too complex"):
        read("google_export.ics")


# ------------------------------------------------------------------------------------------------ bad files


def _random_bytes(size: int) -> bytes:
    return random.Random(1234).randbytes(size)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an iCalendar (.ics) file. It is empty."),
        (b"\r\n  \r\n\t\r\n", "not an iCalendar (.ics) file"),
        (_random_bytes(4096), "not an iCalendar (.ics) file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + _random_bytes(200), "not an iCalendar"),
        (b"<!DOCTYPE html><html><head><title>Sign in - Google Accounts</title></head></html>", "not an iCalendar"),
        ("\ufeffThis is a text file saved as Unicode\r\n".encode("utf-16"), "not an iCalendar"),
        (b"\xff\xfe" + _random_bytes(1000), "not an iCalendar"),
        (b'{"events": [{"start": "2026-03-03T09:00:00Z"}]}', "not an iCalendar"),
        (b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260303T090000Z\r\nEND:VEVENT\r\n", "not an iCalendar"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260303T090000Z\r\n", "incomplete"),
        (b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "damaged"),
        (b"BEGIN:VCALENDAR\r\nCALSCALE:ISLAMIC-CIVIL\r\nEND:VCALENDAR\r\n", "calendar scale"),
    ],
    ids=[
        "empty",
        "blank",
        "random",
        "png",
        "html",
        "utf16-text",
        "utf16-garbage",
        "json",
        "bare-vevent",
        "truncated",
        "unbalanced",
        "calscale",
    ],
)
def test_bad_files_raise_calendar_import_error(data, message):
    with pytest.raises(CalendarImportError) as info:
        parse(data)
    assert message in info.value.message
    assert str(info.value) == info.value.message


def test_too_large_file_is_refused_before_parsing():
    data = calendar() + b" " * limits.MAX_ICS_BYTES
    with pytest.raises(CalendarImportError, match=r"too large \(5\.0 MB\)"):
        parse(data)


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text.encode("utf-8-sig"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.replace("\r\n", "\n").encode(),
        lambda text: text.replace("Caf\u00e9", "Caf\u00e9").encode("cp1252"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16-le-no-bom", "lf-only", "cp1252"],
)
def test_encodings_and_line_endings(transform):
    text = calendar(event("a", ":20260303T090000Z", ":20260303T100000Z", SUMMARY="Caf\u00e9 with J\u00f6rg")).decode()
    assert spans(parse(transform(text))) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10), "Caf\u00e9 with J\u00f6rg")]


def test_arguments_are_checked():
    data = calendar()
    with pytest.raises(ValueError, match="naive"):
        parse_busy_times(data, datetime(2026, 3, 2), END, "UTC")  # noqa: DTZ001
    with pytest.raises(ValueError, match="after"):
        parse_busy_times(data, END, START, "UTC")
    with pytest.raises(ValueError, match="at most"):
        parse_busy_times(data, START, START + timedelta(days=401), "UTC")
    with pytest.raises(InvalidTimeZone):
        parse_busy_times(data, START, END, "Mars/Olympus_Mons")
    with pytest.raises(TypeError):
        parse_busy_times("BEGIN:VCALENDAR", START, END, "UTC")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- fuzzing


def _check_result(result: ImportResult) -> None:
    assert isinstance(result, ImportResult)
    assert result.busy == sorted(result.busy, key=lambda b: (b.start, b.end, b.summary))
    for block in result.busy:
        assert isinstance(block, BusyBlock)
        assert START <= block.start < block.end <= END
        assert block.start.tzinfo is UTC
    assert 0 <= result.skipped_count <= result.event_count


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_but_calendar_import_error(data):
    try:
        _check_result(parse(b"BEGIN:VCALENDAR\r\n" + data))
    except CalendarImportError:
        pass


_SAMPLES = [p.read_bytes() for p in sorted(DATA.glob("*.ics"))]


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SAMPLES),
    st.lists(st.tuples(st.sampled_from(["drop", "dup", "flip", "cut"]), st.integers(0, 10**6)), max_size=6),
)
def test_damaged_real_exports_never_raise_anything_but_calendar_import_error(sample, edits):
    lines = sample.split(b"\r\n")
    for kind, n in edits:
        i = n % len(lines)
        if kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "flip" and lines[i]:
            j = n % len(lines[i])
            lines[i] = lines[i][:j] + bytes([lines[i][j] ^ 0x21]) + lines[i][j + 1 :]
        elif kind == "cut":
            lines[i] = lines[i][: n % (len(lines[i]) + 1)]
        if not lines:
            lines = [b""]
    try:
        _check_result(parse(b"\r\n".join(lines), "Europe/Berlin"))
    except CalendarImportError:
        pass


# ------------------------------------------------------------------------------ skipping far-away events early


def test_events_far_outside_the_range_are_not_even_parsed_but_counted():
    data = calendar(
        event("old", ";TZID=Nowhere/Zone:20250101T090000", ";TZID=Nowhere/Zone:20250101T100000", SUMMARY="old"),
        event("ended", ":20250106T090000Z", ":20250106T100000Z", SUMMARY="ended", RRULE="FREQ=DAILY;UNTIL=20250301"),
        "UID:ended\r\nRECURRENCE-ID:20250110T090000Z\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z\r\n"
        "SUMMARY:moved into the range",
        event("new", ":20260304T090000Z", ":20260304T100000Z", SUMMARY="new"),
    )
    result = parse(data)
    assert [s[2] for s in spans(result)] == ["moved into the range", "new"]
    assert result.problems == []  # the unknown zone of an event in 2025 does not matter for March 2026
    assert (result.event_count, result.skipped_count) == (4, 0)


def test_skipping_early_gives_the_same_blocks_as_reading_everything(monkeypatch):
    rnd = random.Random(99)
    zones = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
    events = []
    for i in range(400):
        edge = rnd.choice([START, END]).astimezone(UTC).replace(tzinfo=None)
        day = edge + timedelta(days=rnd.randint(-4, 4), hours=rnd.randint(-12, 12))
        kind = rnd.random()
        if kind < 0.3:
            start, end = f";VALUE=DATE:{day:%Y%m%d}", f";VALUE=DATE:{day + timedelta(days=rnd.randint(1, 3)):%Y%m%d}"
        elif kind < 0.5:
            start, end = f":{day:%Y%m%dT%H%M%S}", f":{day + timedelta(hours=rnd.randint(1, 30)):%Y%m%dT%H%M%S}"
        else:
            zone = rnd.choice(zones)
            start = f";TZID={zone}:{day:%Y%m%dT%H%M%S}"
            end = f";TZID={zone}:{day + timedelta(hours=rnd.randint(1, 30)):%Y%m%dT%H%M%S}"
        until = day + timedelta(days=rnd.randint(0, 3))
        extra = {"RRULE": f"FREQ=DAILY;UNTIL={until:%Y%m%d}"} if rnd.random() < 0.2 else {}
        events.append(event(f"e{i}", start, end, SUMMARY=f"e{i}", **extra))
    data = calendar(*events)
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"):
        quick = parse(data, tz)
        with monkeypatch.context() as m:
            m.setattr(ics_text, "_outside", lambda lines, window: False)
            thorough = parse(data, tz)
        assert spans(quick) == spans(thorough)
        assert quick.event_count == thorough.event_count == 400


def test_repeated_properties_are_read_sensibly():
    data = calendar(
        event("a", ":20260303T090000Z", ":20260303T100000Z", SUMMARY="first title", STATUS="CONFIRMED")
        + "\r\nSTATUS:CANCELLED\r\nSUMMARY:second title",
        event("b", ":20260304T090000Z", ":20260304T100000Z", SUMMARY="kept", TRANSP="OPAQUE") + "\r\nCLASS:PUBLIC",
    )
    assert spans(parse(data)) == [(utc(2026, 3, 4, 9), utc(2026, 3, 4, 10), "kept")]
