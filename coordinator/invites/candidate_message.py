"""The candidate's message: the per-job (or per-loop) template a recruiter writes, its placeholders, and the text
filled in for one invitation."""

from __future__ import annotations

import string
from datetime import datetime

from coordinator.loops.models import Loop
from coordinator.mail import one_line
from coordinator.timeutil import format_day, to_local

#: what a candidate message may name; filled per e-mail
PLACEHOLDERS = {
    "candidate_name": "the candidate's full name",
    "first_name": "the candidate's first name",
    "job_title": "the job's title",
    "recruiter_name": "your name",
    "first_day": "the day of the first interview, in the candidate's zone",
}


def check_message_template(text: str) -> None:
    """Refuses (ValueError, with a message for the form) a template with a placeholder that is not one of
    PLACEHOLDERS or with an unmatched brace."""
    try:
        names = [name for _, name, spec, conv in string.Formatter().parse(text or "") if name is not None]
    except ValueError as exc:
        raise ValueError("A { or } has no partner. Write placeholders as {first_name}; a brace on its own as {{ "
                         "or }}.") from exc
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValueError("Unknown placeholder " + ", ".join("{" + n + "}" for n in unknown) + ". Use: "
                         + ", ".join("{" + n + "}" for n in PLACEHOLDERS) + ".")


def message_template(loop: Loop) -> str:
    """The candidate's message for this loop: the loop's own, else the job's (empty: the standard text)."""
    return (loop.candidate_message or loop.candidate.job.candidate_message or "").strip()


def candidate_message(loop: Loop, first_start: datetime | None) -> str:
    """The loop's candidate message with its placeholders filled; empty when there is none (or it cannot be
    filled: the standard text is used then, never a half-filled one)."""
    template = message_template(loop)
    if not template:
        return ""
    candidate = loop.candidate
    values = {
        "candidate_name": one_line(candidate.name, 160), "first_name": one_line(candidate.name, 160).split(" ")[0],
        "job_title": one_line(candidate.job.title), "recruiter_name": one_line(loop.recruiter.name, 160),
        "first_day": format_day(to_local(first_start, candidate.timezone).date(), long=True) if first_start else "",
    }
    try:
        check_message_template(template)
        return template.format(**values)
    except (ValueError, KeyError, IndexError):
        return ""
