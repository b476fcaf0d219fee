"""The daily retention job: candidates past the retention period are erased, one commit per candidate (a failure
on one leaves the others erased)."""

from __future__ import annotations

from datetime import datetime

from coordinator.extensions import db
from coordinator.privacy.services import erase, expired_candidates


def erase_expired(now: datetime | None = None) -> int:
    """Erase each candidate past the retention period; returns how many."""
    erased = 0
    for candidate in expired_candidates(now):
        erase(candidate, None, "retention period over", automatic=True)
        db.session.commit()
        erased += 1
    return erased
