"""The rating scale interviewers score a focus area on: four points, no neutral middle.

The one place the scales are defined: focus-area guidance, interview kits and scorecards read the rating scale
from here, scorecards and the debrief also the overall recommendation scale.
"""

from __future__ import annotations

from enum import StrEnum


class Rating(StrEnum):
    """A 4-point scale; there is deliberately no "neutral", so every interviewer takes a side."""

    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]

    @property
    def score(self) -> int:
        """1 (Strong no) to 4 (Strong yes), for averages in a debrief."""
        return list(Rating).index(self) + 1

    @property
    def is_positive(self) -> bool:
        return self in (Rating.YES, Rating.STRONG_YES)


RATING_LABELS: dict[Rating, str] = {
    Rating.STRONG_NO: "Strong no",
    Rating.NO: "No",
    Rating.YES: "Yes",
    Rating.STRONG_YES: "Strong yes",
}

#: highest first, the order a kit shows guidance in ("what Strong yes looks like" on top)
RATINGS_BEST_FIRST: tuple[Rating, ...] = tuple(reversed(Rating))


def rating_check_sql(column: str = "rating") -> str:
    """A CHECK constraint expression that admits only the scale's values."""
    return f"{column} IN (" + ", ".join(f"'{r.value}'" for r in Rating) + ")"


class Recommendation(StrEnum):
    """An interviewer's overall recommendation on a scorecard: four points, no neutral middle either."""

    STRONG_NO_HIRE = "strong_no_hire"
    NO_HIRE = "no_hire"
    HIRE = "hire"
    STRONG_HIRE = "strong_hire"

    @property
    def label(self) -> str:
        return RECOMMENDATION_LABELS[self]

    @property
    def score(self) -> int:
        """1 (Strong no hire) to 4 (Strong hire)."""
        return list(Recommendation).index(self) + 1

    @property
    def is_positive(self) -> bool:
        return self in (Recommendation.HIRE, Recommendation.STRONG_HIRE)


RECOMMENDATION_LABELS: dict[Recommendation, str] = {
    Recommendation.STRONG_NO_HIRE: "Strong no hire",
    Recommendation.NO_HIRE: "No hire",
    Recommendation.HIRE: "Hire",
    Recommendation.STRONG_HIRE: "Strong hire",
}


def recommendation_check_sql(column: str = "recommendation") -> str:
    """A CHECK constraint expression that admits only the recommendation scale's values (or NULL)."""
    return f"{column} IN (" + ", ".join(f"'{r.value}'" for r in Recommendation) + ")"
