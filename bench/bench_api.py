"""Benchmark: an ATS polling GET /api/v1/loops?updated_since=... and following next_cursor through every loop of
the large organisation (10,000 loops, 40,000 sessions) on SQLite.

    .venv/bin/python bench/bench_api.py            # the large organisation, every page, twice
    .venv/bin/python bench/bench_api.py --quick    # 60 loops (smoke test)
    .venv/bin/python bench/bench_api.py --check    # exit 1 when a target is missed

The database is bench/orgdata.py's organisation (busy blocks and reminders left out: the API never reads them),
each loop's last change spread over the last 30 days. Each page goes through the whole app with an API key:
bearer authentication, the rate limit and the audit record (one short write transaction per call), the query, the
marshmallow schemas. SQL statements are counted with a before_cursor_execute listener (BEGIN/COMMIT/PRAGMA left
out) per page: the count must be the same on every page and on both sizes. Targets: p50 per page < 50 ms at the
default page size (50 loops); constant queries per page.
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

from sqlalchemy import bindparam, select, update

from bench.bench_debrief import QueryCounter


def _build(folder: str, size_name: str, quick: bool):
    from flask_migrate import upgrade

    from bench import orgdata
    from coordinator import create_app
    from coordinator.api import services
    from coordinator.auth.models import User
    from coordinator.auth.permissions import api_scope_names
    from coordinator.auth.roles import Role
    from coordinator.extensions import db
    from coordinator.loops.models import Loop

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/api-{size_name}.sqlite3",
                      "INSTANCE_PATH": folder, "SECRET_KEY": "bench", "API_RATE_PER_MINUTE": 10**9})
    if size_name == "large" and not quick:
        size = dataclasses.replace(orgdata.LARGE, busy_per_interviewer=0, reminders=0)
    elif size_name == "large":
        size = dataclasses.replace(orgdata.SMALL, candidates=60, interviewers=30, busy_per_interviewer=0,
                                   reminders=0)
    else:
        size = dataclasses.replace(orgdata.SMALL, busy_per_interviewer=0, reminders=0)
    now = datetime.now(UTC)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        org = orgdata.build(size, seed=42, now=now)
        ids = list(db.session.scalars(select(Loop.id).order_by(Loop.id)))
        spread = timedelta(days=30) / max(1, len(ids))
        table = Loop.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("b_id"))
                           .values(updated_dt=bindparam("b_when")),
                           [{"b_id": i, "b_when": now - timedelta(days=30) + n * spread}
                            for n, i in enumerate(ids[::-1])])
        admin = db.session.scalar(select(User).join(User.role_rows).where(User.role_rows.any(role=Role.ADMIN.value))
                                  .limit(1))
        admin = admin or db.session.scalar(select(User).limit(1))
        token = services.create_key("Bench ATS", api_scope_names(), admin).token
        db.session.commit()
        loops = len(ids)
    return app, token, loops, dict(org.counts)


class PageQueries(QueryCounter):
    """SQL statements per page, less the key's last-use stamp, written at most once a minute
    (api.services.note_call) and so not a per-page cost."""

    def _on(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith("UPDATE API_KEYS SET LAST_USED_DT"):
            super()._on(conn, cursor, statement, parameters, context, executemany)


def walk(app, token: str, limit: int) -> dict:
    """Every page of updated_since = 31 days ago: per-page wall and CPU time and SQL statements."""
    from coordinator.extensions import db

    since = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        counter = PageQueries(db.engine)
        client = app.test_client()
        walls, cpus, queries, seen = [], [], [], 0
        cursor = None
        while True:
            query = {"updated_since": since, "limit": limit, **({"cursor": cursor} if cursor else {})}
            t0, c0 = time.perf_counter(), time.process_time()
            response, count = counter.measure(lambda q=query: client.get("/api/v1/loops", query_string=q,
                                                                         headers=headers))
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
            page = response.get_json()
            seen += len(page["items"])
            if page["next_cursor"] is None:
                break
            queries.append(count)  # the last page may be short; full pages are compared
            cursor = page["next_cursor"]
        db.engine.dispose()
    ordered = sorted(walls)
    return {"pages": len(walls), "loops": seen, "p50": statistics.median(walls),
            "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)], "max": ordered[-1],
            "cpu": statistics.median(cpus), "queries": sorted(set(queries)) or [count]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small database (smoke test)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--limit", type=int, default=50, help="page size (default 50, the API's default)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        small_app, small_token, small_loops, _ = _build(folder, "small", args.quick)
        large_app, large_token, large_loops, counts = _build(folder, "large", args.quick)
        built = time.perf_counter() - started
        walk(small_app, small_token, args.limit)  # warm up
        small = walk(small_app, small_token, args.limit)
        walk(large_app, large_token, args.limit)  # warm up
        large = walk(large_app, large_token, args.limit)
    constant = len(set(small["queries"]) | set(large["queries"])) == 1
    fast = large["p50"] < 50
    print("bench_api: GET /api/v1/loops?updated_since=... following next_cursor, through the app with an API key, "
          f"SQLite, {args.limit} loops a page" + (" (--quick)" if args.quick else ""))
    print(f"databases: small {small_loops:,} loops; large {large_loops:,} loops / {counts['sessions']:,} sessions "
          f"(built in {built:.0f} s)")
    print(f"{'walk':<24} {'pages':>6} {'loops':>7} {'queries/page':>13} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'cpu p50':>8}  target")
    print("-" * 100)
    for label, row, target in (("small organisation", small, ""),
                               ("large organisation", large, f"p50 < 50 ms  {'ok' if fast else 'MISSED'}")):
        print(f"{label:<24} {row['pages']:>6} {row['loops']:>7,} {'/'.join(map(str, row['queries'])):>13} "
              f"{row['p50']:>8.1f} {row['p95']:>8.1f} {row['max']:>8.1f} {row['cpu']:>8.1f}  {target}")
    print(f"queries per page: {'constant' if constant else 'NOT constant'}")
    if small["loops"] != small_loops or large["loops"] != large_loops or not constant:
        print("MISSED: every loop exactly once, constant queries")
        return 1
    return 1 if args.check and not args.quick and not fast else 0


if __name__ == "__main__":
    raise SystemExit(main())
