"""The live-calendar benchmark must keep running as the sync changes (timings are not asserted): 10 people x 40
events in a real Radicale, on SQLite."""

from __future__ import annotations

import pytest

from bench import bench_caldav
from tests.helpers import require_component


def test_quick_run_prints_a_table(capsys) -> None:
    try:
        import radicale  # noqa: F401
    except ImportError:
        require_component("Radicale", "Radicale is not installed (pip install the project's test extra)")
    assert bench_caldav.main(["--quick", "--sqlite"]) == 0
    out = capsys.readouterr().out
    assert "first sync of all (10 calendars)" in out and "no-change pass, per calendar" in out
    assert "400 events" in out and "1 request and" in out
    assert "one event moved: that sync" in out and "(3 requests," in out


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
