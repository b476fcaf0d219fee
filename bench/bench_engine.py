"""Benchmark for the scheduling engine (coordinator.scheduling).

Run ``.venv/bin/python bench/bench_engine.py`` for the full table or ``--quick`` for a smoke run. Everything is
generated from a fixed seed, so runs are comparable. Cases:

* standard: a back-to-back loop of 5 sessions (one a panel of 3) drawing on 20 interviewers in 3 time zones
  (America/New_York, Europe/Berlin, Asia/Kolkata) with 400 busy blocks each over a 2-week window; the engine is
  asked for its best 5 options. Targets: median < 50 ms, p99 < 100 ms.
* no-fit: the same calendars and a loop that cannot be placed (the hiring manager in New York comes first, the
  Berlin/Kolkata panel right after it, and those two never meet on one day); the engine must prove it and give
  reasons. Target: median < 30 ms.
* growth: the standard case with 5 / 20 / 80 interviewers and 40 / 400 / 4000 busy blocks each.

"warm" timings (median, p99) reuse the engine's small caches of wall-clock conversions, as a long-running server
would; "cold" is a single run right after clearing them. Timings run on one core (the process is pinned when the
OS allows it). Wall-clock figures suffer when other processes compete for the CPU; the cpu_* columns (process CPU
time) do not, and are the better guide on a busy machine.

With only 5 interviewers the growth case has no fit (nobody in the small pools covers the whole block), which is
fine for measuring growth; the other growth rows find their options.
"""

from __future__ import annotations

import argparse
import gc
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
from coordinator.scheduling import (  # noqa: E402
    CandidateAvailability,
    FindResult,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    SessionSpec,
    find_options,
    office_hours,
    window_from_dates,
)
from coordinator.scheduling.context import day_table, local_instant  # noqa: E402

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata")
FIRST_DAY = date(2026, 3, 9)  # the US has just moved its clocks, Europe has not
DAYS = 14
IN_HOURS_SHARE = 0.12  # of the busy blocks, the share that falls into working hours


