"""The pages people use most, served by gunicorn (2 sync workers) on 127.0.0.1, under wrk, at organisation scale.

For each page: SQL queries per request on the small and the large organisation (they must be equal), requests
per second and latency percentiles at the large size, and throughput as a share of a bare Flask endpoint
(/healthz) served by the same gunicorn in the same run.

    python bench/bench_pages.py [--quick] [--db sqlite|postgresql|both] [--seconds 10]

Needs `wrk` (Debian package wrk). The large organisation is built once per database into bench/results/ and
reused while the schema and generator are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("COORDINATOR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: one connection per gunicorn worker: both workers always busy, and the latency is the time a request takes, not
#: the time it waits behind other connections' requests (with 8 connections a request waits for about 3 others)
CONNECTIONS = 2
PASSWORD = "bench-password"  # noqa: S105  # nosec B105 - the generator's throwaway password


@dataclass
class Page:
    name: str
    who: str  # which login: recruiter | manager | interviewer
    path: str  # may contain {loop}, {session}, {interviewer}, {planning}
    endpoint: str | None = None  # skip the page when the app has no such endpoint yet


PAGES = [
    Page("recruiter dashboard", "recruiter", "/"),
    Page("loop page", "recruiter", "/loops/{loop}"),
    Page("find times", "recruiter", "/loops/{planning}/find"),
    Page("interview kit", "interviewer", "/loops/{loop}/sessions/{session}/kits/{interviewer}", "kits.kit"),
    Page("scorecard form", "interviewer", "/scorecards/session/{session}", "scorecards.edit"),
    Page("debrief", "manager", "/loops/{loop}/debrief", "scorecards.debrief"),
    Page("my interviews", "interviewer", "/"),
    Page("candidate search", "recruiter", "/candidates?q=ada"),
    Page("scheduling board", "recruiter", "/loops/{planning}/board", "board.show"),
]
#: a signed-in page that does nothing (bench/floor_wsgi.py): the session, the user, the layout
FLOOR = Page("signed-in floor", "recruiter", "/_bench/floor")


def install_floor(app) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from floor_wsgi import install_floor as install

    install(app)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _schema_fingerprint() -> str:
    """Changes when migrations or the generator change, so a cached database is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")) + [ROOT / "bench" / "orgdata.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _database(kind: str, size_name: str) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = f"{size_name}-{_schema_fingerprint()}"
    if kind == "sqlite":
        return f"sqlite:///{RESULTS / f'org-{tag}.sqlite3'}"
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/coordinator_bench_{size_name}_{tag[-12:]}"


def _exists(url: str) -> bool:
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///")).exists()
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = url.rsplit("/", 1)[1]
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def build_database(url: str, size_name: str) -> dict:
    """Migrate and fill a fresh database; return what the pages need (ids, logins)."""
    import json

    meta = RESULTS / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".json")
    if _exists(url) and meta.exists():
        return json.loads(meta.read_text())
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        admin_db = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin_db.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        admin_db.dispose()
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    from flask_migrate import upgrade

    from bench import orgdata
    from coordinator import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(RESULTS)})
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        org = orgdata.build(orgdata.LARGE if size_name == "large" else orgdata.SMALL)
        from coordinator.extensions import db

        db.engine.dispose()
    info = {**org.__dict__, "build_seconds": round(time.perf_counter() - started, 1)}
    meta.write_text(json.dumps(info))
    return info


