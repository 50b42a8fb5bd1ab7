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

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
PAIRWISE_MAX = 1 << 20  # comparisons a window count makes at once; beyond, one row at a time


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

    def spread(self, values: npt.ArrayLike) -> F64:
        """(..., n, widest) the values (..., M) of the members, one group a row, padded
        with NaN."""
        v = np.asarray(values, np.float64)
        out = np.full((*v.shape[:-1], len(self.count), int(self.count.max())), np.nan)
        out[..., self.owner, np.arange(len(self.owner)) - self.start.take(self.owner)] = v
        return out


def medians(flat: Flat, values: npt.ArrayLike, kept: Mask | None = None) -> F64:
    """(..., n) the median of each group's values (..., M), as `grouping.median`, of those
    `kept` (..., M) when given; NaN for a group with none."""
    v = np.asarray(values, np.float64)
    count = np.broadcast_to(flat.count, (*v.shape[:-1], len(flat.count)))
    if kept is not None:
        v = np.where(kept, v, np.nan)  # left out: sorted after every value, as padding
        count = np.add.reduceat(kept, flat.start, axis=-1, dtype=np.int64)
    rows = np.sort(flat.spread(v), axis=-1).reshape(-1, int(flat.count.max()))
    count = count.reshape(-1)
    at = np.arange(len(rows))
    mid = count // 2
    high, low = rows[at, mid], rows[at, np.maximum(mid - 1, 0)]
    out = np.where(count % 2 == 1, high, (high + low) / 2)
    out[count == 0] = np.nan
    return out.reshape(*v.shape[:-1], len(flat.count))


def window_counts(rows: F64, width: float) -> I64:
    """For each value of `rows` (n, k) sorted along rows (NaN last), how many of its row are
    <= it + `width` (np.searchsorted side right, within the row); 0 for NaN."""
    n, k = rows.shape
    if n * k * k <= PAIRWISE_MAX:
        return (rows[:, None, :] <= (rows + width)[:, :, None]).sum(axis=2)
    ends = np.zeros((n, k), np.int64)
    for r in range(n):  # large groups: one search each
        ends[r] = rows[r].searchsorted(rows[r] + width, side="right")
    return np.where(np.isnan(rows), 0, ends)


def core_mask(flat: Flat, speeds: npt.ArrayLike, band: float) -> Mask:
    """(M,) the values `grouping.core_speed` takes the median of, in every group: those
    (finite, > 0) in the densest window of log width 2 log(1 + band), the first such window
    from the slowest."""
    s = np.asarray(speeds, np.float64).reshape(-1)
    valid = np.isfinite(s) & (s > 0)
    logs = np.full(len(s), np.nan)
    logs[valid] = np.log(s[valid])
    rows = np.sort(flat.spread(logs), axis=-1)
    width = 2 * math.log1p(band)
    score = window_counts(rows, width) - np.arange(rows.shape[1])
    lo = rows[np.arange(len(rows)), score.argmax(axis=1)]  # NaN for a row with no value
    hi = lo + width
    return valid & (logs >= lo.take(flat.owner)) & (logs <= hi.take(flat.owner))


def bounds(pts: npt.ArrayLike, start: I64) -> tuple[F64, F64]:
    """(n, 2) least and greatest of (M, 2) points held in runs from `start` (each non-empty)."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    return np.minimum.reduceat(p, start, axis=0), np.maximum.reduceat(p, start, axis=0)
