"""Benchmark for the scheduling engine (coordinator.scheduling), against the frozen previous engine.

Run ``.venv/bin/python bench/bench_engine.py`` for the full table or ``--quick`` for a smoke run. Everything is
generated from a fixed seed, so runs are comparable, and every case runs on the same inputs through both the
current engine ("new") and ``bench/engine_v1``, a copy of ``coordinator/scheduling`` taken before issue 15 made
the staffing search complete ("old"). Cases (targets for the new engine):

* top-5: a back-to-back loop of 4 sessions with pools (one a panel of Berlin + Kolkata + one from a pool, a
  hiring manager) drawing on 20 interviewers in 3 time zones with 400 busy blocks each over a 10-week window; the
  engine is asked for its best 5 options. Targets: p50 < 20 ms, p99 < 50 ms.
* no-fit: the same calendars and a loop that cannot be placed (the hiring manager in New York comes first, the
  Berlin/Kolkata panel right after it, and those two never meet on one day); the engine must prove it and give
  verified reasons. Target: p50 < 50 ms.
* 50 x 2,000: the top-5 loop over 50 interviewers with 2,000 busy blocks each. Target: p50 < 100 ms.
* growth: the top-5 loop with 200 to 3,200 busy blocks per interviewer; per-block time must not grow (linear or
  better).

"warm" timings (median, p99) reuse the engine's small caches of wall-clock conversions, as a long-running server
would. Timings run on one core (the process is pinned when the OS allows it). Wall-clock figures suffer when other
processes compete for the CPU; the cpu column (process CPU time, median) does not, and is the better guide on a
busy machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator import timeutil  # noqa: E402

ENGINES = {"new": "coordinator.scheduling", "old": "bench.engine_v1"}

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")
FIRST_DAY = date(2026, 3, 9)  # the US has just moved its clocks, Europe has not
DAYS = 70  # ten weeks
IN_HOURS_SHARE = 0.12  # of the busy blocks, the share that falls into working hours


def make_people(eng, n: int, blocks: int, seed: int = 7, days: int = DAYS) -> list:
    """``n`` interviewers (built with engine module ``eng``) with ``blocks`` busy blocks each over ``days`` days.

    About 12% of the blocks fall into working hours, the rest into evenings, nights and weekends, as imported
    calendars are.
    """
    rng = random.Random(seed)
    people = []
    for pid in range(1, n + 1):
        tz = ZONES[(pid - 1) % len(ZONES)]
        busy = []
        interviews = []
        for _ in range(blocks):
            d = FIRST_DAY + timedelta(days=rng.randrange(days))
            if rng.random() < IN_HOURS_SHARE and d.weekday() < 5:
                minute = rng.randrange(9 * 60, 17 * 60, 15)
            else:  # evenings, nights and weekends: imported personal calendars are full of them
                minute = rng.choice((rng.randrange(0, 9 * 60, 15), rng.randrange(17 * 60, 24 * 60, 15)))
            start = timeutil.local_to_utc(d, clock(minute // 60, minute % 60), tz)
            busy.append(eng.Interval(start, start + timedelta(minutes=rng.choice((15, 30, 30, 45)))))
        for _ in range(rng.randint(0, 3)):
            d = FIRST_DAY + timedelta(days=rng.randrange(days))
            start = timeutil.local_to_utc(d, clock(rng.randint(9, 15)), tz)
            interviews.append(eng.Interval(start, start + timedelta(minutes=60)))
        people.append(
            eng.InterviewerCalendar(
                pid,
                f"Interviewer {pid}",
                tz,
                eng.office_hours(clock(9), clock(17)),
                busy=busy,
                interviews=interviews,
                max_per_day=2,
                max_per_week=5,
                buffer_before_min=rng.choice((0, 0, 5)),
                buffer_after_min=rng.choice((0, 5, 10)),
            )
        )
    return people


def make_request(eng, people: Sequence, fit: bool = True, days: int = DAYS):
    """The 4-session loop with pools: an intro from a pool, a panel of Berlin + Kolkata + one from a pool, coding
    from a pool, and the hiring manager (Berlin; New York first for the no-fit case)."""
    by_zone = {z: [p.id for p in people if p.tz == z] for z in ZONES}
    berlin, new_york, kolkata = by_zone["Europe/Berlin"], by_zone["America/New_York"], by_zone["Asia/Kolkata"]
    panel_core = (berlin[0], kolkata[0])
    manager = berlin[1] if fit else new_york[0]
    fixed = {*panel_core, manager}
    rest = [p.id for p in people if p.id not in fixed]
    panel = eng.SessionSpec("System design", "panel", 60, panel_core, tuple(rest), pool_count=1)
    intro = eng.SessionSpec("Intro", "one_on_one", 45, (), tuple(rest[0::2]) or tuple(rest))
    coding = eng.SessionSpec("Coding", "practical", 90, (), tuple(rest[1::2]) or tuple(rest), prep_min=15)
    boss = eng.SessionSpec("Hiring manager", "one_on_one", 30, (manager,))
    if fit:
        sessions = (intro, panel, coding, boss)
    else:
        # New York's day starts after Kolkata's has ended, so the panel can never follow the manager.
        sessions = (boss, panel, intro, coding)
    start, end = eng.window_from_dates(FIRST_DAY, FIRST_DAY + timedelta(days=days - 1), "Europe/London")
    return eng.LoopRequest(
        sessions=sessions,
        candidate=eng.CandidateAvailability("Europe/London"),
        window_start=start,
        window_end=end,
        arrangement="back_to_back",
        buffer_min=10,
        granularity_min=15,
        options_wanted=5,
    )


def _engine(name: str):
    return importlib.import_module(ENGINES[name])


def _clear_caches(eng) -> None:
    context = importlib.import_module(eng.__name__ + ".context")
    context.local_instant.cache_clear()
    context.day_table.cache_clear()


def time_engine(name: str, n: int, blocks: int, fit: bool, repeats: int) -> dict:
    """Time one engine on one case; the inputs are rebuilt (same seed) with that engine's own classes."""
    eng = _engine(name)
    people = make_people(eng, n, blocks)
    request = make_request(eng, people, fit)
    _clear_caches(eng)
    gc.collect()
    result = eng.find_options(request, people)  # warms the caches of wall-clock conversions, as a server would
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = eng.find_options(request, people)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "p50": round(statistics.median(wall), 1),
        "p99": round(_p99(wall), 1),
        "cpu": round(statistics.median(cpu), 1),
        "options": len(result.options),
        "first": result.options[0].start.strftime("%a %d %b %H:%M") if result.options else "-",
        "reasons": len(result.reasons),
    }


