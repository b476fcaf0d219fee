"""RFC 5545 form, escaping and injection, privacy of the candidate's invite, UID/SEQUENCE rules, groupings."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator.invites.ical import (
    PRODID,
    Grouping,
    InviteError,
    InviteLoop,
    InvitePerson,
    SessionInterviewer,
    candidate_invite,
    derive_uid,
    feed_calendar,
    interviewer_invite,
    interviewer_uninvite,
    loop_calendar,
    next_sequence,
    plan_candidate_events,
    stable_uid,
    storable_resources,
)
from coordinator.invites.ical_builder import _fold
from tests.invites.invites_support import (
    DOMAIN,
    POOL,
    RECRUITER,
    STAMP,
    build_cases,
    from_icaljs,
    make_loop,
    make_session,
    read_icalendar,
    read_vobject,
)

CASES = build_cases()
EMAIL_RE = re.compile(rb"[A-Za-z0-9._%+\"'-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def unfold(ics: bytes) -> list[bytes]:
    return ics.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").split(b"\r\n")[:-1]


def small_loop(*sessions, candidate_tz="Europe/Berlin", candidate=None, **kw) -> InviteLoop:
    return InviteLoop(
        candidate=candidate or InvitePerson("Ada Lovelace", "ada@candidate.example"),
        candidate_tz=candidate_tz,
        job_title="Senior Data Engineer",
        organizer=RECRUITER,
        sessions=tuple(sessions),
        candidate_uid=stable_uid("loop", 1, "candidate", DOMAIN),
        **kw,
    )


# ------------------------------------------------------------------------------------------- RFC 5545 form


@pytest.mark.parametrize("case", sorted(CASES))
def test_crlf_folding_vtimezones_and_calendar_properties(case):
    ics, method, _expected = CASES[case]
    assert ics.endswith(b"\r\n")
    assert ics.count(b"\n") == ics.count(b"\r\n"), "bare LF"
    assert b"\r" not in ics.replace(b"\r\n", b""), "bare CR"
    for line in ics.split(b"\r\n"):
        assert len(line) <= 75, f"line longer than 75 octets: {line!r}"
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    lines = unfold(ics)
    assert lines[:2] == [b"BEGIN:VCALENDAR", b"VERSION:2.0"]
    assert f"PRODID:{PRODID}".encode() in lines
    assert (f"METHOD:{method}".encode() in lines) if method else not any(x.startswith(b"METHOD:") for x in lines)
    used = {m.group(1) for m in re.finditer(rb";TZID=([^;:]+)[;:]", b"\n".join(lines))}
    defined = {x[5:] for x in lines if x.startswith(b"TZID:")}
    assert used, "every case uses TZIDs"
    assert used == defined, "a VTIMEZONE for every TZID, and only those"
    stamps = [x for x in lines if x.startswith(b"DTSTAMP")]
    assert stamps and all(x == b"DTSTAMP:20260201T093000Z" for x in stamps)


def test_vtimezones_are_outlook_style_rrules():
    ics = CASES["interviewers-request-berlin"][0].decode()
    assert "TZID:Europe/Berlin" in ics and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in ics
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in ics
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in ics and "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in ics
    assert "RDATE" not in ics
    cal = icalendar.Calendar.from_ical(ics)
    for tz in cal.walk("VTIMEZONE"):
        assert len(tz.walk("STANDARD")) == 1 and len(tz.walk("DAYLIGHT")) <= 1


def test_output_is_deterministic():
    loop = make_loop(0, "Europe/Berlin")
    assert interviewer_invite(loop, stamp=STAMP) == interviewer_invite(loop, stamp=STAMP)
    assert candidate_invite(loop, stamp=STAMP, grouping="per_day") == candidate_invite(
        loop, stamp=STAMP, grouping="per_day"
    )


def test_stamp_must_be_aware():
    loop = make_loop(0, "Europe/Berlin")
    with pytest.raises(InviteError):
        interviewer_invite(loop, stamp=datetime(2026, 1, 1))  # noqa: DTZ001


# ------------------------------------------------------------------------------------- escaping, injection

NASTY_NAME = 'Zoë "Zed" O\'Brien, Jr.; Esq.\r\nATTENDEE:mailto:evil@attacker.example\nX-INJECTED:1'
NASTY_TEXT = (
    "Line one; with, punctuation \\ backslash\r\nLine two\x00\x1b[31m\nEND:VEVENT\nBEGIN:VEVENT"
    "\u2028X-INJECTED:5\x85X-INJECTED:6"
)


def nasty_loop():
    weird = InvitePerson(NASTY_NAME, 'o"brien;x,y:z@corp.example', 'Head of "Data", EMEA\nX-INJECTED:2')
    session = replace(
        make_session(1, datetime(2026, 3, 31, 13, tzinfo=UTC), 60, "Asia/Kolkata", kind="panel"),
        title="Design\r\nX-INJECTED:3",
        description=NASTY_TEXT,
        location="Room 1; Building B, Floor 2\nX-INJECTED:4",
        interviewers=(SessionInterviewer(weird, ("ä, ö; ü",), "https://kits.corp.example/k?a=1&b=2"),),
    )
    return small_loop(session, candidate=InvitePerson(NASTY_NAME, "ada@candidate.example"))


def test_names_and_text_cannot_inject_properties():
    loop = nasty_loop()
    for ics in (
        interviewer_invite(loop, stamp=STAMP),
        candidate_invite(loop, stamp=STAMP),
        loop_calendar(loop, stamp=STAMP),
        feed_calendar([loop], stamp=STAMP),
    ):
        lines = unfold(ics)
        assert not any(x.startswith(b"X-INJECTED") for x in lines)
        assert not any(x.startswith(b"ATTENDEE:mailto:evil") for x in lines)
        assert sum(x == b"BEGIN:VEVENT" for x in lines) == 1
        assert b"\x00" not in ics and b"\x1b" not in ics
        assert not any(ch in ics.decode() for ch in "\u2028\u2029\x85")
        cal = icalendar.Calendar.from_ical(ics)
        (event,) = cal.walk("VEVENT")
        assert "X-INJECTED" not in event
        assert all("evil" not in str(a) for a in event.get("ATTENDEE", []))


def test_escaped_text_reads_back_the_same_in_every_parser(icaljs):
    loop = nasty_loop()
    ics = candidate_invite(loop, stamp=STAMP)
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    want = (
        "Line one; with, punctuation \\ backslash\nLine two[31m\nEND:VEVENT\nBEGIN:VEVENT\nX-INJECTED:5\nX-INJECTED:6"
    )
    assert want in description
    assert str(event["LOCATION"]) == "Room 1; Building B, Floor 2 X-INJECTED:4"
    assert vobject.readOne(ics.decode()).vevent.description.value == description
    js = icaljs(ics)["events"][0]
    assert js["description"] == description
    assert js["location"] == str(event["LOCATION"])
    assert js["attendees"][0]["cn"] == "Zoë 'Zed' O'Brien, Jr.; Esq. ATTENDEE:mailto:evil@attacker.example X-INJECTED:1"


def test_an_address_with_quotes_and_separators_is_percent_encoded_and_read_back(icaljs):
    loop = nasty_loop()
    ics = interviewer_invite(loop, stamp=STAMP)
    assert b"mailto:o%22brien%3Bx%2Cy%3Az@corp.example" in ics
    want = {'o"brien;x,y:z@corp.example': "REQ-PARTICIPANT"}
    assert read_icalendar(ics)["events"][loop.sessions[0].uid]["attendees"] == want
    assert read_vobject(ics)["events"][loop.sessions[0].uid]["attendees"] == want
    assert from_icaljs(icaljs(ics), ics)["events"][loop.sessions[0].uid]["attendees"] == want
    (cn,) = re.findall(rb'CN="([^"]*)"', b"\n".join(x for x in unfold(ics) if x.startswith(b"ATTENDEE")))
    assert b'"' not in cn and b"\n" not in cn


@pytest.mark.parametrize(
    "email",
    ["evil@x.example\r\nATTENDEE:mailto:bad@x.example", "two words@x.example", "no-at-sign", "", "@x.example"],
)
def test_addresses_that_are_not_addresses_are_refused(email):
    person = InvitePerson("Someone", email)
    session = replace(make_session(1, datetime(2026, 3, 31, 13, tzinfo=UTC), 60, "Europe/Berlin"))
    session = replace(session, interviewers=(SessionInterviewer(person),))
    with pytest.raises(InviteError):
        interviewer_invite(small_loop(session), stamp=STAMP)
    with pytest.raises(InviteError):
        candidate_invite(small_loop(session, candidate=person), stamp=STAMP)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.example/a\r\nATTENDEE:mailto:e@x", "ftp://x"])
def test_links_must_be_plain_http_urls(url):
    session = replace(make_session(1, datetime(2026, 3, 31, 13, tzinfo=UTC), 60, "Europe/Berlin"), video_url=url)
    with pytest.raises(InviteError):
        candidate_invite(small_loop(session), stamp=STAMP)


def test_non_ascii_names_fold_on_character_boundaries():
    long_name = "Đặng Thị Ngọc Hân-Ōkubo Tōshimichi-Σωκράτης Παπαδόπουλος-李小龍-🙂" * 2
    session = replace(
        make_session(1, datetime(2026, 3, 31, 13, tzinfo=UTC), 60, "Europe/Berlin"),
        interviewers=(SessionInterviewer(InvitePerson(long_name, "x@corp.example", "Ingeniøre")),),
    )
    ics = interviewer_invite(small_loop(session, candidate=InvitePerson(long_name, "a@c.example")), stamp=STAMP)
    for line in ics.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["ATTENDEE"].params["CN"]) == long_name
    assert long_name in str(event["SUMMARY"])


def test_uid_helpers_encode_what_does_not_belong():
    assert stable_uid("session", 42, "interviewers", "Coordinator.Example.com") == (
        "session-42-interviewers@coordinator.example.com"
    )
    uid = stable_uid("session", "a b/c@d\n", "candidate", DOMAIN)
    assert uid.count("@") == 1 and " " not in uid and "\n" not in uid
    assert derive_uid("loop-7-candidate@d.example", "day-20260330") == "loop-7-candidate-day-20260330@d.example"
    with pytest.raises(InviteError):
        stable_uid("session", 1, "x", "bad domain\r\n")


# ------------------------------------------------------------------------------------------ candidate privacy


@pytest.mark.parametrize("case", sorted(c for c in CASES if c.startswith(("candidate-", "download-candidate"))))
def test_candidate_files_hold_no_internal_data(case):
    ics, _method, _expected = CASES[case]
    flat = b"\n".join(x for x in unfold(ics) if not x.startswith(b"UID:"))
    emails = {urllib.parse.unquote(m.group(0).decode()).lower() for m in EMAIL_RE.finditer(flat)}
    candidate = next(e for e in emails if e.endswith("@candidate.example"))
    # Only the candidate and the recruiter (the ORGANIZER an iTIP request needs) are addressed.
    assert emails == {candidate, RECRUITER.email}
    assert b"kits.corp.example" not in flat
    assert b"INTERNAL-NOTE" not in flat and b"focus" not in flat.lower()
    for person in POOL:
        assert person.email.encode() not in flat
        assert urllib.parse.quote(person.email, safe="@").encode() not in flat
    cal = icalendar.Calendar.from_ical(ics)
    for event in cal.walk("VEVENT"):
        attendees = event.get("ATTENDEE")
        assert not isinstance(attendees, list), "one ATTENDEE: the candidate"
        assert str(attendees).lower() == f"mailto:{candidate}"


def test_candidate_description_names_interviewers_and_uses_the_candidates_zone():
    loop = make_loop(0, "Asia/Kolkata")
    session = loop.sessions[1]  # a panel, displayed in another zone for the interviewers
    ics = candidate_invite(loop, stamp=STAMP, only_uids=[session.candidate_uid])
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    local = session.start.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"{local:%H:%M}" in description and "IST" in description and "Asia/Kolkata" in description
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert event.start == session.start
    for interviewer in session.interviewers:
        assert f"{interviewer.person.name.split(',')[0]}" in description
    assert "INTERNAL" not in description


def test_a_session_across_a_clock_change_names_both_abbreviations():
    """01:30 EDT to 02:30 EST on the night New York goes back (two hours later in UTC): both ends name their zone,
    for the candidate and for the interviewers."""
    session = make_session(3, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), 120, "America/New_York")
    loop = small_loop(session, candidate_tz="America/New_York")
    texts = [str(icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]["DESCRIPTION"]) for ics in (
        candidate_invite(loop, stamp=STAMP), interviewer_invite(loop, stamp=STAMP, session_uids=[session.uid]))]
    for text in texts:
        assert "Sun 1 Nov 2026, 01:30 EDT – 02:30 EST" in text


def test_practical_preparation_reaches_the_candidate():
    loop = make_loop(0, "Europe/Berlin")
    practical = next(s for s in loop.sessions if s.kind == "practical")
    for grouping in Grouping:
        cal = icalendar.Calendar.from_ical(candidate_invite(loop, stamp=STAMP, grouping=grouping))
        texts = [str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")]
        assert sum(bool(re.search(re.escape(practical.prep_instructions) + r"\b", t)) for t in texts) == 1


# ------------------------------------------------------------------------------------------ interviewer side


def test_interviewer_invite_speaks_to_the_recipient():
    loop = make_loop(0, "Europe/Berlin")
    panel = next(s for s in loop.sessions if s.kind == "panel")
    session = replace(panel, shadow=SessionInterviewer(InvitePerson("Sam Shadow", "sam@corp.example")))
    loop = replace(loop, sessions=tuple(session if s is panel else s for s in loop.sessions))
    me, other = session.interviewers[0], session.interviewers[1]
    ics = interviewer_invite(loop, me.person.email, stamp=STAMP, session_uids=[session.uid])
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == "Interview: Ada Lovelace-0 — Panel (Senior Data Engineer)"
    assert me.kit_url in description and other.kit_url not in description
    assert all(f in description for f in me.focus_areas)
    assert "Panel" in description and session.video_url in description
    assert str(event["URL"]) == session.video_url
    assert str(event["ORGANIZER"]) == f"mailto:{RECRUITER.email}"
    roles = {str(a).lower(): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert roles[f"mailto:{session.shadow.person.email}"] == "OPT-PARTICIPANT"
    for a in event["ATTENDEE"]:
        assert a.params["PARTSTAT"] == "NEEDS-ACTION" and a.params["RSVP"] == "TRUE" and a.params["CN"]
    with pytest.raises(InviteError):
        interviewer_invite(loop, "nobody@corp.example", stamp=STAMP)


def test_session_without_interviewers_fails_for_interviewers_but_not_for_the_candidate():
    lonely = replace(make_session(7, datetime(2026, 3, 31, 9, tzinfo=UTC), 60, "Europe/Berlin"), interviewers=())
    loop = small_loop(lonely)
    with pytest.raises(InviteError, match="no interviewers") as info:
        interviewer_invite(loop, stamp=STAMP)
    assert isinstance(info.value, ValueError)
    ics = candidate_invite(loop, stamp=STAMP)
    assert read_icalendar(ics)["events"].keys() == {lonely.candidate_uid}
    assert loop_calendar(loop, stamp=STAMP)  # the download still lists it


def test_update_and_cancel_keep_the_uid_and_raise_the_sequence():
    loop = make_loop(0, "Europe/Berlin")
    first = read_icalendar(interviewer_invite(loop, stamp=STAMP))
    moved = replace(
        loop,
        sessions=tuple(
            next_sequence(replace(s, start=s.start + timedelta(hours=1), end=s.end + timedelta(hours=1)))
            for s in loop.sessions
        ),
    )
    update = read_icalendar(interviewer_invite(moved, stamp=STAMP))
    cancelled = replace(moved, sessions=tuple(next_sequence(s) for s in moved.sessions))
    cancel = read_icalendar(interviewer_invite(cancelled, stamp=STAMP, method="CANCEL"))
    assert first["events"].keys() == update["events"].keys() == cancel["events"].keys()
    assert (first["method"], update["method"], cancel["method"]) == ("REQUEST", "REQUEST", "CANCEL")
    for uid in first["events"]:
        assert [r["events"][uid]["sequence"] for r in (first, update, cancel)] == [0, 1, 2]
        assert cancel["events"][uid]["status"] == "CANCELLED"
        assert update["events"][uid]["start"] == first["events"][uid]["start"] + timedelta(hours=1)
    candidate_first = read_icalendar(candidate_invite(loop, stamp=STAMP, grouping="per_block"))
    candidate_update = read_icalendar(candidate_invite(moved, stamp=STAMP, grouping="per_block"))
    assert candidate_first["events"].keys() == candidate_update["events"].keys()
    assert {e["sequence"] for e in candidate_update["events"].values()} == {1}


def test_removed_interviewer_gets_a_cancel_for_their_event_only():
    loop = make_loop(0, "Europe/Berlin")
    panel = next(s for s in loop.sessions if s.kind == "panel")
    removed, added = panel.interviewers[1].person, SessionInterviewer(POOL[5])
    after = next_sequence(replace(panel, interviewers=(panel.interviewers[0], panel.interviewers[2], added)))
    loop_after = replace(loop, sessions=tuple(after if s.uid == panel.uid else s for s in loop.sessions))

    cancel = icalendar.Calendar.from_ical(interviewer_uninvite(loop_after, panel.uid, removed, stamp=STAMP))
    assert cancel["METHOD"] == "CANCEL"
    (event,) = cancel.walk("VEVENT")
    assert str(event["UID"]) == panel.uid and event["SEQUENCE"] == panel.sequence + 1
    assert "STATUS" not in event  # STATUS:CANCELLED would cancel it for everybody (RFC 5546 3.2.5)
    assert urllib.parse.unquote(str(event["ATTENDEE"])).lower() == f"mailto:{removed.email}"

    request = read_icalendar(interviewer_invite(loop_after, added.person.email, stamp=STAMP, session_uids=[panel.uid]))
    assert request["method"] == "REQUEST"
    assert set(request["events"][panel.uid]["attendees"]) == {p.person.email.lower() for p in after.people}
    with pytest.raises(InviteError):
        interviewer_uninvite(loop_after, panel.uid, added.person, stamp=STAMP)


def test_cancelled_sessions_are_left_out_of_requests_unless_named():
    loop = make_loop(0, "Europe/Berlin")
    gone = replace(loop.sessions[0], status="CANCELLED")
    loop = replace(loop, sessions=(gone, *loop.sessions[1:]))
    assert gone.uid not in read_icalendar(interviewer_invite(loop, stamp=STAMP))["events"]
    with pytest.raises(InviteError, match="CANCEL"):
        interviewer_invite(loop, stamp=STAMP, session_uids=[gone.uid])
    assert gone.candidate_uid not in read_icalendar(candidate_invite(loop, stamp=STAMP))["events"]
    feed = read_icalendar(loop_calendar(loop, stamp=STAMP))
    assert feed["events"][gone.uid]["status"] == "CANCELLED"


# ------------------------------------------------------------------------------------------------ groupings


def _at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_groupings_per_session_block_and_day():
    s = [
        make_session(1, _at(30, 8), 60, "Europe/Berlin"),  # 10:00-11:00 CEST
        make_session(2, _at(30, 9, 10), 50, "Europe/Berlin"),  # 10 min gap: same block
        make_session(3, _at(30, 9, 55), 30, "Europe/Berlin"),  # overlaps the previous one: same block
        make_session(4, _at(30, 11), 45, "America/New_York"),  # 35 min gap: new block
        make_session(5, _at(30, 21, 30), 60, "Asia/Kolkata"),  # 23:30 CEST: still 30 March in Berlin
        make_session(6, _at(30, 22, 50), 30, "Europe/Berlin"),  # 00:50 CEST on 31 March, 20 min later
    ]
    loop = small_loop(*reversed(s), candidate_tz="Europe/Berlin")
    per_session = plan_candidate_events(loop, "per_session")
    assert [e.uid for e in per_session] == [x.candidate_uid for x in s]

    blocks = plan_candidate_events(loop, Grouping.PER_BLOCK)
    assert [[x.uid for x in e.sessions] for e in blocks] == [
        [s[0].uid, s[1].uid, s[2].uid],
        [s[3].uid],
        [s[4].uid],
        [s[5].uid],
    ]
    assert blocks[0].uid == derive_uid(s[0].candidate_uid, "block")
    assert (blocks[0].start, blocks[0].end) == (_at(30, 8), _at(30, 10, 25))

    wide = plan_candidate_events(replace(loop, block_gap=timedelta(minutes=45)), Grouping.PER_BLOCK)
    assert [len(e.sessions) for e in wide] == [4, 2]

    days = plan_candidate_events(loop, Grouping.PER_DAY)
    assert [e.uid for e in days] == [
        derive_uid(loop.candidate_uid, "day-20260330"),
        derive_uid(loop.candidate_uid, "day-20260331"),
    ]
    assert [len(e.sessions) for e in days] == [5, 1]
    # The same sessions seen from New York: all on 30 March there.
    ny = plan_candidate_events(replace(loop, candidate_tz="America/New_York"), Grouping.PER_DAY)
    assert [len(e.sessions) for e in ny] == [6]

    ics = candidate_invite(loop, stamp=STAMP, grouping="per_day")
    day1 = next(e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if "20260330" in str(e["UID"]))
    text = str(day1["DESCRIPTION"])
    assert text.index("10:00–11:00 CEST") < text.index("11:10–12:00 CEST") < text.index("23:30–00:30 CEST")
    assert "Interview day" in str(day1["SUMMARY"])


def test_group_sequence_defaults_to_the_highest_session_sequence_and_can_be_overridden():
    s1 = make_session(1, _at(30, 8), 60, "Europe/Berlin", sequence=3)
    s2 = make_session(2, _at(30, 9), 60, "Europe/Berlin", sequence=5)
    loop = small_loop(s1, s2)
    (day,) = plan_candidate_events(loop, "per_day")
    assert day.sequence == 5
    ics = candidate_invite(loop, stamp=STAMP, grouping="per_day", sequences={day.uid: 9})
    assert read_icalendar(ics)["events"][day.uid]["sequence"] == 9


# ------------------------------------------------------------------------------------------- storage, feeds


def test_storable_resources_are_one_uid_each_without_method():
    ics = CASES["interviewers-request-berlin"][0]
    resources = storable_resources(ics)
    assert len(resources) == len(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    for uid, data in resources.items():
        cal = icalendar.Calendar.from_ical(data)
        assert "METHOD" not in cal
        (event,) = cal.walk("VEVENT")
        assert str(event["UID"]) == uid
        assert cal.get_missing_tzids() == set()
        assert len(cal.walk("VTIMEZONE")) == (0 if event["DTSTART"].to_ical().endswith(b"Z") else 1)


def test_feed_has_no_method_a_name_and_its_own_uids():
    loop = make_loop(0, "Europe/Berlin")
    cal = icalendar.Calendar.from_ical(feed_calendar([loop], stamp=STAMP, name="Grace's interviews"))
    assert "METHOD" not in cal
    assert str(cal["X-WR-CALNAME"]) == "Grace's interviews"
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} == {derive_uid(s.uid, "feed") for s in loop.sessions}


# ---------------------------------------------------------------------------------------------------- folding


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=400))
def test_fold_is_reversible_and_short(text):
    line = "DESCRIPTION:" + text
    folded = _fold(line)
    physical = folded.split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for p in physical:
        p.decode("utf-8")  # never inside a UTF-8 sequence
    assert b"".join([physical[0], *(p[1:] for p in physical[1:])]).decode("utf-8") == line


def test_fold_matches_icalendar_after_unfolding():
    loop = nasty_loop()
    ours = interviewer_invite(loop, stamp=STAMP)
    theirs = icalendar.Calendar.from_ical(ours).to_ical()
    assert unfold(ours) == unfold(theirs)
