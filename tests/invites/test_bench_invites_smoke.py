"""The benchmark runs end to end (`--quick`); its timings are not asserted (machines differ)."""

from __future__ import annotations

from bench import bench_invites


def test_bench_invites_quick_runs_and_prints_a_table(capsys):
    assert bench_invites.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "invites, ours" in out and "invites, bare icalendar" in out and "feed, ours" in out
    assert "ours / bare" in out


def test_bench_workloads_produce_the_same_number_of_events():
    loops = bench_invites.make_loops(12)
    assert sum(len(loop.sessions) for loop in loops) == 12
    assert bench_invites.ours_invites(loops) > 0 and bench_invites.bare_invites(loops) > 0
    assert bench_invites.ours_feed(loops) > 0 and bench_invites.bare_feed(loops) > 0
