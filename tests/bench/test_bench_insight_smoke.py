"""The insight benchmark keeps working: its --quick run builds the small organisation and times each report."""

from __future__ import annotations

from bench import bench_insight


def test_insight_benchmark_quick_run(capsys):
    assert bench_insight.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "calibration" in out and "GET /insight (whole page)" in out and "MISSED" not in out
