"""Benchmark: live calendars synced from a local Radicale server.

    .venv/bin/python bench/bench_caldav.py                 # 500 interviewers x 400 events
    .venv/bin/python bench/bench_caldav.py --people 100    # another size
    .venv/bin/python bench/bench_caldav.py --quick         # 10 x 40 (smoke test)
    .venv/bin/python bench/bench_caldav.py --profile       # pyinstrument profile of the no-change pass

Radicale's storage is written straight to disk (one calendar per person, 400 events each: single meetings over
the next twelve weeks and weekly series, from a fixed seed), then Radicale is started with htpasswd users and
every calendar is read once so its own item cache is built (a server that received its events by PUT has it);
that warm-up is set-up, not measured. The database is PostgreSQL (COORDINATOR_TEST_DATABASE_URL, a schema of its
own) or, when it cannot be reached, SQLite. Then, through `availability.jobs.sync_all` (the scheduler's job):

* the first sync of every connection (all events fetched, expanded with the import's rules, stored in bulk);
* a pass with no change (one PROPFIND on each account's calendar home; nothing written);
* one event changed in one calendar: the requests, rows and SQL statements that sync costs;
* Find times' input (`loops.booking.calendars_for` for 5 people over 2 weeks, then the engine) on the synced busy
  rows, and on the same rows marked as imported.

Targets: first sync of all within the 10-minute interval; no-change pass < 50 ms per calendar; Find times on
synced rows within 10% of imported ones. Wall clock and this process's CPU time are shown (Radicale runs in its own
process on the same two cores).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `coordinator` and `tests` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIRST_TARGET_S = 600.0
QUIET_TARGET_MS = 50.0
SEED = 20261205


def _ics(uid: str, start: datetime, minutes: int, summary: str, rrule: str = "") -> str:
    end = start + timedelta(minutes=minutes)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\nSUMMARY:{summary}\r\n{rrule}"
            "DESCRIPTION:Agenda: review the quarter's numbers\\, then questions.\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def _radicale_cache(raw: str, uid: str, start: datetime, end: datetime, stat: os.stat_result | None = None) -> bytes:
    """The entry Radicale's item cache would hold for this file (its own hash and etag functions; the stored text
    is the file as written, the time range that of the event or series), so the server need not parse 200,000
    files before it can answer: a server whose events arrived by PUT has these already."""
    import pickle

    from radicale import item as radicale_item
    from radicale import storage as radicale_storage

    if stat is not None:  # [storage] use_mtime_and_size_for_item_cache: the file's size and mtime are the key
        digest = f"{radicale_storage.CACHE_VERSION.decode()}size={stat.st_size};mtime={stat.st_mtime_ns}"
    else:
        digest = hashlib.sha256(radicale_storage.CACHE_VERSION + raw.encode()).hexdigest()
    return pickle.dumps((digest, uid, radicale_item.get_etag(raw), raw, "VCALENDAR", "VEVENT",
                         int(start.timestamp()), int(end.timestamp())))


def seed_storage(root: Path, people: int, events: int, today: date, mtime_cache: bool = True) -> None:
    """Write Radicale's filesystem storage directly: collection-root/<user>/work/ with `events` items each, and
    their item-cache entries."""
    rng = random.Random(SEED)
    base = datetime(today.year, today.month, today.day, tzinfo=UTC)
    collections = root / "collections" / "collection-root"
    for p in range(people):
        folder = collections / f"u{p}" / "work"
        cache = folder / ".Radicale.cache" / "item"
        cache.mkdir(parents=True, exist_ok=True)
        (folder / ".Radicale.props").write_text(
            '{"C:supported-calendar-component-set": "VEVENT", "D:displayname": "Work", "tag": "VCALENDAR"}')
        for e in range(events):
            uid = f"u{p}-e{e}"
            if e % 10 == 0:  # a weekly series that started in the last weeks
                start = base + timedelta(days=-rng.randrange(0, 21), hours=8 + rng.randrange(0, 9))
                data = _ics(uid, start, 30, "Weekly 1:1", "RRULE:FREQ=WEEKLY;COUNT=20\r\n")
                last_end = start + timedelta(weeks=19, minutes=30)
            else:
                start = base + timedelta(days=rng.randrange(0, 84), hours=7 + rng.randrange(0, 10),
                                         minutes=15 * rng.randrange(0, 4))
                minutes = rng.choice((30, 45, 60, 90))
                data = _ics(uid, start, minutes, f"Meeting {e}")
                last_end = start + timedelta(minutes=minutes)
            path = folder / f"{uid}.ics"
            path.write_bytes(data.encode())
            stat = path.stat() if mtime_cache else None
            (cache / f"{uid}.ics").write_bytes(_radicale_cache(data, uid, start, last_end, stat))


def _app(url: str, folder: str, engine_options: dict | None = None):
    from flask_migrate import upgrade

    from coordinator import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench", "TESTING": True,
              "BASE_URL": "https://coordinator.example", "CALENDAR_TIMEOUT_SECONDS": 120}
    if engine_options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app = create_app(config)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
    return app


def _pg_target() -> tuple[str, str] | None:
    from sqlalchemy import create_engine, text

    url = os.environ.get("COORDINATOR_BENCH_PG") or os.environ.get("COORDINATOR_TEST_DATABASE_URL") or PG_DEFAULT
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - no server: SQLite instead, and the table says so
        print(f"  (PostgreSQL left out: cannot connect to {url}: {str(exc).splitlines()[0]})")
        return None
    return url, schema


def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


class QueryCounter:
    """Counts the SQL statements the engine sends (executemany counts once: one round trip)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs) -> None:
        self.count += 1


