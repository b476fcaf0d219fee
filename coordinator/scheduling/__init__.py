"""The scheduling engine: proposes times for interview loops over plain data (no Flask, no database).

Public API::

    find_options(request, calendars) -> FindResult
    validate_request(request, calendars=None)            # raises PlanError
    find_replacements(interval, candidates, exclude_ids=()) -> list[Replacement]
    check_placement(placed, request, calendars) -> PlacementCheck
    free_starts(calendar, start, end, duration_min) -> list[Interval]   # when one person could begin

Rules (see the docstrings of LoopRequest, Option and engine for the details):

* Every participant (interviewers and shadows) must be inside their working hours, converted per local date so
  daylight-saving changes apply wherever they fall, and free of busy blocks widened by their own buffers
  (``buffer_before_min`` free before an interview, ``buffer_after_min`` after it; between two of their own
  sessions the larger of the two). Existing interviews are busy and count towards the limits.
* Load limits: ``max_per_day`` per local day and ``max_per_week`` per ISO week, both in the person's zone,
  counting existing interviews plus every session of the option they sit in (shadows included).
* The candidate's windows (or any time, with ``windows=None``) bound every session and the short gaps between
  back-to-back sessions, not the long breaks; start times are on a ``granularity_min`` grid that restarts at each
  of the candidate's local midnights. A session may run past the candidate's midnight when the windows allow.
* back_to_back: one block whose sessions all start on one candidate-local day, exactly ``buffer_min`` between
  sessions, and a ``long_break_min`` gap instead wherever continuous interviewing (short gaps included) would
  otherwise exceed ``max_continuous_min``. spread: sessions in order, at least ``buffer_min`` apart, at most
  ``max_sessions_per_day`` starting on one candidate-local day, later sessions as early as possible
  (lexicographically earliest start times).
* Complete: whenever an itinerary exists in the window on the grid, one is offered and the first option is the
  earliest; every combination of pool members is reachable (see :mod:`.engine`). ``node_budget`` is a guard:
  ``FindResult.exhausted`` says the search stopped early.
* Pools and fairness: among staffings at the same times the engine keeps the smallest :func:`fairness_key`
  (descending weekly loads: lowest maximum, then the most even spread), ties broken least loaded first.
* Ranking: earliest start, then fewer days, then fairer load, then less idle time for the candidate.
* Reasons for an empty answer are verified (:mod:`.truth`): each one's constraint alone, relaxed, makes the loop
  fit; otherwise the combining constraints are named.
* Variety: options start at least ``min_option_gap_min`` (60) apart and at most ``max_options_per_day`` (2)
  start on the same candidate-local day, unless the window has no other days with room, in which case the
  list is topped up with the earliest remaining starts.
"""

from . import models
from .checks import check_placement, find_replacements, free_starts, seat_findings
from .engine import DEFAULT_NODE_BUDGET, block_layout, fairness_key, find_options
from .models import *  # noqa: F403 - the engine's plain data is part of the API, exactly as models.__all__ lists it
from .validation import FieldError, PlanError, validate_request

__all__ = [
    *models.__all__,
    "DEFAULT_NODE_BUDGET",
    "FieldError",
    "PlanError",
    "block_layout",
    "fairness_key",
    "check_placement",
    "find_options",
    "find_replacements",
    "free_starts",
    "seat_findings",
    "validate_request",
]
