"""Where a candidate's name or address reached outside the rows that belong to them, and how to blank it.

The rows that belong to a candidate are found by foreign keys (services.collect). But their name also travels as
text into rows that belong to someone else: the accepted invite "Interview: Sofia García - System design" becomes
a busy block in an interviewer's imported calendar, the calendar import notes it, a sign-in attempt may carry
their address, the audit log keeps details typed by people, another loop's history may name them. Those rows are
found here by their text, the way a person would spot the name: ignoring case, accents and repeated spaces
("SOFIA GARCIA" is "Sofía García"), and only as a whole name or address, never inside a longer word.

A name that another candidate or a staff member also bears is not searched for (only the address is): the text
could be about either of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy

from sqlalchemy import LargeBinary, String, Table, and_, case, cast, func, literal_column, or_, select

from coordinator.dblock import TEXT_KEY_FUNCTION, text_key
from coordinator.extensions import db

MARKER = "[candidate]"
#: text is read in batches of this many rows
BATCH = 500
#: rows of these tables are never rewritten: staff accounts (a colleague may share the name), the schema's version
NEVER_REDACTED = {"users", "user_roles", "alembic_version"}
#: columns that hold another candidate's identity (a namesake's own name is not a mention)
IDENTITY_COLUMNS = {("candidates", "name"), ("candidates", "email")}
#: the outbox is handled by services.collect: a message that names the candidate is deleted, not rewritten
WHOLE_ROW_TABLES = {"outbox_messages"}
#: shorter columns hold codes (an action, a status, an address of a client), not a name
MIN_TEXT_LENGTH = 100
_PRIVATE_LINK = re.compile(r"(/c/)[A-Za-z0-9_-]{16,}")


def fold(text: str) -> tuple[str, list[int]]:
    """`text` without accents, case-folded, runs of white space as one space; and for each character of the
    result, the index of the character of `text` it came from."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                where.append(i)
    return "".join(out), where


