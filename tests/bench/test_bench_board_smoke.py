"""The board benchmark keeps working: its --quick run builds a small organisation and times a few moves."""

from __future__ import annotations

from bench import bench_board


def test_board_benchmark_quick_run(capsys):
    assert bench_board.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "move a session, 20 people x a week" in out and "answers:" in out
