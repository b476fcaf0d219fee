"""A deterministic organisation for benchmarks, bulk-inserted into a fresh database.

Large: 500 interviewers in 5 zones with 400 imported busy blocks each over the next month, 40 jobs, 10,000
candidates, 10,000 loops spread evenly from 60 days ago to 30 days ahead (a third back-to-back, a third with a
panel of 3, a third spread over 4 days), 40,000 sessions (46,666 interviewer seats), and on top of that:

* focus areas: 24 with rating guidance and 4 bank questions each, 6 per job; every session covers some of its
  job's areas and every interviewer has an assignment (their kit) of 2 to 5 areas with a bank question each;
* scorecards: the model allows one per interviewer and session, so "120,000 scorecards" (`Size.scorecards`) is
  counted in rated areas: every interviewer of a session that has ended (about 31,000 seats) has a scorecard
  rating their assigned areas, about 4 each, so about 120,000 scorecard area rows with STAR evidence, in about
  30,500 scorecards (98% submitted with their revision rows, 6% of those amended; the rest drafts; about 4% of
  the ended seats have no row yet, which the dashboards show as overdue);
* hiring decisions for 85% of the past loops whose scorecards are all in (the candidates' stages follow);
* reminders: what the rules schedule for a loop, in the state each has by now (pending ahead; sent, skipped or
  cancelled behind). A loop needs about 35, so a seeded sample of whole loops keeps about `Size.reminders`
  (100,000) of them.

Small: the same shape at demo size, so the benchmark can show that pages issue the same number of queries on both.
The sample the benchmark opens (`Org`) is a panel loop in the past with no decision yet, its job's recruiter and
hiring manager, and a panel interviewer with interviews ahead and earlier ones scored; every scorecard of the loop
is submitted but that interviewer's own on the panel, a draft (the scorecard form the benchmark opens).

Rows are inserted with Core bulk inserts (one statement per chunk), ids assigned here so relations are cheap; the
rows respect PostgreSQL's constraints (no double booking, foreign keys, CHECKs, unique reminder keys).
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Integer, insert, text

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
    #: rated scorecard areas to aim for (scorecards are one per interviewer of an ended session; see above)
    scorecards: int = 0
    #: reminder rows to aim for (whole loops' reminders, sampled)
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
    #: a loop of the same recruiter still being planned (nothing booked), for find-times: made through the app's own
    #: services after the bulk data, its sessions drawing on pools, searched over the next two weeks
    planning_loop_id: int = 0
    planning_options: int = 0
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
    from coordinator.availability.models import BusyBlock
    from coordinator.hiring.models import Candidate, Job
    from coordinator.loops.models import Loop, LoopSession, SessionInterviewer

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

    # Loops: one per candidate, spread evenly from 60 days ago to 30 days ahead (loop c on day c * 90 / candidates),
    # 4 sessions each: one after the other the same day, or a day apart for "spread" loops. Every interviewer gets
    # distinct slots (no double booking: PostgreSQL's exclusion constraint would refuse it).
    next_slot = {p: 0 for p in interviewers}
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
                      "created_dt": now, "version": 1, "decision_due_on": None})
        target = (c * 90 // size.candidates) * 8 + rng.randrange(4)
        previous = -1
        for position in range(size.sessions_per_loop):
            sid += 1
            panel = kind == "panel" and position == 1
            want = max(target + (position * 8 if kind == "spread" else position), previous + 1)
            who = _free(rng, interviewers, 3 if panel else 1, next_slot, want)
            slot = max([want] + [next_slot[p] for p in who])
            previous = slot
            for p in who:
                next_slot[p] = slot + 1
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
        # the decision promised to the candidate: 5 days after their last interview
        loops[-1]["decision_due_on"] = (sessions[-1]["end_dt"] + timedelta(days=5)).date()
    _pick_samples(org, size, now, loops, sessions, people, jobs, recruiters, managers, interviewers)
    _bulk(Loop, loops)
    _bulk(LoopSession, sessions)
    _bulk(SessionInterviewer, people)
    org.counts = {"users": len(users), "busy_blocks": len(busy), "jobs": len(jobs), "candidates": len(candidates),
                  "loops": len(loops), "sessions": len(sessions), "session_interviewers": len(people)}
    ids = {"interviewers": interviewers, "managers": managers, "recruiters": recruiters, "sessions": sessions,
           "people": people, "loops": loops, "jobs": jobs, "users": users, "candidates": candidates}
    for generate in (*GENERATORS, *EXTRA_GENERATORS):
        org.counts.update(generate(org, size, rng, ids, now) or {})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # ids were given here: move each table's id sequence past them, so rows the app adds later get new ids
        for table in db.metadata.sorted_tables:
            column = table.c.get("id")
            if column is not None and column.primary_key and isinstance(column.type, Integer):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
        db.session.commit()
    _add_planning_loop(org, size, ids, now)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return org


def _add_planning_loop(org: Org, size: Size, ids: dict, now: datetime) -> None:
    """A loop a recruiter is planning now: the hiring manager, a panel of 3 and two more sessions drawn from pools
    of the interviewers least booked in the next two weeks, spread over the days (with 400 busy blocks a month per
    interviewer a 4-hour back-to-back block is rarely free); the engine must find options for it."""
    from coordinator.auth.models import User
    from coordinator.hiring.models import Candidate, Job
    from coordinator.loops import services as loops
    from coordinator.loops.models import Loop

    sample = db.session.get(Loop, org.sample_loop_id)
    job = db.session.get(Job, sample.candidate.job_id)
    recruiter, manager = db.session.get(User, job.recruiter_id), db.session.get(User, job.hiring_manager_id)
    first = (now + timedelta(days=1)).date()
    last = first + timedelta(days=13)
    ahead = defaultdict(int)
    by_id = {s["id"]: s for s in ids["sessions"]}
    for p in ids["people"]:
        if now <= by_id[p["session_id"]]["start_dt"] < now + timedelta(days=15):
            ahead[p["user_id"]] += 1
    free = sorted(ids["interviewers"], key=lambda u: (ahead[u], u))
    # about 20 people in all, like the engine benchmark's standard loop: a pool of 8 for the panel, 6 for the others
    sizes = [min(8, max(3, len(free) // 3)), min(6, max(1, len(free) // 3)), min(6, max(1, len(free) // 3))]
    pools, taken = [], 0
    for n in sizes:
        pools.append(tuple(free[taken:taken + n]))
        taken += n
    candidate = Candidate(name="Grace Hopper", email="grace.hopper@example.org", timezone="Europe/London",
                          job_id=job.id, stage="scheduled", first_interview_emphasis="Compilers.",
                          probe_further="Leadership.", created_dt=now, updated_dt=now)
    db.session.add(candidate)
    db.session.flush()
    loop = loops.create_loop(candidate, recruiter)
    for data in (
        loops.SessionData(title="Hiring manager conversation", kind="one_on_one", duration_min=45,
                          interviewer_ids=(manager.id,)),
        loops.SessionData(title="System design", kind="panel", duration_min=60, pool_ids=pools[0], pool_count=3),
        loops.SessionData(title="Collaboration", kind="one_on_one", duration_min=45, pool_ids=pools[1],
                          pool_count=1),
        loops.SessionData(title="Practical", kind="practical", duration_min=60, pool_ids=pools[2], pool_count=1,
                          prep_instructions="A short case study, sent the day before."),
    ):
        loops.add_session(loop, data, recruiter)
    loops.update_settings(loop, loops.LoopSettings(arrangement="spread", buffer_min=10,
                                                   candidate_grouping="session", window_first_day=first,
                                                   window_last_day=last), recruiter)
    db.session.commit()
    result, _sessions = loops.find_times(loop, first, last)
    org.planning_loop_id, org.planning_options = loop.id, len(result.options)



def _free(rng: random.Random, interviewers: list[int], count: int, next_slot: dict[int, int], want: int) -> list[int]:
    """`count` interviewers picked at random among those free from slot `want` (a few tries; then the earliest
    free of those tried), so one busy person does not push a loop's later sessions and their people later."""
    tried: list[int] = []
    for _ in range(20):
        who = rng.sample(interviewers, count)
        if all(next_slot[p] <= want for p in who):
            return who
        tried += who
    return sorted(dict.fromkeys(tried), key=lambda p: next_slot[p])[:count]


