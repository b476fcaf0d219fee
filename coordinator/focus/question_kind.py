"""The kinds of interview question (plain Python, so the coverage rules can use it without the database)."""

from __future__ import annotations

from coordinator.enums import LabelledEnum


class QuestionKind(LabelledEnum):
    BEHAVIORAL = "behavioral", "Behavioral"
    SITUATIONAL = "situational", "Situational"
    PRACTICAL = "practical", "Practical"

    @property
    def hint(self) -> str:
        return QUESTION_KIND_HINTS[self]


QUESTION_KIND_HINTS: dict[QuestionKind, str] = {
    QuestionKind.BEHAVIORAL: "“Tell me about a time when…”: past behaviour, answered with STAR evidence.",
    QuestionKind.SITUATIONAL: "“What would you do if…”: a hypothetical the candidate reasons through.",
    QuestionKind.PRACTICAL: "A case study, presentation or technical exercise.",
}
