"""Run the flask CLI with the tests' clock moved, for a scheduler process started by a test:

    python -m tests.reminders.clocked_scheduler --offset 176400 -- --app coordinator scheduler

The one test clock is `timeutil.set_clock`, and a clock set in the test's process does not reach a child process:
this launcher sets it in the child (the real time shifted by `--offset` seconds, still ticking), so the scheduler
believes hours have passed without anyone waiting for them, then hands over to flask as the `flask` command would.
Production has no such setting: only this test-side launcher moves the clock.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from flask.cli import main as flask_main

from coordinator import timeutil


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.reminders.clocked_scheduler")
    parser.add_argument("--offset", type=float, default=0.0, help="seconds the clock runs ahead of the real one")
    parser.add_argument("flask_args", nargs=argparse.REMAINDER, help="-- then the arguments of the flask command")
    args = parser.parse_args(argv)
    flask_args = args.flask_args[1:] if args.flask_args[:1] == ["--"] else args.flask_args
    if args.offset:
        shift = timedelta(seconds=args.offset)
        timeutil.set_clock(lambda: datetime.now(UTC) + shift)
    sys.argv = ["flask", *flask_args]
    flask_main()


if __name__ == "__main__":
    main()
