"""The CalDAV side of live calendars (RFC 4791, RFC 6578 sync-collection, the calendarserver ctag): discovery,
the change markers of every calendar, what changed since the last sync, and writing one event.

No Flask and no database here: the sync job (`availability.calendar_sync`) hands in credentials and the stored
markers and gets plain values back, so this runs in worker threads. Requests go through one `caldav.DAVClient`
per connection (its HTTP session, its auth negotiation: Basic, Digest or Bearer), kept between passes
(`client_for`), so a pass reuses open keep-alive connections instead of a TLS handshake per calendar.

Every failure becomes a :class:`CalendarSourceError` whose message a person can act on (a wrong address, a
refused password, a server that does not speak CalDAV, an untrusted certificate, a server that does not answer).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from lxml import etree

__all__ = [
    "CalDAVSession",
    "CalendarSourceError",
    "Delta",
    "Discovery",
    "RemoteCalendar",
    "client_for",
    "normalise_url",
]

DAV, CAL, CS = "DAV:", "urn:ietf:params:xml:ns:caldav", "http://calendarserver.org/ns/"
_NS = f'xmlns:d="{DAV}" xmlns:c="{CAL}" xmlns:cs="{CS}"'
MULTIGET_CHUNK = 200
"""hrefs per calendar-multiget REPORT"""
MAX_CLIENTS = 2000
"""DAVClients kept between passes (one per connection), least recently used dropped first"""


class CalendarSourceError(Exception):
    """A calendar server could not be used; `message` says why in words for the person, `kind` for the code
    ('url', 'auth', 'not_caldav', 'certificate', 'unreachable', 'server')."""

    def __init__(self, message: str, kind: str = "server") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class RemoteCalendar:
    """A calendar collection as the server lists it."""

    url: str
    name: str
    ctag: str = ""
    sync_token: str = ""
    has_events: bool = True


@dataclass(frozen=True)
class Discovery:
    principal_url: str
    home_url: str
    calendars: list[RemoteCalendar]


@dataclass
class Delta:
    """What changed in one calendar: objects to (re)store by href (etag, iCalendar text), hrefs that are gone,
    and the new markers. With `complete`, `changed` plus `unchanged` is everything the calendar holds, so any
    stored object not named there is gone too."""

    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    unchanged: set[str] = field(default_factory=set)
    complete: bool = False
    ctag: str = ""
    sync_token: str = ""
    requests: int = 0


def normalise_url(url: str) -> str:
    """The address as typed, with https:// when no scheme was given; CalDAVSourceError for one that cannot be an
    address (spaces, another scheme, no host)."""
    url = (url or "").strip()
    if not url:
        raise CalendarSourceError("Enter the address of your CalDAV server.", "url")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise CalendarSourceError("This is not a web address; it should look like https://caldav.example.com/.",
                                  "url")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def escape(text: str) -> str:
    """Text for an XML element we write (hrefs, a sync-token)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tree(response: Any) -> Any:
    """The parsed XML of a 207 answer (the DAVClient already parsed it)."""
    tree = getattr(response, "tree", None)
    if tree is not None:
        return tree
    raw = response._raw
    try:
        return etree.fromstring(raw if isinstance(raw, bytes) else str(raw).encode(),
                                parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError:
        raise CalendarSourceError("The server's answer is not WebDAV XML: this is not a CalDAV address.",
                                  "not_caldav") from None


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(el: Any) -> str:
    return (el.text or "").strip() if el is not None else ""


def _status_ok(status: str) -> bool:
    parts = status.split()
    return len(parts) >= 2 and parts[1].startswith("2")


class CalDAVSession:
    """One account on one CalDAV server, through one caldav.DAVClient (and its HTTP session)."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 20, verify: bool | str = True
                 ) -> None:
        from caldav import DAVClient

        self.url = normalise_url(url)
        self.client = DAVClient(url=self.url, username=username, password=password, timeout=int(max(1, timeout)),
                                ssl_verify_cert=verify, enable_rfc6764=False, require_tls=False)
        self.requests = 0

    # --- one request ----------------------------------------------------------------------------------------

    def request(self, url: str, method: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
        """Send one request; transport and auth failures become CalendarSourceError. Returns the DAVResponse."""
        import niquests.exceptions as http
        from caldav.lib import error as dav_error

        self.requests += 1
        try:
            return self.client.request(url, method, body, headers or {})
        except dav_error.AuthorizationError as exc:
            if "403" in str(getattr(exc, "reason", "")) or getattr(exc, "status", None) == 403:
                raise CalendarSourceError("The server accepted the user name but does not allow this account to "
                                          "read these calendars.", "auth") from None
            raise CalendarSourceError(
                "The server refused this user name and password. Check both; most providers (iCloud, Fastmail, "
                "Google, Nextcloud with two-factor sign-in) need an app password, not the account password.",
                "auth") from None
        except http.SSLError:
            host = urlsplit(url).hostname
            raise CalendarSourceError(
                f"The certificate of {host} is not trusted (expired, self-signed or for another name), so nothing "
                "was sent to it. Use the provider's address, or ask its administrator for a trusted certificate.",
                "certificate") from None
        except (http.InvalidURL, http.MissingSchema, http.InvalidSchema, ValueError):
            raise CalendarSourceError("This address cannot be used; it should look like "
                                      "https://caldav.example.com/.", "url") from None
        except (http.ConnectionError, http.Timeout, OSError):
            host = urlsplit(url).hostname
            raise CalendarSourceError(f"The server {host} did not answer. Check the address, or try again later "
                                      "if it is down.", "unreachable") from None
        except dav_error.DAVError as exc:
            raise CalendarSourceError(f"The calendar server answered with an error ({type(exc).__name__}).",
                                      "server") from None

    def _multistatus(self, url: str, method: str, body: str, depth: int | None) -> tuple[int, list[Any]]:
        headers = {"Content-Type": 'application/xml; charset="utf-8"'}
        if depth is not None:
            headers["Depth"] = str(depth)
        response = self.request(url, method, body, headers)
        status = int(response.status)
        if status != 207:
            return status, []
        return status, list(_tree(response).iter(_tag(DAV, "response")))

    def _props(self, response: Any) -> dict[str, Any]:
        """The properties of one DAV:response that came back 2xx, by Clark name."""
        found: dict[str, Any] = {}
        for propstat in response.iter(_tag(DAV, "propstat")):
            if not _status_ok(_text(propstat.find(_tag(DAV, "status")))):
                continue
            prop = propstat.find(_tag(DAV, "prop"))
            if prop is not None:
                for child in prop:
                    found[child.tag] = child
        return found

    def _href(self, response: Any, base: str) -> str:
        return urljoin(base, _text(response.find(_tag(DAV, "href"))))

    def propfind(self, url: str, props: str, depth: int) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
        body = f'<?xml version="1.0" encoding="utf-8"?><d:propfind {_NS}><d:prop>{props}</d:prop></d:propfind>'
        status, responses = self._multistatus(url, "PROPFIND", body, depth)
        return status, [(self._href(r, url), self._props(r)) for r in responses]

    # --- discovery ------------------------------------------------------------------------------------------

    def discover(self) -> Discovery:
        """Find the principal, its calendar home and its calendars, from the address the person typed (or, when
        that is the server's root, /.well-known/caldav)."""
        principal = self._principal(self.url)
        if principal is None:
            root = urlunsplit((*urlsplit(self.url)[:2], "/.well-known/caldav", "", ""))
            principal = self._principal(root)
        if principal is None:
            raise CalendarSourceError(
                "This address answers, but not as a CalDAV server (no calendar account was found there). Use the "
                "CalDAV address your provider gives (often https://host/dav/ or https://host/remote.php/dav/).",
                "not_caldav")
        status, found = self.propfind(principal, "<c:calendar-home-set/>", 0)
        homes = [urljoin(principal, _text(h)) for _href, props in found
                 for h in props.get(_tag(CAL, "calendar-home-set"), []) if _text(h)]
        if not homes:
            raise CalendarSourceError("The server knows this account but names no calendar home for it: it does not "
                                      "offer calendars (CalDAV) to this user.", "not_caldav")
        home = homes[0]
        return Discovery(principal, home, sorted(self.calendars(home).values(), key=lambda c: c.name.lower()))

    def _principal(self, url: str) -> str | None:
        status, found = self.propfind(url, "<d:current-user-principal/><d:resourcetype/>", 0)
        if status in (404, 405, 501) or status >= 500 and not found:
            return None
        if status != 207:
            if status >= 400:
                return None
            raise CalendarSourceError("This address answers, but not as a CalDAV server.", "not_caldav")
        for href, props in found:
            el = props.get(_tag(DAV, "current-user-principal"))
            if el is not None and el.find(_tag(DAV, "href")) is not None:
                return urljoin(href, _text(el.find(_tag(DAV, "href"))))
        return None

    def calendars(self, home_url: str) -> dict[str, RemoteCalendar]:
        """Every calendar under the home with its ctag, in ONE PROPFIND (depth 1): what a pass with no changes
        costs per account. The sync-token is not asked for here: some servers compute it per request (Radicale
        takes twice as long with it), and sync-collection returns it when a calendar has changed."""
        status, found = self.propfind(
            home_url, "<d:resourcetype/><d:displayname/><cs:getctag/><c:supported-calendar-component-set/>", 1)
        if status != 207:
            raise CalendarSourceError(f"The calendar home could not be read (HTTP {status}).", "server")
        out: dict[str, RemoteCalendar] = {}
        for href, props in found:
            kind = props.get(_tag(DAV, "resourcetype"))
            if kind is None or kind.find(_tag(CAL, "calendar")) is None:
                continue
            comps = props.get(_tag(CAL, "supported-calendar-component-set"))
            names = {c.get("name", "").upper() for c in comps} if comps is not None else {"VEVENT"}
            name = _text(props.get(_tag(DAV, "displayname"))) or unquote(href.rstrip("/").rsplit("/", 1)[-1])
            out[href] = RemoteCalendar(href, name[:200], _text(props.get(_tag(CS, "getctag"))),
                                       _text(props.get(_tag(DAV, "sync-token"))), "VEVENT" in names)
        return out

    # --- changes --------------------------------------------------------------------------------------------

    def changes(self, remote: RemoteCalendar, sync_token: str, stored_etags: dict[str, str] | None) -> Delta:
        """What changed in `remote` since `sync_token` (RFC 6578 sync-collection; without `stored_etags`) or
        against the stored etags (one PROPFIND depth 1; a calendar whose server refused sync-collection before).
        Changed objects are fetched with calendar-multiget."""
        before = self.requests
        delta: Delta | None = None
        if stored_etags is None:
            delta = self._sync_collection(remote.url, sync_token)
            if delta is None and sync_token:  # the server forgot the token: start over
                delta = self._sync_collection(remote.url, "")
        if delta is None:
            delta = self._by_etags(remote.url, stored_etags or {})
        if delta.changed:
            wanted = [h for h, (etag, data) in delta.changed.items() if not data]
            fetched = dict(self._multiget(remote.url, wanted))
            for href in wanted:
                if href in fetched:
                    delta.changed[href] = fetched[href]
                else:  # gone between the listing and the fetch
                    del delta.changed[href]
                    delta.deleted.append(href)
        delta.ctag = remote.ctag
        delta.requests = self.requests - before
        return delta

    def _sync_collection(self, url: str, token: str) -> Delta | None:
        body = (f'<?xml version="1.0" encoding="utf-8"?><d:sync-collection {_NS}>'
                f"<d:sync-token>{escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
                "<d:prop><d:getetag/></d:prop></d:sync-collection>")
        headers = {"Content-Type": 'application/xml; charset="utf-8"'}
        response = self.request(url, "REPORT", body, headers)
        status = int(response.status)
        if status in (403, 409) and token:
            return None  # DAV:valid-sync-token failed
        if status != 207:
            return None
        root = _tree(response)
        delta = Delta(complete=not token, sync_token=_text(root.find(_tag(DAV, "sync-token"))))
        for r in root.iter(_tag(DAV, "response")):
            href = self._href(r, url)
            if href.rstrip("/") == url.rstrip("/"):
                continue
            status_el = r.find(_tag(DAV, "status"))
            if status_el is not None and " 404" in _text(status_el):
                delta.deleted.append(href)
                continue
            etag = _text(self._props(r).get(_tag(DAV, "getetag")))
            delta.changed[href] = (etag, "")
        return delta

    def _by_etags(self, url: str, stored: dict[str, str]) -> Delta:
        status, found = self.propfind(url, "<d:getetag/><d:resourcetype/>", 1)
        if status != 207:
            raise CalendarSourceError(f"The calendar could not be listed (HTTP {status}).", "server")
        delta = Delta(complete=True)
        for href, props in found:
            kind = props.get(_tag(DAV, "resourcetype"))
            if href.rstrip("/") == url.rstrip("/") or (kind is not None and len(kind)):
                continue
            etag = _text(props.get(_tag(DAV, "getetag")))
            if stored.get(href) == etag and etag:
                delta.unchanged.add(href)
            else:
                delta.changed[href] = (etag, "")
        return delta

    def _multiget(self, url: str, hrefs: list[str]) -> Iterator[tuple[str, tuple[str, str]]]:
        for i in range(0, len(hrefs), MULTIGET_CHUNK):
            chunk = hrefs[i:i + MULTIGET_CHUNK]
            refs = "".join(f"<d:href>{escape(urlsplit(h).path)}</d:href>" for h in chunk)
            body = (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget {_NS}>'
                    f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{refs}</c:calendar-multiget>")
            status, responses = self._multistatus(url, "REPORT", body, 1)
            if status != 207:
                raise CalendarSourceError(f"The calendar's events could not be read (HTTP {status}).", "server")
            for r in responses:
                props = self._props(r)
                data = props.get(_tag(CAL, "calendar-data"))
                if data is not None:
                    yield self._href(r, url), (_text(props.get(_tag(DAV, "getetag"))), data.text or "")

    # --- writing --------------------------------------------------------------------------------------------

    def put(self, calendar_url: str, uid: str, data: bytes) -> str:
        """Store one event under <calendar>/<uid>.ics (created or replaced); its address."""
        href = object_href(calendar_url, uid)
        response = self.request(href, "PUT", data.decode("utf-8"), {"Content-Type": "text/calendar; charset=utf-8"})
        if int(response.status) not in (200, 201, 204):
            raise CalendarSourceError(f"The server did not store the event (HTTP {response.status}).", "server")
        return href

    def delete(self, calendar_url: str, uid: str) -> bool:
        """Remove <calendar>/<uid>.ics; False when it was not there."""
        response = self.request(object_href(calendar_url, uid), "DELETE")
        status = int(response.status)
        if status == 404:
            return False
        if status not in (200, 204):
            raise CalendarSourceError(f"The server did not remove the event (HTTP {status}).", "server")
        return True


def object_href(calendar_url: str, uid: str) -> str:
    return calendar_url.rstrip("/") + "/" + quote(uid, safe="@.-_") + ".ics"


_clients: OrderedDict[tuple, CalDAVSession] = OrderedDict()
_clients_lock = threading.Lock()


def client_for(key: Iterable[Any], url: str, username: str, password: str, *, timeout: float = 20) -> CalDAVSession:
    """The session of one connection, kept between passes (keyed by the connection and a hash of its
    credentials, so a changed password gets a new one)."""
    digest = hashlib.sha256(f"{url}\0{username}\0{password}".encode()).hexdigest()
    k = (*tuple(key), digest)
    with _clients_lock:
        session = _clients.get(k)
        if session is not None:
            _clients.move_to_end(k)
            return session
    session = CalDAVSession(url, username, password, timeout=timeout)
    with _clients_lock:
        _clients[k] = session
        while len(_clients) > MAX_CLIENTS:
            _clients.popitem(last=False)
    return session
