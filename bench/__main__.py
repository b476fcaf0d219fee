"""Run every benchmark and print its table: python -m bench [--quick] [--before DIR]

    python -m bench pages [--before DIR] [--db sqlite|postgresql|both] [--only PAGE]   # the page table alone

--before names an older checkout (git worktree add /tmp/coordinator-before <commit>): the page benchmark then
measures each page on it and on this checkout in turn and prints both columns; the other benchmarks ignore it.
"""

from __future__ import annotations

import importlib
import platform
import sys

from coordinator.timeutil import now_utc

BENCHMARKS = [
    "bench.bench_engine",
    "bench.bench_calendar_import",
    "bench.bench_invites",
    "bench.bench_feed",
    "bench.bench_reminders",
    "bench.bench_replies",
    "bench.bench_debrief",
    "bench.bench_api",
    "bench.bench_board",
    "bench.bench_picker",
    "bench.bench_insight",
    "bench.bench_pages",
    "bench.bench_caldav",
]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    names = BENCHMARKS
    if args and not args[0].startswith("-"):
        names = [f"bench.bench_{args.pop(0)}"]
    pages_only = []
    if "--before" in args:  # the page benchmark's alone
        at = args.index("--before")
        pages_only = args[at:at + 2]
        del args[at:at + 2]
    print(f"coordinator benchmarks · {now_utc():%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} · "
          f"{platform.machine()} · {platform.processor() or 'cpu'}")
    status = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        extra = pages_only if name == "bench.bench_pages" else []
        status |= importlib.import_module(name).main(args + extra)
    return status


if __name__ == "__main__":
    sys.exit(main())