# --- the sample the benchmark opens ----------------------------------------------------------------------------------

def _pick_samples(org: Org, size: Size, now: datetime, loops: list[dict], sessions: list[dict], people: list[dict],
                  jobs: list[dict], recruiters: list[int], managers: list[int], interviewers: list[int]) -> None:
    """The loop the benchmark opens: the first panel loop whose sessions all ended 3 days ago or more (its debrief
    has every scorecard), and the panel interviewer who also has interviews ahead and another past interview
    (so "my interviews" lists both), or the best the data has."""
    by_loop: dict[int, list[dict]] = defaultdict(list)
    for s in sessions:
        by_loop[s["loop_id"]].append(s)
    on_session: dict[int, list[int]] = defaultdict(list)
    seats: dict[int, list[dict]] = defaultdict(list)
    session_by_id = {s["id"]: s for s in sessions}
    for p in people:
        on_session[p["session_id"]].append(p["user_id"])
        seats[p["user_id"]].append(session_by_id[p["session_id"]])
    best: tuple | None = None
    for loop in loops:
        mine = by_loop[loop["id"]]
        panel = next((s for s in mine if s["kind"] == "panel"), None)
        if panel is None or max(s["end_dt"] for s in mine) > now - timedelta(days=3):
            continue
        for user_id in on_session[panel["id"]]:
            score = (any(s["start_dt"] > now for s in seats[user_id]),
                     any(s["end_dt"] < now and s["loop_id"] != loop["id"] for s in seats[user_id]))
            if best is None or score > best[0]:
                best = (score, loop, panel, user_id)
        if best is not None and best[0] == (True, True):
            break
    if best is None:
        raise ValueError("the organisation has no panel loop in the past; make it larger")
    _, loop, panel, user_id = best
    job = jobs[(loop["candidate_id"] - 1) % size.jobs]
    org.sample_loop_id, org.sample_session_id, org.sample_interviewer_id = loop["id"], panel["id"], user_id
    org.recruiter_email = f"recruiter{recruiters.index(job['recruiter_id'])}@bench.test"
    org.manager_email = f"manager{managers.index(job['hiring_manager_id'])}@bench.test"
    org.interviewer_email = f"interviewer{interviewers.index(user_id)}@bench.test"


