"""The debrief reads a fixed number of rows sets: its query count does not grow with the number of interviewers
(no query per row), and the benchmark runs end to end (--quick; timings are not asserted here)."""

from __future__ import annotations

from datetime import UTC, datetime

from bench import bench_debrief
from coordinator.auth.roles import Role
from coordinator.extensions import db
from tests.helpers import login
from tests.scorecards.support import build_world, person


def test_debrief_queries_do_not_grow_with_interviewers(app):
    world = build_world()
    people = [person(f"Panelist {n}", Role.INTERVIEWER) for n in range(12)]
    db.session.commit()
    areas = bench_debrief.focus_areas(6)
    now = datetime.now(UTC)
    loops = {n: bench_debrief.add_target_loop(world.job.id, [p.id for p in people[:n]], areas, now, seed=n)
             for n in (2, 4, 12)}
    client = login(app.test_client(), world.manager)
    counter = bench_debrief.QueryCounter(db.engine)
    counts = {}
    for n, loop_id in loops.items():
        client.get(f"/loops/{loop_id}/debrief")  # warm up
        response, counts[n] = counter.measure(lambda loop_id=loop_id: client.get(f"/loops/{loop_id}/debrief"))
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="sc-col"') == n
    assert counts[2] == counts[4] == counts[12], counts
    assert counts[12] <= 25, counts


def test_bench_debrief_quick_runs_and_prints_a_table(app, capsys):
    assert bench_debrief.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "debrief, 8 interviewers x 6 areas, large database" in out and "< 50 ms" in out
    assert "queries per debrief: constant" in out
