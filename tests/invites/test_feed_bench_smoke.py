"""The feed benchmark runs end to end (`--quick`); its timings are asserted in test_feed.py, not here."""

from __future__ import annotations

from bench import bench_feed


def test_bench_feed_quick_runs_and_prints_a_table(capsys):
    assert bench_feed.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "feed, first fetch" in out and "feed, poll" in out and "< 300 ms" in out
