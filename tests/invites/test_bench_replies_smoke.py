"""The replies benchmark runs end to end (`--quick`) and prints its table; the full run is `make bench`."""

from __future__ import annotations

from bench import bench_replies


def test_bench_replies_quick_runs_and_prints_a_table(capsys):
    assert bench_replies.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "100 replies read and applied" in out and "< 10 s" in out
    assert "end to end, SQLite: 100 replies over one LMTP connection" in out
