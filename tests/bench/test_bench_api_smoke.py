"""The API paging benchmark keeps working: its --quick run builds a small organisation and pages through it."""

from __future__ import annotations

from bench import bench_api


def test_api_benchmark_quick_run(capsys):
    assert bench_api.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "large organisation" in out and "queries per page: constant" in out
