"""The picker benchmark keeps working: its --quick run builds the small organisation and times the facts."""

from __future__ import annotations

import re

from bench import bench_picker


def test_picker_benchmark_quick_run(capsys):
    assert bench_picker.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "people picker:" in out and "session form page" in out
    half, whole = re.search(r"queries, half / all of them : (\d+) / (\d+)", out).groups()
    assert half == whole
