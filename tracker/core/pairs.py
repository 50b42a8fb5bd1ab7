"""Pairs of points within a distance, found through a grid instead of every pair.

Points are binned into square cells one distance wide, so a close pair lies in one cell or in
two neighbouring cells; only those candidates are measured. The work grows with the points and
their close neighbours, not with the square of the points (a frame-wide pair table), and it is
a fixed number of array operations whatever the number of cells or labels. Coordinates are
handled as separate columns: gathering rows of an (N, 2) array is many times slower.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
CELL_SLACK = 1e-9  # cells a hair wider than the distance: rounding never splits a close pair
FORWARD = ((1, 0), (-1, 1), (0, 1), (1, 1))  # neighbour cells, each pair of cells once


def runs(sorted_keys: npt.NDArray[np.int64]) -> tuple[I64, I64, I64]:
    """(first, count) of each run of equal values in `sorted_keys`, and each value's run
    (np.unique's return_index, return_counts and return_inverse, without its overhead)."""
    n = len(sorted_keys)
    new = np.ones(n, bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    first = np.flatnonzero(new)
    end = np.empty_like(first)
    end[:-1], end[-1:] = first[1:], n
    return first, end - first, np.add.accumulate(new, dtype=np.int64) - 1


def close_pairs(pts: npt.ArrayLike, distance: float, labels: npt.ArrayLike | None = None
                ) -> tuple[I64, I64]:
    """Index pairs (a, b), a < b, of the (N, 2) points at most `distance` apart (and, given
    integer `labels` (N,), of one label), in no particular order."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    n = len(p)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    x, y = p[:, 0].copy(), p[:, 1].copy()
    size = distance * (1 + CELL_SLACK)
    cx = np.floor((x - x.min()) / size).astype(np.int64)
    cy = np.floor((y - y.min()) / size).astype(np.int64)
    width, height = int(cx.max()) + 2, int(cy.max()) + 2  # a blank margin: a neighbour
    key = cy * width + cx  # across an edge is never a real cell
    if labels is not None:
        lab = np.asarray(labels).reshape(-1).astype(np.int64)
        key += (lab - lab.min()) * (width * height)
    order = np.argsort(key, kind="stable")
    keys = key[order]
    first, count, of = runs(keys)  # the cells, and each sorted point's cell
    cells = keys[first]
    at = np.arange(n)
    # each sorted point's candidates are runs of sorted points: the rest of its own cell,
    # then the whole of each forward neighbour cell
    src, start, length = [at], [at + 1], [(first + count)[of] - at - 1]
    for dx, dy in FORWARD:
        want = cells + (dy * width + dx)
        pos = np.minimum(np.searchsorted(cells, want), len(cells) - 1)
        hit = np.flatnonzero((cells[pos] == want)[of])
        cell = pos[of[hit]]
        src.append(hit)
        start.append(first[cell])
        length.append(count[cell])
    span = np.concatenate(length)
    base = np.add.accumulate(span) - span
    offset = np.arange(int(span.sum())) - np.repeat(base, span)
    i = order[np.repeat(np.concatenate(src), span)]
    j = order[np.repeat(np.concatenate(start), span) + offset]
    a, b = np.minimum(i, j), np.maximum(i, j)
    gx, gy = x[a] - x[b], y[a] - y[b]
    near = np.flatnonzero(gx * gx + gy * gy <= distance ** 2)
    return a[near], b[near]
