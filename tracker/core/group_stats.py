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
from flowtop.tracker.core.segments import Flat, SortedSpeeds, bounds, core_speeds, medians

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class GroupStats:
    """Per group k: `boxes[k]` (x, y, w, h) centre and size, `speed[k]` px/s and `vel[k]`
    (vx, vy) of its core tracks, `speed_world[k]` (NaN without a unit), `ids[k]` its tracks'
    ids sorted (`id_tuples[k]` as a tuple), `steps[k]` (dx, dy) median displacement since the
    last frame of its tracks seen there, `seen[k]` whether any was; `centre(k)` its median
    point."""

    boxes: list[Box]
    speed: list[float]
    vel: list[tuple[float, float]]
    speed_world: list[float]
    ids: list[I64]
    id_tuples: list[tuple[int, ...]]
    steps: list[tuple[float, float]]
    seen: list[bool]
    pts: F64  # (M, 2) the groups' points, laid out as their flat indices
    flat: Flat

    @classmethod
    def of(cls, flat: Flat, ids: I64, pts: npt.NDArray[np.float32],
           vel: npt.NDArray[np.float32], speed: npt.NDArray[np.float32],
           speed_world: F64 | None, band: float, was: F64, seen: Mask,
           sorted_speed: SortedSpeeds | None = None) -> GroupStats:
        """The stats of the groups of `flat` (indices into the tracks' ids, pts, vel, speed
        and speed_world; None: no unit); the tracks were at `was` (N, 2) the frame before,
        those `seen` (N,) there. `sorted_speed`: the groups' `segments.sorted_speeds`, if at
        hand."""
        n, at, owner = len(flat), flat.index, flat.owner
        p = pts.take(at, axis=0).astype(np.float64)
        if not n:
            return cls([], [], [], [], [], [], [], [], p, flat)
        lo, hi = bounds(p, flat.start)
        boxes = [((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
                 for (x0, y0), (x1, y1) in zip(lo.tolist(), hi.tolist())]
        speeds, core = core_speeds(flat, speed.take(at) if sorted_speed is None else sorted_speed,
                                   band)
        world = [math.nan] * n
        if speed_world is not None:
            world = core_speeds(flat, speed_world.take(at), band)[0]
        v = vel.take(at, axis=0)
        known = seen.take(at)
        # the other medians in one sort: rows of values, each with the members it reads
        vx, vy, dx, dy = medians(flat, np.concatenate([v.T, (p - was.take(at, axis=0)).T]),
                                 np.array((core, core, known, known)))
        member_ids = ids.take(at)
        rising = member_ids[1:] > member_ids[:-1]
        rising[flat.start[1:] - 1] = True  # each group on its own
        if not rising.all():
            member_ids = member_ids.take(np.lexsort((member_ids, owner)))
        every = member_ids.tolist()
        runs = list(zip(flat.start.tolist(), flat.count.tolist()))
        return cls(boxes, speeds, list(zip(vx, vy)), world,
                   [member_ids[a:a + c] for a, c in runs], [tuple(every[a:a + c]) for a, c in runs],
                   list(zip(dx, dy)), np.logical_or.reduceat(known, flat.start).tolist(), p,
                   flat)

    def centre(self, k: int) -> F64:
        """(2,) the median point of group k."""
        start = int(self.flat.start[k])
        return median(self.pts[start:start + int(self.flat.count[k])], axis=0)
