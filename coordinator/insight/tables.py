"""Each report as a table (a title, a header and rows of plain values): the page shows it beside its chart and the
CSV download writes the same rows, so the two never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordinator.insight import services as s
from coordinator.scorecards.models import Decision

#: the reports, in page order: (name in URLs, title)
REPORTS: tuple[tuple[str, str], ...] = (
    ("schedule", "Time to schedule"),
    ("changes", "Reschedules and cancels"),
    ("load", "Interviewer load"),
    ("scorecards", "Scorecards"),
    ("decisions", "Decisions by the promised date"),
    ("funnel", "Funnel per job"),
    ("self-booking", "Candidate self-booking"),
    ("calibration", "Calibration"),
)
TITLES = dict(REPORTS)


@dataclass
class Table:
    name: str
    header: Sequence[str]
    rows: list[Sequence[Any]]

    @property
    def title(self) -> str:
        return TITLES[self.name]


def _r(value: float | None, digits: int = 1) -> float | str:
    return "" if value is None else round(value, digits)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _dist_rows(ds: Sequence[s.Distribution]) -> list[list[Any]]:
    rows = [["count", *(d.count for d in ds)], ["median (h)", *(_r(d.median) for d in ds)],
            ["90th percentile (h)", *(_r(d.p90) for d in ds)], ["mean (h)", *(_r(d.mean) for d in ds)]]
    return rows + [[f"loops: {b}", *(d.buckets[n][1] for d in ds)] for n, (b, _) in enumerate(ds[0].buckets)]


def schedule(r: s.TimeToSchedule) -> Table:
    rows = [["loops created", r.loops, ""], *_dist_rows((r.to_booking, r.to_loop))]
    return Table("schedule", ("figure", "created → booked", "created → first interview"), rows)


def changes(r: s.Changes) -> Table:
    rows: list[Sequence[Any]] = [[k.label, "(all reasons)", k.events, k.loops, _r(k.per_loop, 2)] for k in r.kinds]
    rows += [[c.label, c.reason, c.count, "", ""] for c in r.reasons]
    return Table("changes", ("kind", "reason", "events", "loops", "per loop created"), rows)


def load(r: s.Load) -> Table:
    return Table("load", ("person", "interviews", "per week", "busiest week", "weekly limit", "weeks over limit"),
                 [[p.name, p.interviews, _r(p.per_week), p.busiest_week, p.weekly_limit, p.weeks_over_limit]
                  for p in r.people])


def scorecards(r: s.Scorecards) -> Table:
    rows: list[Sequence[Any]] = [
        ["(everyone)", r.seats, r.submitted, r.within_24h, _pct(r.share_within_24h), r.late, r.overdue]]
    rows += [[p.name, p.seats, "", "", "", "", p.overdue] for p in r.overdue_by_person]
    return Table("scorecards", ("person", "scorecards expected", "submitted", "within 24 h", "share within 24 h",
                                "late", "overdue"), rows)


def decisions(r: s.Decisions) -> Table:
    rows = [["decisions promised", r.due], ["decided by the date", r.on_time], ["decided late", r.late],
            ["open, past the date", r.open_overdue], ["open, not due yet", r.open_not_due],
            ["share decided by the date", _pct(r.share_on_time)],
            ["days late: median", _r(r.days_late.median)], ["days late: 90th percentile", _r(r.days_late.p90)]]
    rows += [[f"days late: {b}", n] for b, n in r.days_late.buckets]
    return Table("decisions", ("figure", "value"), rows)


def funnel(r: list[s.JobFunnel]) -> Table:
    rows = []
    for j in r:
        short = "; ".join(f"{a.name} {a.short}/{a.rated}" for a in j.areas if a.short)
        rows.append([j.title, j.department, j.loops, j.held, j.cancelled,
                     *(j.outcomes[d.value] for d in Decision), short])
    return Table("funnel", ("job", "department", "loops", "held", "cancelled", *(d.label for d in Decision),
                            "focus areas falling short (No or Strong no / rated)"), rows)


def self_booking(r: s.SelfBooking) -> Table:
    rows = [["loops created", r.loops], ["loops booked", r.booked], ["offered self-booking", r.offered],
            ["booked by the candidate", r.by_candidate], ["share booked by the candidate", _pct(r.share)],
            ["link → booking: median (h)", _r(r.link_to_booking.median)],
            ["link → booking: 90th percentile (h)", _r(r.link_to_booking.p90)]]
    return Table("self-booking", ("figure", "value"), rows)


def calibration(r: list[s.Calibration]) -> Table:
    rows = []
    for c in r:
        if c.enough:
            rows.append([c.name, c.candidates, c.compared, _r(c.leniency.mean, 2), _r(c.leniency.low, 2),
                         _r(c.leniency.high, 2), c.leniency.verdict, c.decisions, _pct(c.agreement)])
        else:
            rows.append([c.name, c.candidates, c.compared, "", "", "", "too few to say", c.decisions, ""])
    return Table("calibration", ("interviewer", "candidates compared", "ratings compared", "leniency",
                                 "95% interval from", "to", "reading", "decisions compared", "agreement"), rows)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in table.header])
    writer.writerows([safe_cell(v) for v in row] for row in table.rows)
    return out.getvalue()
