"""Run every benchmark and print its table: python -m bench [--quick]"""

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
    "bench.bench_board",
    "bench.bench_insight",
    "bench.bench_pages",
    "bench.bench_caldav",
]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print(f"coordinator benchmarks · {now_utc():%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} · "
          f"{platform.machine()} · {platform.processor() or 'cpu'}")
    status = 0
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        status |= importlib.import_module(name).main(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
