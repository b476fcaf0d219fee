"""The scheduling engine: proposes times for interview loops over plain data (no Flask, no database).

Public API::

    find_options(request, calendars) -> FindResult
    validate_request(request, calendars=None)            # raises PlanError
    find_replacements(interval, candidates, exclude_ids=()) -> list[Replacement]
    check_placement(placed, request, calendars) -> PlacementCheck
"""

from .checks import check_placement, find_replacements
from .engine import DEFAULT_NODE_BUDGET, block_layout, find_options
from .models import (
    ARRANGEMENTS,
    SESSION_KINDS,
    CandidateAvailability,
    FindResult,
    Interval,
    InterviewerCalendar,
    LoopRequest,
    Option,
    Person,
    PlacedSession,
    PlacementCheck,
    Reason,
    Replacement,
    SessionSpec,
    office_hours,
    window_from_dates,
)
from .validation import FieldError, PlanError, validate_request

__all__ = [
    "ARRANGEMENTS",
    "DEFAULT_NODE_BUDGET",
    "SESSION_KINDS",
    "CandidateAvailability",
    "FieldError",
    "FindResult",
    "Interval",
    "InterviewerCalendar",
    "LoopRequest",
    "Option",
    "Person",
    "PlacedSession",
    "PlacementCheck",
    "PlanError",
    "Reason",
    "Replacement",
    "SessionSpec",
    "block_layout",
    "check_placement",
    "find_options",
    "find_replacements",
    "office_hours",
    "validate_request",
    "window_from_dates",
]