def _people(server_url: str, people: int) -> list[int]:
    """Interviewers with a connection each (the discovery result written directly: discovery is measured once)."""
    from sqlalchemy import insert, select

    from coordinator.auth.models import User, WorkingHours
    from coordinator.availability import credentials
    from coordinator.availability.models import CalendarConnection, SyncedCalendar
    from coordinator.extensions import db

    now = datetime.now(UTC)
    db.session.execute(insert(User), [
        {"email": f"u{p}@corp.example", "name": f"Person {p}", "job_title": "Engineer",
         "timezone": ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London", "UTC")[p % 5],
         "password_hash": None, "is_enabled": True, "max_interviews_per_day": 4, "max_interviews_per_week": 10,
         "buffer_before_min": 0, "buffer_after_min": 0} for p in range(people)])
    ids = {u.email: u.id for u in db.session.scalars(select(User))}
    db.session.execute(insert(WorkingHours), [
        {"user_id": ids[f"u{p}@corp.example"], "weekday": d, "start_time": datetime(2000, 1, 1, 8).time(),
         "end_time": datetime(2000, 1, 1, 18).time()} for p in range(people) for d in range(5)])
    secret = {p: credentials.encrypt(f"pw{p}") for p in range(people)}
    db.session.execute(insert(CalendarConnection), [
        {"user_id": ids[f"u{p}@corp.example"], "kind": "caldav", "server_url": server_url, "username": f"u{p}",
         "secret": secret[p], "principal_url": f"{server_url}u{p}/", "home_url": f"{server_url}u{p}/",
         "created_dt": now, "last_error": "", "failures": 0, "next_sync_dt": now} for p in range(people)])
    conns = {c.username: c.id for c in db.session.scalars(select(CalendarConnection))}
    db.session.execute(insert(SyncedCalendar), [
        {"connection_id": conns[f"u{p}"], "url": f"{server_url}u{p}/work/", "name": "Work", "is_busy": True,
         "is_write": False, "ctag": "", "sync_token": ""} for p in range(people)])
    db.session.commit()
    return [ids[f"u{p}@corp.example"] for p in range(people)]


