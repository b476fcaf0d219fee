"""Benchmark for the calendar-file import (coordinator.availability.calendar_import).

Run ``.venv/bin/python bench/bench_calendar_import.py`` for the full table or ``--quick`` for a smoke run.

The input is generated from a fixed seed and looks like a busy interviewer's export covering about two years:
2,000 VEVENTs with Google-style properties (descriptions, attendees, alarms), some Outlook-style HTML bodies,
four zones (Europe/Berlin, America/New_York, UTC, and an Outlook "Customized Time Zone" VTIMEZONE), all-day
and floating events, and recurring series (daily on weekdays, weekly, bi-weekly, monthly by weekday and by
day, yearly birthdays) with EXDATEs and overridden or cancelled instances. It is parsed for a 2-week and a
10-week range starting Monday 2 March 2026 (the European DST change falls in the 10-week range).

Target: median under 1 second per parse for the 2,000-event file.

Hostile files (a second table): an Outlook event whose description is folded over 60,000 lines (4.6 MB, an
inline attachment), and 19,900 small events in range (5 MB). Target: any file up to 5 MB read in under 2 s, or
refused (with a reason) within 5 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator.availability.calendar_import import CalendarImportError, parse_busy_times  # noqa: E402

TARGET_SECONDS = 1.0
OWNER = "interviewer@example.com"
ZONE = "Europe/Berlin"
RANGE_START = datetime(2026, 3, 2, tzinfo=ZoneInfo(ZONE))
FIRST_DAY = date(2025, 3, 1)  # events spread over two years around the ranges
SPREAD_DAYS = 730

VTIMEZONES = """BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
X-LIC-LOCATION:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VTIMEZONE\r
TZID:America/New_York\r
X-LIC-LOCATION:America/New_York\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0400\r
TZNAME:EDT\r
DTSTART:19700308T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:-0400\r
TZOFFSETTO:-0500\r
TZNAME:EST\r
DTSTART:19701101T020000\r
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VTIMEZONE\r
TZID:Customized Time Zone\r
BEGIN:STANDARD\r
DTSTART:16011028T030000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010325T020000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""

WORDS = (
    "interview sync review planning design hiring loop debrief standup retro roadmap budget onboarding "
    "architecture security incident customer demo training lunch offsite one-on-one"
).split()


def _fold(line: str) -> str:
    """Fold a content line at 75 characters, as exporters do."""
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def _stamp(dt: datetime | date, zone: str | None) -> str:
    """A DTSTART/DTEND suffix: ``;TZID=...:...``, ``:...Z``, ``:...`` (floating) or ``;VALUE=DATE:...``."""
    if not isinstance(dt, datetime):
        return f";VALUE=DATE:{dt:%Y%m%d}"
    if zone == "UTC":
        return f":{dt:%Y%m%dT%H%M%S}Z"
    if zone is None:
        return f":{dt:%Y%m%dT%H%M%S}"
    return f";TZID={zone}:{dt:%Y%m%dT%H%M%S}"


