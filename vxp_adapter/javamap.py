"""Java `String.hashCode` and `java.util.HashMap` iteration order.

The official VXP client keeps its request headers in a HashMap, so the order of the headers,
of `sign-header` and of `sign-header-key` is HashMap iteration order (vxp-edxml.md §5a). We emit
the same order so our requests are byte-compatible with it.
"""

from __future__ import annotations

from collections.abc import Iterable

_DEFAULT_CAPACITY = 16
_LOAD_FACTOR = 0.75
_TREEIFY_THRESHOLD = 8
_MIN_TREEIFY_CAPACITY = 64


def java_string_hash(value: str) -> int:
    """Return Java's `String.hashCode()` (over UTF-16 code units, as a signed 32-bit int)."""
    h = 0
    units = value.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def _spread(h: int) -> int:
    """HashMap.hash(): fold the high bits into the low ones (`h ^ (h >>> 16)`)."""
    u = h & 0xFFFFFFFF
    return u ^ (u >> 16)


def hashmap_order(keys: Iterable[str]) -> list[str]:
    """Return the keys in the order a default `new HashMap<>()` iterates them after `put`s.

    Keys repeated keep their first position. Buckets are visited by index; keys sharing a bucket
    keep insertion order (a resize splits a bucket without reordering it). Tree bins are not
    modelled: they only appear above 64 buckets, far beyond a request's dozen headers.
    """
    capacity = _DEFAULT_CAPACITY
    buckets: dict[int, list[str]] = {}
    seen: set[str] = set()
    size = 0
    for key in keys:
        if key in seen:
            continue
        seen.add(key)
        chain = buckets.setdefault(_spread(java_string_hash(key)) & (capacity - 1), [])
        chain.append(key)
        size += 1
        if len(chain) > _TREEIFY_THRESHOLD and capacity < _MIN_TREEIFY_CAPACITY:
            capacity *= 2  # treeifyBin on a small table resizes instead
            buckets = _rehash(buckets, capacity)
        if size > capacity * _LOAD_FACTOR:
            capacity *= 2
            buckets = _rehash(buckets, capacity)
    return [key for index in sorted(buckets) for key in buckets[index]]


def _rehash(buckets: dict[int, list[str]], capacity: int) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for index in sorted(buckets):
        for key in buckets[index]:
            result.setdefault(_spread(java_string_hash(key)) & (capacity - 1), []).append(key)
    return result
