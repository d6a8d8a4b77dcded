"""Keys for `column IN (...)`: in lists a driver takes, of a few lengths only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

_CHUNK = 500  # keys per IN (...) list, well under every driver's limit on bound parameters
# An IN list of n keys is a statement text of its own, compiled and kept in the driver's statement cache (128
# per SQLite connection, prepared statements on PostgreSQL) until pushed out: lists of every length from 1 to
# 500 would fill it with near-copies that grow with the lists. Padded to one of these lengths, by repeating
# the last key (a condition, not a row: a key twice matches once), each query has at most seven texts.
_LENGTHS = (8, 16, 32, 64, 128, 256, _CHUNK)


def chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    """The distinct keys, sorted, in padded lists of at most 500."""
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _CHUNK):
        yield padded(ordered[start : start + _CHUNK])


def padded(chunk: list[str]) -> list[str]:
    """`chunk` (1 to 500 keys) lengthened to the next of a few lengths by repeating its last key."""
    length = next(length for length in _LENGTHS if length >= len(chunk))
    return chunk + chunk[-1:] * (length - len(chunk))
