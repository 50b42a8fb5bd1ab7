"""Grouping moving tracks: close pairs that move alike, their connected groups, the groups that
trail a larger one (edge tracks), and a robust speed of a group.

Pure functions of arrays, so they are tested and timed without a tracker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flowtop.tracker.core.pairs import candidates, close_pairs, runs, small_argsort
from flowtop.tracker.core.segments import Flat, SortedSpeeds

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
    a, b = close_pairs(pts, link_distance)
    return _links(a, b, vel, tolerance, floor)


def _links(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], vel: npt.ArrayLike,
           tolerance: float, floor: float) -> Links:
    """The pairs (a, b), linked where their velocities are alike (see `near_pairs`)."""
    return Links(a, b, _alike(np.asarray(vel, np.float64).reshape(-1, 2), a, b, tolerance,
                              floor))


def _alike(vel: npt.NDArray[np.float64], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64],
           tolerance: float, floor: float) -> npt.NDArray[np.bool_]:
    """Whether the velocities (N, 2) of the pairs (a, b) differ by at most max(floor,
    tolerance * the larger speed)."""
    vx, vy = vel[:, 0].copy(), vel[:, 1].copy()  # columns: gathering rows is slower
    speed = np.hypot(vx, vy)
    dx, dy = vx.take(a) - vx.take(b), vy.take(a) - vy.take(b)
    allowed = np.maximum(floor, tolerance * np.maximum(speed.take(a), speed.take(b)))
    return dx * dx + dy * dy <= allowed * allowed


def link_groups(pts: npt.ArrayLike, vel: npt.ArrayLike, region: npt.ArrayLike | None,
                link_distance: float, tolerance: float, floor: float
                ) -> tuple[npt.NDArray[np.int64], Links]:
    """The groups of points (N, 2) that `region_pairs` (`near_pairs` without regions) links:
    (N,) labels, each group's its least index, and the close pairs not linked (which may join
    two groups, see `absorb_edges`). One pass in the order of the candidate search: the
    distance and the velocity check of every candidate at once (the arithmetic of `close` and
    `_alike`, on rows of x, y, vx, vy)."""
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    n = len(p)
    order, i, j = candidates(p, link_distance, region)
    rows = np.concatenate((p, np.asarray(vel).reshape(-1, 2)), axis=1,
                          dtype=np.float64).take(order, axis=0)  # x, y, vx, vy
    d = rows.take(i, axis=0) - rows.take(j, axis=0)
    d *= d
    # a pair's allowed difference is the larger of its two points' max(floor, tolerance *
    # speed): the same, to the bit, as max(floor, tolerance * the larger speed)
    allowed = np.maximum(floor, tolerance * np.hypot(rows[:, 2], rows[:, 3]))
    allowed *= allowed
    near = d[:, 0] + d[:, 1] <= link_distance ** 2
    alike = d[:, 2] + d[:, 3] <= np.maximum(allowed.take(i), allowed.take(j))
    linked, apart = (near & alike).nonzero()[0], (near > alike).nonzero()[0]
    labels = components(n, order.take(i.take(linked)), order.take(j.take(linked)))
    a, b = order.take(i.take(apart)), order.take(j.take(apart))
    return labels, Links(np.minimum(a, b), np.maximum(a, b), np.zeros(len(apart), bool))


def components(n: int, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
               ) -> npt.NDArray[np.int64]:
    """(n,) labels of the connected components of the edges (a[k], b[k]): each component is
    labelled with its least index.

    Trees of parent links, each parent less than its child, so a root is its tree's least
    index: each round hooks the larger root of every edge under the smaller one, jumps every
    node to its root, and keeps only the edges still between two trees (as edges between
    their roots). Trees only ever merge, so an edge within one is never needed again: after
    the first round few are left."""
    parent = np.arange(n)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    while len(lo):
        np.minimum.at(parent, hi, lo)  # `hi` are roots: the hook keeps every tree whole
        while True:
            up = parent.take(parent)
            if (up == parent).all():
                break
            parent = up
        lo, hi = parent.take(lo), parent.take(hi)
        apart = (lo != hi).nonzero()[0]
        lo, hi = lo.take(apart), hi.take(apart)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    return parent


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
    if not (labels.take(links.a) != labels.take(links.b)).any():
        return labels  # no two groups side by side
    vel = np.asarray(vel, np.float64).reshape(-1, 2)
    order = small_argsort(labels, len(labels)) if labels.min() >= 0 and \
        labels.max() < len(labels) else labels.argsort()
    ordered = labels.take(order)
    first, sizes, run = runs(ordered)
    uniq = ordered.take(first)
    inverse = np.empty(len(labels), np.int64)
    inverse[order] = run
    hx = np.bincount(inverse, vel[:, 0], len(uniq)) / sizes
    hy = np.bincount(inverse, vel[:, 1], len(uniq)) / sizes
    speed = np.hypot(hx, hy)
    ga, gb = inverse.take(links.a), inverse.take(links.b)
    lo, hi = np.minimum(ga, gb), np.maximum(ga, gb)
    code = np.sort((lo * len(uniq) + hi)[lo != hi])
    first = np.ones(len(code), bool)
    np.not_equal(code[1:], code[:-1], out=first[1:])
    code = code[first]  # each pair of neighbouring groups once, in order
    neighbours: dict[int, set[int]] = {}
    for x, y in zip((code // len(uniq)).tolist(), (code % len(uniq)).tolist()):
        if x in neighbours:
            neighbours[x].add(y)
        else:
            neighbours[x] = {y}
        if y in neighbours:
            neighbours[y].add(x)
        else:
            neighbours[y] = {x}
    cos_min = math.cos(math.radians(EDGE_ANGLE))
    parent = np.arange(len(uniq))
    size = sizes.tolist()
    hxs, hys, speeds = hx.tolist(), hy.tolist(), speed.tolist()
    # only groups with a neighbour can merge (or be merged into); they never gain one later
    for small in [g for g in sizes.argsort(kind="stable").tolist() if g in neighbours]:
        least = size[small]
        bigger = [g for g in neighbours.get(small, ()) if size[g] > least]
        if len(bigger) > 1:
            bigger.sort(key=lambda g: -size[g])
        for big in bigger:
            sv, su = speeds[small], speeds[big]
            if 0 < sv < su and hxs[small] * hxs[big] + hys[small] * hys[big] >= cos_min * su * sv:
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
        if not (root != parent).any():
            break
        parent = root
    return uniq.take(parent).take(inverse)


def region_pairs(pts: npt.ArrayLike, vel: npt.ArrayLike, region: npt.ArrayLike,
                 link_distance: float, tolerance: float, floor: float) -> Links:
    """`near_pairs` within each region (labels (N,)) only: points of different regions are
    never paired."""
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    a, b = close_pairs(pts, link_distance, region)
    return _links(a, b, vel, tolerance, floor)


def may_split(flat: Flat, speeds: npt.ArrayLike, least: int, ratio: float,
              rows: SortedSpeeds | None = None) -> npt.NDArray[np.bool_]:
    """(n,) which groups of `flat` `speed_split` may split: those whose speeds (M,) pass its
    first checks, for every group at once (few get further). `rows`: the speeds'
    `segments.sorted_speeds`, if at hand."""
    big = (flat.count >= 2 * least).nonzero()[0]
    out = np.zeros(len(flat), bool)
    if not len(big):
        return out
    high = flat.count.take(big) - least
    if rows is not None and (rows.valid >= 1e-9).all():
        # then log(max(s, 1e-9)) is log(s), and the sorted speeds give the sorted logs
        gap = np.log(rows.rows[big, high]) - np.log(rows.rows[big, least - 1])
    else:
        s = np.asarray(speeds, np.float64).reshape(-1)
        logs = np.sort(flat.spread(np.log(np.maximum(s, 1e-9))), axis=-1)
        gap = logs[big, high] - logs[big, least - 1]
    out[big] = ~(gap <= math.log(ratio))  # NaN goes on, as in speed_split
    return out


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
    v = np.sort(s)
    if v[n - least] - v[least - 1] <= math.log(ratio):  # no two such clusters can exist
        return None
    k = np.arange(least, n - least + 1)  # the slow cluster is v[:k]
    rest = n - k
    total = np.add.accumulate(v)
    below = total[least - 1:n - least]  # total[k - 1]
    low = below / k
    high = (total[-1] - below) / rest
    cut = least + int(np.argmax(k * rest * (high - low) ** 2))
    if _sorted_median(v[cut:]) - _sorted_median(v[:cut]) <= math.log(ratio):
        return None
    if v[cut - 1] < v[cut]:  # the cut falls between two speeds: the fast ones are all above
        fast = ~(s < v[cut])
    else:  # between equal speeds: the sort's order decides which side each one falls on
        fast = np.zeros(n, bool)
        fast[np.argsort(s)[cut:]] = True
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    p = np.concatenate([p[~fast], p[fast]])  # slow ones first
    (b_lo, a_lo), (b_hi, a_hi) = (np.minimum.reduceat(p, [0, cut]).tolist(),
                                  np.maximum.reduceat(p, [0, cut]).tolist())
    inter = (max(min(a_hi[0], b_hi[0]) - max(a_lo[0], b_lo[0]), 0.0)
             * max(min(a_hi[1], b_hi[1]) - max(a_lo[1], b_lo[1]), 0.0))
    smaller = min((a_hi[0] - a_lo[0]) * (a_hi[1] - a_lo[1]),
                  (b_hi[0] - b_lo[0]) * (b_hi[1] - b_lo[1]))
    return fast if inter < 0.5 * smaller else None


def _sorted_median(v: npt.NDArray[np.float64]) -> float:
    """np.median of sorted values (NaN last, as np.sort leaves them)."""
    n = len(v)
    if math.isnan(v[-1]):
        return math.nan
    return float(v[n // 2] if n % 2 else (v[n // 2] + v[n // 2 - 1]) / 2)
