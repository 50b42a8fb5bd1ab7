"""Where new corners go, and which still tracks make room for them.

The `tracking.max_points` budget is shared: still tracks (off the foreground) may hold at most
`1 - tracking.motion_share` of it. Beyond that, still tracks that have proven to be background
(`tracking.still_life`) are retired, the most recently seeded first (the first corners seeded
are the strongest), and still areas get no new corners. Moving things (the foreground of
`tracker.core.motion`) are seeded first, more densely and on their own quality scale, so a
vehicle entering a scene full of static corners still gets its points at the next detection.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import FeatureParams, TrackingParams
from flowtop.tracker.core.lk import Gray, Points, detect_corners, seed_mask
from flowtop.tracker.core.tracks import Tracks


@dataclass(frozen=True)
class SeedPlan:
    """Tracks to retire now (N,), and how many corners may go on moving and on still areas."""

    retire: npt.NDArray[np.bool_]
    moving_room: int
    still_room: int


def plan_seeds(tracks: Tracks, on_fg: npt.NDArray[np.bool_], tp: TrackingParams) -> SeedPlan:
    """Share the budget between moving things and still background (see the module)."""
    cap = int(tp.max_points * (1 - tp.motion_share))
    still = ~on_fg & ~tracks.manual
    retire = np.zeros(len(tracks), bool)
    excess = int(still.sum()) - cap
    if excess > 0:
        old = np.flatnonzero(still & tracks.background(tp.still_life))
        youngest = old[np.argsort(tracks.age[old], kind="stable")]
        retire[youngest[:excess]] = True
    live = len(tracks) - int(retire.sum())
    room = max(0, tp.max_points - live)
    still_room = max(0, min(room, cap - int(still.sum()) + int(retire.sum())))
    return SeedPlan(retire, room, still_room)


def detect_split(gray: Gray, live: Points, roi: tuple[int, int, int, int] | None,
                 foreground: Gray, fp: FeatureParams, plan: SeedPlan) -> Points:
    """Corners inside `roi` and away from the `live` points: on the `foreground` first (looked
    for only in its bounding box, `features.motion_min_distance` apart), then on still areas
    (`features.min_distance` apart) up to `plan.still_room`."""
    found = [np.zeros((0, 2), np.float32)]
    if plan.moving_room > 0:
        near = seed_mask(gray.shape[:2], live, fp.motion_min_distance, roi)
        moving = cv2.bitwise_and(near, foreground)
        x, y, w, h = cv2.boundingRect(moving)
        if min(w, h) >= fp.block_size:
            dense = replace(fp, min_distance=fp.motion_min_distance)
            corners = detect_corners(gray[y:y + h, x:x + w], moving[y:y + h, x:x + w], dense,
                                     plan.moving_room)
            found.append(corners + np.array([x, y], np.float32))
    moved = sum(len(f) for f in found)
    room = min(plan.still_room, plan.moving_room - moved)
    if room > 0:
        far = seed_mask(gray.shape[:2], np.concatenate([live, *found]), fp.min_distance, roi)
        still = cv2.bitwise_and(far, cv2.bitwise_not(foreground))
        found.append(detect_corners(gray, still, fp, room))
    return np.concatenate(found)
