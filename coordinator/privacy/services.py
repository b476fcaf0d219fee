"""Everything stored about one candidate, found by following foreign keys from the candidate row.

Following the schema rather than a hand-kept list means a table added later (a new feature's rows about a loop)
is exported and erased without anyone remembering to add it here. Rows that reach the candidate only through a
"SET NULL" key (an outbox e-mail about their loop) are included too, as are messages sent to their address.
People's accounts, the audit log and sign-in attempts are never walked into.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, delete, or_, select, tuple_

from coordinator.audit import services as audit
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.timeutil import now_utc

#: tables never walked into: accounts and security records are about staff, not the candidate
NOT_CANDIDATE_DATA = {"users", "user_roles", "working_hours", "audit_events", "login_attempts", "role_policies",
                      "retention_policy", "alembic_version", "jobs"}
#: columns left out of an export (secrets, not information about the candidate)
SECRET_COLUMNS = {"token_hash", "password_hash", "session_token", "totp_secret", "feed_token_hash"}
ERASABLE_STAGES = (CandidateStage.NOT_HIRED.value, CandidateStage.WITHDRAWN.value)


def _pk(table: Table, row) -> tuple:
    return tuple(row._mapping[c.name] for c in table.primary_key.columns)


def collect(candidate: Candidate) -> dict[Table, list]:
    """Every row about the candidate, per table, parents before children."""
    found: dict[Table, dict[tuple, Any]] = defaultdict(dict)
    candidates = db.metadata.tables["candidates"]
    for row in db.session.execute(select(candidates).where(candidates.c.id == candidate.id)):
        found[candidates][_pk(candidates, row)] = row
    changed = True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            if table.name in NOT_CANDIDATE_DATA:
                continue
            for fk in table.foreign_keys:
                parent = fk.column.table
                if parent not in found or parent is table:
                    continue
                values = {row._mapping[fk.column.name] for row in found[parent].values()}
                new_rows = []
                for chunk in _chunks(sorted(values, key=str), 500):
                    new_rows += db.session.execute(select(table).where(fk.parent.in_(chunk))).all()
                for row in new_rows:
                    key = _pk(table, row)
                    if key not in found[table]:
                        found[table][key] = row
                        changed = True
    _add_messages_to_address(found, candidate.email)
    order = {t: i for i, t in enumerate(db.metadata.sorted_tables)}
    return {t: list(rows.values()) for t, rows in sorted(found.items(), key=lambda kv: order[kv[0]])}


def _add_messages_to_address(found: dict, email: str) -> None:
    for table in db.metadata.sorted_tables:
        if "recipient" in table.c and table.name not in NOT_CANDIDATE_DATA:
            for row in db.session.execute(select(table).where(table.c.recipient == email)):
                found[table].setdefault(_pk(table, row), row)


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    return value


def export(candidate: Candidate, actor) -> dict:
    """The GDPR access request: everything stored about the candidate, as one JSON-ready document."""
    data = {table.name: [{k: _jsonable(v) for k, v in row._mapping.items() if k not in SECRET_COLUMNS}
                         for row in rows]
            for table, rows in collect(candidate).items()}
    audit.record("candidate.exported", "candidate", candidate.id, actor=actor,
                 detail=f"{sum(len(r) for r in data.values())} rows")
    return {"candidate": candidate.name, "exported_at": now_utc().isoformat(), "data": data}


def erase(candidate: Candidate, actor, reason: str, automatic: bool = False) -> int:
    """Delete every row about the candidate, children first; leave one audit entry that names nobody."""
    rows = collect(candidate)
    name, email = candidate.name, candidate.email
    total = 0
    for table in reversed(list(rows)):
        keys = [_pk(table, r) for r in rows[table]]
        columns = list(table.primary_key.columns)
        for chunk in _chunks(keys, 500):
            if len(columns) == 1:
                condition = columns[0].in_([k[0] for k in chunk])
            else:
                condition = tuple_(*columns).in_(chunk)
            total += db.session.execute(delete(table).where(condition)).rowcount or 0
    safe_reason = reason
    for word in (name, email, *name.split()):
        if word and len(word) > 2:
            safe_reason = safe_reason.replace(word, "[candidate]")
    db.session.expunge(candidate)  # its row is gone
    audit.record("candidate.erased_by_retention" if automatic else "candidate.erased", "candidate", None,
                 actor=actor, actor_label="" if actor else "system",
                 detail=f"{total} rows; reason: {safe_reason}"[:480])
    db.session.flush()
    return total


def policy():
    from coordinator.privacy.models import RetentionPolicy

    return db.session.get(RetentionPolicy, 1)


def set_policy(days: int | None, actor) -> None:
    from coordinator.privacy.models import RetentionPolicy

    if days is not None and not 1 <= days <= 3650:
        raise ValueError("Keep candidates between 1 and 3650 days, or leave it empty to keep them.")
    row = policy() or RetentionPolicy(id=1)
    db.session.add(row)
    row.not_hired_days, row.updated_by_id, row.updated_dt = days, actor.id, now_utc()
    audit.record("privacy.retention_changed", actor=actor, detail=f"not_hired_days={days}")


def expired_candidates(now: datetime | None = None) -> list[Candidate]:
    """Candidates not hired (or withdrawn) whose last change is older than the policy allows."""
    row = policy()
    if row is None or row.not_hired_days is None:
        return []
    cutoff = (now or now_utc()) - timedelta(days=row.not_hired_days)
    return list(db.session.scalars(
        select(Candidate).where(Candidate.stage.in_(ERASABLE_STAGES), Candidate.updated_dt < cutoff)
    ))


def mentions(candidate_name: str, candidate_email: str) -> list[str]:
    """Tables with a text value that still contains the name or the address (used to prove an erasure)."""
    hits = []
    for table in db.metadata.sorted_tables:
        if table.name == "audit_events":
            continue
        text_columns = [c for c in table.columns if _has_python_type(c) and c.type.python_type in (str, bytes)]
        if not text_columns:
            continue
        needles = [candidate_name, candidate_email]
        conditions = [c.contains(n) if c.type.python_type is str else c.contains(n.encode())
                      for c in text_columns for n in needles]
        if db.session.execute(select(table).where(or_(*conditions)).limit(1)).first():
            hits.append(table.name)
    return hits


def _has_python_type(column) -> bool:
    try:
        return column.type.python_type is not None
    except NotImplementedError:
        return False
