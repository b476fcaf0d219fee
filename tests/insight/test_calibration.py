"""Calibration on data whose answers are known: three raters of one focus area on six candidates, and the plain
statistics underneath."""

from __future__ import annotations

import math

import pytest

from coordinator.insight import services as insight
from coordinator.insight import stats
from tests.insight.support import build_panel, scope_of


def test_percentiles_interpolate_between_closest_ranks():
    assert stats.percentile([6, 24, 48], 0.5) == 24
    assert stats.percentile([6, 24, 48], 0.9) == pytest.approx(43.2)
    assert stats.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([], 0.5) is None


def test_mean_interval_is_the_t_interval():
    # diffs 1, 0, 1, 0: mean 0.5, sd sqrt(1/3), se sqrt(1/12), t(3) = 3.182
    found = stats.mean_interval(4, 2.0, 2.0)
    assert found.mean == 0.5
    assert found.low == pytest.approx(0.5 - 3.182 * math.sqrt(1 / 12))
    assert found.high == pytest.approx(0.5 + 3.182 * math.sqrt(1 / 12))
    assert found.verdict == "in line with the panel"
    assert stats.mean_interval(1, 1.0, 1.0) is None
    assert stats.t975(200) == 1.96 and stats.t975(35) == stats.t975(30)


@pytest.fixture
def panel(any_db_app):
    return build_panel()


def test_leniency_and_agreement_with_known_answers(panel):
    rows = {c.name: c for c in insight.calibration(scope_of(panel))}
    assert list(rows) == ["Ann", "Ben", "Cy", "Dee"]  # by name, never ranked
    ann = rows["Ann"]
    # Ann's differences from the others' mean: 1, 1, 1, 1 (two of them against Ben, Cy and Dee: 3 - 2), 2, 2
    assert (ann.candidates, ann.compared, ann.enough) == (6, 6, True)
    assert ann.leniency.mean == pytest.approx(8 / 6)
    half = 2.571 * math.sqrt((4 / 3) / 5 / 6)  # sum of squared deviations 4/3, 5 degrees of freedom
    assert ann.leniency.low == pytest.approx(8 / 6 - half)
    assert ann.leniency.high == pytest.approx(8 / 6 + half)
    assert ann.leniency.verdict == "rates higher than the panel"
    assert (ann.decisions, ann.agreed) == (6, 3)
    # Ben: against Ann and Cy (and Dee on the first two): 2 - 7/3, 2 - 7/3, 2 - 2.5, 2 - 2.5, 2 - 3, 2 - 3
    ben = rows["Ben"]
    assert ben.leniency.mean == pytest.approx((-2 / 3 - 1 - 2) / 6)
    assert ben.leniency.verdict == "rates lower than the panel"
    assert (ben.decisions, ben.agreed) == (6, 3)
    dee = rows["Dee"]
    assert (dee.candidates, dee.enough) == (2, False)  # too few to say
    assert rows["Cy"].agreement == 0.5  # strong hire on all six