# --- focus areas, the question bank, assignments ---------------------------------------------------------------------

AREA_NAMES = ("Problem solving", "System design", "Communication", "Ownership", "Data modelling", "Collaboration",
              "Coding fluency", "Testing", "Debugging", "Architecture", "Product sense", "Security mindset",
              "Operational excellence", "Mentoring", "Stakeholder management", "Prioritisation", "Learning agility",
              "Customer focus", "Technical writing", "Performance tuning", "API design", "Estimation",
              "Conflict resolution", "Leadership")
RATINGS = ("strong_no", "no", "yes", "strong_yes")
RECOMMENDATIONS = ("strong_no_hire", "no_hire", "hire", "strong_hire")
QUESTION_KINDS = ("behavioral", "situational", "practical", "behavioral")
QUESTIONS_PER_AREA = 4
AREAS_PER_JOB = 6


def add_focus_areas(org: Org, size: Size, rng: random.Random, ids: dict, now: datetime) -> dict[str, int]:
    """24 focus areas with rating guidance and 4 bank questions each; 6 areas per job; per session the areas it
    covers and, for each interviewer, an assignment of 2 to 5 of them with one bank question per area (the kit).
    The number of areas per interviewer is chosen so that the scorecards (one per interviewer of an ended session)
    rate about `size.scorecards` areas in all."""
    from coordinator.focus.models import FocusArea, FocusAreaGuidance, JobFocusArea, Question
    from coordinator.kits.models import (
        AssignmentFocusArea,
        AssignmentQuestion,
        InterviewerAssignment,
        SessionFocusArea,
    )

    areas = [{"id": n + 1, "name": name, "description": f"What good {name.lower()} looks like, and how to probe it.",
              "created_dt": now} for n, name in enumerate(AREA_NAMES)]
    guidance = [{"focus_area_id": a["id"], "rating": r,
                 "text": f"{a['name']} at the level '{r.replace('_', ' ')}': what the answers show, with examples."}
                for a in areas for r in RATINGS]
    questions = [{"id": (a["id"] - 1) * QUESTIONS_PER_AREA + q + 1, "focus_area_id": a["id"],
                  "kind": QUESTION_KINDS[q], "text": f"{a['name']}: question {q + 1}. Tell me about a time when ...",
                  "probes": "What did you do first?\nWhat would you change?\nHow did you know it worked?",
                  "loop_id": None, "is_archived": False, "created_by_id": ids["recruiters"][0], "created_dt": now,
                  "updated_dt": now} for a in areas for q in range(QUESTIONS_PER_AREA)]
    job_areas: dict[int, list[int]] = {}
    job_rows = []
    for job in ids["jobs"]:
        picked = rng.sample([a["id"] for a in areas], AREAS_PER_JOB)
        job_areas[job["id"]] = picked
        job_rows += [{"job_id": job["id"], "focus_area_id": a, "position": n} for n, a in enumerate(picked)]

    ended = sum(1 for p in ids["people"] if p["end_dt"] < now)
    per_seat = min(5.0, max(2.0, size.scorecards / max(1.0, ended * 0.96)))  # ~4% of ended seats have no card

    def how_many() -> int:
        return int(per_seat) + (rng.random() < per_seat - int(per_seat))

    job_of_loop = {loop["id"]: ids["candidates"][loop["candidate_id"] - 1]["job_id"] for loop in ids["loops"]}
    recruiter_of_loop = {loop["id"]: loop["recruiter_id"] for loop in ids["loops"]}
    on_session: dict[int, list[int]] = defaultdict(list)
    for p in ids["people"]:
        on_session[p["session_id"]].append(p["user_id"])
    covered, assignments, assigned_areas, assigned_questions = [], [], [], []
    areas_of: dict[tuple[int, int], list[int]] = {}
    for s in ids["sessions"]:
        pool = job_areas[job_of_loop[s["loop_id"]]]
        who = on_session[s["id"]]
        counts = [min(how_many(), len(pool)) for _ in who]
        here = rng.sample(pool, min(len(pool), max(counts) + 2 * (len(who) - 1)))
        covered += [{"session_id": s["id"], "focus_area_id": a} for a in here]
        for seat, (user_id, count) in enumerate(zip(who, counts, strict=True)):
            mine = [here[(seat * 2 + k) % len(here)] for k in range(count)]
            areas_of[(s["id"], user_id)] = mine
            aid = len(assignments) + 1
            assignments.append({"id": aid, "session_id": s["id"], "user_id": user_id,
                                "updated_by_id": recruiter_of_loop[s["loop_id"]],
                                "updated_dt": min(now, s["start_dt"] - timedelta(days=3))})
            assigned_areas += [{"assignment_id": aid, "focus_area_id": a, "position": k} for k, a in enumerate(mine)]
            assigned_questions += [{"assignment_id": aid, "position": k,
                                    "question_id": (a - 1) * QUESTIONS_PER_AREA + rng.randrange(QUESTIONS_PER_AREA) + 1}
                                   for k, a in enumerate(mine)]
    _bulk(FocusArea, areas)
    _bulk(FocusAreaGuidance, guidance)
    _bulk(Question, questions)
    _bulk(JobFocusArea, job_rows)
    _bulk(SessionFocusArea, covered)
    _bulk(InterviewerAssignment, assignments)
    _bulk(AssignmentFocusArea, assigned_areas)
    _bulk(AssignmentQuestion, assigned_questions)
    ids["areas_of"] = areas_of
    ids["area_names"] = {a["id"]: a["name"] for a in areas}
    return {"focus_areas": len(areas), "questions": len(questions), "job_focus_areas": len(job_rows),
            "session_focus_areas": len(covered), "interviewer_assignments": len(assignments),
            "assignment_focus_areas": len(assigned_areas), "assignment_questions": len(assigned_questions)}


