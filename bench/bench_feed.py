"""Benchmark: a user's private calendar feed with 500 upcoming sessions, served by the app.

    .venv/bin/python bench/bench_feed.py            # 500 sessions, best of 5 polls
    .venv/bin/python bench/bench_feed.py --quick    # 20 sessions, one poll (smoke test)
    .venv/bin/python bench/bench_feed.py --check    # exit 1 when the target is missed

A fresh SQLite database (migrated) holds 100 loops of 5 booked sessions with 2 interviewers each; GET
/feed/<token>.ics goes through the whole app (routing, token check, queries, building, headers). "first" is the
first fetch after a restart (every event built); "poll" a calendar fetching again (unchanged events come from
the per-process event cache). Target: a poll of 500 sessions in < 300 ms. CPU time is shown beside wall clock
because the machine may be shared.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `coordinator` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SESSIONS_PER_LOOP = 5


def _build_app(folder: str, n_sessions: int):
    from flask_migrate import upgrade

    from coordinator import create_app
    from coordinator.auth.roles import Role
    from coordinator.auth.services import UserData, create_user
    from coordinator.extensions import db
    from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
    from coordinator.invites import feeds
    from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "BASE_URL": "https://coordinator.example", "TESTING": True})
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' progress lines
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)

        def person(name: str, role: Role, tz: str = "Europe/Berlin"):
            return create_user(UserData(email=f"{name.lower().replace(' ', '.')}@corp.example", name=name,
                                        job_title="Staff Engineer", timezone=tz, roles=frozenset({role})),
                               password=None)

        viewer, other = person("Jonas Weber", Role.INTERVIEWER), person("Priya Nair", Role.INTERVIEWER, "Asia/Kolkata")
        recruiter, manager = person("Rita Recruiter", Role.RECRUITER), person("Hannah Manager", Role.HIRING_MANAGER)
        db.session.flush()
        job = create_job(JobData(title="Senior Data Engineer", department="Data", hiring_manager_id=manager.id,
                                 recruiter_id=recruiter.id))
        db.session.flush()
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        for n in range(0, n_sessions, SESSIONS_PER_LOOP):
            candidate = create_candidate(CandidateData(name=f"Candidate {n}", email=f"c{n}@example.org",
                                                       timezone="America/New_York", job_id=job.id))
            loop = Loop(candidate=candidate, recruiter_id=recruiter.id, status="scheduled", location="HQ, Room 4")
            db.session.add(loop)
            for k in range(min(SESSIONS_PER_LOOP, n_sessions - n)):
                begins = start + timedelta(days=n // SESSIONS_PER_LOOP, hours=k)
                ends = begins + timedelta(minutes=45)
                session = LoopSession(title=f"Session {k}", kind="panel", duration_min=45, position=k,
                                      status="booked", start_dt=begins, end_dt=ends)
                loop.sessions.append(session)
                for user in (viewer, other):
                    session.participants.append(SessionInterviewer(user_id=user.id, is_active=True,
                                                                   start_dt=begins, end_dt=ends))
        token = feeds.new_feed_token(viewer)
        db.session.commit()
    return app, f"/feed/{token}.ics"


def _fetch(client, url: str) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    response = client.get(url)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert response.status_code == 200, response.status_code
    return wall, cpu, response.data.count(b"BEGIN:VEVENT")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 sessions, one poll (smoke test)")
    parser.add_argument("--sessions", type=int, default=None, help="sessions in the feed (default 500)")
    parser.add_argument("--rounds", type=int, default=None, help="polls after the first, best counts (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    n = args.sessions or (20 if args.quick else 500)
    rounds = args.rounds or (1 if args.quick else 5)

    from coordinator.invites import feeds

    with tempfile.TemporaryDirectory() as folder:
        app, url = _build_app(folder, n)
        with app.app_context():
            client = app.test_client()
            feeds.FEED_EVENT_CACHE.clear()
            first = _fetch(client, url)
            polls = [_fetch(client, url) for _ in range(rounds)]
            from coordinator.extensions import db

            db.engine.dispose()
    best = min(polls)
    assert first[2] == n and best[2] == n
    ok = best[0] * 1000 < 300
    print(f"bench_feed: GET /feed/<token>.ics through the app, SQLite, best of {rounds} poll(s)"
          + (" (--quick)" if args.quick else ""))
    print(f"{'benchmark':<46} {'events':>7} {'wall ms':>9} {'cpu ms':>8}  target")
    print("-" * 92)
    print(f"{'feed, first fetch (every event built)':<46} {n:>7} {first[0] * 1000:>9,.1f} {first[1] * 1000:>8,.1f}")
    print(f"{'feed, poll (unchanged events cached)':<46} {n:>7} {best[0] * 1000:>9,.1f} {best[1] * 1000:>8,.1f}  "
          f"< 300 ms  {'ok' if ok else 'MISSED'}")
    return 1 if args.check and not args.quick and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
