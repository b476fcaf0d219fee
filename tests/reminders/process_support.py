"""Running the real scheduler process in tests, and a TCP proxy that can cut a process off from PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LAUNCHER = [sys.executable, "-m", "tests.reminders.clocked_scheduler"]


class Scheduler:
    """`flask --app coordinator scheduler` in a subprocess, its output in a log file; `offset` (seconds) starts it
    through the test launcher with its clock that far ahead (tests/reminders/clocked_scheduler.py)."""

    def __init__(self, db_url: str, log: Path, *, offset: float = 0, batch: int = 500, env: dict | None = None,
                 outbox_interval: float = 1) -> None:
        self.log = log
        environment = {**os.environ, "COORDINATOR_DATABASE_URL": db_url, "COORDINATOR_SECRET_KEY": "test",
                       "COORDINATOR_REMINDER_BATCH_SIZE": str(batch),
                       "COORDINATOR_REMINDER_SYNC_INTERVAL_SECONDS": "3600",
                       "PYTHONUNBUFFERED": "1",
                       **(env or {})}
        for key in [k for k in environment if k.startswith("COORDINATOR_SMTP_") and k not in (env or {})]:
            del environment[key]  # no mail server unless the test starts one: messages are held
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [*LAUNCHER, "--offset", str(offset), "--", "--app", "coordinator", "scheduler", "--reminder-interval",
                 "1", "--outbox-interval", str(outbox_interval)],
                cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def wait_for(self, text: str, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.alive(), f"the scheduler exited ({self.proc.returncode}):\n{self.output()}"
            assert time.monotonic() < deadline, f"{text!r} not in the log after {timeout} s:\n{self.output()}"
            time.sleep(0.05)


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout} s\n{log()}"
        time.sleep(0.05)


class TCPProxy:
    """Forwards 127.0.0.1:<port> to a server. `cut()` drops every connection and refuses new ones (the database
    is unreachable); `restore()` lets connections through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = True
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update({client, upstream})
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self) -> None:
        self.open = False
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self._stop = True
        self.cut()
        self.listener.close()
