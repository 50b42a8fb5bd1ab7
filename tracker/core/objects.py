"""Moving objects: tracks that move together, grouped, given stable ids, measured and timed.

Each frame, moving tracks are linked when they are close in the image and move with a similar
velocity; linked groups with enough tracks are objects. An object keeps its id from frame to
frame through the tracks it shares with the object it was (and, when every track changed,
through the overlap of its box with where that object should be now).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import ObjectParams, TrapParams
from flowtop.tracker.contracts import ObjectState, TrapResult
from flowtop.tracker.core.grouping import (
    absorb_edges,
    components,
    core_speed,
    median,
    near_pairs,
    region_pairs,
    speed_split,
)
from flowtop.tracker.core.trap import TrapTimer, trap_speed

F32 = npt.NDArray[np.float32]
TRAP_LOG = 100  # trap results kept
SPLIT_LEAST = 5  # tracks each of two touching vehicles needs before they are told apart
MIN_IOU = 0.3  # box overlap that carries an id over when no track is shared


@dataclass
class _Object:
    """What the grouper remembers of an object between frames."""

    id: int
    first_seen: float
    last_seen: float
    members: npt.NDArray[np.int64]
    box: tuple[float, float, float, float]  # x, y, w, h
    vel: tuple[float, float]
    ref: np.ndarray  # a point that moves with the object: the trap watches it
    top_speed: float = 0.0
    top_world: float = math.nan
    frames: int = 0  # frames it was grouped in
    timer: TrapTimer = field(default_factory=TrapTimer)


@dataclass(frozen=True)
class TrackView:
    """The live tracks the grouper reads: ids (N,), pts, vel (N, 2) px, px/s, speed (N,) px/s,
    speed_world (N,) in the state's unit, eligible (N,) whether a track may join an object."""

    ids: npt.NDArray[np.int64]
    pts: F32
    vel: F32
    speed: F32
    speed_world: npt.NDArray[np.float64]
    eligible: npt.NDArray[np.bool_]
    region: npt.NDArray[np.int32] | None = None  # foreground region under each track, 0 = none
    world: npt.NDArray[np.float64] | None = None  # (N, 2) ground positions, m (NaN: unknown)