def as_seconds(people: Sequence) -> list:
    """The same calendars with their busy blocks as (start, end) Unix seconds: what Find times' page hands the engine
    since it reads busy time in SQL (``loops.booking.calendars_for``); the old engine has no such input."""
    return [
        dataclasses.replace(p, busy=(), busy_spans=tuple(
            (math.floor(iv.start.timestamp()), math.ceil(iv.end.timestamp())) for iv in p.busy))
        for p in people
    ]


def measure_seconds(case: str, n: int, blocks: int, repeats: int, target: str = "") -> dict:
    """One table row for the new engine alone, its busy time given as Unix seconds."""
    eng = _engine("new")
    people = as_seconds(make_people(eng, n, blocks))
    request = make_request(eng, people, True)
    _clear_caches(eng)
    eng.find_options(request, people)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = eng.find_options(request, people)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    p50, p99 = round(statistics.median(wall), 1), round(_p99(wall), 1)
    return {
        "case": case, "people": n, "blocks": blocks, "runs": repeats, "old p50/p99 ms": "-",
        "new p50/p99 ms": f"{p50} / {p99}", "old cpu ms": "-", "new cpu ms": round(statistics.median(cpu), 1),
        "target": target, "options old/new": f"- / {len(result.options)}",
        "first (new, UTC)": result.options[0].start.strftime("%a %d %b %H:%M") if result.options else "-",
        "reasons": len(result.reasons), "options": len(result.options), "median_ms": p50, "p99_ms": p99,
    }


def measure(case: str, n: int, blocks: int, fit: bool, repeats: int, target: str = "") -> dict:
    """One table row: the same case through the old and the new engine."""
    old = time_engine("old", n, blocks, fit, repeats)
    new = time_engine("new", n, blocks, fit, repeats)
    return {
        "case": case,
        "people": n,
        "blocks": blocks,
        "runs": repeats,
        "old p50/p99 ms": f"{old['p50']} / {old['p99']}",
        "new p50/p99 ms": f"{new['p50']} / {new['p99']}",
        "old cpu ms": old["cpu"],
        "new cpu ms": new["cpu"],
        "target": target,
        "options old/new": f"{old['options']} / {new['options']}",
        "first (new, UTC)": new["first"],
        "reasons": new["reasons"],
        "options": new["options"],
        "median_ms": new["p50"],
        "p99_ms": new["p99"],
    }


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(quick: bool = False) -> list[dict]:
    """All benchmark rows (small sizes and few repeats with ``quick``)."""
    if quick:
        return [
            measure("standard (quick)", 9, 20, True, 3),
            measure("no-fit (quick)", 9, 20, False, 3),
        ]
    rows = [
        measure("top-5, 4 sessions with pools", 20, 400, True, 200, "p50 < 20, p99 < 50"),
        measure("no-fit proven, true reasons", 20, 400, False, 100, "p50 < 50"),
        measure("top-5, 50 x 2,000", 50, 2000, True, 15, "p50 < 100"),
        measure_seconds("top-5, 50 x 2,000, busy in seconds", 50, 2000, 15, "p50 < 100"),
    ]
    for blocks in (200, 400, 800, 1600, 3200):
        row = measure(f"growth: {blocks} blocks", 20, blocks, True, 15 if blocks < 3200 else 8, "linear or better")
        row["us/block (new cpu)"] = round(row["new cpu ms"] * 1000 / (20 * blocks), 2)
        rows.append(row)
    return rows


COLUMNS = (
    "case",
    "people",
    "blocks",
    "runs",
    "old p50/p99 ms",
    "new p50/p99 ms",
    "old cpu ms",
    "new cpu ms",
    "target",
    "options old/new",
    "first (new, UTC)",
    "reasons",
)


def format_table(rows: Sequence[dict]) -> str:
    cols = [*COLUMNS, *(["us/block (new cpu)"] if any("us/block (new cpu)" in r for r in rows) else [])]
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines.append("  ".join("-" * widths[c] for c in cols))
    for r in rows:
        lines.append("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds, no meaningful timings)")
    args, _ = parser.parse_known_args(argv)
    if hasattr(os, "sched_setaffinity") and not args.quick:
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:  # pragma: no cover - containers may refuse
            pass
    started = timeutil.now_utc()
    rows = run(quick=args.quick)
    print(
        f"coordinator.scheduling benchmark (old = bench/engine_v1, new = coordinator/scheduling), "
        f"{started:%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}"
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
