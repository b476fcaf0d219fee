"""A realistic demo organisation: people in three time zones, three open jobs, eight candidates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select

from coordinator import timeutil
from coordinator.auth.models import User
from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, count_users, create_user
from coordinator.availability import services as availability
from coordinator.extensions import db
from coordinator.focus.demo import seed_interviewing
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.loops.state import settle
from coordinator.scorecards.demo import seed_scorecards

# The demo login, printed on purpose for the person trying the demo; never used in production.
DEMO_PASSWORD = "demo-password"  # noqa: S105  # nosec B105

NY, BERLIN, KOLKATA, LONDON = "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Europe/London"


def _hours(start: int, end: int, days: range = range(5)) -> dict[int, tuple[time, time]]:
    return {d: (time(start), time(end)) for d in days}


# email local part, name, job title, zone, roles, working hours
PEOPLE: list[tuple[str, str, str, str, set[Role], dict[int, tuple[time, time]]]] = [
    ("admin", "Alex Admin", "People Operations", BERLIN, {Role.ADMIN}, _hours(9, 17)),
    ("rita", "Rita Okafor", "Senior Recruiter", BERLIN, {Role.RECRUITER}, _hours(8, 17)),
    ("sam", "Sam Whitfield", "Recruiting Coordinator", NY, {Role.RECRUITER}, _hours(9, 18)),
    ("hannah", "Hannah Berg", "Engineering Manager, Data Platform", BERLIN,
     {Role.HIRING_MANAGER, Role.INTERVIEWER}, _hours(9, 17)),
    ("marcus", "Marcus Lee", "Director of Product", NY, {Role.HIRING_MANAGER, Role.INTERVIEWER}, _hours(9, 17)),
    ("anjali", "Anjali Rao", "Engineering Manager, Payments", KOLKATA,
     {Role.HIRING_MANAGER, Role.INTERVIEWER}, _hours(10, 18)),
    ("jonas", "Jonas Weber", "Staff Engineer", BERLIN, {Role.INTERVIEWER}, _hours(9, 17)),
    ("lena", "Lena Fischer", "Senior Data Engineer", BERLIN, {Role.INTERVIEWER}, _hours(8, 16)),
    ("tobias", "Tobias Schmidt", "Principal Engineer", BERLIN, {Role.INTERVIEWER}, _hours(10, 18)),
    ("claire", "Claire Dubois", "Product Designer", LONDON, {Role.INTERVIEWER}, _hours(9, 17)),
    ("david", "David Kim", "Senior Product Manager", NY, {Role.INTERVIEWER}, _hours(9, 17)),
    ("emily", "Emily Johnson", "Engineering Manager", NY, {Role.INTERVIEWER}, _hours(8, 16)),
    ("carlos", "Carlos Mendez", "Senior Software Engineer", NY, {Role.INTERVIEWER}, _hours(10, 18)),
    ("rachel", "Rachel Green", "VP Engineering", NY, {Role.INTERVIEWER}, _hours(9, 17)),
    ("priya", "Priya Nair", "Senior Backend Engineer", KOLKATA, {Role.INTERVIEWER}, _hours(10, 19)),
    ("arjun", "Arjun Mehta", "Staff Engineer, Payments", KOLKATA, {Role.INTERVIEWER}, _hours(11, 19)),
    ("deepa", "Deepa Iyer", "QA Lead", KOLKATA, {Role.INTERVIEWER}, _hours(9, 17)),
    ("vikram", "Vikram Singh", "Site Reliability Engineer", KOLKATA, {Role.INTERVIEWER}, _hours(12, 20)),
    ("tom", "Tom Becker", "Software Engineer (in training)", BERLIN, {Role.INTERVIEWER}, _hours(9, 17)),
]

JOBS = [
    ("Senior Data Engineer", "Data Platform", "hannah", "rita"),
    ("Product Manager, Growth", "Product", "marcus", "sam"),
    ("Backend Engineer, Payments", "Payments", "anjali", "rita"),
]

CANDIDATES = [
    ("Ada Lovelace", "ada.lovelace@example.org", LONDON, 0, CandidateStage.TO_SCHEDULE,
     "Designed a streaming pipeline at a fintech; strong on Kafka and data modelling.",
     "Depth of distributed-systems knowledge beyond Kafka; how she handles on-call incidents."),
    ("Kwame Mensah", "kwame.mensah@example.org", "Africa/Accra", 0, CandidateStage.TO_SCHEDULE,
     "Led a migration from Hadoop to Spark on Kubernetes; mentoring two juniors.",
     "Stakeholder management; data quality practices."),
    ("Sofia García", "sofia.garcia@example.org", "Europe/Madrid", 0, CandidateStage.SCHEDULED,
     "Strong SQL and dbt; built the analytics layer of a marketplace.",
     "System design at larger scale; leadership in ambiguous projects."),
    ("Liam O'Connor", "liam.oconnor@example.org", NY, 1, CandidateStage.TO_SCHEDULE,
     "Grew activation 18% with onboarding experiments; solid analytics.",
     "Prioritisation under conflicting stakeholder demands; technical fluency."),
    ("Mei Chen", "mei.chen@example.org", "America/Los_Angeles", 1, CandidateStage.TO_SCHEDULE,
     "PM for a B2B SaaS growth team; strong experimentation background.",
     "Strategy beyond experiments; working with design."),
    ("Rohan Gupta", "rohan.gupta@example.org", KOLKATA, 2, CandidateStage.TO_SCHEDULE,
     "Built a UPI payment integration; knows idempotency and reconciliation well.",
     "Concurrency and failure handling; code review culture."),
    ("Fatima Zahra", "fatima.zahra@example.org", "Asia/Dubai", 2, CandidateStage.SCHEDULED,
     "Backend engineer at a card issuer; PCI DSS experience.",
     "API design; collaboration across time zones."),
    ("Noah Williams", "noah.williams@example.org", "America/Chicago", 2, CandidateStage.TO_SCHEDULE,
     "Go and Python services; led an incident review process.",
     "Depth in payments domain; ownership of ambiguous problems."),
]

DEMO_DOMAIN = "demo.coordinator.test"


@dataclass(frozen=True)
class DemoSummary:
    logins: list[tuple[str, str, str]]  # (role labels, email, password)
    jobs: int
    candidates: int


class DemoAlreadyLoaded(RuntimeError):
    pass


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def reset_all_data() -> None:
    """Delete every row of every table, children first."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.expunge_all()  # forget the objects whose rows are gone


