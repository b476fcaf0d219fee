"""Benchmark: 1,000 calendar replies read and applied, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_replies.py            # 1,000 replies
    .venv/bin/python bench/bench_replies.py --quick    # 100 (smoke test)
    .venv/bin/python bench/bench_replies.py --check    # exit 1 when a target is missed
    .venv/bin/python bench/bench_replies.py --profile  # pyinstrument's profile of the reading step

For each database: 250 loops with one booked panel of 4 interviewers each (1,000 people, all different, and 40
more; everyone may interview), the panels spread over two weeks of working hours, and 1,000
REPLY messages, one per interviewer, as the four clients write them (Outlook base64, Gmail multipart/mixed with the
.ics attached, Apple Calendar quoted-printable attachment, Thunderbird, attachment only): 75% ACCEPTED, 15%
TENTATIVE, 10% DECLINED (each decline finds its replacement options among the 1,040 and queues the recruiter's
e-mail).

* "read": the messages are stored as the listener stores them, then `invites.jobs.read_replies` parses, matches,
  applies and commits them in batches of 500. Target: < 10 s for 1,000.
* "end to end" (SQLite): the same 1,000 sent by another process (as the mail server would) over one LMTP
  connection to the listener on a loopback port, until the last is applied (storing each message is one short
  write transaction; the reader reads in batches meanwhile). Target: < 10 s.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import perf_counter, process_time, sleep

if __package__ in (None, ""):  # run as a script: make `coordinator` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_reminders import _app, _drop_schema, _pg_target  # noqa: E402

READ_TARGET_S = 10.0
REPLY_ADDRESS = "replies@coordinator.example"


def _organisation(loops: int, start: datetime) -> list[tuple[int, int, str]]:
    """`loops` loops with one booked 4-person panel each; (session id, sequence, interviewer e-mail) per seat."""
    from coordinator.auth.models import User, UserRole, WorkingHours
    from coordinator.auth.roles import Role
    from coordinator.auth.services import UserData, create_user
    from coordinator.extensions import db
    from coordinator.hiring.models import Candidate
    from coordinator.hiring.services import JobData, create_job
    from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

    recruiter = create_user(
        UserData(
            email="rita@corp.example",
            name="Rita Recruiter",
            job_title="Recruiter",
            timezone="Europe/London",
            roles=frozenset({Role.RECRUITER}),
        ),
        password=None,
    )
    manager = create_user(
        UserData(
            email="hannah@corp.example",
            name="Hannah Manager",
            job_title="Manager",
            timezone="America/New_York",
            roles=frozenset({Role.HIRING_MANAGER}),
        ),
        password=None,
    )
    db.session.flush()
    job = create_job(
        JobData(
            title="Senior Data Engineer", department="Data", hiring_manager_id=manager.id, recruiter_id=recruiter.id
        )
    )
    db.session.flush()
    zones = ("Europe/Berlin", "Asia/Kolkata", "Europe/London", "America/New_York")
    people = [
        User(email=f"person{i}@corp.example", name=f"Person {i}", job_title="Engineer", timezone=zones[i % 4])
        for i in range(loops * 4 + 40)
    ]
    candidates = [
        Candidate(name=f"Candidate {i}", email=f"candidate{i}@example.org", timezone="Europe/London", job_id=job.id)
        for i in range(loops)
    ]
    db.session.add_all(people + candidates)
    db.session.flush()
    db.session.add_all(UserRole(user_id=p.id, role=Role.INTERVIEWER.value) for p in people)
    db.session.add_all(
        WorkingHours(user_id=p.id, weekday=d, start_time=time(8), end_time=time(18)) for p in people for d in range(5)
    )
    made = []
    for i in range(loops):
        # spread over two weeks of working days, 09:00-16:00 UTC
        at = start + timedelta(days=(i // 8) % 10 + 2 * ((i // 8) % 10 // 5), hours=i % 8)
        end = at + timedelta(minutes=60)
        loop = Loop(candidate_id=candidates[i].id, recruiter_id=recruiter.id, status="scheduled")
        session = LoopSession(
            position=0,
            title="Panel",
            kind="panel",
            duration_min=60,
            status="booked",
            start_dt=at,
            end_dt=end,
            ical_sequence=i % 3,
        )
        for k in range(4):
            session.participants.append(
                SessionInterviewer(
                    user_id=people[i * 4 + k].id, role="interviewer", is_active=True, start_dt=at, end_dt=end
                )
            )
        loop.sessions.append(session)
        made.append(loop)
    db.session.add_all(made)
    db.session.commit()
    return [(s.id, s.ical_sequence, p.user.email) for loop in made for s in loop.sessions for p in s.participants]


def _monday_nine() -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=7)
    day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _messages(seats: list[tuple[int, int, str]]) -> list[tuple[str, bytes]]:
    from coordinator.invites.services import session_uid
    from tests.invites.replies_support import CLIENTS, reply_email, reply_ics

    out = []
    for n, (session_id, sequence, email) in enumerate(seats):
        partstat = "DECLINED" if n % 10 == 3 else "TENTATIVE" if n % 20 in (5, 15, 17) else "ACCEPTED"
        client = CLIENTS[n % len(CLIENTS)]
        ics = reply_ics(client, session_uid(session_id), sequence, email, partstat)
        out.append((email, reply_email(client, ics, email, to=REPLY_ADDRESS)))
    return out


def _measure(app, loops: int, profile: bool) -> dict:
    from sqlalchemy import func, select

    from coordinator.dblock import write_transaction
    from coordinator.extensions import db
    from coordinator.invites import replies
    from coordinator.invites.jobs import read_replies
    from coordinator.invites.models import InboundMessage, Notice

    out: dict = {}
    with app.app_context():
        seats = _organisation(loops, _monday_nine())
        messages = _messages(seats)
        out["count"] = len(messages)
        t0 = perf_counter()
        with write_transaction():
            for sender, raw in messages:
                replies.store(raw, sender)
            db.session.commit()
        out["store"] = perf_counter() - t0
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        t0, c0 = perf_counter(), process_time()
        read = read_replies()
        out["read"] = (perf_counter() - t0, process_time() - c0)
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        statuses = dict(
            db.session.execute(select(InboundMessage.status, func.count()).group_by(InboundMessage.status)).all()
        )
        out["statuses"] = statuses
        out["notices"] = db.session.scalar(select(func.count(Notice.id)))
        db.session.commit()
        assert read == len(messages) and statuses == {"applied": len(messages)}, (read, statuses)
        db.session.remove()
        db.engine.dispose()
    return out


_SENDER = """
import pickle, smtplib, sys
messages = pickle.load(open(sys.argv[1], "rb"))
client = smtplib.LMTP("127.0.0.1", int(sys.argv[2]))
for sender, raw in messages:
    client.sendmail(sender, [sys.argv[3]], raw)
