"""Column types shared by the models, the CHECK that keeps an enum column to its values, and the two helpers every
link table uses (its key, keeping its rows in step)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

from coordinator.enums import sql_in
from coordinator.timeutil import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC.

    PostgreSQL keeps it as timestamptz; SQLite has no zone support, so the value is stored as naive UTC and
    made aware again on the way out. A naive datetime is refused at the edge instead of being guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        utc = as_utc(value)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def epoch_seconds(column: Any, dialect: str, *, up: bool = False) -> Any:
    """SQL for a UTCDateTime column as whole Unix seconds, rounded down (or `up`): for reading thousands of instants
    in the form the scheduling engine computes with, with no datetime built per row. SQLite stores naive UTC text
    ("2026-12-05 10:00:00.250000"), PostgreSQL timestamptz."""
    from sqlalchemy import BigInteger, Integer, cast, func

    if dialect == "sqlite":
        whole = cast(func.strftime("%s", column), Integer)
        if not up:
            return whole
        return whole + (cast(func.substr(column, 21), Integer) > 0)  # any fraction of a second rounds up
    epoch = func.extract("epoch", column)
    return cast(func.ceil(epoch) if up else func.floor(epoch), BigInteger)


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """The CHECK constraint that keeps `column` to the enum's stored values (NULL passes), named `<column>_known`
    unless `name` says otherwise: the database refuses a value the code does not know."""
    return CheckConstraint(f"{column} IN ({sql_in(values)})", name=name or f"{column}_known")


def link_key(target: str, ondelete: str = "CASCADE", *, index: bool = False) -> MappedColumn[Any]:
    """One column of a link table's primary key, pointing at `target` ("focus_areas.id"). `index` serves lookups
    from that side (every link of one focus area); the key's own index serves the first column."""
    return mapped_column(ForeignKey(target, ondelete=ondelete), primary_key=True, index=index)


def sync_links(rows: Mapping[int, Any], wanted: Sequence[int], add: Callable[[int, int], object],
               drop: Callable[[Any], object], *, ordered: bool = True) -> None:
    """Bring a link table's rows (keyed by the id they link to) in step with `wanted`: `drop` each row not wanted,
    `add(id, position)` each missing one, and, for an `ordered` table, renumber the rows kept."""
    for key, row in rows.items():
        if key not in wanted:
            drop(row)
    for position, key in enumerate(wanted):
        row = rows.get(key)
        if row is None:
            add(key, position)
        elif ordered:
            row.position = position
