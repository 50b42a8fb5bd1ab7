"""Score flowtop's objects and tracks on a `roadsim` clip against the clip's truth.

Per vehicle, over the frames after the first second (WARMUP_S) in which it lies wholly inside
the picture and its box is at least MIN_SIDE_PX on each side:
- object speed: the median of its object's `speed_world` (an object is the vehicle's when at
  least half its tracks lie on the vehicle's silhouette);
- track speed: the median `speed_world` of the settled tracks on its silhouette;
- how often it has exactly one object, and the object box's overlap (IoU) with its true box;
- for a vehicle that enters during the clip, how many tracks it has 5 frames after it is whole.
Per clip: object-frames made of road (most tracks on no vehicle) and of several vehicles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from roadsim import Clip, Seen

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import ObjectState, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.open import open_source

EDGE_PX = 2  # a track this close outside a silhouette still counts as on it
SETTLED_AGE = 5  # frames before a track's velocity counts
ENTRY_FRAMES = 5
MIN_SIDE_PX = 8  # vehicles smaller than this (box side, px) are not scored in that frame
WARMUP_S = 1.0  # the first second is not scored: velocities and the background settle


@dataclass
class VehicleScore:
    """What flowtop made of one vehicle (speeds in m/s, errors as fractions)."""

    name: str
    speed: float
    near: float  # metres from the camera, nearest and farthest while wholly in view
    far: float
    whole: int = 0  # frames wholly in view
    single: int = 0  # ... of them with exactly one object
    split: int = 0  # ... with more than one
    object_speeds: list[float] = field(default_factory=list)
    track_speeds: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    entry_tracks: int | None = None  # tracks 5 frames after it is first whole (late entrants)
    size_px: float = 0.0  # median of its box's shorter side while wholly in view
    px_per_m: float = math.nan  # least image scale along its motion while scored (px/m)

    @property
    def object_speed(self) -> float:
        return float(np.median(self.object_speeds)) if self.object_speeds else math.nan

    @property
    def object_error(self) -> float:
        return self.object_speed / self.speed - 1

    @property
    def track_error(self) -> float:
        if not self.track_speeds:
            return math.nan
        return float(np.median(self.track_speeds)) / self.speed - 1

    @property
    def coverage(self) -> float:
        """Share of the wholly-in-view frames with exactly one object."""
        return self.single / self.whole if self.whole else math.nan

    @property
    def iou(self) -> float:
        return float(np.median(self.ious)) if self.ious else math.nan


@dataclass
class ClipScore:
    vehicles: list[VehicleScore]
    frames: int
    road_objects: int = 0  # object-frames whose tracks lie mostly off every vehicle
    merged: int = 0  # object-frames holding two vehicles
    objects: int = 0  # object-frames in all
    timings: dict[str, float] = field(default_factory=dict)  # mean seconds per frame

    @property
    def worst_object_error(self) -> float:
        errs = [abs(v.object_error) for v in self.vehicles if v.object_speeds]
        return max(errs) if errs else math.nan

    @property
    def worst_track_error(self) -> float:
        errs = [abs(v.track_error) for v in self.vehicles if v.track_speeds]
        return max(errs) if errs else math.nan


def clip_params(clip: Clip, params: Params | None = None) -> Params:
    """`params` (default: the defaults) with the clip's ground homography, speeds in m/s."""
    p = params or Params()
    cal = clip.speed_params()
    p = p.with_value("speed.image_points", cal["image_points"])
    p = p.with_value("speed.world_points", cal["world_points"])
    return p.with_value("speed.unit", "m/s")


def _owner(obj: ObjectState, state: TrackState, index: dict[int, int], seen: list[Seen],
           pts_on: list[np.ndarray]) -> tuple[int | None, str]:
    """(vehicle index or None, kind): kind is 'vehicle', 'road' or 'merged'."""
    rows = [index[i] for i in obj.track_ids if i in index]
    if not rows or not seen:
        return None, "road"
    share = np.array([on[rows].mean() for on in pts_on])
    best = int(np.argmax(share))
    if share[best] >= 0.5:
        others = np.delete(share, best)
        return best, "merged" if (others >= 0.2).any() else "vehicle"
    return None, "road" if share.sum() < 0.5 else "merged"


