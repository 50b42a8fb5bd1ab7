"""Statistics of many small groups at once: values (M,), each with its group (M,) in 0..n-1.

A frame holds a few dozen objects of a few dozen tracks each; computed one group at a time,
the calls cost more than the arithmetic. These do it for every group in a fixed number of
array operations, with the results (to the bit) of the one-group functions of
`tracker.core.grouping` they stand for.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def sort_within(values: npt.ArrayLike, group: npt.ArrayLike, n: int
                ) -> tuple[F64, I64, I64, I64, I64]:
    """The values sorted by group, then by value (NaN last in its group): (sorted values,
    their groups, the order that sorts them, each group's start and count (n,))."""
    v = np.asarray(values, np.float64).reshape(-1)
    g = np.asarray(group, np.int64).reshape(-1)
    order = np.lexsort((v, g))
    count = np.bincount(g, minlength=n)
    return v.take(order), g.take(order), order, np.add.accumulate(count) - count, count


def medians(values: npt.ArrayLike, group: npt.ArrayLike, n: int) -> F64:
    """(n,) the median of each group's values, as `grouping.median`; NaN for an empty one."""
    v, _, _, start, count = sort_within(values, group, n)
    out = np.full(n, np.nan)
    has = count > 0
    mid, odd = (start + count // 2)[has], (count % 2 == 1)[has]
    high, low = v.take(mid), v.take(np.maximum(mid - 1, 0))
    out[has] = np.where(odd, high, (high + low) / 2)
    return out


def medians_2d(values: npt.ArrayLike, group: npt.ArrayLike, n: int) -> F64:
    """(n, 2) the median of each column of (M, 2) values, per group."""
    v = np.asarray(values, np.float64).reshape(-1, 2)
    return np.stack([medians(v[:, 0], group, n), medians(v[:, 1], group, n)], axis=1)


def counts_up_to(ends: F64, v: F64, g: I64, start: I64) -> I64:
    """For each group-sorted value v[k] (groups g, starts `start`), how many values of its
    group are <= ends[k]: a searchsorted (side right) within each group, by one merge."""
    m = len(v)
    # values before bounds, and a stable sort: a value equal to a bound comes first (<=)
    merged = np.lexsort((np.concatenate([v, ends]), np.concatenate([g, g])))
    seen = np.add.accumulate(merged < m, dtype=np.int64)  # values at or before each place
    bound = (merged >= m).nonzero()[0]
    out = np.empty(m, np.int64)
    out[merged.take(bound) - m] = seen.take(bound)
    return out - start.take(g)


def first_max(score: I64, g: I64, start: I64, count: I64) -> I64:
    """Per group (g sorted), the index (into score) of its first largest score; -1 for an
    empty group."""
    out = np.full(len(count), -1, np.int64)
    has = count > 0
    out[has] = np.lexsort((-score, g))[start[has]]  # stable: the first of equal scores
    return out


def core_mask(speeds: npt.ArrayLike, group: npt.ArrayLike, n: int, band: float
              ) -> npt.NDArray[np.bool_]:
    """(M,) the values `grouping.core_speed` takes the median of, in every group."""
    s = np.asarray(speeds, np.float64).reshape(-1)
    g = np.asarray(group, np.int64).reshape(-1)
    core = np.zeros(len(s), bool)
    valid = np.flatnonzero(np.isfinite(s) & (s > 0))
    if not len(valid):
        return core
    logs, gv = np.log(s.take(valid)), g.take(valid)
    v, gs, _, start, count = sort_within(logs, gv, n)
    width = 2 * math.log1p(band)
    ends = counts_up_to(v + width, v, gs, start)
    best = first_max(ends - (np.arange(len(v)) - start.take(gs)), gs, start, count)
    lo = np.full(n, np.nan)
    lo[best >= 0] = v[best[best >= 0]]
    hi = lo + width
    core[valid] = (logs >= lo.take(gv)) & (logs <= hi.take(gv))
    return core


def core_speeds(speeds: npt.ArrayLike, group: npt.ArrayLike, n: int, band: float
                ) -> tuple[F64, npt.NDArray[np.bool_]]:
    """`grouping.core_speed` of each group: ((n,) speeds, NaN where none is finite and > 0;
    (M,) mask of the values used)."""
    s = np.asarray(speeds, np.float64).reshape(-1)
    core = core_mask(s, group, n, band)
    return medians(s[core], np.asarray(group).reshape(-1)[core], n), core


def bounds(pts: npt.ArrayLike, start: I64) -> tuple[F64, F64]:
    """(n, 2) least and greatest of (M, 2) points held in runs from `start` (each non-empty)."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    return np.minimum.reduceat(p, start, axis=0), np.maximum.reduceat(p, start, axis=0)
