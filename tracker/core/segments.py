"""Statistics of many small groups at once, each group a row of a padded table.

A frame holds a few dozen objects of a few dozen tracks each; computed one group at a time,
the calls cost more than the arithmetic. `Flat` lays the groups' members end to end; `spread`
turns values of the members into an (n groups, widest group) table padded with NaN, which
sorts along its rows in one call. The statistics below take a fixed number of array operations
whatever the number of groups, with the results (to the bit) of the one-group functions of
`tracker.core.grouping` they stand for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
SEARCH_ROWS = 16  # up to this many rows, one search a row costs less than comparing all
PAIRWISE_WIDTH = 32  # and for rows wider than this (a row's k * k comparisons cost more)


@dataclass(frozen=True)
class Flat:
    """Groups (non-empty) of track indices laid end to end: `index` (M,), each one's group
    `owner` (M,), and each group's `start` and `count` (n,)."""

    index: I64
    owner: I64
    start: I64
    count: I64

    @classmethod
    def of(cls, groups: list[I64]) -> Flat:
        count = np.array([len(g) for g in groups], np.int64)
        index = np.concatenate(groups) if groups else np.zeros(0, np.int64)
        return cls.runs(index, count)

    @classmethod
    def runs(cls, index: I64, count: I64) -> Flat:
        """Groups held in consecutive runs of `index`, of `count` (n,) each."""
        owner = np.arange(len(count)).repeat(count)
        return cls(index, owner, np.add.accumulate(count) - count, count)

    def __len__(self) -> int:
        return len(self.count)

    def groups(self) -> list[I64]:
        """Each group's index array."""
        return [self.index[a:a + c] for a, c in zip(self.start.tolist(), self.count.tolist())]

    @cached_property
    def width(self) -> int:
        """The widest group's count."""
        return int(self.count.max()) if len(self.count) else 0

    @cached_property
    def cell(self) -> I64:
        """(M,) where each member sits in a table of one group a row, `width` wide, flat."""
        return self.owner * self.width + np.arange(len(self.owner)) - self.start.take(self.owner)

    def spread(self, values: npt.ArrayLike) -> F64:
        """(..., n, width) the values (..., M) of the members, one group a row, padded
        with NaN."""
        v = np.asarray(values, np.float64)
        lead, size = v.shape[:-1], len(self.count) * self.width
        out = np.empty((*lead, size))
        out.fill(np.nan)
        at = self.cell if not lead else \
            (np.arange(0, v.size // v.shape[-1] * size, size)[:, None] + self.cell).reshape(-1)
        out.put(at, v)
        return out.reshape(*lead, len(self.count), self.width)


def medians(flat: Flat, values: npt.ArrayLike, kept: Mask) -> list[list[float]]:
    """[C][n] the median of each group's values (C, M), as `grouping.median`, of those
    `kept` (C, M); NaN for a group with none."""
    v = np.where(kept, values, np.nan)  # left out: sorted after every value, as padding
    count = np.add.reduceat(kept, flat.start, axis=-1, dtype=np.int64).reshape(-1).tolist()
    out = _middle(np.sort(flat.spread(v), axis=-1), [0] * len(count), count)
    n = len(flat)
    return [out[c:c + n] for c in range(0, len(out), n)]


def _middle(rows: F64, first: list[int], count: list[int]) -> list[float]:
    """The median of each row (of the flat rows of `rows`), of its `count` sorted values from
    `first` (NaN for none)."""
    width = rows.shape[-1]
    high = [r * width + f + c // 2 for r, (f, c) in enumerate(zip(first, count))]
    low = [h - 1 if c and not c % 2 else h for h, c in zip(high, count)]
    values = rows.reshape(-1).take(high + low).tolist()
    n = len(high)
    return [math.nan if not c else (hv if c % 2 else (hv + lv) / 2)
            for c, hv, lv in zip(count, values[:n], values[n:])]


def window_counts(rows: F64, width: float) -> I64:
    """For each value of `rows` (n, k) sorted along rows (NaN last), how many of its row are
    <= it + `width` (np.searchsorted side right, within the row); 0 for NaN."""
    n, k = rows.shape
    if n > SEARCH_ROWS and k <= PAIRWISE_WIDTH:  # many narrow rows: all at once
        return (rows[:, None, :] <= (rows + width)[:, :, None]).sum(axis=2)
    ends = np.empty((n, k), np.int64)
    bound = rows + width
    for r in range(n):  # a few rows (or large ones): one search each
        ends[r] = rows[r].searchsorted(bound[r], side="right")
    ends[np.isnan(rows)] = 0
    return ends


@dataclass(frozen=True)
class SortedSpeeds:
    """Speeds (M,), NaN where not finite and > 0, and each group's of them sorted: (n,
    width) padded with NaN."""

    valid: F64
    rows: F64


def sorted_speeds(flat: Flat, speeds: npt.ArrayLike) -> SortedSpeeds:
    s = np.asarray(speeds, np.float64).reshape(-1)
    s = np.where(np.isfinite(s) & (s > 0), s, np.nan)
    return SortedSpeeds(s, np.sort(flat.spread(s), axis=-1))


def core_speeds(flat: Flat, speeds: npt.ArrayLike | SortedSpeeds, band: float
                ) -> tuple[list[float], Mask]:
    """`grouping.core_speed` of every group: [n] the median of the speeds (M,) (finite,
    > 0) in the densest window of log width 2 log(1 + band), the first such window from the
    slowest (NaN for a group with none), and (M,) the mask of those speeds."""
    sort = speeds if isinstance(speeds, SortedSpeeds) else sorted_speeds(flat, speeds)
    s, srows = sort.valid, sort.rows
    rows = np.log(srows)  # sorted too
    width = 2 * math.log1p(band)
    score = window_counts(rows, width) - np.arange(flat.width)
    first = score.argmax(axis=1).tolist()  # the window: a row's first largest score
    lo = rows.reshape(-1).take([r * flat.width + f for r, f in enumerate(first)])
    logs = np.log(s)  # NaN where not valid: never in a window
    core = (logs >= lo.take(flat.owner)) & (logs <= (lo + width).take(flat.owner))
    # the window's speeds lie side by side in the sorted row, as many as its score
    return _middle(srows, first, score.max(axis=1).tolist()), core


def bounds(pts: npt.ArrayLike, start: I64) -> tuple[F64, F64]:
    """(n, 2) least and greatest of (M, 2) points held in runs from `start` (each non-empty)."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    return np.minimum.reduceat(p, start, axis=0), np.maximum.reduceat(p, start, axis=0)
