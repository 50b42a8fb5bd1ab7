"""The tracker: seeds corners, follows them with forward-backward LK, measures their velocity.

`Tracker.update(frame)` takes the next `Frame` and returns a `TrackState`, an immutable
snapshot the UI, writers and tests read. Time comes from the frame, never from a clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.calibration.models import Calibration, calibration_from_params, from_mps
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, ObjectState, TrackState, frozen
from flowtop.tracker.core.faces import FaceSeeder, load_cascade
from flowtop.tracker.core.lk import (
    Points,
    beyond_reach,
    detect_corners,
    lk_reach,
    max_abs,
    seed_mask,
    track_fb,
)
from flowtop.tracker.core.memory import keep_freed_memory
from flowtop.tracker.core.motion import Foreground
from flowtop.tracker.core.notices import nothing_to_track, too_fast
from flowtop.tracker.core.objects import ObjectGrouper, TrackView
from flowtop.tracker.core.seeding import detect_split, plan_seeds
from flowtop.tracker.core.tracks import Tracks

F32 = npt.NDArray[np.float32]
NOTICE_HOLD_S = 1.0
CUT_SHARE, CUT_MIN = 0.6, 10  # losing this share of at least this many points at once: a cut
REACH_CHECK_MIN = 3  # fresh points on moving things lost at once before a deeper look


def check_params(params: Params, frame_size: tuple[int, int] | None = None) -> None:
    """Raise ParamError if `params` cannot be applied: a calibration that cannot be built for
    frames of `frame_size`, or face seeding whose cascade does not load. Changes nothing."""
    calibration_from_params(params.speed, frame_size)
    if params.features.mode == "faces":
        load_cascade()


class Tracker:
    """Seeds, tracks and measures points over a stream of frames.

    Manual commands (`add_point`, `clear`, `reseed`) take effect at the next `update`.
    `params` may be replaced between updates; a new trail length or calibration applies at once.
    `group_objects` groups moving tracks into objects (and runs the speed trap) every frame;
    it costs a fifth (on a busy box) to nearly a third (on a quiet one) of the LK step
    (`benchmarks/grouping_cost.py`), so headless runs that do not report objects turn it
    off. `between_stages()` runs between the stages of a frame (a loop may wait there while
    its front end answers a key). Making one has the C allocator keep the large scratch
    buffers freed by a frame for the next (`tracker.core.memory`).
    """

    def __init__(self, params: Params | None = None, group_objects: bool = True) -> None:
        keep_freed_memory()
        self._params = params or Params()
        self.group_objects = group_objects
        self.between_stages: Callable[[], None] = lambda: None
        self._calibration: Calibration | None = calibration_from_params(self._params.speed)
        self._frame_size: tuple[int, int] | None = None  # (w, h) the calibration is bound to
        self._grouper = ObjectGrouper(self._params.objects, self._params.trap)
        self._objects: tuple[ObjectState, ...] = ()
        self._next_id = 1
        self._prev_gray: npt.NDArray[np.uint8] | None = None
        self._prev_t = 0.0
        self._frames_since_seed = 0
        self._pending: list[tuple[float, float]] = []
        self._reseed = False
        self._seeded_between = 0  # seeded by a command since the last frame
        self._head = 0
        self._last_frame: Frame | None = None
        self._notice, self._notice_until = "", -np.inf
        self._faces: FaceSeeder | None = None  # made when features.mode is first 'faces'
        if self._params.features.mode == "faces":
            self._face_seeder()
        tp = self._params.tracking
        self._foreground = Foreground(tp.foreground_threshold, tp.background_memory)
        self._too_fast = 0  # tracks whose last step was beyond LK's reach
        self.tracks = Tracks.empty(tp.trail_length)

    @property
    def params(self) -> Params:
        return self._params

    @params.setter
    def params(self, params: Params) -> None:
        """Replace the parameters; a bad calibration raises ParamError and changes nothing."""
        old = self._params
        if params.features.mode == "faces":
            self._face_seeder()  # a cascade that does not load refuses the change
        if params.speed != old.speed:
            calibration = calibration_from_params(params.speed, self._frame_size)
            self._calibration = calibration
            self._forget_world()
        self._params = params
        self._grouper.params, self._grouper.trap = params.objects, params.trap
        self._foreground.threshold = params.tracking.foreground_threshold
        self._foreground.memory_s = params.tracking.background_memory
        if params.tracking.trail_length != old.tracking.trail_length:
            self._head = self.tracks.resize_trails(self._head, params.tracking.trail_length)

    @property
    def calibration(self) -> Calibration | None:
        return self._calibration

    def add_point(self, x: float, y: float) -> None:
        """Track the pixel (x, y) of the last frame (or of the first, before any)."""
        self._pending.append((float(x), float(y)))
        if self._prev_gray is not None:
            self._insert_pending(self._prev_gray)

    def current_state(self) -> TrackState | None:
        """The state after the last frame, reflecting commands given since (clear, add)."""
        if self._last_frame is None:
            return None
        return self._state(self._last_frame, 0, self._seeded_between, {}, self._speeds())

    def clear(self) -> None:
        """Drop every track now; automatic seeding goes on by its rules."""
        self.tracks = Tracks.empty(self._params.tracking.trail_length)
        self._pending.clear()
        self._grouper.reset()
        self._objects = ()

    def reseed(self) -> None:
        """Drop every track and seed fresh corners at once, on the last frame (before the
        first frame: on the first)."""
        self.clear()
        self._reseed = True
        if self._prev_gray is not None:
            seeded = self._maybe_seed(self._prev_gray)
            self._seeded_between += seeded
            self._reseed = not seeded  # nothing there: the next frame looks again at once

    def reset(self) -> None:
        """Forget the previous frame (after a discontinuity): tracks restart from the next one,
        seeded at once."""
        self.clear()
        self._prev_gray = None
        self._foreground.reset()
        self._reseed = True

    # -- per frame -------------------------------------------------------------------------

    def update(self, frame: Frame, timings: Mapping[str, float] | None = None) -> TrackState:
        """Track `frame`; `timings` are stages timed before it (the read), kept in the state's."""
        timed: dict[str, float] = dict(timings or {})
        t0 = time.perf_counter()
        image = frame.image
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        timed["convert"] = time.perf_counter() - t0
        size = (gray.shape[1], gray.shape[0])
        if size != self._frame_size:  # intrinsics rescale and a field of view need the size
            self._frame_size = size
            self._calibration = calibration_from_params(self._params.speed, size)
            self._forget_world()
        prev = self._prev_gray
        if frame.restart or prev is None or prev.shape != gray.shape:
            pending = self._pending[:]  # points the user asked for still belong to this frame
            self.reset()
            self._pending[:] = pending
            prev = None
        lost, cut = 0, ""
        self.between_stages()
        t1 = time.perf_counter()
        tr, fg = self.tracks, self._foreground
        moving = tr.pts[tr.measured & (max_abs(tr.vel) >= self._params.objects.min_speed)] \
            if fg.learns_next else None  # kept from the background, read when it learns
        fg.update(image, frame.t - self._prev_t if prev is not None else 0.0, moving)
        timed["foreground"] = time.perf_counter() - t1
        if prev is not None:
            self._insert_pending(prev)
            before = len(self.tracks)
            lost = self._step(prev, gray, frame.t, timed)
            if before >= CUT_MIN and lost >= CUT_SHARE * before:  # a cut: start again
                self.reset()
                cut = f"the picture changed at once ({lost} of {before} points lost): restarted"
        self._insert_pending(gray)
        t1 = time.perf_counter()
        seeded = self._maybe_seed(gray) + self._seeded_between
        self._seeded_between = 0
        self._update_notice(gray, frame.t, lost, seeded, cut)
        timed["seed"] = time.perf_counter() - t1
        speeds = self._speeds()
        if self.group_objects:
            self.between_stages()
            t2 = time.perf_counter()
            self._objects = self._group(frame.t, speeds)
            timed["objects"] = time.perf_counter() - t2
        self._prev_gray, self._prev_t, self._last_frame = gray, frame.t, frame
        return self._state(frame, lost, seeded, timed, speeds)

    def _step(self, prev: npt.NDArray[np.uint8], gray: npt.NDArray[np.uint8], t: float,
              timings: dict[str, float]) -> int:
        """Move every track from `prev` to `gray`; drop those that fail a check."""
        tr, p = self.tracks, self._params
        self._too_fast = 0
        if not len(tr):
            return 0
        t0 = time.perf_counter()
        flow = track_fb(prev, gray, tr.pts, p.lk, p.tracking.fb_threshold)
        timings["lk"] = time.perf_counter() - t0
        dt = t - self._prev_t
        rows = np.flatnonzero(flow.keep & ~tr.off_course(flow.points, dt, p.tracking.max_jump))
        old = tr.take(rows)  # fresh arrays: states handed out earlier keep theirs
        pts = flow.points.take(rows, axis=0)
        reliable = max_abs(pts - old.pts) <= lk_reach(p.lk)
        beyond = len(rows) - np.count_nonzero(reliable)
        too_fast = beyond + self._beyond_reach(prev, gray, ~flow.keep)
        self._too_fast = too_fast if too_fast >= REACH_CHECK_MIN - 1 else 0  # one: a look-alike
        vel, measured, world, world_vel = old.vel, old.measured, old.world, old.world_vel
        if dt > 0:
            a = p.tracking.smoothing
            inst = (pts - old.pts) / dt
            vel = np.where(old.measured[:, None], a * inst + (1 - a) * old.vel, inst)
            if self._calibration is not None:
                world = self._calibration.to_world(pts)
                winst = (world - old.world) / dt
                has = np.asarray(np.isfinite(old.world_vel).all(axis=1))
                fresh = np.asarray(np.isfinite(winst).all(axis=1))
                world_vel = np.where(has[:, None], a * winst + (1 - a) * old.world_vel,
                                     np.where(fresh[:, None], winst, np.nan))
            measured = np.ones(len(pts), bool)
        length = old.trail.shape[1]
        self._head = (self._head + 1) % length
        old.trail[:, self._head] = pts  # `old.trail` is select's copy, owned here
        self.tracks = Tracks(old.ids, pts, vel.astype(np.float32, copy=False), old.age + 1,
                             measured, old.trail, np.minimum(old.trail_len + 1, length),
                             world, world_vel, flow.fb_error.take(rows), old.anchor, old.rest,
                             reliable, old.manual)
        tp = p.tracking
        woken = self.tracks.settle(max(dt, 0.0), tp.still_radius, tp.still_life)
        if woken.any():  # background dragged along by something passing: never a speed
            self.tracks = self.tracks.select(~woken)
        timings["fb"] = time.perf_counter() - t0 - timings["lk"]
        return len(tr) - len(rows)

    def _beyond_reach(self, prev: npt.NDArray[np.uint8], gray: npt.NDArray[np.uint8],
                      lost: npt.NDArray[np.bool_]) -> int:
        """How many of the points just seeded on moving things and lost at once are found
        (by their patch) farther than LK's reach: motion too fast for the lk settings, not a
        failure. Looked at only when most of those fresh points are lost."""
        tr = self.tracks
        fresh = tr.age == 0
        if np.count_nonzero(fresh & lost) < REACH_CHECK_MIN:
            return 0
        fresh &= self._foreground.on(tr.pts)
        gone = fresh & lost
        if gone.sum() < REACH_CHECK_MIN or gone.sum() < 0.5 * fresh.sum():
            return 0
        found = beyond_reach(prev, gray, tr.pts[gone], lk_reach(self._params.lk))
        return found if found >= REACH_CHECK_MIN - 1 else 0  # one alone may be a look-alike

    def _maybe_seed(self, gray: npt.NDArray[np.uint8]) -> int:
        tp, fp = self._params.tracking, self._params.features
        self._frames_since_seed += 1
        due = (self._reseed or self._frames_since_seed >= tp.detect_interval
               or len(self.tracks) < tp.min_points)
        if not due:
            return 0
        forced, self._reseed, self._frames_since_seed = self._reseed, False, 0
        roi = tuple(int(v) for v in fp.roi) if fp.roi else None
        if fp.mode == "faces":
            room = tp.max_points - len(self.tracks)
            mask = seed_mask(gray.shape[:2], self.tracks.pts, fp.min_distance, roi)  # type: ignore[arg-type]
            if room <= 0 or self._face_seeder().restrict(
                    mask, gray, tp.detect_interval, forced) is None:
                return 0  # no room, or no face in view: nothing to seed
            corners = detect_corners(gray, mask, fp, room)
        else:
            plan = plan_seeds(self.tracks, self._foreground.on(self.tracks.pts), tp)
            if plan.retire.any():
                self.tracks = self.tracks.select(~plan.retire)
            if plan.moving_room <= 0:
                return 0
            corners = detect_split(gray, self.tracks.pts, roi,  # type: ignore[arg-type]
                                   self._foreground.seed_mask(gray.shape[:2], self.tracks.pts,
                                                              tp.region_points), fp, plan)
        self._append(corners)
        return len(corners)

    def _face_seeder(self) -> FaceSeeder:
        """The face detector, loaded at first need (CascadeError, a ParamError, if it fails)."""
        if self._faces is None:
            self._faces = FaceSeeder()
        return self._faces

    def _insert_pending(self, gray: npt.NDArray[np.uint8]) -> None:
        if not self._pending:
            return
        h, w = gray.shape[:2]
        pts = np.array(self._pending, np.float32).reshape(-1, 2)
        self._pending.clear()
        inside = (pts[:, 0] >= 0) & (pts[:, 0] <= w - 1) & (pts[:, 1] >= 0) & (pts[:, 1] <= h - 1)
        room = self._params.tracking.max_points - len(self.tracks)
        if room < inside.sum():  # manual points win over the oldest automatic ones
            self.tracks = self.tracks.select(np.arange(len(self.tracks)) >= inside.sum() - room)
        self._append(pts[inside], manual=True)

    def _append(self, pts: Points, manual: bool = False) -> None:
        n = len(pts)
        if not n:
            return
        world = (self._calibration.to_world(pts) if self._calibration is not None
                 else np.full((n, 2), np.nan))
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        new = Tracks.new(pts, ids, self.tracks.trail.shape[1], self._head, world, manual)
        self._next_id += n
        self.tracks = self.tracks.extend(new)

    @property
    def created(self) -> int:
        """How many tracks have been started since the tracker was made."""
        return self._next_id - 1

    def _update_notice(self, gray: npt.NDArray[np.uint8], t: float, lost: int, seeded: int,
                       cut: str = "") -> None:
        """Say why nothing is tracked (flat, tiny, cornerless frame), that every point was just
        lost, that the picture jumped (`cut`: most points lost, the rest restarted), or that
        motion is beyond LK's reach; all but the first stay for NOTICE_HOLD_S of frame time so
        a UI can show them."""
        if len(self.tracks) == 0:
            faces = self._params.features.mode == "faces" and self._faces is not None
            self._notice = nothing_to_track(
                gray, faces, faces and self._faces is not None and bool(len(self._faces.boxes)))
            self._notice_until = t
        elif lost and len(self.tracks) == seeded:
            self._notice = f"every point was lost at once ({lost}); reseeded {seeded}"
            self._notice_until = t + NOTICE_HOLD_S
        elif cut:
            self._notice, self._notice_until = cut, t + NOTICE_HOLD_S
        elif self._too_fast:
            self._notice = too_fast(self._too_fast, self._params.lk)
            self._notice_until = t + NOTICE_HOLD_S
        elif t > self._notice_until or t < self._notice_until - NOTICE_HOLD_S:
            self._notice = ""

    def _forget_world(self) -> None:
        """Drop world positions and velocities (the calibration changed); new arrays, since
        states handed out share the old ones."""
        n = len(self.tracks)
        self.tracks.world = np.full((n, 2), np.nan)
        self.tracks.world_vel = np.full((n, 2), np.nan)

    def _speeds(self) -> tuple[F32, npt.NDArray[np.float64], str]:
        """(N,) speed in px/s and world speed in `unit` of every track, and the unit ('' when
        uncalibrated: world speeds are then NaN)."""
        tr = self.tracks
        speed = np.hypot(tr.vel[:, 0], tr.vel[:, 1]).astype(np.float32)
        unit = self._params.speed.unit if self._calibration is not None else ""
        world = np.hypot(tr.world_vel[:, 0], tr.world_vel[:, 1])
        return speed, from_mps(world, unit) if unit else world, unit

    def _state(self, frame: Frame, lost: int, seeded: int, timings: dict[str, float],
               speeds: tuple[F32, npt.NDArray[np.float64], str]) -> TrackState:
        """The published state: read-only views of the track arrays (which are never changed
        in place once built, see `_step`), so no copy per frame but the trails' (newest
        first)."""
        tr, p = self.tracks, self._params
        speed, world_speed, unit = speeds
        rows: slice | np.ndarray = slice(None)
        if p.tracking.min_speed > 0:
            visible = tr.measured & (speed >= p.tracking.min_speed)
            if not visible.all():
                rows = visible
        length = tr.trail.shape[1]
        order = (self._head - np.arange(length)) % length
        trail = tr.trail if isinstance(rows, slice) else tr.trail[rows]
        return TrackState(
            index=frame.index, t=frame.t, image=frozen(frame.image),
            ids=frozen(tr.ids[rows]), pts=frozen(tr.pts[rows]), vel=frozen(tr.vel[rows]),
            speed=frozen(speed[rows]), age=frozen(tr.age[rows]),
            fb_error=frozen(tr.fb_error[rows]),
            trails=frozen(trail.take(order, axis=1)),  # a copy: 7x faster than [:, order]
            trail_len=frozen(tr.trail_len[rows]), speed_world=frozen(world_speed[rows]),
            unit=unit, live=len(tr), created=self.created, lost=lost, seeded=seeded,
            timings=MappingProxyType(timings), notice=self._notice, objects=self._objects,
            trap=tuple(self._grouper.trap_results))

    def _group(self, t: float, speeds: tuple[F32, npt.NDArray[np.float64], str]
               ) -> tuple[ObjectState, ...]:
        """Group the moving tracks of this frame into objects (`tracker.core.objects`)."""
        tr, p = self.tracks, self._params
        speed, world, unit = speeds
        least = p.objects.min_speed  # and > 0: a still track is no object (NaN is neither)
        eligible = (tr.measured & tr.reliable & (tr.age >= p.objects.min_track_age)
                    & (speed >= least if least > 0 else speed > 0))
        view = TrackView(tr.ids, tr.pts, tr.vel, speed, world, eligible,
                         self._foreground.regions(tr.pts, eligible),
                         tr.world if self._calibration is not None else None)
        return self._grouper.update(t, view, unit, p.speed.unit)
