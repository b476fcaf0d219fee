"""The poll job: a database that fails for a while is logged once, waited out and recovered from; a bug is not
mistaken for an outage."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from coordinator.reminders import jobs


@pytest.fixture
def fresh_health(monkeypatch):
    monkeypatch.setattr(jobs, "health", jobs.DatabaseHealth())


def test_a_database_that_fails_three_times_is_logged_once_and_recovered_from(app, monkeypatch, caplog,
                                                                             fresh_health):
    calls = {"n": 0}
    real = jobs.process_due

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return real(**kwargs)

    monkeypatch.setattr(jobs, "process_due", flaky)
    caplog.set_level(logging.INFO, logger="coordinator.reminders")
    for _ in range(3):
        assert jobs.poll(app) is None  # logged, not raised: the scheduler carries on
    assert jobs.health.down_since is not None
    jobs.poll(app)
    assert jobs.health.down_since is None
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "cannot be reached (connection refused)" in m]) == 1
    assert len([m for m in messages if "answers again" in m]) == 1


def test_a_broken_statement_is_not_an_outage(app, monkeypatch, fresh_health):
    def broken(**kwargs):
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(jobs, "process_due", broken)
    with pytest.raises(ProgrammingError):
        jobs.poll(app)  # the scheduler's guard logs it with its traceback
    assert jobs.health.down_since is None
