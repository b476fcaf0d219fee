"""The coverage rules and the suggestion, as plain functions: no app, no database."""

from __future__ import annotations

from coordinator.kits.coverage import (
    Area,
    QuestionInfo,
    Slot,
    check_coverage,
    suggest_areas,
    suggest_questions,
)

DESIGN, DEPTH, COLLAB, OWNER, CULTURE = (Area(1, "System design"), Area(2, "Technical depth"),
                                         Area(3, "Collaboration"), Area(4, "Ownership"), Area(5, "Culture add"))
AREAS = [DESIGN, DEPTH, COLLAB, OWNER]
ALL = frozenset({1, 2, 3, 4})


def slot(session: int, user: int | None, name: str, areas=(), kind: str = "one_on_one", qualified=ALL,
         shadowing=frozenset(), kinds=()) -> Slot:
    return Slot(session_id=session, session_title=f"Session {session}", session_kind=kind, user_id=user, name=name,
                area_ids=tuple(areas), question_kinds=tuple(kinds), qualified=frozenset(qualified),
                shadowing=frozenset(shadowing))


def messages(coverage) -> list[str]:
    return [w.message for w in coverage.warnings]


def test_every_area_covered_once_by_qualified_people_is_clean():
    coverage = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2]), slot(2, 11, "Bob", [3]), slot(3, 12, "Cy", [4])])
    assert coverage.warnings == ()
    assert coverage.uncovered == []
    assert coverage.covering(1) == (0,) and coverage.covering(3) == (1,)


def test_an_area_nobody_covers_is_named():
    coverage = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2, 3])])
    assert [a.name for a in coverage.uncovered] == ["Ownership"]
    assert "Nobody covers Ownership." in messages(coverage)


def test_an_area_covered_twice_outside_a_panel_is_named_with_who_and_where():
    coverage = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2]), slot(2, 11, "Bob", [1, 3, 4])])
    assert "System design is covered twice outside a panel: Ann (Session 1) and Bob (Session 2)." in messages(coverage)


def test_panel_members_may_share_an_area_but_not_across_sessions():
    panel = [slot(1, 10, "Ann", [1, 2], kind="panel"), slot(1, 11, "Bob", [1, 3], kind="panel"),
             slot(2, 12, "Cy", [4])]
    assert check_coverage(AREAS, panel).warnings_for("duplicate") == []
    # two interviewers of one practical are not a panel
    practical = [slot(1, 10, "Ann", [1, 2], kind="practical"), slot(1, 11, "Bob", [1, 3, 4], kind="practical")]
    assert len(check_coverage(AREAS, practical).warnings_for("duplicate")) == 1
    # a panel area covered again in another session is a duplicate
    again = [*panel, slot(3, 13, "Dee", [1])]
    assert "System design is covered 3 times outside a panel" in " ".join(messages(check_coverage(AREAS, again)))


def test_more_than_three_areas_for_one_interviewer():
    coverage = check_coverage([*AREAS, CULTURE], [slot(1, 10, "Ann", [1, 2, 3, 4]), slot(2, 11, "Bob", [5])])
    assert coverage.warnings_for("too_many")[0].message == (
        "Ann has 4 focus areas in Session 1; give at most 3 so each gets real depth.")


def test_unqualified_and_shadowing_interviewers_are_flagged_per_area():
    coverage = check_coverage(AREAS, [
        slot(1, 10, "Ann", [1, 2], qualified={2}, shadowing={1}),
        slot(2, 11, "Bob", [3, 4], qualified={3}),
    ])
    assert "Ann is still shadowing for System design and should not assess it yet (Session 1)." in messages(coverage)
    assert "Bob is not qualified to assess Ownership (Session 2)." in messages(coverage)
    assert coverage.cell_problem(1, 0) == "shadowing" and coverage.cell_problem(4, 1) == "unqualified"
    assert coverage.cell_problem(2, 0) is None


def test_pool_picks_are_not_checked_for_qualification_but_count_for_coverage():
    coverage = check_coverage(AREAS, [slot(1, None, "From the pool", [1, 2, 3, 4][:3], qualified=()),
                                      slot(2, 11, "Bob", [4])])
    assert coverage.warnings_for("unqualified") == [] and coverage.uncovered == []