class Server:
    """gunicorn with 2 sync workers on a free loopback port, against one database, serving the checkout in `tree`
    (this one, or an older commit's for the "before" column) through bench/floor_wsgi.py."""

    def __init__(self, url: str, tree: Path = ROOT) -> None:
        self.port = _free_port()
        env = {**os.environ, "COORDINATOR_ENV": "production", "COORDINATOR_SECRET_KEY": "b" * 64,
               "COORDINATOR_DATABASE_URL": url, "COORDINATOR_QUERY_COUNT_HEADER": "1",
               "COORDINATOR_SECURE_COOKIES": "0", "COORDINATOR_BIND": f"127.0.0.1:{self.port}",
               "COORDINATOR_WORKERS": "2", "COORDINATOR_MAX_REQUESTS": "0", "PYTHONPATH": str(tree)}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = (RESULTS / "gunicorn.log").open("ab")
        self.proc = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "--access-logfile", "/dev/null",
                                      "--pythonpath", str(ROOT / "bench"), "floor_wsgi:app"],
                                     cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()  # noqa: S310
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see bench/results/gunicorn.log")

    def login(self, email: str) -> str:
        """Sign in like a browser; return the Cookie header value."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(self.base + "/login").read().decode()  # noqa: S310
        token = html.unescape(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1))
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
        opener.open(self.base + "/login", data=data).read()  # noqa: S310
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def queries(self, path: str, cookie: str) -> tuple[int, int]:
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookie})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, int(response.headers.get("X-Query-Count", "-1"))
        except urllib.error.HTTPError as exc:
            return exc.code, -1

    def cpu_seconds(self) -> float:
        """User + system CPU time the workers have used so far (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def wrk(url: str, cookie: str | None, seconds: int, server: Server | None = None) -> dict:
    """Requests per second and latency percentiles (ms) from wrk (the percentiles from its Lua `done` hook), and
    the CPU milliseconds the server's workers spent per request (steadier than wall time on a shared machine)."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "wrk_percentiles.lua"),
               url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    cpu = server.cpu_seconds() if server else 0.0
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu if server else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    pct = {k: int(v) / 1000 for k, v in re.findall(r"(p\d+)=(\d+)", out.split("percentiles", 1)[1])}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, **pct, "errors": int(non2xx.group(1)) if non2xx else 0,
            "cpu_ms": cpu * 1000 / requests if server and requests else float("nan")}


def _path(page: Page, info: dict) -> str:
    return page.path.format(loop=info["sample_loop_id"], session=info["sample_session_id"],
                            interviewer=info["sample_interviewer_id"], planning=info["planning_loop_id"])


def _endpoints() -> set[str]:
    from coordinator import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(RESULTS)})
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def run(kind: str, seconds: int, quick: bool, before: Path | None = None,
        only: Sequence[str] | None = None) -> list[dict]:
    """One row per page (the ceiling and the floor first). With `before` (an older checkout), each page is measured
    on that checkout's server and on this one in turn, against the same database, so both columns see the same
    machine load; a row then holds both figures (keys suffixed _before)."""
    sizes = ["small"] if quick else ["small", "large"]
    infos = {s: build_database(_database(kind, s), s) for s in sizes}
    endpoints = _endpoints()
    pages = [p for p in [FLOOR, *PAGES] if (p.endpoint is None or p.endpoint in endpoints)
             and (not only or p.name in only)]
    trees = {"": ROOT} | ({"_before": before} if before else {})
    counts: dict[tuple[str, str, str], int] = {}
    rows: list[dict] = []
    for size in sizes:
        info = infos[size]
        servers = {tag: Server(_database(kind, size), tree) for tag, tree in trees.items()}
        try:
            cookies = {tag: {who: server.login(info[f"{who}_email"]) for who in ("recruiter", "manager",
                                                                                 "interviewer")}
                       for tag, server in servers.items()}
            for tag, server in servers.items():
                for page in pages:
                    status, count = server.queries(_path(page, info), cookies[tag][page.who])
                    counts[(tag, page.name, size)] = count if status == 200 else -status
            if size != sizes[-1]:
                continue
            ceiling = {}
            row: dict = {"page": "bare Flask (/healthz)"}
            for tag, server in servers.items():
                ceiling[tag] = wrk(server.base + "/healthz", None, seconds, server)
                row.update({f"{k}{tag}": v for k, v in ceiling[tag].items()})
                row.update({f"ratio{tag}": 1.0, f"q_small{tag}": 0, f"q_large{tag}": 0})
            rows.append(row)
            for page in pages:
                row = {"page": page.name}
                for tag, server in servers.items():
                    result = wrk(server.base + _path(page, info), cookies[tag][page.who], seconds, server)
                    row.update({f"{k}{tag}": v for k, v in result.items()})
                    row.update({f"ratio{tag}": result["rps"] / ceiling[tag]["rps"],
                                f"q_small{tag}": counts.get((tag, page.name, "small")),
                                f"q_large{tag}": counts.get((tag, page.name, "large"))})
                rows.append(row)
        finally:
            for server in servers.values():
                server.stop()
    return rows


def _targets(r: dict, before: bool) -> str:
    missed = [name for name, failed in (
        ("p99>=30ms", r["p99"] >= 30), ("errors", r["errors"] > 0),
        ("queries grow", r["q_large"] is not None and r["q_small"] != r["q_large"]),
        ("<5x before", before and r["page"] not in (FLOOR.name, "bare Flask (/healthz)")
         and r["rps"] < 5 * r["rps_before"]),
        ("floor <40% of bare", r["page"] == FLOOR.name and r["ratio"] < 0.40)) if failed]
    return "ok" if not missed else "MISSED " + ", ".join(missed)


def print_table(kind: str, rows: Sequence[dict], seconds: int, before: Path | None = None) -> None:
    print(f"\npages on {kind}: gunicorn 2 sync workers, wrk -t2 -c{CONNECTIONS} -d{seconds}s, 127.0.0.1; "
          f"cpu = the workers' CPU ms per request")
    if before is None:
        print(f"{'page':<22} {'queries small/large':>19} {'req/s':>8} {'of bare':>8} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'cpu ms':>7} {'non-2xx':>7}  target")
        for r in rows:
            q = f"{r['q_small']}/{r['q_large']}" if r["q_large"] is not None else f"{r['q_small']}/-"
            print(f"{r['page']:<22} {q:>19} {r['rps']:>8.0f} {r['ratio']:>7.0%} {r['p50']:>7.1f} {r['p95']:>7.1f} "
                  f"{r['p99']:>7.1f} {r['cpu_ms']:>7.2f} {r['errors']:>7}  {_targets(r, False)}")
        return
    print(f"before = {before}, after = this checkout; each page measured on both in turn")
    print(f"{'page':<22} {'queries':>11} {'req/s':>13} {'x':>5} {'of bare':>9} {'p50 ms':>11} {'p99 ms':>11} "
          f"{'cpu ms/req':>11} {'non-2xx':>7}  target")
    for r in rows:
        def q(tag: str, r: dict = r) -> str:
            return str(r[f"q_large{tag}"] if r[f"q_large{tag}"] is not None else r[f"q_small{tag}"])
        print(f"{r['page']:<22} {q('_before') + ' → ' + q(''):>11} {r['rps_before']:>6.0f}→{r['rps']:<6.0f} "
              f"{r['rps'] / r['rps_before']:>5.1f} {r['ratio_before']:>4.0%}→{r['ratio']:<4.0%} "
              f"{r['p50_before']:>5.1f}→{r['p50']:<5.1f} {r['p99_before']:>5.1f}→{r['p99']:<5.1f} "
              f"{r['cpu_ms_before']:>5.2f}→{r['cpu_ms']:<5.2f} {r['errors_before'] + r['errors']:>7}  "
              f"{_targets(r, True)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small organisation only, 1-second runs")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--before", type=Path, help="an older checkout (git worktree add /tmp/before <commit>) to "
                        "measure beside this one, page by page")
    parser.add_argument("--only", action="append", help="only these pages (by name; repeatable)")
    args, _ = parser.parse_known_args(argv)
    if shutil.which("wrk") is None:
        print("bench_pages: wrk is not installed (apt-get install wrk); skipped")
        return 0
    seconds = 1 if args.quick else args.seconds
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        try:
            rows = run(kind, seconds, args.quick, args.before, args.only)
        except Exception as exc:  # noqa: BLE001 - a missing PostgreSQL must not hide the SQLite figures
            if kind == "postgresql":
                print(f"\npages on postgresql: skipped ({type(exc).__name__}: {exc})")
                continue
            raise
        print_table(kind, rows, seconds, args.before)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
