"""The seam every live-calendar provider plugs into: what the sync job and the write-back ask of a source.

CalDAV (`caldav_client.CalDAVSession`) is the one source today. Google Calendar and Microsoft 365 fit the same
five calls (see README, "Live calendars"): `discover` lists the calendars after the person grants access,
`calendars` returns each calendar's change marker in one request, `changes` returns what changed since the stored
marker (Google: `events.list` with `syncToken`; Graph: `calendarView/delta` with a `deltaLink`), and `put` /
`delete` write one interview under its UID (Google: `events.import`/`events.delete` with `iCalUID`; Graph: an
event with the same `iCalUId` via `transactionId`). A provider returns the same `Delta`, iCalendar text per event
(Google and Graph events are converted to a VEVENT first), so busy times are read by the same rules as a file.
"""

from __future__ import annotations

from typing import Protocol

from coordinator.availability.caldav_client import (
    CalendarSourceError,
    Delta,
    Discovery,
    RemoteCalendar,
    client_for,
)

__all__ = ["KINDS", "CalendarSource", "CalendarSourceError", "open_source"]


class CalendarSource(Protocol):
    """One person's account at one provider."""

    requests: int

    def discover(self) -> Discovery: ...

    def calendars(self, home_url: str) -> dict[str, RemoteCalendar]: ...

    def changes(self, remote: RemoteCalendar, sync_token: str, stored_etags: dict[str, str] | None) -> Delta: ...

    def put(self, calendar_url: str, uid: str, data: bytes) -> str: ...

    def delete(self, calendar_url: str, uid: str) -> bool: ...


#: the kinds a connection may have, and what the pages call them
KINDS = {"caldav": "CalDAV"}


def open_source(kind: str, connection_id: int, url: str, username: str, password: str, *, timeout: float = 20,
                purpose: str = "sync") -> CalendarSource:
    """The source of one connection (kept between passes, so its HTTP connections are reused); the sync and the
    write-back run in different scheduler threads and get one each (`purpose`)."""
    if kind != "caldav":
        raise CalendarSourceError(f"Calendars of kind {kind!r} are not supported by this installation.", "server")
    return client_for(("caldav", connection_id, purpose), url, username, password, timeout=timeout)
