"""Integer interval lists: the engine's working representation.

The engine converts every instant once to whole seconds since the epoch (UTC) and then works on sorted lists of
disjoint half-open ``(start, end)`` pairs. All operations here are single linear sweeps over sorted input, which
keeps the cost of a search proportional to the number of busy blocks rather than to their product.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

Span = tuple[int, int]
Spans = list[Span]

__all__ = [
    "Span",
    "Spans",
    "SpanIndex",
    "at_least_k",
    "from_ts",
    "intersect",
    "intersect_many",
    "merge",
    "shift",
    "subtract",
    "subtract_unmerged",
    "ts_ceil",
    "ts_floor",
    "union",
    "valid_starts",
]


def ts_floor(dt: datetime) -> int:
    """Seconds since the epoch, rounded down (used for the start of a busy block: never shrink busy time)."""
    return math.floor(dt.timestamp())


def ts_ceil(dt: datetime) -> int:
    """Seconds since the epoch, rounded up (used for the end of a busy block)."""
    return math.ceil(dt.timestamp())


def from_ts(t: int) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def _joined(ordered: Iterable[Span]) -> Spans:
    """Spans in start order, overlapping or touching ones joined."""
    out: Spans = []
    for s, e in ordered:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def merge(spans: Iterable[Span]) -> Spans:
    """Sort and merge overlapping or touching spans; empty spans disappear."""
    return _joined((s, e) for s, e in sorted(spans) if e > s)


def union(lists: Iterable[Spans]) -> Spans:
    """Union of already sorted, disjoint lists (k-way merge, no full re-sort)."""
    return _joined(heapq.merge(*lists))


def subtract(a: Sequence[Span], b: Sequence[Span]) -> Spans:
    """``a`` minus ``b``; both sorted and disjoint."""
    out: Spans = []
    j, nb = 0, len(b)
    for s, e in a:
        while j < nb and b[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < nb and b[k][0] < e:
            bs, be = b[k]
            if bs > cur:
                out.append((cur, bs))
            if be > cur:
                cur = be
            if be >= e:
                break
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def subtract_unmerged(a: Sequence[Span], b: Sequence[Span]) -> Spans:
    """``a`` (sorted, disjoint) minus ``b`` sorted by start but possibly overlapping: one sweep, no merge pass.

    The busy blocks of a calendar overlap and touch all the time; merging them first would cost a second pass over
    the largest list the engine reads. A block already passed can still cover the start of the next span of ``a``,
    so the furthest end seen so far carries over.
    """
    out: Spans = []
    j, nb = 0, len(b)
    carry = None
    for s, e in a:
        cur = s if carry is None or carry < s else carry
        while j < nb:
            bs, be = b[j]
            if bs >= e:
                break
            j += 1
            if carry is None or be > carry:
                carry = be
            if be <= bs:
                continue
            if bs > cur:
                out.append((cur, bs))
            if be > cur:
                cur = be
        if cur < e:
            out.append((cur, e))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> Spans:
    """Intersection of two sorted disjoint lists."""
    out: Spans = []
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def intersect_many(lists: Sequence[Sequence[Span]]) -> Spans:
    """Intersection of several lists, smallest first so the intermediate results stay small."""
    if not lists:
        return []
    ordered = sorted(lists, key=len)
    out = list(ordered[0])
    for other in ordered[1:]:
        if not out:
            break
        out = intersect(out, other)
    return out


def at_least_k(lists: Sequence[Sequence[Span]], k: int) -> Spans:
    """The times covered by at least ``k`` of the (individually disjoint) lists."""
    if k <= 1:
        return union([list(x) for x in lists])
    if k > len(lists):
        return []
    events: list[tuple[int, int]] = []
    for lst in lists:
        for s, e in lst:
            events.append((s, 1))
            events.append((e, -1))
    events.sort()  # at equal times the -1 sorts first: half-open spans that touch do not stack
    out: Spans = []
    depth = 0
    start = 0
    for t, d in events:
        before = depth
        depth += d
        if before < k <= depth:
            start = t
        elif depth < k <= before and t > start:
            if out and out[-1][1] == start:
                out[-1] = (out[-1][0], t)
            else:
                out.append((start, t))
    return out


def shift(spans: Sequence[Span], by: int) -> Spans:
    return [(s + by, e + by) for s, e in spans]


def valid_starts(free: Sequence[Span], duration: int) -> Spans:
    """Start times ``t`` (as half-open spans) for which ``[t, t + duration)`` lies inside one free span."""
    return [(s, e - duration + 1) for s, e in free if e - s >= duration]


class SpanIndex:
    """A sorted disjoint span list prepared for O(log n) membership and next-point queries."""

    __slots__ = ("ends", "spans", "starts")

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = list(spans)
        self.starts = [s for s, _ in self.spans]
        self.ends = [e for _, e in self.spans]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def contains(self, t: int) -> bool:
        i = bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def next_point(self, t: int) -> int | None:
        """The smallest point ``>= t`` in the set, or None."""
        i = bisect_right(self.ends, t)  # first span ending after t
        if i == len(self.spans):
            return None
        s = self.starts[i]
        return t if s <= t else s

    def span_after(self, t: int) -> int:
        """Index of the first span whose end is after ``t``."""
        return bisect_left(self.ends, t + 1)
