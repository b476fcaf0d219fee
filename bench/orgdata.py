"""A deterministic organisation for benchmarks, bulk-inserted into a fresh database.

Large: 500 interviewers in 5 zones with 400 imported busy blocks each over the next month, 40 jobs, 10,000
candidates, 10,000 loops (a third back-to-back, a third with a panel of 3), 40,000 sessions, and, where the
features exist, focus areas with assignments, 120,000 scorecards and 100,000 reminders. Small: the same shape at
demo size, so the benchmark can show that pages issue the same number of queries on both.

Rows are inserted with Core bulk inserts (one statement per chunk), ids assigned here so relations are cheap.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, text

from coordinator.auth.passwords import hash_password
from coordinator.extensions import db

ZONES = ["America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Singapore"]
FIRST = ["Ada", "Kwame", "Sofia", "Liam", "Mei", "Rohan", "Fatima", "Noah", "Priya", "Jonas", "Lena", "Carlos",
         "Emily", "Arjun", "Deepa", "Tobias", "Claire", "David", "Hannah", "Marcus", "Anjali", "Rachel", "Vikram"]
LAST = ["Lovelace", "Mensah", "Garcia", "OConnor", "Chen", "Gupta", "Zahra", "Williams", "Nair", "Weber",
        "Fischer", "Mendez", "Johnson", "Mehta", "Iyer", "Schmidt", "Dubois", "Kim", "Berg", "Lee", "Rao", "Singh"]
PASSWORD = "bench-password"  # noqa: S105  # nosec B105 - a throwaway benchmark database


@dataclass(frozen=True)
class Size:
    interviewers: int
    recruiters: int
    managers: int
    jobs: int
    candidates: int
    busy_per_interviewer: int
    sessions_per_loop: int = 4
    scorecards: int = 0
    reminders: int = 0


LARGE = Size(interviewers=500, recruiters=20, managers=40, jobs=40, candidates=10_000, busy_per_interviewer=400,
             scorecards=120_000, reminders=100_000)
SMALL = Size(interviewers=16, recruiters=2, managers=3, jobs=3, candidates=8, busy_per_interviewer=40,
             scorecards=12, reminders=10)


@dataclass
class Org:
    """What the generator made, for the benchmark to pick its pages from."""

    admin_email: str = ""
    recruiter_email: str = ""
    manager_email: str = ""
    interviewer_email: str = ""
    #: a loop with a panel, booked, of the recruiter's job (for the loop page, find-times, kit, debrief)
    sample_loop_id: int = 0
    sample_session_id: int = 0
    sample_interviewer_id: int = 0
    counts: dict[str, int] = field(default_factory=dict)


#: Feature generators run after the core data: f(conn_session, org, size, rng, ids) -> {table: rows}.
EXTRA_GENERATORS: list[Callable] = []


def _bulk(model, rows: list[dict], chunk: int = 5000) -> int:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[start:start + chunk])
    return len(rows)


def build(size: Size, seed: int = 42, now: datetime | None = None) -> Org:
    """Fill the (empty, migrated) database bound to the current app."""
    from coordinator.auth.models import User, UserRole, WorkingHours
    from coordinator.hiring.models import Candidate, Job
    from coordinator.loops.models import BusyBlock, Loop, LoopSession, SessionInterviewer

    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    today = now.replace(hour=0)
    pw = hash_password(PASSWORD)
    org = Org()
    users, roles, hours = [], [], []
    uid = 0

    def person(kind: str, n: int, zone: str, role_values: Iterable[str]) -> int:
        nonlocal uid
        uid += 1
        users.append({"id": uid, "email": f"{kind}{n}@bench.test", "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                      "job_title": kind.title(), "timezone": zone, "password_hash": pw, "is_enabled": True,
                      "session_token": secrets.token_urlsafe(18), "created_dt": now})
        for r in role_values:
            roles.append({"user_id": uid, "role": r})
        for d in range(5):
            hours.append({"user_id": uid, "weekday": d, "start_time": time(8), "end_time": time(18)})
        return uid

    person("admin", 0, "Europe/Berlin", ["admin"])
    org.admin_email = "admin0@bench.test"
    recruiters = [person("recruiter", i, ZONES[i % 5], ["recruiter"]) for i in range(size.recruiters)]
    managers = [person("manager", i, ZONES[i % 5], ["hiring_manager", "interviewer"]) for i in range(size.managers)]
    interviewers = [person("interviewer", i, ZONES[i % 5], ["interviewer"]) for i in range(size.interviewers)]
    org.recruiter_email, org.manager_email = "recruiter0@bench.test", "manager0@bench.test"
    org.interviewer_email = "interviewer0@bench.test"
    _bulk(User, users)
    _bulk(UserRole, roles)
    _bulk(WorkingHours, hours)

    # 400 busy blocks per interviewer over the next month: 30-90 minutes, inside the day.
    busy = []
    for person_id in interviewers:
        for _ in range(size.busy_per_interviewer):
            start = today + timedelta(days=rng.randrange(30), hours=rng.randrange(6, 20),
                                      minutes=rng.choice((0, 15, 30, 45)))
            busy.append({"user_id": person_id, "start_dt": start,
                         "end_dt": start + timedelta(minutes=rng.choice((30, 45, 60, 90))), "source": "import",
                         "summary": "Busy"})
    _bulk(BusyBlock, busy)

    jobs = [{"id": j + 1, "title": f"Role {j + 1}", "department": f"Department {j % 8 + 1}",
             "hiring_manager_id": managers[j % len(managers)], "recruiter_id": recruiters[j % len(recruiters)],
             "status": "open", "created_dt": now} for j in range(size.jobs)]
    _bulk(Job, jobs)
    candidates = [{"id": c + 1, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {c + 1}",
                   "email": f"candidate{c + 1}@example.org", "timezone": ZONES[c % 5],
                   "job_id": (c % size.jobs) + 1, "stage": "scheduled", "first_interview_emphasis": "Projects.",
                   "probe_further": "Depth.", "created_dt": now, "updated_dt": now} for c in range(size.candidates)]
    _bulk(Candidate, candidates)

    # Loops: one per candidate, 4 sessions each, booked from 60 days ago to 30 days ahead. Every interviewer gets
    # distinct slots (no double booking: PostgreSQL's exclusion constraint would refuse it).
    next_slot = {p: rng.randrange(8) for p in interviewers}
    loops, sessions, people = [], [], []
    sid = pid = 0
    first_day = today - timedelta(days=60)

    def slot_time(slot: int) -> datetime:
        return first_day + timedelta(days=slot // 8, hours=8 + (slot % 8))

    for c in range(size.candidates):
        loop_id = c + 1
        kind = ("back_to_back", "panel", "spread")[c % 3]
        job = jobs[c % size.jobs]
        loops.append({"id": loop_id, "candidate_id": c + 1, "recruiter_id": job["recruiter_id"],
                      "arrangement": "spread" if kind == "spread" else "back_to_back", "status": "scheduled",
                      "buffer_min": 10, "candidate_grouping": "session", "location": "", "video_url": "",
                      "created_dt": now, "version": 1, "decision_due_on": (today + timedelta(days=14)).date()})
        for position in range(size.sessions_per_loop):
            sid += 1
            panel = kind == "panel" and position == 1
            who = rng.sample(interviewers, 3 if panel else 1)
            slot = max(next_slot[p] for p in who)
            for p in who:
                next_slot[p] = slot + 1 + rng.randrange(3)
            start = slot_time(slot)
            end = start + timedelta(minutes=45)
            sessions.append({"id": sid, "loop_id": loop_id, "position": position,
                             "title": ("Hiring manager", "System design", "Collaboration", "Practical")[position % 4],
                             "kind": "panel" if panel else ("practical" if position == 3 else "one_on_one"),
                             "duration_min": 45, "pool_count": 0, "prep_min": 0, "prep_instructions": "",
                             "location": "", "video_url": "", "status": "booked", "start_dt": start, "end_dt": end,
                             "ical_sequence": 0, "override_reason": ""})
            for p in who:
                pid += 1
                people.append({"id": pid, "session_id": sid, "user_id": p, "role": "interviewer",
                               "is_from_pool": False, "is_active": True, "start_dt": start, "end_dt": end})
        if kind == "panel" and not org.sample_loop_id:
            org.sample_loop_id = loop_id
            org.recruiter_email = f"recruiter{recruiters.index(job['recruiter_id'])}@bench.test"
            org.manager_email = f"manager{managers.index(job['hiring_manager_id'])}@bench.test"
            org.sample_session_id = sid - size.sessions_per_loop + 2
            org.sample_interviewer_id = people[-size.sessions_per_loop - 1]["user_id"]
            org.interviewer_email = f"interviewer{interviewers.index(org.sample_interviewer_id)}@bench.test"
    _bulk(Loop, loops)
    _bulk(LoopSession, sessions)
    _bulk(SessionInterviewer, people)
    org.counts = {"users": len(users), "busy_blocks": len(busy), "jobs": len(jobs), "candidates": len(candidates),
                  "loops": len(loops), "sessions": len(sessions), "session_interviewers": len(people)}
    ids = {"interviewers": interviewers, "managers": managers, "recruiters": recruiters, "sessions": sessions,
           "people": people, "loops": loops, "jobs": jobs}
    for generate in EXTRA_GENERATORS:
        org.counts.update(generate(org, size, rng, ids, now) or {})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return org