# --- scorecards -----------------------------------------------------------------------------------------------------

SITUATIONS = ("Our checkout service timed out under Black Friday load and the team had two weeks to fix it.",
              "Two teams owned overlapping parts of the billing pipeline and releases kept colliding.",
              "A large customer threatened to leave after three outages in a month.",
              "The mobile app's crash rate doubled after a framework upgrade, a week before launch.")
TASKS = ("Own the capacity plan and the rollback path for the payment calls.",
         "Agree who owns what, and get releases moving again without a freeze.",
         "Find the common cause and restore the customer's confidence.",
         "Find the regression and decide whether to ship or to slip.")
ACTIONS = ("Profiled the hot path, added a bulkhead and a queue, load-tested at 3x and wrote the runbook.",
           "Mapped the dependencies with both leads, split the pipeline at the ledger, and set up a shared release "
           "calendar.",
           "Read every incident report, found the shared connection pool, fixed it and walked the customer through "
           "the analysis.",
           "Bisected the builds, found the threading change, reverted it behind a flag and wrote the upgrade plan.")
RESULTS = ("p99 went from 4 s to 300 ms; no incidents that weekend; the runbook is still used.",
           "Releases went from monthly to weekly; no collisions in the two quarters since.",
           "No outage in the six months after; the customer renewed for three years.",
           "Shipped on time with the crash rate back to its baseline; the flag came out two weeks later.")
