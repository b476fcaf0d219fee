"""Everything stored about one candidate: found by following foreign keys from the candidate row, and by the text
that names them elsewhere (coordinator.privacy.reach); exported for an access request and erased on request.

Following the schema rather than a hand-kept list means a table added later (a new feature's rows about a loop)
is exported and erased without anyone remembering to add it here. Rows that reach the candidate only through a
"SET NULL" key (an outbox e-mail about their loop) are included too, as are messages sent to their address or
naming them, and the visits to their page (counted by the hash of their links). People's accounts, the audit log
and sign-in attempts are never deleted: where their text names the candidate it is blanked to "[candidate]".

What an export holds (it answers a data-subject request, so it is what the candidate may read): every row about
them, submitted feedback included; never an interviewer's unsubmitted draft (private to its author until
submitted), never a secret (token hashes, and the private link inside the e-mails that carried it).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, tuple_, update

from coordinator import dblock
from coordinator.audit import services as audit
from coordinator.extensions import db
from coordinator.hiring.models import Candidate, CandidateStage
from coordinator.privacy import reach
from coordinator.timeutil import now_utc

#: tables never walked into: accounts and security records are about staff, not the candidate
NOT_CANDIDATE_DATA = {"users", "user_roles", "working_hours", "audit_events", "login_attempts", "role_policies",
                      "retention_policy", "alembic_version", "jobs"}
#: columns left out of an export (secrets, not information about the candidate)
SECRET_COLUMNS = {"token_hash", "password_hash", "session_token", "totp_secret", "feed_token_hash"}
ERASABLE_STAGES = (CandidateStage.NOT_HIRED.value, CandidateStage.WITHDRAWN.value)
#: columns an export shows beside the text that names the candidate, so the row can be understood
CONTEXT_COLUMNS = {"audit_events": ["action"], "login_attempts": ["ip", "succeeded"]}
#: what the candidate did on their own page is audited with this label, and the address they did it from
CANDIDATE_ACTOR = "candidate"


def _pk(table: Table, row) -> tuple:
    return tuple(row._mapping[c.name] for c in table.primary_key.columns)


def collect(candidate: Candidate, matcher: reach.Matcher | None = None) -> dict[Table, list]:
    """Every row about the candidate, per table, parents before children."""
    matcher = matcher or reach.matcher_for(candidate.name, candidate.email, candidate.id)
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
    _add_messages(found, candidate.email, matcher)
    _add_page_visits(found)
    order = {t: i for i, t in enumerate(db.metadata.sorted_tables)}
    return {t: list(rows.values()) for t, rows in sorted(found.items(), key=lambda kv: order[kv[0]]) if rows}


def _add_messages(found: dict, email: str, matcher: reach.Matcher) -> None:
    """E-mails to the candidate's address, and e-mails whose subject or text names them (a message whose loop is
    gone is read whole)."""
    for table in db.metadata.sorted_tables:
        if "recipient" in table.c and table.name not in NOT_CANDIDATE_DATA:
            for row in db.session.execute(select(table).where(reach.lower_equals(table.c.recipient, email))):
                found[table].setdefault(_pk(table, row), row)
    outbox = db.metadata.tables["outbox_messages"]
    for mention in reach.find(matcher, {}, tables={outbox.name}):
        found[outbox].setdefault(mention.key, mention.row)
    orphans = select(outbox).where(outbox.c.loop_id.is_(None)).order_by(outbox.c.id)
    for row in db.session.execute(orphans.execution_options(yield_per=reach.BATCH)).all():
        if _pk(outbox, row) not in found[outbox] and reach.message_mentions(matcher, row.message):
            found[outbox][_pk(outbox, row)] = row


def _add_page_visits(found: dict) -> None:
    """The visits to the candidate's page: kept a day for its rate limits, with the address they came from."""
    links, hits = db.metadata.tables["candidate_links"], db.metadata.tables["candidate_portal_hits"]
    hashes = sorted({row.token_hash for row in found.get(links, {}).values()})
    for chunk in _chunks(hashes, 500):
        for row in db.session.execute(select(hits).where(hits.c.token_hash.in_(chunk))):
            found[hits].setdefault(_pk(hits, row), row)


def _own_page_audit(rows: dict[Table, list]) -> list:
    """Audit entries of what the candidate did on their page (booking, their times): they hold their address."""
    loop_ids = sorted({row.id for row in rows.get(db.metadata.tables["loops"], [])})
    events = db.metadata.tables["audit_events"]
    found = []
    for chunk in _chunks(loop_ids, 500):
        found += db.session.execute(select(events).where(
            events.c.actor_id.is_(None), events.c.actor_label == CANDIDATE_ACTOR, events.c.target_type == "loop",
            events.c.target_id.in_(chunk)).order_by(events.c.id)).all()
    return found


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


def _drafts(rows: dict[Table, list]) -> set:
    cards = db.metadata.tables["scorecards"]
    return {row.id for row in rows.get(cards, []) if row.status == "draft"}


def _exportable(table: Table, row, drafts: set) -> bool:
    if table.name == "scorecards":
        return row.id not in drafts
    return not any(fk.column.table.name == "scorecards" and row._mapping[fk.parent.name] in drafts
                   for fk in table.foreign_keys)


def _export_row(table: Table, row) -> dict:
    out = {k: _jsonable(v) for k, v in row._mapping.items() if k not in SECRET_COLUMNS}
    if table.name == "outbox_messages":
        out["message"] = reach.readable_message(row.message)
    return out


