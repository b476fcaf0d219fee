"""Two small SQL functions the reports need that SQLite and PostgreSQL spell differently: an instant as seconds
since 1970 (differences between instants), and the UTC day number of an instant or a date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement):  # noqa: N801 - reads as a SQL function
    """Seconds since 1970-01-01 UTC of a timestamp column (a date: of its midnight UTC)."""

    type = Float()
    inherit_cache = True


class day_number(FunctionElement):  # noqa: N801
    """Days since 1970-01-01 of a timestamp (its UTC day) or a date."""

    type = Integer()
    inherit_cache = True


@compiles(epoch)
def _epoch_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(day_number)
def _day_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400) AS INTEGER)"


@compiles(day_number, "sqlite")
def _day_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday(date({compiler.process(element.clauses, **kw)})) - 2440587.5 AS INTEGER)"


class tenths(FunctionElement):  # noqa: N801
    """A number in tenths, truncated toward zero, as an integer (grouping durations to 0.1 h)."""

    type = Integer()
    inherit_cache = True


@compiles(tenths)
def _tenths_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(TRUNC({compiler.process(element.clauses, **kw)} * 10) AS INTEGER)"


@compiles(tenths, "sqlite")
def _tenths_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} * 10 AS INTEGER)"
