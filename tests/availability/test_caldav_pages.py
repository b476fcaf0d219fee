"""Live calendars as people use them: the connect form with a real Radicale (and a refused password, a server that is
not CalDAV, an untrusted certificate: a clear message, nothing stored), what others see (connected and when, never
the password or titles), the day view naming each busy time's source, and Find times saying how old they are."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from coordinator.auth.roles import Role
from coordinator.availability.jobs import sync_all
from coordinator.availability.models import CalendarConnection
from coordinator.extensions import db
from tests.availability.caldav_support import event
from tests.availability.test_caldav_sync import PASSWORD, radicale  # noqa: F401 - the fixture
from tests.helpers import text_of


class _Html(BaseHTTPRequestHandler):
    """A web server that is not a CalDAV server: pages for GET, 'not implemented' for PROPFIND."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>Welcome</body></html>")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def self_signed_server(tmp_path):
    """An HTTPS server whose certificate nobody trusts (self-signed, made here)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(
                "127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _connections() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(CalendarConnection.id))) or 0


def _connect_form(client, owner_id: int, url: str, username: str = "alice", password: str = PASSWORD):
    return client.post(f"/availability/{owner_id}/calendar/connect",
                       data={"server_url": url, "username": username, "password": password})


def test_connect_choose_and_see_live_busy_times_on_the_page(app, clock, make_user, client_for, radicale):  # noqa: F811
    admin = radicale.admin("alice")
    admin.make_calendar("work", "Work")
    admin.make_calendar("interviews", "Interviews")
    admin.put("work", "lunch", event("lunch", "20260306T110000Z", "20260306T120000Z", "Lunch with Bob"))
    me = make_user(Role.INTERVIEWER, email="alice@corp.example")
    client = client_for(me)

    response = _connect_form(client, me.id, radicale.url)
    assert response.status_code == 302
    page = text_of(client.get("/availability"))
    assert "Connected: 2 calendars found (Interviews, Work)" in page
    assert "Connected to 127.0.0.1 as alice" in page and PASSWORD not in page

    conn = db.session.scalar(select(CalendarConnection))
    ids = {c.name: c.id for c in conn.calendars}
    response = client.post(f"/availability/{me.id}/calendar/choose",
                           data={"busy": [str(ids["Work"])], "write": str(ids["Interviews"])})
    assert response.status_code == 302
    response = client.post(f"/availability/{me.id}/calendar/sync")  # "Sync now"
    assert response.status_code == 302
    page = text_of(client.get("/availability"))
    assert "Synced: 1 calendar changed, 1 busy time read." in page
    assert "Fri 6 Mar 12:00 – 13:00 CET Lunch with Bob Live calendar" in page

    # a recruiter sees that it is connected and when it synced; not the server account, not the titles
    recruiter = make_user(Role.RECRUITER)
    other = text_of(client_for(recruiter).get(f"/availability/{me.id}"))
    assert "Connected. Last synced:" in other and "Busy Live calendar" in other
    assert "Lunch with Bob" not in other and "alice" not in other and PASSWORD not in other
    # nobody but the owner connects or chooses
    assert client_for(recruiter).post(f"/availability/{me.id}/calendar/connect", data={
        "server_url": radicale.url, "username": "alice", "password": PASSWORD}).status_code == 403

    response = client.post(f"/availability/{me.id}/calendar/disconnect")
    assert response.status_code == 302
    page = text_of(client.get("/availability"))
    assert "The calendar is disconnected: its password and 1 busy time read from it are deleted." in page
    assert "Lunch with Bob" not in page and _connections() == 0


def test_a_refused_password_shows_on_the_field_and_stores_nothing(app, clock, make_user, client_for,
                                                                  radicale):  # noqa: F811
    radicale.admin("alice").make_calendar("work", "Work")
    me = make_user(Role.INTERVIEWER)
    response = _connect_form(client_for(me), me.id, radicale.url, password="not-it")
    assert response.status_code == 400
    assert "The server refused this user name and password." in text_of(response)
    assert "not-it" not in response.get_data(as_text=True)  # the password is not sent back into the form
    assert _connections() == 0


def test_a_server_that_does_not_speak_caldav_is_said(app, clock, make_user, client_for, web_server):
    me = make_user(Role.INTERVIEWER)
    response = _connect_form(client_for(me), me.id, f"http://127.0.0.1:{web_server.server_port}/")
    assert response.status_code == 400
    assert "not as a CalDAV server" in text_of(response)
    assert _connections() == 0


def test_an_untrusted_certificate_is_said_and_nothing_is_sent(app, clock, make_user, client_for, self_signed_server):
    me = make_user(Role.INTERVIEWER)
    response = _connect_form(client_for(me), me.id, f"https://127.0.0.1:{self_signed_server.server_port}/")
    assert response.status_code == 400
    assert "is not trusted" in text_of(response)
    assert _connections() == 0


def test_find_times_and_the_day_view_say_where_busy_times_come_from(app, clock, make_user, client_for,
                                                                    radicale):  # noqa: F811
    from tests.reminders.support import new_loop, world

    clock.set(dt.datetime.now(dt.UTC))
    w = world()
    radicale.admin("alice").make_calendar("work", "Work")
    client = client_for(w.jonas)
    assert _connect_form(client, w.jonas.id, radicale.url).status_code == 302
    sync_all(now=clock())
    loop_id = new_loop(w, [("System design", 60, [w.jonas], []), ("Manager", 45, [w.manager], [])])
    db.session.commit()  # new_loop reads the id after its commit, in a writing transaction: end it
    recruiter = client_for(w.recruiter)
    page = text_of(recruiter.get(f"/loops/{loop_id}/find"))
    assert "Where busy times come from" in page
    assert "Jonas Weber Live calendar, synced just now" in page and "Hannah Manager No calendar" in page
    assert "older than an hour" not in page

    clock.advance(hours=2)  # the server has not been reached since
    page = text_of(recruiter.get(f"/loops/{loop_id}/find"))
    assert "Busy times older than an hour: Jonas Weber (Live calendar, synced 2 h ago)" in page

    day = text_of(recruiter.get(f"/loops/{loop_id}/day"))
    assert "Busy times: Live calendar, synced 2 h ago" in day