@dataclass
class Matcher:
    """Finds and blanks whole-word occurrences of some names or addresses, in any case and with or without
    accents."""

    needles: list[str]
    folded: list[str] = field(init=False)
    _pieces: list[tuple[list[str], list[str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.folded = sorted({fold(n)[0].strip() for n in self.needles if fold(n)[0].strip()}, key=len, reverse=True)
        self._pieces = self.fragments()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) slices of `text` that are one of the needles, merged where they overlap."""
        if not text or not self.folded or not self._may_mention(text):
            return []
        flat, where = fold(text)
        found: list[tuple[int, int]] = []
        for needle in self.folded:
            start = flat.find(needle)
            while start != -1:
                end = start + len(needle)
                if _standalone(flat, start, end, "@" in needle):
                    first, last = where[start], where[end - 1] + 1
                    while last < len(text) and unicodedata.combining(text[last]):
                        last += 1
                    found.append((first, last))
                start = flat.find(needle, start + 1)
        merged: list[tuple[int, int]] = []
        for first, last in sorted(found):
            if merged and first <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged

    def mentions(self, text: str | None) -> bool:
        return bool(self.spans(text or ""))

    def redact(self, text: str) -> str:
        """`text` with every occurrence replaced by the `[candidate]` marker."""
        for first, last in reversed(self.spans(text)):
            text = text[:first] + MARKER + text[last:]
        return text

    def fragments(self) -> list[tuple[list[str], list[str]]]:
        """Per needle, what a text naming it must hold, for the database to ask before each row found is checked
        here: its words as `text_key` gives them, in order ("Sofía García" -> "sofia", "garcia"), and the words
        that have no plain letters at all (a name in another script), compared as written."""
        found = []
        for needle in self.needles:
            words = needle.split()
            keyed = [key for key in (text_key(w) for w in words) if key]
            others = sorted({w for w in words if not text_key(w)})
            if keyed or others:
                found.append((keyed, others))
        return found

    def _may_mention(self, text: str) -> bool:
        """A quick test before the exact one: the words of some needle appear, accents and case aside."""
        plain = text_key(text) or ""
        low = text.casefold()
        pieces = self._pieces
        return any(all(w in plain for w in keyed) and all(w.casefold() in low for w in rest) for keyed, rest in pieces)


def _like_in_order(words: list[str]) -> str:
    """A LIKE pattern (escape "/") for text holding these words in this order."""
    return "%" + "%".join(w.replace("/", "//").replace("%", "/%").replace("_", "/_") for w in words) + "%"


def sql_key(column):
    """`column` as `text_key` gives it, in SQL, computed only for text that is not plain ASCII (which is only
    lower-cased): SQLite calls `text_key` itself; PostgreSQL (13 or newer) decomposes with normalize(NFKD) and
    drops what is not ASCII, the same steps."""
    if db.engine.dialect.name == "sqlite":
        plain = func.length(column) == func.length(cast(column, LargeBinary))
        return case((plain, func.lower(column)), else_=getattr(func, TEXT_KEY_FUNCTION)(column))
    plain = func.octet_length(column) == func.char_length(column)
    decomposed = func.normalize(column, literal_column("NFKD"))
    stripped = func.regexp_replace(decomposed, r"[^\x01-\x7f]", "", "g")
    return case((plain, func.lower(column)), else_=func.lower(stripped))


def _standalone(flat: str, start: int, end: int, address: bool) -> bool:
    """Not part of a longer word (a name) or of a longer address ("xada@example.com", "ada@example.com.au")."""
    before = flat[start - 1] if start else " "
    after = flat[end] if end < len(flat) else " "
    joined = "._%+-@" if address else "_@"
    if before.isalnum() or before in joined:
        return False
    if after == "." and address:
        return not flat[end + 1 : end + 2].isalnum()
    return not (after.isalnum() or after in joined.replace(".", ""))


def matcher_for(name: str, email: str, candidate_id: int | None) -> Matcher:
    """The candidate's address, and their full name unless a colleague or another candidate shares it."""
    needles = [email] if email else []
    folded_name = fold(name)[0].strip()
    if len(folded_name) >= 4 and not _namesake(folded_name, candidate_id):
        needles.append(name)
    return Matcher(needles)


def _namesake(folded_name: str, candidate_id: int | None) -> bool:
    candidates, users = db.metadata.tables["candidates"], db.metadata.tables["users"]
    first_word = folded_name.split()[0]
    piece = max(re.findall(r"[a-z0-9]+", first_word), key=len, default=first_word)
    others = db.session.execute(
        select(candidates.c.name).where(
            candidates.c.id != candidate_id, candidates.c.name.icontains(piece, autoescape=True)
        )
    )
    staff = db.session.execute(select(users.c.name).where(users.c.name.icontains(piece, autoescape=True)))
    return any(fold(row.name)[0].strip() == folded_name for row in [*others, *staff])


def text_columns(table: Table) -> list:
    """The columns of `table` that hold text a person could have typed."""
    return [
        c
        for c in table.columns
        if isinstance(c.type, String)
        and (c.type.length is None or c.type.length >= MIN_TEXT_LENGTH)
        and (table.name, c.name) not in IDENTITY_COLUMNS
    ]


@dataclass
class Mention:
    """One row outside the candidate's own rows whose text names them: which columns, and the row."""

    table: Table
    key: tuple
    columns: list[str]
    row: object


def find(
    matcher: Matcher, skip: dict[Table, set[tuple]], tables: set[str] | None = None, include_whole_rows: bool = False
) -> Iterator[Mention]:
    """Rows (outside `skip`, the candidate's own rows by primary key) whose text mentions the candidate: of
    `tables`, or of every table but staff accounts (and the outbox, whose rows are deleted whole, unless asked)."""
    pieces = matcher.fragments()
    if not pieces:
        return
    for table in db.metadata.sorted_tables:
        if tables is not None:
            if table.name not in tables:
                continue
        elif table.name in NEVER_REDACTED or (table.name in WHOLE_ROW_TABLES and not include_whole_rows):
            continue
        columns = text_columns(table)
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        condition = or_(
            *(
                and_(
                    *([sql_key(c).like(_like_in_order(keyed), escape="/")] if keyed else []),
                    *(c.icontains(w, autoescape=True) for w in others),
                )
                for c in columns
                for keyed, others in pieces
            )
        )
        query = select(table).where(condition).order_by(*keys)
        for row in db.session.execute(query.execution_options(yield_per=BATCH)):
            key = tuple(row._mapping[k.name] for k in keys)
            if key in skip.get(table, ()):
                continue
            hit = [c.name for c in columns if matcher.mentions(row._mapping[c.name])]
            if hit:
                yield Mention(table, key, hit, row)


def message_mentions(matcher: Matcher, data: bytes | None) -> bool:
    """The stored e-mail (headers and every text part, decoded) names the candidate."""
    return any(matcher.mentions(text) for text in _message_texts(data))


def readable_message(data: bytes | None) -> str:
    """A stored e-mail as a person reads it (the headers that matter and its text parts), with the candidate's
    private page link blanked: an export is not the place for a key that still opens their page."""
    return _PRIVATE_LINK.sub(r"\1[private link removed]", "\n\n".join(_message_texts(data, with_html=False)))


def _message_texts(data: bytes | None, with_html: bool = True) -> list[str]:
    if not data:
        return []
    try:
        msg = message_from_bytes(bytes(data), policy=email_policy.default)
        texts = ["\n".join(f"{h}: {msg[h]}" for h in ("From", "To", "Subject", "Date") if msg[h] is not None)]
        for part in msg.walk():
            if part.get_content_maintype() == "text" and (with_html or part.get_content_subtype() != "html"):
                texts.append(part.get_content())
        return texts
    except Exception:  # noqa: BLE001 - a message that cannot be parsed is read as the bytes it is
        return [bytes(data).decode("utf-8", "replace")]


def lower_equals(column, value: str):
    """`column` equals `value` ignoring letter case (addresses are compared so)."""
    return func.lower(column) == value.lower()
