"""Real published states for drawing tests: a `TrackState` or `ObjectState` from the few
fields a test cares about, the rest filled with neutral values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import ObjectState, TrackState


def track_state(pts: npt.ArrayLike, trails: npt.ArrayLike | None = None,
                objects: tuple[ObjectState, ...] = (), **fields: Any) -> TrackState:
    """Tracks with ids 1..N at `pts` (N, 2); `trails` (N, L, 2) newest first (default: each
    point alone); any other TrackState field by keyword."""
    pts = np.asarray(pts, np.float32).reshape(-1, 2)
    n = len(pts)
    trails = pts[:, None, :] if trails is None else np.asarray(trails, np.float32)
    values: dict[str, Any] = {
        "index": 0, "t": 0.0, "image": np.zeros((1, 1, 3), np.uint8),
        "ids": np.arange(1, n + 1, dtype=np.int64), "pts": pts,
        "vel": np.zeros((n, 2), np.float32), "speed": np.zeros(n, np.float32),
        "age": np.ones(n, np.int32), "fb_error": np.zeros(n, np.float32), "trails": trails,
        "trail_len": np.full(n, trails.shape[1], np.int32),
        "speed_world": np.full(n, np.nan), "unit": "", "live": n, "created": n, "lost": 0,
        "seeded": 0, "objects": objects}
    values.update(fields)
    return TrackState(**values)


def object_state(id: int, x: float, y: float, w: float, h: float, **fields: Any
                 ) -> ObjectState:
    """An object with its box (centre x, y, size w, h); any other field by keyword."""
    values: dict[str, Any] = {
        "vx": 0.0, "vy": 0.0, "speed": 0.0, "speed_world": math.nan, "unit": "",
        "first_seen": 0.0, "t": 0.0, "top_speed": 0.0, "top_speed_world": math.nan,
        "tracks": 0}
    values.update(fields)
    return ObjectState(id=id, x=x, y=y, w=w, h=h, **values)
