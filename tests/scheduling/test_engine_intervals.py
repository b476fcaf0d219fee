"""The integer span operations against a point-by-point model (property-based)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator.scheduling.intervals import (
    SpanIndex,
    at_least_k,
    intersect,
    merge,
    subtract,
    union,
    valid_starts,
)

raw_spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)
disjoint = raw_spans.map(merge)


def points(spans) -> set[int]:
    return {t for s, e in spans for t in range(s, e)}


def well_formed(spans) -> bool:
    return all(s < e for s, e in spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


@settings(max_examples=150, deadline=None)
@given(raw_spans)
def test_merge(spans) -> None:
    out = merge(spans)
    assert well_formed(out) and points(out) == points(spans)


@settings(max_examples=150, deadline=None)
@given(disjoint, disjoint)
def test_subtract_and_intersect(a, b) -> None:
    assert points(subtract(a, b)) == points(a) - points(b)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert all(s < e for s, e in subtract(a, b))


@settings(max_examples=150, deadline=None)
@given(st.lists(disjoint, min_size=1, max_size=4), st.integers(1, 4))
def test_at_least_k_and_union(lists, k) -> None:
    expected = {t for t in range(80) if sum(t in points(x) for x in lists) >= k}
    out = at_least_k(lists, k)
    assert points(out) == expected
    assert well_formed(out)
    assert points(union(lists)) == set().union(*(points(x) for x in lists))


@settings(max_examples=150, deadline=None)
@given(disjoint, st.integers(1, 10), st.integers(0, 80))
def test_valid_starts_and_index(free, duration, t) -> None:
    starts = valid_starts(free, duration)
    expected = {x for x in range(80) if all(y in points(free) for y in range(x, x + duration))}
    assert points(starts) == expected
    index = SpanIndex(starts)
    assert index.contains(t) == (t in expected)
    nxt = index.next_point(t)
    later = [x for x in sorted(expected) if x >= t]
    assert nxt == (later[0] if later else None)


def test_subtract_unmerged_equals_subtract_after_merge() -> None:
    """The engine subtracts busy blocks without merging them first; the answer must be the same."""
    import random

    from coordinator.scheduling.intervals import merge, subtract, subtract_unmerged

    rng = random.Random(5)
    for _ in range(2000):
        a = merge((x, x + rng.randint(1, 30)) for x in (rng.randint(0, 200) for _ in range(rng.randint(0, 6))))
        b = sorted((x, x + rng.randint(0, 40)) for x in (rng.randint(-20, 220) for _ in range(rng.randint(0, 12))))
        assert subtract_unmerged(a, b) == subtract(a, merge(b)), (a, b)
