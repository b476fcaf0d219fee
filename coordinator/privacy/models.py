"""The retention policy an admin sets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.dbtypes import UTCDateTime
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class RetentionPolicy(db.Model):
    """One row: how long candidates who were not hired (or withdrew) are kept after their last change."""

    __tablename__ = "retention_policy"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),
                      CheckConstraint("not_hired_days IS NULL OR not_hired_days BETWEEN 1 AND 3650",
                                      name="days_range"))

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    #: days after the decision (the candidate's last change) before erasure; None keeps them
    not_hired_days: Mapped[int | None] = mapped_column()
    #: who set it last
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was set
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