def test_questions_all_of_one_kind():
    same = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2], kinds=["behavioral", "behavioral"]),
                                  slot(2, 11, "Bob", [3, 4], kinds=["behavioral"])])
    assert "Every question in this loop is behavioral; mix in situational or practical questions." in messages(same)
    mixed = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2], kinds=["behavioral", "practical"]),
                                   slot(2, 11, "Bob", [3, 4])])
    assert mixed.warnings_for("one_kind") == []
    single = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2, 3], kinds=["behavioral"]), slot(2, 11, "Bob", [4])])
    assert single.warnings_for("one_kind") == []  # one question is not "all of one kind" yet


def test_an_area_the_job_does_not_use_and_an_interviewer_without_areas():
    coverage = check_coverage(AREAS, [slot(1, 10, "Ann", [1, 2, 5]), slot(2, 11, "Bob", [3, 4]), slot(3, 12, "Cy")],
                              other_areas={5: "Culture add"})
    assert "Ann assesses Culture add, which this job does not use (Session 1)." in messages(coverage)
    assert "Cy has no focus area in Session 3 yet." in messages(coverage)
    assert [a.name for a in coverage.extra_areas] == ["Culture add"]


def test_no_job_areas_means_no_coverage_warnings():
    assert check_coverage([], [slot(1, 10, "Ann")]).warnings == ()


def test_suggestion_covers_every_area_once_with_qualified_people_first():
    slots = [
        slot(1, 10, "Ann", qualified={4}),                    # the hiring manager: ownership only
        slot(2, 11, "Bob", qualified={1, 2}, kind="panel"),
        slot(2, 12, "Cy", qualified={1, 2, 3}, kind="panel"),
        slot(3, 13, "Dee", qualified={3}),
    ]
    suggested = suggest_areas(AREAS, slots)
    assert suggested[0] == (4,)
    covered = [a for areas in suggested for a in areas]
    assert sorted(covered) == [1, 2, 3, 4]  # each once
    new_slots = [Slot(**{**s.__dict__, "area_ids": a}) for s, a in zip(slots, suggested, strict=True)]
    result = check_coverage(AREAS, new_slots)
    assert result.uncovered == [] and result.warnings_for("unqualified", "duplicate", "too_many") == []


def test_suggestion_prefers_the_session_plan_and_never_gives_more_than_three():
    slots = [slot(1, 10, "Ann"), slot(2, 11, "Bob")]
    suggested = suggest_areas([*AREAS, CULTURE], slots, planned={1: [3, 4], 2: [1, 2, 5]})
    assert set(suggested[0]) == {3, 4} and set(suggested[1]) == {1, 2, 5}
    six = [*AREAS, CULTURE, Area(6, "Product sense"), Area(7, "Communication")]
    crowded = suggest_areas(six, [slot(1, 10, "Ann", qualified=range(1, 8)), slot(2, 11, "Bob",
                                                                               qualified=range(1, 8))])
    assert all(len(a) <= 3 for a in crowded) and sum(len(a) for a in crowded) == 6  # one area stays uncovered


def test_suggestion_gives_an_empty_interviewer_an_area_from_a_colleague_with_several():
    slots = [slot(1, 10, "Ann", qualified={1, 2}), slot(2, 11, "Bob", qualified={2})]
    suggested = suggest_areas([DESIGN, DEPTH], slots)
    assert suggested == [(1,), (2,)]


def test_suggestion_keeps_pool_slots_and_covers_the_rest():
    slots = [slot(1, None, "From the pool", [1, 2]), slot(2, 11, "Bob"), slot(3, 12, "Cy")]
    suggested = suggest_areas(AREAS, slots)
    assert suggested[0] == (1, 2)
    assert sorted(suggested[1] + suggested[2]) == [3, 4]


def test_question_suggestion_fills_each_area_mixing_kinds_and_skipping_taken_ones():
    bank = [QuestionInfo(1, 1, "behavioral"), QuestionInfo(2, 1, "behavioral"), QuestionInfo(3, 1, "practical"),
            QuestionInfo(4, 2, "situational"), QuestionInfo(5, 3, "behavioral")]
    picked = suggest_questions([1, 2], current=[], bank=bank, taken={4}, kinds_in_loop=["behavioral"])
    assert picked[:2] == [3, 1]  # practical first: the loop has a behavioral one already
    assert 4 not in picked and 5 not in picked  # taken by a colleague; another area
    kept = suggest_questions([2], current=[QuestionInfo(5, 3, "behavioral"), QuestionInfo(4, 2, "situational")],
                             bank=bank)
    assert kept == [4]  # a current question of an area no longer assigned is dropped