def score_state(state: TrackState, seen: list[Seen], out: ClipScore,
                by_name: dict[str, VehicleScore], first_whole: dict[str, int]) -> None:
    """Add one frame's objects and tracks to the scores."""
    index = {int(i): k for k, i in enumerate(state.ids)}
    on = [s.contains(state.pts) | _near(s, state.pts) for s in seen]
    owned: dict[int, list[ObjectState]] = {}
    for obj in state.objects:
        if state.t < WARMUP_S:
            break
        out.objects += 1
        who, kind = _owner(obj, state, index, seen, on)
        if kind == "road":
            out.road_objects += 1
        elif kind == "merged":
            out.merged += 1
        if who is not None:
            owned.setdefault(who, []).append(obj)
    for k, s in enumerate(seen):
        score = by_name[s.name]
        if s.name in first_whole and state.index == first_whole[s.name] + ENTRY_FRAMES:
            score.entry_tracks = int(on[k].sum())
        if not (s.whole and min(s.box[2] - s.box[0], s.box[3] - s.box[1]) >= MIN_SIDE_PX
                and state.t >= WARMUP_S):
            continue
        first_whole.setdefault(s.name, state.index)
        score.whole += 1
        objs = owned.get(k, [])
        score.single += len(objs) == 1
        score.split += len(objs) > 1
        if objs:
            obj = max(objs, key=lambda o: o.tracks)
            if math.isfinite(obj.speed_world):
                score.object_speeds.append(obj.speed_world)
            score.ious.append(_iou(obj, s.box))
        inner = s.contains(state.pts, erode=EDGE_PX) & (state.age >= SETTLED_AGE)
        speeds = state.speed_world[inner]
        score.track_speeds.extend(speeds[np.isfinite(speeds)].tolist())


def _near(s: Seen, pts: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = s.box
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    inside = ((p[:, 0] >= x0 - EDGE_PX) & (p[:, 0] <= x1 + EDGE_PX)
              & (p[:, 1] >= y0 - EDGE_PX) & (p[:, 1] <= y1 + EDGE_PX))
    if not inside.any():
        return inside
    grown = s.contains(p[inside] + (EDGE_PX, 0)) | s.contains(p[inside] - (EDGE_PX, 0))
    grown |= s.contains(p[inside] + (0, EDGE_PX)) | s.contains(p[inside] - (0, EDGE_PX))
    inside[inside] = grown
    return inside


def _iou(obj: ObjectState, box: tuple[float, float, float, float]) -> float:
    ax0, ay0, ax1, ay1 = obj.x - obj.w / 2, obj.y - obj.h / 2, obj.x + obj.w / 2, obj.y + obj.h / 2
    bx0, by0, bx1, by1 = box
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def score_clip(clip: Clip, params: Params | None = None) -> ClipScore:
    """Run the tracker over the clip file and score it."""
    p = clip_params(clip, params)
    tracker = Tracker(p)
    by_name: dict[str, VehicleScore] = {}
    for v in clip.vehicles:
        seen = [s for i, f in enumerate(clip.frames) for s in f if s.name == v.name
                and s.whole and i >= WARMUP_S * clip.fps
                and min(s.box[2] - s.box[0], s.box[3] - s.box[1]) >= MIN_SIDE_PX]
        dist = [s.distance for s in seen]
        sizes = [min(s.box[2] - s.box[0], s.box[3] - s.box[1]) for s in seen]
        by_name[v.name] = VehicleScore(
            v.name, abs(v.v), min(dist, default=math.nan), max(dist, default=math.nan),
            size_px=float(np.median(sizes)) if sizes else 0.0,
            px_per_m=min((s.px_per_m for s in seen), default=math.nan))
    at_start = {s.name for s in clip.frames[0]}
    first_whole: dict[str, int] = {}
    out = ClipScore(list(by_name.values()), 0)
    totals: dict[str, float] = {}
    with open_source(str(clip.path), paced=False) as source:
        while (frame := source.read()) is not None and frame.index < len(clip.frames):
            state = tracker.update(frame)
            for key, value in state.timings.items():
                totals[key] = totals.get(key, 0.0) + value
            out.frames += 1
            score_state(state, clip.frames[frame.index], out, by_name, first_whole)
    for name in at_start:  # only vehicles that came into view during the clip are entrants
        by_name[name].entry_tracks = None
    out.timings = {k: v / max(1, out.frames) for k, v in totals.items()}
    return out


def report(score: ClipScore) -> str:
    """A plain-text table of one clip's scores."""
    lines = [f"{'veh':4} {'km/h':>6} {'dist m':>9} {'px':>4} {'px/m':>5} {'whole':>5} {'one':>5} "
             f"{'obj err':>8} {'trk err':>8} {'iou':>5} {'entry':>5}"]
    for v in score.vehicles:
        lines.append(
            f"{v.name:4} {v.speed * 3.6:6.1f} {v.near:4.0f}-{v.far:<4.0f} {v.size_px:4.0f} "
            f"{v.px_per_m:5.1f} "
            f"{v.whole:5d} {v.coverage:5.2f} {v.object_error:+8.2%} {v.track_error:+8.2%} "
            f"{v.iou:5.2f} {'' if v.entry_tracks is None else v.entry_tracks:>5}")
    lines.append(f"objects {score.objects}, road {score.road_objects}, merged "
                 f"{score.merged}; worst object error {score.worst_object_error:.2%}, "
                 f"worst track error {score.worst_track_error:.2%}")
    return "\n".join(lines)
