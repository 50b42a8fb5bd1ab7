"""Pairs of points within a distance (and of one label), without a table of every pair.

Labels (foreground regions: one vehicle each) that hold few points make every pair within a
label a candidate. When they hold many (one region covering a moving camera's whole picture,
or no labels at all), points are binned into square cells one distance wide, so a close pair
lies in one cell or in two neighbouring cells, and only those candidates are measured. The
work grows with the points and their close neighbours, not with the square of the points,
and it is a fixed number of array operations whatever the number of cells or labels.
Coordinates are handled as separate columns: gathering rows of an (N, 2) array is slower.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
CELL_SLACK = 1e-9  # cells a hair wider than the distance: rounding never splits a close pair
FORWARD = np.array([(1, 0), (-1, 1), (0, 1), (1, 1)])  # (dx, dy) of neighbour cells: each pair
# of cells is looked at once
GRID_FROM = 64  # points sharing a label, on average: beyond, candidates come from the grid


def small_argsort(key: I64, bound: int) -> I64:
    """A stable argsort of integers in 0 .. bound - 1: by radix when they fit 16 bits
    (several times faster than a comparison sort)."""
    return (key.astype(np.uint16) if bound <= 1 << 16 else key).argsort(kind="stable")


def runs(sorted_keys: npt.NDArray[np.int64]) -> tuple[I64, I64, I64]:
    """(first, count) of each run of equal values in `sorted_keys`, and each value's run
    (np.unique's return_index, return_counts and return_inverse, without its overhead)."""
    n = len(sorted_keys)
    new = np.ones(n, bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    first = new.nonzero()[0]
    end = np.empty_like(first)
    end[:-1], end[-1:] = first[1:], n
    return first, end - first, np.add.accumulate(new, dtype=np.int64) - 1


def close_pairs(pts: npt.ArrayLike, distance: float, labels: npt.ArrayLike | None = None
                ) -> tuple[I64, I64]:
    """Index pairs (a, b), a < b, of the (N, 2) points at most `distance` apart (and, given
    integer `labels` (N,), of one label), in no particular order."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    order, i, j = candidates(p, distance, labels)
    near = close(p.take(order, axis=0), i, j, distance)
    i, j = order.take(i.take(near)), order.take(j.take(near))
    return np.minimum(i, j), np.maximum(i, j)


def close(sorted_pts: npt.NDArray[np.float64], i: I64, j: I64, distance: float) -> I64:
    """Which candidates (i, j) of the (N, 2) points are at most `distance` apart."""
    x, y = sorted_pts[:, 0], sorted_pts[:, 1]
    gx, gy = x.take(i) - x.take(j), y.take(i) - y.take(j)
    return (gx * gx + gy * gy <= distance ** 2).nonzero()[0]


def candidates(pts: npt.NDArray[np.float64], distance: float,
               labels: npt.ArrayLike | None = None) -> tuple[I64, I64, I64]:
    """The points (N, 2) in the order that groups them by label (and cell), and every pair of
    them that may be `distance` apart (i < j, places in that order)."""
    n = len(pts)
    if n < 2:
        return np.arange(n), np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.zeros(n, np.int64) if labels is None else \
        np.asarray(labels).reshape(-1).astype(np.int64)
    key -= key.min()
    sizes = np.bincount(key)
    if int(sizes @ sizes) <= GRID_FROM * n:  # few points a label: every pair within one
        order = small_argsort(key, len(sizes))
        keys = key.take(order)
        at = np.arange(n)
        return (order, *_expand(at, at + 1, keys.searchsorted(keys, side="right") - at - 1))
    x, y = pts[:, 0], pts[:, 1]
    size = distance * (1 + CELL_SLACK)
    cx = ((x - x.min()) / size).astype(np.int64)  # >= 0: truncation is the floor
    cy = ((y - y.min()) / size).astype(np.int64)
    width, height = int(cx.max()) + 2, int(cy.max()) + 2  # a blank margin: a neighbour
    key = (key * height + cy) * width + cx  # across an edge is never a real cell
    order = key.argsort()
    keys = key.take(order)
    first, count, of = runs(keys)  # the cells, and each sorted point's cell
    at = np.arange(n)
    # each sorted point's candidates are runs of sorted points after it: the rest of its own
    # cell, then the whole of each forward neighbour cell (which sorts after it) with points
    cells = keys.take(first)
    want = (cells[:, None] + FORWARD[:, 1] * width + FORWARD[:, 0]).ravel()
    pos = np.minimum(cells.searchsorted(want), len(cells) - 1)
    hit = (cells.take(pos) == want).reshape(-1, len(FORWARD))
    point, slot = hit.take(of, axis=0).nonzero()  # (point, forward cell) candidates
    cell = pos.reshape(-1, len(FORWARD))[of.take(point), slot]
    return (order, *_expand(np.concatenate([at, point]),
                            np.concatenate([at + 1, first.take(cell)]),
                            np.concatenate([(first + count).take(of) - at - 1,
                                            count.take(cell)])))


def _expand(src: I64, start: I64, span: I64) -> tuple[I64, I64]:
    """Pairs (src[k], start[k] + 0 .. span[k] - 1) for every k, laid end to end."""
    base = np.add.accumulate(span) - span  # where each run starts among the pairs
    return (src.repeat(span),
            (start - base).repeat(span) + np.arange(int(span.sum())))
