"""Benchmark: every insight report over 90 days of the large organisation, as an admin sees it (all 40 jobs).

    .venv/bin/python bench/bench_insight.py            # 10,000 loops, 30 timed runs of each report
    .venv/bin/python bench/bench_insight.py --quick    # the small organisation, 3 runs (smoke test)
    .venv/bin/python bench/bench_insight.py --check    # exit 1 when a target is missed

The database is bench/orgdata.py's organisation on SQLite (10,000 loops, 40,000 booked sessions, about 30,500
scorecards rating about 120,000 focus areas, hiring decisions; busy blocks and reminders left out, no report reads
them) plus what the reports read and the generator does not make (`add_history`): each loop's creation 3 to 20
days before its first interview, its history (created, booked, 15% rescheduled, 5% an interviewer replaced, 3% a
session cancelled, 2% cancelled outright, each with one of a few reasons), the candidate's page and link for 40%
of loops, half of which the candidate booked themself.

Each report's service function runs for the admin's scope (all jobs) over the 90 days up to now, in process; its
SQL statements are counted (a before_cursor_execute listener) on the small and the large organisation: the count
must not change. Then GET /insight (all reports and calibration, the page rendered) through the app. Wall and CPU
time per run. Targets: each report p50 < 200 ms; queries constant.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `coordinator` and `bench` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update

TARGET_MS = 200
REASONS = {"rescheduled": ["Candidate asked for another day", "Interviewer ill", "Room double-booked",
                           "Candidate travelling"],
           "replaced": ["Declined: out of office", "Declined: conflict", "Left the team"],
           "session_cancelled": ["Not needed after all", "Candidate withdrew from this part"],
           "loop_cancelled": ["Candidate withdrew", "Position filled", "Offer elsewhere"]}


def add_history(org, size, rng, ids: dict, now: datetime) -> dict[str, int]:
    """What the insight reports read that the organisation lacks: loop creation times, history, candidate pages."""
    import hashlib

    from bench.orgdata import _bulk
    from coordinator.extensions import db
    from coordinator.loops.models import Loop, LoopEvent
    from coordinator.portal.models import CandidateLink, CandidatePortal

    rng = random.Random(2026)
    first_start: dict[int, datetime] = {}
    for s in ids["sessions"]:
        first_start[s["loop_id"]] = min(first_start.get(s["loop_id"], s["start_dt"]), s["start_dt"])
    created, events, portals, links = [], [], [], []
    for loop in ids["loops"]:
        lid = loop["id"]
        start = first_start[lid]
        made = start - timedelta(days=rng.uniform(3, 20))
        created.append({"id": lid, "version": loop["version"], "created_dt": made})
        booked = made + timedelta(hours=rng.uniform(1, 60))
        by_candidate = False
        if rng.random() < 0.4:
            sent = made + timedelta(hours=rng.uniform(0.5, 4))
            portals.append({"loop_id": lid, "allow_self_booking": True, "link_days": 14, "what_to_expect": "",
                            "reschedules_used": 0, "updated_dt": sent})
            links.append({"loop_id": lid, "token_hash": hashlib.sha256(f"bench-{lid}".encode()).hexdigest(),
                          "created_dt": sent, "expires_dt": sent + timedelta(days=14), "sent_to": "c@example.org"})
            by_candidate = rng.random() < 0.5
            if by_candidate:
                booked = sent + timedelta(hours=rng.uniform(1, 72))
        events.append({"loop_id": lid, "actor_id": None, "actor_label": "System", "created_dt": made,
                       "action": "created", "summary": "Loop created", "reason": ""})
        events.append({"loop_id": lid, "actor_id": None, "actor_label": "Candidate" if by_candidate else "Recruiter",
                       "created_dt": booked, "action": "booked", "summary": "Booked.", "reason": ""})
        for action, share in (("rescheduled", 0.15), ("replaced", 0.05), ("session_cancelled", 0.03),
                              ("loop_cancelled", 0.02)):
            if rng.random() < share:
                events.append({"loop_id": lid, "actor_id": None, "actor_label": "Recruiter",
                               "created_dt": booked + timedelta(hours=rng.uniform(1, 48)), "action": action,
                               "summary": action, "reason": rng.choice(REASONS[action])})
    db.session.execute(update(Loop), created)
    _bulk(LoopEvent, events)
    _bulk(CandidatePortal, portals)
    _bulk(CandidateLink, links)
    return {"loop_events": len(events), "candidate_links": len(links)}


def _build(folder: str, quick: bool):
    from flask_migrate import upgrade

    from bench import orgdata
    from coordinator import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/insight.sqlite3", "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_KIB": 8192, "ARGON2_PARALLELISM": 1})
    base = orgdata.SMALL if quick else orgdata.LARGE
    size = dataclasses.replace(base, busy_per_interviewer=0, reminders=0)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        orgdata.EXTRA_GENERATORS.append(add_history)
        try:
            org = orgdata.build(size, seed=42, now=datetime.now(UTC))
        finally:
            orgdata.EXTRA_GENERATORS.remove(add_history)
    return app, org


def _reports(scope, now):
    from coordinator.insight import services as s

    return [("time to schedule", lambda: s.time_to_schedule(scope)),
            ("reschedules and cancels", lambda: s.changes(scope)),
            ("interviewer load", lambda: s.load(scope)), ("scorecards", lambda: s.scorecards(scope, now)),
            ("decisions", lambda: s.decisions(scope, now)), ("funnel per job", lambda: s.funnel(scope, now)),
            ("self-booking", lambda: s.self_booking(scope)), ("calibration", lambda: s.calibration(scope))]


def measure(app, org, rounds: int) -> tuple[list[dict], dict]:
    from bench import orgdata
    from bench.bench_debrief import QueryCounter
    from coordinator.auth.models import User
    from coordinator.auth.permissions import visible_jobs
    from coordinator.extensions import db
    from coordinator.insight.services import Scope, job_scope

    rows = []
    with app.app_context():
        counter = QueryCounter(db.engine)
        admin = db.session.scalar(select(User).where(User.email == org.admin_email))
        now = datetime.now(UTC)
        last = now.date()
        scope = Scope(last - timedelta(days=89), last, job_scope(visible_jobs(admin)))
        for name, run in _reports(scope, now):
            run()  # warm up
            _, queries = counter.measure(run)
            walls, cpus = [], []
            for _ in range(rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                run()
                walls.append((time.perf_counter() - t0) * 1000)
                cpus.append((time.process_time() - c0) * 1000)
            rows.append({"name": name, "queries": queries, "p50": statistics.median(walls),
                         "max": max(walls), "cpu": statistics.median(cpus)})
        client = app.test_client()
        assert client.post("/login", data={"email": org.admin_email, "password": orgdata.PASSWORD}).status_code == 302
        assert client.get("/insight").status_code == 200
        response, page_queries = counter.measure(lambda: client.get("/insight"))
        walls, cpus = [], []
        for _ in range(max(3, rounds // 5)):
            t0, c0 = time.perf_counter(), time.process_time()
            assert client.get("/insight").status_code == 200
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        page = {"queries": page_queries, "p50": statistics.median(walls), "cpu": statistics.median(cpus),
                "bytes": len(response.get_data())}
        db.engine.dispose()
    return rows, page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation and 3 runs (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="timed runs of each report (default 30)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 30)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        small_app, small_org = _build(folder + "/s", True) if not args.quick else (None, None)
        if small_app is not None:
            small_rows, _ = measure(small_app, small_org, 1)
        app, org = _build(folder, args.quick)
        built = time.perf_counter() - started
        rows, page = measure(app, org, rounds)
    if args.quick:
        small_rows = rows
    small = {r["name"]: r["queries"] for r in small_rows}
    print("bench_insight: each report over 90 days, all jobs (admin), SQLite, in process"
          + (" (--quick)" if args.quick else ""))
    c = org.counts
    print(f"database: {c.get('loops', 0):,} loops / {c.get('sessions', 0):,} sessions / "
          f"{c.get('scorecard_areas', 0):,} rated areas in {c.get('scorecards', 0):,} scorecards / "
          f"{c.get('loop_events', 0):,} history events (built in {built:.0f} s)")
    print(f"{'report':<26} {'queries small/large':>20} {'p50 ms':>8} {'max ms':>8} {'cpu ms':>8}  target")
    print("-" * 90)
    ok = True
    for r in rows:
        good = r["p50"] < TARGET_MS and small[r["name"]] == r["queries"]
        ok &= good
        print(f"{r['name']:<26} {small[r['name']]:>9} / {r['queries']:<8} {r['p50']:>8.1f} {r['max']:>8.1f} "
              f"{r['cpu']:>8.1f}  < {TARGET_MS} ms, constant  {'ok' if good else 'MISSED'}")
    print(f"{'GET /insight (whole page)':<26} {'':>9}   {page['queries']:<8} {page['p50']:>8.1f} {'':>8} "
          f"{page['cpu']:>8.1f}  ({page['bytes'] / 1024:.0f} KiB)")
    return 1 if args.check and not args.quick and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
