"""Grouping moving tracks: close pairs that move alike, their connected groups, the groups that
trail a larger one (edge tracks), and a robust speed of a group.

Pure functions of arrays, so they are tested and timed without a tracker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CHUNK = 1024  # rows of the pairwise distance matrix computed at once
EDGE_ANGLE = 30.0  # degrees: how far an edge group's heading may differ from its object's


def median(values: npt.ArrayLike, axis: int | None = None) -> npt.NDArray[np.float64]:
    """np.median of a small array without its overhead (several times faster for one
    object's tracks): the middle of the sorted values, or the mean of the middle two."""
    a = np.sort(np.asarray(values, np.float64), axis=axis)
    if axis is None:
        a = a.reshape(-1)
        axis = 0
    n = a.shape[axis]
    mid = np.take(a, n // 2, axis=axis)
    return mid if n % 2 else (mid + np.take(a, n // 2 - 1, axis=axis)) / 2


@dataclass(frozen=True)
class Links:
    """Pairs (a[k] < b[k]) of points within the link distance; `linked` marks those that also
    move alike (and so belong to one group)."""

    a: npt.NDArray[np.int64]
    b: npt.NDArray[np.int64]
    linked: npt.NDArray[np.bool_]


def near_pairs(pts: npt.ArrayLike, vel: npt.ArrayLike, link_distance: float, tolerance: float,
               floor: float) -> Links:
    """Pairs of points (N, 2) px within `link_distance`; linked when their velocities (N, 2)
    px/s differ by at most max(floor, tolerance * the larger speed)."""
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    vel = np.asarray(vel, np.float64).reshape(-1, 2)
    n = len(pts)
    speed = np.hypot(vel[:, 0], vel[:, 1])
    rows, cols, alike = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, bool)]
    for start in range(0, n, CHUNK):
        part = slice(start, min(n, start + CHUNK))
        d2 = ((pts[part, None, :] - pts[None, :, :]) ** 2).sum(-1)
        i, j = np.nonzero(d2 <= link_distance ** 2)
        keep = i + start < j
        i, j = i[keep] + start, j[keep]
        dv = np.hypot(*(vel[i] - vel[j]).T)
        rows.append(i)
        cols.append(j)
        alike.append(dv <= np.maximum(floor, tolerance * np.maximum(speed[i], speed[j])))
    return Links(np.concatenate(rows), np.concatenate(cols), np.concatenate(alike))


def components(n: int, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
               ) -> npt.NDArray[np.int64]:
    """(n,) labels of the connected components of the edges (a[k], b[k]): each component is
    labelled with its least index."""
    labels = np.arange(n)
    while True:  # label propagation with pointer jumping
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def core_speed(speeds: npt.ArrayLike, band: float) -> tuple[float, npt.NDArray[np.bool_]]:
    """A robust speed of one object's tracks: the median of those in the densest window of
    relative width +-`band` (tracks sliding along its edges are slower and spread out).

    Returns (speed, mask of the tracks used); (NaN, none) when no speed is finite and > 0.
    """
    s = np.asarray(speeds, np.float64).reshape(-1)
    valid = np.isfinite(s) & (s > 0)
    if not valid.any():
        return math.nan, np.zeros(len(s), bool)
    logs = np.log(s[valid])
    order = np.sort(logs)
    width = 2 * math.log1p(band)
    ends = np.searchsorted(order, order + width, side="right")
    start = int(np.argmax(ends - np.arange(len(order))))
    lo, hi = order[start], order[start] + width
    core = np.zeros(len(s), bool)
    core[np.flatnonzero(valid)[(logs >= lo) & (logs <= hi)]] = True
    return float(median(s[core])), core


def absorb_edges(labels: npt.NDArray[np.int64], vel: npt.ArrayLike, links: Links
                 ) -> npt.NDArray[np.int64]:
    """Merge each group into a larger neighbouring group it trails: moving the same way (within
    EDGE_ANGLE degrees) but slower. Tracks on an object's edge, whose window straddles object
    and background, slide along at a fraction of its speed. Returns the new labels."""
    vel = np.asarray(vel, np.float64).reshape(-1, 2)
    uniq, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    sums = [np.bincount(inverse, vel[:, k], len(uniq)) for k in (0, 1)]
    heads = np.stack(sums, 1).astype(np.float64) / sizes[:, None]
    speed = np.hypot(heads[:, 0], heads[:, 1])
    ga, gb = inverse[links.a], inverse[links.b]
    pairs = np.unique(np.sort(np.c_[ga, gb][ga != gb], axis=1), axis=0)
    neighbours: dict[int, set[int]] = {}
    for x, y in pairs.tolist():
        neighbours.setdefault(x, set()).add(y)
        neighbours.setdefault(y, set()).add(x)
    cos_min = math.cos(math.radians(EDGE_ANGLE))
    parent = np.arange(len(uniq))
    size = sizes.copy()
    for small in np.argsort(sizes, kind="stable").tolist():
        bigger = [g for g in neighbours.get(small, ()) if size[g] > size[small]]
        for big in sorted(bigger, key=lambda g: -size[g]):
            sv, su = speed[small], speed[big]
            if 0 < sv < su and heads[small] @ heads[big] >= cos_min * su * sv:
                parent[small] = big
                size[big] += size[small]
                for other in neighbours.pop(small, set()) - {big}:
                    neighbours[other].discard(small)
                    neighbours[other].add(big)
                    neighbours.setdefault(big, set()).add(other)
                neighbours.get(big, set()).discard(small)
                break
    while True:  # follow merges of merges
        root = parent[parent]
        if np.array_equal(root, parent):
            break
        parent = root
    return uniq[parent][inverse]




def region_pairs(pts: npt.ArrayLike, vel: npt.ArrayLike, region: npt.ArrayLike,
                 link_distance: float, tolerance: float, floor: float) -> Links:
    """`near_pairs` within each region (labels (N,)) only: points of different regions are
    never paired, and the work is that of each region's pairs, not of the whole frame's."""
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    vel = np.asarray(vel, np.float64).reshape(-1, 2)
    region = np.asarray(region).reshape(-1)
    order = np.argsort(region, kind="stable")  # increasing indices within each region
    cuts = np.flatnonzero(np.diff(region[order])) + 1
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for block in np.split(order, cuts):
        if len(block) > 1:
            i, j = np.triu_indices(len(block), 1)
            rows.append(block[i])
            cols.append(block[j])
    a, b = np.concatenate(rows), np.concatenate(cols)
    close = ((pts[a] - pts[b]) ** 2).sum(axis=1) <= link_distance ** 2
    a, b = a[close], b[close]
    speed = np.hypot(vel[:, 0], vel[:, 1])
    dv = np.hypot(*(vel[a] - vel[b]).T)
    return Links(a, b, dv <= np.maximum(floor, tolerance * np.maximum(speed[a], speed[b])))


def speed_split(speeds: npt.ArrayLike, pts: npt.ArrayLike, least: int, ratio: float
                ) -> npt.NDArray[np.bool_] | None:
    """Two vehicles that touch in the picture, linked through the tracks on their seam: when a
    group's speeds (N,) fall into two clusters (the best cut of the sorted log speeds, Otsu's),
    each of at least `least` tracks, whose medians are more than `ratio` apart, and whose
    points (N, 2) lie side by side (their boxes overlap by less than half the smaller one),
    the mask of the faster cluster; else None (one vehicle: its slower edge tracks ring its
    body, they do not sit beside it)."""
    s = np.log(np.maximum(np.asarray(speeds, np.float64).reshape(-1), 1e-9))
    n = len(s)
    if n < 2 * least:
        return None
    order = np.argsort(s)
    v = s[order]
    if v[n - least] - v[least - 1] <= math.log(ratio):  # no two such clusters can exist
        return None
    k = np.arange(least, n - least + 1)  # the slow cluster is v[:k]
    total = np.cumsum(v)
    low = total[k - 1] / k
    high = (total[-1] - total[k - 1]) / (n - k)
    cut = int(k[np.argmax(k * (n - k) * (high - low) ** 2)])
    if np.median(v[cut:]) - np.median(v[:cut]) <= math.log(ratio):
        return None
    fast = np.zeros(n, bool)
    fast[order[cut:]] = True
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    a_lo, a_hi, b_lo, b_hi = p[fast].min(0), p[fast].max(0), p[~fast].min(0), p[~fast].max(0)
    inter = np.prod(np.clip(np.minimum(a_hi, b_hi) - np.maximum(a_lo, b_lo), 0, None))
    smaller = min(np.prod(a_hi - a_lo), np.prod(b_hi - b_lo))
    return fast if inter < 0.5 * smaller else None
