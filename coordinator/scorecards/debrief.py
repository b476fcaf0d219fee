"""The debrief of a loop: its scorecards read into a matrix of interviewers and focus areas (`build_debrief`),
the aggregation (spread, consensus, disagreement flags, the tally of recommendations) as plain functions over plain
data, and the CSV export.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coordinator import timeutil
from coordinator.extensions import db
from coordinator.focus.models import FocusArea
from coordinator.focus.rating import Rating, Recommendation
from coordinator.loops.models import Loop, SessionStatus
from coordinator.scorecards.models import STAR_FIELDS, CardState
from coordinator.scorecards.services import Seat, assigned_areas, job_area_order, loop_scorecards, loop_seats

# --- the debrief: plain functions over plain data --------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One expected scorecard in the debrief matrix."""

    key: tuple[int, int]
    session_title: str
    interviewer: str
    state: CardState
    due: datetime | None = None
    submitted_dt: datetime | None = None
    is_late: bool = False
    recommendation: Recommendation | None = None
    takeaways: str = ""


@dataclass(frozen=True)
class Cell:
    """One interviewer's entry for one area: rated, not assessed, or assigned but not submitted yet."""

    rating: Rating | None = None
    is_not_assessed: bool = False
    reason: str = ""
    evidence: tuple[tuple[str, str], ...] = ()
    notes: str = ""
    is_pending: bool = False


@dataclass
class AreaSummary:
    area_id: int
    name: str
    ratings: list[Rating]
    #: max - min, in points of the 4-point scale
    spread: int
    mean: float | None
    #: the rating the team agrees on (nearest the mean), None when split across the middle or unrated
    consensus: Rating | None
    flags: list[str]
    #: (interviewer, reason) of those who marked it not assessed
    not_assessed: list[tuple[str, str]]
    #: interviewers it is assigned to who have not submitted yet
    pending: int

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)

    @property
    def nobody_assessed(self) -> bool:
        return not self.ratings

    @property
    def consensus_label(self) -> str:
        if not self.ratings:
            return "—"
        return self.consensus.label if self.consensus else "Split"


@dataclass
class Debrief:
    areas: list[tuple[int, str]]
    columns: list[Column]
    cells: dict[tuple[int, tuple[int, int]], Cell]
    summaries: list[AreaSummary]
    #: [(recommendation, count)] best first, including zeros
    tally: list[tuple[Recommendation, int]]
    recommendation_flags: list[str]

    @property
    def submitted(self) -> list[Column]:
        return [c for c in self.columns if c.state == CardState.SUBMITTED]

    @property
    def missing(self) -> list[Column]:
        return [c for c in self.columns if c.state != CardState.SUBMITTED]

    @property
    def overdue(self) -> list[Column]:
        return [c for c in self.columns if c.state == CardState.OVERDUE]

    @property
    def flagged(self) -> list[AreaSummary]:
        return [s for s in self.summaries if s.is_flagged]

    @property
    def unassessed(self) -> list[AreaSummary]:
        return [s for s in self.summaries if s.nobody_assessed]

    def cell(self, area_id: int, column: Column) -> Cell | None:
        return self.cells.get((area_id, column.key))


def consensus_of(ratings: Sequence[Rating]) -> Rating | None:
    """The rating nearest the mean when every rating is on the same side of the scale (ties go to the less
    extreme one); None when ratings straddle the middle or there are none."""
    if not ratings or len({r.is_positive for r in ratings}) > 1:
        return None
    mean = sum(r.score for r in ratings) / len(ratings)
    return min(Rating, key=lambda r: (abs(r.score - mean), abs(r.score - 2.5)))


def summarize_area(area_id: int, name: str, cells: Sequence[tuple[str, Cell]]) -> AreaSummary:
    """Spread, consensus and disagreement flags of one area from its cells [(interviewer, cell)]."""
    ratings = [c.rating for _, c in cells if c.rating is not None]
    scores = [r.score for r in ratings]
    spread = max(scores) - min(scores) if scores else 0
    flags = []
    if spread >= 2:
        low, high = min(ratings, key=lambda r: r.score), max(ratings, key=lambda r: r.score)
        flags.append(f"Ratings {spread} points apart ({low.label} and {high.label})")
    if any(r.is_positive for r in ratings) and not all(r.is_positive for r in ratings):
        flags.append("Yes and No side by side")
    return AreaSummary(
        area_id=area_id, name=name, ratings=ratings, spread=spread,
        mean=round(sum(scores) / len(scores), 1) if scores else None, consensus=consensus_of(ratings),
        flags=flags, not_assessed=[(who, c.reason) for who, c in cells if c.is_not_assessed],
        pending=sum(1 for _, c in cells if c.is_pending))


def tally_recommendations(recommendations: Iterable[Recommendation | None]) -> tuple[list[tuple[Recommendation, int]],
                                                                                     list[str]]:
    given = [r for r in recommendations if r is not None]
    counts = Counter(given)
    flags = []
    if any(r.is_positive for r in given) and not all(r.is_positive for r in given):
        flags.append("Hire and no-hire recommendations side by side")
    return [(r, counts.get(r, 0)) for r in reversed(Recommendation)], flags