def seed_demo(reset: bool = False) -> DemoSummary:
    if count_users() and not reset:
        raise DemoAlreadyLoaded("The database already has users; pass --reset to wipe it and load the demo again.")
    if reset:
        reset_all_data()
    users: dict[str, User] = {}
    for local, name, title, zone, roles, hours in PEOPLE:
        users[local] = create_user(
            UserData(email=demo_email(local), name=name, job_title=title, timezone=zone, roles=frozenset(roles)),
            password=DEMO_PASSWORD, working_hours=hours,
        )
    jobs = []
    for title, department, manager, recruiter in JOBS:
        jobs.append(create_job(JobData(title=title, department=department,
                                       hiring_manager_id=users[manager].id, recruiter_id=users[recruiter].id)))
    for name, email, zone, job_index, stage, emphasis, probe in CANDIDATES:
        create_candidate(CandidateData(name=name, email=email, timezone=zone, job_id=jobs[job_index].id,
                                       stage=stage.value, first_interview_emphasis=emphasis, probe_further=probe))
    seed_interviewing(users, jobs)  # focus areas, question bank, qualifications, interview plans
    seed_scorecards(users, jobs)  # a loop two days ago with its scorecards, for the debrief
    seed_calendars(users)  # everyone's busy times, imported from a calendar file as people do
    book_scheduled(users)  # the candidates "Scheduled" have a booked loop
    for candidate in db.session.scalars(select(Candidate)):
        settle(candidate)  # every stage as its loops say (the one rule, coordinator.loops.state)
    logins = [(", ".join(users[local].role_labels), users[local].email, DEMO_PASSWORD)
              for local in ("admin", "rita", "hannah", "jonas")]
    return DemoSummary(logins=logins, jobs=len(jobs), candidates=len(CANDIDATES))


# --- busy times from calendars, and booked loops ----------------------------------------------------------------------

