"""Live calendars against a real Radicale server (htpasswd users): discovery, refusals, the first sync, events added,
moved, deleted and a series edited between syncs, a server that stops mid-sync, and disconnecting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.auth.models import User
from coordinator.availability import calendar_sync, services
from coordinator.availability.jobs import sync_all
from coordinator.availability.models import BusyBlock, CalendarConnection, CalendarObject, SyncedCalendar
from coordinator.dblock import write_transaction
from coordinator.extensions import db
from tests.availability.caldav_support import RadicaleServer, event
from tests.helpers import require_component

PASSWORD = "app-password-1"


@pytest.fixture
def radicale(tmp_path):
    try:
        import radicale  # noqa: F401
    except ImportError:
        require_component("Radicale", "Radicale is not installed (pip install the project's test extra)")
    server = RadicaleServer(tmp_path / "radicale", {"alice": PASSWORD, "bob": "bobs-password"})
    try:
        server.start()
    except RuntimeError as exc:
        require_component("Radicale", str(exc))
    yield server
    server.stop()


def _busy(user: User) -> list[tuple[datetime, datetime]]:
    db.session.expire_all()
    rows = db.session.execute(select(BusyBlock.start_dt, BusyBlock.end_dt).where(
        BusyBlock.user_id == user.id, BusyBlock.source == "caldav").order_by(BusyBlock.start_dt)).all()
    return [(s, e) for s, e in rows]


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _connect(user: User, server: RadicaleServer, username: str = "alice", password: str = PASSWORD):
    with write_transaction():
        conn = calendar_sync.connect(db.session.get(User, user.id), server.url, username, password)
        db.session.commit()
    return conn


def test_discovery_lists_the_event_calendars_and_stores_the_password_encrypted(app, clock, make_user, radicale):
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    admin.make_calendar("family", "Family")
    admin.make_calendar("tasks", "Tasks", components="VTODO")
    user = make_user(email="alice@corp.example")
    conn = _connect(user, radicale)
    assert conn.principal_url.endswith("/alice/") and conn.home_url.endswith("/alice/")
    assert [c.name for c in conn.calendars] == ["Family", "Work"]  # the to-do list is not a calendar of events
    assert all(c.is_busy and not c.is_write for c in conn.calendars)
    assert PASSWORD not in conn.secret and calendar_sync.credentials.decrypt(conn.secret) == PASSWORD


@pytest.mark.parametrize("password, field, words", [
    ("wrong", "password", "refused this user name and password"),
])
def test_a_refused_password_is_said_and_nothing_is_stored(app, clock, make_user, radicale, password, field, words):
    radicale.admin("alice").make_calendar("work", "Work")
    user = make_user()
    with pytest.raises(services.AvailabilityError) as caught:
        calendar_sync.connect(user, radicale.url, "alice", password)
    assert caught.value.field == field and words in caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(CalendarConnection.id))) == 0


def test_an_address_where_nothing_answers_is_said(app, clock, make_user):
    from tests.availability.caldav_support import free_port

    with pytest.raises(services.AvailabilityError) as caught:
        calendar_sync.connect(make_user(), f"http://127.0.0.1:{free_port()}/", "alice", PASSWORD)
    assert caught.value.field == "server_url" and "did not answer" in caught.value.message
    with pytest.raises(services.AvailabilityError) as caught:
        calendar_sync.connect(make_user(), "not a url at all", "alice", PASSWORD)
    assert "not a web address" in caught.value.message


def _sync(clock=None) -> calendar_sync.SyncReport:
    report = sync_all(now=clock() if clock else None, workers=2)
    db.session.expire_all()
    return report


def test_first_sync_then_added_moved_deleted_and_a_series_edited_are_each_seen(app, clock, make_user, radicale):
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    admin.put("work", "standup", event("standup", "20260309T080000Z", "20260309T081500Z", "Standup",
                                      extra="RRULE:FREQ=DAILY;COUNT=5"))
    admin.put("work", "lunch", event("lunch", "20260310T110000Z", "20260310T120000Z", "Lunch"))
    admin.put("work", "free", event("free", "20260311T110000Z", "20260311T120000Z", "Focus",
                                    extra="TRANSP:TRANSPARENT"))
    admin.put("work", "holiday", event("holiday", "20260320", "20260321", "Holiday", all_day=True))
    user = make_user(email="alice@corp.example", timezone="Europe/Berlin")
    _connect(user, radicale)

    report = _sync(clock)
    assert report.failed == 0 and report.connections == 1
    busy = _busy(user)
    assert (_utc("20260310T110000Z"), _utc("20260310T120000Z")) in busy  # lunch
    assert sum(1 for s, _e in busy if s.hour == 8 and s.minute == 0) == 5  # five stand-ups
    assert all(s != _utc("20260311T110000Z") for s, _e in busy)  # a free (transparent) event blocks nothing
    # the all-day holiday blocks the person's whole local day (Berlin: 23:00 UTC the day before)
    assert (datetime(2026, 3, 19, 23, tzinfo=UTC), datetime(2026, 3, 20, 23, tzinfo=UTC)) in busy

    # a pass with no change asks for the markers only and writes nothing
    clock.advance(minutes=11)
    quiet = _sync(clock)
    assert quiet.calendars_changed == 0 and quiet.requests == 1 and quiet.busy_rows == 0

    # added, moved, deleted, and the series edited (one occurrence moved, one cancelled) between two syncs
    admin.put("work", "review", event("review", "20260312T140000Z", "20260312T150000Z", "Review"))
    admin.put("work", "lunch", event("lunch", "20260310T120000Z", "20260310T130000Z", "Lunch moved"))
    admin.delete("work", "holiday")
    admin.put("work", "standup", event("standup", "20260309T080000Z", "20260309T081500Z", "Standup",
                                       extra="RRULE:FREQ=DAILY;COUNT=5").replace(
        "END:VCALENDAR", "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20260301T000000Z\r\n"
        "RECURRENCE-ID:20260310T080000Z\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T091500Z\r\n"
        "SUMMARY:Standup later\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20260301T000000Z\r\n"
        "RECURRENCE-ID:20260311T080000Z\r\nDTSTART:20260311T080000Z\r\nDTEND:20260311T081500Z\r\n"
        "STATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR"))
    clock.advance(minutes=11)
    report = _sync(clock)
    assert report.calendars_changed == 1 and report.objects == 3  # review, lunch, standup: only what changed
    busy = _busy(user)
    assert (_utc("20260312T140000Z"), _utc("20260312T150000Z")) in busy
    assert (_utc("20260310T120000Z"), _utc("20260310T130000Z")) in busy
    assert (_utc("20260310T110000Z"), _utc("20260310T120000Z")) not in busy
    assert not any(s.day == 19 and s.hour == 23 for s, _e in busy)
    standups = sorted(s for s, e in busy if e - s == timedelta(minutes=15))
    assert standups == [_utc("20260309T080000Z"), _utc("20260310T090000Z"), _utc("20260312T080000Z"),
                        _utc("20260313T080000Z")]


def test_own_interviews_in_the_calendar_are_not_counted_twice(app, clock, make_user, radicale):
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    # the invite coordinator e-mailed, accepted into the person's calendar (same UID as the booked session)
    admin.put("work", "invite", event("session-7-interviewers@localhost", "20260310T100000Z", "20260310T110000Z"))
    admin.put("work", "other", event("other", "20260310T130000Z", "20260310T140000Z"))
    user = make_user()
    _connect(user, radicale)
    _sync(clock)
    assert _busy(user) == [(_utc("20260310T130000Z"), _utc("20260310T140000Z"))]


def test_a_server_that_stops_mid_sync_keeps_the_last_busy_times_and_recovers(app, clock, make_user, radicale,
                                                                             monkeypatch):
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    admin.put("work", "a", event("a", "20260310T100000Z", "20260310T110000Z"))
    user = make_user()
    _connect(user, radicale)
    _sync(clock)
    assert len(_busy(user)) == 1
    admin.put("work", "b", event("b", "20260311T100000Z", "20260311T110000Z"))

    # the server goes down after answering the first request of the pass (the calendar home's markers)
    from coordinator.availability.caldav_client import CalDAVSession

    real = CalDAVSession.changes

    def stop_then_ask(self, *args, **kwargs):
        radicale.stop()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CalDAVSession, "changes", stop_then_ask)
    clock.advance(minutes=11)
    failed_at = clock()
    report = _sync(clock)
    assert report.failed == 1
    conn = db.session.scalar(select(CalendarConnection))
    assert "did not answer" in conn.last_error and conn.failures == 1
    assert conn.last_ok_dt < failed_at and conn.next_sync_dt > failed_at
    assert len(_busy(user)) == 1  # the last good busy times stay in use
    status = calendar_sync.status_of(db.session.get(User, user.id))
    assert status.is_stale
    sources = calendar_sync.busy_sources_for([user.id])[user.id]
    assert sources[0].label == "Live calendar" and sources[0].is_old(clock())

    # not retried before its back-off; after it, with the server back, the change arrives
    monkeypatch.setattr(CalDAVSession, "changes", real)
    radicale.start()
    assert _sync(clock).connections == 0
    clock.advance(minutes=25)
    assert _sync(clock).failed == 0
    conn = db.session.scalar(select(CalendarConnection))
    assert conn.failures == 0 and conn.last_error == ""
    assert len(_busy(user)) == 2


def test_a_password_changed_at_the_server_is_a_failed_sync_not_a_crash(app, clock, make_user, radicale):
    radicale.admin("alice").make_calendar("work", "Work")
    user = make_user()
    _connect(user, radicale)
    radicale.stop()
    (radicale.root / "users").write_text("alice:another-password\n")
    radicale.start()
    report = _sync(clock)
    assert report.failed == 1
    assert "refused" in db.session.scalar(select(CalendarConnection)).last_error


def test_unticking_a_calendar_and_disconnecting_remove_its_busy_times(app, clock, make_user, radicale):
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    admin.make_calendar("family", "Family")
    admin.put("work", "a", event("a", "20260310T100000Z", "20260310T110000Z"))
    admin.put("family", "b", event("b", "20260311T100000Z", "20260311T110000Z"))
    user = make_user()
    conn = _connect(user, radicale)
    _sync(clock)
    assert len(_busy(user)) == 2
    work = next(c.id for c in conn.calendars if c.name == "Work")
    with write_transaction():
        calendar_sync.choose_calendars(db.session.get(User, user.id), [work], work)
        db.session.commit()
    assert _busy(user) == [(_utc("20260310T100000Z"), _utc("20260310T110000Z"))]
    with write_transaction():
        assert calendar_sync.disconnect(db.session.get(User, user.id)) == 1
        db.session.commit()
    assert _busy(user) == []
    for model in (CalendarConnection, SyncedCalendar, CalendarObject):
        assert db.session.scalar(select(func.count(model.id))) == 0
