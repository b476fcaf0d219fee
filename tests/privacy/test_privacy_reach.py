"""Export and erasure reach every place a candidate's name or address can travel to, not only their own rows: an
interviewer's imported busy times and import notes, sign-in attempts, the audit log (the erasure's own entry
included), another loop's history, delivery records, their page's visits and thank-you notes. On SQLite the
erased text is gone from the database file, not only from its tables. An admin's export holds submitted feedback,
never an unsubmitted draft nor the live private link. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from coordinator.audit import services as audit
from coordinator.audit.models import AuditEvent, LoginAttempt
from coordinator.auth.roles import Role
from coordinator.availability.models import BusyBlock, CalendarImport
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.invites.models import OutboxKind, OutboxMessage
from coordinator.invites.services import enqueue_emails, outbox_values
from coordinator.loops import services as loops
from coordinator.loops.models import LoopEvent
from coordinator.mail import build_email
from coordinator.portal.models import CandidateNote, CandidatePortalHit
from coordinator.privacy import services
from coordinator.privacy.reach import Matcher
from coordinator.scorecards.models import Scorecard
from coordinator.timeutil import now_utc
from tests.helpers import text_of
from tests.scorecards.support import build_world, form_data

NAME, EMAIL = "Sofia García", "sofia.garcia@example.org"


@pytest.fixture
def app(any_db_app: Flask) -> Flask:
    """Every fixture of this module (the organisation, the clients) on SQLite and on PostgreSQL."""
    return any_db_app


def _ics(start, title_rows: list[tuple[str, str]]) -> bytes:
    """A calendar export with one event per (summary, DTSTART) row; an empty DTSTART is an unreadable event."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Export//EN"]
    for n, (summary, dtstart) in enumerate(title_rows):
        lines += ["BEGIN:VEVENT", f"UID:event-{n}@test", "DTSTAMP:20250101T000000Z", f"SUMMARY:{summary}"]
        if dtstart:
            lines += [f"DTSTART:{dtstart}", f"DTEND:{(start + timedelta(hours=n + 1)):%Y%m%dT%H%M%SZ}"]
        else:
            lines += ["DTSTART:not-a-time"]
        lines += ["END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode("utf-8")


@pytest.fixture
def sofia(app, org, make_user, make_candidate, client_for, clock):
    """Sofía García's loop is booked with Jonas; her name and address then travel where the issue found them."""
    jonas = make_user(Role.INTERVIEWER, name="Jonas Weber", email="jonas.weber@example.com")
    candidate = make_candidate(name=NAME, email=EMAIL, job=org["job"])
    loop = loops.create_loop(candidate, org["recruiter"])
    loops.add_session(
        loop,
        loops.SessionData(title="System design", kind="one_on_one", duration_min=60, interviewer_ids=(jonas.id,)),
        org["recruiter"],
    )
    start = now_utc().replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    loops.book(
        loop,
        [loops.Placement(loop.sessions[0].id, start, (jonas.id,))],
        org["recruiter"],
        override_reason="test: outside hours is fine",
    )
    db.session.commit()
    recruiter = client_for(org["recruiter"])
    sent = recruiter.post(f"/loops/{loop.id}/candidate-page/link", data={"days": "14"})
    assert sent.status_code == 200
    token = re.search(r"/c/([A-Za-z0-9_-]{20,})", sent.get_data(as_text=True)).group(1)

    # Jonas accepted the invite; his calendar export comes back as busy times, and one event he cannot read
    stamp = f"{start:%Y%m%dT%H%M%SZ}"
    export = _ics(
        start,
        [
            ("Interview: Sofia García - System design", stamp),
            ("INTERVIEW: SOFIA GARCIA (debrief prep)", f"{start + timedelta(days=1):%Y%m%dT%H%M%SZ}"),
            ("Lunch with Sofia", f"{start + timedelta(days=2):%Y%m%dT%H%M%SZ}"),
            ("Prep for Sofía García", ""),
        ],
    )
    imported = client_for(jonas).post(
        f"/availability/{jonas.id}/import",
        data={"calendar_file": (io.BytesIO(export), "work.ics")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302, imported.get_data(as_text=True)
    # another loop's history names her, and a delivery record whose loop is gone does
    other = loops.create_loop(org["other_candidate"], org["recruiter"])
    loops.record(other, org["recruiter"], "note", "Moved: sofia garcia took this slot.")
    enqueue_emails(
        [
            outbox_values(
                kind=OutboxKind.TEAM_REMINDER,
                loop_id=None,
                recipient=jonas.email,
                recipient_name=jonas.name,
                subject="Reminder: interview with Sofía García",
                now=now_utc(),
                message=build_email(
                    sender=("coordinator", "noreply@example.com"),
                    to=(jonas.name, jonas.email),
                    subject="Reminder: interview with Sofía García",
                    text="Your interview with Sofía García.",
                    html="<p>Your interview with Sofía García.</p>",
                    reply_to=None,
                    date=now_utc(),
                    message_id="<orphan@example.com>",
                    boundary="=_orphan",
                ),
            )
        ]
    )
    db.session.commit()
    # she opens her page and marks her times there (audited with the address she came from)
    assert app.test_client().get(f"/c/{token}").status_code == 200
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        audit.record("candidate.availability", "loop", loop.id, "3 windows", actor_label="candidate")
        db.session.commit()
    # after the interview she thanks Jonas
    clock.advance(days=8)
    thanked = app.test_client().post(
        f"/c/{token}/notes", data={"to_user_id": str(jonas.id), "body": "Thank you, Jonas! Sofia García"}
    )
    assert thanked.status_code == 302, thanked.get_data(as_text=True)
    # she typed her own address at the staff sign-in (attempts are kept a day, so this comes last)
    assert app.test_client().post("/login", data={"email": EMAIL.upper(), "password": "wrong"}).status_code == 400
    return {**org, "jonas": jonas, "candidate": candidate, "loop": loop, "token": token, "start": start}


def _texts(model, *columns) -> list[str]:
    return [
        " | ".join(str(v) for v in row) for row in db.session.execute(select(*(getattr(model, c) for c in columns)))
    ]


def _file_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as stored on disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _named(texts: list[str]) -> list[str]:
    """The texts that name Sofía or hold her address, in any case or accents."""
    matcher = Matcher([NAME, EMAIL])
    return [t for t in texts if matcher.mentions(t)]


def test_export_holds_every_place_her_name_reached_and_no_live_link(app, sofia, client_for):
    admin = client_for(sofia["admin"])
    response = admin.get(f"/candidates/{sofia['candidate'].id}/export")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    document = json.loads(text)
    data, mentions = document["data"], document["mentions"]
    assert data["candidates"][0]["email"] == EMAIL
    assert data["candidate_notes"][0]["body"] == "Thank you, Jonas! Sofia García"
    assert {row["ip"] for row in data["candidate_portal_hits"]} == {"127.0.0.1"}
    busy = sorted(row["summary"] for row in mentions["busy_blocks"])
    assert busy == ["INTERVIEW: SOFIA GARCIA (debrief prep)", "Interview: Sofia García - System design"]
    assert "Prep for Sofía García" in mentions["calendar_imports"][0]["problems"]
    assert [row["email"] for row in mentions["login_attempts"]] == [EMAIL]
    assert any(row["action"] == "auth.login_failed" for row in mentions["audit_events"])
    assert {"action": "candidate.availability", "ip": "203.0.113.7"}.items() <= next(
        row for row in mentions["audit_events"] if row["action"] == "candidate.availability"
    ).items()
    assert [row["summary"] for row in mentions["loop_events"]] == ["Moved: sofia garcia took this slot."]
    subjects = [row["subject"] for row in data["outbox_messages"]]
    assert "Reminder: interview with Sofía García" in subjects  # its loop is gone; its text names her
    assert "Your second-round interviews for Senior Data Engineer" in subjects or any(
        row["kind"] == "candidate_link" for row in data["outbox_messages"]
    )
    # the e-mail that carried her link is exported readable, without the key that still opens her page
    link_mail = next(row for row in data["outbox_messages"] if row["kind"] == "candidate_link")
    assert "this private page is yours" in link_mail["message"] and "[private link removed]" in link_mail["message"]
    assert sofia["token"] not in text
    # Lunch with (another) Sofia is not about her
    assert "Lunch with Sofia" not in text


def test_erasure_blanks_her_everywhere_and_keeps_everyone_elses_data(app, sofia, client_for):
    candidate_id, jonas = sofia["candidate"].id, sofia["jonas"]
    assert _named(_texts(BusyBlock, "summary")) and _named(_texts(LoginAttempt, "email"))
    admin = client_for(sofia["admin"])
    page = text_of(admin.get(f"/candidates/{candidate_id}/erase"))
    blanked = page.split("Mentions to blank:")[1].split("Download")[0]
    assert "busy blocks 2" in blanked and "login attempts 1" in blanked and "calendar imports 1" in blanked
    db.session.commit()  # the test holds no snapshot the checkpoint would wait for
    sqlite_file = Path(db.engine.url.database) if db.engine.dialect.name == "sqlite" else None
    if sqlite_file:  # the file check below means something: before erasure the bytes hold her name
        assert NAME.encode("utf-8") in _file_bytes(sqlite_file) and EMAIL.encode() in _file_bytes(sqlite_file)
    done = admin.post(
        f"/candidates/{candidate_id}/erase",
        data={"reason": "SOFIA GARCIA asked to be forgotten (Sofia.Garcia@EXAMPLE.org)", "confirm_name": NAME},
    )
    assert done.status_code == 302
    assert db.session.get(Candidate, candidate_id) is None
    assert services.mentions(NAME, EMAIL) == []

    # Jonas keeps his busy times (he is still busy then), without her name; the other Sofia stays
    summaries = sorted(_texts(BusyBlock, "summary"))
    assert summaries == [
        "INTERVIEW: [candidate] (debrief prep)",
        "Interview: [candidate] - System design",
        "Lunch with Sofia",
    ]
    problems = db.session.scalar(select(CalendarImport.problems).where(CalendarImport.user_id == jonas.id))
    assert "Prep for [candidate]" in problems and not _named([problems])
    assert "[candidate]" in _texts(LoginAttempt, "email") and not _named(_texts(LoginAttempt, "email"))
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    assert failed is not None and failed.actor_label == "[candidate]"
    marked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.availability"))
    assert marked is not None and marked.ip == ""
    assert "Moved: [candidate] took this slot." in _texts(LoopEvent, "summary")
    assert db.session.scalars(select(CandidatePortalHit)).all() == []
    assert db.session.scalars(select(CandidateNote)).all() == []
    assert not _named(_texts(OutboxMessage, "subject", "recipient", "recipient_name"))
    # the erasure's own entry: the reason spelled her name in capitals and without the accent
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erased"))
    assert "[candidate] asked to be forgotten ([candidate])" in entry.detail
    assert "sofia" not in entry.detail.lower() and "garc" not in entry.detail.lower()
    assert not _named(_texts(AuditEvent, "actor_label", "detail"))
    # the other candidate and the staff are untouched
    assert db.session.get(Candidate, sofia["other_candidate"].id) is not None
    assert db.session.get(type(jonas), jonas.id).name == "Jonas Weber"

    if sqlite_file:  # what the file itself holds, read as bytes (PostgreSQL: dead rows wait for VACUUM, README)
        raw = _file_bytes(sqlite_file).lower()
        for needle in ("garcía", "garcia", EMAIL, "sofia.garcia"):
            assert needle.encode("utf-8") not in raw, needle


def test_a_namesake_colleague_keeps_her_name(app, org, make_user, make_candidate, client_for):
    """A staff member called like the candidate: text naming "Sofia García" may be about her, so only the
    candidate's address is blanked, and the colleague's account is never touched."""
    colleague = make_user(Role.RECRUITER, name=NAME, email="sofia.g@example.com")
    candidate = make_candidate(name=NAME, email=EMAIL, job=org["job"])
    loops.record(
        loops.create_loop(org["other_candidate"], colleague),
        colleague,
        "note",
        f"Sofia García will call. Candidate reachable at {EMAIL}.",
    )
    candidate_id = candidate.id
    db.session.commit()
    admin = client_for(org["admin"])  # (its requests end the test's snapshot, which the checkpoint would wait for)
    done = admin.post(f"/candidates/{candidate_id}/erase", data={"reason": "asked", "confirm_name": NAME})
    assert done.status_code == 302
    assert "Sofia García will call. Candidate reachable at [candidate]." in _texts(LoopEvent, "summary")
    assert db.session.get(type(colleague), colleague.id).name == NAME


def test_an_admins_export_holds_submitted_feedback_but_no_draft(app, client_for):
    world = build_world()
    ian_areas = [world.areas["Problem solving"], world.areas["System design"]]
    jonas_areas = [world.areas["System design"], world.areas["Communication"]]
    submitted = client_for(world.ian).post(
        f"/scorecards/session/{world.panel.id}",
        data=form_data(ian_areas, action="submit", takeaways="SUBMITTED: clear reasoning."),
    )
    assert submitted.status_code == 302, submitted.get_data(as_text=True)
    draft = client_for(world.jonas).post(
        f"/scorecards/session/{world.panel.id}",
        data=form_data(
            jonas_areas, action="save", takeaways="DRAFT: not sure yet.", evidence="DRAFT evidence only Jonas has seen."
        ),
    )
    assert draft.status_code == 302, draft.get_data(as_text=True)
    assert {c.status for c in db.session.scalars(select(Scorecard))} == {"draft", "submitted"}

    response = client_for(world.admin).get(f"/candidates/{world.candidate.id}/export")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    document = json.loads(text)
    assert [card["takeaways"] for card in document["data"]["scorecards"]] == ["SUBMITTED: clear reasoning."]
    assert "DRAFT" not in text
    assert all(
        row["scorecard_id"] == document["data"]["scorecards"][0]["id"] for row in document["data"]["scorecard_areas"]
    )
    assert document["left_out"]["unsubmitted_scorecards"] == 1
