"""The benchmark must keep running as the engine changes (timings are not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_engine.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_a_table(capsys) -> None:
    bench = load_bench()
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "old p50/p99 ms" in out and "new p50/p99 ms" in out
    assert "standard (quick)" in out and "no-fit (quick)" in out


def test_rows_are_reusable_dicts() -> None:
    bench = load_bench()
    rows = bench.run(quick=True)
    assert [r["case"] for r in rows] == ["standard (quick)", "no-fit (quick)"]
    assert rows[0]["options"] > 0 and rows[1]["options"] == 0 and rows[1]["reasons"] > 0
    assert bench.format_table(rows).count("\n") == len(rows) + 1
