"""Sending: a due reminder becomes exactly one outbox message and is marked sent in the same transaction; what is
no longer wanted is cancelled, what cannot or should not go out is skipped with the reason. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from coordinator.dblock import write_transaction
from coordinator.extensions import db
from coordinator.hiring.models import Candidate
from coordinator.loops import services as loops
from coordinator.loops.models import Loop
from coordinator.reminders import jobs as reminder_jobs
from coordinator.reminders import sending
from coordinator.reminders.models import Reminder
from tests.reminders.support import at, book, monday, new_loop, outbox_reminders, parse, rows, world


def _booked(**kw):
    w = world(**kw)
    day = monday()
    loop_id = new_loop(w, [("System design", 60, [w.jonas], [w.priya])])
    start = at(day, 10)
    book(loop_id, {0: start}, w.recruiter, now=start - timedelta(days=3))
    return w, loop_id, start


def test_a_due_reminder_goes_into_the_outbox_once_and_is_marked_sent(any_db_app):
    w, loop_id, start = _booked()
    now = start - timedelta(hours=23)  # the day-before reminders (and the candidate's) are due
    report = reminder_jobs.process_due(now=now)
    assert (report.claimed, report.sent, report.cancelled, report.skipped) == (3, 3, 0, 0)
    sent = rows(loop_id, status="sent")
    assert sorted(r.kind for r in sent) == ["candidate_day", "prep_day", "prep_day"]
    messages = outbox_reminders()
    assert len(messages) == 3
    assert {r.outbox_message_id for r in sent} == {m.id for m in messages}
    assert all(r.sent_dt == now and r.attempts == 1 for r in sent)
    by_to = {m.recipient: m for m in messages}
    jonas = by_to[w.jonas.email]
    assert jonas.kind == "interviewer_reminder" and jonas.status == "held" and jonas.loop_id == loop_id
    assert jonas.method == ""
    msg, text, html = parse(jonas)
    assert str(msg["Subject"]).startswith("Prepare: interview with Ada Lovelace — System design")
    assert "Rita Recruiter via" in str(msg["From"]) and msg["Reply-To"].addresses[0].addr_spec == w.recruiter.email
    assert f"/kits/{w.jonas.id}" in text  # the kit link
    priya_text = parse(by_to[w.priya.email])[1]
    assert "IST (your time zone, Asia/Kolkata)" in priya_text  # the shadow, in her zone
    candidate_text = parse(by_to[w.candidate.email])[1]
    assert "All times are in your time zone (Europe/London" in candidate_text and "kit" not in candidate_text
    # nothing is due twice
    again = reminder_jobs.process_due(now=now + timedelta(minutes=5))
    assert again.claimed == 0 and len(outbox_reminders()) == 3


def test_not_yet_due_stays_pending(any_db_app):
    w, loop_id, start = _booked()
    assert reminder_jobs.process_due(now=start - timedelta(days=2)).claimed == 0
    assert len(rows(loop_id, status="pending")) == len(rows(loop_id))


def test_a_session_moved_after_its_reminder_was_due_is_not_sent_for_the_old_time(any_db_app):
    w, loop_id, start = _booked()
    # the move happens without the hook (announced=False, as a path that forgot it): the send-time check still
    # catches it
    with write_transaction():
        loop = loops.load_loop(loop_id)
        loops.book(loop, [loops.Placement(loop.sessions[0].id, start + timedelta(days=2), (w.jonas.id,),
                                          (w.priya.id,))], db.session.get(type(w.recruiter), w.recruiter.id),
                   override_reason="moved", announced=False)
        db.session.commit()
    report = reminder_jobs.process_due(now=start - timedelta(hours=23))
    assert report.sent == 0 and report.cancelled == 3
    assert {r.reason for r in rows(loop_id, status="cancelled")} == {"The session moved.",
                                                                     "The interview times changed."}
    assert outbox_reminders() == []


def test_a_deleted_loop_or_a_missing_address_is_skipped_with_the_reason_not_a_crash(any_db_app):
    w, loop_id, start = _booked()
    w2, other_id, other_start = _booked()
    db.session.execute(update(Candidate).where(Candidate.id == w2.candidate.id).values(email=""))
    db.session.execute(delete(Loop).where(Loop.id == loop_id))
    db.session.commit()
    report = reminder_jobs.process_due(now=other_start - timedelta(hours=23))
    assert report.errors == []
    orphans = list(db.session.scalars(select(Reminder).where(Reminder.loop_id.is_(None),
                                                             Reminder.status == "skipped")))
    assert len(orphans) == 3 and {r.reason for r in orphans} == {"The loop was deleted."}
    no_address = rows(other_id, kind="candidate_day")[0]
    assert no_address.status == "skipped" and no_address.reason == "Ada Lovelace has no e-mail address."
    assert len(outbox_reminders()) == 2  # the other loop's interviewers


def test_a_disabled_account_and_a_bad_address_are_skipped(any_db_app):
    w, loop_id, start = _booked()
    db.session.get(type(w.priya), w.priya.id).is_enabled = False
    db.session.execute(update(Candidate).where(Candidate.id == w.candidate.id).values(email="ada at example"))
    db.session.commit()
    reminder_jobs.process_due(now=start - timedelta(hours=23))
    reasons = {r.kind + ":" + (str(r.user_id) if r.user_id else "c"): r.reason for r in rows(loop_id, status="skipped")}
    assert reasons == {f"prep_day:{w.priya.id}": "Priya Nair's account is disabled.",
                       "candidate_day:c": "The message could not be built: recipient: not a usable e-mail address: "
                                          "'ada at example'"}


def test_a_reminder_picked_up_too_late_is_skipped_rather_than_sent(any_db_app):
    w, loop_id, start = _booked()
    report = reminder_jobs.process_due(now=start + timedelta(minutes=5))  # the scheduler was down past the start
    skipped = rows(loop_id, status="skipped")
    assert report.sent == 0 and {r.kind for r in skipped} == {"prep_day", "prep_hour", "candidate_day"}
    assert all(r.reason.startswith("Too late to help") for r in skipped)


def test_a_reminder_whose_message_fails_to_build_is_retried_then_skipped(any_db_app, monkeypatch):
    w, loop_id, start = _booked()

    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(sending, "render", broken)
    now = start - timedelta(hours=23)
    first = reminder_jobs.process_due(now=now)
    assert first.retrying == 3 and first.sent == 0
    row = rows(loop_id, kind="prep_day")[0]
    assert row.status == "pending" and row.last_error == "RuntimeError: template exploded"
    assert row.due_dt == now + timedelta(minutes=2)
    later = now
    for _ in range(sending.MAX_ATTEMPTS):
        later += timedelta(hours=1)
        reminder_jobs.process_due(now=min(later, start - timedelta(hours=2)))
    failed = rows(loop_id, kind="prep_day")
    assert all(r.status == "skipped" and r.reason.startswith("Gave up after 5 attempts") for r in failed)


def test_batches_commit_one_by_one_and_take_everything_due(any_db_app):
    w, loop_id, start = _booked()
    now = start - timedelta(hours=23)
    report = reminder_jobs.process_due(now=now, limit=1)
    assert (report.batches, report.sent) == (3, 3)  # three transactions of one (then one that found nothing)


@pytest.mark.parametrize("workers", [4])
def test_concurrent_pollers_send_each_reminder_exactly_once(any_db_app, workers):
    app = any_db_app
    w = world()
    day = monday()
    ids = []
    for n in range(6):
        loop_id = new_loop(w, [("Session", 45, [w.jonas], [w.priya, w.emily])])
        book(loop_id, {0: at(day, 9) + timedelta(hours=n)}, w.recruiter, now=at(day, 9) - timedelta(days=3))
        ids.append(loop_id)
    now = at(day, 9) + timedelta(hours=6) - timedelta(hours=23, minutes=59)
    due = db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.due_dt <= now))
    assert due >= 18
    barrier = threading.Barrier(workers)
    errors = []

    def poller():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                while reminder_jobs.process_batch(now, limit=2):
                    pass
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=poller) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    sent = rows(status="sent")
    assert len(sent) == due
    counts = Counter(m.id for m in outbox_reminders())
    assert len(counts) == due and set(counts.values()) == {1}
    assert len({r.outbox_message_id for r in sent}) == due


def test_the_commands_send_and_reconcile_once(app, clock):
    w, loop_id, start = _booked()
    clock.set(start - timedelta(hours=23))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Reminders: claimed 3, sent 3, cancelled 0, skipped 0, retrying 0." in result.output
    db.session.execute(delete(Reminder).where(Reminder.status == "pending"))
    db.session.commit()
    result = runner.invoke(args=["sync-reminders"])
    assert result.exit_code == 0 and "scheduled" in result.output
    assert rows(loop_id, status="pending")  # the hour-before and scorecard reminders are back
    assert len(rows(loop_id, status="sent")) == 3  # and nothing sent twice
