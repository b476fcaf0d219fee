"""Checks a loop request before any searching, so mistakes come back as field messages, not as "no options".

A request that cannot be right (a panel of one, a reversed window, an interviewer nobody has a calendar for) is
refused with :class:`PlanError`, which lists every problem at once with the field it belongs to, so a form can
show them next to the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from coordinator import timeutil

from .models import ARRANGEMENTS, SESSION_KINDS, InterviewerCalendar, LoopRequest

__all__ = ["MAX_SESSION_MIN", "MAX_WINDOW_DAYS", "FieldError", "PlanError", "as_calendar_map", "validate_request"]

MAX_SESSION_MIN = 8 * 60
MAX_WINDOW_DAYS = 184  # keeps the work bounded; half a year is far beyond any real interview loop


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem, tied to the request field it concerns (``sessions[2].duration_min``, ``window``...)."""

    field: str
    message: str


class PlanError(ValueError):
    """The request is malformed; ``errors`` lists every problem found, each with its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(dict.fromkeys(errors))
        super().__init__(" ".join(e.message for e in self.errors) or "invalid request")

    def messages(self) -> list[str]:
        """Just the texts, in order (for a flash message or a form-level error)."""
        return [e.message for e in self.errors]

    def for_field(self, name: str) -> list[str]:
        return [e.message for e in self.errors if e.field == name or e.field.startswith(name + ".")]


CalendarsArg = Mapping[int, InterviewerCalendar] | Iterable[InterviewerCalendar]


def as_calendar_map(calendars: CalendarsArg | None) -> dict[int, InterviewerCalendar]:
    """Accept either ``{id: calendar}`` or a plain list of calendars."""
    if calendars is None:
        return {}
    if isinstance(calendars, Mapping):
        return dict(calendars)
    return {c.id: c for c in calendars}


def _check_tz(name: str, field: str, errors: list[FieldError], what: str) -> None:
    try:
        timeutil.get_zone(name)
    except timeutil.InvalidTimeZone:
        errors.append(FieldError(field, f"{what} has an unknown time zone {name!r}."))


def _check_calendar(cal: InterviewerCalendar, errors: list[FieldError]) -> None:
    base = f"calendars[{cal.id}]"
    _check_tz(cal.tz, f"{base}.tz", errors, cal.name)
    for weekday, windows in cal.working_hours.items():
        if not 0 <= weekday <= 6:
            errors.append(
                FieldError(f"{base}.working_hours", f"{cal.name}: weekday {weekday} is not 0 (Mon)..6 (Sun).")
            )
        for start, end in windows:
            if not start < end:
                errors.append(
                    FieldError(
                        f"{base}.working_hours",
                        f"{cal.name}: working hours {start:%H:%M}–{end:%H:%M} end before they start.",
                    )
                )
    for name in ("max_per_day", "max_per_week", "buffer_before_min", "buffer_after_min"):
        if getattr(cal, name) < 0:
            errors.append(FieldError(f"{base}.{name}", f"{cal.name}: {name.replace('_', ' ')} cannot be negative."))


def validate_request(request: LoopRequest, calendars: CalendarsArg | None = None) -> None:
    """Raise :class:`PlanError` listing every problem in ``request``; return ``None`` if it can be searched.

    With ``calendars`` the interviewer ids are checked too (and the calendars' own zones and hours).
    """
    errors: list[FieldError] = []
    cal_map = as_calendar_map(calendars) if calendars is not None else None

    if not request.sessions:
        errors.append(FieldError("sessions", "Add at least one session to the loop."))
    for i, s in enumerate(request.sessions):
        base = f"sessions[{i}]"
        label = f"'{s.title}'" if s.title else f"Session {i + 1}"
        if s.kind not in SESSION_KINDS:
            errors.append(
                FieldError(f"{base}.kind", f"{label}: unknown kind {s.kind!r} (one_on_one, panel or practical).")
            )
        if not 0 < s.duration_min <= MAX_SESSION_MIN:
            errors.append(
                FieldError(
                    f"{base}.duration_min", f"{label} must last between 1 minute and 8 hours (got {s.duration_min})."
                )
            )
        if s.prep_min < 0:
            errors.append(FieldError(f"{base}.prep_min", f"{label}: preparation time cannot be negative."))
        if s.pool_ids and not 1 <= s.pool_count <= len(set(s.pool_ids)):
            errors.append(
                FieldError(
                    f"{base}.pool_count",
                    f"{label} asks for {s.pool_count} from a pool of {len(set(s.pool_ids))}.",
                )
            )
        if len(set(s.interviewer_ids)) != len(s.interviewer_ids) or len(set(s.shadow_ids)) != len(s.shadow_ids):
            errors.append(FieldError(f"{base}.interviewer_ids", f"{label} lists the same person twice."))
        if set(s.interviewer_ids) & set(s.pool_ids):
            errors.append(
                FieldError(f"{base}.pool_ids", f"{label}: someone is both a fixed interviewer and in the pool.")
            )
        if set(s.shadow_ids) & (set(s.interviewer_ids) | set(s.pool_ids)):
            errors.append(
                FieldError(f"{base}.shadow_ids", f"{label}: a shadow cannot also interview in the same session.")
            )
        n = s.interviewer_count
        if s.kind == "panel" and n < 2:
            errors.append(
                FieldError(
                    f"{base}.interviewer_ids", f"{label} is a panel and needs at least 2 interviewers (has {n})."
                )
            )
        elif s.kind == "one_on_one" and n != 1:
            errors.append(
                FieldError(
                    f"{base}.interviewer_ids",
                    f"{label} is a one-on-one and needs exactly 1 interviewer, fixed or from the pool (has {n}).",
                )
            )
        elif s.kind == "practical" and n < 1:
            errors.append(FieldError(f"{base}.interviewer_ids", f"{label} needs at least 1 interviewer."))
        if cal_map is not None:
            for field_name, ids in (
                ("interviewer_ids", s.interviewer_ids),
                ("pool_ids", s.pool_ids),
                ("shadow_ids", s.shadow_ids),
            ):
                for pid in ids:
                    if pid not in cal_map:
                        errors.append(FieldError(f"{base}.{field_name}", f"{label}: no calendar for person id {pid}."))

    ws, we = request.window_start, request.window_end
    aware = all(d.tzinfo is not None and d.utcoffset() is not None for d in (ws, we))
    if not aware:
        errors.append(FieldError("window", "The window start and end must include a time zone."))
    elif we <= ws:
        errors.append(FieldError("window", "The window ends before it starts (or is empty)."))
    elif we - ws > timedelta(days=MAX_WINDOW_DAYS):
        errors.append(FieldError("window", f"The window is longer than {MAX_WINDOW_DAYS} days."))

    _check_tz(request.candidate.tz, "candidate.tz", errors, "The candidate")
    if request.arrangement not in ARRANGEMENTS:
        errors.append(
            FieldError("arrangement", f"Unknown arrangement {request.arrangement!r} (back_to_back or spread).")
        )
    positive = (
        "granularity_min",
        "options_wanted",
        "max_continuous_min",
        "max_sessions_per_day",
        "max_options_per_day",
    )
    for name in positive:
        if getattr(request, name) < 1:
            errors.append(FieldError(name, f"{name.replace('_', ' ').capitalize()} must be at least 1."))
    for name in ("buffer_min", "long_break_min", "min_option_gap_min"):
        if getattr(request, name) < 0:
            errors.append(FieldError(name, f"{name.replace('_', ' ').capitalize()} cannot be negative."))
    if request.long_break_min < request.buffer_min:
        errors.append(
            FieldError("long_break_min", "The long break cannot be shorter than the buffer between sessions.")
        )
    if request.granularity_min > 24 * 60:
        errors.append(FieldError("granularity_min", "Granularity cannot exceed a day."))

    if cal_map is not None:
        used = {pid for s in request.sessions for pid in s.all_person_ids}
        for pid in sorted(used):
            if pid in cal_map:
                _check_calendar(cal_map[pid], errors)

    if errors:
        raise PlanError(errors)