def make_people(n: int, blocks: int, seed: int = 7) -> list[InterviewerCalendar]:
    """``n`` interviewers with ``blocks`` busy blocks each over the 2-week window, 15-45 minutes long.

    About 12% of the blocks fall into working hours (with 400 blocks that is a quarter of the working time), the
    rest into evenings, nights and weekends, as imported calendars are.
    """
    rng = random.Random(seed)
    people = []
    for pid in range(1, n + 1):
        tz = ZONES[(pid - 1) % len(ZONES)]
        busy = []
        interviews = []
        for _ in range(blocks):
            d = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            if rng.random() < IN_HOURS_SHARE and d.weekday() < 5:
                minute = rng.randrange(9 * 60, 17 * 60, 15)
            else:  # evenings, nights and weekends: imported personal calendars are full of them
                minute = rng.choice((rng.randrange(0, 9 * 60, 15), rng.randrange(17 * 60, 24 * 60, 15)))
            start = timeutil.local_to_utc(d, clock(minute // 60, minute % 60), tz)
            busy.append(Interval(start, start + timedelta(minutes=rng.choice((15, 30, 30, 45)))))
        for _ in range(rng.randint(0, 3)):
            d = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            start = timeutil.local_to_utc(d, clock(rng.randint(9, 15)), tz)
            interviews.append(Interval(start, start + timedelta(minutes=60)))
        people.append(
            InterviewerCalendar(
                pid,
                f"Interviewer {pid}",
                tz,
                office_hours(clock(9), clock(17)),
                busy=busy,
                interviews=interviews,
                max_per_day=2,
                max_per_week=5,
                buffer_before_min=rng.choice((0, 0, 5)),
                buffer_after_min=rng.choice((0, 5, 10)),
            )
        )
    return people


def make_request(people: Sequence[InterviewerCalendar], fit: bool = True) -> LoopRequest:
    """The 5-session loop: a Berlin + Kolkata panel core with a third panelist from the pool, a hiring manager
    (Berlin; New York for the no-fit case) and pools drawn from everyone else in all three zones."""
    by_zone = {z: [p.id for p in people if p.tz == z] for z in ZONES}
    berlin, new_york, kolkata = by_zone["Europe/Berlin"], by_zone["America/New_York"], by_zone["Asia/Kolkata"]
    panel_core = (berlin[0], kolkata[0])
    manager = berlin[1] if fit else new_york[0]
    fixed = {*panel_core, manager}
    rest = [p.id for p in people if p.id not in fixed]
    panel = SessionSpec("System design", "panel", 60, panel_core, tuple(rest), pool_count=1)
    intro = SessionSpec("Intro", "one_on_one", 45, (), tuple(rest[0::2]) or tuple(rest))
    coding = SessionSpec("Coding", "practical", 90, (), tuple(rest), prep_min=15)
    behaviour = SessionSpec("Behavioural", "one_on_one", 45, (), tuple(rest[1::2]) or tuple(rest))
    boss = SessionSpec("Hiring manager", "one_on_one", 30, (manager,))
    if fit:
        sessions = (intro, panel, coding, behaviour, boss)
    else:
        # New York's day starts after Kolkata's has ended, so the panel can never follow the manager.
        sessions = (boss, panel, intro, coding, behaviour)
    start, end = window_from_dates(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), "Europe/London")
    return LoopRequest(
        sessions=sessions,
        candidate=CandidateAvailability("Europe/London"),
        window_start=start,
        window_end=end,
        arrangement="back_to_back",
        buffer_min=10,
        granularity_min=15,
        options_wanted=5,
    )


def _clear_caches() -> None:
    local_instant.cache_clear()
    day_table.cache_clear()


def measure(name: str, people: list[InterviewerCalendar], request: LoopRequest, repeats: int) -> dict:
    """Time ``find_options`` ``repeats`` times; returns a table row."""
    _clear_caches()
    gc.collect()
    t0 = time.perf_counter()
    result: FindResult = find_options(request, people)
    cold = (time.perf_counter() - t0) * 1000
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = find_options(request, people)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "case": name,
        "people": len(people),
        "blocks": len(people[0].busy) if people else 0,
        "runs": repeats,
        "cold_ms": round(cold, 2),
        "median_ms": round(statistics.median(wall), 2),
        "p99_ms": round(_p99(wall), 2),
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "cpu_p99_ms": round(_p99(cpu), 2),
        "options": len(result.options),
        "first": result.options[0].start.strftime("%a %d %b %H:%M") + " UTC" if result.options else "-",
        "reasons": len(result.reasons),
    }


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(quick: bool = False) -> list[dict]:
    """All benchmark rows (small sizes and few repeats with ``quick``)."""
    if quick:
        people = make_people(9, 20)
        return [
            measure("standard (quick)", people, make_request(people), 3),
            measure("no-fit (quick)", people, make_request(people, fit=False), 3),
        ]
    rows = []
    people = make_people(20, 400)
    rows.append(measure("standard", people, make_request(people), 300))
    rows.append(measure("no-fit", people, make_request(people, fit=False), 300))
    for n in (5, 20, 80):
        ppl = make_people(n, 400)
        rows.append(measure(f"growth: {n} people", ppl, make_request(ppl), 40))
    for blocks in (40, 400, 4000):
        ppl = make_people(20, blocks)
        rows.append(measure(f"growth: {blocks} blocks", ppl, make_request(ppl), 40 if blocks < 4000 else 15))
    return rows


COLUMNS = (
    "case",
    "people",
    "blocks",
    "runs",
    "cold_ms",
    "median_ms",
    "p99_ms",
    "cpu_median_ms",
    "cpu_p99_ms",
    "options",
    "first",
    "reasons",
)


def format_table(rows: Sequence[dict]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    for r in rows:
        lines.append("  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds, no meaningful timings)")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and not args.quick:
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:  # pragma: no cover - containers may refuse
            pass
    started = timeutil.now_utc()
    rows = run(quick=args.quick)
    print(f"coordinator.scheduling benchmark, {started:%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
