"""A session's place on the board before the recruiter confirms it: held here, so nothing is booked (and nobody
is invited) until then, and a reload or a second tab shows the same board."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.loops.models import LoopSession
from coordinator.timeutil import now_utc


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


class BoardDraft(db.Model):
    """Where and with whom one session would happen, as placed on the board and checked, not yet booked."""

    __tablename__ = "board_drafts"

    #: the session (one draft each)
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"), primary_key=True)
    #: its loop, to read a board's drafts in one query
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    #: the placed start (UTC)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who interviews, as comma-separated user ids (named ones and pool picks)
    interviewer_ids: Mapped[str] = mapped_column(String(500), default="")
    #: who shadows, as comma-separated user ids
    shadow_ids: Mapped[str] = mapped_column(String(500), default="")
    #: the soft problems the recruiter accepted for this place, one per line
    accepted_problems: Mapped[str] = mapped_column(Text, default="")
    #: why they were accepted
    reason: Mapped[str] = mapped_column(Text, default="")
    #: who placed it last
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was placed last
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    session: Mapped[LoopSession] = relationship()

    @property
    def interviewers(self) -> tuple[int, ...]:
        return _ids(self.interviewer_ids)

    @property
    def shadows(self) -> tuple[int, ...]:
        return _ids(self.shadow_ids)

    @property
    def problems(self) -> list[str]:
        return [line for line in self.accepted_problems.splitlines() if line]
