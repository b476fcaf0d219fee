"""The kinds of interview session (plain Python: invites, reminders and the engine read them without the database)."""

from __future__ import annotations

from coordinator.enums import LabelledEnum


class SessionKind(LabelledEnum):
    ONE_ON_ONE = "one_on_one", "One-on-one"
    PANEL = "panel", "Panel"
    PRACTICAL = "practical", "Practical"
