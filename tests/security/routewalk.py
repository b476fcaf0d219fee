"""Walk every route of the app as every kind of visitor; shared by the route-walk test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import inspect

from coordinator.auth.roles import Role
from coordinator.auth.services import make_password_token
from coordinator.availability.models import BusyBlock, CandidateWindow
from coordinator.extensions import db
from coordinator.loops import services as loops
from coordinator.timeutil import local_to_utc
from tests.helpers import login, new_org, new_user

PERSONAS = ("admin", "recruiter", "manager", "interviewer", "outsider", "anonymous")


def build_world(app) -> dict:
    """The organisation, a job with a booked loop (interviewer + manager), another job's loop for the outsider,
    and one of each object a route can name. Built once per session (tests/security/conftest.py)."""
    org = new_org()
    interviewer = org["interviewer"]
    outsider = new_user(Role.INTERVIEWER, name="Olga Outsider")
    day = datetime.now(UTC).date() + timedelta(days=9)
    day += timedelta(days=(1 - day.weekday()) % 7)
    start = local_to_utc(day, time(11), "Europe/Berlin")
    loop = loops.create_loop(org["candidate"], org["recruiter"])
    session = loops.add_session(loop, loops.SessionData(
        title="Panel", kind="panel", duration_min=60, interviewer_ids=(interviewer.id, org["manager"].id)),
        org["recruiter"])
    change = loops.book(loop, [loops.Placement(session.id, start, (interviewer.id, org["manager"].id))],
                        org["recruiter"], override_reason="route walk")
    other_loop = loops.create_loop(org["other_candidate"], org["other_recruiter"])
    other_session = loops.add_session(other_loop, loops.SessionData(
        title="Chat", kind="one_on_one", duration_min=30, interviewer_ids=(outsider.id,)), org["other_recruiter"])
    loops.book(other_loop, [loops.Placement(other_session.id, start, (outsider.id,))], org["other_recruiter"],
               override_reason="route walk")
    block_values = {"user_id": interviewer.id, "start_dt": start + timedelta(days=1),
                    "end_dt": start + timedelta(days=1, hours=1), "source": "manual", "summary": "Dentist"}
    window_values = {"candidate_id": org["candidate"].id, "start_dt": start + timedelta(days=2),
                     "end_dt": start + timedelta(days=2, hours=2)}
    block, window = BusyBlock(**block_values), CandidateWindow(**window_values)
    db.session.add_all([block, window])
    db.session.commit()
    world = {**org, "outsider": outsider, "loop": loop, "session": session, "block": block, "window": window,
             "change": change, "block_values": block_values, "window_values": window_values,
             "password_token": make_password_token(interviewer, app.config["SECRET_KEY"])}
    _optional_objects(world)
    db.session.commit()
    world["cookies"] = _signed_in_cookies(app, world)
    return world


def _signed_in_cookies(app, world: dict) -> dict[str, str]:
    """Each persona's session cookie, signed in once while the world is built: every copy of the database still
    knows those sessions, so a test's visitors start signed in without a sign-in (and its Argon2 hash) each."""
    name = app.config["SESSION_COOKIE_NAME"]
    return {persona: login(app.test_client(), world[persona]).get_cookie(name).value
            for persona in PERSONAS if persona != "anonymous"}


def _optional_objects(world: dict) -> None:
    """Objects of features that may or may not be installed yet."""
    try:
        from coordinator.focus.models import FocusArea, Question
        from coordinator.loops.models import PlanSession

        area = FocusArea(name="Problem solving", description="How they break problems down")
        db.session.add(area)
        db.session.flush()
        question = Question(text="Tell me about a time when...", kind="behavioral", focus_area_id=area.id)
        step = PlanSession(job_id=world["job"].id, position=0, title="Panel", kind="panel", duration_min=60,
                           interviewer_count=2)
        db.session.add_all([question, step])
        db.session.flush()
        world.update(area=area, question=question, step=step)
    except ImportError:  # pragma: no cover
        pass
    try:
        from coordinator.invites import services as invites
        from coordinator.invites.models import OutboxMessage

        invites.queue_for_change(world["change"])
        db.session.flush()
        world["message"] = db.session.query(OutboxMessage).order_by(OutboxMessage.id).first()
    except ImportError:  # pragma: no cover
        pass
    try:
        from coordinator.portal import services as portal
        from coordinator.portal.models import CandidateNote

        _link, token = portal.create_link(world["loop"], world["recruiter"], 14)
        world["portal_token"] = token
        note = CandidateNote(loop_id=world["loop"].id, to_user_id=world["interviewer"].id, body="Thank you!")
        db.session.add(note)
        db.session.flush()
        world["note"] = note
    except (ImportError, AttributeError, ValueError):  # pragma: no cover
        pass
    try:
        from coordinator.invites.models import Notice, Proposal

        session = world["session"]
        proposal = Proposal(loop_id=world["loop"].id, session_id=session.id, user_id=world["interviewer"].id,
                            proposer=world["interviewer"].name, start_dt=session.start_dt + timedelta(days=1),
                            end_dt=session.end_dt + timedelta(days=1), sequence=session.ical_sequence)
        db.session.add(proposal)
        db.session.flush()
        notice = Notice(kind="proposal", loop_id=world["loop"].id, candidate_id=world["candidate"].id,
                        session_id=session.id, user_id=world["interviewer"].id, proposal_id=proposal.id,
                        summary="Ian proposed another time.")
        db.session.add(notice)
        db.session.flush()
        world.update(proposal=proposal, notice=notice)
    except ImportError:  # pragma: no cover
        pass
    try:
        from coordinator.api import services as api
        from coordinator.api import webhooks
        from coordinator.api.models import WebhookDelivery

        world["api_token"] = api.create_key("Route walk", ["loops:read"], world["admin"]).token
        world["api_key"] = api.key_for_token(world["api_token"])
        endpoint = webhooks.create_endpoint("https://ats.example.org/hook", ["loop.booked"], "", world["admin"])
        delivery = WebhookDelivery(endpoint_id=endpoint.endpoint.id, event_id="walk:1", event_type="loop.booked",
                                   payload="{}", status="failed")
        db.session.add(delivery)
        db.session.flush()
        world.update(webhook=endpoint.endpoint, delivery=delivery)
    except ImportError:  # pragma: no cover
        pass
    try:
        from coordinator.invites.feeds import new_feed_token

        world["feed_token"] = new_feed_token(world["interviewer"])
    except ImportError:  # pragma: no cover
        pass


