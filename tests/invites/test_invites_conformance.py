"""Every kind of invite, read by four independent implementations, must say the same thing.

Readers: icalendar (round trip; it resolves TZIDs by name), vobject (resolves TZIDs through the file's
VTIMEZONE with dateutil), Mozilla ical.js under node (the parser in Thunderbird; the reader script registers
the file's VTIMEZONEs), and a Radicale CalDAV server (the storable form PUT without METHOD, then found with
REPORT time-range queries). Sessions are in Europe/Berlin, America/New_York and Asia/Kolkata on both sides
of the March and October/November 2026 daylight-saving changes, including the transition nights.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

import icalendar
import pytest

from coordinator.invites.ical import storable_resources
from tests.invites.invites_support import (
    build_cases,
    from_icaljs,
    read_icalendar,
    read_vobject,
)

CASES = build_cases()
IDS = sorted(CASES)


def _assert_same(read: dict, method, expected: dict, reader: str) -> None:
    assert read["method"] == method, f"{reader}: METHOD"
    assert set(read["events"]) == set(expected), f"{reader}: UIDs"
    for uid, want in expected.items():
        got = read["events"][uid]
        for key in ("start", "end"):
            assert got[key] == want[key].astimezone(UTC), f"{reader}: {uid} {key}: {got[key]} != {want[key]}"
        assert got["sequence"] == want["sequence"], f"{reader}: {uid} SEQUENCE"
        assert got["status"] == want["status"], f"{reader}: {uid} STATUS"
        assert got["attendees"] == want["attendees"], f"{reader}: {uid} ATTENDEEs"
        assert got["organizer"] == want["organizer"], f"{reader}: {uid} ORGANIZER"


def test_cases_cover_the_transition_nights():
    ics = CASES["interviewers-request-berlin"][0]
    # 02:00-03:00 on 25 Oct 2026 happens twice in Berlin (01:00-02:00 on 1 Nov in New York). RFC 5545 reads
    # such a TZID time as the first pass, ical.js as the second: sessions in that hour are written in UTC.
    assert b"DTSTART:20261025T000000Z" in ics and b"DTEND:20261025T003000Z" in ics
    assert b"DTSTART:20261025T013000Z" in ics
    assert b"DTSTART;TZID=Europe/Berlin:20260329T013000" in ics  # the spring gap is not ambiguous
    ics = CASES["interviewers-request-new_york"][0]
    assert b"DTSTART:20261101T050000Z" in ics
    assert b"DTSTART:20261101T063000Z" in ics


@pytest.mark.parametrize("case", IDS)
def test_icalendar_round_trip(case):
    ics, method, expected = CASES[case]
    _assert_same(read_icalendar(ics), method, expected, "icalendar")
    assert icalendar.Calendar.from_ical(ics).get_missing_tzids() == set()


@pytest.mark.parametrize("case", IDS)
def test_vobject(case):
    ics, method, expected = CASES[case]
    _assert_same(read_vobject(ics), method, expected, "vobject")


@pytest.fixture(scope="module")
def icaljs_results(icaljs):
    """Every case read by ical.js in one node process (each document still on its own, see read_ics.mjs)."""
    return dict(zip(IDS, icaljs([CASES[case][0] for case in IDS]), strict=True))


@pytest.mark.parametrize("case", IDS)
def test_icaljs(case, icaljs_results):
    ics, method, expected = CASES[case]
    _assert_same(from_icaljs(icaljs_results[case], ics), method, expected, "ical.js")


# Radicale takes ~10-15 ms per PUT here, so it gets one case per kind of invite (request, update, cancel,
# uninvite, the three candidate groupings with the candidate zones rotated, feed) rather than every variant:
# every zone and every DST edge is still stored and queried; the other readers above take every case.
RADICALE_CASES = (
    "interviewers-request-berlin",
    "interviewers-update-new_york",
    "interviewers-cancel-kolkata",
    "interviewer-uninvite-berlin",
    "candidate-per_session-kolkata",
    "candidate-per_block-new_york",
    "candidate-per_day-berlin",
    "feed-interviewer",
)
TRANSITION_DAYS = {date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)}


def _kind(case: str) -> str:
    head, _, tail = case.rpartition("-")
    return head if tail in ("berlin", "new_york", "kolkata") else case


def test_radicale_cases_cover_every_kind():
    assert set(RADICALE_CASES) <= set(CASES)
    left_out = {_kind(c) for c in CASES} - {_kind(c) for c in RADICALE_CASES}
    # Variants of a kind that is stored: updates/cancels of candidate events, downloads, the bigger feed.
    assert left_out <= {
        "interviewer-request-one-person",
        "candidate-per_block-update",
        "candidate-per_day-cancel",
        "download-internal",
        "download-candidate",
        "feed-recruiter",
    }


@pytest.mark.parametrize("case", RADICALE_CASES)
def test_radicale_stores_and_finds_by_time_range(case, radicale):
    ics, _method, expected = CASES[case]
    collection = radicale.make_calendar(case)
    resources = storable_resources(ics)
    assert set(resources) == set(expected)
    for uid, data in resources.items():
        assert b"\r\nMETHOD:" not in data
        radicale.put(collection, uid, data)  # Radicale refuses what vobject cannot read

    # calendar-query over the whole span finds every event, stored without METHOD, same instants.
    first = min(ev["start"] for ev in expected.values())
    last = max(ev["end"] for ev in expected.values())
    found = radicale.time_range(collection, first, last)
    assert set(found) == set(expected)
    for uid, raw in found.items():
        stored = icalendar.Calendar.from_ical(raw)
        assert "METHOD" not in stored
        (event,) = stored.walk("VEVENT")
        assert event.start.astimezone(UTC) == expected[uid]["start"]
        assert event.end.astimezone(UTC) == expected[uid]["end"]
        assert int(event.get("SEQUENCE", 0)) == expected[uid]["sequence"]

    # free-busy-query: the server's own reading of every event as UTC periods (an hour off would show).
    fbtype = {None: "BUSY", "CONFIRMED": "BUSY", "TENTATIVE": "BUSY-TENTATIVE", "CANCELLED": "FREE"}
    want = {(ev["start"], ev["end"], fbtype[ev["status"]]) for ev in expected.values()}
    # (a set: the server lists a period once however many events share it, as in the three-loop feed)
    assert set(radicale.free_busy(collection, first - timedelta(days=1), last + timedelta(days=1))) == want

    # Time-range queries right before and right after the events of the transition nights.
    hour = timedelta(hours=1)
    for uid, ev in expected.items():
        if ev["start"].date() not in TRANSITION_DAYS:
            continue
        for a, b in ((ev["start"] - hour, ev["start"]), (ev["end"], ev["end"] + hour)):
            overlapping = {u for u, e in expected.items() if e["start"] < b and e["end"] > a}
            assert set(radicale.time_range(collection, a, b)) == overlapping, f"[{a}, {b}) around {uid}"