TAKEAWAYS = ("Solid; probe on-call depth.", "Clear thinker, precise about trade-offs; a little quiet in the panel.",
             "Strong on delivery, weaker on system boundaries; would like a second opinion on design.",
             "Excellent examples with measured results; asked sharp questions back.",
             "Struggled to give concrete examples; answers stayed general.")
RATING_WEIGHTS = (1, 3, 5, 3)
RECOMMENDATION_WEIGHTS = (1, 3, 5, 2)


def _evidence(rng: random.Random, name: str) -> dict[str, str]:
    i = rng.randrange(len(SITUATIONS))
    return {"situation": SITUATIONS[i], "task": TASKS[i], "action": ACTIONS[rng.randrange(len(ACTIONS))],
            "result": RESULTS[i], "notes": f"Good signal on {name.lower()}." if rng.random() < 0.4 else ""}


def add_scorecards(org: Org, size: Size, rng: random.Random, ids: dict, now: datetime) -> dict[str, int]:
    """For every interviewer of every session that has ended: a scorecard rating the areas they were assigned,
    with STAR evidence and a recommendation, submitted (with its revision rows: 6% were amended once) after a
    realistic delay; those not submitted yet are drafts or not started (no row). In the sample loop every scorecard
    is submitted but the sample interviewer's, a draft (the scorecard form the benchmark opens)."""
    from coordinator.scorecards.models import Scorecard, ScorecardArea, ScorecardRevision

    session_by_id = {s["id"]: s for s in ids["sessions"]}
    names = ids["area_names"]
    forced_draft = org.sample_session_id  # with the sample interviewer: the scorecard form the benchmark opens
    cards, rows, revisions = [], [], []
    submitted_at: dict[tuple[int, int], datetime] = {}
    for person in ids["people"]:
        end = person["end_dt"]
        if end >= now:
            continue
        s = session_by_id[person["session_id"]]
        user_id = person["user_id"]
        roll = rng.random()
        if s["loop_id"] == org.sample_loop_id:
            delay: float | None = 2.0
        elif roll < 0.70:
            delay = rng.uniform(1, 20)
        elif roll < 0.90:
            delay = rng.uniform(20, 48)
        elif roll < 0.97:
            delay = rng.uniform(48, 120)
        else:
            delay = None  # never written
        forced = person["session_id"] == forced_draft and user_id == org.sample_interviewer_id
        if forced:
            delay = None
        done = end + timedelta(hours=delay) if delay is not None else None
        if done is not None and done > now:
            done = None
        if done is None:
            started = end + timedelta(hours=rng.uniform(0.5, 6))
            if started > now or (not forced and rng.random() < 0.5):
                continue  # not started: no row until the first save
        card_id = len(cards) + 1
        submitted = done is not None
        saved = done if submitted else started
        recommendation = rng.choices(RECOMMENDATIONS, RECOMMENDATION_WEIGHTS)[0]
        takeaways = rng.choice(TAKEAWAYS)
        amended = submitted and rng.random() < 0.06 and done + timedelta(hours=20) < now
        card = {"id": card_id, "loop_id": s["loop_id"], "session_id": s["id"], "interviewer_id": user_id,
                "status": "submitted" if submitted else "draft",
                "recommendation": recommendation if submitted or rng.random() < 0.5 else None,
                "takeaways": takeaways if submitted else "", "version": 3 if amended else 2,
                "revision": (2 if amended else 1) if submitted else 0, "created_dt": saved - timedelta(minutes=40),
                "updated_dt": saved, "submitted_dt": done}
        cards.append(card)
        snapshot = []
        areas = ids["areas_of"][(s["id"], user_id)]
        for position, area_id in enumerate(areas):
            not_assessed = submitted and rng.random() < 0.04
            filled = submitted or position < len(areas) // 2
            row = {"scorecard_id": card_id, "focus_area_id": area_id, "position": position,
                   "rating": rng.choices(RATINGS, RATING_WEIGHTS)[0] if filled and not not_assessed else None,
                   "is_not_assessed": not_assessed,
                   "not_assessed_reason": "Ran out of time; the panel covered it." if not_assessed else "",
                   **({"situation": "", "task": "", "action": "", "result": "", "notes": ""}
                      if not_assessed or not filled else _evidence(rng, names[area_id]))}
            rows.append(row)
            snapshot.append({**{k: v for k, v in row.items() if k not in ("scorecard_id", "position")},
                             "name": names[area_id]})
        if submitted:
            submitted_at[(s["id"], user_id)] = done
            revisions.append({"scorecard_id": card_id, "number": 1, "created_dt": done, "author_id": user_id,
                              "reason": "", "recommendation": recommendation, "takeaways": takeaways,
                              "areas": snapshot})
            if amended:
                later = done + timedelta(hours=rng.uniform(1, 20))
                card["updated_dt"] = later
                revisions.append({"scorecard_id": card_id, "number": 2, "created_dt": later, "author_id": user_id,
                                  "reason": "Added what the candidate said about testing in the corridor.",
                                  "recommendation": recommendation, "takeaways": takeaways + " (amended)",
                                  "areas": snapshot})
    _bulk(Scorecard, cards)
    _bulk(ScorecardArea, rows)
    _bulk(ScorecardRevision, revisions, chunk=1000)
    ids["submitted"] = submitted_at
    return {"scorecards": len(cards), "scorecards_submitted": len(submitted_at), "scorecard_areas": len(rows),
            "scorecard_revisions": len(revisions)}