def contradictions(areas: Sequence[tuple[int, str]], columns: Sequence[Column],
                   cells: Mapping[tuple[int, tuple[int, int]], Cell]) -> list[str]:
    """Interviewers whose area ratings say the opposite of their overall recommendation: every area they rated on
    the other side of the scale, or one at the opposite extreme (Strong no beside Hire, Strong yes beside No hire)."""
    out = []
    for c in columns:
        if c.state != CardState.SUBMITTED or c.recommendation is None:
            continue
        rated = [(name, cells[(area_id, c.key)].rating) for area_id, name in areas
                 if (area_id, c.key) in cells and cells[(area_id, c.key)].rating is not None]
        against = [(name, r) for name, r in rated if r.is_positive != c.recommendation.is_positive]
        extreme = Rating.STRONG_NO if c.recommendation.is_positive else Rating.STRONG_YES
        if against and (len(against) == len(rated) or any(r == extreme for _, r in against)):
            said = ", ".join(f"{name} {r.label}" for name, r in against)
            out.append(f"{c.interviewer} recommends {c.recommendation.label} but rated {said}")
    return out


def aggregate(areas: Sequence[tuple[int, str]], columns: Sequence[Column],
              cells: Mapping[tuple[int, tuple[int, int]], Cell]) -> Debrief:
    """The debrief of a loop from plain data: the matrix, a summary per area, the tally of recommendations."""
    summaries = []
    names = {c.key: c.interviewer for c in columns}
    for area_id, name in areas:
        area_cells = [(names[c.key], cells[(area_id, c.key)]) for c in columns if (area_id, c.key) in cells]
        summaries.append(summarize_area(area_id, name, area_cells))
    tally, flags = tally_recommendations(c.recommendation for c in columns if c.state == CardState.SUBMITTED)
    flags += contradictions(areas, columns, cells)
    return Debrief(areas=list(areas), columns=list(columns), cells=dict(cells), summaries=summaries, tally=tally,
                   recommendation_flags=flags)


# --- reading a loop's scorecards into it ------------------------------------------------------------------------------

def build_debrief(loop: Loop, now: datetime | None = None) -> tuple[Debrief, list[Seat]]:
    """Read the loop's scorecards and assignments (a fixed number of queries) and aggregate them. Only submitted
    scorecards contribute ratings; an interviewer's draft shows as missing."""
    now = now or timeutil.now_utc()
    job = loop.candidate.job
    order = job_area_order(job.id)
    cards = loop_scorecards(loop)
    seats = loop_seats(loop, cards, now)
    live_sessions = [s for s in loop.sessions if s.status == SessionStatus.BOOKED.value]
    assigned = assigned_areas(live_sessions, order)
    area_names: dict[int, str] = {}
    if order:
        area_names.update(db.session.execute(select(FocusArea.id, FocusArea.name)
                                             .where(FocusArea.id.in_(list(order)))).all())
    columns: list[Column] = []
    cells: dict[tuple[int, tuple[int, int]], Cell] = {}
    for seat in seats:
        card = seat.scorecard
        submitted = card is not None and card.is_submitted
        recommendation = Recommendation(card.recommendation) if submitted and card.recommendation else None
        columns.append(Column(key=seat.key, session_title=seat.session.title, interviewer=seat.user.name,
                              state=seat.state, due=seat.due, submitted_dt=card.submitted_dt if card else None,
                              is_late=seat.is_late, recommendation=recommendation,
                              takeaways=card.takeaways if submitted else ""))
        if submitted:
            for row in card.areas:
                area_names.setdefault(row.focus_area_id, row.focus_area.name)
                cells[(row.focus_area_id, seat.key)] = Cell(
                    rating=Rating(row.rating) if row.rating else None, is_not_assessed=row.is_not_assessed,
                    reason=row.not_assessed_reason,
                    evidence=tuple((label, getattr(row, name)) for name, label, _ in STAR_FIELDS),
                    notes=row.notes)
        else:
            for area in assigned.get(seat.key, []):
                area_names.setdefault(area.id, area.name)
                cells[(area.id, seat.key)] = Cell(is_pending=True)
    area_list = sorted(area_names.items(), key=lambda item: (order.get(item[0], len(order)), item[1]))
    return aggregate(area_list, columns, cells), seats


# --- the CSV export --------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_HEADER = ("Candidate", "Job", "Session", "Interviewer", "Scorecard", "Submitted (UTC)", "Focus area", "Rating",
              "Score (1-4)", "Not assessed because", "Situation", "Task", "Action", "Result", "Notes",
              "Overall recommendation", "Key takeaways")


def csv_export(loop: Loop, debrief: Debrief) -> str:
    """One row per interviewer and focus area (one row for a scorecard without areas); drafts export no content."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    names = dict(debrief.areas)
    candidate, job = loop.candidate.name, loop.candidate.job.title
    for column in debrief.columns:
        submitted = timeutil.format_utc_stamp(column.submitted_dt) if column.submitted_dt and \
            column.state == CardState.SUBMITTED else ""
        base = [candidate, job, column.session_title, column.interviewer, column.state.label, submitted]
        tail = [column.recommendation.label if column.recommendation else "", column.takeaways]
        rows = [(area_id, debrief.cells[(area_id, column.key)]) for area_id, _ in debrief.areas
                if (area_id, column.key) in debrief.cells]
        if not rows:
            writer.writerow([csv_cell(v) for v in base + [""] * 9 + tail])
        for area_id, cell in rows:
            evidence = dict(cell.evidence)
            writer.writerow([csv_cell(v) for v in base + [
                names.get(area_id, ""),
                cell.rating.label if cell.rating else ("Not assessed" if cell.is_not_assessed else ""),
                cell.rating.score if cell.rating else "", cell.reason,
                *(evidence.get(label, "") for _, label, _ in STAR_FIELDS), cell.notes] + tail])
    return out.getvalue()
