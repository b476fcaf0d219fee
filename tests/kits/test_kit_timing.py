"""The timing plan of an interview kit, as a plain function."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coordinator.kits.timing import STAR, timing_plan


@pytest.mark.parametrize("minutes", [10, 15, 20, 30, 45, 60, 75, 90, 240])
@pytest.mark.parametrize("kind", ["one_on_one", "panel", "practical"])
@pytest.mark.parametrize("questions", [0, 1, 3, 8])
def test_the_plan_adds_up_to_the_session_and_has_no_empty_steps(minutes, kind, questions):
    plan = timing_plan(minutes, kind, [(f"Q{i}", "Area") for i in range(questions)], ["Area"])
    assert sum(step.minutes for step in plan) == minutes
    assert all(step.minutes > 0 for step in plan)
    assert [s.offset_min for s in plan] == [sum(p.minutes for p in plan[:i]) for i in range(len(plan))]


def test_a_45_minute_one_on_one_with_two_questions():
    plan = timing_plan(45, "one_on_one", [("Tell me about a bug.", "Technical depth"),
                                           ("Design a feed.", "System design")])
    assert [(s.label, s.minutes) for s in plan] == [
        ("Welcome and introductions", 5), ("Question: Technical depth", 17), ("Question: System design", 16),
        ("The candidate's questions", 5), ("Wrap-up", 2)]
    assert plan[1].detail == "Tell me about a bug."


def test_a_practical_gives_time_to_the_exercise_first():
    plan = timing_plan(90, "practical", [("Walk me through your solution.", "Problem solving")])
    labels = [s.label for s in plan]
    assert labels.index("The exercise") < labels.index("Question: Problem solving")
    assert next(s for s in plan if s.label == "The exercise").minutes >= 40


def test_too_many_questions_share_one_block_and_clock_times_follow_the_start():
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    plan = timing_plan(30, "one_on_one", [(f"Q{i}", "A") for i in range(10)], ["A"], start)
    assert [s.label for s in plan] == ["Welcome and introductions", "Your questions", "The candidate's questions",
                                       "Wrap-up"]
    assert plan[1].detail == "10 questions on A."
    assert plan[1].start_dt == datetime(2026, 3, 10, 9, 5, tzinfo=UTC)


def test_star_names_the_four_parts():
    assert [name for name, _ in STAR] == ["Situation", "Task", "Action", "Result"]
