"""Request diagnostics for benchmarks: the number of SQL statements a request ran, as a response header.

Off unless COORDINATOR_QUERY_COUNT_HEADER is set: the benchmark uses it to prove that pages issue the same number
of queries on a small and a large organisation (no query per row).
"""

from __future__ import annotations

from flask import Flask, g, has_request_context
from sqlalchemy import event

from coordinator.extensions import db

HEADER = "X-Query-Count"


def install(app: Flask) -> None:
    if not app.config.get("QUERY_COUNT_HEADER"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        if has_request_context() and not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            g._query_count = g.get("_query_count", 0) + 1

    @app.after_request
    def _header(response):
        response.headers[HEADER] = str(g.get("_query_count", 0))
        return response
