"""Benchmark: the people picker's facts for every interviewer of a large organisation, and the session form that
shows them.

    .venv/bin/python bench/bench_picker.py            # 500 interviewers x 400 busy blocks, 50 timed rounds
    .venv/bin/python bench/bench_picker.py --quick    # the small organisation, 3 rounds (smoke test)
    .venv/bin/python bench/bench_picker.py --check    # exit 1 when a target is missed

The database is bench/orgdata.py's organisation (seeded) with fewer candidates (the picker never reads them):
500 interviewers in 5 zones, each with working hours and 400 busy blocks over the next month and their booked
interviews. `people_facts` is timed for everyone who can interview, for the planning loop's window (its next two
weeks) and a 60-minute session: zone, focus areas, interviews this week, free in the window (the engine's
`free_starts` per person). SQL statements are counted for half and for all of them: the count must not change.
GET /loops/<planning>/sessions/new goes through the whole app, signed in as the loop's recruiter.
Targets (median CPU time, the steadier figure on a shared machine): facts for 500 people < 500 ms; the page
< 800 ms; the same number of queries for half and for all of them.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `coordinator` and `bench` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

TARGET_FACTS_MS = 500
TARGET_PAGE_MS = 800


def _build(folder: str, quick: bool):
    from flask_migrate import upgrade

    from bench import orgdata
    from coordinator import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/picker.sqlite3", "INSTANCE_PATH": folder,
                      "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_KIB": 8192, "ARGON2_PARALLELISM": 1})
    size = orgdata.SMALL if quick else dataclasses.replace(orgdata.LARGE, candidates=2000, scorecards=0,
                                                            reminders=0)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' progress lines
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        org = orgdata.build(size, seed=42, now=datetime.now(UTC))
    return app, org, size


def _timed(fn, rounds: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def measure(app, org, rounds: int) -> dict:
    from coordinator.extensions import db
    from coordinator.loops import picker
    from coordinator.loops import services as loops
    from coordinator.loops.models import Loop

    with app.app_context():
        loop = db.session.get(Loop, org.planning_loop_id)
        people = loops.interviewer_choices()
        window = picker.loop_window(loop, 60)
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                statements.append(statement)

        queries = []
        for group in (people[: len(people) // 2], people):
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                facts = picker.people_facts(group, window=window)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            queries.append(len(statements))
            statements.clear()
        free = sum(1 for f in facts.values() if f.free)
        facts_ms, facts_cpu = _timed(lambda: picker.people_facts(people, window=window), rounds)

        client = app.test_client()
        from bench import orgdata

        assert client.post("/login", data={"email": org.recruiter_email, "password": orgdata.PASSWORD}).status_code \
            == 302
        path = f"/loops/{loop.id}/sessions/new"
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 200, response.status_code
        page_ms, page_cpu = _timed(lambda: client.get(path), max(3, rounds // 5))
        size = len(response.get_data())
        db.engine.dispose()
    return {"people": len(people), "free": free, "queries": queries, "facts_ms": facts_ms, "facts_cpu": facts_cpu,
            "page_ms": page_ms, "page_cpu": page_cpu, "bytes": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation and 3 rounds (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds of the facts (default 50)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 50)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        app, org, size = _build(folder, args.quick)
        built = time.perf_counter() - started
        r = measure(app, org, rounds)
    print(f"people picker: {r['people']} interviewers x {size.busy_per_interviewer} busy blocks "
          f"(built in {built:.0f} s); {r['free']} free in the planning loop's window")
    print(f"  queries, half / all of them : {r['queries'][0]} / {r['queries'][1]}")
    print(f"  facts for all, median       : {r['facts_ms']:.1f} ms wall, {r['facts_cpu']:.1f} ms CPU "
          f"(target < {TARGET_FACTS_MS} ms CPU)")
    print(f"  session form page, median   : {r['page_ms']:.1f} ms wall, {r['page_cpu']:.1f} ms CPU, "
          f"{r['bytes'] / 1024:.0f} KiB (target < {TARGET_PAGE_MS} ms CPU)")
    missed = (r["queries"][0] != r["queries"][1] or r["facts_cpu"] > TARGET_FACTS_MS
              or r["page_cpu"] > TARGET_PAGE_MS)
    return 1 if args.check and missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