def make_calendar(events: int = 2000, seed: int = 20260302) -> bytes:
    """A deterministic export with ``events`` VEVENT components (overrides included)."""
    rnd = random.Random(seed)
    out = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{OWNER}",
        "X-WR-TIMEZONE:Europe/Berlin",
    ]
    body = [VTIMEZONES.rstrip("\r\n").replace("\r\n", "\n").replace("\r", "")]
    count = 0

    def title() -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4))).capitalize()

    def vevent(uid: str, props: list[str]) -> None:
        nonlocal count
        count += 1
        lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T120000Z", *props]
        lines.append(_fold("DESCRIPTION:" + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 60)))))
        if rnd.random() < 0.15:  # Outlook-style HTML body
            lines.append(_fold("X-ALT-DESC;FMTTYPE=text/html:<html><body>" + "<p>x</p>" * 40 + "</body></html>"))
        for n in range(rnd.randint(0, 6)):
            status = rnd.choice(["ACCEPTED", "ACCEPTED", "TENTATIVE", "NEEDS-ACTION", "DECLINED"])
            attendee = f"ATTENDEE;CN=Person {n};PARTSTAT={status};ROLE=REQ-PARTICIPANT:mailto:p{n}@example.com"
            lines.append(_fold(attendee))
        if rnd.random() < 0.3:
            status = "DECLINED" if rnd.random() < 0.2 else "ACCEPTED"
            lines.append(f"ATTENDEE;PARTSTAT={status}:mailto:{OWNER}")
        lines += ["SEQUENCE:0", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "END:VALARM", "END:VEVENT"]
        out.extend(lines)

    def random_start() -> datetime:
        day = FIRST_DAY + timedelta(days=rnd.randrange(SPREAD_DAYS))
        return datetime(day.year, day.month, day.day, rnd.randint(7, 18), rnd.choice((0, 15, 30, 45)))

    series = 0
    while count < events:
        uid = f"ev-{count}-{rnd.getrandbits(40):010x}@bench"
        kind = rnd.random()
        zone = rnd.choices(["Europe/Berlin", "America/New_York", "UTC", None, "Customized Time Zone"],
                           weights=[60, 15, 15, 5, 5])[0]
        start = random_start()
        length = timedelta(minutes=rnd.choice((15, 30, 30, 45, 60, 60, 90, 120)))
        common = [f"SUMMARY:{title()}", "STATUS:CONFIRMED",
                  f"TRANSP:{'TRANSPARENT' if rnd.random() < 0.08 else 'OPAQUE'}"]
        if rnd.random() < 0.05:
            common.append("CLASS:PRIVATE")
        if kind < 0.70:  # single event
            vevent(uid, [f"DTSTART{_stamp(start, zone)}", f"DTEND{_stamp(start + length, zone)}", *common])
        elif kind < 0.76:  # all-day, sometimes several days
            day = start.date()
            vevent(uid, [f"DTSTART{_stamp(day, None)}",
                         f"DTEND{_stamp(day + timedelta(days=rnd.choice((1, 1, 1, 2, 5))), None)}", *common])
        else:  # a recurring series, started up to a year and a half before the range
            series += 1
            start = datetime(2024, 9, 2, start.hour, start.minute) + timedelta(days=rnd.randrange(560))
            rule = rnd.choice([
                "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
                f"FREQ=WEEKLY;BYDAY={rnd.choice(['MO', 'TU', 'WE', 'TH', 'FR'])}",
                f"FREQ=WEEKLY;BYDAY={rnd.choice(['MO', 'TU'])},{rnd.choice(['TH', 'FR'])}",
                f"FREQ=WEEKLY;INTERVAL=2;BYDAY={rnd.choice(['MO', 'WE', 'FR'])}",
                f"FREQ=MONTHLY;BYDAY={rnd.randint(1, 4)}{rnd.choice(['TU', 'TH'])}",
                f"FREQ=MONTHLY;BYMONTHDAY={rnd.randint(1, 28)}",
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                f"FREQ=WEEKLY;COUNT={rnd.randint(5, 80)};BYDAY=WE",
                "FREQ=WEEKLY;UNTIL=20260415T215959Z;BYDAY=TH",
            ])
            if zone is None or zone == "UTC":
                zone = "Europe/Berlin"
            props = [f"DTSTART{_stamp(start, zone)}", f"DTEND{_stamp(start + length, zone)}", f"RRULE:{rule}",
                     *common]
            for _ in range(rnd.randint(0, 4)):
                skipped = start + timedelta(weeks=rnd.randint(1, 80))
                props.append(f"EXDATE{_stamp(skipped, zone)}")
            vevent(uid, props)
            for _ in range(rnd.choice((0, 0, 1, 2))):  # overridden instances
                if count >= events:
                    break
                moved = start + timedelta(weeks=rnd.randint(1, 80))
                override = [f"RECURRENCE-ID{_stamp(moved, zone)}",
                            f"DTSTART{_stamp(moved + timedelta(hours=1), zone)}",
                            f"DTEND{_stamp(moved + timedelta(hours=1) + length, zone)}", *common]
                if rnd.random() < 0.3:
                    override = [line if line != "STATUS:CONFIRMED" else "STATUS:CANCELLED" for line in override]
                vevent(uid, override)
        if series and rnd.random() < 0.01:  # a yearly birthday
            day = date(1990, 1, 1) + timedelta(days=rnd.randrange(365))
            vevent(f"bday-{count}@bench", [f"DTSTART{_stamp(day, None)}",
                                           f"DTEND{_stamp(day + timedelta(days=1), None)}",
                                           "RRULE:FREQ=YEARLY", f"SUMMARY:{title()}'s birthday", "TRANSP:TRANSPARENT"])
    out.extend(body)
    out.append("END:VCALENDAR")
    text = "\r\n".join(line.replace("\n", "\r\n") for line in out) + "\r\n"
    return text.encode()


def time_parse(data: bytes, weeks: int, runs: int) -> dict[str, object]:
    end = RANGE_START + timedelta(weeks=weeks)
    timings, cpu = [], []
    result = None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = parse_busy_times(data, RANGE_START, end, ZONE, owner_email=OWNER)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert result is not None
    return {
        "range": f"{weeks} weeks",
        "events": result.event_count,
        "busy": len(result.busy),
        "skipped": result.skipped_count,
        "median_s": statistics.median(timings),
        "min_s": min(timings),
        "max_s": max(timings),
        "cpu_median_s": statistics.median(cpu),
        "runs": runs,
    }


