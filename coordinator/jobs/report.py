"""What one run of a job did, as counts the scheduler logs and the CLI prints ("claimed 3, sent 2, ...")."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar


@dataclass
class Report:
    """A job's counts; `SHOWN` names the ones its one-line summary lists, in order."""

    SHOWN: ClassVar[tuple[str, ...]] = ()

    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return ", ".join(f"{name} {getattr(self, name)}" for name in self.SHOWN)

    def add(self, other: Report) -> None:
        """Add another report's counts to this one (a run made of several transactions)."""
        for f in fields(self):
            if f.name != "errors":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.errors.extend(other.errors)


@dataclass
class SendingReport(Report):
    """A run that claims work and sends it (outbox delivery, reminders): what it took and what became of it."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
