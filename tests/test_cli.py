"""The demo organisation and the bootstrap command a new user runs first."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator.auth.models import User, UserRole
from coordinator.auth.roles import Role
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, Job


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_demo_loads_a_realistic_organisation_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.coordinator.test" in result.output and "demo-password" in result.output

    def holders(role):
        return db.session.scalars(select(User).join(UserRole).where(UserRole.role == role.value)).all()

    assert len(holders(Role.ADMIN)) == 1
    assert len(holders(Role.RECRUITER)) == 2
    assert len(holders(Role.HIRING_MANAGER)) == 3
    interviewers = holders(Role.INTERVIEWER)
    assert len(interviewers) >= 12
    assert len({u.timezone for u in interviewers}) >= 3
    assert all(u.working_hours for u in interviewers)
    assert _count(Job) == 3 and _count(Candidate) == 8

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "--reset" in again.output
    assert _count(Candidate) == 8

    reset = runner.invoke(args=["seed-demo", "--reset"])
    assert reset.exit_code == 0 and _count(Candidate) == 8 and _count(Job) == 3


def test_demo_logins_work_for_each_role(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    for local, expected in (("admin", "Users"), ("rita", "Candidates to schedule"), ("hannah", "Open jobs"),
                            ("jonas", "My interviews")):
        client = app.test_client()
        response = client.post("/login", data={"email": f"{local}@demo.coordinator.test", "password": "demo-password"})
        assert response.status_code == 302
        assert expected in client.get("/").get_data(as_text=True)


def test_bootstrap_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0 and "Demo organisation loaded" in first.output
    second = runner.invoke(args=["bootstrap"])
    assert second.exit_code == 0 and "Demo organisation loaded" not in second.output
    assert _count(Candidate) == 8


def test_create_admin_command(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "root@example.com", "--name", "Root",
                                                "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.com"))
    assert user.has_role(Role.ADMIN)
    short = app.test_cli_runner().invoke(args=["create-admin", "--email", "r2@example.com", "--name", "R",
                                               "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
