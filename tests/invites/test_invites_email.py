"""iMIP message building, and delivery to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from coordinator.invites.email import DeliveryError, SMTPSettings, build_invite_email, ics_method, send_message
from coordinator.invites.ical import InviteError, InvitePerson, candidate_invite, feed_calendar, interviewer_invite
from tests.invites.conftest import free_port, unavailable
from tests.invites.invites_support import RECRUITER, STAMP, make_loop

LOOP = make_loop(0, "Europe/Berlin")
ICS = interviewer_invite(LOOP, "grace@corp.example", stamp=STAMP, session_uids=[LOOP.sessions[0].uid])
GRACE = InvitePerson("Grace Hopper", "grace@corp.example")


def build(**overrides):
    args = {
        "ics": ICS,
        "sender": RECRUITER,
        "to": [GRACE],
        "subject": "Interview: Ada Lovelace — One-on-one",
        "text": "You are invited.\nSee the calendar invitation.",
    }
    args.update(overrides)
    return build_invite_email(**args)


def reparse(msg):
    return message_from_bytes(msg.as_bytes(), policy=email_policy.default)


def test_message_structure_follows_rfc_6047():
    msg = reparse(build(date=STAMP, message_id="<invite-1@coordinator.test>", html="<p>You are invited.</p>"))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert [p.get_content_type() for p in (plain, html, calendar)] == ["text/plain", "text/html", "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset") == "UTF-8"
    assert calendar.get_payload(decode=True) == ICS  # byte for byte: CRLFs and folding intact
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ICS
    assert plain.get_content().startswith("You are invited.")
    assert html.get_content().strip() == "<p>You are invited.</p>"
    assert msg["Message-ID"] == "<invite-1@coordinator.test>"
    assert msg["Date"] == "Sun, 01 Feb 2026 09:30:00 +0000"
    assert str(msg["To"]) == "Grace Hopper <grace@corp.example>"
    raw = build().as_bytes()
    assert raw.count(b"MIME-Version:") == 1


def test_method_comes_from_the_calendar_and_must_match():
    loop = LOOP
    cancel = interviewer_invite(loop, stamp=STAMP, method="CANCEL", session_uids=[loop.sessions[0].uid])
    assert ics_method(cancel) == "CANCEL"
    msg = reparse(build(ics=cancel))
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"
    with pytest.raises(InviteError, match="does not match"):
        build(ics=cancel, method="REQUEST")
    with pytest.raises(InviteError, match="no METHOD"):
        build(ics=feed_calendar([loop], stamp=STAMP))


def test_default_html_escapes_the_text():
    msg = reparse(build(text="<script>alert(1)</script> & more"))
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_headers_cannot_be_injected():
    sneaky = InvitePerson('Rita "R" Recruiter\r\nBcc: victim@evil.example', "rita@corp.example")
    msg = build(
        sender=sneaky,
        to=[InvitePerson("Zoë Ünal, Jr.\nCc: x@evil.example", "zoe@corp.example"), GRACE],
        subject="Interview\r\nBcc: victim@evil.example\r\n\r\nbody",
        reply_to=RECRUITER,
    )
    parsed = reparse(msg)
    for name in ("Bcc", "Cc"):
        assert parsed[name] is None
    assert parsed["Subject"] == "Interview Bcc: victim@evil.example body"
    assert parsed["From"].addresses[0].addr_spec == "rita@corp.example"
    assert parsed["From"].addresses[0].display_name == 'Rita "R" Recruiter Bcc: victim@evil.example'
    to = parsed["To"].addresses
    assert [a.addr_spec for a in to] == ["zoe@corp.example", "grace@corp.example"]
    assert to[0].display_name == "Zoë Ünal, Jr. Cc: x@evil.example"
    assert parsed["Reply-To"].addresses[0].addr_spec == RECRUITER.email


@pytest.mark.parametrize(
    "address", ["grace@corp.example\r\nBcc: victim@evil.example", 'x"y@corp.example', "no-at-sign", ""]
)
def test_addresses_that_are_not_addresses_are_refused(address):
    with pytest.raises(InviteError):
        build(to=[InvitePerson("Someone", address)])


def test_unsafe_attachment_names_and_message_ids_are_refused():
    with pytest.raises(InviteError):
        build(filename="../../etc/passwd.ics")
    with pytest.raises(InviteError):
        build(message_id="<a@b>\r\nBcc: x@y")


# --------------------------------------------------------------------------------------------------- SMTP


class Recorder:
    """aiosmtpd handler: keeps what arrived; refuses what the test asks it to."""

    def __init__(self, rcpt_reply=None, data_reply=None, refuse=()):
        self.envelopes = []
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply and (not self.refuse or address in self.refuse):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    controllers = []

    def start(handler, **smtp_kwargs):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_kwargs)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


def plain(port, **kw):
    return SMTPSettings(host="127.0.0.1", port=port, security="none", timeout=5, **kw)


def test_delivery_to_a_real_smtp_server(smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    ics = candidate_invite(LOOP, stamp=STAMP, grouping="per_day")
    ada = InvitePerson(LOOP.candidate.name, LOOP.candidate.email)
    msg = build(ics=ics, to=[ada], subject="Your interview day — Zoë", message_id="<m1@coordinator.test>")
    assert send_message(msg, plain(port)) == {}

    ((mail_from, rcpt_tos, content),) = handler.envelopes
    assert mail_from == RECRUITER.email and rcpt_tos == [ada.email]
    arrived = message_from_bytes(content, policy=email_policy.default)
    assert arrived["Subject"] == "Your interview day — Zoë"
    assert arrived["Message-ID"] == "<m1@coordinator.test>"
    assert arrived["To"].addresses[0].addr_spec == ada.email
    calendar = next(p for p in arrived.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True) == ics
    attachment = next(p for p in arrived.walk() if p.get_filename())
    assert attachment.get_filename() == "invite.ics" and attachment.get_content_type() == "application/ics"
    assert attachment.get_payload(decode=True) == ics


def test_credentials_are_used(smtp_server):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    handler = Recorder()
    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    send_message(build(), plain(port, username="mailer", password="s3cret"))
    assert len(handler.envelopes) == 1
    with pytest.raises(DeliveryError) as info:
        send_message(build(), plain(port, username="mailer", password="wrong"))
    assert info.value.code == 535 and info.value.permanent
    assert "s3cret" not in repr(plain(port, username="mailer", password="s3cret"))


def test_starttls_required_but_not_offered_is_a_permanent_error(smtp_server):
    port = smtp_server(Recorder())
    with pytest.raises(DeliveryError) as info:
        send_message(build(), SMTPSettings(host="127.0.0.1", port=port, security="starttls", timeout=5))
    assert info.value.permanent and "STARTTLS" in str(info.value).upper()


def test_a_refused_recipient_raises_a_permanent_delivery_error(smtp_server):
    port = smtp_server(Recorder(rcpt_reply="550 5.1.1 <grace@corp.example>: no such user"))
    with pytest.raises(DeliveryError) as info:
        send_message(build(), plain(port))
    error = info.value
    assert error.code == 550 and error.permanent
    assert error.refused == {"grace@corp.example": (550, "5.1.1 <grace@corp.example>: no such user")}
    assert "550" in str(error) and "\n" not in str(error)


def test_refused_data_and_temporary_failures(smtp_server):
    port = smtp_server(Recorder(data_reply="554 5.7.1 Message rejected as spam"))
    with pytest.raises(DeliveryError) as info:
        send_message(build(), plain(port))
    assert info.value.code == 554 and info.value.permanent

    port = smtp_server(Recorder(rcpt_reply="451 4.3.0 Try again later"))
    with pytest.raises(DeliveryError) as info:
        send_message(build(), plain(port))
    assert info.value.code == 451 and not info.value.permanent


def test_some_recipients_refused_is_reported_not_raised(smtp_server):
    handler = Recorder(rcpt_reply="550 5.1.1 unknown", refuse={"gone@corp.example"})
    port = smtp_server(handler)
    msg = build(to=[GRACE, InvitePerson("Gone", "gone@corp.example")])
    assert send_message(msg, plain(port)) == {"gone@corp.example": (550, "5.1.1 unknown")}
    assert handler.envelopes[0][1] == ["grace@corp.example"]


def test_no_server_is_a_temporary_delivery_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeliveryError) as info:
        send_message(build(), plain(port))
    assert not info.value.permanent and info.value.code is None


# ---------------------------------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl CLI): (server SSLContext, path of the cert)."""
    openssl = shutil.which("openssl")
    if not openssl:
        unavailable("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, cert


def test_starttls_and_login(smtp_server, certificate):
    server_context, cert = certificate

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"mailer" and auth_data.password == b"s3cret", handled=False)

    handler = Recorder()
    port = smtp_server(handler, tls_context=server_context, require_starttls=True, authenticator=authenticator)
    trusting = ssl.create_default_context(cafile=str(cert))
    settings = SMTPSettings(
        host="127.0.0.1", port=port, security="starttls", username="mailer", password="s3cret", timeout=5,
        ssl_context=trusting,
    )  # fmt: skip
    send_message(build(), settings)
    assert len(handler.envelopes) == 1
    with pytest.raises(DeliveryError) as info:  # the system CAs do not know this certificate
        send_message(build(), SMTPSettings(host="127.0.0.1", port=port, security="starttls", timeout=5))
    assert info.value.permanent and "certificate" in str(info.value)


def test_implicit_tls(smtp_server, certificate):
    server_context, cert = certificate
    handler = Recorder()
    port = smtp_server(handler, ssl_context=server_context)
    settings = SMTPSettings(
        host="127.0.0.1", port=port, security="tls", timeout=5, ssl_context=ssl.create_default_context(cafile=str(cert))
    )
    send_message(build(), settings)
    assert len(handler.envelopes) == 1
