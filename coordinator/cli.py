"""flask commands: bootstrap, seed-demo, create-admin."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from coordinator.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(create_admin_command)

    from coordinator.jobs.commands import (
        inbound_command,
        scheduler_command,
        send_outbox_command,
        send_reminders_command,
        sync_reminders_command,
    )

    app.cli.add_command(scheduler_command)
    app.cli.add_command(inbound_command)
    app.cli.add_command(send_outbox_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(sync_reminders_command)


def _print_summary(summary) -> None:
    click.echo(f"Demo organisation loaded: {summary.jobs} jobs, {summary.candidates} candidates.")
    click.echo("Sign in with any of these (password shown):")
    for roles, email, password in summary.logins:
        click.echo(f"  {roles:<32} {email:<36} {password}")


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Wipe all data first, then load the demo again.")
def seed_demo_command(reset: bool) -> None:
    """Load the demo organisation (refuses if there are users already, unless --reset)."""
    from coordinator.demo import DemoAlreadyLoaded, seed_demo

    try:
        summary = seed_demo(reset=reset)
    except DemoAlreadyLoaded as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    _print_summary(summary)


@click.command("bootstrap")
def bootstrap_command() -> None:
    """Bring the schema up to date and load the demo on an empty database; print where to sign in."""
    from coordinator.auth.services import count_users
    from coordinator.demo import DEMO_PASSWORD, PEOPLE, demo_email, seed_demo

    upgrade()
    if count_users() == 0:
        summary = seed_demo()
        db.session.commit()
        _print_summary(summary)
    else:
        from coordinator.loops.state import settle_due

        if settle_due():  # loops whose interviews ended while the app was stopped; stages drifted before #22
            db.session.commit()
        click.echo(f"Database ready. Demo logins (if unchanged): {demo_email(PEOPLE[0][0])} / {DEMO_PASSWORD}")
    click.echo(f"Open {current_app.config['BASE_URL']}/")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--timezone", default="UTC", show_default=True)
@click.password_option()
def create_admin_command(email: str, name: str, timezone: str, password: str) -> None:
    """Create an admin account (the first account of a production install)."""
    from coordinator.auth.roles import Role
    from coordinator.auth.services import AccountError, UserData, create_user

    try:
        create_user(UserData(email=email, name=name, job_title="", timezone=timezone,
                             roles=frozenset({Role.ADMIN})), password=password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Admin {email} created.")