def _export_mention(table: Table, row, columns: list[str]) -> dict:
    keep = [c.name for c in table.primary_key.columns]
    keep += [c.name for c in table.columns if _has_python_type(c) and c.type.python_type is datetime]
    keep += CONTEXT_COLUMNS.get(table.name, [])
    return {k: _jsonable(row._mapping[k]) for k in dict.fromkeys([*keep, *columns])}


def export(candidate: Candidate, actor) -> dict:
    """The GDPR access request: everything stored about the candidate, as one JSON-ready document."""
    matcher = reach.matcher_for(candidate.name, candidate.email, candidate.id)
    rows = collect(candidate, matcher)
    drafts = _drafts(rows)
    data = {table.name: [_export_row(table, r) for r in table_rows if _exportable(table, r, drafts)]
            for table, table_rows in rows.items()}
    mentions: dict[str, list[dict]] = defaultdict(list)
    skip = {table: {_pk(table, r) for r in table_rows} for table, table_rows in rows.items()}
    for mention in reach.find(matcher, skip):
        mentions[mention.table.name].append(_export_mention(mention.table, mention.row, mention.columns))
    events = db.metadata.tables["audit_events"]
    named = {m["id"] for m in mentions.get(events.name, [])}
    for row in _own_page_audit(rows):
        if row.id not in named:
            mentions[events.name].append(_export_mention(events, row, ["action", "detail", "ip"]))
    audit.record("candidate.exported", "candidate", candidate.id, actor=actor,
                 detail=f"{sum(len(r) for r in data.values())} rows, {sum(len(r) for r in mentions.values())} "
                        f"mentions")
    return {
        "candidate": candidate.name, "exported_at": now_utc().isoformat(),
        "data": {name: table_rows for name, table_rows in data.items() if table_rows},
        "mentions": dict(mentions),
        "left_out": {
            "unsubmitted_scorecards": len(drafts),
            "why": "Scorecard drafts stay private to their interviewer until submitted; secrets (link and feed "
                   "token hashes, the private page link inside e-mails) are never exported.",
        },
    }


def preview(candidate: Candidate) -> tuple[dict[str, int], dict[str, int]]:
    """What an erasure would do, per table: rows deleted, and other rows whose text would be blanked."""
    matcher = reach.matcher_for(candidate.name, candidate.email, candidate.id)
    rows = collect(candidate, matcher)
    skip = {table: {_pk(table, r) for r in table_rows} for table, table_rows in rows.items()}
    blanked: dict[str, int] = defaultdict(int)
    for mention in reach.find(matcher, skip):
        blanked[mention.table.name] += 1
    return {table.name: len(table_rows) for table, table_rows in rows.items()}, dict(blanked)


def erase(candidate: Candidate, actor, reason: str, automatic: bool = False) -> int:
    """Delete every row about the candidate, children first, and blank their name and address wherever text
    elsewhere holds it; leave one audit entry that names nobody. On SQLite the file is checkpointed after the
    commit, so the erased text is not left in the write-ahead log."""
    name, email = candidate.name, candidate.email
    matcher = reach.matcher_for(name, email, candidate.id)
    rows = collect(candidate, matcher)
    skip = {table: {_pk(table, r) for r in table_rows} for table, table_rows in rows.items()}
    mentions = list(reach.find(matcher, skip))
    own_audit = [row.id for row in _own_page_audit(rows)]
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
    for mention in mentions:
        _blank(mention, matcher)
    events = db.metadata.tables["audit_events"]
    for chunk in _chunks(own_audit, 500):
        db.session.execute(update(events).where(events.c.id.in_(chunk)).values(ip=""))
    parts = [word for word in name.split() if len(word) > 2]
    safe_reason = reach.Matcher([name, email, *parts]).redact(reason)
    db.session.expunge(candidate)  # its row is gone
    audit.record("candidate.erased_by_retention" if automatic else "candidate.erased", "candidate", None,
                 actor=actor, actor_label="" if actor else "system",
                 detail=f"{total} rows deleted, {len(mentions)} mentions blanked; reason: {safe_reason}"[:480])
    db.session.flush()
    dblock.checkpoint_after_commit(db.session)
    return total


def _blank(mention: reach.Mention, matcher: reach.Matcher) -> None:
    table = mention.table
    values = {}
    for name in mention.columns:
        column = table.c[name]
        text = matcher.redact(mention.row._mapping[name])
        values[name] = text[:column.type.length] if column.type.length else text
    keys = list(table.primary_key.columns)
    db.session.execute(update(table).where(*(k == v for k, v in zip(keys, mention.key, strict=True)))
                       .values(**values))


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
    """Tables with a text that still names the candidate or holds their address, in any case or accents (used to
    prove an erasure). Staff accounts are not searched: a colleague may bear the same name."""
    matcher = reach.Matcher([candidate_name, candidate_email])
    hits = {mention.table.name for mention in reach.find(matcher, {}, include_whole_rows=True)}
    outbox = db.metadata.tables["outbox_messages"]
    for row in db.session.execute(select(outbox.c.message)).all():
        if reach.message_mentions(matcher, row.message):
            hits.add(outbox.name)
            break
    return sorted(hits)


def _has_python_type(column) -> bool:
    try:
        return column.type.python_type is not None
    except NotImplementedError:
        return False