#: a working week's recurring meetings (weekday, start, minutes, title); each person gets most of them, shifted
MEETINGS = [
    ("MO,TU,WE,TH,FR", time(9, 30), 15, "Team stand-up"),
    ("TU", time(10, 0), 60, "Sprint planning"),
    ("WE", time(13, 0), 120, "Focus time"),
    ("TH", time(12, 0), 60, "Lunch & learn"),
    ("FR", time(15, 0), 45, "Retro"),
]


def _calendar_file(local: str, index: int, tz: str, monday: date) -> bytes:
    """A calendar export (.ics) of one person: recurring meetings in their zone, a 1:1, and one-off events."""
    def stamp(day: date, at: time) -> str:
        return f"{day:%Y%m%d}T{at:%H%M%S}"

    events = []
    for n, (days, at, minutes, title) in enumerate(MEETINGS):
        if (index + n) % 4 == 3:
            continue  # not everyone is in every meeting
        start = datetime.combine(monday, at) + timedelta(minutes=15 * (index % 3) if n else 0)
        end = start + timedelta(minutes=minutes)
        events.append((f"{local}-{n}", f"DTSTART;TZID={tz}:{stamp(start.date(), start.time())}",
                       f"DTEND;TZID={tz}:{stamp(end.date(), end.time())}", title,
                       f"RRULE:FREQ=WEEKLY;BYDAY={days};COUNT={20 if ',' in days else 4}"))
    one_to_one = monday + timedelta(days=index % 5)
    events.append((f"{local}-11", f"DTSTART;TZID={tz}:{stamp(one_to_one, time(14 + index % 3, 0))}",
                   f"DTEND;TZID={tz}:{stamp(one_to_one, time(14 + index % 3, 30))}", "1:1",
                   "RRULE:FREQ=WEEKLY;COUNT=4"))
    for week in (1, 2):  # a few one-off appointments in the coming weeks
        day = monday + timedelta(days=7 * week + (index + week) % 5)
        hour = 10 + (index * 3 + week) % 6
        events.append((f"{local}-w{week}", f"DTSTART;TZID={tz}:{stamp(day, time(hour, 0))}",
                       f"DTEND;TZID={tz}:{stamp(day, time(hour + 1, 30))}",
                       ["Customer call", "Architecture review", "Hiring sync", "Doctor"][(index + week) % 4], ""))
    if index % 5 == 2:  # someone is out for a day
        day = monday + timedelta(days=8 + index % 3)
        events.append((f"{local}-ooo", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                       f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", "Out of office", ""))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//coordinator demo//EN"]
    for uid, start, end, title, rule in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}@{DEMO_DOMAIN}", f"DTSTAMP:{monday:%Y%m%d}T000000Z", start, end,
                  f"SUMMARY:{title}", *([rule] if rule else []), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def seed_calendars(users: dict[str, User]) -> int:
    """Import a calendar file for everyone who interviews, through the same import as the availability page."""
    count = 0
    for index, (local, _name, _title, zone, roles, _hours) in enumerate(PEOPLE):
        if not roles & {Role.INTERVIEWER, Role.HIRING_MANAGER}:
            continue
        user = users[local]
        today = timeutil.to_local(timeutil.now_utc(), zone).date()
        monday = today - timedelta(days=today.weekday())
        result = availability.read_calendar_file(user, _calendar_file(local, index, zone, monday))
        availability.replace_import(user, result, f"{local}-calendar.ics")
        count += len(result.busy)
    return count


def book_scheduled(users: dict[str, User]) -> int:
    """Create and book a loop (the engine's first option, as a recruiter would) for every candidate whose stage
    says Scheduled, so their stage and their loops agree."""
    from coordinator.loops import services as loops

    booked = 0
    scheduled = select(Candidate).where(Candidate.stage == CandidateStage.SCHEDULED.value)
    for candidate in list(db.session.scalars(scheduled)):
        recruiter = db.session.get(User, candidate.job.recruiter_id)
        loop = loops.create_loop(candidate, recruiter)
        try:
            result, sessions = loops.find_times(loop)
        except loops.LoopError:
            continue
        if not result.options:
            continue
        loops.book(loop, loops.option_placements(sessions, result.options[0]), recruiter,
                   override_reason="Demo data: booked from the first option.")
        booked += 1
    return booked
