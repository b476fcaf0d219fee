"""The rating scale interviewers score a focus area on: four points, no neutral middle.

The one place the scales are defined: focus-area guidance, interview kits and scorecards read the rating scale
from here, scorecards and the debrief also the overall recommendation scale.
"""

from __future__ import annotations

from coordinator.enums import LabelledEnum


class _FourPoints(LabelledEnum):
    """A scale of four members, worst first: the lower two say no, the upper two yes."""

    @property
    def score(self) -> int:
        """1 (the worst) to 4 (the best), for averages in a debrief."""
        return list(type(self)).index(self) + 1

    @property
    def is_positive(self) -> bool:
        return self.score > 2


class Rating(_FourPoints):
    """A 4-point scale; there is deliberately no "neutral", so every interviewer takes a side."""

    STRONG_NO = "strong_no", "Strong no"
    NO = "no", "No"
    YES = "yes", "Yes"
    STRONG_YES = "strong_yes", "Strong yes"


#: highest first, the order a kit shows guidance in ("what Strong yes looks like" on top)
RATINGS_BEST_FIRST: tuple[Rating, ...] = tuple(reversed(Rating))


class Recommendation(_FourPoints):
    """An interviewer's overall recommendation on a scorecard: four points, no neutral middle either."""

    STRONG_NO_HIRE = "strong_no_hire", "Strong no hire"
    NO_HIRE = "no_hire", "No hire"
    HIRE = "hire", "Hire"
    STRONG_HIRE = "strong_hire", "Strong hire"
