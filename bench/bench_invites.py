"""Benchmark: building and serialising interview invites, against bare `icalendar` in the same run.

    .venv/bin/python bench/bench_invites.py            # 1,000 sessions, feed of 500, best of 5 rounds
    .venv/bin/python bench/bench_invites.py --quick    # small sizes, one round (smoke test)
    .venv/bin/python bench/bench_invites.py --check    # exit 1 when a target is missed

Invites: one iTIP REQUEST file per session (what one e-mail carries), 4 attendees each (3 interviewers and
a shadow), sessions spread over 2026 in 8 zones. "bare" is the minimal equivalent written directly with
icalendar: the same properties, escaping left to icalendar, a VTIMEZONE built once per zone and reused,
and none of ours' validation, sanitising, per-recipient description or Outlook-style VTIMEZONE.
Targets: ours >= 70% of bare's events/second; a feed of 500 sessions in < 300 ms.
Rounds alternate ours and bare so that both see the same machine load; the best round of each counts.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make `coordinator` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icalendar import Calendar, Event, Timezone, vCalAddress

from coordinator.invites.ical import (
    InviteLoop,
    InvitePerson,
    InviteSession,
    SessionInterviewer,
    feed_calendar,
    interviewer_invite,
    stable_uid,
)

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/London",
    "America/Los_Angeles",
    "America/Sao_Paulo",
)
DOMAIN = "bench.coordinator.test"
STAMP = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
RECRUITER = InvitePerson("Rita Recruiter", "rita@corp.example", "Recruiter")
SESSIONS_PER_LOOP = 5
KINDS = ("one_on_one", "panel", "practical")


def make_loops(n_sessions: int) -> list[InviteLoop]:
    people = [InvitePerson(f"Interviewer {i}, Jr.", f"person{i}@corp.example", "Engineer") for i in range(40)]
    loops = []
    for loop_id in range(0, n_sessions, SESSIONS_PER_LOOP):
        sessions = []
        for k in range(min(SESSIONS_PER_LOOP, n_sessions - loop_id)):
            n = loop_id + k
            start = datetime(2026, 1, 12, 8, tzinfo=UTC) + timedelta(days=(n * 7) % 340, minutes=70 * k)
            sessions.append(
                InviteSession(
                    uid=stable_uid("session", n, "interviewers", DOMAIN),
                    candidate_uid=stable_uid("session", n, "candidate", DOMAIN),
                    sequence=n % 3,
                    start=start,
                    end=start + timedelta(minutes=60),
                    tz=ZONES[n % len(ZONES)],
                    title=f"Session {n}",
                    kind=KINDS[n % 3],
                    location="HQ, Room 4",
                    video_url=f"https://video.corp.example/{n}",
                    description="Please be on time; bring questions.",
                    internal_notes="Probe on scaling.",
                    interviewers=tuple(
                        SessionInterviewer(
                            people[(n + j) % 40], ("SQL", "modelling"), f"https://kits.corp.example/{n}/{j}"
                        )
                        for j in range(3)
                    ),
                    shadow=SessionInterviewer(people[(n + 7) % 40]),
                )
            )
        loops.append(
            InviteLoop(
                candidate=InvitePerson(f"Candidate {loop_id}", f"c{loop_id}@candidate.example"),
                candidate_tz=ZONES[loop_id % len(ZONES)],
                job_title="Senior Data Engineer",
                organizer=RECRUITER,
                sessions=tuple(sessions),
                candidate_uid=stable_uid("loop", loop_id, "candidate", DOMAIN),
            )
        )
    return loops


# --------------------------------------------------------------------------------------------- workloads


def ours_invites(loops: list[InviteLoop]) -> int:
    size = 0
    for loop in loops:
        for s in loop.sessions:
            size += len(interviewer_invite(loop, stamp=STAMP, session_uids=[s.uid]))
    return size


_BARE_TZ: dict[str, Timezone] = {}


def _bare_tz(name: str) -> Timezone:
    """icalendar's own VTIMEZONE, limited to the benchmark's years (2025-2027) like ours, built once."""
    if name not in _BARE_TZ:
        _BARE_TZ[name] = Timezone.from_tzinfo(ZoneInfo(name), name, date(2025, 1, 1), date(2028, 1, 1))
    return _BARE_TZ[name]


def _bare_event(loop: InviteLoop, s: InviteSession, uid: str) -> Event:
    zone = ZoneInfo(s.tz)
    ev = Event()
    ev.add("UID", uid)
    ev.add("DTSTAMP", STAMP)
    ev.add("SEQUENCE", s.sequence)
    ev.add("DTSTART", s.start.astimezone(zone))
    ev.add("DTEND", s.end.astimezone(zone))
    ev.add("SUMMARY", f"Interview: {loop.candidate.name} — {s.kind} ({loop.job_title})")
    ev.add(
        "DESCRIPTION",
        f"{s.kind} interview\n{s.title}\n{s.location}\n{s.video_url}\n{s.interviewers[0].kit_url}\n{s.description}",
    )
    ev.add("LOCATION", s.location)
    ev.add("URL", s.video_url)
    ev.add("STATUS", "CONFIRMED")
    organizer = vCalAddress(f"mailto:{loop.organizer.email}")
    organizer.params["CN"] = loop.organizer.name
    ev.add("ORGANIZER", organizer)
    for p, role in [(i.person, "REQ-PARTICIPANT") for i in s.interviewers] + [(s.shadow.person, "OPT-PARTICIPANT")]:
        a = vCalAddress(f"mailto:{p.email}")
        a.params.update({"CN": p.name, "ROLE": role, "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
        ev.add("ATTENDEE", a)
    return ev


def _bare(loops: list[InviteLoop], with_vtimezone: bool) -> int:
    size = 0
    for loop in loops:
        for s in loop.sessions:
            cal = Calendar()
            cal.add("PRODID", "-//bench//bare//EN")
            cal.add("VERSION", "2.0")
            cal.add("METHOD", "REQUEST")
            if with_vtimezone:
                cal.add_component(_bare_tz(s.tz))
            cal.add_component(_bare_event(loop, s, s.uid))
            size += len(cal.to_ical())
    return size


def bare_invites(loops: list[InviteLoop]) -> int:
    return _bare(loops, with_vtimezone=True)


def bare_invites_no_vtimezone(loops: list[InviteLoop]) -> int:
    """Not a valid equivalent (TZID without VTIMEZONE): a lower bound on bare's cost, for reference."""
    return _bare(loops, with_vtimezone=False)


