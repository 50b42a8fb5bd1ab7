"""Moving objects: tracks that move together, grouped, given stable ids, measured and timed.

Each frame, moving tracks are linked when they are close in the image and move with a similar
velocity; linked groups with enough tracks are objects. An object keeps its id from frame to
frame through the tracks it shares with the object it was (and, when every track changed,
through the overlap of its box with where that object should be now).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import ObjectParams, TrapParams
from flowtop.tracker.contracts import ObjectState, TrapResult
from flowtop.tracker.core.group_stats import GroupStats
from flowtop.tracker.core.grouping import absorb_edges, link_groups, may_split, speed_split
from flowtop.tracker.core.pairs import runs, small_argsort
from flowtop.tracker.core.segments import Flat, SortedSpeeds, bounds, sorted_speeds
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
    members: npt.NDArray[np.int64]  # its tracks' ids, sorted (as a tuple in track_ids)
    track_ids: tuple[int, ...]
    box: tuple[float, float, float, float]  # x, y, w, h
    vel: tuple[float, float]
    ref: tuple[float, float]  # a point that moves with the object: the trap watches it
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
        self._ordered = True  # this frame's track ids rise

    def reset(self) -> None:
        """Forget objects and positions (after a discontinuity); the trap log stays."""
        self._objects = []
        self._prev_ids = np.zeros(0, np.int64)
        self._prev_pts = np.zeros((0, 2), np.float64)

    def update(self, t: float, tracks: TrackView, unit: str, trap_unit: str = "m/s"
               ) -> tuple[ObjectState, ...]:
        p = self.params
        ids = tracks.ids
        self._ordered = len(ids) < 2 or bool((ids[1:] > ids[:-1]).all())
        was, seen = self._was(ids)
        groups, rows = self._groups(tracks, t, was, seen) if p.enabled else (Flat.of([]), None)
        stats = GroupStats.of(groups, tracks.ids, tracks.pts, tracks.vel, tracks.speed,
                              tracks.speed_world if unit else None, p.speed_band, was, seen, rows)
        matched = self._match(groups, tracks, t, stats)
        out, live = [], set()
        for k, known in enumerate(matched):
            if known is None:
                obj = self._new(t, stats, k)
            else:
                obj = known
                self._advance(obj, t, stats, k, trap_unit)
            state = self._measure(obj, t, stats, k, unit, trap_unit)
            live.add(obj.id)
            if obj.frames >= p.min_frames:
                out.append(state)
        self._objects = [o for o in self._objects
                         if o.id in live or t - o.last_seen <= p.keep_s]
        ids, pts = tracks.ids, tracks.pts
        if not self._ordered:  # tracks are kept in order of id: seldom needed
            order = ids.argsort()
            ids, pts = ids.take(order), pts.take(order, axis=0)
        self._prev_ids, self._prev_pts, self._prev_t = ids, pts.astype(np.float64), t
        return tuple(sorted(out, key=lambda o: o.id))

    def _was(self, ids: npt.NDArray[np.int64]
             ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Where each track (by `ids`) was the frame before (N, 2), and whether it was there
        (N,)."""
        prev = self._prev_ids
        if not len(prev):
            return np.zeros((len(ids), 2)), np.zeros(len(ids), bool)
        pos = np.minimum(prev.searchsorted(ids), len(prev) - 1)
        return self._prev_pts.take(pos, axis=0), prev.take(pos) == ids

    def _groups(self, tracks: TrackView, t: float, was: npt.NDArray[np.float64],
                seen: npt.NDArray[np.bool_]) -> tuple[Flat, SortedSpeeds | None]:
        """The groups (indices into the tracks) large enough to be an object, and their
        speeds sorted (`segments.sorted_speeds`) when at hand; `was`, `seen`: see `_was`."""
        p = self.params
        usable = tracks.eligible
        if tracks.region is not None and p.use_foreground:
            usable = usable & (tracks.region > 0)  # moving on background: dragged, no vehicle
        idx = usable.nonzero()[0]
        idx = idx[self._steady(tracks, t, idx, was, seen)]
        if len(idx) < p.min_tracks:
            return Flat.of([]), None
        vel = tracks.vel.take(idx, axis=0)
        region = tracks.region.take(idx) if tracks.region is not None and p.use_foreground \
            else None  # one vehicle, one region
        labels, apart = link_groups(tracks.pts.take(idx, axis=0), vel, region, p.link_distance,
                                    p.velocity_tolerance, p.velocity_floor)
        labels = absorb_edges(labels, vel, apart)
        order = small_argsort(labels, len(idx))
        _, count, run = runs(labels.take(order))
        big = count >= p.min_tracks
        flat = Flat.runs(idx[order[big[run]]], count[big])
        least = max(p.min_tracks, SPLIT_LEAST)
        speeds = tracks.speed.take(flat.index)
        rows = sorted_speeds(flat, speeds) if len(flat) else None
        if len(flat) and p.split_speeds > 1:  # two vehicles touching in the picture, at two speeds
            may = may_split(flat, speeds, least, p.split_speeds, rows)
            if may.any():
                groups = flat.groups()
                for k in may.nonzero()[0][::-1].tolist():
                    g = groups[k]
                    fast = speed_split(tracks.speed[g], tracks.pts[g], least, p.split_speeds)
                    if fast is not None:
                        groups[k:k + 1] = [g[fast], g[~fast]]
                if len(groups) > len(flat):
                    flat, rows = Flat.of(groups), None
        big_enough = self._big_enough(tracks, flat)
        return big_enough, rows if big_enough is flat else None

    def _big_enough(self, tracks: TrackView, flat: Flat) -> Flat:
        """The groups spanning at least objects.min_size metres on the ground (all of them
        without a calibration, and those with a point of unknown ground position)."""
        if tracks.world is None or self.params.min_size <= 0 or not len(flat):
            return flat
        world = tracks.world.take(flat.index, axis=0)
        known = np.logical_and.reduceat(np.isfinite(world).all(axis=1), flat.start)
        lo, hi = bounds(world, flat.start)
        keep = ~known | (np.hypot(*(hi - lo).T) >= self.params.min_size)
        if keep.all():
            return flat
        return Flat.of([g for g, k in zip(flat.groups(), keep.tolist()) if k])

    def _steady(self, tracks: TrackView, t: float, idx: npt.NDArray[np.int64],
                was: npt.NDArray[np.float64], seen: npt.NDArray[np.bool_]
                ) -> npt.NDArray[np.bool_]:
        """Which tracks `idx` moved in their last step as their smoothed velocity says: a track
        that has just stopped (left behind by a passing edge) still has a decaying velocity,
        not a motion."""
        p = self.params
        steady = np.ones(len(idx), bool)
        dt = t - self._prev_t
        if dt <= 0:
            return steady
        known = seen.take(idx).nonzero()[0]
        at = idx.take(known)
        vel = tracks.vel.take(at, axis=0)
        off = (tracks.pts.take(at, axis=0) - was.take(at, axis=0)) / dt - vel
        gap = np.hypot(off[:, 0], off[:, 1])
        allowed = np.maximum(p.velocity_floor,
                             p.velocity_tolerance * np.hypot(vel[:, 0], vel[:, 1]))
        steady[known] = gap <= allowed
        return steady

    def _match(self, groups: Flat, tracks: TrackView, t: float,
               stats: GroupStats) -> list[_Object | None]:
        """The remembered object each group continues, or None for a new one."""
        found: list[_Object | None] = [None] * len(groups)
        if not len(groups) or not self._objects:
            return found
        known = len(self._objects)
        owners = np.repeat(np.arange(known), [len(o.members) for o in self._objects])
        members = np.concatenate([o.members for o in self._objects])
        order = np.argsort(members)
        members, owners = members.take(order), owners.take(order)
        grouped, group_of = tracks.ids[groups.index], groups.owner
        shared = np.zeros(len(groups) * known, np.int64)
        if len(members):
            pos = np.minimum(np.searchsorted(members, grouped), len(members) - 1)
            hit = members.take(pos) == grouped
            shared = np.bincount(group_of[hit] * known + owners[pos[hit]],
                                 minlength=len(shared))
        taken: set[int] = set()
        nonzero = shared.nonzero()[0]
        for flat in nonzero.take((-shared.take(nonzero)).argsort(kind="stable")).tolist():
            gi, oi = divmod(flat, known)
            if found[gi] is None and oi not in taken:
                found[gi] = self._objects[oi]
                taken.add(oi)
        lost = [gi for gi, f in enumerate(found) if f is None]
        if lost:  # every track replaced: fall back on box overlap with where objects should be
            iou = _ious([stats.boxes[gi] for gi in lost], self._objects, t)
            for row, gi in enumerate(lost):
                best, best_iou = -1, MIN_IOU
                for oi, value in enumerate(iou[row].tolist()):
                    if oi not in taken and value >= best_iou:
                        best, best_iou = oi, value
                if best >= 0:
                    found[gi] = self._objects[best]
                    taken.add(best)
        return found

    def _new(self, t: float, stats: GroupStats, k: int) -> _Object:
        x, y = stats.centre(k).tolist()
        obj = _Object(self._next_id, t, t, stats.ids[k], stats.id_tuples[k], stats.boxes[k],
                      (0.0, 0.0), (x, y))
        self._next_id += 1
        self._objects.append(obj)
        return obj

    def _advance(self, obj: _Object, t: float, stats: GroupStats, k: int, trap_unit: str
                 ) -> None:
        """Move the object's reference point by the median displacement of its tracks."""
        if obj.last_seen == self._prev_t and stats.seen[k]:
            dx, dy = stats.steps[k]
        else:  # unseen for a while, or every track is new: coast on its last velocity
            dx, dy = obj.vel[0] * (t - obj.last_seen), obj.vel[1] * (t - obj.last_seen)
        old = obj.ref
        obj.ref = (old[0] + dx, old[1] + dy)
        if self.trap.active:
            result = obj.timer.step(self.trap, trap_unit, obj.id, np.array(old), obj.last_seen,
                                    np.array(obj.ref), t)
            if result is not None:
                self.trap_results.append(result)
        obj.members, obj.track_ids = stats.ids[k], stats.id_tuples[k]
        obj.last_seen = t

    def _measure(self, obj: _Object, t: float, stats: GroupStats, k: int, unit: str,
                 trap_unit: str) -> ObjectState:
        speed, (vx, vy), speed_world = stats.speed[k], stats.vel[k], stats.speed_world[k]
        known = math.isfinite(speed_world)
        if not known:  # the one NaN object: equal states compare equal
            speed_world = math.nan
        obj.box, obj.vel = stats.boxes[k], (vx, vy)
        obj.last_seen = t
        obj.frames += 1
        obj.top_speed = max(obj.top_speed, speed)
        if known:
            obj.top_world = (speed_world if not math.isfinite(obj.top_world)
                             else max(obj.top_world, speed_world))
        x, y, w, h = obj.box
        result = obj.timer.result
        return object_state(
            obj.id, x, y, w, h, vx, vy, speed, speed_world, unit, obj.first_seen, t,
            obj.top_speed, obj.top_world if unit else math.nan, len(obj.track_ids),
            obj.track_ids, trap_speed(obj.timer), result.unit if result else trap_unit)


