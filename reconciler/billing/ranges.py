"""Sets of billing days as sorted, disjoint, inclusive ranges of date ordinals."""

from __future__ import annotations

from typing import Iterable

Range = tuple[int, int]  # first and last day (date.toordinal()), inclusive
Ranges = tuple[Range, ...]

NEG, POS = -(10**9), 10**9  # "forever" on either side


def merge(ranges: Iterable[Range]) -> Ranges:
    """Union: sort and join overlapping or adjacent ranges."""
    out: list[Range] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return tuple(out)


def subtract(ranges: Ranges, cut: Range) -> Ranges:
    lo, hi = cut
    out: list[Range] = []
    for first, last in ranges:
        if last < lo or first > hi:
            out.append((first, last))
            continue
        if first < lo:
            out.append((first, lo - 1))
        if last > hi:
            out.append((hi + 1, last))
    return tuple(out)


def intersect(a: Range, b: Range) -> Range | None:
    """The days two ranges share, or None."""
    first, last = max(a[0], b[0]), min(a[1], b[1])
    return (first, last) if first <= last else None


def subtract_all(ranges: Ranges, cuts: Ranges) -> Ranges:
    for cut in cuts:
        ranges = subtract(ranges, cut)
    return ranges


def overlaps_any(ranges: Ranges, cuts: Ranges) -> bool:
    return any(overlaps(ranges, cut) for cut in cuts)


def overlaps(ranges: Ranges, cut: Range) -> bool:
    return any(first <= cut[1] and last >= cut[0] for first, last in ranges)


def count(ranges: Ranges) -> int:
    return sum(last - first + 1 for first, last in ranges)


def contains(ranges: Ranges, day: int) -> bool:
    return any(first <= day <= last for first, last in ranges)
