"""The debrief aggregation as plain functions: spread, consensus, disagreement flags, the tally, the CSV guard."""

from __future__ import annotations

from coordinator.focus.rating import Rating, Recommendation
from coordinator.scorecards.debrief import (
    Cell,
    Column,
    aggregate,
    consensus_of,
    csv_cell,
    summarize_area,
    tally_recommendations,
)
from coordinator.scorecards.models import CardState

SN, N, Y, SY = Rating.STRONG_NO, Rating.NO, Rating.YES, Rating.STRONG_YES


def cells(*ratings):
    return [(f"P{i}", Cell(rating=r)) for i, r in enumerate(ratings)]


def test_consensus_is_the_rating_nearest_the_mean_on_one_side_of_the_scale():
    assert consensus_of([Y, SY, SY]) == SY
    assert consensus_of([Y, SY]) == Y  # a tie goes to the less extreme rating
    assert consensus_of([SN, N]) == N
    assert consensus_of([N, Y]) is None  # split across the middle
    assert consensus_of([]) is None


def test_spread_and_flags():
    wide = summarize_area(1, "Design", cells(SN, Y))
    assert wide.spread == 2 and wide.consensus is None
    assert wide.flags == ["Ratings 2 points apart (Strong no and Yes)", "Yes and No side by side"]
    close = summarize_area(2, "Comms", cells(Y, SY, Y))
    assert close.spread == 1 and close.flags == [] and close.consensus == Y and close.mean == 3.3
    split = summarize_area(3, "Ops", cells(N, Y))
    assert split.flags == ["Yes and No side by side"] and split.consensus_label == "Split"
    far_no = summarize_area(4, "X", cells(SN, SN, N))
    assert far_no.flags == [] and far_no.consensus == SN


def test_not_assessed_and_pending_cells_do_not_count_as_ratings():
    summary = summarize_area(1, "Design", [("A", Cell(is_not_assessed=True, reason="No time")),
                                           ("B", Cell(is_pending=True))])
    assert summary.nobody_assessed and summary.not_assessed == [("A", "No time")] and summary.pending == 1
    assert summary.consensus_label == "—"


def test_tally_counts_every_level_and_flags_hire_beside_no_hire():
    tally, flags = tally_recommendations([Recommendation.HIRE, Recommendation.HIRE, Recommendation.NO_HIRE, None])
    assert tally[0] == (Recommendation.STRONG_HIRE, 0) and dict(tally)[Recommendation.HIRE] == 2
    assert flags == ["Hire and no-hire recommendations side by side"]
    assert tally_recommendations([Recommendation.HIRE, Recommendation.STRONG_HIRE])[1] == []


def test_aggregate_counts_only_submitted_scorecards():
    columns = [Column((1, 1), "Design", "Ian", CardState.SUBMITTED, recommendation=Recommendation.HIRE),
               Column((1, 2), "Design", "Jonas", CardState.OVERDUE),
               Column((2, 3), "HM", "Hannah", CardState.SUBMITTED, recommendation=Recommendation.NO_HIRE)]
    debrief = aggregate([(10, "Design"), (11, "Comms")], columns, {
        (10, (1, 1)): Cell(rating=SY), (10, (1, 2)): Cell(is_pending=True), (10, (2, 3)): Cell(rating=N),
        (11, (1, 2)): Cell(is_pending=True)})
    assert [c.interviewer for c in debrief.missing] == ["Jonas"] and [c.interviewer for c in debrief.overdue] == [
        "Jonas"]
    design, comms = debrief.summaries
    assert design.spread == 2 and design.is_flagged and comms.nobody_assessed and comms.pending == 1
    assert debrief.recommendation_flags and [s.name for s in debrief.unassessed] == ["Comms"]


def test_csv_cells_that_look_like_formulas_are_quoted():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("+31 20 123") == "'+31 20 123"
    assert csv_cell("-2") == "'-2" and csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("\tx") == "'\tx"
    assert csv_cell("Led the team") == "Led the team" and csv_cell(None) == "" and csv_cell(3) == "3"