HOSTILE_TARGET_SECONDS = 2.0
HOSTILE_REFUSAL_SECONDS = 5.0


def make_folded(lines: int = 60_000) -> bytes:
    """One Outlook event whose description (base64 of an inline attachment) is folded over `lines` lines."""
    chunk = "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIFRoZSBxdWljayBicm93biBmb3gganVtcHMgb3Zl"[:74]
    description = "DESCRIPTION:Attached: agenda.pdf\\n" + "".join("\r\n " + chunk for _ in range(lines))
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
        "BEGIN:VEVENT\r\nUID:attach-1\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\n"
        f"SUMMARY:Design review\r\n{description}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return text.encode()


def make_many(events: int = 19_900) -> bytes:
    """`events` small events, all inside the range: about 5 MB at 19,900."""
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:e{i}@bench\r\nDTSTART;TZID=Europe/Berlin:202603{i % 20 + 10:02d}T{i % 10 + 8:02d}0000\r\n"
        f"DTEND;TZID=Europe/Berlin:202603{i % 20 + 10:02d}T{i % 10 + 9:02d}0000\r\n"
        f"SUMMARY:Meeting number {i} with a few people\r\nDESCRIPTION:{'x' * 70}\r\nEND:VEVENT\r\n"
        for i in range(events)
    )
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n").encode()


def time_hostile(name: str, data: bytes) -> dict[str, object]:
    """One read of a hostile file: how long until it was read or refused, and which."""
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        result = parse_busy_times(data, RANGE_START, RANGE_START + timedelta(weeks=12), ZONE, owner_email=OWNER)
        outcome = f"read, {len(result.busy)} busy"
    except CalendarImportError:
        outcome = "refused"
    seconds = time.perf_counter() - started
    ok = seconds < (HOSTILE_TARGET_SECONDS if outcome != "refused" else HOSTILE_REFUSAL_SECONDS)
    return {"file": name, "size_mb": len(data) / 1024 / 1024, "seconds": seconds,
            "cpu_s": time.process_time() - started_cpu, "outcome": outcome, "verdict": "ok" if ok else "SLOW"}


def run_hostile(quick: bool = False) -> list[dict[str, object]]:
    folded, many = (2_000, 500) if quick else (60_000, 19_900)
    return [time_hostile(f"folded-{folded}", make_folded(folded)), time_hostile(f"events-{many}", make_many(many))]


def format_hostile(rows: list[dict[str, object]]) -> str:
    lines = [f"{'file':<14} {'size_mb':>7} {'seconds':>7} {'cpu_s':>6}  outcome  (target: read < "
             f"{HOSTILE_TARGET_SECONDS:g} s or refused < {HOSTILE_REFUSAL_SECONDS:g} s)"]
    for r in rows:
        lines.append(f"{r['file']:<14} {r['size_mb']:>7.1f} {r['seconds']:>7.2f} {r['cpu_s']:>6.2f}  "
                     f"{r['outcome']}  {r['verdict']}")
    return "\n".join(lines)


def run(quick: bool = False) -> list[dict[str, object]]:
    events, runs = (200, 1) if quick else (2000, 7)
    data = make_calendar(events)
    rows = [time_parse(data, weeks, runs) for weeks in (2, 10)]
    for row in rows:
        row["size_kb"] = round(len(data) / 1024)
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    """Wall-clock median/min/max and the median CPU time of this process (steadier on a busy machine)."""
    header = (
        f"{'range':<9} {'events':>6} {'size_kb':>7} {'busy':>5} {'skipped':>7} {'median_s':>8} {'min_s':>6} "
        f"{'max_s':>6} {'cpu_s':>6} {'runs':>4}  target<{TARGET_SECONDS:g}s"
    )
    lines = [header]
    for r in rows:
        verdict = "ok" if float(r["median_s"]) < TARGET_SECONDS else "SLOW"  # type: ignore[arg-type]
        lines.append(
            f"{r['range']:<9} {r['events']:>6} {r['size_kb']:>7} {r['busy']:>5} {r['skipped']:>7} "
            f"{r['median_s']:>8.3f} {r['min_s']:>6.3f} {r['max_s']:>6.3f} {r['cpu_median_s']:>6.3f} {r['runs']:>4}"
            f"  {verdict}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (200 events, one run each)")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print(f"calendar import benchmark, Python {sys.version.split()[0]}")
    print(format_table(rows))
    print()
    print(format_hostile(run_hostile(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
