"""The availability services on SQLite and PostgreSQL: import replacement, the one-query read, rollbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coordinator.auth.roles import Role
from coordinator.auth.services import UserData, create_user
from coordinator.availability import services as availability
from coordinator.availability.calendar_import import BusyBlock as ParsedBlock
from coordinator.availability.calendar_import import ImportResult
from coordinator.availability.models import BusyBlock, CalendarImport
from coordinator.extensions import db
from coordinator.hiring.services import CandidateData, JobData, create_candidate, create_job
from coordinator.scheduling import Interval
from tests.helpers import Clock


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(clock: Clock) -> None:
    clock.set(utc(2030, 3, 1))


def person(email: str, tz: str = "Europe/Berlin", *roles: Role):
    return create_user(UserData(email=email, name=email.split("@")[0].title(), job_title="", timezone=tz,
                                roles=frozenset(roles or {Role.INTERVIEWER})))


def result(*spans: tuple[datetime, datetime, str], problems: tuple[str, ...] = ()) -> ImportResult:
    return ImportResult(busy=[ParsedBlock(s, e, summary) for s, e, summary in spans], problems=list(problems),
                        event_count=len(spans), skipped_count=len(problems))


def test_replace_import_swaps_only_the_imported_blocks(any_db_app):
    anna, ben = person("anna@example.com"), person("ben@example.com", "America/New_York")
    availability.add_manual_block(anna, utc(2030, 3, 12, 11), utc(2030, 3, 12, 12), "Lunch")
    availability.replace_import(anna, result((utc(2030, 3, 10, 9), utc(2030, 3, 10, 10), "Standup"),
                                             (utc(2030, 3, 11, 9), utc(2030, 3, 11, 10), "Standup")), "a.ics")
    availability.replace_import(ben, result((utc(2030, 3, 10, 14), utc(2030, 3, 10, 15), "Sync")), "b.ics")
    db.session.commit()

    record = availability.replace_import(
        anna, result((utc(2030, 3, 13, 8), utc(2030, 3, 13, 9), "x" * 300), problems=("Skipped event 'A'", "B")),
        "second.ics")
    db.session.commit()
    assert (record.filename, record.event_count, record.block_count, record.problems) == (
        "second.ics", 1, 1, "Skipped event 'A'\nB")
    rows = db.session.execute(select(BusyBlock.user_id, BusyBlock.source, BusyBlock.start_dt, BusyBlock.summary)
                              .order_by(BusyBlock.user_id, BusyBlock.start_dt)).all()
    assert [(r.user_id, r.source, r.start_dt) for r in rows] == [
        (anna.id, "manual", utc(2030, 3, 12, 11)), (anna.id, "import", utc(2030, 3, 13, 8)),
        (ben.id, "import", utc(2030, 3, 10, 14))]
    assert len(rows[1].summary) == availability.SUMMARY_MAX_CHARS
    assert db.session.scalar(select(func.count()).select_from(CalendarImport)) == 2

    result_by_user = availability.busy_blocks_for([anna.id, ben.id], utc(2030, 3, 10), utc(2030, 3, 14))
    assert result_by_user == {
        anna.id: [Interval(utc(2030, 3, 12, 11), utc(2030, 3, 12, 12)),
                  Interval(utc(2030, 3, 13, 8), utc(2030, 3, 13, 9))],
        ben.id: [Interval(utc(2030, 3, 10, 14), utc(2030, 3, 10, 15))],
    }


def test_an_import_that_is_not_committed_leaves_the_old_one(any_db_app):
    anna = person("anna@example.com")
    availability.replace_import(anna, result((utc(2030, 3, 10, 9), utc(2030, 3, 10, 10), "Old")), "old.ics")
    db.session.commit()
    availability.replace_import(anna, result((utc(2030, 3, 11, 9), utc(2030, 3, 11, 10), "New")), "new.ics")
    db.session.rollback()  # what the request does when anything fails after the service ran
    assert db.session.scalars(select(BusyBlock.summary)).all() == ["Old"]
    assert db.session.scalar(select(CalendarImport.filename)) == "old.ics"


def test_a_large_import_is_stored_in_one_go(any_db_app):
    anna = person("anna@example.com")
    start = utc(2030, 1, 1)
    spans = [(start + timedelta(hours=i), start + timedelta(hours=i, minutes=30), f"Event {i}") for i in range(3000)]
    availability.replace_import(anna, result(*spans), "big.ics")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(BusyBlock)) == 3000


def test_candidate_windows_for_reads_one_candidate(any_db_app):
    recruiter = person("rita@example.com", "Europe/Berlin", Role.RECRUITER)
    manager = person("hannah@example.com", "Europe/Berlin", Role.HIRING_MANAGER)
    job = create_job(JobData(title="Engineer", department="Data", hiring_manager_id=manager.id,
                             recruiter_id=recruiter.id))
    first = create_candidate(CandidateData(name="Rohan", email="r@example.org", timezone="Asia/Kolkata", job_id=job.id))
    second = create_candidate(CandidateData(name="Ada", email="a@example.org", timezone="Europe/London", job_id=job.id))
    availability.add_candidate_window(first, utc(2030, 3, 30, 8, 30), utc(2030, 3, 30, 11, 30))
    availability.add_candidate_window(first, utc(2030, 4, 2, 4), utc(2030, 4, 2, 6))
    availability.add_candidate_window(second, utc(2030, 3, 30, 8), utc(2030, 3, 30, 9))
    db.session.commit()
    assert availability.candidate_windows_for(first.id, utc(2030, 3, 1), utc(2030, 4, 1)) == [
        Interval(utc(2030, 3, 30, 8, 30), utc(2030, 3, 30, 11, 30))]
    assert len(availability.upcoming_candidate_windows(first)) == 2
