"""The kinds of interview session and of loop arrangement (plain Python: the engine, invites and reminders read them
without the database)."""

from __future__ import annotations

from coordinator.enums import LabelledEnum


class SessionKind(LabelledEnum):
    ONE_ON_ONE = "one_on_one", "One-on-one"
    PANEL = "panel", "Panel"
    PRACTICAL = "practical", "Practical"


class Arrangement(LabelledEnum):
    BACK_TO_BACK = "back_to_back", "Back-to-back"
    SPREAD = "spread", "Spread over several days"