client.quit()
"""


def _end_to_end(app, loops: int, folder: str) -> float:
    """The same replies over LMTP to the listener (SQLite), until every one is applied. The sender is a process of
    its own, as the mail server is."""
    import pickle
    import subprocess

    from sqlalchemy import func, select

    from coordinator.extensions import db
    from coordinator.invites import inbound
    from coordinator.invites.models import InboundMessage
    from tests.invites.outbox_support import free_port

    with app.app_context():
        messages = _messages(_organisation(loops, _monday_nine()))
        db.session.remove()
    path = Path(folder) / "messages.pickle"
    path.write_bytes(pickle.dumps(messages))
    reader = inbound.Reader(app, poll=5)
    reader.start()
    controller = inbound.build(app, "127.0.0.1", free_port(), protocol="lmtp", reader=reader)
    controller.start()
    try:
        t0 = perf_counter()
        subprocess.run([sys.executable, "-c", _SENDER, str(path), str(controller.port), REPLY_ADDRESS], check=True)
        with app.app_context():
            while True:
                done = db.session.scalar(
                    select(func.count(InboundMessage.id)).where(InboundMessage.status != "pending")
                )
                db.session.commit()
                if done >= len(messages):
                    break
                sleep(0.02)
            elapsed = perf_counter() - t0
            db.session.remove()
    finally:
        controller.stop()
        reader.stop()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 replies instead of 1,000")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's profile of the reading step")
    args, _ = parser.parse_known_args(argv)
    loops = 25 if args.quick else 250
    logging.disable(logging.WARNING)
    results: list[tuple[str, dict]] = []
    e2e = None
    with tempfile.TemporaryDirectory() as folder:
        app = _app(f"sqlite:///{folder}/replies.sqlite3", folder)
        app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
        results.append(("SQLite", _measure(app, loops, args.profile)))
    with tempfile.TemporaryDirectory() as folder:
        app = _app(f"sqlite:///{folder}/e2e.sqlite3", folder)
        app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
        e2e = _end_to_end(app, loops, folder)
    target = _pg_target()
    if target is not None:
        url, schema = target
        with tempfile.TemporaryDirectory() as folder:
            try:
                app = _app(
                    url, folder, {"connect_args": {"options": f"-csearch_path={schema},public"}, "pool_pre_ping": True}
                )
                app.config["REPLY_ADDRESS"] = REPLY_ADDRESS
                results.append(("PostgreSQL", _measure(app, loops, False)))
            finally:
                _drop_schema(url, schema)
    logging.disable(logging.NOTSET)
    ok = True
    count = results[0][1]["count"]
    print(f"\n| what | {' | '.join(name for name, _ in results)} | target |")
    print("|---|" + "---|" * len(results) + "---|")
    print(
        f"| {count:,} replies read and applied (wall / CPU) | "
        + " | ".join(f"{r['read'][0]:.2f} s / {r['read'][1]:.2f} s" for _, r in results)
        + " | < 10 s |"
    )
    print(
        "| storing them as the listener does (one transaction here) | "
        + " | ".join(f"{r['store']:.2f} s" for _, r in results)
        + " | |"
    )
    print("| per reply | " + " | ".join(f"{r['read'][0] / count * 1000:.2f} ms" for _, r in results) + " | |")
    print("| declines noted with replacement options | " + " | ".join(str(r["notices"]) for _, r in results) + " | |")
    print(
        f"\nend to end, SQLite: {count:,} replies over one LMTP connection to the listener, until the last is "
        f"applied (the sender a process of its own, as the mail server is): {e2e:.2f} s (target < 10 s)"
    )
    ok &= args.quick or e2e < READ_TARGET_S
    for _, r in results:
        if args.quick:
            continue
        ok &= r["read"][0] < READ_TARGET_S
    if args.check and not ok:
        print("a target was missed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