# --- decisions ------------------------------------------------------------------------------------------------------

def add_decisions(org: Org, size: Size, rng: random.Random, ids: dict, now: datetime) -> dict[str, int]:
    """A hiring decision for most loops whose scorecards are all in (85%, 4 to 72 hours after the last one; never
    the sample loop, whose debrief stays open); candidates' stages follow (debrief, hired, not hired)."""
    from sqlalchemy import update

    from coordinator.hiring.models import Candidate
    from coordinator.scorecards.models import LoopDecision

    session_by_id = {s["id"]: s for s in ids["sessions"]}
    seats: dict[int, list[tuple[int, int]]] = defaultdict(list)
    last_end: dict[int, datetime] = {}
    for p in ids["people"]:
        loop_id = session_by_id[p["session_id"]]["loop_id"]
        seats[loop_id].append((p["session_id"], p["user_id"]))
        last_end[loop_id] = max(last_end.get(loop_id, p["end_dt"]), p["end_dt"])
    submitted = ids["submitted"]
    hiring_manager = {j["id"]: j["hiring_manager_id"] for j in ids["jobs"]}
    decisions, stages = [], []
    decided: dict[int, datetime] = {}
    for loop in ids["loops"]:
        if last_end[loop["id"]] >= now:
            continue
        candidate = ids["candidates"][loop["candidate_id"] - 1]
        stage = "debrief"
        times = [submitted.get(seat) for seat in seats[loop["id"]]]
        if all(times) and loop["id"] != org.sample_loop_id and rng.random() < 0.85:
            when = max(times) + timedelta(hours=rng.uniform(4, 72))
            if when < now:
                outcome = rng.choices(("hire", "no_hire", "another_round"), (3, 6, 1))[0]
                decisions.append({"loop_id": loop["id"], "outcome": outcome, "decided_dt": when,
                                  "decided_by_id": hiring_manager[candidate["job_id"]],
                                  "rationale": "Consistent evidence across the panel; see the scorecards."})
                decided[loop["id"]] = when
                stage = {"hire": "hired", "no_hire": "not_hired", "another_round": "scheduled"}[outcome]
        stages.append({"id": candidate["id"], "stage": stage})
    _bulk(LoopDecision, decisions)
    if stages:
        db.session.execute(update(Candidate), stages)
    ids["decided"] = decided
    return {"loop_decisions": len(decisions)}


# --- reminders ------------------------------------------------------------------------------------------------------

_REMOVED = {"scorecard": "The scorecard was submitted.", "decision": "A decision was recorded."}