def _all_due() -> None:
    from sqlalchemy import update

    from coordinator.availability.models import CalendarConnection
    from coordinator.extensions import db

    db.session.execute(update(CalendarConnection).values(next_sync_dt=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()


def _twins(user_ids: list[int]) -> list[int]:
    """A copy of each person (zone, hours, limits) whose busy rows are copies of theirs marked as imported."""
    from sqlalchemy import insert, select, text

    from coordinator.auth.models import User, WorkingHours
    from coordinator.availability.models import BusyBlock
    from coordinator.extensions import db

    twins = []
    for uid in user_ids:
        user = db.session.get(User, uid)
        twin = User(email=f"twin-{uid}@corp.example", name=f"Twin {uid}", job_title="Engineer",
                    timezone=user.timezone, max_interviews_per_day=4, max_interviews_per_week=10)
        db.session.add(twin)
        db.session.flush()
        db.session.execute(insert(WorkingHours), [
            {"user_id": twin.id, "weekday": wh.weekday, "start_time": wh.start_time, "end_time": wh.end_time}
            for wh in db.session.scalars(select(WorkingHours).where(WorkingHours.user_id == uid))])
        rows = db.session.execute(select(BusyBlock.start_dt, BusyBlock.end_dt, BusyBlock.summary)
                                  .where(BusyBlock.user_id == uid)).all()
        db.session.execute(insert(BusyBlock), [{"user_id": twin.id, "start_dt": s, "end_dt": e, "source": "import",
                                                "summary": summary} for s, e, summary in rows])
        twins.append(twin.id)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE busy_blocks"))
        db.session.commit()
    return twins


def _find_times(user_ids: list[int], rounds: int) -> tuple[float, float]:
    """Median seconds of Find times' read of 5 people's busy times over two weeks plus the engine's search."""
    from coordinator.extensions import db
    from coordinator.loops.booking import calendars_for
    from coordinator.scheduling import CandidateAvailability, LoopRequest, SessionSpec, find_options

    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    end = start + timedelta(days=14)
    people = user_ids[:5]
    request = LoopRequest(
        sessions=(SessionSpec(title="A", kind="one_on_one", duration_min=45, interviewer_ids=(people[0],)),
                  SessionSpec(title="B", kind="panel", duration_min=60, interviewer_ids=(people[1], people[2])),
                  SessionSpec(title="C", kind="one_on_one", duration_min=45, interviewer_ids=(people[3],))),
        candidate=CandidateAvailability(tz="Europe/London", windows=None), window_start=start, window_end=end)
    read, total = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        calendars = calendars_for(people, start, end)
        t1 = time.perf_counter()
        find_options(request, calendars)
        total.append(time.perf_counter() - t0)
        read.append(t1 - t0)
        db.session.commit()
    return statistics.median(read), statistics.median(total)


def _measure(app, server, people: int, events: int, workers: int, profile: bool) -> dict:
    from sqlalchemy import func, select, update

    from coordinator.availability import calendar_sync
    from coordinator.availability.jobs import sync_all
    from coordinator.availability.models import BusyBlock, CalendarConnection, CalendarObject
    from coordinator.extensions import db

    out: dict = {}
    with app.app_context():
        counter = QueryCounter(db.engine)
        t0 = time.perf_counter()
        from coordinator.availability.caldav_client import CalDAVSession

        CalDAVSession(server.url, "u0", "pw0").discover()
        out["discovery"] = time.perf_counter() - t0
        user_ids = _people(server.url, people)

        print("  first sync ...", file=sys.stderr, flush=True)
        if profile:
            from pyinstrument import Profiler

            first_profiler = Profiler()
            first_profiler.start()
        q0, t0, c0 = counter.count, time.perf_counter(), time.process_time()
        first = sync_all(workers=workers)
        out["first"] = (time.perf_counter() - t0, time.process_time() - c0, counter.count - q0, first)
        if profile:
            first_profiler.stop()
            print(first_profiler.output_text(unicode=False, color=False, show_all=False)[:8000])
        assert first.failed == 0, first.errors[:3]
        out["objects"] = db.session.scalar(select(func.count(CalendarObject.id)))
        out["busy"] = db.session.scalar(select(func.count(BusyBlock.id)))
        db.session.commit()

        quiet_runs = []
        for _ in range(3):
            _all_due()
            q0, t0, c0 = counter.count, time.perf_counter(), time.process_time()
            if profile and _ == 2:
                from pyinstrument import Profiler

                profiler = Profiler()
                profiler.start()
            quiet = sync_all(workers=workers)
            if profile and _ == 2:
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])
            quiet_runs.append((time.perf_counter() - t0, time.process_time() - c0, counter.count - q0, quiet))
            assert quiet.failed == 0 and quiet.calendars_changed == 0, quiet
        out["quiet"] = min(quiet_runs, key=lambda r: r[0])

        # one event moved in one calendar: what one sync of that person costs
        folder = server.root / "collections" / "collection-root" / "u1" / "work"
        admin = server.admin("u1")
        moved = _ics("u1-e1", datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3),
                     60, "Moved")
        admin.put("work", "u1-e1", moved)
        assert folder.exists()
        db.session.execute(update(CalendarConnection).where(CalendarConnection.username == "u1")
                           .values(next_sync_dt=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()
        q0, t0 = counter.count, time.perf_counter()
        one = sync_all(workers=1)
        out["one"] = (time.perf_counter() - t0, counter.count - q0, one)
        assert one.calendars_changed == 1 and one.objects == 1, one

        # the same busy rows read as synced (5 people) and as imported (5 twins with copies of their rows, as an
        # .ics import writes them), in turns (the machine may be shared): the best median of five turns each
        twins = _twins(user_ids[:5])
        rounds = 20 if people >= 50 else 5
        synced, imported = [], []
        _find_times(user_ids, 2)
        _find_times(twins, 2)
        for _turn in range(5):
            synced.append(_find_times(user_ids, rounds))
            imported.append(_find_times(twins, rounds))
        out["find_synced"] = min(synced, key=lambda r: r[1])
        out["find_imported"] = min(imported, key=lambda r: r[1])
        out["interval"] = calendar_sync.sync_interval().total_seconds()
        db.session.remove()
        db.engine.dispose()
    return out


def _warm(server, people: int) -> float:
    """Read every calendar once (its item cache is already written; this checks the storage and warms the disk
    cache, as a server in use would be)."""
    import requests

    t0 = time.perf_counter()
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')
    http = requests.Session()
    for p in range(people):
        r = http.request("PROPFIND", f"{server.url}u{p}/work/", data=body, headers={"Depth": "1"},
                         auth=(f"u{p}", f"pw{p}"))
        assert r.status_code == 207, r.status_code
    return time.perf_counter() - t0


def _floor(server, people: int, rounds: int = 3) -> float:
    """Seconds Radicale alone takes to answer the no-change pass's request (PROPFIND depth 1 on each calendar home
    for the ctags), one persistent connection per account, one account after another: the floor of a
    no-change pass against this server, whatever the client does. Best of `rounds`."""
    import requests

    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>'
            "<D:resourcetype/><D:displayname/><CS:getctag/></D:prop></D:propfind>")
    sessions = []
    for p in range(people):
        http = requests.Session()
        http.auth = (f"u{p}", f"pw{p}")
        sessions.append(http)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for p, http in enumerate(sessions):
            r = http.request("PROPFIND", f"{server.url}u{p}/", data=body, headers={"Depth": "1"})
            assert r.status_code == 207, r.status_code
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 people x 40 events (smoke test)")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4, help="sync threads (COORDINATOR_CALENDAR_SYNC_WORKERS)")
    parser.add_argument("--sqlite", action="store_true", help="SQLite even when PostgreSQL answers")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the no-change pass")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--radicale-hash-cache", action="store_true",
                        help="Radicale's default item cache keyed by a hash of each file (reads every file per "
                             "request) instead of its faster size-and-mtime key")
    args = parser.parse_args(argv)
    people, events = (10, 40) if args.quick else (args.people, args.events)

    from tests.availability.caldav_support import RadicaleServer

    # Radicale's storage in memory when the machine has it (400,000 small files; a shared disk makes writing them
    # the slowest part of the set-up, and a server in use has its collections in the page cache anyway)
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        root = Path(folder) / "radicale"
        t0 = time.perf_counter()
        mtime_cache = not args.radicale_hash_cache
        seed_storage(root, people, events, datetime.now(UTC).date(), mtime_cache)
        seeded = time.perf_counter() - t0
        print(f"  storage of {people} x {events} events written in {seeded:.0f} s", file=sys.stderr, flush=True)
        server = RadicaleServer(root, {f"u{p}": f"pw{p}" for p in range(people)}, extra_args=(
            "--storage-use-mtime-and-size-for-item-cache", "True" if mtime_cache else "False"))
        server.start()
        try:
            warm = _warm(server, people)
            floor = _floor(server, people)
            target = None if args.sqlite else _pg_target()
            if target is not None:
                url, schema = target
                db_name = "PostgreSQL"
                try:
                    app = _app(url, folder, {"connect_args": {"options": f"-csearch_path={schema},public"},
                                             "pool_pre_ping": True})
                    r = _measure(app, server, people, events, args.workers, args.profile)
                finally:
                    _drop_schema(url, schema)
            else:
                db_name = "SQLite"
                app = _app(f"sqlite:///{folder}/bench.sqlite3", folder)
                r = _measure(app, server, people, events, args.workers, args.profile)
        finally:
            server.stop()

    first_s, first_cpu, first_q, first = r["first"]
    quiet_s, quiet_cpu, quiet_q, quiet = r["quiet"]
    one_s, one_q, one = r["one"]
    per_cal_ms = quiet_s / people * 1000
    ok_first = first_s < FIRST_TARGET_S
    ok_quiet = per_cal_ms < QUIET_TARGET_MS
    fs, fi = r["find_synced"], r["find_imported"]
    ok_find = fs[1] <= fi[1] * 1.1 + 0.002
    print(f"bench_caldav: {people} interviewers x {events} events in a local Radicale "
          f"({'size-and-mtime' if mtime_cache else 'hash'} item cache), {db_name}, {args.workers} sync threads"
          + (" (--quick)" if args.quick else ""))
    print(f"  set-up (not measured): storage written in {seeded:.1f} s, Radicale's item cache warmed in {warm:.1f} s; "
          f"discovery of one account {r['discovery'] * 1000:.0f} ms")
    print(f"{'benchmark':<62} {'wall':>10} {'cpu':>10}  target")
    print("-" * 110)
    print(f"{'first sync of all (' + str(people) + ' calendars)':<62} {first_s:>9.1f}s {first_cpu:>9.1f}s  "
          f"< {FIRST_TARGET_S:.0f} s  {'ok' if ok_first else 'MISSED'}  ({first_s / people * 1000:.0f} ms/calendar, "
          f"{first.requests} requests, {first_q} SQL statements, {r['objects']:,} events, {r['busy']:,} busy rows)")
    print(f"{'no-change pass, per calendar':<62} {per_cal_ms:>8.1f}ms {quiet_cpu / people * 1000:>8.1f}ms  "
          f"< {QUIET_TARGET_MS:.0f} ms  {'ok' if ok_quiet else 'MISSED'}  (whole pass {quiet_s:.2f} s, "
          f"{quiet.requests / people:.0f} request and {quiet_q / people:.1f} SQL statements per calendar)")
    print(f"{'  Radicale alone answering the same PROPFINDs, per calendar':<62} {floor / people * 1000:>8.1f}ms "
          f"{'':>10}  (the floor: the server's own time; the client adds {per_cal_ms - floor / people * 1000:.1f} ms)")
    print(f"{'one event moved: that sync':<62} {one_s * 1000:>8.0f}ms {'':>10}  "
          f"({one.requests} requests, {one_q} SQL statements, {one.objects} event and {one.busy_rows} busy rows "
          "written)")
    print(f"{'Find times, 5 people x 2 weeks: busy read / read + engine':<62} "
          f"{'synced':>10}  {fs[0] * 1000:.1f} ms / {fs[1] * 1000:.1f} ms")
    print(f"{'':<62} {'imported':>10}  {fi[0] * 1000:.1f} ms / {fi[1] * 1000:.1f} ms  "
          f"{'ok' if ok_find else 'MISSED'} (synced within 10% of imported)")
    return 1 if args.check and not (ok_first and ok_quiet and ok_find) else 0


if __name__ == "__main__":
    raise SystemExit(main())
