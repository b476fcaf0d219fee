"""`flask --app coordinator inbound` as its own process, as systemd runs it: it listens, reads an answer sent over
LMTP, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from coordinator.extensions import db
from tests.invites.outbox_support import free_port
from tests.invites.replies_support import REPLY_ADDRESS, booked_loop, reply_email, reply_ics, send, wait_read
from tests.invites.test_replies_clients import answers

ROOT = Path(__file__).resolve().parents[2]


def test_the_inbound_command_receives_an_answer_and_stops_on_sigterm(app, tmp_path):
    world = booked_loop(interviewers=1)
    person, session = world["people"][0], world["sessions"][0]
    db.session.commit()
    port = free_port()
    env = {
        **os.environ,
        "COORDINATOR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COORDINATOR_SECRET_KEY": "test",
        "COORDINATOR_BASE_URL": app.config["BASE_URL"],
        "COORDINATOR_REPLY_ADDRESS": REPLY_ADDRESS,
        "COORDINATOR_INBOUND_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "inbound.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "coordinator", "inbound"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "inbound.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the listener did not come up"
                time.sleep(0.1)
        ics = reply_ics("thunderbird", world["uids"][0], session.ical_sequence, person.email, "DECLINED")
        assert send(port, "lmtp", [(person.email, reply_email("thunderbird", ics, person.email))]) == [{}]
        wait_read(1)
        assert answers(session.id) == {person.email: "declined"}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
    assert code == 0, (tmp_path / "inbound.log").read_text()
