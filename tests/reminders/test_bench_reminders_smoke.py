"""The reminders benchmark runs end to end (`--quick`) and prints its table; the full run is `make bench`."""

from __future__ import annotations

from bench import bench_reminders


def test_bench_reminders_quick_runs_and_prints_a_table(capsys):
    assert bench_reminders.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "SQLite: 200 due reminders into the outbox" in out
    assert "idle poll" in out and "< 10 ms" in out and "< 10 s" in out
