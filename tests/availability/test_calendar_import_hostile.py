"""Hostile and awkward calendar files: a description folded over 60,000 lines (an Outlook export with an inline
attachment), an unreadable time zone nobody uses, one invalid byte among correct UTF-8 titles, oversized events;
and nobody else is locked out of the site while a file is read.

The files are generated here. Speed itself is measured in bench/ (no wall-clock assertions in tests); what the
tests pin is the behaviour: such files import, the time budget is checked while a file is read (not after), and
the write lock is not held meanwhile.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

import pytest

from coordinator.auth.roles import Role
from coordinator.availability import calendar_import, ics_text
from coordinator.availability import ics_limits as limits
from coordinator.availability.calendar_import import CalendarImportError, parse_busy_times
from coordinator.extensions import db
from tests.helpers import TEST_PASSWORD, text_of

START = datetime(2026, 3, 5, tzinfo=UTC)
END = datetime(2026, 5, 28, tzinfo=UTC)

HEAD = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
TAIL = b"END:VCALENDAR\r\n"


def vevent(uid: str, day: int, summary: bytes, *extra: bytes) -> bytes:
    lines = [
        b"BEGIN:VEVENT",
        b"UID:" + uid.encode(),
        b"DTSTART:202603%02dT090000Z" % day,
        b"DTEND:202603%02dT100000Z" % day,
        b"SUMMARY:" + summary,
        *extra,
        b"END:VEVENT",
    ]
    return b"\r\n".join(lines) + b"\r\n"


def folded_outlook_file(lines: int = 60_000) -> bytes:
    """An Outlook event whose description (an inline attachment, base64) is folded over `lines` lines: ~4.6 MB."""
    chunk = b"TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIFRoZSBxdWljayBicm93biBmb3gganVtcHMgb3Zl"[:74]
    description = b"DESCRIPTION:Attached: agenda.pdf\\n" + b"".join(b"\r\n " + chunk for _ in range(lines))
    alt = b"X-ALT-DESC;FMTTYPE=text/html:<html><body>" + b"".join(b"\r\n " + chunk for _ in range(200)) + b"</body>"
    return HEAD + vevent("attach-1", 10, b"Design review", description, alt) + vevent("plain-1", 11, b"1:1") + TAIL


def read(data: bytes, **kwargs) -> calendar_import.ImportResult:
    return parse_busy_times(data, START, END, "Europe/Berlin", **kwargs)


# ------------------------------------------------------------------------------------- one folded line


def test_a_description_folded_over_60000_lines_imports():
    data = folded_outlook_file()
    assert len(data) > 4_500_000
    result = read(data)
    assert [(b.start, b.summary) for b in result.busy] == [
        (datetime(2026, 3, 10, 9, tzinfo=UTC), "Design review"),
        (datetime(2026, 3, 11, 9, tzinfo=UTC), "1:1"),
    ]
    assert result.problems == []


def test_a_title_folded_over_many_lines_is_unfolded_and_shortened():
    summary = b"Quarterly planning" + b"".join(b"\r\n  and more" for _ in range(50_000))
    result = read(HEAD + vevent("long", 12, summary) + TAIL)
    assert len(result.busy) == 1
    assert result.busy[0].summary.startswith("Quarterly planning and more and more")
    assert len(result.busy[0].summary) <= calendar_import.SUMMARY_MAX_CHARS


def test_the_time_budget_is_checked_while_the_file_is_read_not_after(monkeypatch):
    """A file that would take too long is refused before the parser ever sees it (the old budget was checked only
    after parsing, so a slow file ran to the end, or to the worker's timeout)."""
    parsed: list[str] = []
    real = ics_text._parse_one
    monkeypatch.setattr(ics_text, "_parse_one", lambda text: parsed.append(text) or real(text))
    monkeypatch.setattr(limits, "MAX_PROCESSING_SECONDS", -1)
    with pytest.raises(CalendarImportError, match="too complex to import"):
        read(folded_outlook_file(1_000))
    assert parsed == []


def test_many_events_are_parsed_in_batches_with_the_budget_checked_between(monkeypatch):
    checks = 0
    real_check = limits.Deadline.check

    def counting(self):
        nonlocal checks
        checks += 1
        return real_check(self)

    monkeypatch.setattr(limits.Deadline, "check", counting)
    parsed: list[str] = []
    real = ics_text._parse_one
    monkeypatch.setattr(ics_text, "_parse_one", lambda text: parsed.append(text) or real(text))
    events = b"".join(vevent(f"e{i}", 10 + i % 18, b"Meeting %d" % i) for i in range(1_000))
    result = read(HEAD + events + TAIL)
    assert len(result.busy) == 1_000
    assert len(parsed) == 5  # 200 events per batch
    assert checks >= 1_000 + 5  # per event and per batch at least


def test_an_event_too_large_to_read_is_skipped_and_named():
    attendees = b"\r\n".join(b"ATTENDEE;CN=Owner:mailto:owner@example.com" for _ in range(10_000))
    dates = b"RDATE:" + b",".join(b"20260312T090000Z" for _ in range(6_000))
    data = HEAD + vevent("huge", 10, b"All hands", attendees) + vevent("dates", 11, b"Office hours", dates)
    data += vevent("ok", 12, b"Standup") + TAIL
    result = read(data, owner_email="owner@example.com")
    assert [b.summary for b in result.busy] == ["Standup"]
    assert result.problems == [
        "Skipped event 'All hands': it is too large to read",
        "Skipped event 'Office hours': too many extra or excluded dates",
    ]
    assert result.skipped_count == 2 and result.event_count == 3


# ------------------------------------------------------------------------------------------- time zones

UNUSED_BAD_ZONE = (
    b"BEGIN:VTIMEZONE\r\nTZID:Old Customized Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
    b"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100x\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)
GOOD_ZONE = (
    b"BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
    b"TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def test_a_bad_time_zone_no_event_uses_is_skipped_with_a_note():
    local = b"BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Customized Time Zone:20260313T100000\r\n"
    local += b"DTEND;TZID=Customized Time Zone:20260313T110000\r\nSUMMARY:Sync with Pune\r\nEND:VEVENT\r\n"
    result = read(HEAD + UNUSED_BAD_ZONE + GOOD_ZONE + vevent("a", 10, b"Standup") + local + TAIL)
    assert [(b.start, b.summary) for b in result.busy] == [
        (datetime(2026, 3, 10, 9, tzinfo=UTC), "Standup"),
        (datetime(2026, 3, 13, 4, 30, tzinfo=UTC), "Sync with Pune"),  # 10:00 at +05:30
    ]
    assert result.problems == ["Skipped the time zone 'Old Customized Zone': its definition could not be read."]


def test_an_event_in_the_bad_zone_is_skipped_as_in_an_unknown_zone():
    uses = b"BEGIN:VEVENT\r\nUID:u\r\nDTSTART;TZID=Old Customized Zone:20260313T100000\r\n"
    uses += b"DTEND;TZID=Old Customized Zone:20260313T110000\r\nSUMMARY:Old sync\r\nEND:VEVENT\r\n"
    result = read(HEAD + UNUSED_BAD_ZONE + vevent("a", 10, b"Standup") + uses + TAIL)
    assert [b.summary for b in result.busy] == ["Standup"]
    assert result.problems == [
        "Skipped the time zone 'Old Customized Zone': its definition could not be read.",
        "Skipped event 'Old sync': unknown time zone 'Old Customized Zone'",
    ]


# ---------------------------------------------------------------------------------------------- encoding


def test_one_invalid_byte_does_not_garble_the_correct_utf8_titles():
    titles = ["Interview: Sofia García", "Müller 1:1", "Café with Zoë", "Déjà vu review", "東京 sync"]
    events = b"".join(vevent(f"t{i}", 10 + i, t.encode()) for i, t in enumerate(titles))
    broken = vevent("bad", 20, b"Budget " + b"\xff" + " für Zoë".encode())
    result = read(HEAD + events + broken + TAIL)
    assert [b.summary for b in result.busy] == [*titles, "Budget \ufffd für Zoë"]


def test_an_old_outlook_line_in_windows_1252_still_reads_among_utf8_lines():
    data = HEAD + vevent("u", 10, "Müller 1:1".encode()) + vevent("w", 11, "Café".encode("cp1252")) + TAIL
    assert [b.summary for b in read(data).busy] == ["Müller 1:1", "Café"]


def test_a_fold_inside_a_utf8_character_is_restored_in_a_file_with_a_bad_byte():
    split = "Café".encode()  # b"Caf\xc3\xa9": folded between the two bytes of the é
    summary = split[:4] + b"\r\n " + split[4:] + b" review"
    data = HEAD + vevent("f", 10, summary) + vevent("cp", 11, b"Don\x92t forget") + TAIL  # not valid UTF-8
    assert [b.summary for b in read(data).busy] == ["Café review", "Don\u2019t forget"]


# ------------------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def anna(make_user):
    return make_user(Role.INTERVIEWER, name="Anna Schmidt", email="anna.schmidt@example.com", timezone="Europe/Berlin")


def upload(client, user, data: bytes, filename: str = "outlook.ics"):
    """POST the file as a browser would. The multipart body is built here: for bodies over 500 KB Werkzeug's test
    client spools its own copy to a temporary file it never closes."""
    boundary = b"coordinator-test-boundary-7d1f"
    body = b"".join(
        [
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n',
            client.csrf_token().encode(),
            b"\r\n",
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="calendar_file"; filename="',
            filename.encode(),
            b'"\r\nContent-Type: text/calendar\r\n\r\n',
            data,
            b"\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )
    return client.post(
        f"/availability/{user.id}/import",
        data=body,
        csrf=False,
        content_type="multipart/form-data; boundary=" + boundary.decode(),
    )


def test_the_folded_outlook_file_imports_through_the_page(app, anna, client_for, clock):
    client = client_for(anna)
    response = upload(client, anna, folded_outlook_file())
    assert response.status_code == 302, text_of(response)
    page = text_of(client.get("/availability"))
    assert "Imported “outlook.ics”: 2 busy times from 2 events." in page
    assert "Design review" in page


def test_a_file_over_the_time_budget_is_a_400_that_says_why(app, anna, client_for, clock, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PROCESSING_SECONDS", -1)
    response = upload(client_for(anna), anna, folded_outlook_file(1_000))
    assert response.status_code == 400
    assert "This calendar is too complex to import" in text_of(response)


def test_the_page_lists_the_skipped_time_zone(app, anna, client_for, clock):
    client = client_for(anna)
    response = upload(client, anna, HEAD + UNUSED_BAD_ZONE + vevent("a", 10, b"Standup") + TAIL)
    assert response.status_code == 302
    page = text_of(client.get("/availability"))
    assert "Skipped the time zone 'Old Customized Zone': its definition could not be read." in page


def test_others_sign_in_while_a_file_is_being_read_on_sqlite(app, anna, make_user, client_for, clock, monkeypatch):
    """The import's POST must not hold SQLite's write lock while it reads the file: before, a slow file made every
    sign-in wait 15 seconds for the lock and then fail with "database is locked"."""
    assert db.engine.dialect.name == "sqlite"
    colleague = make_user(Role.RECRUITER, email="rita@example.com")
    reading, proceed = threading.Event(), threading.Event()
    real = calendar_import.parse_busy_times

    def slow_read(*args, **kwargs):
        reading.set()
        proceed.wait(30)  # the file is "being read" until the sign-in below is done
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_import, "parse_busy_times", slow_read)
    importer = client_for(anna)
    url, email = f"/availability/{anna.id}/import", colleague.email
    outcome: dict[str, object] = {}

    def import_file() -> None:
        try:
            data = {"calendar_file": (io.BytesIO(HEAD + vevent("a", 10, b"Standup") + TAIL), "outlook.ics")}
            outcome["status"] = importer.post(url, data=data, content_type="multipart/form-data").status_code
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc
        finally:
            reading.set()

    thread = threading.Thread(target=import_file)
    thread.start()
    try:
        assert reading.wait(30), "the import never started reading"
        assert "error" not in outcome, outcome
        signed_in = app.test_client().post("/login", data={"email": email, "password": TEST_PASSWORD})
        assert signed_in.status_code == 302, text_of(signed_in)
    finally:
        proceed.set()
        thread.join(60)
    assert outcome == {"status": 302}
    assert "Imported “outlook.ics”: 1 busy time from 1 event." in text_of(importer.get("/availability"))
