"""The worked examples of issue 15: itineraries that exist are found, the fairest staffing wins at equal times,
the candidate's windows bound stretches rather than long breaks, and every reason shown is true."""

from __future__ import annotations

import ast
import sys
from datetime import date, time, timedelta
from pathlib import Path

from coordinator import timeutil
from coordinator.scheduling import SessionSpec, find_options
from tests.scheduling.engine_builders import local, loop, one, person, span

MON = date(2026, 11, 30)
BERLIN = "Europe/Berlin"


def hm(dt, tz: str = BERLIN) -> str:
    return timeutil.to_local(dt, tz).strftime("%a %H:%M")


def staffing(option) -> list[tuple[str, tuple[int, ...]]]:
    return [(hm(ps.start), ps.interviewer_ids) for ps in option.sessions]


# ------------------------------------------------------------------------------------------------ completeness
def test_pool_example_finds_the_itinerary_that_exists() -> None:
    """A, B and C (1, 2, 3) need 15 minutes after each interview, sessions are 10 minutes apart: nobody can sit in
    two sessions in a row, so Coding must take C, which only the second choice of Coding's pool leads to."""
    a, b, c = (person(i, n, buffer_after_min=15) for i, n in ((1, "A"), (2, "B"), (3, "C")))
    sessions = [
        SessionSpec("Coding", "panel", 45, (2,), (1, 3)),
        SessionSpec("System design", "one_on_one", 60, (), (1, 2, 3)),
        SessionSpec("Culture", "panel", 45, (3,), (1, 2)),
    ]
    result = find_options(loop(sessions, MON, MON, buffer_min=10), [a, b, c])
    assert result.options, result.reasons
    first = result.options[0]
    assert staffing(first) == [("Mon 09:00", (2, 3)), ("Mon 09:55", (1,)), ("Mon 11:05", (3, 2))]


def test_spread_tries_the_other_pool_member_before_moving_a_session_to_another_week() -> None:
    """Ann (1) has one interview left this week and is named in the second session; picking her from the first
    session's pool would push the second to next week. Picking Bob keeps both on Monday."""
    early = [span(local(2026, 12, d, 7, 0, BERLIN), 30) for d in (1, 2, 3, 4)]  # Tue-Fri, before work
    ann = person(1, "Ann", interviews=early, max_per_week=5, max_per_day=3)
    # Bob has one more interview this week, so least-loaded-first tries Ann first.
    bob = person(
        2, "Bob", interviews=[*early, span(local(2026, 12, 4, 7, 45, BERLIN), 30)], max_per_week=9, max_per_day=3
    )
    sessions = [one("Intro", 45, pool=(1, 2)), one("Deep dive", 60, 1)]
    req = loop(sessions, MON, MON + timedelta(days=7), arrangement="spread", max_sessions_per_day=2)
    first = find_options(req, [ann, bob]).options[0]
    assert staffing(first) == [("Mon 09:00", (2,)), ("Mon 10:00", (1,))]


def test_fairness_prefers_the_lowest_maximum_load_at_the_same_times() -> None:
    """Least loaded first would give Intro to Ann (free week) and then, Ann being at her daily limit, Wrap-up to
    Cleo (three interviews already): a week of 4. Bob for Intro and Ann for Wrap-up peaks at 2."""
    ann = person(1, "Ann", max_per_day=1)
    bob = person(2, "Bob", interviews=[span(local(2026, 12, 1, 7, 0, BERLIN), 30)])
    cleo = person(3, "Cleo", interviews=[span(local(2026, 12, d, 7, 0, BERLIN), 30) for d in (1, 2, 3)])
    sessions = [one("Intro", 45, pool=(1, 2)), one("Wrap-up", 45, pool=(1, 3))]
    first = find_options(loop(sessions, MON, MON), [ann, bob, cleo]).options[0]
    assert [ps.interviewer_ids for ps in first.sessions] == [(2,), (1,)]
    assert first.load_max == 2


def test_a_long_break_may_fall_in_a_hole_of_the_candidates_windows() -> None:
    """Free 09:00-12:00 and 12:30-18:00: the 30-minute break after three hours falls exactly in the hole."""
    people = [person(i, f"P{i}") for i in (1, 2, 3)]
    windows = [span(local(2026, 11, 30, 9, 0, BERLIN), 180), span(local(2026, 11, 30, 12, 30, BERLIN), 330)]
    sessions = [one("One", 90, 1), one("Two", 80, 2), one("Three", 60, 3)]
    req = loop(sessions, MON, MON, windows=windows, buffer_min=10, max_continuous_min=180, long_break_min=30)
    first = find_options(req, people).options[0]
    assert [hm(ps.start) for ps in first.sessions] == ["Mon 09:00", "Mon 10:40", "Mon 12:30"]


def test_short_gaps_stay_inside_the_windows() -> None:
    """The same loop without a long break cannot straddle the hole: its 10-minute gaps must be in the windows."""
    people = [person(i, f"P{i}") for i in (1, 2)]
    windows = [span(local(2026, 11, 30, 9, 0, BERLIN), 60), span(local(2026, 11, 30, 10, 5, BERLIN), 60)]
    req = loop([one("One", 60, 1), one("Two", 55, 2)], MON, MON, windows=windows, buffer_min=10)
    assert not find_options(req, people).options


