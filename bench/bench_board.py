"""Benchmark: the scheduling board's round trip for one move, 20 people across a week, at organisation scale.

    .venv/bin/python bench/bench_board.py            # the large organisation, 200 timed moves
    .venv/bin/python bench/bench_board.py --quick    # a small organisation, 5 moves (smoke test)
    .venv/bin/python bench/bench_board.py --check    # exit 1 when the target is missed

The database is bench/orgdata.py's organisation on SQLite (500 interviewers with 400 imported busy blocks each over
the next month, 10,000 loops, 40,000 booked sessions; scorecards and reminders left out, the board never reads
them), plus the measured loop, made through the app's services: 4 sessions with 20 people (a named interviewer, a
panel of 2, and two sessions drawing one interviewer each from pools of 8 and 9), in five time zones.

A move is what the board's script sends when a session is dropped on a slot: POST /loops/<id>/board/place with
HX-Request, answered with the whole week's board. It goes through the whole app as the job's recruiter: the booking
checks (calendars of everyone on the loop), the engine picking a free pool member, the draft written and
committed, and the week re-rendered (20 rows x 7 days x hourly slots, busy blocks, other interviews). The pool
session is moved back and forth between two times. SQL statements are counted per move. Target: p50 < 100 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `coordinator` and `bench` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

TARGET_MS = 100


def _build(folder: str, quick: bool):
    """A migrated SQLite database with the organisation and the measured loop. Returns (app, loop id, session id,
    recruiter e-mail, Monday of the measured week, row counts)."""
    from flask_migrate import upgrade

    from bench import orgdata
    from coordinator import create_app
    from coordinator.auth.models import User, UserRole
    from coordinator.extensions import db
    from coordinator.hiring.models import Candidate, Job
    from coordinator.loops import services as loops

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/board.sqlite3", "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_KIB": 8192, "ARGON2_PARALLELISM": 1, "SEND_INVITES_AT_ONCE": False})
    if quick:
        size = dataclasses.replace(orgdata.SMALL, interviewers=24, busy_per_interviewer=40, reminders=0,
                                   scorecards=0)
    else:
        size = dataclasses.replace(orgdata.LARGE, reminders=0, scorecards=0)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' progress lines
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        org = orgdata.build(size, seed=42, now=datetime.now(UTC))
        people = list(db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == "interviewer", User.email.like("interviewer%"))
            .order_by(User.id).limit(20)))
        job = db.session.get(Job, 1)
        recruiter = db.session.get(User, job.recruiter_id)
        candidate = Candidate(name="Measured Candidate", email="measured@example.org", timezone="Europe/London",
                              job_id=job.id, stage="to_schedule")
        db.session.add(candidate)
        db.session.flush()
        loop = loops.create_loop(candidate, recruiter)
        ids = [p.id for p in people]
        for data in (
            loops.SessionData("Hiring manager", "one_on_one", 45, interviewer_ids=(ids[0],), location="Room 1"),
            loops.SessionData("System design", "panel", 60, interviewer_ids=(ids[1], ids[2]), location="Room 1"),
            loops.SessionData("Coding", "one_on_one", 60, pool_ids=tuple(ids[3:11]), pool_count=1, location="R1"),
            loops.SessionData("Collaboration", "one_on_one", 45, pool_ids=tuple(ids[11:20]), pool_count=1,
                              location="Room 1"),
        ):
            loops.add_session(loop, data, recruiter)
        db.session.commit()
        today = datetime.now(UTC).date()
        monday = today + timedelta(days=7 - today.weekday())
        session_id = loop.sessions[2].id
        return app, loop.id, session_id, recruiter.email, monday, dict(org.counts)


def measure(app, loop_id: int, session_id: int, email: str, monday, rounds: int) -> dict:
    from bench import orgdata
    from bench.bench_debrief import QueryCounter
    from coordinator.extensions import db
    from coordinator.timeutil import local_to_utc

    with app.app_context():
        counter = QueryCounter(db.engine)
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": orgdata.PASSWORD}).status_code == 302
        from coordinator.auth.models import User

        tz = db.session.scalar(select(User.timezone).where(User.email == email))
        times = [local_to_utc(monday + timedelta(days=d), datetime.min.time().replace(hour=h), tz).isoformat()
                 for d, h in ((1, 10), (2, 14), (3, 11), (1, 15))]
        path = f"/loops/{loop_id}/board/place"
        headers = {"HX-Request": "true"}

        def move(n: int):
            return client.post(path, headers=headers, data={
                "session_id": str(session_id), "start": times[n % len(times)], "day": monday.isoformat(),
                "mode": "week"})

        board_t0 = time.perf_counter()
        week = client.get(f"/loops/{loop_id}/board?day={monday.isoformat()}&mode=week")
        first_page_ms = (time.perf_counter() - board_t0) * 1000
        assert week.status_code == 200, week.status_code
        for n in range(3):  # warm up: templates compiled, caches filled
            assert move(n).status_code in (200, 409)
        response, queries = counter.measure(lambda: move(3))
        statuses: dict[int, int] = {}
        walls, cpus = [], []
        for n in range(rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            status = move(n).status_code
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        db.engine.dispose()
    walls.sort()
    return {"queries": queries, "p50": statistics.median(walls),
            "p95": walls[int(len(walls) * 0.95) - 1] if len(walls) >= 20 else max(walls),
            "cpu": statistics.median(cpus), "bytes": len(response.get_data()), "statuses": statuses,
            "first_page_ms": first_page_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small organisation and 5 moves (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="timed moves (default 200)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 200)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        app, loop_id, session_id, email, monday, counts = _build(folder, args.quick)
        built = time.perf_counter() - started
        row = measure(app, loop_id, session_id, email, monday, rounds)
    ok = row["p50"] < TARGET_MS
    print("bench_board: a move on the scheduling board (POST .../board/place, htmx, week view), SQLite, recruiter"
          + (" (--quick)" if args.quick else ""))
    print(f"database: {counts.get('users', 0):,} users / {counts.get('busy_blocks', 0):,} busy blocks / "
          f"{counts.get('loops', 0):,} loops / {counts.get('sessions', 0):,} sessions (built in {built:.0f} s); "
          f"the board: 20 people + the candidate, 7 days")
    print(f"{'benchmark':<46} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'KiB':>6}  target")
    print("-" * 100)
    print(f"{'move a session, 20 people x a week':<46} {row['queries']:>8} {row['p50']:>8.1f} {row['p95']:>8.1f} "
          f"{row['cpu']:>8.1f} {row['bytes'] / 1024:>6.0f}  < {TARGET_MS} ms p50  {'ok' if ok else 'MISSED'}")
    print(f"answers: {', '.join(f'{n} x {s}' for s, n in sorted(row['statuses'].items()))}; "
          f"first week page (cold) {row['first_page_ms']:.0f} ms")
    return 1 if args.check and not args.quick and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