class ObjectGrouper:
    """`update(t, tracks, unit)` -> the objects of this frame; `reset()` forgets them.

    `trap_results` holds the latest passages through the speed trap, oldest first.
    """

    def __init__(self, params: ObjectParams | None = None, trap: TrapParams | None = None
                 ) -> None:
        self.params = params or ObjectParams()
        self.trap = trap or TrapParams()
        self.trap_results: deque[TrapResult] = deque(maxlen=TRAP_LOG)
        self._objects: list[_Object] = []
        self._next_id = 1
        self._prev_ids = np.zeros(0, np.int64)
        self._prev_pts = np.zeros((0, 2), np.float64)
        self._prev_t = 0.0

    def reset(self) -> None:
        """Forget objects and positions (after a discontinuity); the trap log stays."""
        self._objects = []
        self._prev_ids = np.zeros(0, np.int64)
        self._prev_pts = np.zeros((0, 2), np.float64)

    def update(self, t: float, tracks: TrackView, unit: str, trap_unit: str = "m/s"
               ) -> tuple[ObjectState, ...]:
        p = self.params
        groups = self._groups(tracks, t) if p.enabled else []
        matched = self._match(groups, tracks, t)
        out, live = [], set()
        for members, known in zip(groups, matched):
            if known is None:
                obj = self._new(t, tracks, members)
            else:
                obj = known
                self._advance(obj, t, tracks, members, trap_unit)
            state = self._measure(obj, t, tracks, members, unit, trap_unit)
            live.add(obj.id)
            if obj.frames >= p.min_frames:
                out.append(state)
        self._objects = [o for o in self._objects
                         if o.id in live or t - o.last_seen <= p.keep_s]
        order = np.argsort(tracks.ids)
        self._prev_ids = tracks.ids[order]
        self._prev_pts = tracks.pts[order].astype(np.float64)
        self._prev_t = t
        return tuple(sorted(out, key=lambda o: o.id))

    def _groups(self, tracks: TrackView, t: float) -> list[npt.NDArray[np.int64]]:
        """Index arrays (into the tracks) of each group large enough to be an object."""
        p = self.params
        usable = tracks.eligible & self._steady(tracks, t)
        if tracks.region is not None and p.use_foreground:
            usable &= tracks.region > 0  # moving but on background: dragged, not a vehicle
        idx = np.flatnonzero(usable)
        if len(idx) < p.min_tracks:
            return []
        if tracks.region is not None and p.use_foreground:  # one vehicle, one region
            links = region_pairs(tracks.pts[idx], tracks.vel[idx], tracks.region[idx],
                                 p.link_distance, p.velocity_tolerance, p.velocity_floor)
        else:
            links = near_pairs(tracks.pts[idx], tracks.vel[idx], p.link_distance,
                               p.velocity_tolerance, p.velocity_floor)
        labels = components(len(idx), links.a[links.linked], links.b[links.linked])
        labels = absorb_edges(labels, tracks.vel[idx], links)
        order = np.argsort(labels, kind="stable")
        _, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
        groups = [idx[order[a:a + c]] for a, c in zip(starts, counts) if c >= p.min_tracks]
        split = []
        for g in groups:  # two vehicles touching in the picture, at two speeds
            fast = speed_split(tracks.speed[g], tracks.pts[g], max(p.min_tracks, SPLIT_LEAST),
                               p.split_speeds)
            split.extend([g] if fast is None or p.split_speeds <= 1 else [g[fast], g[~fast]])
        return [g for g in split if self._big_enough(tracks, g)]

    def _big_enough(self, tracks: TrackView, group: npt.NDArray[np.int64]) -> bool:
        """Whether a group spans at least objects.min_size metres on the ground (always true
        without a calibration)."""
        if tracks.world is None or self.params.min_size <= 0:
            return True
        world = tracks.world[group]
        if not np.isfinite(world).all():
            return True
        return bool(np.hypot(*np.ptp(world, axis=0)) >= self.params.min_size)

    def _steady(self, tracks: TrackView, t: float) -> npt.NDArray[np.bool_]:
        """Tracks whose last step agrees with their smoothed velocity: a track that has just
        stopped (left behind by a passing edge) still has a decaying velocity, not a motion."""
        p, prev = self.params, self._prev_ids
        steady = np.ones(len(tracks.ids), bool)
        dt = t - self._prev_t
        if not len(prev) or dt <= 0:
            return steady
        pos = np.minimum(np.searchsorted(prev, tracks.ids), len(prev) - 1)
        known = prev[pos] == tracks.ids
        step = (tracks.pts[known] - self._prev_pts[pos[known]]) / dt
        vel = tracks.vel[known]
        gap = np.hypot(*(step - vel).T)
        allowed = np.maximum(p.velocity_floor, p.velocity_tolerance * np.hypot(*vel.T))
        steady[known] = gap <= allowed
        return steady

    def _match(self, groups: list[npt.NDArray[np.int64]], tracks: TrackView, t: float
               ) -> list[_Object | None]:
        """The remembered object each group continues, or None for a new one."""
        found: list[_Object | None] = [None] * len(groups)
        if not groups or not self._objects:
            return found
        ids = tracks.ids
        owners = np.concatenate([np.full(len(o.members), k) for k, o in
                                 enumerate(self._objects)])
        members = np.concatenate([o.members for o in self._objects])
        order = np.argsort(members)
        members, owners = members[order], owners[order]
        grouped = np.concatenate(groups)
        group_of = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        shared = np.zeros((len(groups), len(self._objects)), np.int64)
        if len(members):
            pos = np.minimum(np.searchsorted(members, ids[grouped]), len(members) - 1)
            hit = members[pos] == ids[grouped]
            np.add.at(shared, (group_of[hit], owners[pos[hit]]), 1)
        taken: set[int] = set()
        for flat in np.argsort(-shared, axis=None, kind="stable"):
            gi, oi = divmod(int(flat), len(self._objects))
            if shared[gi, oi] == 0:
                break
            if found[gi] is None and oi not in taken:
                found[gi] = self._objects[oi]
                taken.add(oi)
        for gi, g in enumerate(groups):  # every track replaced: fall back on box overlap
            if found[gi] is not None:
                continue
            box = _bounds(tracks.pts[g].astype(np.float64))
            best, best_iou = -1, MIN_IOU
            for oi, obj in enumerate(self._objects):
                if oi in taken:
                    continue
                x, y, w, h = obj.box
                dt = t - obj.last_seen
                iou = _iou(box, (x + obj.vel[0] * dt, y + obj.vel[1] * dt, w, h))
                if iou >= best_iou:
                    best, best_iou = oi, iou
            if best >= 0:
                found[gi] = self._objects[best]
                taken.add(best)
        return found

    def _new(self, t: float, tracks: TrackView, members: npt.NDArray[np.int64]) -> _Object:
        pts = tracks.pts[members].astype(np.float64)
        obj = _Object(self._next_id, t, t, np.sort(tracks.ids[members]), _bounds(pts),
                      (0.0, 0.0), median(pts, axis=0))
        self._next_id += 1
        self._objects.append(obj)
        return obj

    def _advance(self, obj: _Object, t: float, tracks: TrackView,
                 members: npt.NDArray[np.int64], trap_unit: str) -> None:
        """Move the object's reference point by the median displacement of its tracks."""
        ids, prev = tracks.ids[members], self._prev_ids
        known = np.zeros(len(ids), bool)
        pos = np.zeros(len(ids), np.int64)
        if len(prev):
            pos = np.minimum(np.searchsorted(prev, ids), len(prev) - 1)
            known = prev[pos] == ids
        if obj.last_seen == self._prev_t and np.any(known):
            step = median(tracks.pts[members][known] - self._prev_pts[pos[known]], axis=0)
        else:  # unseen for a while, or every track is new: coast on its last velocity
            step = np.asarray(obj.vel) * (t - obj.last_seen)
        old = obj.ref.copy()
        obj.ref = obj.ref + step
        result = obj.timer.step(self.trap, trap_unit, obj.id, old, obj.last_seen, obj.ref, t)
        if result is not None:
            self.trap_results.append(result)
        obj.members = np.sort(ids)
        obj.last_seen = t

    def _measure(self, obj: _Object, t: float, tracks: TrackView,
                 members: npt.NDArray[np.int64], unit: str, trap_unit: str) -> ObjectState:
        pts = tracks.pts[members].astype(np.float64)
        band = self.params.speed_band
        speed, core = core_speed(tracks.speed[members], band)
        vx, vy = (float(v) for v in median(tracks.vel[members][core], axis=0))
        speed_world = core_speed(tracks.speed_world[members], band)[0] if unit else math.nan
        obj.box, obj.vel = _bounds(pts), (vx, vy)
        obj.last_seen = t
        obj.frames += 1
        obj.top_speed = max(obj.top_speed, speed)
        if math.isfinite(speed_world):
            obj.top_world = (speed_world if not math.isfinite(obj.top_world)
                             else max(obj.top_world, speed_world))
        x, y, w, h = obj.box
        return ObjectState(
            id=obj.id, x=x, y=y, w=w, h=h, vx=vx, vy=vy, speed=speed, speed_world=speed_world,
            unit=unit, first_seen=obj.first_seen, t=t,
            top_speed=obj.top_speed, top_speed_world=obj.top_world if unit else math.nan,
            tracks=len(members), track_ids=tuple(int(i) for i in obj.members),
            trap_speed=trap_speed(obj.timer),
            trap_unit=obj.timer.result.unit if obj.timer.result else trap_unit)


def _bounds(pts: np.ndarray) -> tuple[float, float, float, float]:
    """Box centre and size (x, y, w, h) of (N, 2) points."""
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    c, size = (lo + hi) / 2, hi - lo
    return float(c[0]), float(c[1]), float(size[0]), float(size[1])


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) centre boxes."""
    ix = min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2)
    iy = min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2)
    inter = max(ix, 0.0) * max(iy, 0.0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
