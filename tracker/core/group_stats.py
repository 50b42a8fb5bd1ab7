"""What each group of tracks of a frame measures, for every group at once.

The grouper (`tracker.core.objects`) reads, per group: its box, the median of its points, its
robust speed and velocity (`grouping.core_speed` of its tracks), its world speed, its tracks'
ids and their median step since the last frame. `GroupStats.of` computes them for all groups
with per-group statistics (`tracker.core.segments`), a fixed number of array operations per
frame whatever the number of objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flowtop.tracker.core.grouping import median
from flowtop.tracker.core.segments import bounds, core_mask, medians

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Flat:
    """Groups of track indices laid end to end: `index` (M,), each one's group `owner` (M,),
    and each group's `start` and `count` (n,)."""

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
        owner = np.repeat(np.arange(len(count)), count)
        return cls(index, owner, np.add.accumulate(count) - count, count)

    def __len__(self) -> int:
        return len(self.count)

    def groups(self) -> list[I64]:
        """Each group's index array."""
        return [self.index[a:a + c] for a, c in zip(self.start.tolist(), self.count.tolist())]


@dataclass(frozen=True)
class GroupStats:
    """Per group k: `boxes[k]` (x, y, w, h) centre and size, `speed[k]` px/s and `vel[k]`
    (vx, vy) of its core tracks, `speed_world[k]` (NaN without a unit), `ids[k]` its tracks'
    ids sorted, `steps` (n, 2) median displacement since the last frame of its tracks seen
    there, `seen[k]` whether any was; `centre(k)` its median point."""

    boxes: list[Box]
    speed: list[float]
    vel: list[tuple[float, float]]
    speed_world: list[float]
    ids: list[I64]
    steps: F64
    seen: list[bool]
    pts: F64  # (M, 2) the groups' points, laid out as their flat indices
    flat: Flat

    @classmethod
    def of(cls, flat: Flat, ids: I64, pts: npt.NDArray[np.float32],
           vel: npt.NDArray[np.float32], speed: npt.NDArray[np.float32],
           speed_world: F64 | None, band: float, prev_ids: I64, prev_pts: F64) -> GroupStats:
        """The stats of the groups of `flat` (indices into the tracks' ids, pts, vel, speed
        and speed_world; None: no unit) with `prev_ids` (sorted) at `prev_pts` (N, 2) the
        frame before."""
        n, at, owner = len(flat), flat.index, flat.owner
        p = pts.take(at, axis=0).astype(np.float64)
        if not n:
            return cls([], [], [], [], [], np.zeros((0, 2)), [], p, flat)
        x, y = p[:, 0], p[:, 1]
        lo, hi = bounds(p, flat.start)
        centre, size = (lo + hi) / 2, hi - lo
        boxes = [(cx, cy, w, h) for (cx, cy), (w, h) in zip(centre.tolist(), size.tolist())]
        s = speed.take(at).astype(np.float64)
        core = core_mask(s, owner, n, band)
        v = vel.take(at[core], axis=0).astype(np.float64)
        # every median in one sort: columns of values, each with its own n groups
        cols = [s[core], v[:, 0], v[:, 1]]
        keys = [owner[core]] * 3
        if speed_world is not None:
            w = speed_world.take(at).astype(np.float64)
            wcore = core_mask(w, owner, n, band)
            cols.append(w[wcore])
            keys.append(owner[wcore])
        member_ids = ids.take(at)
        seen = np.zeros(n, bool)
        if len(prev_ids):
            pos = np.minimum(prev_ids.searchsorted(member_ids), len(prev_ids) - 1)
            known = (prev_ids.take(pos) == member_ids).nonzero()[0]
            was = prev_pts.take(pos.take(known), axis=0)
            cols += [x.take(known) - was[:, 0], y.take(known) - was[:, 1]]
            keys += [owner.take(known)] * 2
            seen[keys[-1]] = True
        med = medians(np.concatenate(cols),
                      np.concatenate([k + i * n for i, k in enumerate(keys)]),
                      n * len(cols)).reshape(len(cols), n)
        world = med[3] if speed_world is not None else np.full(n, math.nan)
        steps = med[-2:].T if len(prev_ids) else np.full((n, 2), np.nan)
        rising = member_ids[1:] > member_ids[:-1]
        rising[flat.start[1:] - 1] = True  # each group on its own
        if not rising.all():
            member_ids = member_ids.take(np.lexsort((member_ids, owner)))
        return cls(boxes, med[0].tolist(), list(zip(med[1].tolist(), med[2].tolist())),
                   world.tolist(), Flat(member_ids, owner, flat.start, flat.count).groups(),
                   steps, seen.tolist(), p, flat)

    def centre(self, k: int) -> F64:
        """(2,) the median point of group k."""
        start = int(self.flat.start[k])
        return median(self.pts[start:start + int(self.flat.count[k])], axis=0)