def ours_feed(loops: list[InviteLoop]) -> int:
    return len(feed_calendar(loops, stamp=STAMP))


def bare_feed(loops: list[InviteLoop]) -> int:
    cal = Calendar()
    cal.add("PRODID", "-//bench//bare//EN")
    cal.add("VERSION", "2.0")
    for tz in sorted({s.tz for loop in loops for s in loop.sessions}):
        cal.add_component(_bare_tz(tz))
    for loop in loops:
        for s in loop.sessions:
            cal.add_component(_bare_event(loop, s, s.uid + "-feed"))
    return len(cal.to_ical())


# ------------------------------------------------------------------------------------------------ runner


def _time(fn: Callable[[list[InviteLoop]], int], loops: list[InviteLoop]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(loops)
    return time.perf_counter() - start


def _best(pairs: list[tuple[str, Callable]], loops: list[InviteLoop], rounds: int) -> dict[str, float]:
    best = {name: float("inf") for name, _ in pairs}
    for _ in range(rounds):
        for name, fn in pairs:
            best[name] = min(best[name], _time(fn, loops))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke test)")
    parser.add_argument("--sessions", type=int, default=None, help="sessions to invite (default 1000)")
    parser.add_argument("--feed", type=int, default=None, help="sessions in the feed (default 500)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds, best counts (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    n_sessions = args.sessions or (40 if args.quick else 1000)
    n_feed = args.feed or (20 if args.quick else 500)
    rounds = args.rounds or (1 if args.quick else 5)

    invite_loops, feed_loops = make_loops(n_sessions), make_loops(n_feed)
    # Warm-up outside the timing: imports, VTIMEZONE caches (ours and bare), zoneinfo.
    ours_invites(invite_loops[:4])
    bare_invites(invite_loops[:4])
    for zone in ZONES:
        _bare_tz(zone)
    interviewer_invite(feed_loops[0], stamp=STAMP)

    inv = _best(
        [("ours", ours_invites), ("bare", bare_invites), ("bare-no-tz", bare_invites_no_vtimezone)],
        invite_loops,
        rounds,
    )
    feed = _best([("ours", ours_feed), ("bare", bare_feed)], feed_loops, rounds)
    ours_rate, bare_rate = n_sessions / inv["ours"], n_sessions / inv["bare"]
    ratio = ours_rate / bare_rate
    feed_ms = feed["ours"] * 1000
    ok_ratio, ok_feed = ratio >= 0.70, feed_ms < 300

    rows = [
        ("invites, ours (1 REQUEST file per session)", n_sessions, inv["ours"] * 1000, f"{ours_rate:,.0f}", ""),
        ("invites, bare icalendar", n_sessions, inv["bare"] * 1000, f"{bare_rate:,.0f}", ""),
        ("  ours / bare", "", None, f"{ratio:.0%}", f">= 70%  {'ok' if ok_ratio else 'MISSED'}"),
        (
            "invites, bare without VTIMEZONE (invalid, ref.)",
            n_sessions,
            inv["bare-no-tz"] * 1000,
            f"{n_sessions / inv['bare-no-tz']:,.0f}",
            "",
        ),
        ("  ours / bare without VTIMEZONE", "", None, f"{inv['bare-no-tz'] / inv['ours']:.0%}", ""),
        (
            "feed, ours (one file)",
            n_feed,
            feed_ms,
            f"{n_feed / feed['ours']:,.0f}",
            f"< 300 ms  {'ok' if ok_feed else 'MISSED'}",
        ),
        ("feed, bare icalendar", n_feed, feed["bare"] * 1000, f"{n_feed / feed['bare']:,.0f}", ""),
    ]
    print(
        f"bench_invites: best of {rounds} round(s), Python {sys.version.split()[0]}"
        + (" (--quick)" if args.quick else "")
    )
    print(f"{'benchmark':<46} {'events':>7} {'best ms':>9} {'events/s':>10}  target")
    print("-" * 92)
    for name, n, ms, rate, target in rows:
        print(f"{name:<46} {n!s:>7} {'' if ms is None else f'{ms:,.1f}':>9} {rate:>10}  {target}")
    if args.check and not args.quick and not (ok_ratio and ok_feed):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