def test_a_session_may_cross_the_candidates_midnight_when_their_windows_allow() -> None:
    """New York candidate free 23:30-00:30; the Kolkata interviewer's morning is New York's late evening."""
    priya = person(1, "Priya", "Asia/Kolkata", hours=(time(9), time(12)))
    ny = "America/New_York"
    windows = [span(local(2026, 11, 30, 23, 30, ny), 60)]
    req = loop([one("Coding", 60, 1)], MON, MON + timedelta(days=1), tz=ny, windows=windows)
    first = find_options(req, [priya]).options[0]
    assert hm(first.start, ny) == "Mon 23:30" and hm(first.end, ny) == "Tue 00:30"


# ------------------------------------------------------------------------------------------------ true reasons
def test_a_daily_limit_is_named_not_the_grid() -> None:
    """Jonas (one interview a day) is in two sessions of a one-day loop: no grid helps, his limit does."""
    jonas = person(2, "Jonas Weber", max_per_day=1)
    ann = person(1, "Ann")
    sessions = [one("A", 60, 2), one("B", 60, 1), one("C", 60, 2)]
    result = find_options(loop(sessions, MON, MON, granularity_min=20), [ann, jonas])
    assert not result.options
    assert [r.code for r in result.reasons] == ["day_limit"] and result.reasons[0].person_id == 2
    assert not any("grid" in r.message for r in result.reasons)


def test_a_grid_reason_is_checked_on_a_finer_grid() -> None:
    ann = person(1, "Ann")
    windows = [span(local(2026, 11, 30, 9, 5, BERLIN), 60)]
    result = find_options(loop([one("Chat", 60, 1)], MON, MON, windows=windows, granularity_min=15), [ann])
    assert not result.options
    grid = [r.message for r in result.reasons if r.code == "off_grid"]
    assert grid == ["The only times that fit are not on the 15-minute grid; a 5-minute grid finds one."]


def test_the_candidates_windows_are_named_when_they_alone_block_it() -> None:
    """Each session fits the windows alone, but the morning window is too short for the block and the afternoon
    one too late for Ann: widening the candidate's time is one change that helps, and it is said."""
    ann = person(1, "Ann", hours=(time(9), time(12)))
    bob = person(2, "Bob")
    windows = [span(local(2026, 11, 30, 9, 0, BERLIN), 100), span(local(2026, 11, 30, 13, 0, BERLIN), 240)]
    req = loop([one("A", 60, 1), one("B", 60, 2)], MON, MON, windows=windows, buffer_min=10)
    result = find_options(req, [ann, bob])
    assert not result.options
    assert "The candidate's available times are what stands in the way" in " ".join(r.message for r in result.reasons)


def test_several_constraints_combining_are_named_together() -> None:
    """Ann and Bob may each do one interview a day and each is in two sessions: lifting one limit is not enough."""
    ann = person(1, "Ann", max_per_day=1)
    bob = person(2, "Bob", max_per_day=1)
    sessions = [one("A1", 30, 1), one("B1", 30, 2), one("A2", 30, 1), one("B2", 30, 2)]
    result = find_options(loop(sessions, MON, MON, buffer_min=10), [ann, bob])
    assert not result.options
    (reason,) = result.reasons
    assert reason.code == "combined"
    assert "several constraints combine" in reason.message
    assert "Ann's daily limit of 1 interview" in reason.message and "Bob's daily limit of 1 interview" in reason.message


def test_every_reason_shown_is_true_on_its_own() -> None:
    """Relaxing the constraint a shown reason names must make the loop fit (checked independently here)."""
    from dataclasses import replace

    jonas = person(2, "Jonas Weber", max_per_day=1)
    ann = person(1, "Ann")
    sessions = [one("A", 60, 2), one("B", 60, 1), one("C", 60, 2)]
    req = loop(sessions, MON, MON)
    (reason,) = find_options(req, [ann, jonas]).reasons
    assert find_options(req, [ann, replace(jonas, max_per_day=2)]).options


# ------------------------------------------------------------------------------------------------ purity & budget
def test_the_engine_is_pure_python() -> None:
    """coordinator/scheduling imports neither Flask nor SQLAlchemy (directly or through what it imports)."""
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "coordinator" / "scheduling").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"flask", "sqlalchemy", "flask_sqlalchemy"}, (path.name, name)
    code = (
        "import sys, coordinator.scheduling; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')]; "
        "assert not bad, bad"
    )
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_an_exhausted_budget_says_how_far_it_got_and_claims_no_reason() -> None:
    people = [person(i, f"P{i}", max_per_day=1) for i in range(1, 8)]
    sessions = [one(f"S{i}", 20, pool=tuple(range(1, 8))) for i in range(8)]
    result = find_options(loop(sessions, MON, MON), people, node_budget=50)
    assert result.exhausted and not result.options
    assert [r.code for r in result.reasons] == ["search_limit"]
    assert result.reasons[0].message.startswith("Searched 50 combinations; there may be more.")
