"""The calendar-import benchmark must keep running as the importer changes (timings are not asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_calendar_import.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_calendar_import", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and friends look the module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def test_quick_run_prints_a_table(capsys) -> None:
    bench = load_bench()
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:3] == ["range", "events", "size_kb"]
    assert [line.split()[:2] for line in out[2:4]] == [["2", "weeks"], ["10", "weeks"]]
    hostile = out[out.index("") + 1 :]
    assert hostile[0].split()[:2] == ["file", "size_mb"]
    assert [line.split()[0] for line in hostile[1:]] == ["folded-2000", "events-500"]
    assert all("read," in line for line in hostile[1:])


def test_generated_calendar_is_deterministic_and_readable() -> None:
    bench = load_bench()
    data = bench.make_calendar(300, seed=5)
    assert data == bench.make_calendar(300, seed=5)
    assert data.count(b"BEGIN:VEVENT") == 300
    row = bench.time_parse(data, weeks=10, runs=1)
    assert row["events"] == 300 and row["skipped"] == 0 and row["busy"] > 0