def add_reminders(org: Org, size: Size, rng: random.Random, ids: dict, now: datetime) -> dict[str, int]:
    """The reminders the rules (coordinator.reminders.rules.plan) schedule for a loop, each with the state it has
    by now: pending when due later; sent when its time came (1% skipped); cancelled when a submitted scorecard or a
    recorded decision made it unnecessary before its time. A loop needs about 35 of them (370,000 for 10,000
    loops), so a seeded sample of whole loops keeps about `size.reminders` rows; the sample loop always has its."""
    from coordinator.reminders import rules
    from coordinator.reminders.models import Reminder

    if size.reminders <= 0:
        return {"reminders": 0}
    zones = {u["id"]: u["timezone"] for u in ids["users"]}
    team = {j["id"]: tuple(dict.fromkeys((j["recruiter_id"], j["hiring_manager_id"]))) for j in ids["jobs"]}
    on_session: dict[int, list[int]] = defaultdict(list)
    for p in ids["people"]:
        on_session[p["session_id"]].append(p["user_id"])
    of_loop: dict[int, list[dict]] = defaultdict(list)
    for s in ids["sessions"]:
        of_loop[s["loop_id"]].append(s)
    submitted, decided = ids["submitted"], ids["decided"]
    planned: list[tuple[dict, list[tuple[rules.Planned, bool]]]] = []
    total = 0
    for loop in ids["loops"]:
        candidate = ids["candidates"][loop["candidate_id"] - 1]
        facts_sessions = tuple(rules.SessionFacts(s["id"], True, s["start_dt"], s["end_dt"],
                                                  tuple(on_session[s["id"]])) for s in of_loop[loop["id"]])
        mine = {(s.id, u): submitted[(s.id, u)] for s in facts_sessions for u in s.interviewers
                if (s.id, u) in submitted}
        facts = rules.LoopFacts(loop["id"], False, candidate["id"], candidate["timezone"],
                                team[candidate["job_id"]], zones, facts_sessions, loop["decision_due_on"],
                                is_decided=loop["id"] in decided, submitted=mine)
        current = {p.key for p in rules.plan(facts)}
        every = {p.key: p for f in (replace(facts, is_decided=False, submitted={}),
                                    replace(facts, is_decided=False), facts) for p in rules.plan(f)}
        rows = [(p, p.key in current) for p in every.values()]
        planned.append((loop, rows))
        total += len(rows)
    share = size.reminders / max(1, total)
    reminders = []
    for loop, rows in planned:
        if rng.random() >= share and loop["id"] != org.sample_loop_id:
            continue
        booked = min(now, min(s["start_dt"] for s in of_loop[loop["id"]]) - timedelta(days=10))
        for p, still_planned in rows:
            removed_at: datetime | None = None
            if not still_planned:
                if p.kind.value.startswith("scorecard"):
                    removed_at, why = submitted.get((p.session_id, p.about_user_id)), _REMOVED["scorecard"]
                else:
                    removed_at, why = decided.get(p.loop_id), _REMOVED["decision"]
                if removed_at is None:
                    continue
            row = {"kind": p.kind.value, "key": p.key, "user_id": p.user_id, "candidate_id": p.candidate_id,
                   "loop_id": p.loop_id, "session_id": p.session_id, "about_user_id": p.about_user_id,
                   "event_dt": p.event_dt, "due_dt": p.due_dt, "status": "pending", "attempts": 0, "last_error": "",
                   "reason": "", "sent_dt": None, "outbox_message_id": None, "created_dt": booked,
                   "updated_dt": booked}
            if removed_at is not None and removed_at <= p.due_dt:
                row.update(status="cancelled", reason=why, updated_dt=removed_at)
            elif p.due_dt < now:
                sent = p.due_dt + timedelta(seconds=rng.randrange(5, 90))
                if rng.random() < 0.01:
                    row.update(status="skipped", attempts=1, updated_dt=sent,
                               reason="Too late to help: the moment it was for has passed.")
                else:
                    row.update(status="sent", attempts=1, sent_dt=sent, updated_dt=sent)
            reminders.append(row)
    _bulk(Reminder, reminders)
    by_status: dict[str, int] = defaultdict(int)
    for r in reminders:
        by_status[r["status"]] += 1
    return {"reminders": len(reminders), **{f"reminders_{k}": v for k, v in sorted(by_status.items())}}


#: The generators build() runs after the core data, in order (each may use what the earlier ones left in `ids`).
GENERATORS: tuple[Callable, ...] = (add_focus_areas, add_scorecards, add_decisions, add_reminders)
