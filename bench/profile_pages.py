"""Where one request of each page spends its time: pyinstrument over repeated requests, in one process.

    .venv/bin/python bench/profile_pages.py [--db sqlite|postgresql] [--size large|small] [--repeat 50]
                                            [--page NAME] [--tree]

Uses the page benchmark's cached organisation (bench/results/) and the app as gunicorn runs it (production
settings, the session cookie of a real sign-in), through Flask's test client: no HTTP, so the figures are the
app's own. Prints per page: queries, wall and CPU ms per request, and (with --tree) pyinstrument's call tree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_pages as pages  # noqa: E402


def _app(url: str):
    os.environ.update({"COORDINATOR_ENV": "production", "COORDINATOR_SECRET_KEY": "b" * 64,
                       "COORDINATOR_DATABASE_URL": url, "COORDINATOR_SECURE_COOKIES": "0"})
    from coordinator import create_app

    return create_app({"INSTANCE_PATH": str(pages.RESULTS)})


def _count_queries(app):
    from sqlalchemy import event

    from coordinator.extensions import db

    counter = {"n": 0, "sql": []}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counter["n"] += 1
            context._bench_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _timed(conn, cursor, statement, parameters, context, executemany) -> None:
        started = getattr(context, "_bench_started", None)
        if started is not None:
            took = (time.perf_counter() - started) * 1000
            counter["sql"].append(f"{took:6.2f} ms  " + " ".join(statement.split())[:150])

    return counter


def _login(app, email: str):
    import html
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = html.unescape(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1))
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": pages.PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    return client


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", choices=["small", "large"], default="large")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--page", action="append", help="only these pages (by name; repeatable)")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request per page")
    parser.add_argument("--tree", action="store_true", help="print pyinstrument's call tree per page")
    args = parser.parse_args(argv)
    url = pages._database(args.db, args.size)
    info = pages.build_database(url, args.size)
    app = _app(url)
    pages.install_floor(app)
    counter = _count_queries(app)
    clients = {who: _login(app, info[f"{who}_email"]) for who in ("recruiter", "manager", "interviewer")}
    chosen = [p for p in [pages.FLOOR, *pages.PAGES] if not args.page or p.name in args.page]
    print(f"{'page':<22} {'status':>6} {'queries':>7} {'wall ms':>8} {'cpu ms':>7}")
    for page in chosen:
        client = clients[page.who]
        path = pages._path(page, info)
        response = client.get(path)  # warm: templates compiled, caches filled
        counter["n"] = 0
        counter["sql"] = []
        response = client.get(path)
        statements = list(counter["sql"])
        queries = counter["n"]
        profiler = None
        if args.tree:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            client.get(path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
        print(f"{page.name:<22} {response.status_code:>6} {queries:>7} {wall / args.repeat * 1000:>8.2f} "
              f"{cpu / args.repeat * 1000:>7.2f}", flush=True)
        if args.sql:
            print("\n".join("    " + s for s in statements))
        if profiler is not None:
            print(profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
