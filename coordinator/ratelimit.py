"""Rate limits counted in the database, so every worker and host shares them: sign-in (auth.throttle), the
candidate's page (portal.access) and anything later.

A feature keeps one row per attempt in its own table (a `created_dt` column and whatever it counts by); a
`Counter` tallies the rows of the window, says how long to wait, adds a row and forgets old ones. A refusal is a
429 with Retry-After (`too_many`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response
from sqlalchemy import ColumnElement, case, delete, func, select

from coordinator.extensions import db


@dataclass(frozen=True)
class Tally:
    """What the window holds for one key: how many rows, how many of them flagged (failures), first and last."""

    count: int
    flagged: int
    oldest: datetime | None
    newest: datetime | None


@dataclass(frozen=True)
class Counter:
    """Attempts of one kind: `model` is the table, rows older than `window` no longer count, older than `keep`
    are deleted."""

    model: Any
    window: timedelta
    keep: timedelta = timedelta(days=1)

    def tally(self, *where: ColumnElement[bool], now: datetime, flag: Any = None) -> Tally:
        """The rows matching `where` in the window ending `now`; `flag` (a boolean column) counts a subset."""
        created = self.model.created_dt
        flagged = func.coalesce(func.sum(case((flag.is_(True), 1), else_=0)), 0) if flag is not None else 0
        count, flagged_count, oldest, newest = db.session.execute(
            select(func.count(self.model.id), flagged, func.min(created), func.max(created))
            .where(*where, created > now - self.window)
        ).one()
        return Tally(count or 0, int(flagged_count or 0), oldest, newest)

    def until_window_clears(self, tally: Tally, now: datetime) -> int:
        """Seconds until the oldest counted row leaves the window (at least one)."""
        return wait_seconds((tally.oldest or now) + self.window - now)

    def note(self, now: datetime, **values: Any) -> None:
        """Count one attempt, and forget those older than `keep`."""
        db.session.add(self.model(created_dt=now, **values))
        self.forget(self.model.created_dt < now - self.keep)

    def forget(self, *where: ColumnElement[bool]) -> None:
        db.session.execute(delete(self.model).where(*where))


def wait_seconds(delta: timedelta) -> int:
    """A wait as the whole seconds a Retry-After header gives (rounded up, at least one)."""
    return max(1, math.ceil(delta.total_seconds()))


def too_many(body: str, seconds: int) -> Response:
    """The refusal: a 429 page that says when to come back."""
    return Response(body, 429, headers={"Retry-After": str(seconds)})
