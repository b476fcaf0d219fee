"""Enums whose members carry the words people read for them (plain Python: no Flask, no SQLAlchemy).

Each member is written as `NAME = "stored value", "Label"`, so the label lives beside the value and every page,
form, e-mail and CSV reads the same `.label`; nothing keeps a second table of labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any


class LabelledEnum(StrEnum):
    """A StrEnum (the stored value) with a `label` (what people read)."""

    _label: str

    def __new__(cls, value: str, label: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs, in definition order, for a select box."""
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value; the value itself when it is not (or no longer) a member."""
        try:
            return cls(value).label
        except ValueError:
            return value


class LabelOf:
    """A model's read-only attribute that shows a stored value as its enum's label, e.g.
    `status_label = LabelOf("status", JobStatus)`; an empty value (none chosen yet) reads as "". The enum is a
    LabelledEnum or any StrEnum whose members have a `label`."""

    def __init__(self, attribute: str, enum: type[StrEnum]) -> None:
        self.attribute = attribute
        self.enum = enum

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = getattr(obj, self.attribute)
        return self.enum(value).label if value else ""


def sql_in(values: Iterable[StrEnum]) -> str:
    """The members' values as a SQL list for a CHECK constraint: "'open', 'closed'"."""
    return ", ".join(f"'{v.value}'" for v in values)
