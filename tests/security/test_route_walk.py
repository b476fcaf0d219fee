"""Every route of the app, GET and POST, as each role, as an interviewer of another loop, and signed out.

The outcome of each visit is compared with the table below: o = allowed (any 2xx/3xx/400/409/429), d = denied
(403 or 404), L = sent to sign in. A 500 always fails. A route that is not in the table fails the test, so a new
route cannot ship without someone deciding who may use it. Columns: admin, recruiter (of the job), hiring manager
(of the job, also interviewing on the loop), interviewer (on the loop), outsider (interviewer on another job's
loop), anonymous.
"""

from __future__ import annotations

import os

import pytest

from coordinator import create_app
from tests.security.routewalk import (
    PERSONAS,
    client_for_persona,
    ensure_objects,
    outcome,
    url_for_rule,
)

CODE = {"ok": "o", "deny": "d", "login": "L", "ERROR": "E"}

EXPECTED: dict[tuple[str, str], str] = {
    # the API (#21): its resources take a key, never the session cookie, so every persona is refused (401) there;
    # a key of each scope is walked in tests/api/test_key_scopes_walk.py. The description and its page are public;
    # keys and webhooks are managed by admins
    ("api-docs.openapi_json", "GET"): "oooooo",
    ("api_admin.docs", "GET"): "oooooo",
    ("api_admin.index", "GET"): "oddddL",
    ("api_admin.new_key", "GET"): "oddddL",
    ("api_admin.new_key", "POST"): "oddddL",
    ("api_admin.revoke_key", "POST"): "oddddL",
    ("api_admin.new_webhook", "GET"): "oddddL",
    ("api_admin.new_webhook", "POST"): "oddddL",
    ("api_admin.webhook", "GET"): "oddddL",
    ("api_admin.toggle_webhook", "POST"): "oddddL",
    ("api_admin.retry_delivery", "POST"): "oddddL",
    ("api_candidates.create_candidate", "POST"): "dddddd",
    ("api_candidates.get_candidate", "GET"): "dddddd",
    ("api_candidates.get_candidate_by_external_id", "GET"): "dddddd",
    ("api_candidates.list_candidates", "GET"): "dddddd",
    ("api_candidates.update_candidate", "PATCH"): "dddddd",
    ("api_decisions.list_decisions", "GET"): "dddddd",
    ("api_focus_areas.list_focus_areas", "GET"): "dddddd",
    ("api_jobs.create_job", "POST"): "dddddd",
    ("api_jobs.get_job", "GET"): "dddddd",
    ("api_jobs.list_jobs", "GET"): "dddddd",
    ("api_jobs.update_job", "PATCH"): "dddddd",
    ("api_loops.book", "POST"): "dddddd",
    ("api_loops.cancel_loop", "POST"): "dddddd",
    ("api_loops.create_loop", "POST"): "dddddd",
    ("api_loops.find_times", "POST"): "dddddd",
    ("api_loops.get_loop", "GET"): "dddddd",
    ("api_loops.list_loops", "GET"): "dddddd",
    ("api_scorecards.list_scorecards", "GET"): "dddddd",
    ("audit.log", "GET"): "oddddL",
    ("audit.security", "GET"): "oddddL",
    ("audit.security", "POST"): "oddddL",
    ("auth.add_user", "GET"): "oddddL",
    ("auth.add_user", "POST"): "oddddL",
    ("auth.edit_user", "GET"): "oddddL",
    ("auth.edit_user", "POST"): "oddddL",
    ("auth.login", "GET"): "oooooo",
    ("auth.login", "POST"): "oooooo",
    ("auth.logout", "POST"): "LLLLLL",
    ("auth.password_link", "POST"): "oddddL",
    ("auth.profile", "GET"): "oooooL",
    ("auth.profile", "POST"): "oooooL",
    ("auth.set_password", "GET"): "oooooo",
    ("auth.set_password", "POST"): "oooooo",
    ("auth.two_factor", "GET"): "oooooL",
    ("auth.two_factor", "POST"): "oooooL",
    ("auth.users", "GET"): "oddddL",
    ("auth.verify_totp", "GET"): "LLLLLL",
    ("auth.verify_totp", "POST"): "LLLLLL",
    ("availability.add_block", "POST"): "oododL",
    ("availability.delete_block", "POST"): "oododL",
    # a live calendar is connected and its calendars chosen by its owner only (their own password);
    # sync and disconnect answer 404 while nothing is connected, as remove_import does
    ("availability.choose_calendars", "POST"): "dddodL",
    ("availability.connect_calendar", "POST"): "dddodL",
    ("availability.disconnect_calendar", "POST"): "dddddL",
    ("availability.sync_calendar", "POST"): "dddddL",
    ("availability.delete_window", "POST"): "oooddL",
    ("availability.import_calendar", "POST"): "oododL",
    ("availability.limits", "POST"): "oododL",
    ("availability.mine", "GET"): "oooooL",
    ("availability.person", "GET"): "oododL",
    ("availability.remove_import", "POST"): "dddddL",
    ("availability.windows", "GET"): "oooddL",
    ("availability.windows", "POST"): "oooddL",
    ("candidate_page.note_passed_on", "POST"): "oodddL",
    ("candidate_page.revoke_link", "POST"): "oodddL",
    ("candidate_page.send_link", "POST"): "oodddL",
    ("candidate_page.settings", "POST"): "oodddL",
    ("focus.add_area", "GET"): "oooddL",
    ("focus.add_area", "POST"): "oooddL",
    ("focus.add_question", "GET"): "oooddL",
    ("focus.add_question", "POST"): "oooddL",
    ("focus.add_step", "GET"): "oooddL",
    ("focus.add_step", "POST"): "oooddL",
    ("focus.archive_question", "POST"): "oooddL",
    ("focus.area", "GET"): "oooooL",
    ("focus.areas", "GET"): "oooooL",
    ("focus.delete_area", "POST"): "oooddL",
    ("focus.delete_step", "POST"): "oooddL",
    ("focus.edit_area", "GET"): "oooddL",
    ("focus.edit_area", "POST"): "oooddL",
    ("focus.edit_qualifications", "GET"): "oooddL",
    ("focus.edit_qualifications", "POST"): "oooddL",
    ("focus.edit_question", "GET"): "oooddL",
    ("focus.edit_question", "POST"): "oooddL",
    ("focus.edit_step", "GET"): "oooddL",
    ("focus.edit_step", "POST"): "oooddL",
    ("focus.job_areas", "GET"): "oooddL",
    ("focus.job_areas", "POST"): "oooddL",
    ("focus.move_step", "POST"): "oooddL",
    ("focus.plan", "GET"): "oooddL",
    ("focus.qualifications", "GET"): "oooooL",
    ("focus.questions", "GET"): "oooooL",
    ("hiring.add_candidate", "GET"): "oodddL",
    ("hiring.add_candidate", "POST"): "oodddL",
    ("hiring.add_job", "GET"): "oodddL",
    ("hiring.add_job", "POST"): "oodddL",
    ("hiring.candidate", "GET"): "oooddL",
    ("hiring.candidates", "GET"): "oooooL",
    ("hiring.edit_candidate", "GET"): "oooddL",
    ("hiring.edit_candidate", "POST"): "oooddL",
    ("hiring.edit_job", "GET"): "oooddL",
    ("hiring.edit_job", "POST"): "oooddL",
    ("hiring.job", "GET"): "oooddL",
    ("hiring.jobs", "GET"): "oooooL",
    ("home.healthz", "GET"): "oooooo",
    ("home.index", "GET"): "oooooL",
    ("invites.accept_proposal", "POST"): "oodddL",
    ("invites.candidate_ics", "GET"): "oooddL",
    ("invites.feed", "GET"): "oooooo",
    ("invites.loop_ics", "GET"): "oooodL",
    ("invites.message", "GET"): "oodddL",
    ("invites.message_ics", "GET"): "oodddL",
    ("invites.new_feed", "POST"): "oooooL",
    ("invites.notice_done", "POST"): "oodddL",
    ("invites.outbox", "GET"): "oodddL",
    ("invites.refuse_proposal", "POST"): "oodddL",
    ("invites.retry", "POST"): "oodddL",
    ("invites.session_ics", "GET"): "oooodL",
    ("invites.stop_feed", "POST"): "oooooL",
    ("kits.coverage", "GET"): "oooodL",
    ("kits.edit", "GET"): "oooodL",
    ("kits.edit", "POST"): "oooodL",
    ("kits.kit", "GET"): "oooodL",
    ("kits.session_areas", "POST"): "oooddL",
    ("kits.suggest", "POST"): "oooddL",
    ("loops.add_session", "GET"): "oodddL",
    ("loops.add_session", "POST"): "oodddL",
    ("loops.book", "POST"): "oodddL",
    ("loops.cancel", "POST"): "oodddL",
    ("loops.cancel_session", "POST"): "oodddL",
    ("loops.create", "POST"): "oodddL",
    ("loops.day", "GET"): "oodddL",
    # insight: the hiring team (recruiters and hiring managers over their own jobs) and admins; never interviewers
    ("insight.index", "GET"): "oooddL",
    ("insight.download", "GET"): "oooddL",
    # the scheduling board and send-when-ready: the loop's managers only, as every loop change
    ("board.show", "GET"): "oodddL",
    ("board.confirm", "GET"): "oodddL",
    ("board.confirm", "POST"): "oodddL",
    ("board.discard", "POST"): "oodddL",
    ("board.use_option", "POST"): "oodddL",
    ("board.place", "POST"): "oodddL",
    ("board.unplace", "POST"): "oodddL",
    ("board.video", "POST"): "oodddL",
    ("invites.hold_held", "POST"): "oodddL",
    ("invites.review", "GET"): "oodddL",
    ("invites.review", "POST"): "oodddL",
    ("invites.send_held", "POST"): "oodddL",
    ("loops.delete_session", "POST"): "oodddL",
    ("loops.edit_session", "GET"): "oodddL",
    ("loops.edit_session", "POST"): "oodddL",
    ("loops.find", "GET"): "oodddL",
    ("loops.index", "GET"): "oooooL",
    ("loops.move_session", "POST"): "oodddL",
    ("loops.place", "GET"): "oodddL",
    ("loops.place", "POST"): "oodddL",
    ("loops.replace", "GET"): "oodddL",
    ("loops.replace", "POST"): "oodddL",
    ("loops.settings", "GET"): "oodddL",
    ("loops.settings", "POST"): "oodddL",
    ("loops.show", "GET"): "oooodL",
    ("portal.availability", "GET"): "oooooo",
    ("portal.availability", "POST"): "oooooo",
    ("portal.book", "GET"): "oooooo",
    ("portal.book", "POST"): "oooooo",
    ("portal.calendar", "GET"): "oooooo",
    ("portal.home", "GET"): "oooooo",
    ("portal.notes", "POST"): "oooooo",
    ("portal.unknown", "GET"): "dddddd",
    ("portal.unknown", "POST"): "dddddd",
    ("privacy.erase", "GET"): "oddddL",
    ("privacy.erase", "POST"): "oddddL",
    ("privacy.export", "GET"): "oddddL",
    ("privacy.retention", "GET"): "oddddL",
    ("privacy.retention", "POST"): "oddddL",
    ("reminders.dashboard", "GET"): "oooooL",
    ("reminders.loop", "GET"): "oooddL",
    ("reminders.mine", "GET"): "oooooL",
    ("scorecards.amend", "GET"): "ddoodL",
    ("scorecards.amend", "POST"): "ddoodL",
    ("scorecards.autosave", "POST"): "ddoodL",
    ("scorecards.debrief", "GET"): "dooddL",
    ("scorecards.debrief_csv", "GET"): "dooddL",
    ("scorecards.debrief_print", "GET"): "dooddL",
    ("scorecards.decide", "POST"): "dooddL",
    ("scorecards.edit", "GET"): "ddoodL",
    ("scorecards.edit", "POST"): "ddoodL",
    ("scorecards.mine", "GET"): "ddoooL",
    ("scorecards.show", "GET"): "dooodL",
    ("static", "GET"): "oooooo",
}


def _routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": "/tmp"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}")


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), list(_routes()))
def test_route_walk(app, world, rule_text, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint)
    codes = ""
    for persona in PERSONAS:
        ensure_objects(world)
        path = url_for_rule(rule, world)
        client = client_for_persona(app, world, persona)
        response = client.get(path) if method == "GET" else client.post(path, data={})
        codes += CODE[outcome(response)]
        response.close()  # a file response (static) holds the file open until closed
    if os.environ.get("ROUTEWALK_PRINT"):
        print(f'\n    ("{endpoint}", "{method}"): "{codes}",')
        return
    crashed = [p for p, c in zip(PERSONAS, codes, strict=True) if c == "E"]
    assert not crashed, f"{method} {path}: a 500 for {crashed}"
    assert (endpoint, method) in EXPECTED, f"{method} {rule_text} ({endpoint}) has no entry in the table: {codes}"
    assert codes == EXPECTED[(endpoint, method)], f"{method} {path}: got {codes}"
