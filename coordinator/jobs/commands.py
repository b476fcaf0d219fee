"""flask commands of the scheduler: `scheduler` (the long-running process) and `send-outbox` (one round)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import current_app

from coordinator import timeutil


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("coordinator").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@click.command("scheduler")
@click.option("--outbox-interval", type=click.FloatRange(min=1), default=None,
              help="Seconds between outbox deliveries (default: OUTBOX_INTERVAL_SECONDS, else 30).")
@click.option("--reminder-interval", type=click.FloatRange(min=1), default=None,
              help="Seconds between reminder polls (default: COORDINATOR_REMINDER_INTERVAL_SECONDS, else 30).")
def scheduler_command(outbox_interval: float | None, reminder_interval: float | None) -> None:
    """Run the scheduled jobs (outbox delivery, reminders, ...) in this ONE process until SIGTERM or Ctrl-C."""
    from coordinator.jobs.scheduler import run_scheduler

    _configure_logging()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if outbox_interval is not None:
        app.config["OUTBOX_INTERVAL_SECONDS"] = outbox_interval
    if reminder_interval is not None:
        app.config["REMINDER_INTERVAL_SECONDS"] = reminder_interval
    drift = (timeutil.now_utc() - datetime.now(UTC)).total_seconds()
    if abs(drift) >= 1:  # only a test launcher moves the clock (tests/reminders/clocked_scheduler.py)
        logging.getLogger("coordinator.scheduler").warning(
            "the clock is %+.0f s off the system clock: a test clock, never in production", drift)
    if not (app.config.get("SMTP_HOST") or "").strip():
        logging.getLogger("coordinator.scheduler").warning(
            "no SMTP server configured (COORDINATOR_SMTP_HOST): invites are held in the outbox, not sent")
    run_scheduler(app)


@click.command("send-outbox")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=50, show_default=True,
              help="Messages claimed per round.")
def send_outbox_command(limit: int) -> None:
    """Deliver the outbox messages that are due, once, and say what happened."""
    from coordinator.invites.jobs import deliver_due

    _configure_logging()
    report = deliver_due(limit=limit)
    click.echo(f"Outbox: {report}.")
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)


@click.command("send-reminders")
def send_reminders_command() -> None:
    """Send the reminders that are due into the outbox, once, and say what happened."""
    from coordinator.reminders.jobs import process_due

    _configure_logging()
    report = process_due()
    click.echo(f"Reminders: {report}.")


@click.command("sync-reminders")
def sync_reminders_command() -> None:
    """Bring every active loop's reminders up to date with the loop (the scheduler does it every 10 minutes)."""
    from coordinator.reminders.jobs import sweep

    _configure_logging()
    click.echo(f"Reminders: {sweep()}.")


@click.command("inbound")
@click.option("--host", default=None, help="Address to listen on (default: COORDINATOR_INBOUND_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=None,
              help="Port (default: COORDINATOR_INBOUND_PORT, 8025).")
@click.option("--protocol", type=click.Choice(["lmtp", "smtp"]), default=None,
              help="LMTP for a mail server's lmtp transport (default), SMTP for a relay.")
def inbound_command(host: str | None, port: int | None, protocol: str | None) -> None:
    """Receive the reply address's mail (calendar answers) until SIGTERM or Ctrl-C; one per installation."""
    import signal
    import threading

    from coordinator.invites import inbound
    from coordinator.invites.jobs import read_replies

    _configure_logging()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    host = host or app.config["INBOUND_HOST"]
    port = app.config["INBOUND_PORT"] if port is None else port
    protocol = protocol or app.config["INBOUND_PROTOCOL"]
    log = logging.getLogger("coordinator.inbound")
    if not app.config.get("REPLY_ADDRESS"):
        log.warning("COORDINATOR_REPLY_ADDRESS is not set: invites name the recruiter as ORGANIZER, so calendars "
                    "answer them, not this listener")
    read_replies()  # what arrived while it was down
    reader = inbound.Reader(app)
    reader.start()
    controller = inbound.build(app, host, port, protocol=protocol, reader=reader)
    controller.start()
    log.info("listening for replies (%s) on %s:%s", protocol.upper(), host, controller.port)
    click.echo(f"listening {protocol} {host}:{controller.port}", err=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()
        reader.stop()
        log.info("stopped")