STATE_FIELDS = tuple(f.name for f in fields(ObjectState))


def object_state(*values: object) -> ObjectState:
    """`ObjectState(*values)` without the frozen dataclass's `__init__`, which sets its 18
    fields one at a time through `object.__setattr__` (several times slower, for every object
    of every frame). ObjectState has no `__post_init__` to skip (tests/test_objects.py)."""
    state = object.__new__(ObjectState)
    state.__dict__.update(zip(STATE_FIELDS, values))
    return state


def _ious(boxes: list[tuple[float, float, float, float]], objects: list[_Object], t: float
          ) -> npt.NDArray[np.float64]:
    """(len(boxes), len(objects)) intersection over union of (x, y, w, h) centre boxes with
    each object's box moved on by its velocity to time `t`."""
    a = np.array(boxes, np.float64).reshape(-1, 4)[:, :, None]
    x, y, w, h, vx, vy, seen = np.array([(*o.box, *o.vel, o.last_seen) for o in objects],
                                        np.float64).reshape(-1, 7).T
    dt = t - seen
    x, y = x + vx * dt, y + vy * dt
    ix = (np.minimum(a[:, 0] + a[:, 2] / 2, x + w / 2)
          - np.maximum(a[:, 0] - a[:, 2] / 2, x - w / 2))
    iy = (np.minimum(a[:, 1] + a[:, 3] / 2, y + h / 2)
          - np.maximum(a[:, 1] - a[:, 3] / 2, y - h / 2))
    inter = np.maximum(ix, 0.0) * np.maximum(iy, 0.0)
    union = a[:, 2] * a[:, 3] + w * h - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
