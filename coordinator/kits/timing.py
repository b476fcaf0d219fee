"""What an interview kit says beyond the stored data: the timing plan of a session and the STAR reminder.

Plain functions, no Flask and no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["STAR", "TimingStep", "timing_plan"]

#: the evidence an interviewer collects for every answer to a behavioral question
STAR: tuple[tuple[str, str], ...] = (
    ("Situation", "Where and when was it? What was at stake?"),
    ("Task", "What was the candidate's own responsibility, as opposed to the team's?"),
    ("Action", "What did they do themselves? Ask for “I”, not “we”."),
    ("Result", "What came of it, with numbers where possible? What would they do differently?"),
)


@dataclass(frozen=True)
class TimingStep:
    label: str
    minutes: int
    #: minutes from the start of the session
    offset_min: int
    #: detail under the label (the question asked, what to watch for)
    detail: str = ""
    #: the clock time, when the session is booked
    start_dt: datetime | None = None


def _split(total: int, parts: int) -> list[int]:
    """`total` minutes in `parts` near-equal whole-minute blocks, the larger ones first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def timing_plan(duration_min: int, kind: str, questions: Sequence[tuple[str, str]] = (),
                area_names: Sequence[str] = (), start: datetime | None = None) -> list[TimingStep]:
    """A minute-by-minute plan for one session that adds up to its length.

    `questions` are (short text, focus area name) in the order the interviewer asks them. A practical gets time
    for the exercise itself before the discussion. When there is too little time for one block per question, the
    questions share one block.
    """
    duration = max(1, int(duration_min))
    if duration >= 60:
        opening, closing, wrap = 5, 10, 3
    elif duration >= 30:
        opening, closing, wrap = 5, 5, 2
    elif duration >= 15:
        opening, closing, wrap = 2, 3, 1
    else:
        opening, closing, wrap = 0, 0, 0
    middle = duration - opening - closing - wrap
    steps: list[tuple[str, int, str]] = []
    if opening:
        steps.append(("Welcome and introductions", opening,
                      "Introduce yourself and your focus areas; tell the candidate how the time is split."))
    if kind == "practical" and middle >= 10:
        exercise = max(5, round(middle * 0.6))
        steps.append(("The exercise", exercise,
                      "The candidate works through or presents the case; note what they do, interrupt little."))
        middle -= exercise
    about = ", ".join(area_names) if area_names else "your focus areas"
    if questions and middle >= 3 * len(questions):
        for (text, area), minutes in zip(questions, _split(middle, len(questions)), strict=True):
            steps.append((f"Question: {area}" if area else "Question", minutes, text))
    elif questions:
        steps.append(("Your questions", middle, f"{len(questions)} questions on {about}."))
    else:
        steps.append(("Your questions", middle, f"Questions and probes on {about}."))
    if closing:
        steps.append(("The candidate's questions", closing, "Leave them this time; it tells you what they care about."))
    if wrap:
        steps.append(("Wrap-up", wrap, "Thank them and say what happens next; take your notes while they are fresh."))
    plan: list[TimingStep] = []
    offset = 0
    for label, minutes, detail in steps:
        plan.append(TimingStep(label, minutes, offset, detail,
                               start + timedelta(minutes=offset) if start is not None else None))
        offset += minutes
    return plan