def freeze_world(world: dict) -> dict:
    """The world without its session: each stored object as (class, primary key), plain values as they are; the
    change record is left out (it only served to queue the invites while building)."""
    frozen = {}
    for key, value in world.items():
        if key == "change":
            continue
        state = inspect(value, raiseerr=False)  # an InstanceState for a stored object, else None
        frozen[key] = _Stored(type(value), state.identity) if state is not None else value
    return frozen


def thaw_world(frozen: dict) -> dict:
    """The world's objects loaded from the current app's database (a copy of the one the world was built in)."""
    return {key: db.session.get(value.cls, value.identity) if isinstance(value, _Stored) else value
            for key, value in frozen.items()}


@dataclass(frozen=True)
class _Stored:
    cls: type
    identity: tuple


def url_for_rule(rule, world: dict) -> str:
    """Fill a rule's variables from the world (user ids name the interviewer on the loop)."""
    values = {}
    for name in rule.arguments:
        values[name] = {
            "loop_id": world["loop"].id, "session_id": world["session"].id, "user_id": world["interviewer"].id,
            "candidate_id": world["candidate"].id, "job_id": world["job"].id, "block_id": world["block"].id,
            "window_id": world["window"].id, "area_id": world.get("area") and world["area"].id,
            "question_id": world.get("question") and world["question"].id,
            "step_id": world.get("step") and world["step"].id,
            "message_id": world.get("message") and world["message"].id,
            "note_id": world.get("note") and world["note"].id, "filename": "app.css", "rest": "nothing-here",
            "notice_id": world.get("notice") and world["notice"].id,
            "proposal_id": world.get("proposal") and world["proposal"].id,
            "token": _token_for(rule.endpoint, world),
            "key_id": world.get("api_key") and world["api_key"].id,
            "endpoint_id": world.get("webhook") and world["webhook"].id,
            "delivery_id": world.get("delivery") and world["delivery"].id, "external_id": "ats-1", "report": "schedule",
        }[name]
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    return path


def _token_for(endpoint: str, world: dict) -> str:
    if endpoint.startswith("auth."):
        return world["password_token"]
    if endpoint.startswith("invites."):
        return world.get("feed_token", "x")
    return world.get("portal_token", "x")


def client_for_persona(app, world: dict, persona: str):
    client = app.test_client()
    if persona != "anonymous":
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], world["cookies"][persona])
    return client


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return "ERROR"
    if 300 <= status < 400 and response.headers.get("Location", "").startswith("/login"):
        return "login"
    if status in (401, 403, 404):  # 401: the API, which takes keys, not the session cookie
        return "deny"
    return "ok"


def ensure_objects(world: dict) -> None:
    """Put back what a previous visitor's allowed POST deleted, so every visitor meets the same world."""
    def gone(obj) -> bool:
        return db.session.get(type(obj), inspect(obj).identity) is None

    if gone(world["block"]):
        world["block"] = BusyBlock(**world["block_values"])
        db.session.add(world["block"])
    if gone(world["window"]):
        world["window"] = CandidateWindow(**world["window_values"])
        db.session.add(world["window"])
    step = world.get("step")
    if step is not None and gone(step):
        world["step"] = type(step)(job_id=world["job"].id, position=0, title="Panel", kind="panel",
                                   duration_min=60, interviewer_count=2)
        db.session.add(world["step"])
    db.session.commit()
