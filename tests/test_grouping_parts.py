"""The grouper's array building blocks against plain one-at-a-time references: the pair search
(`tracker.core.pairs`), linking into groups, and per-group statistics (`tracker.core.segments`,
`GroupStats`). Each must give the same result, to the bit, as the simple form it replaces."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowtop.tracker.core import segments
from flowtop.tracker.core.group_stats import GroupStats
from flowtop.tracker.core.grouping import (
    components,
    core_speed,
    link_groups,
    may_split,
    median,
    near_pairs,
    region_pairs,
    speed_split,
)
from flowtop.tracker.core.pairs import close_pairs
from flowtop.tracker.core.segments import Flat, core_speeds, medians, sorted_speeds


def brute_pairs(pts: np.ndarray, distance: float, labels: np.ndarray | None) -> set:
    n = len(pts)
    return {(i, j) for i in range(n) for j in range(i + 1, n)
            if ((pts[i] - pts[j]) ** 2).sum() <= distance ** 2
            and (labels is None or labels[i] == labels[j])}


@pytest.mark.parametrize("seed", range(40))
def test_close_pairs_are_every_pair_within_the_distance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 150))
    pts = rng.random((n, 2)) * rng.choice([30, 200, 600])
    if seed % 3 == 0:
        pts = np.round(pts / 10) * 10  # many pairs exactly the distance apart
    distance = float(rng.choice([1.0, 10.0, 40.0]))
    # few labels of many points take the grid; many labels of few points, every pair
    labels = None if seed % 4 == 0 else rng.integers(0, int(rng.choice([2, 30])), n)
    a, b = close_pairs(pts, distance, labels)
    assert (a < b).all()
    assert set(zip(a.tolist(), b.tolist())) == brute_pairs(pts, distance, labels)
    assert len(set(zip(a.tolist(), b.tolist()))) == len(a)  # each pair once


def union_find(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    roots = [root(i) for i in range(n)]
    least: dict[int, int] = {}
    for i, r in enumerate(roots):
        least.setdefault(r, i)
    return np.array([least[r] for r in roots], np.int64)


@pytest.mark.parametrize("seed", range(30))
def test_components_label_each_group_with_its_least_index(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    if seed % 3 == 0:  # a chain in random order: the longest way for labels to travel
        perm = rng.permutation(n)
        a, b = perm[:-1], perm[1:]
    else:
        m = int(rng.integers(0, 2 * n))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    assert components(n, a, b).tolist() == union_find(n, a, b).tolist()


@pytest.mark.parametrize("seed", range(30))
def test_link_groups_is_components_of_the_linked_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    pts = rng.random((n, 2)) * 150
    vel = rng.normal(50, 10, (n, 2)) * rng.choice([-1, 1], (n, 1))
    region = rng.integers(1, 5, n) if seed % 2 else None
    links = (region_pairs(pts, vel, region, 30, 0.25, 5) if region is not None
             else near_pairs(pts, vel, 30, 0.25, 5))
    labels, apart = link_groups(pts, vel, region, 30, 0.25, 5)
    assert labels.tolist() == union_find(n, links.a[links.linked],
                                         links.b[links.linked]).tolist()
    want = set(zip(links.a[~links.linked].tolist(), links.b[~links.linked].tolist()))
    assert set(zip(apart.a.tolist(), apart.b.tolist())) == want


def random_groups(rng: np.random.Generator) -> tuple[Flat, np.ndarray]:
    counts = rng.integers(1, 30, int(rng.integers(1, 9)))
    if rng.random() < 0.3:
        counts[0] = int(rng.integers(40, 100))  # one wide group
    m = int(counts.sum())
    kind = rng.integers(0, 3)
    speeds = (rng.choice([5.0, 10.0, 10.4, 11.0, 20.0], m) if kind == 0  # many ties
              else rng.lognormal(3, 0.3, m))
    if kind == 2:  # not all valid
        speeds[rng.random(m) < 0.2] = np.nan
        speeds[rng.random(m) < 0.1] = 0.0
        speeds[rng.random(m) < 0.05] = np.inf
    return Flat.runs(np.arange(m), counts.astype(np.int64)), speeds


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("search_rows", [0, 16])
def test_group_statistics_equal_the_one_group_functions(seed: int, search_rows: int,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(segments, "SEARCH_ROWS", search_rows)  # both window searches
    rng = np.random.default_rng(seed)
    flat, speeds = random_groups(rng)
    band = float(rng.choice([0.01, 0.04, 0.3]))
    kept = rng.random(len(speeds)) < 0.7
    got, core = core_speeds(flat, speeds, band)
    again, _ = core_speeds(flat, sorted_speeds(flat, speeds), band)
    mids = medians(flat, np.stack([speeds, -speeds]), np.stack([kept, ~kept]))
    for k, group in enumerate(flat.groups()):
        want, want_core = core_speed(speeds[group], band)
        assert same(got[k], want) and same(again[k], want)
        assert core[group].tolist() == want_core.tolist()
        for row, sign, mask in ((0, 1, kept), (1, -1, ~kept)):
            values = sign * speeds[group][mask[group]]
            assert same(mids[row][k], float(median(values)) if len(values) else math.nan)


@pytest.mark.parametrize("seed", range(20))
def test_may_split_and_speed_split_agree_with_their_one_group_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.integers(5, 40, 6).astype(np.int64)
    m = int(counts.sum())
    flat = Flat.runs(np.arange(m), counts)
    # two speeds per group, some with ties exactly at the cut
    speeds = np.where(rng.random(m) < 0.5, 40.0, rng.choice([60.0, 61.0, 90.0], m))
    pts = rng.random((m, 2)) * 100
    rows = sorted_speeds(flat, speeds)
    may = may_split(flat, speeds, 5, 1.35)
    assert may.tolist() == may_split(flat, speeds, 5, 1.35, rows).tolist()
    for k, group in enumerate(flat.groups()):
        s = np.log(np.maximum(speeds[group], 1e-9))
        v = np.sort(s)
        n = len(v)
        assert may[k] == (n >= 10 and not v[n - 5] - v[4] <= math.log(1.35))
        fast = speed_split(speeds[group], pts[group], 5, 1.35)
        if fast is not None:  # the fastest speeds, as many as above the cut
            assert speeds[group][fast].min() >= speeds[group][~fast].max()


def test_group_stats_match_each_group_measured_alone() -> None:
    rng = np.random.default_rng(7)
    n = 90
    ids = np.arange(100, 100 + n, dtype=np.int64)
    pts = (rng.random((n, 2)) * 300).astype(np.float32)
    vel = rng.normal(40, 3, (n, 2)).astype(np.float32)
    speed = np.hypot(vel[:, 0], vel[:, 1]).astype(np.float32)
    was = pts.astype(np.float64) - rng.normal(1.3, 0.2, (n, 2))
    seen = rng.random(n) < 0.8
    groups = [np.array(sorted(rng.choice(n, int(c), replace=False)), np.int64)
              for c in (12, 30, 5)]
    stats = GroupStats.of(Flat.of(groups), ids, pts, vel, speed, None, 0.04, was, seen)
    for k, g in enumerate(groups):
        p = pts[g].astype(np.float64)
        lo, hi = p.min(axis=0), p.max(axis=0)
        assert stats.boxes[k] == ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2,
                                  hi[0] - lo[0], hi[1] - lo[1])
        s, core = core_speed(speed[g], 0.04)
        assert stats.speed[k] == s
        assert stats.vel[k] == tuple(median(vel[g][core], axis=0).tolist())
        known = seen[g]
        assert stats.steps[k] == tuple(median(p[known] - was[g][known], axis=0).tolist())
        assert stats.seen[k] == bool(known.any())
        assert stats.ids[k].tolist() == sorted(ids[g].tolist())
        assert stats.id_tuples[k] == tuple(sorted(ids[g].tolist()))
        assert stats.centre(k).tolist() == median(p, axis=0).tolist()
        assert math.isnan(stats.speed_world[k])
